/**
 * The conflicts that exist in the cluster now, kept from the index as it changes: when
 * the pods holding host ports on a node change, that node's conflicts are looked at
 * again, and only that node's. Changes that arrive together (a re-list replaces every
 * pod at once) are looked at once, after the current task, instead of once per pod.
 * No timer rescans the cluster: a conflict can only appear or end when a pod does.
 */
import type { ExistingConflict } from '../engine/existing-conflicts.js';
import { conflictKey, conflictsAmong } from '../engine/existing-conflicts.js';
import type { Occupant } from '../engine/types.js';

/** What the audit reads: the index (PodIndex implements it). */
export interface AuditedIndex {
  occupantsOn(node: string): Iterable<Occupant>;
  occupiedNodes(): Iterable<string>;
  onNodeChanged(listener: (node: string) => void): void;
}

/** Told when a conflict starts to exist and when it ends. */
export interface ConflictListener {
  appeared(conflict: ExistingConflict): void;
  resolved(conflict: ExistingConflict): void;
}

/** How many conflicts exist: in all, and on each node that has one. */
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
}

/** Keeps the conflicts of every node in step with the index. */
export class ConflictAudit {
  readonly #deps: ConflictAuditDeps;
  readonly #listeners: ConflictListener[];
  /** node -> conflict key -> conflict */
  readonly #byNode = new Map<string, Map<string, ExistingConflict>>();
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

  /** Whether the conflict with this key (conflictKey) still exists. */
  exists(key: string, node: string): boolean {
    return this.#byNode.get(node)?.has(key) === true;
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
    const before = this.#byNode.get(node) ?? new Map<string, ExistingConflict>();
    const after = new Map(conflictsAmong(node, this.#deps.index.occupantsOn(node)).map((c) => [conflictKey(c), c]));
    if (after.size === 0) this.#byNode.delete(node);
    else this.#byNode.set(node, after);
    this.#total += after.size - before.size;
    for (const [key, conflict] of before) {
      if (!after.has(key)) for (const l of this.#listeners) l.resolved(conflict);
    }
    for (const [key, conflict] of after) {
      if (!before.has(key)) for (const l of this.#listeners) l.appeared(conflict);
    }
  }
}
