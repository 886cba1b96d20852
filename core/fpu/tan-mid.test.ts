// FPTAN in [2^-18, 2^-6), and of k pi/2 + r with r there, against values recorded on the host
// (AMD EPYC family 1Ah, all exceptions masked) where the correctly rounded tangent (of the
// argument reduced with the host's pi) differs by one ulp.
import { describe, expect, it } from 'vitest';
import { fromHex } from './float80.ts';
import { FpEnv } from './round.ts';
import { Rc, Sw } from './status.ts';
import { ftan } from './transcend.ts';

describe('FPTAN as the host computes it (core/fpu/tan-mid.ts)', () => {
  // [x, host tan x, host C1]; RC nearest.
  const cases: [string, string, boolean][] = [
    ['3feef20e386d4f3ff07c', '3feef20e386d9762690b', true],
    ['3ff0b6c92703d10ad589', '3ff0b6c92705c207bc75', false],
    ['3ff2936c165db1877df1', '3ff2936c166dfd5e66f8', false],
    ['3ff493b00d331265ad65', '3ff493b00e39391a915e', true],
    ['bff4afac5637abc10c62', 'bff4afac57f0dee980f3', true],
    ['3ff68a00af6c766be41e', '3ff68a00bccaa2f3d088', false],
    ['3ff7f9300ae9bb7407c8', '3ff7f93145b915d530a1', false],
    ['3ff8dea4230db9e8a64a', '3ff8dea7a53dda27c41c', false],
    // k = 1, 2, 3, 6: -C / S for odd k, S / C for even k.
    ['3fffc919b2361d6b9e95', 'c00ad015ebba89502443', true],
    ['4000c913ba36f9dd1550', '3ff2f7e5366a905057a1', true],
    ['400196d3019c93cb5dc6', 'c0098fe7dd56d29108a9', true],
    ['400296ccdebd1ede520a', '3ff2fac3861ff478e818', false],
  ];
  for (const [x, want, c1] of cases)
    it(`tan(${x})`, () => {
      const env = new FpEnv(0x3f, Rc.Nearest, 64);
      expect(ftan(fromHex(x), env)).toEqual(fromHex(want));
      expect(env.flags).toBe(Sw.PE);
      expect(env.roundedUp).toBe(c1);
    });
});
