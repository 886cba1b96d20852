// Canonical linear addresses (SDM Vol. 1 3.3.7.1, Vol. 3A 4.5): with 4-level paging bits
// 63:47 of an address must all equal bit 47 (63:56 equal bit 56 with 5-level paging).
//
// The cold path carries 64-bit linear addresses as JS numbers in *signed* form: bits 63:32
// taken as a signed 32-bit value, times 2^32, plus bits 31:0. Every canonical address is
// then exact (|value| < 2^47, or 2^56), and a non-canonical one stays non-canonical however
// it rounds. An unsigned number of 2^63 or more (a 64-bit field read with VcpuState.getNum)
// is folded into the signed form, but has lost its low bits above 2^53 already.

const TWO_32 = 0x1_0000_0000;
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/** The signed form of the 64-bit address with halves lo and hi. */
export function linearFromHalves(lo: number, hi: number): number {
  return (hi | 0) * TWO_32 + (lo >>> 0);
}

/** Folds an unsigned 64-bit address (at or above 2^63) into the signed form. */
export function signedLinear(lin: number): number {
  return lin >= TWO_63 ? lin - TWO_64 : lin;
}

/** Half the linear address space of 4-level and 5-level paging: canonical addresses lie in [-half, half). */
const HALF_48 = 2 ** 47;
const HALF_57 = 2 ** 56;

/** Whether `lin` is canonical for a `bits`-bit linear address space (48: 4-level, 57: 5-level paging). */
export function isCanonical(lin: number | bigint, bits: 48 | 57 = 48): boolean {
  return typeof lin === 'bigint' ? isCanonicalBigInt(lin, bits) : isCanonicalNumber(lin, bits);
}

/**
 * isCanonical for a number (signed or unsigned form). Kept apart from the BigInt form so that
 * the page walk, which calls it on every miss, stays on number-only code.
 */
export function isCanonicalNumber(lin: number, bits: 48 | 57 = 48): boolean {
  const v = lin >= TWO_63 ? lin - TWO_64 : lin;
  const half = bits === 57 ? HALF_57 : HALF_48;
  return v >= -half && v < half;
}

function isCanonicalBigInt(lin: bigint, bits: 48 | 57): boolean {
  const v = BigInt.asIntN(64, lin);
  const half = bits === 57 ? 1n << 56n : 1n << 47n;
  return v >= -half && v < half;
}
