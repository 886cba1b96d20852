// FPATAN against values recorded on the host (AMD EPYC family 1Ah, RC nearest, all exceptions
// masked) where the correctly rounded atan2 differs by one ulp: small ratios and the host's pi.
import { describe, expect, it } from 'vitest';
import { fromHex } from './float80.ts';
import { FpEnv } from './round.ts';
import { Rc, Sw } from './status.ts';
import { fpatan } from './transcend.ts';

describe('FPATAN as the host computes it (core/fpu/atan-small.ts)', () => {
  // [y, x, host result, host C1]; the correctly rounded results are one ulp away.
  const cases: [string, string, string, boolean][] = [
    // Correction region: T69(z) less the correction truncated to 1/16 ulp.
    ['3febbdff208c9905172d', '3fffa5378a88e36fc0cc', '3feb93329f6808602148', false],
    ['3febc264329fafc6f998', '3fffba3192d42eebfb53', '3feb85a2b664fc17348a', true],
    // z < 2^-40: T69(z), just below.
    ['3fc395bf9e74164ac658', '3fff890c186e03c7b4ff', '3fc38bdcdf593fa16515', false],
    ['bfc395bf9e74164ac658', '3fff890c186e03c7b4ff', 'bfc38bdcdf593fa16515', false],
    // pi - atan(w) and pi/2 - atan(w) with the host's pi truncated to 66 bits.
    ['3fc1e91f3e27895daa8f', 'bfffba49457206b2526e', '4000c90fdaa22168c233', false],
    ['3ffffa20dc882967c87d', '3ffcdfdffc12448744e0', '3fffbaccf3abf6f31c1c', false],
  ];
  for (const [y, x, want, c1] of cases)
    it(`atan(${y} / ${x})`, () => {
      const env = new FpEnv(0x3f, Rc.Nearest, 64);
      expect(fpatan(fromHex(y), fromHex(x), env)).toEqual(fromHex(want));
      expect(env.flags).toBe(Sw.PE);
      expect(env.roundedUp).toBe(c1);
    });
});
