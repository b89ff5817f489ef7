/**
 * Which nodes a pod can be placed on, as the scheduler's filters decide it before ports
 * are compared: NodeAffinity (the nodeSelector and the required node affinity),
 * TaintToleration (NoSchedule and NoExecute taints against the pod's tolerations) and
 * NodeUnschedulable (a cordoned node against the toleration of its taint). The rules
 * restate k8s.io/component-helpers/scheduling/corev1/nodeaffinity, apimachinery's label
 * requirements, and Toleration.ToleratesTaint of Kubernetes 1.37.
 */
import { HOSTNAME_LABEL } from './target-node.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, PodSpecLike, Taint, Toleration } from './types.js';

/**
 * What the filters read of a node besides its name. Most nodes of a cluster share them
 * (one node pool, one set of taints), so the index keeps one copy for all of them.
 */
export interface NodeTraits {
  /** Every label except `kubernetes.io/hostname`, which differs on every node. */
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /** `spec.unschedulable`: the node is cordoned. */
  readonly unschedulable: boolean;
}

/** A node as the scheduler's filters see it. */
export interface NodeInfo {
  readonly name: string;
  /** The `kubernetes.io/hostname` label, when the node carries it. */
  readonly hostname?: string;
  readonly traits: NodeTraits;
}

/** A node's label `key`, the hostname label included. */
export function labelOf(node: NodeInfo, key: string): string | undefined {
  return key === HOSTNAME_LABEL ? node.hostname : node.traits.labels[key];
}

/** Which nodes a pod can be placed on. */
export interface NodeFilter {
  /**
   * The filter reads a node's name or hostname label, so nodes with the same traits can
   * differ; otherwise one node of each set of traits speaks for all of them.
   */
  readonly readsIdentity: boolean;
  accepts(node: NodeInfo): boolean;
}

/** The taint key a cordoned node is treated as carrying (`node.kubernetes.io/unschedulable:NoSchedule`). */
export const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/**
 * The tolerations the DaemonSet controller adds to every pod it creates
 * (pkg/controller/daemon/util AddOrUpdateDaemonPodTolerations): its pods stay on nodes
 * that are not ready, unreachable, under memory, disk or PID pressure, or cordoned, and
 * hostNetwork pods also on nodes whose network is not ready.
 */
export function daemonPodTolerations(spec: PodSpecLike): Toleration[] {
  const exists = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', effect });
  return [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists(UNSCHEDULABLE_TAINT.key, 'NoSchedule'),
    ...(spec.hostNetwork === true ? [exists('node.kubernetes.io/network-unavailable', 'NoSchedule')] : []),
  ];
}

/**
 * Whether one toleration tolerates one taint: an empty effect matches every effect, an
 * empty key every key; `Exists` matches every value, `Equal` (or no operator) only the
 * same value. `Lt` and `Gt` compare numbers only behind the alpha feature gate
 * TaintTolerationComparisonOperators (off by default), so here they tolerate nothing.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if ((toleration.effect ?? '') !== '' && toleration.effect !== taint.effect) return false;
  if ((toleration.key ?? '') !== '' && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** Only these effects keep a pod off a node; PreferNoSchedule is a score, not a filter. */
function repels(taint: Taint): boolean {
  return taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';
}

/** A Go `strconv.ParseInt(s, 10, 64)`: a decimal int64 with an optional sign, else undefined. */
function int64(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
}

/**
 * One matchExpressions requirement as a label selector requirement, or undefined when
 * apimachinery refuses to build it (then its whole term matches nothing).
 */
function labelRequirement(r: NodeSelectorRequirement): ((value: string | undefined) => boolean) | undefined {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return values.length === 0 ? undefined : (v) => v !== undefined && values.includes(v);
    case 'NotIn':
      return values.length === 0 ? undefined : (v) => v === undefined || !values.includes(v);
    case 'Exists':
      return values.length !== 0 ? undefined : (v) => v !== undefined;
    case 'DoesNotExist':
      return values.length !== 0 ? undefined : (v) => v === undefined;
    case 'Gt':
    case 'Lt': {
      const [only] = values;
      const bound = values.length === 1 && only !== undefined ? int64(only) : undefined;
      if (bound === undefined) return undefined;
      return (v) => {
        const n = v === undefined ? undefined : int64(v);
        if (n === undefined) return false;
        return r.operator === 'Gt' ? n > bound : n < bound;
      };
    }
    default:
      return undefined;
  }
}

/**
 * One matchFields requirement: only `In` and `NotIn` with exactly one value. The only
 * field a node has is `metadata.name`; any other key reads as empty.
 */
function fieldRequirement(r: NodeSelectorRequirement): ((node: NodeInfo) => boolean) | undefined {
  const values = r.values ?? [];
  const [value] = values;
  if (values.length !== 1 || value === undefined) return undefined;
  const field = (node: NodeInfo): string => (r.key === 'metadata.name' ? node.name : '');
  if (r.operator === 'In') return (node) => field(node) === value;
  if (r.operator === 'NotIn') return (node) => field(node) !== value;
  return undefined;
}

type NodeTest = (node: NodeInfo) => boolean;

/**
 * One nodeSelectorTerm: every requirement must hold. Undefined for an empty term, which
 * the scheduler drops (it selects nothing); a term apimachinery cannot parse matches no
 * node (the scheduler ignores the parse error for compatibility).
 */
function termTest(term: NodeSelectorTerm): NodeTest | undefined {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return undefined;
  const labelTests = expressions.map((r) => ({ key: r.key, test: labelRequirement(r) }));
  const fieldTests = fields.map(fieldRequirement);
  if (labelTests.some((t) => t.test === undefined) || fieldTests.some((t) => t === undefined)) return () => false;
  return (node) =>
    labelTests.every(({ key, test }) => test?.(labelOf(node, key)) === true) && fieldTests.every((test) => test?.(node) === true);
}

/** Whether a term reads the node's name or its hostname label. */
function termReadsIdentity(term: NodeSelectorTerm): boolean {
  return (term.matchFields ?? []).length > 0 || (term.matchExpressions ?? []).some((r) => r.key === HOSTNAME_LABEL);
}

/**
 * The nodes a pod with `spec` can be placed on: those matching its nodeSelector and its
 * required node affinity (terms ORed, requirements in a term ANDed), whose NoSchedule and
 * NoExecute taints it tolerates, and that are not cordoned unless it tolerates
 * `node.kubernetes.io/unschedulable:NoSchedule`. `extraTolerations` are added to the
 * pod's own (the DaemonSet controller's, for a DaemonSet's template).
 */
export function nodeFilterOf(spec: PodSpecLike, extraTolerations: readonly Toleration[] = []): NodeFilter {
  const selector = Object.entries(spec.nodeSelector ?? {});
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = required === undefined ? undefined : required.nodeSelectorTerms.map(termTest).filter((t) => t !== undefined);
  const tolerations = [...(spec.tolerations ?? []), ...extraTolerations];
  const tolerated = (taint: Taint): boolean => tolerations.some((t) => toleratesTaint(t, taint));
  const toleratesCordon = tolerated(UNSCHEDULABLE_TAINT);
  return {
    readsIdentity: selector.some(([key]) => key === HOSTNAME_LABEL) || (required?.nodeSelectorTerms ?? []).some(termReadsIdentity),
    accepts(node) {
      if (!selector.every(([key, value]) => labelOf(node, key) === value)) return false;
      if (terms !== undefined && !terms.some((term) => term(node))) return false;
      if (node.traits.unschedulable && !toleratesCordon) return false;
      return node.traits.taints.every((taint) => !repels(taint) || tolerated(taint));
    },
  };
}
