// The x87 cases the host ran in 64-bit mode (tests/harness-x87/families64.ts: RIP-relative
// and REX-prefixed forms, FNSTENV/FLDENV, #MF, and the 64-bit FIP/FDP of FXSAVE64) at every
// tier, bit for bit; see x87-fixtures.test.ts for the 32-bit families.
import { describe, expect, it } from 'vitest';
import { checkFamily, familiesOf, report, X87_TIERS } from '../harness-x87/check.ts';

describe('x87 host-CPU fixtures, 64-bit mode', () => {
  for (const family of familiesOf(64))
    for (const tier of X87_TIERS)
      it(`${family} at the ${tier} tier`, { timeout: 300_000 }, () => {
        const r = checkFamily(family, tier);
        report(family, tier, r);
        expect(r.bad, `${r.badCount} of ${r.cases} cases differ`).toEqual([]);
      });
});
