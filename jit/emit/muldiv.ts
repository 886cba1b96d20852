// Multiply and divide: MUL IMUL (one, two and three operands) DIV IDIV (SDM Vol. 2A/2B).
//
// Flags where the SDM leaves them undefined, as the recorded host CPU (AMD Zen, family 1Ah)
// leaves them: MUL/IMUL write only CF and OF (SF, ZF, AF, PF keep their values); DIV/IDIV
// keep CF and OF, set AF and clear SF, ZF and PF.
//
// 64-bit operands need the upper half of a 128-bit product and a 128/64-bit division, which
// Wasm does not have: they are built from 32-bit halves and a shift-subtract loop.
import { Flag, Reg, Vector } from '../../core/cpu/registers.ts';
import type { BlockContext, Location, Size } from '../context.ts';
import { Op, ValType } from '../wasm/encoder.ts';
import { constBits } from './flagops.ts';

type Emit = (ctx: BlockContext) => void;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** The high 64 bits of the unsigned 128-bit product of two i64 locals, into a new local. */
export function mulHighUnsigned(ctx: BlockContext, a: number, b: number): number {
  const fb = ctx.fb;
  const lo32 = (l: number): void => {
    fb.get(l).i64Const(0xffffffffn).op(Op.i64_and);
  };
  const hi32 = (l: number): void => {
    fb.get(l).i64Const(32).op(Op.i64_shr_u);
  };
  const mid1 = ctx.i64();
  const mid2 = ctx.i64();
  const high = ctx.i64();
  // mid1 = a_hi * b_lo + (a_lo * b_lo >> 32); mid2 = a_lo * b_hi + low half of mid1: neither overflows.
  hi32(a);
  lo32(b);
  fb.op(Op.i64_mul);
  lo32(a);
  lo32(b);
  fb.op(Op.i64_mul).i64Const(32).op(Op.i64_shr_u).op(Op.i64_add).set(mid1);
  lo32(a);
  hi32(b);
  fb.op(Op.i64_mul);
  lo32(mid1);
  fb.op(Op.i64_add).set(mid2);
  hi32(a);
  hi32(b);
  fb.op(Op.i64_mul);
  hi32(mid1);
  fb.op(Op.i64_add);
  hi32(mid2);
  fb.op(Op.i64_add).set(high);
  return high;
}

/** Signed high half: unsigned high minus b when a < 0 and minus a when b < 0. */
function mulHighSigned(ctx: BlockContext, a: number, b: number): number {
  const fb = ctx.fb;
  const high = mulHighUnsigned(ctx, a, b);
  fb.get(high);
  fb.get(b).i64Const(0).get(a).i64Const(0).op(Op.i64_lt_s).op(Op.select).op(Op.i64_sub);
  fb.get(a).i64Const(0).get(b).i64Const(0).op(Op.i64_lt_s).op(Op.select).op(Op.i64_sub);
  fb.set(high);
  return high;
}

/** Records CF = OF = the i32 on the stack (1: the upper half is significant). */
function produceCarryOverflow(ctx: BlockContext): void {
  const bits = ctx.i32();
  // 0 or 1 times CF|OF.
  ctx.fb.i32Const(Flag.CF | Flag.OF).op(Op.i32_mul).set(bits);
  ctx.flags.produceBits(Flag.CF | Flag.OF, bits);
}

/** One-operand MUL/IMUL: rDX:rAX (AX for bytes) = rAX * src (SDM Vol. 2B MUL, Vol. 2A IMUL). */
function mulAccumulator(signed: boolean): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const src = ctx.operand(0);
    const size = src.size;
    const b = ctx.readTo(src);
    const a = ctx.i64();
    ctx.readReg(Reg.RAX, size);
    fb.set(a);
    const lo = ctx.i64();
    if (size === 8) {
      fb.get(a).get(b).op(Op.i64_mul).set(lo);
      const hi = signed ? mulHighSigned(ctx, a, b) : mulHighUnsigned(ctx, a, b);
      ctx.writeReg(Reg.RAX, 8, lo);
      ctx.writeReg(Reg.RDX, 8, hi);
      // Significant upper half: not the sign extension of the lower (IMUL), non-zero (MUL).
      fb.get(hi);
      if (signed) fb.get(lo).i64Const(63).op(Op.i64_shr_s).op(Op.i64_ne);
      else fb.i64Const(0).op(Op.i64_ne);
      produceCarryOverflow(ctx);
      return;
    }
    // Sizes 1-4: the full product fits an i64.
    const p = ctx.i64();
    fb.get(a);
    if (signed) ctx.signExtend(size);
    fb.get(b);
    if (signed) ctx.signExtend(size);
    fb.op(Op.i64_mul).set(p);
    if (size === 1) ctx.writeReg(Reg.RAX, 2, p);
    else {
      const hi = ctx.i64();
      fb.get(p);
      ctx.mask(size);
      fb.set(lo);
      fb.get(p).i64Const(size * 8).op(Op.i64_shr_u);
      ctx.mask(size);
      fb.set(hi);
      ctx.writeReg(Reg.RAX, size, lo);
      ctx.writeReg(Reg.RDX, size, hi);
    }
    fb.get(p);
    if (signed) {
      fb.get(p);
      ctx.signExtend(size);
      fb.op(Op.i64_ne);
    } else fb.i64Const(size * 8).op(Op.i64_shr_u).i64Const(0).op(Op.i64_ne);
    produceCarryOverflow(ctx);
  };
}

/** IMUL r, r/m and IMUL r, r/m, imm: the product truncated to the operand size. */
function imulTruncating(ctx: BlockContext): void {
  const fb = ctx.fb;
  const i = ctx.instr;
  const dst = ctx.operand(0);
  const size = dst.size;
  const srcLoc: Location = ctx.operand(1, size);
  const a = ctx.readTo(srcLoc);
  const b = ctx.i64();
  if (i.form.operands.length === 3) ctx.read(ctx.operand(2, size));
  else ctx.read(dst);
  fb.set(b);
  const res = ctx.i64();
  if (size === 8) {
    fb.get(a).get(b).op(Op.i64_mul).set(res);
    const high = mulHighSigned(ctx, a, b);
    ctx.write(dst, res);
    fb.get(high).get(res).i64Const(63).op(Op.i64_shr_s).op(Op.i64_ne);
  } else {
    const p = ctx.i64();
    fb.get(a);
    ctx.signExtend(size);
    fb.get(b);
    ctx.signExtend(size);
    fb.op(Op.i64_mul).tee(p);
    ctx.mask(size);
    fb.set(res);
    ctx.write(dst, res);
    fb.get(p).get(res);
    ctx.signExtend(size);
    fb.op(Op.i64_ne);
  }
  produceCarryOverflow(ctx);
}

const imul: Emit = (ctx) => {
  if (ctx.instr.form.operands.length === 1) mulAccumulator(true)(ctx);
  else imulTruncating(ctx);
};

/** Emits `if (i32 on the stack) raise #DE` (SDM Vol. 2A DIV: divide error, no error code). */
function divideErrorIf(ctx: BlockContext): void {
  ctx.fb.if_();
  ctx.raise(Vector.DE, 0);
  ctx.fb.end();
}

/**
 * Unsigned 128/64 division of hi:lo by d, where hi < d unsigned (so the quotient fits in 64
 * bits): restoring shift-subtract, one quotient bit per iteration. Leaves the quotient in
 * `lo` and the remainder in `hi`.
 */
function divide128(ctx: BlockContext, hi: number, lo: number, d: number): void {
  const fb = ctx.fb;
  const n = ctx.i32();
  const carry = ctx.i32();
  fb.i32Const(64).set(n);
  fb.loop();
  // carry:hi:lo <<= 1
  fb.get(hi).i64Const(63).op(Op.i64_shr_u).op(Op.i32_wrap_i64).set(carry);
  fb.get(hi).i64Const(1).op(Op.i64_shl).get(lo).i64Const(63).op(Op.i64_shr_u).op(Op.i64_or).set(hi);
  fb.get(lo).i64Const(1).op(Op.i64_shl).set(lo);
  fb.get(carry).get(hi).get(d).op(Op.i64_ge_u).op(Op.i32_or).if_();
  fb.get(hi).get(d).op(Op.i64_sub).set(hi);
  fb.get(lo).i64Const(1).op(Op.i64_or).set(lo);
  fb.end();
  fb.get(n).i32Const(1).op(Op.i32_sub).tee(n).brIf(0);
  fb.end();
}

/** 64-bit DIV/IDIV of RDX:RAX by `d`: sets q and r (i64 locals), raising #DE on overflow. */
function divide64(ctx: BlockContext, signed: boolean, d: number, q: number, r: number): void {
  const fb = ctx.fb;
  const hi = ctx.i64();
  const lo = ctx.i64();
  ctx.readReg(Reg.RDX, 8);
  fb.set(hi);
  ctx.readReg(Reg.RAX, 8);
  fb.set(lo);
  if (!signed) {
    // hi >= d: the quotient does not fit in 64 bits.
    fb.get(hi).get(d).op(Op.i64_ge_u);
    divideErrorIf(ctx);
    fb.get(hi).op(Op.i64_eqz).if_();
    fb.get(lo).get(d).op(Op.i64_div_u).set(q);
    fb.get(lo).get(d).op(Op.i64_rem_u).set(r);
    fb.else_();
    divide128(ctx, hi, lo, d);
    fb.get(lo).set(q);
    fb.get(hi).set(r);
    fb.end();
    return;
  }
  // Dividend fits in an i64 (hi is the sign extension of lo): Wasm's division, with
  // INT64_MIN / -1 (a Wasm trap) caught as the overflow it is.
  fb.get(hi).get(lo).i64Const(63).op(Op.i64_shr_s).op(Op.i64_eq).if_();
  fb.get(d).i64Const(-1).op(Op.i64_eq).get(lo).i64Const(INT64_MIN).op(Op.i64_eq).op(Op.i32_and);
  divideErrorIf(ctx);
  fb.get(lo).get(d).op(Op.i64_div_s).set(q);
  fb.get(lo).get(d).op(Op.i64_rem_s).set(r);
  fb.else_();
  // |hi:lo| / |d| unsigned, then the signs: quotient negative when the signs differ,
  // remainder with the dividend's sign (SDM Vol. 2A IDIV: truncation toward zero).
  const negN = ctx.i32();
  const negQ = ctx.i32();
  const ad = ctx.i64();
  fb.get(hi).i64Const(0).op(Op.i64_lt_s).tee(negN);
  fb.get(d).i64Const(0).op(Op.i64_lt_s).op(Op.i32_xor).set(negQ);
  fb.get(negN).if_();
  fb.get(hi).i64Const(-1).op(Op.i64_xor).get(lo).op(Op.i64_eqz).op(Op.i64_extend_i32_u).op(Op.i64_add).set(hi);
  fb.i64Const(0).get(lo).op(Op.i64_sub).set(lo);
  fb.end();
  fb.i64Const(0).get(d).op(Op.i64_sub).get(d).get(d).i64Const(0).op(Op.i64_lt_s).op(Op.select).set(ad);
  fb.get(hi).get(ad).op(Op.i64_ge_u);
  divideErrorIf(ctx);
  divide128(ctx, hi, lo, ad);
  // |q| must be <= 2^63 - 1, or 2^63 when the quotient is negative.
  fb.get(lo).i64Const(INT64_MAX).get(negQ).op(Op.i64_extend_i32_u).op(Op.i64_add).op(Op.i64_gt_u);
  divideErrorIf(ctx);
  fb.i64Const(0).get(lo).op(Op.i64_sub).get(lo).get(negQ).op(Op.select).set(q);
  fb.i64Const(0).get(hi).op(Op.i64_sub).get(hi).get(negN).op(Op.select).set(r);
  fb.end();
}

/** DIV/IDIV (SDM Vol. 2A): #DE for a zero divisor or a quotient that does not fit. */
function divide(signed: boolean): Emit {
  return (ctx) => {
    const fb = ctx.fb;
    const src = ctx.operand(0);
    const size = src.size;
    const width = size * 8;
    const d = ctx.i64();
    ctx.read(src);
    if (signed) ctx.signExtend(size);
    fb.set(d);
    fb.get(d).op(Op.i64_eqz);
    divideErrorIf(ctx);
    const q = ctx.i64();
    const r = ctx.i64();
    if (size === 8) divide64(ctx, signed, d, q, r);
    else {
      // The dividend (AX, DX:AX or EDX:EAX) fits an i64.
      const n = ctx.i64();
      if (size === 1) ctx.readReg(Reg.RAX, 2);
      else {
        ctx.readReg(Reg.RDX, size);
        fb.i64Const(width).op(Op.i64_shl);
        ctx.readReg(Reg.RAX, size);
        fb.op(Op.i64_or);
      }
      if (signed) ctx.signExtend((size * 2) as Size);
      fb.set(n);
      if (signed && size === 4) {
        // INT64_MIN / -1 traps in Wasm: take -n for a divisor of -1 (its overflow is caught below).
        fb.get(d).i64Const(-1).op(Op.i64_eq).if_(ValType.i64);
        fb.i64Const(0).get(n).op(Op.i64_sub);
        fb.else_();
        fb.get(n).get(d).op(Op.i64_div_s);
        fb.end();
      } else fb.get(n).get(d).op(signed ? Op.i64_div_s : Op.i64_div_u);
      fb.set(q);
      fb.get(n).get(d).op(signed ? Op.i64_rem_s : Op.i64_rem_u).set(r);
      fb.get(q);
      if (signed) {
        fb.get(q);
        ctx.signExtend(size);
        fb.op(Op.i64_ne);
      } else fb.i64Const(width).op(Op.i64_shr_u).i64Const(0).op(Op.i64_ne);
      divideErrorIf(ctx);
    }
    if (size === 1) {
      const ax = ctx.i64();
      fb.get(r).i64Const(0xff).op(Op.i64_and).i64Const(8).op(Op.i64_shl).get(q).i64Const(0xff).op(Op.i64_and).op(Op.i64_or).set(ax);
      ctx.writeReg(Reg.RAX, 2, ax);
    } else {
      for (const l of [q, r]) {
        fb.get(l);
        ctx.mask(size);
        fb.set(l);
      }
      ctx.writeReg(Reg.RAX, size, q);
      ctx.writeReg(Reg.RDX, size, r);
    }
    ctx.flags.produceBits(Flag.SF | Flag.ZF | Flag.AF | Flag.PF, constBits(ctx, Flag.AF));
  };
}

export const muldivEmitters: Record<string, Emit> = {
  mul: mulAccumulator(false),
  imul,
  div: divide(false),
  idiv: divide(true),
};
