/**
 * A seeded pseudo-random generator (mulberry32, a public-domain 32-bit generator), so a
 * failing random scenario can be replayed with the seed it printed.
 */

/** Draws from a seeded sequence. */
export interface Random {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** One element of `items` (which must not be empty). */
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
}

/** A generator for `seed` (an unsigned 32-bit integer). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    chance: (p) => next() < p,
  };
}

/** The seed from HPG_E2E_SEED, else a fresh one. */
export function seedFromEnv(): number {
  const given = process.env['HPG_E2E_SEED'];
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`HPG_E2E_SEED must be an integer 0..4294967295, got ${given}`);
    return seed;
  }
  return Math.floor(Math.random() * 0xffffffff);
}
