// The recorded host-CPU x87 cases (tests/fixtures/x87/, recorded by tests/harness-x87/) run
// through wasmkvm at every tier: blocks called from JS, one instruction per block, and blocks
// chained by the Wasm dispatcher. This file takes the 32-bit families, x87-fixtures64.test.ts
// the 64-bit ones. Everything must match bit for bit, the transcendental instructions too:
// the host's microcode does not round them correctly, and core/fpu models it
// (tests/harness-x87/README.md "The transcendentals"); their figures are printed.
import { describe, expect, it } from 'vitest';
import { checkFamily, familiesOf, report, X87_TIERS } from '../harness-x87/check.ts';

describe('x87 host-CPU fixtures, 32-bit mode', () => {
  for (const family of familiesOf(32))
    for (const tier of X87_TIERS)
      it(`${family} at the ${tier} tier`, { timeout: 300_000 }, () => {
        const r = checkFamily(family, tier);
        report(family, tier, r);
        expect(r.bad, `${r.badCount} of ${r.cases} cases differ`).toEqual([]);
      });
});
