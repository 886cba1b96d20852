// Carry-less multiplication, PCLMULQDQ's operation (SDM Vol. 2B PCLMULQDQ; Intel's
// "Carry-Less Multiplication Instruction and its Usage for Computing the GCM Mode" white
// paper, section "Carry-less Multiplication"): the product of two polynomials over GF(2),
// each bit of one operand selecting a shifted copy of the other, combined with XOR.
//
// The JIT emits the same shift-and-XOR on Wasm i64 (jit/emit/sse-crypto.ts); this is the
// reference model, on 32-bit halves so that no BigInt is involved.

/** The 64-bit carry-less product of two 32-bit values, as [low dword, high dword]. */
export function clmul32(a: number, b: number): [number, number] {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 32; i++) {
    if ((b >>> i) & 1) {
      lo ^= a << i;
      if (i > 0) hi ^= a >>> (32 - i);
    }
  }
  return [lo >>> 0, hi >>> 0];
}

/**
 * The 128-bit carry-less product of two 64-bit values given as [low dword, high dword],
 * as four dwords, least significant first: a*b = aL*bL ^ (aL*bH ^ aH*bL) << 32 ^ aH*bH << 64.
 */
export function clmul64(a: readonly [number, number], b: readonly [number, number]): [number, number, number, number] {
  const ll = clmul32(a[0], b[0]);
  const lh = clmul32(a[0], b[1]);
  const hl = clmul32(a[1], b[0]);
  const hh = clmul32(a[1], b[1]);
  return [ll[0], (ll[1] ^ lh[0] ^ hl[0]) >>> 0, (lh[1] ^ hl[1] ^ hh[0]) >>> 0, hh[1]];
}

/**
 * PCLMULQDQ's selector (SDM Vol. 2B PCLMULQDQ, Table 4-13): imm8 bit 0 picks the quadword of
 * the first operand (the destination), bit 4 that of the second; the other bits are ignored.
 */
export function pclmulSelect(imm8: number): { first: 0 | 1; second: 0 | 1 } {
  return { first: (imm8 & 1) as 0 | 1, second: ((imm8 >> 4) & 1) as 0 | 1 };
}
