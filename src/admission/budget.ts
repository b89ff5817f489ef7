/**
 * How many host ports one pod may declare and still be decided: past it, the answer says
 * so instead of looking for conflicts, so no single review can hold the event loop.
 *
 * Real pods declare a handful. The largest declarations in public charts and issues are
 * media servers listing an RTP range port by port, about 200 (ionorg/ion#300); larger
 * ranges are not declared at all but bound through hostNetwork, because 10,000 entries
 * hit the API's size limits (kubernetes/enhancements#6220). The API server itself accepts
 * far more: it validates only that (protocol, hostIP, hostPort) is unique in the pod
 * (AccumulateUniqueHostPorts in pkg/apis/core/validation/validation.go), and a pod is
 * bounded by the request body limit, 3 MiB (MaxRequestBodyBytes in
 * k8s.io/apiserver/pkg/server/config.go), and by etcd's 1.5 MiB request limit
 * (DefaultMaxRequestBytes in go.etcd.io/etcd/server/v3/embed/config.go): tens of
 * thousands of ports of ~40 bytes each. 1,024 is five times the largest real
 * declaration, and keeps the worst decision within milliseconds (docs/benchmarks.md).
 */
export const MAX_HOST_PORTS = 1024;

/** The denial of a pod declaring `count` host ports, past MAX_HOST_PORTS. */
export function overBudgetDenial(count: number): string {
  return `pod declares ${count} host ports; hostport-guard checks at most ${MAX_HOST_PORTS} per pod: declare fewer (a hostNetwork pod can bind ports it does not declare) or exempt the namespace`;
}

/**
 * The warning for a pod, or a workload's pods, declaring `count` host ports; short
 * enough for a warning line. A workload's pods are denied when created in enforce mode.
 */
export function overBudgetWarning(count: number, workload: boolean, podsDenied: boolean): string {
  if (!workload) return `pod declares ${count} host ports, more than the ${MAX_HOST_PORTS} hostport-guard checks: not checked`;
  const fate = podsDenied ? 'they will be denied' : 'they will not be checked';
  return `its pods declare ${count} host ports, more than the ${MAX_HOST_PORTS} hostport-guard checks: ${fate}`;
}

/** The audit annotation value for a subject declaring `count` host ports. */
export function overBudgetAnnotation(count: number): string {
  return `${count} declared, more than the ${MAX_HOST_PORTS} checked per pod: not checked`;
}
