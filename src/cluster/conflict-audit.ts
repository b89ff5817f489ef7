/**
 * The conflicts that exist in the cluster now, kept from the index as it changes: when
 * the pods holding host ports on a node change, that node's conflicts are looked at
 * again, and only that node's. Changes that arrive together (a re-list replaces every
 * pod at once) are looked at once, after the current task, instead of once per pod.
 * No timer rescans the cluster: a conflict can only appear or end when a pod does.
 */
import type { Contester, ExistingConflict } from '../engine/existing-conflicts.js';
import { conflictKey, conflictsAmong, contesterKey } from '../engine/existing-conflicts.js';
import type { Occupant, ReservedPort } from '../engine/types.js';

/** What the audit reads: the index (PodIndex implements it). */
export interface AuditedIndex {
  occupantsOn(node: string): Iterable<Occupant>;
  occupiedNodes(): Iterable<string>;
  onNodeChanged(listener: (node: string) => void): void;
}

/** Told when a pod becomes part of a conflict and when it stops being part of it. */
export interface ConflictListener {
  /** A pod joined a conflict: the conflict is new, or one more pod holds its port. */
  joined(conflict: ExistingConflict, contester: Contester): void;
  /** A pod left a conflict: it went, or no other pod collides with it any more. */
  left(conflict: ExistingConflict, contester: Contester): void;
}

/** How many conflicts (contested ports) exist: in all, and on each node that has one. */
export interface ConflictCounts {
  readonly total: number;
  readonly byNode: ReadonlyMap<string, number>;
}

/** Collaborators of the audit. */
export interface ConflictAuditDeps {
  readonly index: AuditedIndex;
  /** Runs a callback soon, after the current task (setImmediate in production). */
  readonly defer: (callback: () => void) => void;
  readonly listeners?: readonly ConflictListener[];
  /** Node daemons' reserved ports, held on every node (the `reservedPorts` setting). */
  readonly reserved?: readonly ReservedPort[];
}

/** Keeps the conflicts of every node in step with the index. */
export class ConflictAudit {
  readonly #deps: ConflictAuditDeps;
  readonly #listeners: ConflictListener[];
  /** node -> conflict key -> conflict */
  readonly #byNode = new Map<string, Map<string, ExistingConflict>>();
  /** node -> contester key -> its conflict and itself */
  readonly #contesters = new Map<string, Map<string, { conflict: ExistingConflict; contester: Contester }>>();
  readonly #dirty = new Set<string>();
  #total = 0;
  #scheduled = false;
  #started = false;

  /** Wires the audit; nothing is looked at until start(). */
  constructor(deps: ConflictAuditDeps) {
    this.#deps = deps;
    this.#listeners = [...(deps.listeners ?? [])];
  }

  /** Adds a listener (before start(), or it misses the conflicts found so far). */
  listen(listener: ConflictListener): void {
    this.#listeners.push(listener);
  }

  /** Follows the index from now on, and looks at every node it already holds. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#deps.index.onNodeChanged((node) => {
      this.#markDirty(node);
    });
    for (const node of this.#deps.index.occupiedNodes()) this.#markDirty(node);
  }

  /** Looks at the nodes changed so far now, instead of after the current task. */
  flush(): void {
    this.#scheduled = false;
    const nodes = [...this.#dirty];
    this.#dirty.clear();
    for (const node of nodes) this.#audit(node);
  }

  /** Every conflict that exists now, by node. */
  current(): ExistingConflict[] {
    return [...this.#byNode.values()].flatMap((conflicts) => [...conflicts.values()]);
  }

  /** Whether the pod with this key (contesterKey) is still part of a conflict on `node`. */
  contests(key: string, node: string): boolean {
    return this.#contesters.get(node)?.has(key) === true;
  }

  /** How many conflicts exist, in all and per node. */
  counts(): ConflictCounts {
    const byNode = new Map<string, number>();
    for (const [node, conflicts] of this.#byNode) byNode.set(node, conflicts.size);
    return { total: this.#total, byNode };
  }

  #markDirty(node: string): void {
    this.#dirty.add(node);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#deps.defer(() => {
      if (this.#scheduled) this.flush();
    });
  }

  #audit(node: string): void {
    const before = this.#contesters.get(node) ?? new Map<string, { conflict: ExistingConflict; contester: Contester }>();
    const conflicts = conflictsAmong(node, this.#deps.index.occupantsOn(node), this.#deps.reserved ?? []);
    const after = new Map<string, { conflict: ExistingConflict; contester: Contester }>();
    for (const conflict of conflicts) {
      for (const contester of conflict.contesters) after.set(contesterKey(conflict, contester.occupant.pod), { conflict, contester });
    }
    this.#total += conflicts.length - (this.#byNode.get(node)?.size ?? 0);
    if (conflicts.length === 0) {
      this.#byNode.delete(node);
      this.#contesters.delete(node);
    } else {
      this.#byNode.set(node, new Map(conflicts.map((c) => [conflictKey(c), c])));
      this.#contesters.set(node, after);
    }
    for (const [key, { conflict, contester }] of before) {
      if (!after.has(key)) for (const l of this.#listeners) l.left(conflict, contester);
    }
    for (const [key, { conflict, contester }] of after) {
      if (!before.has(key)) for (const l of this.#listeners) l.joined(conflict, contester);
    }
  }
}
