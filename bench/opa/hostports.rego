# Host-port collisions for OPA, with the rule hostport-guard and the scheduler apply
# (the NodePorts filter, HostPortInfo): two ports collide when they have the same
# protocol and port number and either hostIP is 0.0.0.0 or both are equal. Only IPv4
# spellings are handled, like the scheduler (hostport-guard also treats "::" as a
# wildcard and normalises IPv6 spellings; the benchmark's pods use IPv4 only).
#
# Input: Gatekeeper's shape, input.review = the AdmissionRequest of a Pod CREATE.
# Data:  data.cluster.nodes[NODE] = the pods holding host ports on NODE (metadata and
#        spec.hostNetwork, containers, initContainers), pushed with PUT /v1/data/cluster/nodes.
#        Keyed by node so a decision reads only the pods of one node, like PodIndex.
package hostports

pod := input.review.object

# The node the pod is known to land on: spec.nodeName, else the DaemonSet controller's
# affinity (exactly one term holding exactly matchFields metadata.name In [NODE]).
target_node := pod.spec.nodeName if {
	pod.spec.nodeName != ""
}

target_node := node if {
	not pod.spec.nodeName
	terms := pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
	count(terms) == 1
	count(object.get(terms[0], "matchExpressions", [])) == 0
	fields := terms[0].matchFields
	count(fields) == 1
	fields[0].key == "metadata.name"
	fields[0].operator == "In"
	count(fields[0].values) == 1
	node := fields[0].values[0]
}

# Containers whose ports are held while the pod runs: regular ones and sidecars
# (init containers with restartPolicy Always).
running_containers(spec) := array.concat(
	spec.containers,
	[c | some c in object.get(spec, "initContainers", []); c.restartPolicy == "Always"],
)

protocol(cp) := cp.protocol if {
	cp.protocol != ""
} else := "TCP"

host_ip(cp) := cp.hostIP if {
	cp.hostIP != ""
} else := "0.0.0.0"

# On a hostNetwork pod the port is held even where hostPort is 0 (templates keep 0).
host_port(spec, cp) := cp.hostPort if {
	cp.hostPort > 0
} else := cp.containerPort if {
	spec.hostNetwork == true
} else := 0

# The (protocol, hostIP, port) triples a pod spec holds.
host_ports(spec) := {p |
	some c in running_containers(spec)
	some cp in object.get(c, "ports", [])
	port := host_port(spec, cp)
	port > 0
	p := {"protocol": protocol(cp), "hostIP": host_ip(cp), "port": port}
}

my_ports := host_ports(pod.spec)

ip_overlap(a, _) if a == "0.0.0.0"

ip_overlap(_, b) if b == "0.0.0.0"

ip_overlap(a, b) if a == b

collides(a, b) if {
	a.port == b.port
	a.protocol == b.protocol
	ip_overlap(a.hostIP, b.hostIP)
}

# A pod never collides with itself.
same_pod(other) if {
	other.metadata.uid != ""
	other.metadata.uid == pod.metadata.uid
}

same_pod(other) if {
	other.metadata.namespace == input.review.namespace
	other.metadata.name == pod.metadata.name
}

# One entry per colliding (incoming port, held port, holder).
conflicts_with(other) := {c |
	not same_pod(other)
	some mine in my_ports
	some held in host_ports(other.spec)
	collides(mine, held)
	c := {
		"holder": sprintf("%s/%s", [other.metadata.namespace, other.metadata.name]),
		"port": mine,
		"held": held,
	}
}

deny contains c if {
	some other in data.cluster.nodes[target_node]
	some c in conflicts_with(other)
}
