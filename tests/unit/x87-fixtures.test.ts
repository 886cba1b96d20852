// The recorded host-CPU x87 cases (tests/fixtures/x87/, recorded by tests/harness-x87/) run
// through wasmkvm at every tier: blocks called from JS, one instruction per block, and blocks
// chained by the Wasm dispatcher. This file takes the 32-bit families, x87-fixtures64.test.ts
// the 64-bit ones. Everything must match bit for bit, except results of the transcendental
// instructions that differ from the host's by one unit in the last place (with C1, which
// reports the rounding direction): the host's microcode is not correctly rounded
// (tests/harness-x87/README.md); their figures are printed and bounded here.
import { describe, expect, it } from 'vitest';
import { checkFamily, familiesOf, report, X87_TIERS } from '../harness-x87/check.ts';

/**
 * Transcendental cases per family that may differ from the host by one ulp today
 * (tests/harness-x87/README.md "The transcendentals"); every other family, fptan-small
 * included, must match exactly.
 */
const ONE_ULP_BOUND: Record<string, number> = { transcendental: 0, 'transcendental-special': 0, 'sincos-host': 0 };

describe('x87 host-CPU fixtures, 32-bit mode', () => {
  for (const family of familiesOf(32))
    for (const tier of X87_TIERS)
      it(`${family} at the ${tier} tier`, { timeout: 300_000 }, () => {
        const r = checkFamily(family, tier);
        report(family, tier, r);
        expect(r.bad, `${r.badCount} of ${r.cases} cases differ`).toEqual([]);
        const oneUlp = [...r.transcendental.values()].reduce((n, t) => n + t.oneUlp, 0);
        expect(oneUlp, 'transcendental cases one ulp from the host').toBeLessThanOrEqual(ONE_ULP_BOUND[family] ?? 0);
      });
});
