// The x87 double extended-precision format (SDM Vol. 1 4.2.2, 8.2.2): a sign, a 15-bit
// biased exponent and a 64-bit significand whose bit 63 is the explicit integer bit J.
// Values are kept as raw fields; arithmetic unpacks them to exact bigint significands.

/** A raw 80-bit register value. */
export interface F80 {
  readonly sign: number;
  /** Biased exponent, 0..0x7fff. */
  readonly exp: number;
  /** The 64-bit significand including the integer bit (bit 63). */
  readonly mant: bigint;
}

export const EXP_BIAS = 16383;
export const EXP_MAX = 0x7fff;
export const J_BIT = 1n << 63n;
export const QUIET_BIT = 1n << 62n;
export const MANT_MASK = (1n << 64n) - 1n;

/** The QNaN floating-point indefinite (SDM Vol. 1 Table 4-3): negative, quiet, fraction 0. */
export const INDEFINITE: F80 = { sign: 1, exp: EXP_MAX, mant: J_BIT | QUIET_BIT };
export const ZERO: F80 = { sign: 0, exp: 0, mant: 0n };
export const INF: F80 = { sign: 0, exp: EXP_MAX, mant: J_BIT };

export const f80 = (sign: number, exp: number, mant: bigint): F80 => ({ sign, exp, mant });
/** A register as the fixtures and the host probes print it: sign and exponent in 4 hex digits, then the 64-bit significand. */
export const fromHex = (hex: string): F80 => {
  const se = parseInt(hex.slice(0, 4), 16);
  return { sign: se >> 15, exp: se & 0x7fff, mant: BigInt('0x' + hex.slice(4)) };
};
export const negate = (a: F80): F80 => ({ sign: a.sign ^ 1, exp: a.exp, mant: a.mant });
export const withSign = (a: F80, sign: number): F80 => ({ sign, exp: a.exp, mant: a.mant });

/**
 * Operand classes as current processors see them (SDM Vol. 1 8.2.2, Table 8-3): the
 * pseudo-NaN, pseudo-infinity and unnormal encodings are "unsupported" and make an
 * arithmetic instruction invalid; a pseudo-denormal is accepted as a denormal.
 */
export const enum Kind {
  Zero,
  Denormal,
  Normal,
  Inf,
  QNaN,
  SNaN,
  Unsupported,
}

export function kind(a: F80): Kind {
  if (a.exp === 0) return a.mant === 0n ? Kind.Zero : Kind.Denormal;
  if ((a.mant & J_BIT) === 0n) return Kind.Unsupported;
  if (a.exp === EXP_MAX) {
    if ((a.mant & ~J_BIT) === 0n) return Kind.Inf;
    return a.mant & QUIET_BIT ? Kind.QNaN : Kind.SNaN;
  }
  return Kind.Normal;
}

export const isNaN80 = (a: F80): boolean => {
  const k = kind(a);
  return k === Kind.QNaN || k === Kind.SNaN;
};

/** The x87 tag of a value (SDM Vol. 1 8.1.7): 0 valid, 1 zero, 2 special. */
export function tagOf(a: F80): number {
  if (a.exp === EXP_MAX || a.exp === 0) return a.exp === 0 && a.mant === 0n ? 1 : 2;
  return a.mant & J_BIT ? 0 : 2;
}

/**
 * A finite nonzero value as sig × 2^scale (exact). Denormals and pseudo-denormals take the
 * smallest exponent, 1 - bias (SDM Vol. 1 8.2.2: a pseudo-denormal is read as a denormal).
 */
export function finite(a: F80): { sig: bigint; scale: number } {
  const e = a.exp === 0 ? 1 : a.exp;
  return { sig: a.mant, scale: e - EXP_BIAS - 63 };
}

export function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** Bytes (little-endian, 10) of an 80-bit value, as FSTP m80 and FSAVE store it. */
export function toBytes(a: F80): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(Number((a.mant >> BigInt(i * 8)) & 0xffn));
  const se = (a.sign << 15) | a.exp;
  out.push(se & 0xff, se >> 8);
  return out;
}

export function fromBytes(b: ArrayLike<number>, at = 0): F80 {
  let mant = 0n;
  for (let i = 7; i >= 0; i--) mant = (mant << 8n) | BigInt(b[at + i]);
  const se = b[at + 8] | (b[at + 9] << 8);
  return { sign: se >> 15, exp: se & EXP_MAX, mant };
}
