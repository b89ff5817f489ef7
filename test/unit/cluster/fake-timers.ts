/**
 * Timers driven by the test: `advance(ms)` runs due callbacks in time order and lets
 * promise chains settle between them, so async loops can be stepped deterministically.
 */
import type { Cancel, Timers } from '../../../src/cluster/timers.js';

interface Task {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** Lets every pending promise continuation run (a few macrotask turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) {
    await new Promise<void>((resolve) => {
      setImmediate(resolve);
    });
  }
}

/** A clock that only moves when told to. */
export class FakeTimers implements Timers {
  #now = 0;
  #seq = 0;
  #tasks: Task[] = [];

  now(): number {
    return this.#now;
  }

  schedule(ms: number, callback: () => void): Cancel {
    const task: Task = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback, cancelled: false };
    this.#tasks.push(task);
    return () => {
      task.cancelled = true;
    };
  }

  /** Callbacks scheduled and neither run nor cancelled. */
  pending(): number {
    return this.#tasks.filter((t) => !t.cancelled).length;
  }

  /** Moves the clock forward by `ms`, running what falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      this.#tasks = this.#tasks.filter((t) => !t.cancelled);
      const due = this.#tasks.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.#tasks = this.#tasks.filter((t) => t !== due);
      this.#now = due.at;
      due.callback();
      await settle();
    }
    this.#now = target;
  }
}
