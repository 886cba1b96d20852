// FPATAN as the host's microcode computes it (AMD EPYC family 1Ah, the CPU the x87 fixtures
// were recorded on): small ratios exactly, and the pi of the other quadrants. For
// z = |y| / |x| < 2^-8 the host's atan(z) is not the correctly rounded one: directed rounding
// (RC up and RC down on the same operands) places its internal value at
//
//   v = T69(z) - F(z - atan(z)),  and the value it rounds lies just below v,
//
// where T69 truncates the exact quotient to 69 significant bits (1/32 of a 64-bit ulp) and F
// truncates the correction z - atan(z) = z^3/3 - z^5/5 + ... to a multiple of 2^-67 relative to
// z's binade (1/16 of an ulp), i.e. to the even units of T69's last bit. The sticky part (the
// quotient's remainder, the correction's dropped bits) always counts as "below": atan(z) < z.
// Below 2^-40 the correction is below the grid and v = T69(z): the result depends on the
// significands alone, the same at every exponent.
//
// The other quadrants add pi or pi/2 (x < 0, or |y| > |x|), and the host's pi is truncated to
// 66 bits, as in the trigonometric reduction.
//
// Measured with tests/harness-x87/fpatan-small.ts (random operands of both signs in every
// quadrant, every RC, denormal operands and results): of 20,000, the 15,235 with a ratio below
// 2^-8 all match (correct rounding: 14,959), and with larger ratios in the other quadrants,
// where only the pi is the host's, 3,533 of 3,554 (correct rounding: 3,472); 2,000 random
// ratios in each binade from 2^-11 to 2^-8 match too. From 2^-7 up the correction the host
// evaluates is no longer the exact one to the last grid unit (1 of 2,000 random ratios in
// [2^-7, 2^-6) moves by 1/32 of an ulp), so the small-ratio model stops at 2^-8.

import { bitLength } from './float80.ts';

/** The small-ratio model applies below 2^SMALL_ATAN_EXP. */
const SMALL_ATAN_EXP = -8;

/** Significant bits of the host's truncated quotient. */
const QUOTIENT_BITS = 69;

/** The correction is truncated to multiples of this many units of the quotient's last bit. */
const CORRECTION_GRID = 2n;

/** Guard bits of the correction's series below the quotient's last bit. */
const GUARD_BITS = 64;

/** Below this binade of z the correction (< z^3/3) is below its grid and truncates to 0. */
const NO_CORRECTION_EXP = -40;

/**
 * pi as FPATAN adds it in the other quadrants (pi/2 ± atan, pi - atan): truncated to 66
 * significant bits, pi × 2^64 rounded down, as in the trigonometric reduction (bits 67-69 of
 * pi are zero). Measured with tests/harness-x87/fpatan-small.ts: with the exact pi, results
 * near pi/2 and pi round like the true value 0.7687 of an ulp above the 64-bit grid instead of
 * the host's 0.75.
 */
const HOST_PI = 0x3_243f_6a88_85a3_08d3n;

/** The host's pi/2 in fixed point with q >= 65 fractional bits. */
export function hostHalfPi(q: number): bigint {
  return HOST_PI << BigInt(q - 65);
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
  for (let k = 3n; term !== 0n; k += 2n) {
    correction += (k & 2n ? term : -term) / k;
    term = (term * z2) >> BigInt(p);
  }
  const grid = CORRECTION_GRID << BigInt(GUARD_BITS);
  return { sig: q - (correction / grid) * CORRECTION_GRID, scale: lsb };
}
