// The 64-bit half of the differential suite: every case the host CPU ran in 64-bit mode
// (tests/fixtures/cpu/*64.jsonl and the integer-extension families, see
// tests/harness/README.md) must come out the same on our CPU at every execution tier, bit
// for bit except what the SDM leaves undefined (tests/fixtures/cpu/undefined-flags.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFixtureFamilies } from '../harness/fixture-format.ts';
import { diffOutcome64, loadAnyFixtures, type FixtureFile64 } from '../harness/fixture-format64.ts';
import { FixtureRunner64, byCode, type Tier } from '../lib/fixture-runner.ts';

const TIERS: Tier[] = ['block', 'single', 'dispatch'];

/**
 * Families recorded on the host whose instructions are still being implemented: skipped until
 * that work lands; remove an entry then. (The integer extensions, popcnt64 lzcnt64 movbe64
 * bmi1-64 bmi2-64 adx64 cmpxchg16b, have landed: jit/emit/bits.ts, bmi.ts, moves.ts, atomic.ts.)
 */
export const PENDING_FAMILIES: readonly string[] = [];

/**
 * 64-bit families that disagree with the host today, with the reason: each is routed to the
 * engineer who owns that part of the CPU. The goal is an empty list.
 */
export const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {
};

const families64 = listFixtureFamilies('64');

describe.each(families64)('host-CPU fixtures, 64-bit mode: %s', (family) => {
  const skip = PENDING_FAMILIES.includes(family) || family in KNOWN_DIFFERENCES;
  // Loaded for this family's tests only: all the 64-bit files together are large.
  let file: FixtureFile64 | undefined;
  let order: number[] = [];
  beforeAll(() => {
    if (skip) return;
    file = loadAnyFixtures(family) as FixtureFile64;
    order = byCode(file.cases);
  });
  afterAll(() => {
    file = undefined;
  });
  it.skipIf(skip).each(TIERS)(
    'all cases match at tier %s',
    (tier) => {
      const cases = file!.cases;
      const runner = new FixtureRunner64();
      const failures: string[] = [];
      for (const i of order) {
        const c = cases[i]!;
        const diff = diffOutcome64(c, runner.run(c, tier));
        if (diff.length)
          failures.push(`#${c.index} ${c.asm} [${Buffer.from(c.code).toString('hex')}]: ${diff.join('; ')}`);
      }
      expect(failures.slice(0, 10), `${failures.length} of ${cases.length} cases differ`).toEqual([]);
    },
    600_000,
  );
});

it('lists only recorded families as pending or different', () => {
  for (const f of [...PENDING_FAMILIES, ...Object.keys(KNOWN_DIFFERENCES)]) expect(families64).toContain(f);
});
