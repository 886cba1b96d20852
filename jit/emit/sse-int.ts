// Packed integer operations of MMX, SSE2, SSSE3 and SSE4.1 on Wasm SIMD (SDM Vol. 2 PADDB,
// PSUBB, PCMPEQB, PMINUB, PACKSSWB, PUNPCKLBW, PSHUFB, PMADDWD ...). Each is one or a few v128
// instructions; an MMX form computes on a v128 whose low 64 bits hold the register and keeps
// only those. Where Wasm's lane semantics differ from x86 the fix-up is written out
// (shift counts beyond the lane width, PMULHRSW's one overflowing case).
import { Flag, STATUS_FLAGS } from '../../core/cpu/registers.ts';
import type { BlockContext } from '../context.ts';
import { Op, ValType } from '../wasm/encoder.ts';
import { checkVector, isMmxForm, readVecTo, v128Local, writeVec, loadXmm, type Emit } from './sse-common.ts';
import { Simd, laneBytes, shuffle, simd, simdLane, v128Const, v128Splat } from './sse-wasm.ts';

/** Computes the result of `a` (destination) and `b` (source) v128 locals; `width` is 8 (MMX) or 16 bytes. */
type VecOp = (ctx: BlockContext, a: number, b: number, width: 8 | 16) => void;

/** dst = op(dst, src): read the source (memory may fault) before anything is written. */
function binary(op: VecOp): Emit {
  return (ctx) => {
    checkVector(ctx);
    const b = readVecTo(ctx, 1);
    const a = readVecTo(ctx, 0);
    op(ctx, a, b, isMmxForm(ctx) ? 8 : 16);
    const r = v128Local(ctx);
    ctx.fb.set(r);
    writeVec(ctx, 0, r);
  };
}

/** One Wasm SIMD binary instruction. */
const simple = (code: Simd): VecOp => (ctx, a, b) => {
  ctx.fb.get(a).get(b);
  simd(ctx.fb, code);
};

/** One Wasm SIMD instruction with the operands swapped (PANDN: ~dst & src is v128.andnot(src, dst)). */
const swapped = (code: Simd): VecOp => (ctx, a, b) => {
  ctx.fb.get(b).get(a);
  simd(ctx.fb, code);
};

/** Interleaves the low (or high) halves of a and b in elements of `size` bytes (PUNPCKL/H*, UNPCKL/H*). */
const unpack = (size: number, high: boolean): VecOp => (ctx, a, b, width) => {
  const n = width / size;
  const base = high ? n / 2 : 0;
  const lanes: number[] = [];
  for (let i = 0; i < n / 2; i++) lanes.push(...laneBytes(base + i, size, 0), ...laneBytes(base + i, size, 1));
  while (lanes.length < 16) lanes.push(0);
  ctx.fb.get(a).get(b);
  shuffle(ctx.fb, lanes);
};

/**
 * Packs with saturation (PACKSSWB, PACKUSWB, PACKSSDW, PACKUSDW). The MMX form keeps the
 * narrowed low halves of both operands: bytes 0-3 and 8-11 of the v128 result.
 */
const pack = (code: Simd): VecOp => (ctx, a, b, width) => {
  ctx.fb.get(a).get(b);
  simd(ctx.fb, code);
  if (width === 8) {
    const t = v128Local(ctx);
    ctx.fb.set(t).get(t).get(t);
    shuffle(ctx.fb, [0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0]);
  }
};

/** PMULHW / PMULHUW: the high 16 bits of each 32-bit product. */
const mulHigh = (signed: boolean): VecOp => (ctx, a, b) => {
  const fb = ctx.fb;
  const lo = signed ? Simd.i32x4_extmul_low_i16x8_s : Simd.i32x4_extmul_low_i16x8_u;
  const hi = signed ? Simd.i32x4_extmul_high_i16x8_s : Simd.i32x4_extmul_high_i16x8_u;
  fb.get(a).get(b);
  simd(fb, lo);
  fb.get(a).get(b);
  simd(fb, hi);
  // Take bytes 2-3 of each 32-bit product.
  shuffle(fb, [2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31]);
};

/** PMULUDQ / PMULDQ: dwords 0 and 2 multiplied into two quadwords. */
const mulEvenDwords = (signed: boolean): VecOp => (ctx, a, b) => {
  const fb = ctx.fb;
  const even = [...laneBytes(0, 4, 0), ...laneBytes(2, 4, 0), ...laneBytes(0, 4, 0), ...laneBytes(2, 4, 0)];
  fb.get(a).get(a);
  shuffle(fb, even);
  fb.get(b).get(b);
  shuffle(fb, even);
  simd(fb, signed ? Simd.i64x2_extmul_low_i32x4_s : Simd.i64x2_extmul_low_i32x4_u);
};

/** PSADBW: sums of absolute byte differences per quadword, in its low word. */
const sadbw: VecOp = (ctx, a, b) => {
  const fb = ctx.fb;
  fb.get(a).get(b);
  simd(fb, Simd.i8x16_max_u);
  fb.get(a).get(b);
  simd(fb, Simd.i8x16_min_u);
  simd(fb, Simd.i8x16_sub);
  simd(fb, Simd.i16x8_extadd_pairwise_i8x16_u);
  simd(fb, Simd.i32x4_extadd_pairwise_i16x8_u);
  const t = v128Local(ctx);
  fb.set(t).get(t);
  v128Splat(fb, 8, 0xffffffffn);
  simd(fb, Simd.v128_and);
  fb.get(t).i32Const(32);
  simd(fb, Simd.i64x2_shr_u);
  simd(fb, Simd.i64x2_add);
};

/** PSIGNB/W/D: negate, keep or zero each element of a by the sign of b's. */
const sign = (lt: Simd, eq: Simd, neg: Simd): VecOp => (ctx, a, b) => {
  const fb = ctx.fb;
  const zero = (): void => v128Const(fb, []);
  fb.get(a);
  simd(fb, neg);
  fb.get(a);
  fb.get(b);
  zero();
  simd(fb, lt);
  simd(fb, Simd.v128_bitselect);
  fb.get(b);
  zero();
  simd(fb, eq);
  simd(fb, Simd.v128_andnot);
};

/** PMULHRSW: (a * b + 0x4000) >> 15; Wasm saturates 0x8000 * 0x8000 where x86 gives 0x8000. */
const mulhrs: VecOp = (ctx, a, b) => {
  const fb = ctx.fb;
  fb.get(a).get(b);
  simd(fb, Simd.i16x8_q15mulr_sat_s);
  fb.get(a);
  v128Splat(fb, 2, 0x8000n);
  simd(fb, Simd.i16x8_eq);
  fb.get(b);
  v128Splat(fb, 2, 0x8000n);
  simd(fb, Simd.i16x8_eq);
  simd(fb, Simd.v128_and);
  simd(fb, Simd.v128_xor);
};

/** Even and odd elements of a then b (the horizontal operations' operand pairs). */
function evenOdd(ctx: BlockContext, a: number, b: number, width: number, size: number, odd: boolean): void {
  const n = width / size;
  const lanes: number[] = [];
  for (let i = odd ? 1 : 0; i < n; i += 2) lanes.push(...laneBytes(i, size, 0));
  for (let i = odd ? 1 : 0; i < n; i += 2) lanes.push(...laneBytes(i, size, 1));
  while (lanes.length < 16) lanes.push(0);
  ctx.fb.get(a).get(b);
  shuffle(ctx.fb, lanes);
}

/** PHADDW/D, PHSUBW/D, PHADDSW, PHSUBSW: even op odd over a's elements then b's. */
const horizontal = (size: number, code: Simd): VecOp => (ctx, a, b, width) => {
  evenOdd(ctx, a, b, width, size, false);
  evenOdd(ctx, a, b, width, size, true);
  simd(ctx.fb, code);
};

/** PMADDUBSW: unsigned bytes of a times signed bytes of b, adjacent pairs added with signed saturation. */
const maddubs: VecOp = (ctx, a, b) => {
  const fb = ctx.fb;
  const products = (high: boolean): number => {
    const p = v128Local(ctx);
    fb.get(a);
    if (high) {
      fb.get(a);
      shuffle(fb, [8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
    simd(fb, Simd.i16x8_extend_low_i8x16_u);
    fb.get(b);
    if (high) {
      fb.get(b);
      shuffle(fb, [8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
    simd(fb, Simd.i16x8_extend_low_i8x16_s);
    simd(fb, Simd.i16x8_mul);
    fb.set(p);
    return p;
  };
  const lo = products(false);
  const hi = products(true);
  evenOdd(ctx, lo, hi, 16, 2, false);
  evenOdd(ctx, lo, hi, 16, 2, true);
  simd(fb, Simd.i16x8_add_sat_s);
};

/** PSHUFB: bytes of a indexed by b; bit 7 of an index gives zero (Wasm swizzle: index >= 16 gives zero). */
const pshufb: VecOp = (ctx, a, b, width) => {
  const fb = ctx.fb;
  fb.get(a).get(b);
  v128Splat(fb, 1, width === 8 ? 0x87n : 0x8fn);
  simd(fb, Simd.v128_and);
  simd(fb, Simd.i8x16_swizzle);
};

/** PBLENDVB / BLENDVPS / BLENDVPD: b's element where XMM0's element has its top bit set. */
const blendv = (shr: Simd, bits: number): VecOp => (ctx, a, b) => {
  const fb = ctx.fb;
  fb.get(b).get(a);
  loadXmm(ctx, 0);
  fb.i32Const(bits - 1);
  simd(fb, shr);
  simd(fb, Simd.v128_bitselect);
};

const unaryOf = (code: Simd): VecOp => (ctx, _a, b) => {
  ctx.fb.get(b);
  simd(ctx.fb, code);
};

/** PMOVSX / PMOVZX: widen the low elements of the source step by step. */
const extend = (steps: Simd[]): VecOp => (ctx, _a, b) => {
  ctx.fb.get(b);
  for (const s of steps) simd(ctx.fb, s);
};

const OPS: Record<string, VecOp> = {
  paddb: simple(Simd.i8x16_add), paddw: simple(Simd.i16x8_add), paddd: simple(Simd.i32x4_add), paddq: simple(Simd.i64x2_add),
  psubb: simple(Simd.i8x16_sub), psubw: simple(Simd.i16x8_sub), psubd: simple(Simd.i32x4_sub), psubq: simple(Simd.i64x2_sub),
  paddsb: simple(Simd.i8x16_add_sat_s), paddsw: simple(Simd.i16x8_add_sat_s), paddusb: simple(Simd.i8x16_add_sat_u), paddusw: simple(Simd.i16x8_add_sat_u),
  psubsb: simple(Simd.i8x16_sub_sat_s), psubsw: simple(Simd.i16x8_sub_sat_s), psubusb: simple(Simd.i8x16_sub_sat_u), psubusw: simple(Simd.i16x8_sub_sat_u),
  pcmpeqb: simple(Simd.i8x16_eq), pcmpeqw: simple(Simd.i16x8_eq), pcmpeqd: simple(Simd.i32x4_eq), pcmpeqq: simple(Simd.i64x2_eq),
  pcmpgtb: simple(Simd.i8x16_gt_s), pcmpgtw: simple(Simd.i16x8_gt_s), pcmpgtd: simple(Simd.i32x4_gt_s), pcmpgtq: simple(Simd.i64x2_gt_s),
  pand: simple(Simd.v128_and), por: simple(Simd.v128_or), pxor: simple(Simd.v128_xor), pandn: swapped(Simd.v128_andnot),
  andps: simple(Simd.v128_and), andpd: simple(Simd.v128_and), orps: simple(Simd.v128_or), orpd: simple(Simd.v128_or),
  xorps: simple(Simd.v128_xor), xorpd: simple(Simd.v128_xor), andnps: swapped(Simd.v128_andnot), andnpd: swapped(Simd.v128_andnot),
  pminub: simple(Simd.i8x16_min_u), pmaxub: simple(Simd.i8x16_max_u), pminsw: simple(Simd.i16x8_min_s), pmaxsw: simple(Simd.i16x8_max_s),
  pminsb: simple(Simd.i8x16_min_s), pmaxsb: simple(Simd.i8x16_max_s), pminuw: simple(Simd.i16x8_min_u), pmaxuw: simple(Simd.i16x8_max_u),
  pminsd: simple(Simd.i32x4_min_s), pmaxsd: simple(Simd.i32x4_max_s), pminud: simple(Simd.i32x4_min_u), pmaxud: simple(Simd.i32x4_max_u),
  pavgb: simple(Simd.i8x16_avgr_u), pavgw: simple(Simd.i16x8_avgr_u),
  pmullw: simple(Simd.i16x8_mul), pmulld: simple(Simd.i32x4_mul), pmaddwd: simple(Simd.i32x4_dot_i16x8_s),
  pmulhw: mulHigh(true), pmulhuw: mulHigh(false), pmuludq: mulEvenDwords(false), pmuldq: mulEvenDwords(true),
  psadbw: sadbw, pmulhrsw: mulhrs, pmaddubsw: maddubs, pshufb,
  punpcklbw: unpack(1, false), punpcklwd: unpack(2, false), punpckldq: unpack(4, false), punpcklqdq: unpack(8, false),
  punpckhbw: unpack(1, true), punpckhwd: unpack(2, true), punpckhdq: unpack(4, true), punpckhqdq: unpack(8, true),
  unpcklps: unpack(4, false), unpckhps: unpack(4, true), unpcklpd: unpack(8, false), unpckhpd: unpack(8, true),
  packsswb: pack(Simd.i8x16_narrow_i16x8_s), packuswb: pack(Simd.i8x16_narrow_i16x8_u),
  packssdw: pack(Simd.i16x8_narrow_i32x4_s), packusdw: pack(Simd.i16x8_narrow_i32x4_u),
  psignb: sign(Simd.i8x16_lt_s, Simd.i8x16_eq, Simd.i8x16_neg), psignw: sign(Simd.i16x8_lt_s, Simd.i16x8_eq, Simd.i16x8_neg),
  psignd: sign(Simd.i32x4_lt_s, Simd.i32x4_eq, Simd.i32x4_neg),
  phaddw: horizontal(2, Simd.i16x8_add), phaddd: horizontal(4, Simd.i32x4_add), phaddsw: horizontal(2, Simd.i16x8_add_sat_s),
  phsubw: horizontal(2, Simd.i16x8_sub), phsubd: horizontal(4, Simd.i32x4_sub), phsubsw: horizontal(2, Simd.i16x8_sub_sat_s),
  pabsb: unaryOf(Simd.i8x16_abs), pabsw: unaryOf(Simd.i16x8_abs), pabsd: unaryOf(Simd.i32x4_abs),
  pblendvb: blendv(Simd.i8x16_shr_s, 8), blendvps: blendv(Simd.i32x4_shr_s, 32), blendvpd: blendv(Simd.i64x2_shr_s, 64),
  pmovsxbw: extend([Simd.i16x8_extend_low_i8x16_s]),
  pmovsxbd: extend([Simd.i16x8_extend_low_i8x16_s, Simd.i32x4_extend_low_i16x8_s]),
  pmovsxbq: extend([Simd.i16x8_extend_low_i8x16_s, Simd.i32x4_extend_low_i16x8_s, Simd.i64x2_extend_low_i32x4_s]),
  pmovsxwd: extend([Simd.i32x4_extend_low_i16x8_s]),
  pmovsxwq: extend([Simd.i32x4_extend_low_i16x8_s, Simd.i64x2_extend_low_i32x4_s]),
  pmovsxdq: extend([Simd.i64x2_extend_low_i32x4_s]),
  pmovzxbw: extend([Simd.i16x8_extend_low_i8x16_u]),
  pmovzxbd: extend([Simd.i16x8_extend_low_i8x16_u, Simd.i32x4_extend_low_i16x8_u]),
  pmovzxbq: extend([Simd.i16x8_extend_low_i8x16_u, Simd.i32x4_extend_low_i16x8_u, Simd.i64x2_extend_low_i32x4_u]),
  pmovzxwd: extend([Simd.i32x4_extend_low_i16x8_u]),
  pmovzxwq: extend([Simd.i32x4_extend_low_i16x8_u, Simd.i64x2_extend_low_i32x4_u]),
  pmovzxdq: extend([Simd.i64x2_extend_low_i32x4_u]),
};

// ---- shifts ---------------------------------------------------------------------------

interface ShiftKind {
  readonly bits: 16 | 32 | 64;
  readonly code: Simd;
  readonly arithmetic: boolean;
}
const SHIFTS: Record<string, ShiftKind> = {
  psllw: { bits: 16, code: Simd.i16x8_shl, arithmetic: false }, pslld: { bits: 32, code: Simd.i32x4_shl, arithmetic: false },
  psllq: { bits: 64, code: Simd.i64x2_shl, arithmetic: false }, psrlw: { bits: 16, code: Simd.i16x8_shr_u, arithmetic: false },
  psrld: { bits: 32, code: Simd.i32x4_shr_u, arithmetic: false }, psrlq: { bits: 64, code: Simd.i64x2_shr_u, arithmetic: false },
  psraw: { bits: 16, code: Simd.i16x8_shr_s, arithmetic: true }, psrad: { bits: 32, code: Simd.i32x4_shr_s, arithmetic: true },
};

/**
 * PSLL/PSRL/PSRA by a register or memory count (the low 64 bits of the source) or an
 * immediate. A count above the lane width minus one clears a logical shift's lanes and
 * fills an arithmetic shift's with the sign (SDM Vol. 2B PSLLW); Wasm takes the count modulo
 * the lane width, so the count is clamped first.
 */
function shift(k: ShiftKind): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    checkVector(ctx);
    const ops = ctx.instr.form.operands;
    const byImm = ops[1] === 'Ib';
    const r = v128Local(ctx);
    if (byImm) {
      const count = ctx.instr.imm & 0xff;
      const a = readVecTo(ctx, 0);
      if (count >= k.bits && !k.arithmetic) v128Const(fb, []);
      else {
        fb.get(a).i32Const(Math.min(count, k.bits - 1));
        simd(fb, k.code);
      }
    } else {
      const b = readVecTo(ctx, 1);
      const a = readVecTo(ctx, 0);
      const count = ctx.i64();
      fb.get(b);
      simdLane(fb, Simd.i64x2_extract_lane, 0);
      fb.set(count);
      fb.get(count).i64Const(k.bits - 1).op(Op.i64_gt_u);
      if (k.arithmetic) {
        fb.if_(ValType.v128);
        fb.get(a).i32Const(k.bits - 1);
        simd(fb, k.code);
        fb.else_();
        fb.get(a).get(count).op(Op.i32_wrap_i64);
        simd(fb, k.code);
        fb.end();
      } else {
        fb.if_(ValType.v128);
        v128Const(fb, []);
        fb.else_();
        fb.get(a).get(count).op(Op.i32_wrap_i64);
        simd(fb, k.code);
        fb.end();
      }
    }
    fb.set(r);
    writeVec(ctx, 0, r);
  };
}

/** PSLLDQ / PSRLDQ: byte shifts of the whole register by imm8 (16 or more clears it). */
function byteShift(left: boolean): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    checkVector(ctx);
    const n = ctx.instr.imm & 0xff;
    const a = readVecTo(ctx, 0);
    const lanes: number[] = [];
    // shuffle(a, zero): lanes 0-15 from a, 16-31 zero.
    for (let i = 0; i < 16; i++) {
      const src = left ? i - n : i + n;
      lanes.push(src >= 0 && src < 16 ? src : 16);
    }
    fb.get(a);
    v128Const(fb, []);
    shuffle(fb, lanes);
    const r = v128Local(ctx);
    fb.set(r);
    writeVec(ctx, 0, r);
  };
}

// ---- shuffles with an immediate ---------------------------------------------------------

/** Builds the result from `lanes` (byte indices into dst then src) computed from imm8. */
function immShuffle(lanesOf: (imm: number, width: number) => number[]): Emit {
  return (ctx) => {
    checkVector(ctx);
    const b = readVecTo(ctx, 1);
    const a = readVecTo(ctx, 0);
    const lanes = lanesOf(ctx.instr.imm & 0xff, isMmxForm(ctx) ? 8 : 16);
    while (lanes.length < 16) lanes.push(0);
    ctx.fb.get(a).get(b);
    shuffle(ctx.fb, lanes);
    const r = v128Local(ctx);
    ctx.fb.set(r);
    writeVec(ctx, 0, r);
  };
}

const sel = (imm: number, i: number): number => (imm >> (2 * i)) & 3;
const words = (idx: number[], which: 0 | 1): number[] => idx.flatMap((w) => laneBytes(w, 2, which));
const dwords = (idx: number[], which: 0 | 1): number[] => idx.flatMap((d) => laneBytes(d, 4, which));

const shuffleEmitters: Record<string, Emit> = {
  // PSHUFD: each dword of the source chosen by two bits (SDM Vol. 2B PSHUFD).
  pshufd: immShuffle((imm) => dwords([0, 1, 2, 3].map((i) => sel(imm, i)), 1)),
  pshufw: immShuffle((imm) => words([0, 1, 2, 3].map((i) => sel(imm, i)), 1)),
  pshuflw: immShuffle((imm) => [...words([0, 1, 2, 3].map((i) => sel(imm, i)), 1), ...words([4, 5, 6, 7], 1)]),
  pshufhw: immShuffle((imm) => [...words([0, 1, 2, 3], 1), ...words([0, 1, 2, 3].map((i) => 4 + sel(imm, i)), 1)]),
  // SHUFPS: two dwords of the destination, then two of the source (SDM Vol. 2B SHUFPS).
  shufps: immShuffle((imm) => [...dwords([sel(imm, 0), sel(imm, 1)], 0), ...dwords([sel(imm, 2), sel(imm, 3)], 1)]),
  shufpd: immShuffle((imm) => [...laneBytes(imm & 1, 8, 0), ...laneBytes((imm >> 1) & 1, 8, 1)]),
  blendps: immShuffle((imm) => [0, 1, 2, 3].flatMap((i) => laneBytes(i, 4, ((imm >> i) & 1) as 0 | 1))),
  blendpd: immShuffle((imm) => [0, 1].flatMap((i) => laneBytes(i, 8, ((imm >> i) & 1) as 0 | 1))),
  pblendw: immShuffle((imm) => [0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => laneBytes(i, 2, ((imm >> i) & 1) as 0 | 1))),
};

/** PALIGNR: (dst:src) shifted right by imm8 bytes, the low half kept (SDM Vol. 2B PALIGNR). */
const palignr: Emit = (ctx) => {
  const fb = ctx.fb;
  checkVector(ctx);
  const b = readVecTo(ctx, 1);
  const a = readVecTo(ctx, 0);
  const n = ctx.instr.imm & 0xff;
  const width = isMmxForm(ctx) ? 8 : 16;
  // Byte k of the concatenation: src bytes first, then dst; beyond 2 * width it is zero.
  // As shuffle lanes: src byte j is lane j, dst byte j is lane 16 + j; a zero is taken from
  // a zero vector in place of the operand that cannot supply it.
  const lanes: number[] = [];
  let needZero = false;
  for (let i = 0; i < width; i++) {
    const k = n + i;
    if (k < width) lanes.push(k);
    else if (k < 2 * width) lanes.push(16 + k - width);
    else {
      lanes.push(-1);
      needZero = true;
    }
  }
  const usesSrc = lanes.some((l) => l >= 0 && l < 16);
  if (needZero && usesSrc) throw new Error('palignr: unreachable lane mix');
  while (lanes.length < 16) lanes.push(needZero ? -1 : 0);
  if (needZero) {
    // Only dst bytes and zeros: shuffle(zero, dst).
    v128Const(fb, []);
    fb.get(a);
    shuffle(fb, lanes.map((l) => (l < 0 ? 0 : l)));
  } else {
    fb.get(b).get(a);
    shuffle(fb, lanes);
  }
  const r = v128Local(ctx);
  fb.set(r);
  writeVec(ctx, 0, r);
};

/** PTEST: ZF = (dst AND src) == 0, CF = (NOT dst AND src) == 0, the other flags 0 (SDM Vol. 2B PTEST). */
const ptest: Emit = (ctx) => {
  const fb = ctx.fb;
  checkVector(ctx);
  const b = readVecTo(ctx, 1);
  const a = readVecTo(ctx, 0);
  const bits = ctx.i32();
  fb.get(a).get(b);
  simd(fb, Simd.v128_and);
  simd(fb, Simd.v128_any_true);
  fb.op(Op.i32_eqz).i32Const(Math.log2(Flag.ZF)).op(Op.i32_shl);
  fb.get(b).get(a);
  simd(fb, Simd.v128_andnot);
  simd(fb, Simd.v128_any_true);
  fb.op(Op.i32_eqz).op(Op.i32_or).set(bits); // CF is bit 0
  ctx.flags.produceBits(STATUS_FLAGS, bits);
};

export const sseIntEmitters: Record<string, Emit> = {
  ...Object.fromEntries(Object.entries(OPS).map(([m, op]) => [m, binary(op)])),
  ...Object.fromEntries(Object.entries(SHIFTS).map(([m, k]) => [m, shift(k)])),
  pslldq: byteShift(true),
  psrldq: byteShift(false),
  ...shuffleEmitters,
  palignr,
  ptest,
};
