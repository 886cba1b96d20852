// FPATAN as the host's microcode computes it (AMD EPYC family 1Ah, the CPU the x87 fixtures
// were recorded on): small ratios exactly, and the pi of the other quadrants. For
// z = |y| / |x| < 2^-5 the host's atan(z) is not the correctly rounded one: directed rounding
// (RC up and RC down on the same operands) places its internal value at
//
//   v = T69(z) - F(c(z)),  and the value it rounds lies just below v,
//
// where T69 truncates the exact quotient to 69 significant bits (1/32 of a 64-bit ulp), c is
// the host's polynomial for the correction z - atan(z) = z^3/3 - z^5/5 + ..., and F truncates
// it to a multiple of 2^-67 relative to z's binade (1/16 of an ulp), i.e. to the even units of
// T69's last bit. The sticky part (the quotient's remainder, the correction's dropped bits)
// always counts as "below": atan(z) < z. Below 2^-40 the correction is below the grid and
// v = T69(z): the result depends on the significands alone, the same at every exponent.
//
// The other quadrants add pi or pi/2 (x < 0, or |y| > |x|), and the host's pi is truncated to
// 66 bits, as in the trigonometric reduction; the small-ratio atan enters as above.
//
// Measured with tests/harness-x87/fpatan-small.ts (random operands of both signs in every
// quadrant, every RC, denormal operands and results). Of 20,000: with a ratio below 2^-5, the
// 3,960 results atan(w) and the 11,417 of the other quadrants all match (correct rounding:
// 3,861 and 11,253); with larger ratios in the other quadrants, where only the pi is the
// host's, 3,395 of 3,431 (correct rounding: 3,344). Of 60,000, 2 of the 34,541 small ratios of
// the other quadrants differ, both with pi/2 ± atan(w) within 2 units of the atan's last bit
// of the 64-bit grid, where the host returns the grid point with C1 clear (about 1 in 2,000
// results for ratios in [2^-7, 2^-5), none in 60,000 in [2^-12, 2^-10); no rule tried, a
// rounding of the sum to 73-76 bits, a unit more or less of the atan, fits those). In
// [2^-5, 2^-4) the polynomial misses 1 of 4,007 random ratios (a correction within 1/1,000 of
// a unit of F's grid), and above 2^-3 no polynomial of degree 19 fits, so the small-ratio
// model stops at 2^-5.

import { bitLength } from './float80.ts';
import { HOST_HALF_PI } from './host68.ts';

/** The small-ratio model applies below 2^SMALL_ATAN_EXP. */
const SMALL_ATAN_EXP = -5;

/** Significant bits of the host's truncated quotient. */
const QUOTIENT_BITS = 69;

/** The correction is truncated to multiples of this many units of the quotient's last bit. */
const CORRECTION_GRID = 2n;

/** Guard bits of the correction's evaluation below the quotient's last bit. */
const GUARD_BITS = 64;

/** Below this binade of z the correction (< z^3/3) is below its grid and truncates to 0. */
const NO_CORRECTION_EXP = -40;

/** Fraction bits of the correction's coefficients. */
const COEFF_BITS = 128n;

/**
 * The host's correction z - atan(z) = a1 z^3 + a2 z^5 + ... + a7 z^15, the ak × 2^128: the Taylor
 * coefficients (+1/3, -1/5, +1/7, ...) moved by -2.7e-19, +1.9e-16, -3.5e-13, +3.6e-10, -1.8e-7,
 * +4.4e-5 and -4.2e-3 (a7 = 1/15 - 0.0042). Fitted by linear programming (largest margin) to the
 * brackets that RC down and RC nearest put on 56,000 host results atan(w / 1) for w in
 * [2^-8, 2^-4); the exact series (the Taylor coefficients to infinity) misses 19 of 20,000
 * random ratios in [2^-8, 2^-5), this polynomial none.
 */
const HOST_ATAN_CORRECTION = [
  0x5555_5555_5555_5550_437b_4467_d667_9555n,
  -0x3333_3333_3333_25bb_c652_dfae_1433_3333n,
  0x2492_4924_91e5_681c_0191_56e9_2492_4925n,
  -0x1c71_c71a_e098_e9a2_f5a6_11c7_1c71_c71cn,
  0x1745_ce65_8bb5_372f_b8dd_1745_d174_5d17n,
  -0x13ae_5ec4_a797_72ff_9b13_b13b_13b1_3b14n,
  0x0ffb_e91d_97ba_33d1_1111_1111_1111_1111n,
];

/**
 * The host's pi/2 in fixed point with q >= 65 fractional bits: FPATAN adds the same 66-bit pi
 * as the trigonometric reduction in the other quadrants (pi/2 ± atan, pi - atan). Measured
 * with tests/harness-x87/fpatan-small.ts: with the exact pi, results near pi/2 and pi round
 * like the true value 0.7687 of an ulp above the 64-bit grid instead of the host's 0.75.
 */
export function hostHalfPi(q: number): bigint {
  return HOST_HALF_PI.m << BigInt(q + HOST_HALF_PI.e);
}

/** A finite nonzero magnitude sig × 2^scale. */
export interface Magnitude {
  sig: bigint;
  scale: number;
}

/**
 * The host's internal atan(ny / nx) for magnitudes with ny / nx < 2^SMALL_ATAN_EXP, as
 * sig × 2^scale; the true value the host rounds lies just below it. Undefined outside that range.
 */
export function smallAtan(ny: Magnitude, nx: Magnitude): Magnitude | undefined {
  const by = bitLength(ny.sig);
  const bx = bitLength(nx.sig);
  // z = (ny.sig / nx.sig) 2^(ny.scale - nx.scale), and ny.sig / nx.sig lies in (2^(by-bx-1), 2^(by-bx+1)):
  // shift (>= 5: significands have at most 64 bits) makes the quotient 69 bits long.
  let shift = QUOTIENT_BITS - 1 - (by - bx);
  let q = (ny.sig << BigInt(shift)) / nx.sig;
  if (q < 1n << BigInt(QUOTIENT_BITS - 1)) q = (ny.sig << BigInt(++shift)) / nx.sig;
  // q has QUOTIENT_BITS bits and its last bit weighs 2^lsb.
  const lsb = ny.scale - nx.scale - shift;
  const binade = lsb + QUOTIENT_BITS - 1;
  if (binade >= SMALL_ATAN_EXP) return undefined;
  if (binade < NO_CORRECTION_EXP) return { sig: q, scale: lsb };
  // z in fixed point with p fractional bits: GUARD_BITS below the quotient's last bit.
  const p = GUARD_BITS - lsb;
  const z = (ny.sig << BigInt(GUARD_BITS + shift)) / nx.sig;
  const z2 = (z * z) >> BigInt(p);
  let term = (z * z2) >> BigInt(p);
  let correction = 0n;
  for (const a of HOST_ATAN_CORRECTION) {
    correction += (a * term) >> COEFF_BITS;
    term = (term * z2) >> BigInt(p);
  }
  const grid = CORRECTION_GRID << BigInt(GUARD_BITS);
  return { sig: q - (correction / grid) * CORRECTION_GRID, scale: lsb };
}
