// FSIN and FCOS (and so FSINCOS) as the host's microcode computes them (AMD EPYC family 1Ah,
// the CPU the x87 fixtures were recorded on). Its results are not correctly rounded: the
// error of its polynomials shows in about 2 % of random operands (tests/harness-x87/README.md
// "FSIN and FCOS").
//
// What the host does, measured with tests/harness-x87/sincos-host.ts (native oracle
// tests/harness-x87/native/sincos-oracle.c; RC up and RC down bracket the host's internal
// value, an equal pair puts it exactly on the 64-bit grid):
// - The reduction r = x - k pi/2 uses pi truncated to 66 bits and is exact: r is a multiple
//   of 2^-65 (or of the operand's own last bit) below pi/4 in magnitude.
// - sin r = r + T and cos r = 1 + T, the sum rounded once to the register with the caller's
//   RC. T is a 68-bit float: the host's value lies on the 64-bit grid as often as the 68-bit
//   grid of T predicts (from 0.04 % for cos at r = 0.1 to 3 % at r = pi/4).
// - The host's error against the exact sin r is a smooth function of r, equi-rippling in
//   relative terms at about 2^-69: zeros near r = 0.08, 0.22, 0.37, 0.50, 0.60, 0.69, 0.75,
//   0.78, where a minimax polynomial of degree 7 in r^2 (to r^15) on [0, pi/4] has them. For
//   cos the ripple is far smaller (degree 8, about 2^-76).
// - Evaluation: y = RN68(r^2), Horner p = RN68(c_i + RN68(y p)) down to c1, then
//   T = RN68(y p1) for cos and T = RN68(RN68(r y) p1) for sin; RN68 rounds to 68 significant
//   bits, nearest-even. A host result exactly on the 64-bit grid gives T, and so mostly one
//   68-bit p1: the coefficients were fitted (linear programming) on such pinned p1, c1 and c2
//   scanned over 68-bit grid points (cos: c1 = -1/2 exactly).
// - The cosine's c2..c8 were refitted on results that decide p2 to the unit: where
//   p1 = RN68(-1/2 + RN68(y p2)) lies near a tie, RC up and down tell which p1 the host got,
//   hence which 68-bit p2; the 30,000 such results of two random sets in [0.1, pi/4] bound
//   the unrounded c2 + y p3 from one side each, and a linear program over c2..c8 fits them
//   (c2 held on the 68-bit grid). c2 lies 22 units of 2^-72 above the first fit: 21 or 23
//   units, or a quarter unit off the grid, miss 2.5 to 10 times more results; c3 is fixed to
//   the unit (one unit off: 7 to 14 times more). Held out: 20,000 results chosen as sensitive
//   to any step of the cosine, missed by 145 with the first coefficients and by 1 with these.
// - The sine's c2..c7 were refitted the same way one level down, on 6,000 results that decide
//   the sine's p2 to the unit (p1 = RN68(c1 + RN68(y p2)) near a tie; about 1 random r in
//   4,500), c1 kept: c2 lies 7 units of 2^-74 below the first fit (6 or 8 units: 3 to 5 times
//   more misses). Held out, 6,000 such results of another set: 260 missed with the first
//   coefficients, 7 with these; 30,000 results that decide p1: 41 and 1.
// - Measured with `npx tsx tests/harness-x87/sincos-host.ts 4000` (412,000 random operands
//   per function, every binade from 2^-40 to 2^62, both signs, all four RC; value, C1 and
//   flags): FSIN matches 1,648,000 and FCOS 1,647,999 of 1,648,000 results (correctly
//   rounded: 1,632,910 and 1,633,997; the first coefficients: 1,647,967 and 1,647,949). With
//   2000 and 500 per binade all match (tests/harness-x87/README.md "FSIN and FCOS").

import { bitLength, type F80, finite } from './float80.ts';
import { type FpEnv, roundExtended } from './round.ts';
import { Sw } from './status.ts';
import { type Bin, HOST_HALF_PI, horner68, mul68, sumExact } from './host68.ts';

/** The coefficients c1.. of sin r = r (1 + c1 y + c2 y^2 + ...), y = r^2, as fitted on the host. */
const SIN_COEFFS: readonly Bin[] = [
  { m: -0xa_aaaa_aaaa_aaaa_a973n, e: -70 },
  { m: 0x8_8888_8888_8885_699cn, e: -74 },
  { m: -0xd_00d0_0d00_c536_5146n, e: -80 },
  { m: 0xb_8ef1_d299_845c_9722n, e: -86 },
  { m: -0xd_7322_946b_f356_c4c1n, e: -93 },
  { m: 0xb_0904_623e_8b53_59f3n, e: -100 },
  { m: -0xd_5512_38b3_c3a1_f133n, e: -108 },
];

/** The coefficients c1.. of cos r = 1 + c1 y + c2 y^2 + ..., y = r^2, as fitted on the host. */
const COS_COEFFS: readonly Bin[] = [
  { m: -0x8_0000_0000_0000_0000n, e: -68 },
  { m: 0xa_aaaa_aaaa_aaaa_aa48n, e: -72 },
  { m: -0xb_60b6_0b60_b609_bcaan, e: -77 },
  { m: 0xd_00d0_0d00_cabf_e2cbn, e: -83 },
  { m: -0x9_3f27_dbb3_e4db_4fa5n, e: -89 },
  { m: 0x8_f76c_6976_2c52_3e3cn, e: -96 },
  { m: -0xc_9c9e_8b18_3a06_77e4n, e: -104 },
  { m: 0xd_5845_3d75_a1c5_c062n, e: -112 },
];

/** sin r (exact sum r + T) for a reduced r. */
function sinReduced(r: Bin): Bin {
  const y = mul68(r, r);
  return sumExact(r, mul68(mul68(r, y), horner68(SIN_COEFFS, y)));
}

/** cos r (exact sum 1 + T) for a reduced r. */
function cosReduced(r: Bin): Bin {
  const y = mul68(r, r);
  return sumExact({ m: 1n, e: 0 }, mul68(y, horner68(COS_COEFFS, y)));
}

/** |x| = sig × 2^scale reduced by the nearest multiple k of pi/2: [r, k mod 4], r exact. */
export function reduceHalfPi(sig: bigint, scale: number): [Bin, number] {
  const e = Math.min(scale, HOST_HALF_PI.e);
  const x = sig << BigInt(scale - e);
  const h = HOST_HALF_PI.m << BigInt(HOST_HALF_PI.e - e);
  // No ties: x = (k + 1/2) pi/2 would be an odd multiple of the odd 66-bit m, more than 64 bits.
  const k = (2n * x + h) / (2n * h);
  return [{ m: x - k * h, e }, Number(k & 3n)];
}

/** sin (which = 0) or cos (which = 1) of a finite nonzero operand below 2^63, as the host rounds it. */
function hostSinCos(a: F80, which: 0 | 1, env: FpEnv): F80 {
  const f = finite(a);
  const [r, q] = reduceHalfPi(f.sig, f.scale);
  // sin(x + k pi/2) and cos(x + k pi/2) cycle through sin, cos, -sin, -cos with k.
  const n = (q + which) & 3;
  let v = n & 1 ? cosReduced(r) : sinReduced(r);
  let sign = n & 2 ? 1 : 0;
  // sin is odd, cos even.
  if (a.sign && which === 0) sign ^= 1;
  if (v.m < 0n) {
    v = { m: -v.m, e: v.e };
    sign ^= 1;
  }
  const res = roundExtended(sign, v.m, v.e, env);
  // A result exactly on the 64-bit grid still reports PE and no round-up (as the host does).
  const drop = BigInt(Math.max(0, bitLength(v.m) - 64));
  if ((v.m & ((1n << drop) - 1n)) === 0n) {
    env.flags |= Sw.PE;
    env.roundedUp = false;
  }
  return res;
}

export const hostSin = (a: F80, env: FpEnv): F80 => hostSinCos(a, 0, env);
export const hostCos = (a: F80, env: FpEnv): F80 => hostSinCos(a, 1, env);
