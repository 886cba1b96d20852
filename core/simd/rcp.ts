// RCPPS/RCPSS and RSQRTPS/RSQRTSS, bit for bit as the AMD host that recorded the SSE fixtures
// computes them (AMD EPYC, family 1Ah, Zen 5). The SDM (Vol. 2B RCPPS, RSQRTPS) only bounds
// the relative error by 1.5 * 2^-12 and leaves the value to the implementation: Intel parts
// return other approximations, so a guest told GenuineIntel (the default CPUID) still sees
// this AMD behaviour. What the host does, found by tests/harness-sse/rcp/probe.c over every
// significand (check.ts there compares this model with the host for all of them):
//  - the result depends only on the sign, the exponent (RSQRTPS: its parity and its half) and
//    the top 12 significand bits; its significand is 12 bits from a table, the low 11 zero;
//  - the table entry for index i is BASE[i >> 4] minus a drop that depends on i & 15 and the
//    top 4 index bits (rcp-table.ts, generated from the host's outputs). No closed form was
//    found: the bases stray irregularly from 1/x and 1/sqrt(x), by up to 1.25 units, and one
//    RSQRTPS drop pattern is not the floor of a linear function of i & 15;
//  - MXCSR changes nothing: no rounding-mode effect, no flags, and denormal sources count as
//    zero and tiny results flush to zero whatever DAZ and FTZ say (as the SDM describes);
//  - zero -> infinity and infinity -> zero of the same sign; an SNaN is quieted, a QNaN passes;
//    RSQRTPS of a negative value (-infinity too, but not -0 or a negative denormal) is the QNaN
//    indefinite.
import { RCP_BASE, RCP_STEPS, RSQRT_BASE, RSQRT_STEPS } from './rcp-table.ts';

const SIGN = 0x80000000;
const FRAC_BITS = 23;
const FRAC_MASK = (1 << FRAC_BITS) - 1;
const EXP_MAX = 0xff;
const BIAS = 127;
const QUIET = 1 << (FRAC_BITS - 1);
const INFINITY = EXP_MAX << FRAC_BITS;
/** The QNaN floating-point indefinite (SDM Vol. 1 4.8.3.7). */
const INDEFINITE = (SIGN | INFINITY | QUIET) >>> 0;
/** The table is indexed by the top 12 significand bits; its entries fill the result's top 12. */
const INDEX_BITS = 12;
const LOW_BITS = FRAC_BITS - INDEX_BITS;
/** Table results lie in [1/2, 1): exponent BIAS - 1 for inputs in [1, 2) (RSQRTPS: [1, 4)). */
const RESULT_EXP = BIAS - 1;

/** Expands step patterns ('2122...', 15 digits) into drops: entry c * 16 + k is the sum of the first k digits of pattern c. */
function drops(steps: readonly string[]): Uint8Array {
  const out = new Uint8Array(steps.length * 16);
  steps.forEach((s, c) => {
    for (let k = 1; k < 16; k++) out[c * 16 + k] = out[c * 16 + k - 1]! + Number(s[k - 1]);
  });
  return out;
}

const RCP_DROP = drops(RCP_STEPS);
const RSQRT_DROP = drops(RSQRT_STEPS);

function entry(base: Uint16Array, drop: Uint8Array, i: number): number {
  return base[i >> 4]! - drop[((i >> 8) << 4) | (i & 15)]!;
}

/** RCPSS on one single-precision bit pattern (unsigned 32-bit number in, out). */
export function rcp32(x: number): number {
  const sign = x & SIGN;
  const e = (x >>> FRAC_BITS) & EXP_MAX;
  const frac = x & FRAC_MASK;
  if (e === EXP_MAX) return (frac ? x | QUIET : sign) >>> 0;
  if (e === 0) return (sign | INFINITY) >>> 0;
  // 1/(1.f * 2^(e-BIAS)) = r * 2^(BIAS-e) with r in [1/2, 1): exponent 2*BIAS-1-e.
  const re = 2 * BIAS - 1 - e;
  if (re <= 0) return sign >>> 0;
  return (sign | (re << FRAC_BITS) | (entry(RCP_BASE, RCP_DROP, frac >>> LOW_BITS) << LOW_BITS)) >>> 0;
}

/** RSQRTSS on one single-precision bit pattern (unsigned 32-bit number in, out). */
export function rsqrt32(x: number): number {
  const sign = x & SIGN;
  const e = (x >>> FRAC_BITS) & EXP_MAX;
  const frac = x & FRAC_MASK;
  if (e === EXP_MAX && frac) return (x | QUIET) >>> 0;
  if (e === 0) return (sign | INFINITY) >>> 0;
  if (sign) return INDEFINITE;
  if (e === EXP_MAX) return 0;
  // x = m * 2^(2h) with m = 1.f * 2^(odd) in [1, 4): 1/sqrt(x) = r * 2^-h, r from the table.
  const unbiased = e - BIAS;
  const odd = unbiased & 1;
  const i = (odd << INDEX_BITS) | (frac >>> LOW_BITS);
  return (((RESULT_EXP - (unbiased >> 1)) << FRAC_BITS) | (entry(RSQRT_BASE, RSQRT_DROP, i) << LOW_BITS)) >>> 0;
}
