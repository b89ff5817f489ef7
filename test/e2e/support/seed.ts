/** The seed of a randomised e2e scenario (the generator is test/support/prng.ts). */

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
