// AES-NI (AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC, AESKEYGENASSIST; SDM Vol. 2A) and
// PCLMULQDQ (SDM Vol. 2B) computed inline, without a helper: a block of AES rounds runs as
// Wasm SIMD, a carry-less multiply as a handful of Wasm i64 multiplications. Measured in a
// guest loop on this machine (Node 20, 2026-11-22): AESENC 19-22 ns, AESDEC 27-31 ns,
// PCLMULQDQ 19-26 ns (a 64-step shift-and-XOR loop instead: 40-70 ns), PXOR 2-7 ns, and a
// helper-based SSE4.1 instruction (PHMINPOSUW) 130-147 ns.
//
// AES steps on a v128 holding the state in XMM byte order (core/simd/aes.ts):
// - SubBytes: 16 i8x16.swizzle lookups, one per 16-entry slice of the S-box; the index is
//   the byte minus 16k, which is in 0-15 only for the bytes of slice k (swizzle gives 0 for
//   an index of 16 or more: WebAssembly Core Specification 2.0, i8x16.swizzle).
// - ShiftRows: one i8x16.shuffle.
// - MixColumns: b_r = {02}(a_r ^ a_r+1) ^ a_r+1 ^ a_r+2 ^ a_r+3 in each column (FIPS-197
//   5.1.3), the rotations within a column being shuffles and {02}· being xtime() on 16 lanes.
// - InvMixColumns: MixColumns after a_r ^= {04}(a_r ^ a_r+2), since the inverse matrix is the
//   MixColumns matrix times circ(05, 00, 04, 00) (the factorisation Daemen and Rijmen give
//   for implementing the inverse cipher in "The Design of Rijndael"; the tests check it against
//   the byte-wise model and the host CPU).
import type { BlockContext } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { INV_SBOX, INV_SHIFT_ROWS, SBOX, SHIFT_ROWS } from '../../core/simd/aes.ts';
import { pclmulSelect } from '../../core/simd/clmul.ts';
import { Feature, type CpuidFeature } from '../../core/cpu/cpuid.ts';
import { checkSse, readVecTo, v128Local, writeVec, type Emit } from './sse-common.ts';
import { requireFeature } from './bmi.ts';
import { Simd, shuffle, simd, simdLane, v128Const, v128Splat } from './sse-wasm.ts';

/** The reduction applied by xtime() when bit 7 shifts out: x^8 = x^4 + x^3 + x + 1 (FIPS-197 4.2.1). */
const XTIME_REDUCTION = 0x1bn;
/** Entries of an S-box one i8x16.swizzle can index. */
const SLICE = 16;

/** Pushes table[v] for every byte of the v128 local `v` (consumes nothing, leaves one v128). */
function substitute(ctx: BlockContext, v: number, table: Uint8Array): void {
  const fb = ctx.fb;
  const idx = v128Local(ctx);
  const step = v128Local(ctx);
  v128Splat(fb, 1, BigInt(SLICE));
  fb.set(step);
  v128Const(fb, [...table.subarray(0, SLICE)]);
  fb.get(v);
  fb.tee(idx);
  simd(fb, Simd.i8x16_swizzle);
  for (let k = SLICE; k < table.length; k += SLICE) {
    v128Const(fb, [...table.subarray(k, k + SLICE)]);
    fb.get(idx).get(step);
    simd(fb, Simd.i8x16_sub);
    fb.tee(idx);
    simd(fb, Simd.i8x16_swizzle);
    simd(fb, Simd.v128_or);
  }
}

/** Pushes the v128 local `v` with each column's bytes rotated: byte r of a column takes byte r + k. */
function rotateColumns(ctx: BlockContext, v: number, k: number): void {
  ctx.fb.get(v).get(v);
  shuffle(ctx.fb, Array.from({ length: 16 }, (_, i) => (i & ~3) + ((i + k) & 3)));
}

/** {02} times each byte of the v128 on the stack (FIPS-197 4.2.1 xtime()), left on the stack. */
function xtime(ctx: BlockContext): void {
  const fb = ctx.fb;
  const t = v128Local(ctx);
  fb.tee(t).i32Const(1);
  simd(fb, Simd.i8x16_shl);
  fb.get(t).i32Const(7);
  simd(fb, Simd.i8x16_shr_s);
  v128Splat(fb, 1, XTIME_REDUCTION);
  simd(fb, Simd.v128_and);
  simd(fb, Simd.v128_xor);
}

/** Pushes MixColumns of the v128 local `a`. */
function mixColumns(ctx: BlockContext, a: number): void {
  const fb = ctx.fb;
  const r1 = v128Local(ctx);
  rotateColumns(ctx, a, 1);
  fb.set(r1);
  fb.get(a).get(r1);
  simd(fb, Simd.v128_xor);
  xtime(ctx);
  fb.get(r1);
  simd(fb, Simd.v128_xor);
  rotateColumns(ctx, a, 2);
  simd(fb, Simd.v128_xor);
  rotateColumns(ctx, a, 3);
  simd(fb, Simd.v128_xor);
}

/** Pushes InvMixColumns of the v128 local `a`. */
function invMixColumns(ctx: BlockContext, a: number): void {
  const fb = ctx.fb;
  const pre = v128Local(ctx);
  fb.get(a);
  fb.get(a);
  rotateColumns(ctx, a, 2);
  simd(fb, Simd.v128_xor);
  xtime(ctx);
  xtime(ctx);
  simd(fb, Simd.v128_xor);
  fb.set(pre);
  mixColumns(ctx, pre);
}

/** Pushes the v128 local `v` with its bytes permuted: output byte i is input byte lanes[i]. */
function permute(ctx: BlockContext, v: number, lanes: readonly number[]): void {
  ctx.fb.get(v).get(v);
  shuffle(ctx.fb, lanes);
}

/**
 * The checks, then the first operand (XMM register) and the second (XMM register or aligned
 * m128), the source read first; null when the guest's CPUID lacks the feature, which is #UD
 * like CR0.EM = 1 or CR4.OSFXSR = 0 (SDM Vol. 2A Table 2-21, exception type 4, as AESENC and
 * PCLMULQDQ list it: "#UD If CPUID.01H:ECX.AES[bit 25] = 0", resp. PCLMULQDQ[bit 1]).
 */
function operands(ctx: BlockContext, feature: CpuidFeature): { dst: number; src: number } | null {
  if (!requireFeature(ctx, feature)) return null;
  checkSse(ctx);
  const src = readVecTo(ctx, 1);
  const dst = readVecTo(ctx, 0);
  return { dst, src };
}

/** Writes the v128 on the stack to the destination register. */
function finish(ctx: BlockContext): void {
  const r = v128Local(ctx);
  ctx.fb.set(r);
  writeVec(ctx, 0, r);
}

/** One AES round on the destination with the source as round key: ShiftRows, SubBytes, [MixColumns], AddRoundKey. */
function round(decrypt: boolean, last: boolean): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const ops = operands(ctx, Feature.AES);
    if (ops === null) return;
    const { dst, src } = ops;
    const t = v128Local(ctx);
    permute(ctx, dst, decrypt ? INV_SHIFT_ROWS : SHIFT_ROWS);
    fb.set(t);
    substitute(ctx, t, decrypt ? INV_SBOX : SBOX);
    if (!last) {
      fb.set(t);
      if (decrypt) invMixColumns(ctx, t);
      else mixColumns(ctx, t);
    }
    fb.get(src);
    simd(fb, Simd.v128_xor);
    finish(ctx);
  };
}

/** AESIMC: InvMixColumns of the source (SDM Vol. 2A AESIMC). */
const aesimc: Emit = (ctx) => {
  const ops = operands(ctx, Feature.AES);
  if (ops === null) return;
  invMixColumns(ctx, ops.src);
  finish(ctx);
};

/**
 * AESKEYGENASSIST: SubWord of source dwords 1 and 3, each followed by its RotWord XORed with
 * RCON = imm8 (SDM Vol. 2A AESKEYGENASSIST): bytes [S(x1) | S(x1) rotated ^ rcon | S(x3) | S(x3) rotated ^ rcon].
 */
const aeskeygenassist: Emit = (ctx) => {
  const fb = ctx.fb;
  const ops = operands(ctx, Feature.AES);
  if (ops === null) return;
  const s = v128Local(ctx);
  substitute(ctx, ops.src, SBOX);
  fb.tee(s).get(s);
  shuffle(fb, [4, 5, 6, 7, 5, 6, 7, 4, 12, 13, 14, 15, 13, 14, 15, 12]);
  const rcon = ctx.instr.imm & 0xff;
  v128Const(fb, [0, 0, 0, 0, rcon, 0, 0, 0, 0, 0, 0, 0, rcon, 0, 0, 0]);
  simd(fb, Simd.v128_xor);
  finish(ctx);
};

/**
 * Masks of the four bit classes (bit index mod 4) of a 64-bit product. Splitting 32-bit
 * factors into their classes leaves three zero bits between set bits, so an integer product
 * of two classes adds at most 8 partial products per bit position, a sum that stays within
 * its 4-bit slot: each bit of the class the product lands in is the XOR (the parity) of its
 * partial products (the "multiplication with holes" of BearSSL's constant-time GHASH, ghash_ctmul.c).
 */
const CLASS_MASKS = [0x1111111111111111n, 0x2222222222222222n, 0x4444444444444444n, 0x8888888888888888n];

/** Pushes the 64-bit carry-less product of the low 32 bits of i64 locals `x` and `y`. */
function clmul32(ctx: BlockContext, x: number, y: number): void {
  const fb = ctx.fb;
  const xs = [0, 1, 2, 3].map(() => ctx.i64());
  const ys = [0, 1, 2, 3].map(() => ctx.i64());
  for (let c = 0; c < 4; c++) {
    fb.get(x).i64Const(CLASS_MASKS[c]! & 0xffffffffn).op(Op.i64_and).set(xs[c]!);
    fb.get(y).i64Const(CLASS_MASKS[c]! & 0xffffffffn).op(Op.i64_and).set(ys[c]!);
  }
  for (let c = 0; c < 4; c++) {
    // Class c of the product gathers x_i * y_j with i + j = c (mod 4).
    for (let i = 0; i < 4; i++) {
      fb.get(xs[i]!).get(ys[(c - i + 4) & 3]!).op(Op.i64_mul);
      if (i > 0) fb.op(Op.i64_xor);
    }
    fb.i64Const(BigInt.asIntN(64, CLASS_MASKS[c]!)).op(Op.i64_and);
    if (c > 0) fb.op(Op.i64_or);
  }
}

/**
 * PCLMULQDQ: the 128-bit carry-less product of the destination's quadword imm8[0] and the
 * source's quadword imm8[4] (SDM Vol. 2B PCLMULQDQ). 64 x 64 bits as three 32 x 32-bit
 * products (Karatsuba): lo*lo, hi*hi and (lo^hi)*(lo^hi), the middle term shifted by 32.
 */
const pclmulqdq: Emit = (ctx) => {
  const fb = ctx.fb;
  const ops = operands(ctx, Feature.PCLMULQDQ);
  if (ops === null) return;
  const { dst, src } = ops;
  const select = pclmulSelect(ctx.instr.imm);
  const a = ctx.i64();
  const b = ctx.i64();
  fb.get(dst);
  simdLane(fb, Simd.i64x2_extract_lane, select.first);
  fb.set(a);
  fb.get(src);
  simdLane(fb, Simd.i64x2_extract_lane, select.second);
  fb.set(b);
  const half = (v: number, high: boolean): number => {
    const h = ctx.i64();
    fb.get(v);
    if (high) fb.i64Const(32).op(Op.i64_shr_u);
    else fb.i64Const(0xffffffffn).op(Op.i64_and);
    fb.set(h);
    return h;
  };
  const [aLo, aHi, bLo, bHi] = [half(a, false), half(a, true), half(b, false), half(b, true)];
  const sumA = ctx.i64();
  const sumB = ctx.i64();
  fb.get(aLo).get(aHi).op(Op.i64_xor).set(sumA);
  fb.get(bLo).get(bHi).op(Op.i64_xor).set(sumB);
  const lo = ctx.i64();
  const hi = ctx.i64();
  const mid = ctx.i64();
  clmul32(ctx, aLo, bLo);
  fb.set(lo);
  clmul32(ctx, aHi, bHi);
  fb.set(hi);
  clmul32(ctx, sumA, sumB);
  fb.get(lo).op(Op.i64_xor).get(hi).op(Op.i64_xor).set(mid);
  const r = v128Local(ctx);
  fb.get(lo).get(mid).i64Const(32).op(Op.i64_shl).op(Op.i64_xor);
  simd(fb, Simd.i64x2_splat);
  fb.get(hi).get(mid).i64Const(32).op(Op.i64_shr_u).op(Op.i64_xor);
  simdLane(fb, Simd.i64x2_replace_lane, 1);
  fb.set(r);
  writeVec(ctx, 0, r);
};

export const sseCryptoEmitters: Record<string, Emit> = {
  aesenc: round(false, false),
  aesenclast: round(false, true),
  aesdec: round(true, false),
  aesdeclast: round(true, true),
  aesimc,
  aeskeygenassist,
  pclmulqdq,
};
