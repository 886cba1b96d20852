// One SSE floating-point element operation with x86 semantics: DAZ on sources, x86 NaN
// propagation (the first source's NaN, an SNaN made quiet; SDM Vol. 1 Table 4-7 and 11.5.2.2),
// the QNaN indefinite for invalid operations, the integer indefinite for conversions that
// do not fit, and the exception flags split into the pre-computation ones (IE DE ZE) and the
// post-computation ones (OE UE PE) (SDM Vol. 1 11.5.2, 11.5.3).
import { Mxcsr, Rounding, type FpEnv } from './mxcsr.ts';
import { rcp32, rsqrt32 } from './rcp.ts';
import {
  F32, F64, FpClass, addExact, classify, divExact, fromInteger, indefinite, infinity, isNaN, isNegative, mulExact,
  operand, quiet, quietBit, round, sqrtExact, toInteger, unpack, zero, type FloatFormat,
} from './softfloat.ts';

export interface LaneResult {
  bits: bigint;
  /** IE, DE, ZE: detected before computing. */
  pre: number;
  /** OE, UE, PE: detected on the result. */
  post: number;
}

export type ArithOp = 'add' | 'sub' | 'mul' | 'div';

const invalid = (f: FloatFormat): LaneResult => ({ bits: indefinite(f), pre: Mxcsr.IE, post: 0 });

/** NaN operands: IE for an SNaN; the first NaN operand, quieted, is the result. */
function nanResult(f: FloatFormat, a: bigint, ca: FpClass, b: bigint, cb: FpClass): LaneResult {
  const pre = ca === FpClass.SNaN || cb === FpClass.SNaN ? Mxcsr.IE : 0;
  return { bits: quiet(f, isNaN(ca) ? a : b), pre, post: 0 };
}

/** ADD SUB MUL DIV (SDM Vol. 2A ADDPS...: exceptions Overflow, Underflow, Invalid, Precision, Denormal; DIV also Divide-by-Zero). */
export function arith(f: FloatFormat, op: ArithOp, a0: bigint, b0: bigint, env: FpEnv): LaneResult {
  const a = operand(f, a0, env);
  const b = operand(f, b0, env);
  const ca = classify(f, a);
  const cb = classify(f, b);
  if (isNaN(ca) || isNaN(cb)) return nanResult(f, a, ca, b, cb);
  const de = ca === FpClass.Subnormal || cb === FpClass.Subnormal ? Mxcsr.DE : 0;
  const na = isNegative(f, a);
  const nb = isNegative(f, b) !== (op === 'sub');
  const infA = ca === FpClass.Inf;
  const infB = cb === FpClass.Inf;
  const zeroA = ca === FpClass.Zero;
  const zeroB = cb === FpClass.Zero;
  const special = (bits: bigint, pre = 0): LaneResult => ({ bits, pre: pre | de, post: 0 });
  switch (op) {
    case 'add':
    case 'sub':
      if (infA && infB) return na === nb ? special(infinity(f, na)) : invalid(f);
      if (infA) return special(infinity(f, na));
      if (infB) return special(infinity(f, nb));
      break;
    case 'mul':
      if ((infA && zeroB) || (zeroA && infB)) return invalid(f);
      if (infA || infB) return special(infinity(f, na !== nb));
      break;
    case 'div':
      if ((infA && infB) || (zeroA && zeroB)) return invalid(f);
      if (infA) return special(infinity(f, na !== nb));
      if (infB) return special(zero(f, na !== nb));
      if (zeroB) return special(infinity(f, na !== nb), Mxcsr.ZE);
      break;
  }
  const xa = unpack(f, a);
  const xb = { ...unpack(f, b), neg: nb };
  let r;
  if (op === 'add' || op === 'sub') r = round(f, addExact(xa, xb, env), false, env);
  else if (op === 'mul') r = round(f, mulExact(xa, xb), false, env);
  else {
    const q = divExact(xa, xb, f.fracBits + 1);
    r = round(f, q.x, q.sticky, env);
  }
  return { bits: r.bits, pre: de, post: r.flags };
}

/** SQRT (exceptions Invalid, Precision, Denormal): a negative nonzero source is invalid; sqrt(-0) = -0. */
export function sqrt(f: FloatFormat, a0: bigint, env: FpEnv): LaneResult {
  const a = operand(f, a0, env);
  const ca = classify(f, a);
  if (isNaN(ca)) return nanResult(f, a, ca, a, ca);
  const neg = isNegative(f, a);
  const de = ca === FpClass.Subnormal ? Mxcsr.DE : 0;
  if (ca === FpClass.Zero) return { bits: a, pre: 0, post: 0 };
  // An invalid operation reports IE alone, even for a negative denormal (host CPU fixtures).
  if (neg) return { bits: indefinite(f), pre: Mxcsr.IE, post: 0 };
  if (ca === FpClass.Inf) return { bits: a, pre: 0, post: 0 };
  const s = sqrtExact(unpack(f, a), f.fracBits + 1);
  const r = round(f, s.x, s.sticky, env);
  return { bits: r.bits, pre: de, post: r.flags };
}

/** The value of a non-NaN float as a JS number (exact for both formats). */
export function toNumber(f: FloatFormat, v: bigint): number {
  const dv = new DataView(new ArrayBuffer(8));
  if (f.bits === 32) {
    dv.setUint32(0, Number(v));
    return dv.getFloat32(0);
  }
  dv.setBigUint64(0, v);
  return dv.getFloat64(0);
}

/**
 * MIN / MAX: with a NaN operand (either kind) or two zeros the second operand is returned
 * unchanged, and IE is set for any NaN (SDM Vol. 2B MINPS: "If only one value is a NaN (SNaN
 * or QNaN) for this instruction, the second operand (source operand), either a NaN or a
 * valid floating-point value, is written to the result").
 */
export function minMax(f: FloatFormat, max: boolean, a0: bigint, b0: bigint, env: FpEnv): LaneResult {
  const a = operand(f, a0, env);
  const b = operand(f, b0, env);
  const ca = classify(f, a);
  const cb = classify(f, b);
  if (isNaN(ca) || isNaN(cb)) return { bits: b, pre: Mxcsr.IE, post: 0 };
  const de = ca === FpClass.Subnormal || cb === FpClass.Subnormal ? Mxcsr.DE : 0;
  const x = toNumber(f, a);
  const y = toNumber(f, b);
  const pickA = max ? x > y : x < y;
  return { bits: pickA ? a : b, pre: de, post: 0 };
}

/** The relation of two operands, or unordered; with the IE/DE flags of a signaling or quiet compare. */
export function relate(f: FloatFormat, a0: bigint, b0: bigint, env: FpEnv, signaling: boolean): { rel: 'lt' | 'gt' | 'eq' | 'un'; pre: number } {
  const a = operand(f, a0, env);
  const b = operand(f, b0, env);
  const ca = classify(f, a);
  const cb = classify(f, b);
  if (isNaN(ca) || isNaN(cb)) {
    const snan = ca === FpClass.SNaN || cb === FpClass.SNaN;
    return { rel: 'un', pre: snan || signaling ? Mxcsr.IE : 0 };
  }
  const de = ca === FpClass.Subnormal || cb === FpClass.Subnormal ? Mxcsr.DE : 0;
  const x = toNumber(f, a);
  const y = toNumber(f, b);
  return { rel: x < y ? 'lt' : x > y ? 'gt' : 'eq', pre: de };
}

/**
 * CMPPS/CMPPD/CMPSS/CMPSD predicates 0-7 (SDM Vol. 2A CMPPS, Table 3-1): EQ LT LE UNORD NEQ
 * NLT NLE ORD; LT LE NLT NLE signal on QNaN as well.
 */
export function comparePredicate(f: FloatFormat, pred: number, a: bigint, b: bigint, env: FpEnv): LaneResult {
  const p = pred & 7;
  const signaling = p === 1 || p === 2 || p === 5 || p === 6;
  const { rel, pre } = relate(f, a, b, env, signaling);
  const results: Record<number, boolean> = {
    0: rel === 'eq', 1: rel === 'lt', 2: rel === 'lt' || rel === 'eq', 3: rel === 'un',
    4: rel !== 'eq', 5: rel !== 'lt', 6: !(rel === 'lt' || rel === 'eq'), 7: rel !== 'un',
  };
  const ones = (1n << BigInt(f.bits)) - 1n;
  return { bits: results[p] ? ones : 0n, pre, post: 0 };
}

/** CVTSS2SD, CVTSD2SS, CVTPS2PD, CVTPD2PS: NaN payloads keep their top bits (SDM Vol. 1 4.8.3.5). */
export function convertFloat(from: FloatFormat, to: FloatFormat, v0: bigint, env: FpEnv): LaneResult {
  const v = operand(from, v0, env);
  const c = classify(from, v);
  const neg = isNegative(from, v);
  if (isNaN(c)) {
    const frac = v & ((1n << BigInt(from.fracBits)) - 1n);
    const shifted = to.fracBits > from.fracBits ? frac << BigInt(to.fracBits - from.fracBits) : frac >> BigInt(from.fracBits - to.fracBits);
    return { bits: infinity(to, neg) | shifted | quietBit(to), pre: c === FpClass.SNaN ? Mxcsr.IE : 0, post: 0 };
  }
  if (c === FpClass.Inf) return { bits: infinity(to, neg), pre: 0, post: 0 };
  if (c === FpClass.Zero) return { bits: zero(to, neg), pre: 0, post: 0 };
  const r = round(to, unpack(from, v), false, env);
  return { bits: r.bits, pre: c === FpClass.Subnormal ? Mxcsr.DE : 0, post: r.flags };
}

/**
 * Float to a signed integer of `intBits` under `rc` (CVTSS2SI, CVTT*: rc = Zero). NaN,
 * infinity and out-of-range values give the integer indefinite 100...0B with IE (SDM Vol. 1
 * 4.2.2 Table 4-2 note, Vol. 2A CVTSD2SI). Returns the two's-complement bits.
 */
export function toInt(f: FloatFormat, v0: bigint, intBits: 32 | 64, rc: Rounding, env: FpEnv): LaneResult {
  const v = operand(f, v0, env);
  const c = classify(f, v);
  const indef = 1n << BigInt(intBits - 1);
  if (isNaN(c) || c === FpClass.Inf) return { bits: indef, pre: Mxcsr.IE, post: 0 };
  const { n, inexact } = toInteger(f, v, rc);
  if (n < -indef || n >= indef) return { bits: indef, pre: Mxcsr.IE, post: 0 };
  return { bits: BigInt.asUintN(intBits, n), pre: 0, post: inexact ? Mxcsr.PE : 0 };
}

/** A signed integer to a float (CVTSI2SS, CVTDQ2PS...): only Precision. */
export function fromInt(f: FloatFormat, n: bigint, env: FpEnv): LaneResult {
  const r = fromInteger(f, n, env);
  return { bits: r.bits, pre: 0, post: r.flags };
}

/**
 * ROUNDPS/PD/SS/SD: to an integral value under `rc`; PE unless suppressed; IE for an SNaN
 * only (SDM Vol. 2B ROUNDPS, "Invalid (signaled only if SRC = SNaN), Precision").
 */
export function roundIntegral(f: FloatFormat, v0: bigint, rc: Rounding, suppressPrecision: boolean, env: FpEnv): LaneResult {
  const v = operand(f, v0, env);
  const c = classify(f, v);
  if (isNaN(c)) return { bits: quiet(f, v), pre: c === FpClass.SNaN ? Mxcsr.IE : 0, post: 0 };
  if (c === FpClass.Inf || c === FpClass.Zero) return { bits: v, pre: 0, post: 0 };
  const { n, inexact } = toInteger(f, v, rc);
  const neg = isNegative(f, v);
  const bits = n === 0n ? zero(f, neg) : fromInteger(f, n, env).bits;
  return { bits, pre: 0, post: inexact && !suppressPrecision ? Mxcsr.PE : 0 };
}

/**
 * RCPPS/RCPSS and RSQRTPS/RSQRTSS: approximations with a relative error at most 1.5 * 2^-12
 * (SDM Vol. 2B RCPPS) whose exact values are implementation-specific; this model returns the
 * ones of the AMD host that recorded the SSE fixtures (rcp.ts). MXCSR changes nothing and no
 * exceptions are signaled.
 */
export function reciprocal(v: bigint, squareRoot: boolean): bigint {
  const x = Number(v);
  return BigInt(squareRoot ? rsqrt32(x) : rcp32(x));
}

export { F32, F64 };
