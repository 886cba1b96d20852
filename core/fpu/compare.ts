// Comparisons and classification: FCOM/FCOMP/FCOMPP/FICOM, FUCOM*, FCOMI/FUCOMI*, FTST and
// FXAM (SDM Vol. 2A FCOM, FCOMI, FTST, FUCOM, FXAM pages).
import { finite, type F80, Kind, kind } from './float80.ts';
import type { FpEnv } from './round.ts';
import { Sw } from './status.ts';

export const enum Relation {
  Greater,
  Less,
  Equal,
  Unordered,
}

/**
 * Compares a with b. NaN operands are unordered; the ordered comparisons (FCOM, FCOMI) raise
 * IE for any NaN, the unordered ones (FUCOM, FUCOMI) only for an SNaN; unsupported
 * encodings are always invalid. A denormal raises DE, and the relation is still reported
 * even when DE or IE is unmasked (the caller then skips the pops; as the host does).
 */
export function compare(a: F80, b: F80, ordered: boolean, env: FpEnv): Relation {
  const ka = kind(a);
  const kb = kind(b);
  const nan = (k: Kind): boolean => k === Kind.QNaN || k === Kind.SNaN;
  if (ka === Kind.Unsupported || kb === Kind.Unsupported || nan(ka) || nan(kb)) {
    const inv = ka === Kind.Unsupported || kb === Kind.Unsupported || ka === Kind.SNaN || kb === Kind.SNaN || ordered;
    if (inv) env.flags |= Sw.IE;
    return Relation.Unordered;
  }
  if (ka === Kind.Denormal || kb === Kind.Denormal) env.flags |= Sw.DE;
  const c = signedCompare(a, b);
  return c === 0 ? Relation.Equal : c < 0 ? Relation.Less : Relation.Greater;
}

/** Orders two non-NaN values (zeros of either sign are equal; infinities are the extremes). */
function signedCompare(a: F80, b: F80): number {
  const va = magnitudeKey(a);
  const vb = magnitudeKey(b);
  const sa = va === null ? 0 : a.sign ? -1 : 1;
  const sb = vb === null ? 0 : b.sign ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0 || va === null || vb === null) return 0;
  const m = compareMagnitude(va, vb);
  return sa > 0 ? m : -m;
}

/** A finite or infinite nonzero value's magnitude as (scale of top bit, significand), null for zero. */
function magnitudeKey(a: F80): { top: number; sig: bigint; scale: number } | null {
  const k = kind(a);
  if (k === Kind.Zero) return null;
  if (k === Kind.Inf) return { top: Infinity, sig: 1n, scale: 0 };
  const f = finite(a);
  return { top: f.scale + f.sig.toString(2).length, sig: f.sig, scale: f.scale };
}

function compareMagnitude(a: { top: number; sig: bigint; scale: number }, b: { top: number; sig: bigint; scale: number }): number {
  if (a.top !== b.top) return a.top < b.top ? -1 : 1;
  if (a.top === Infinity) return 0;
  const s = Math.min(a.scale, b.scale);
  const x = a.sig << BigInt(a.scale - s);
  const y = b.sig << BigInt(b.scale - s);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** C3, C2, C0 for a relation (SDM Vol. 2A FCOM Table 3-21); C1 is cleared. */
export function conditionCodes(r: Relation): number {
  switch (r) {
    case Relation.Greater:
      return 0;
    case Relation.Less:
      return Sw.C0;
    case Relation.Equal:
      return Sw.C3;
    default:
      return Sw.C3 | Sw.C2 | Sw.C0;
  }
}

/** FXAM's class in C3, C2, C0 (SDM Vol. 2A FXAM Table 3-46); C1 is the sign. */
export function examine(a: F80 | null): number {
  if (a === null) return Sw.C3 | Sw.C0;
  const sign = a.sign ? Sw.C1 : 0;
  switch (kind(a)) {
    case Kind.Unsupported:
      return sign;
    case Kind.QNaN:
    case Kind.SNaN:
      return sign | Sw.C0;
    case Kind.Normal:
      return sign | Sw.C2;
    case Kind.Inf:
      return sign | Sw.C2 | Sw.C0;
    case Kind.Zero:
      return sign | Sw.C3;
    default:
      return sign | Sw.C3 | Sw.C2;
  }
}
