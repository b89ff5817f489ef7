# The same rule over a Gatekeeper-style inventory (data.inventory.namespace[NS].v1.Pod[NAME],
# what Gatekeeper's sync replicates), which is not keyed by node: every decision scans all
# synced pods for those on the target node.
package hostports_inventory

import data.hostports

deny contains c if {
	node := hostports.target_node
	some ns
	some other in data.inventory.namespace[ns].v1.Pod
	other.spec.nodeName == node
	some c in hostports.conflicts_with(other)
}
