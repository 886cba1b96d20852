// FPTAN against values recorded on the host (AMD EPYC family 1Ah, all exceptions masked,
// tests/harness-x87/native/unary-oracle.c), RC nearest, where the correctly rounded tangent
// (of the argument reduced with the host's pi) differs by one ulp: random draws in each range
// the earlier FPTAN models covered, and tan(bff9af202119f85c727c), which the [2^-6, 2^-5) model
// before this one missed.
import { describe, expect, it } from 'vitest';
import { fromHex } from './float80.ts';
import { FpEnv } from './round.ts';
import { Rc, Sw } from './status.ts';
import { ftan } from './transcend.ts';

/** [x, host tan x, host C1]. */
type Case = [string, string, boolean];

const RANGES: [string, Case[]][] = [
  [
    '[2^-33, 2^-18)',
    [
      ['3fe0c686c33516519537', '3fe0c686c3351651953a', true],
      ['3fe2ce14bfb465eb2a60', '3fe2ce14bfb465eb2a8c', false],
      ['3fe680174b8593596ea4', '3fe680174b8593597955', true],
      ['3fecfcbb15fe63e7fced', '3fecfcbb15fe6909ade9', true],
    ],
  ],
  [
    '[2^-18, 2^-6), and k pi/2 + r with r there (k = 1, 2, 3, 6)',
    [
      ['3feef20e386d4f3ff07c', '3feef20e386d9762690b', true],
      ['3ff0b6c92703d10ad589', '3ff0b6c92705c207bc75', false],
      ['3ff2936c165db1877df1', '3ff2936c166dfd5e66f8', false],
      ['3ff493b00d331265ad65', '3ff493b00e39391a915e', true],
      ['bff4afac5637abc10c62', 'bff4afac57f0dee980f3', true],
      ['3ff68a00af6c766be41e', '3ff68a00bccaa2f3d088', false],
      ['3ff7f9300ae9bb7407c8', '3ff7f93145b915d530a1', false],
      ['3ff8dea4230db9e8a64a', '3ff8dea7a53dda27c41c', false],
      ['3fffc919b2361d6b9e95', 'c00ad015ebba89502443', true],
      ['4000c913ba36f9dd1550', '3ff2f7e5366a905057a1', true],
      ['400196d3019c93cb5dc6', 'c0098fe7dd56d29108a9', true],
      ['400296ccdebd1ede520a', '3ff2fac3861ff478e818', false],
    ],
  ],
  [
    '[2^-6, 2^-5), and k pi/2 + r with r there (k = 2, 1, 1, 3)',
    [
      ['3ff9dcc00802c13e2e1a', '3ff9dccdb6c0010f2322', true],
      ['3ff9a0a0d3d2de5799ac', '3ff9a0a61921d1503087', false],
      ['bff9bf0de3eb4d6d9118', 'bff9bf16c288aecbcfcc', true],
      ['3ff9ade090b5b9c3c76b', '3ff9ade7403ded353ed0', true],
      ['bff9f0b280aa9592116b', 'bff9f0c43d91fb839f81', false],
      ['bff98ea194123ec1e623', 'bff98ea544bac5894f21', true],
      ['bff9af202119f85c727c', 'bff9af26f5c3f943c751', false],
      ['40029734bee79d277887', '3ff9d1c197032626ebb3', true],
      ['4001fc53bfe9e8373f2b', 'c003fffc0db20e9f346c', false],
      ['3fffc6682a6820b5ae3d', '4004c0d04bad18fbd6bf', false],
      ['40019769ae6eb2741256', 'c004cfa4412df152d963', true],
    ],
  ],
  [
    '[2^-5, pi/4], and k pi/2 + r with r there (k = 2, 1, 1, 1)',
    [
      ['3ffbf7e20ba58306d03b', '3ffbf919c1905ac78e96', true],
      ['3ffdd5f51a3993550840', '3ffde3591046ea72ffac', true],
      ['3ffbe954e8c08e48e488', '3ffbea58b5d01209460d', false],
      ['3ffcb107ce7c275e1a38', '3ffcb2d0c6a8ce42946f', true],
      ['bffe86f20c5158f00800', 'bffe95027f5f957faf3f', true],
      ['bffbe252a2dc88e6823d', 'bffbe33fa5f5d5487afa', true],
      ['c000a5350146f40924ff', '3ffea094fe2a9d5751e5', false],
      ['bffee9b9601bf19c9fee', 'bfffa5ac687a5f7c4f61', false],
      ['bfffa629ab6a129cede3', 'c000e4e34d5a2bfca463', false],
      ['3fff957671047e44f3c4', '400096114322ad68f37b', false],
    ],
  ],
];

describe('FPTAN as the host computes it (core/fpu/tan-rational.ts)', () => {
  for (const [range, cases] of RANGES)
    for (const [x, want, c1] of cases)
      it(`tan(${x}), ${range}`, () => {
        const env = new FpEnv(0x3f, Rc.Nearest, 64);
        expect(ftan(fromHex(x), env)).toEqual(fromHex(want));
        expect(env.flags).toBe(Sw.PE);
        expect(env.roundedUp).toBe(c1);
      });
});
