// Generated-code fast paths of the SSE compares, MIN/MAX and conversions that compiled code
// uses most (UCOMISD + Jcc, CVTSI2SD, CVTTSD2SI, CMPLTSD...). Each checks, in Wasm, that the
// x86 result needs no MXCSR change Wasm cannot compute: operands normal or zero (no NaN, no
// denormal, so neither IE nor DE and DAZ does not matter) and, for conversions that round, an
// exact result or PE already set with round-to-nearest. Otherwise the exact helper of
// core/simd/fp-exec.ts runs (SDM Vol. 2A COMISD, UCOMISD, CVTSI2SD, CVTTSD2SI, MINPS, CMPPS).
import { Mxcsr } from '../../core/simd/mxcsr.ts';
import { Flag, STATUS_FLAGS } from '../../core/cpu/registers.ts';
import type { BlockContext } from '../context.ts';
import { Op, ValType } from '../wasm/encoder.ts';
import { beginFast, checkSse, floatOperands, loadXmm, readVecTo, slowPath, v128Local, vecReg, type Emit } from './sse-common.ts';
import { Num, Simd, f64Const, shuffle, simd, simdLane, v128Const, v128Splat } from './sse-wasm.ts';

const F32_MIN_NORMAL = 2 ** -126;
const F32_MAX = (2 - 2 ** -23) * 2 ** 127;
const F64_MIN_NORMAL = 2 ** -1022;
const F64_MAX = Number.MAX_VALUE;
/** PE set and masked: an inexact result changes nothing in MXCSR. */
const PE_STICKY = Mxcsr.PE | Mxcsr.PM;

/** Pushes lane 0 of v128 `v` as an f64 (a single is widened exactly). */
function lane0(ctx: BlockContext, v: number, single: boolean): void {
  ctx.fb.get(v);
  simdLane(ctx.fb, single ? Simd.f32x4_extract_lane : Simd.f64x2_extract_lane, 0);
  if (single) ctx.fb.byte(Num.f64_promote_f32);
}

/** Pushes i32: the f64 local is zero or a normal number of the format (so neither NaN, infinity nor denormal). */
function normalOrZero(ctx: BlockContext, x: number, single: boolean): void {
  const fb = ctx.fb;
  fb.get(x).byte(Num.f64_abs);
  f64Const(fb, single ? F32_MIN_NORMAL : F64_MIN_NORMAL);
  fb.byte(Num.f64_ge); // false for NaN
  fb.get(x).byte(Num.f64_abs);
  f64Const(fb, single ? F32_MAX : F64_MAX);
  fb.byte(Num.f64_le);
  fb.op(Op.i32_and);
  fb.get(x);
  f64Const(fb, 0);
  fb.byte(Num.f64_eq);
  fb.op(Op.i32_or);
}

function f64Local(ctx: BlockContext): number {
  return ctx.fb.local(ValType.f64);
}

/** COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF from the unordered compare; OF SF AF cleared. */
const comi = (single: boolean): Emit => (ctx) => {
  const fb = ctx.fb;
  checkSse(ctx);
  const src = readVecTo(ctx, 1);
  const d = vecReg(ctx, 0);
  const dst = v128Local(ctx);
  loadXmm(ctx, d);
  fb.set(dst);
  const a = f64Local(ctx);
  const b = f64Local(ctx);
  lane0(ctx, dst, single);
  fb.set(a);
  lane0(ctx, src, single);
  fb.set(b);
  normalOrZero(ctx, a, single);
  normalOrZero(ctx, b, single);
  fb.op(Op.i32_and);
  beginFast(ctx);
  const rf = ctx.addr('rflags');
  fb.i32Const(0);
  fb.i32Const(0).mem(Op.i32_load, rf).i32Const(~STATUS_FLAGS).op(Op.i32_and);
  fb.get(a).get(b).byte(Num.f64_eq).i32Const(Math.log2(Flag.ZF)).op(Op.i32_shl).op(Op.i32_or);
  fb.get(a).get(b).byte(Num.f64_lt).op(Op.i32_or); // CF is bit 0
  fb.mem(Op.i32_store, rf);
  slowPath(ctx, src, d, null);
};

/**
 * CVTSI2SD/CVTSI2SS: an integer that fits the significand (53 or 24 bits) converts exactly
 * with no flag; larger ones round under MXCSR.RC in the helper.
 */
const cvtsi2 = (single: boolean): Emit => (ctx) => {
  const fb = ctx.fb;
  checkSse(ctx);
  const n = ctx.i64();
  ctx.read(ctx.operand(1));
  if (ctx.instr.opSize !== 8) ctx.signExtend(4);
  fb.set(n);
  const d = vecReg(ctx, 0);
  const limit = single ? 2 ** 24 : 2 ** 53;
  fb.get(n).i64Const(limit).op(Op.i64_add).i64Const(2 * limit).op(Op.i64_le_u);
  beginFast(ctx);
  const r = v128Local(ctx);
  loadXmm(ctx, d);
  fb.get(n);
  fb.byte(Num.f64_convert_i64_s);
  if (single) {
    fb.byte(Num.f32_demote_f64); // exact for |n| <= 2^24
    simdLane(fb, Simd.f32x4_replace_lane, 0);
  } else simdLane(fb, Simd.f64x2_replace_lane, 0);
  fb.set(r);
  slowPath(ctx, n, d, r);
};

/**
 * CVTTSD2SI/CVTSD2SI/CVTTSS2SI/CVTSS2SI: truncate (or round to nearest with RC = 00) in Wasm
 * when the result is in range and exact, or inexact with PE already set.
 */
const cvt2si = (single: boolean, truncate: boolean): Emit => (ctx) => {
  const fb = ctx.fb;
  checkSse(ctx);
  const src = readVecTo(ctx, 1);
  const wide = ctx.instr.opSize === 8;
  const x = f64Local(ctx);
  const r = f64Local(ctx);
  lane0(ctx, src, single);
  fb.set(x);
  fb.get(x).byte(truncate ? Num.f64_trunc : Num.f64_nearest).set(r);
  // |r| < 2^31 (2^63): in range; false for NaN.
  fb.get(r).byte(Num.f64_abs);
  f64Const(fb, wide ? 2 ** 63 : 2 ** 31);
  fb.byte(Num.f64_lt);
  fb.get(r).get(x).byte(Num.f64_eq);
  fb.i32Const(0).mem(Op.i32_load, ctx.addr('mxcsr')).i32Const(PE_STICKY).op(Op.i32_and).i32Const(PE_STICKY).op(Op.i32_eq);
  fb.op(Op.i32_or).op(Op.i32_and);
  if (!truncate) {
    fb.i32Const(0).mem(Op.i32_load, ctx.addr('mxcsr')).i32Const(Mxcsr.RC_MASK).op(Op.i32_and).op(Op.i32_eqz);
    fb.op(Op.i32_and);
  }
  beginFast(ctx);
  const v = ctx.i64();
  fb.get(r);
  if (wide) fb.byte(Num.i64_trunc_f64_s);
  else fb.byte(Num.i32_trunc_f64_s).op(Op.i64_extend_i32_u);
  fb.set(v);
  ctx.writeReg(ctx.instr.reg, wide ? 8 : 4, v);
  slowPath(ctx, src, ctx.instr.reg, null);
};

/** CVTSS2SD: a normal or zero single widens exactly with no flag. */
const cvtss2sd: Emit = (ctx) => {
  const fb = ctx.fb;
  checkSse(ctx);
  const src = readVecTo(ctx, 1);
  const d = vecReg(ctx, 0);
  const x = f64Local(ctx);
  lane0(ctx, src, true);
  fb.set(x);
  normalOrZero(ctx, x, true);
  beginFast(ctx);
  const r = v128Local(ctx);
  loadXmm(ctx, d);
  fb.get(x);
  simdLane(fb, Simd.f64x2_replace_lane, 0);
  fb.set(r);
  slowPath(ctx, src, d, r);
};

/** SIMD float compare instructions by lane format. */
const CMP = {
  f32: {
    abs: Simd.f32x4_abs, eq: Simd.f32x4_eq, lt: Simd.f32x4_lt, gt: Simd.f32x4_gt, le: Simd.f32x4_le, ge: Simd.f32x4_ge,
    extract: Simd.f32x4_extract_lane, splat: Simd.f32x4_splat, bytes: 4 as const, min: 0x00800000n, max: 0x7f7fffffn,
  },
  f64: {
    abs: Simd.f64x2_abs, eq: Simd.f64x2_eq, lt: Simd.f64x2_lt, gt: Simd.f64x2_gt, le: Simd.f64x2_le, ge: Simd.f64x2_ge,
    extract: Simd.f64x2_extract_lane, splat: Simd.f64x2_splat, bytes: 8 as const, min: 0x0010000000000000n, max: 0x7fefffffffffffffn,
  },
};
type CmpLanes = (typeof CMP)['f32'] | (typeof CMP)['f64'];

/** Pushes the lane mask: every lane of v is zero or normal. */
function vecNormalOrZero(ctx: BlockContext, l: CmpLanes, v: number): void {
  const fb = ctx.fb;
  fb.get(v);
  simd(fb, l.abs);
  v128Splat(fb, l.bytes, l.min);
  simd(fb, l.ge);
  fb.get(v);
  simd(fb, l.abs);
  v128Splat(fb, l.bytes, l.max);
  simd(fb, l.le);
  simd(fb, Simd.v128_and);
  fb.get(v);
  v128Const(fb, []);
  simd(fb, l.eq);
  simd(fb, Simd.v128_or);
}

/**
 * MIN/MAX and CMPxx (predicates 0-7) on normal or zero operands: no flag can change. MIN
 * returns the source unless dst < src (so two zeros give the source), MAX likewise.
 */
const minMaxCmp = (kind: 'min' | 'max' | 'cmp', l: CmpLanes, scalar: boolean): Emit => (ctx) => {
  const fb = ctx.fb;
  const { src, d, dst, a, b } = floatOperands(ctx, l, scalar);
  vecNormalOrZero(ctx, l, a);
  vecNormalOrZero(ctx, l, b);
  simd(fb, Simd.v128_and);
  simd(fb, Simd.i32x4_all_true);
  beginFast(ctx);
  const r = v128Local(ctx);
  const pred = ctx.instr.imm & 7;
  if (kind === 'cmp') {
    // EQ LT LE UNORD NEQ NLT NLE ORD; with no NaN, UNORD is false and ORD true.
    if (pred === 3 || pred === 7) v128Const(fb, pred === 7 ? Array<number>(16).fill(0xff) : []);
    else {
      fb.get(a).get(b);
      simd(fb, [l.eq, l.lt, l.le][pred & 3]!);
      if (pred >= 4) simd(fb, Simd.v128_not);
    }
  } else {
    fb.get(a).get(b);
    fb.get(a).get(b);
    simd(fb, kind === 'min' ? l.lt : l.gt);
    simd(fb, Simd.v128_bitselect);
  }
  fb.set(r);
  if (scalar) {
    fb.get(dst).get(r);
    shuffle(fb, Array.from({ length: 16 }, (_, k) => (k < l.bytes ? 16 + k : k)));
    fb.set(r);
  }
  slowPath(ctx, src, d, r);
};

export const sseScalarEmitters: Record<string, Emit> = {
  comiss: comi(true), ucomiss: comi(true), comisd: comi(false), ucomisd: comi(false),
  cvtsi2sd: cvtsi2(false), cvtsi2ss: cvtsi2(true),
  cvttsd2si: cvt2si(false, true), cvtsd2si: cvt2si(false, false),
  cvttss2si: cvt2si(true, true), cvtss2si: cvt2si(true, false),
  cvtss2sd,
  ...Object.fromEntries(
    (['min', 'max', 'cmp'] as const).flatMap((k) =>
      (['ps', 'pd', 'ss', 'sd'] as const).map((s) => [k + s, minMaxCmp(k, s[1] === 's' ? CMP.f32 : CMP.f64, s[0] === 's')]),
    ),
  ),
};

// ---- packed conversions ----------------------------------------------------------------

/** Pushes the lane mask: every lane of v is zero or normal (f32 or f64 lanes). */
function laneNormalOrZero(ctx: BlockContext, single: boolean, v: number): void {
  vecNormalOrZero(ctx, single ? CMP.f32 : CMP.f64, v);
}

/** MXCSR.PE |= the i32 on the stack (0 or 1). */
function orPrecision(ctx: BlockContext): void {
  const fb = ctx.fb;
  const mx = ctx.addr('mxcsr');
  const bit = ctx.i32();
  fb.set(bit);
  fb.i32Const(0).i32Const(0).mem(Op.i32_load, mx).get(bit).i32Const(Math.log2(Mxcsr.PE)).op(Op.i32_shl).op(Op.i32_or).mem(Op.i32_store, mx);
}

/** Pushes i32: MXCSR's bits in `mask` equal `value`. */
function mxcsrIs(ctx: BlockContext, mask: number, value: number): void {
  ctx.fb.i32Const(0).mem(Op.i32_load, ctx.addr('mxcsr')).i32Const(mask).op(Op.i32_and).i32Const(value).op(Op.i32_eq);
}

/**
 * The packed conversions on Wasm SIMD (SDM Vol. 2A CVTDQ2PS, CVTPS2DQ, CVTTPS2DQ, CVTPD2DQ,
 * CVTTPD2DQ, CVTDQ2PD, CVTPS2PD, CVTPD2PS). `compute` pushes the result from the source
 * local; `fastIf` pushes the i32 condition under which it equals the x86 result with at most
 * PE to add; `inexact` pushes i32 1 when PE must be set.
 */
function packedConvert(
  compute: (ctx: BlockContext, x: number) => void,
  fastIf: (ctx: BlockContext, x: number, r: number) => void,
  inexact: ((ctx: BlockContext, x: number, r: number) => void) | null,
): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    checkSse(ctx);
    const src = readVecTo(ctx, 1);
    const d = vecReg(ctx, 0);
    const r = v128Local(ctx);
    compute(ctx, src);
    fb.set(r);
    fastIf(ctx, src, r);
    beginFast(ctx);
    if (inexact) {
      inexact(ctx, src, r);
      orPrecision(ctx);
    }
    slowPath(ctx, src, d, r);
  };
}

const simdOp = (...codes: Simd[]) => (ctx: BlockContext, x: number): void => {
  ctx.fb.get(x);
  for (const c of codes) simd(ctx.fb, c);
};
const always = (ctx: BlockContext): void => void ctx.fb.i32Const(1);

/** float -> int32 lanes: |x| < 2^31 after rounding, no denormal (DAZ would make it exact), PE masked. */
const toIntFast = (single: boolean, round: Simd, needNearest: boolean) => (ctx: BlockContext, x: number): void => {
  const fb = ctx.fb;
  const l = single ? CMP.f32 : CMP.f64;
  fb.get(x);
  simd(fb, round);
  simd(fb, l.abs);
  v128Splat(fb, l.bytes, single ? 0x4f000000n : 0x41e0000000000000n); // 2^31
  simd(fb, l.lt);
  laneNormalOrZero(ctx, single, x);
  simd(fb, Simd.v128_and);
  simd(fb, Simd.i32x4_all_true);
  mxcsrIs(ctx, needNearest ? Mxcsr.PM | Mxcsr.RC_MASK : Mxcsr.PM, Mxcsr.PM);
  fb.op(Op.i32_and);
};
const roundedDiffers = (single: boolean, round: Simd) => (ctx: BlockContext, x: number): void => {
  const fb = ctx.fb;
  const l = single ? CMP.f32 : CMP.f64;
  fb.get(x);
  simd(fb, round);
  fb.get(x);
  simd(fb, l.eq);
  simd(fb, Simd.i32x4_all_true);
  fb.op(Op.i32_eqz);
};

/** FLT_MIN (2^-126) and FLT_MAX as doubles. */
const F64_OF_F32_MIN_NORMAL = 0x3810000000000000n;
const F64_OF_F32_MAX = 0x47efffffe0000000n;

/**
 * Double to single (both f64 lanes of x; r = the demoted singles in lanes 0 and 1): Wasm's
 * round-to-nearest result with at most PE when each lane is zero, or |x| >= FLT_MIN (then the
 * result rounded with an unbounded exponent is not tiny: no underflow, SDM Vol. 1 4.9.1.5) and
 * the result is finite (no overflow); RC = 00 and PM set.
 */
function demoteExact(ctx: BlockContext, x: number, r: number): void {
  const fb = ctx.fb;
  fb.get(x);
  simd(fb, Simd.f64x2_abs);
  v128Splat(fb, 8, F64_OF_F32_MIN_NORMAL);
  simd(fb, Simd.f64x2_ge);
  fb.get(r);
  simd(fb, Simd.f64x2_promote_low_f32x4);
  simd(fb, Simd.f64x2_abs);
  v128Splat(fb, 8, F64_OF_F32_MAX);
  simd(fb, Simd.f64x2_le);
  simd(fb, Simd.v128_and);
  fb.get(x);
  v128Const(fb, []);
  simd(fb, Simd.f64x2_eq);
  simd(fb, Simd.v128_or);
  simd(fb, Simd.i32x4_all_true);
  mxcsrIs(ctx, Mxcsr.PM | Mxcsr.RC_MASK, Mxcsr.PM);
  fb.op(Op.i32_and);
}

/** Pushes i32 1 when a demoted lane differs from its double. */
function demoteInexact(ctx: BlockContext, x: number, r: number): void {
  ctx.fb.get(r);
  simd(ctx.fb, Simd.f64x2_promote_low_f32x4);
  ctx.fb.get(x);
  simd(ctx.fb, Simd.f64x2_ne);
  simd(ctx.fb, Simd.v128_any_true);
}

/** CVTSD2SS: the demotion of the low double into the low single; the other singles of the destination kept. */
const cvtsd2ss: Emit = (ctx) => {
  const fb = ctx.fb;
  checkSse(ctx);
  const src = readVecTo(ctx, 1);
  const d = vecReg(ctx, 0);
  const x = v128Local(ctx);
  const r = v128Local(ctx);
  fb.get(src);
  simdLane(fb, Simd.f64x2_extract_lane, 0);
  simd(fb, Simd.f64x2_splat);
  fb.set(x);
  fb.get(x);
  simd(fb, Simd.f32x4_demote_f64x2_zero);
  fb.set(r);
  demoteExact(ctx, x, r);
  beginFast(ctx);
  demoteInexact(ctx, x, r);
  orPrecision(ctx);
  loadXmm(ctx, d);
  fb.get(r);
  simdLane(fb, Simd.f32x4_extract_lane, 0);
  simdLane(fb, Simd.f32x4_replace_lane, 0);
  fb.set(r);
  slowPath(ctx, src, d, r);
};

const packedConversions: Record<string, Emit> = {
  cvtsd2ss,
  // int32 -> double is always exact.
  cvtdq2pd: packedConvert(simdOp(Simd.f64x2_convert_low_i32x4_s), always, null),
  // int32 -> single rounds to nearest; inexact when converting back differs.
  cvtdq2ps: packedConvert(
    simdOp(Simd.f32x4_convert_i32x4_s),
    (ctx) => mxcsrIs(ctx, Mxcsr.PM | Mxcsr.RC_MASK, Mxcsr.PM),
    (ctx, x, r) => {
      // Compare each integer with its single, both widened exactly to double.
      const fb = ctx.fb;
      const high = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
      for (const lanes of [null, high]) {
        fb.get(x);
        if (lanes) {
          fb.get(x);
          shuffle(fb, lanes);
        }
        simd(fb, Simd.f64x2_convert_low_i32x4_s);
        fb.get(r);
        if (lanes) {
          fb.get(r);
          shuffle(fb, lanes);
        }
        simd(fb, Simd.f64x2_promote_low_f32x4);
        simd(fb, Simd.f64x2_ne);
      }
      simd(fb, Simd.v128_or);
      simd(fb, Simd.v128_any_true);
    },
  ),
  cvttps2dq: packedConvert(simdOp(Simd.i32x4_trunc_sat_f32x4_s), toIntFast(true, Simd.f32x4_trunc, false), roundedDiffers(true, Simd.f32x4_trunc)),
  cvtps2dq: packedConvert(simdOp(Simd.f32x4_nearest, Simd.i32x4_trunc_sat_f32x4_s), toIntFast(true, Simd.f32x4_nearest, true), roundedDiffers(true, Simd.f32x4_nearest)),
  cvttpd2dq: packedConvert(simdOp(Simd.i32x4_trunc_sat_f64x2_s_zero), toIntFast(false, Simd.f64x2_trunc, false), roundedDiffers(false, Simd.f64x2_trunc)),
  cvtpd2dq: packedConvert(simdOp(Simd.f64x2_nearest, Simd.i32x4_trunc_sat_f64x2_s_zero), toIntFast(false, Simd.f64x2_nearest, true), roundedDiffers(false, Simd.f64x2_nearest)),
  // single -> double: exact for normal or zero lanes (0 and 1).
  cvtps2pd: packedConvert(
    simdOp(Simd.f64x2_promote_low_f32x4),
    (ctx, x) => {
      const fb = ctx.fb;
      const low = v128Local(ctx);
      // Lanes 2 and 3 do not take part: check lanes 0 and 1 twice.
      fb.get(x).get(x);
      shuffle(fb, [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]);
      fb.set(low);
      laneNormalOrZero(ctx, true, low);
      simd(fb, Simd.i32x4_all_true);
    },
    null,
  ),
  // double -> single: round to nearest; normal or zero lanes with a normal (or zero) result.
  cvtpd2ps: packedConvert(simdOp(Simd.f32x4_demote_f64x2_zero), demoteExact, demoteInexact),
};

Object.assign(sseScalarEmitters, packedConversions);
