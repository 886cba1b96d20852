// FRNDINT, FXTRACT, FSCALE, FPREM and FPREM1 (SDM Vol. 2A/2B instruction pages). Precision
// control does not apply to them (SDM Vol. 1 8.1.5.2 lists the instructions it affects).
import { checkOne, checkTwo, type Result } from './arith.ts';
import { fromInt, roundToInteger } from './convert.ts';
import { bitLength, EXP_BIAS, type F80, finite, INDEFINITE, INF, Kind, kind, withSign } from './float80.ts';
import { FpEnv, roundExtended } from './round.ts';
import { Sw } from './status.ts';

/** An environment for results that are not subject to precision control. */
export const fullPrecision = (env: FpEnv): FpEnv => {
  const e = new FpEnv(env.masks, env.rc, 64);
  return e;
};

/** Folds the flags of a derived environment back. */
export function merge(into: FpEnv, from: FpEnv): void {
  into.flags |= from.flags;
  into.roundedUp = from.roundedUp;
}

/** FRNDINT: rounds ST(0) to an integer by RC; inexact sets PE and C1 says rounded up. */
export function frndint(a: F80, env: FpEnv): Result {
  const early = checkOne(a, env);
  if (early !== undefined) return early;
  const k = kind(a);
  if (k === Kind.Zero || k === Kind.Inf) return a;
  const r = roundToInteger(a, env.rc);
  if (r.inexact) env.flags |= Sw.PE;
  env.roundedUp = r.up;
  const v = fromInt(r.v < 0n ? -r.v : r.v);
  return { sign: a.sign, exp: v.exp, mant: v.mant };
}

/** The unbiased exponent of a finite nonzero value after normalization. */
function trueExponent(a: F80): number {
  const f = finite(a);
  return f.scale + bitLength(f.sig) - 1;
}

/**
 * FXTRACT: [exponent, significand], the exponent going to ST(1) and the significand (same
 * sign, exponent 0) to ST(0). Zero raises ZE and gives -inf as exponent (SDM Vol. 2B FXTRACT).
 */
export function fxtract(a: F80, env: FpEnv): [F80, F80] | null {
  const k = kind(a);
  if (k === Kind.Unsupported) return env.raise(Sw.IE) ? null : [INDEFINITE, INDEFINITE];
  if (k === Kind.SNaN || k === Kind.QNaN) {
    const q = checkOne(a, env);
    return q === null || q === undefined ? null : [q, q];
  }
  if (k === Kind.Zero) return env.raise(Sw.ZE) ? null : [withSign(INF, 1), a];
  if (k === Kind.Inf) return [INF, a];
  if (k === Kind.Denormal && env.raise(Sw.DE)) return null;
  const f = finite(a);
  const n = bitLength(f.sig);
  return [fromInt(BigInt(trueExponent(a))), { sign: a.sign, exp: EXP_BIAS, mant: f.sig << BigInt(64 - n) }];
}

/** Largest scale worth applying: beyond it every finite result overflows or underflows anyway. */
const SCALE_CLAMP = 1 << 20;

/** FSCALE: ST(0) × 2^trunc(ST(1)) (SDM Vol. 2B FSCALE Table 3-52). */
export function fscale(a: F80, b: F80, env: FpEnv): Result {
  const early = checkTwo(a, b, env);
  if (early !== undefined) return early;
  const ka = kind(a);
  const kb = kind(b);
  if (kb === Kind.Inf) {
    if (b.sign === 0) return ka === Kind.Zero ? (env.raise(Sw.IE) ? null : INDEFINITE) : ka === Kind.Inf ? a : withSign(INF, a.sign);
    return ka === Kind.Inf ? (env.raise(Sw.IE) ? null : INDEFINITE) : { sign: a.sign, exp: 0, mant: 0n };
  }
  if (ka === Kind.Zero || ka === Kind.Inf) return a;
  let n = kb === Kind.Zero ? 0n : roundToInteger(b, 3).v;
  if (n > BigInt(SCALE_CLAMP)) n = BigInt(SCALE_CLAMP);
  if (n < -BigInt(SCALE_CLAMP)) n = -BigInt(SCALE_CLAMP);
  const f = finite(a);
  return roundExtended(a.sign, f.sig, f.scale + Number(n), env);
}

/** Result of a partial remainder: the new ST(0) and the condition codes C0 C1 C2 C3. */
export interface Remainder {
  value: F80;
  /** C0-C3, or -1 when the result is special (NaN, indefinite) and no quotient bits exist. */
  cc: number;
}

/**
 * FPREM (truncating quotient) and FPREM1 (IEEE, round-to-nearest quotient). When the
 * exponents differ by 64 or more the reduction is partial: C2 = 1 and the dividend is
 * reduced by a multiple of ST(1) × 2^(D - N), N = 32 + D mod 32 as current processors do
 * (SDM Vol. 2A FPREM: "N is an implementation-dependent number between 32 and 63").
 * Otherwise C2 = 0 and the low three quotient bits go to C0, C3, C1.
 */
export function fprem(a: F80, b: F80, ieee: boolean, env: FpEnv): Remainder | null {
  const early = checkTwo(a, b, env, false);
  if (early !== undefined) return early === null ? null : { value: early, cc: -1 };
  const ka = kind(a);
  const kb = kind(b);
  // Invalid before denormal: an infinite dividend or zero divisor raises IE alone (as the host does).
  if (ka === Kind.Inf || kb === Kind.Zero) return env.raise(Sw.IE) ? null : { value: INDEFINITE, cc: -1 };
  if ((ka === Kind.Denormal || kb === Kind.Denormal) && env.raise(Sw.DE)) return null;
  if (ka === Kind.Zero) return { value: a, cc: 0 };
  const fa = finite(a);
  // An infinite divisor leaves the dividend, which goes through the result path like any
  // remainder: a pseudo-denormal comes out normalized and a denormal signals an unmasked UE
  // with the bias adjustment (as the host does).
  if (kb === Kind.Inf) return { value: roundExtended(a.sign, fa.sig, fa.scale, env), cc: 0 };
  const fb = finite(b);
  const d = trueExponent(a) - trueExponent(b);
  if (d >= 64) {
    const n = 32 + (d % 32);
    // Reduce by q × b × 2^(d-n), q = trunc(a / (b × 2^(d-n))).
    const shift = d - n;
    const s = Math.min(fa.scale, fb.scale + shift);
    const x = fa.sig << BigInt(fa.scale - s);
    const y = fb.sig << BigInt(fb.scale + shift - s);
    const r = x - (x / y) * y;
    return { value: r === 0n ? { sign: a.sign, exp: 0, mant: 0n } : roundExtended(a.sign, r, s, env), cc: Sw.C2 };
  }
  if (d < -1) return { value: roundExtended(a.sign, fa.sig, fa.scale, env), cc: 0 };
  const s = Math.min(fa.scale, fb.scale);
  const x = fa.sig << BigInt(fa.scale - s);
  const y = fb.sig << BigInt(fb.scale - s);
  let q = x / y;
  let r = x - q * y;
  let sign = a.sign;
  if (ieee && (2n * r > y || (2n * r === y && (q & 1n) === 1n))) {
    q += 1n;
    r = y - r;
    sign ^= 1;
  }
  const cc = (q & 4n ? Sw.C0 : 0) | (q & 2n ? Sw.C3 : 0) | (q & 1n ? Sw.C1 : 0);
  const value = r === 0n ? { sign: a.sign, exp: 0, mant: 0n } : roundExtended(sign, r, s, env);
  return { value, cc };
}
