// Exact x87 arithmetic in Wasm for the fast path (jit/emit/x87.ts): FADD, FSUB, FSUBR,
// FMUL, FDIV and FDIVR of normal or zero operands. Each result is computed exactly as a
// 128-bit significand hi:lo (for the quotient: 64 quotient bits and a remainder-derived lo
// that carries the same rounding information), then rounded once to the precision-control
// width with round to nearest even (SDM Vol. 1 4.8.4, 8.1.5.2), as core/fpu/arith.ts does
// with bigints. Every condition outside that (PC = 24 bits, a directed RC, PE unmasked, a
// zero divisor, a result beyond the normal exponent range, an alignment shift beyond 63)
// branches to the cold path.
import { Sw } from '../../core/fpu/status.ts';
import { Op } from '../wasm/encoder.ts';
import { CW_PC_53, CW_PC_64, CW_RC, EXP_BIAS, EXP_MAX, type FpuEmitter, J_BIT, scratch, TAG_VALID, TAG_ZERO, unpacked, type Unpacked } from './x87-fields.ts';

/** Quotient bits the division loop produces: the 64 of the register significand. */
const QUOTIENT_BITS = 64;

export class Arith {
  a: Unpacked;
  b: Unpacked;
  readonly hi: number;
  readonly lo: number;
  /** The result's sign and biased exponent before rounding. */
  readonly sign: number;
  readonly exp: number;
  /** 1 when PC = 11 (64 bits), 0 when PC = 10 (53 bits). */
  readonly full: number;
  readonly signExp: number;
  readonly mant: number;
  readonly tag: number;
  readonly up: number;
  readonly inexact: number;

  constructor(private readonly ctx: FpuEmitter) {
    this.a = unpacked(ctx);
    this.b = unpacked(ctx);
    this.hi = scratch(ctx).i64();
    this.lo = scratch(ctx).i64();
    this.sign = scratch(ctx).i32();
    this.exp = scratch(ctx).i32();
    this.full = scratch(ctx).i32();
    this.signExp = scratch(ctx).i32();
    this.mant = scratch(ctx).i64();
    this.tag = scratch(ctx).i32();
    this.up = scratch(ctx).i32();
    this.inexact = scratch(ctx).i32();
  }

  /** RC must be nearest, PE masked and PC 53 or 64 bits. */
  controlWord(): void {
    const fb = this.ctx.fb;
    const cw = scratch(this.ctx).i32();
    fb.i32Const(0).mem(Op.i32_load16_u, this.ctx.addr('fpuCw')).set(cw);
    fb.get(cw).i32Const(CW_RC).op(Op.i32_and);
    fb.get(cw).i32Const(Sw.PE).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_or);
    fb.get(cw).i32Const(CW_PC_53).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_or).brIf(0);
    fb.get(cw).i32Const(CW_PC_64).op(Op.i32_and).i32Const(CW_PC_64).op(Op.i32_eq).set(this.full);
  }

  /**
   * hi:lo = a.mant × b.mant from 32-bit limbs; exponent ea + eb - bias, normalized so bit 127
   * is set. A zero operand gives hi = lo = 0, the signed zero of round().
   */
  multiply(): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const { a, b, hi, lo } = this;
    const M32 = 0xffffffffn;
    const limb = (m: number, upper: boolean): number => {
      const l = scratch(ctx).i64();
      fb.get(m).i64Const(upper ? 32n : 0n).op(Op.i64_shr_u).i64Const(M32).op(Op.i64_and).set(l);
      return l;
    };
    const [a0, a1, b0, b1] = [limb(a.mant, false), limb(a.mant, true), limb(b.mant, false), limb(b.mant, true)];
    const prod = (x: number, y: number): number => {
      const l = scratch(ctx).i64();
      fb.get(x).get(y).op(Op.i64_mul).set(l);
      return l;
    };
    const [p00, p01, p10, p11] = [prod(a0, b0), prod(a0, b1), prod(a1, b0), prod(a1, b1)];
    const mid = scratch(ctx).i64();
    fb.get(p00).i64Const(32n).op(Op.i64_shr_u).get(p01).i64Const(M32).op(Op.i64_and).op(Op.i64_add);
    fb.get(p10).i64Const(M32).op(Op.i64_and).op(Op.i64_add).set(mid);
    fb.get(p00).i64Const(M32).op(Op.i64_and).get(mid).i64Const(32n).op(Op.i64_shl).op(Op.i64_or).set(lo);
    fb.get(p11).get(p01).i64Const(32n).op(Op.i64_shr_u).op(Op.i64_add);
    fb.get(p10).i64Const(32n).op(Op.i64_shr_u).op(Op.i64_add);
    fb.get(mid).i64Const(32n).op(Op.i64_shr_u).op(Op.i64_add).set(hi);
    fb.get(a.sign).get(b.sign).op(Op.i32_xor).set(this.sign);
    // The product of two significands in [1, 2) lies in [1, 4): bit 127 or bit 126 leads.
    const top = scratch(ctx).i32();
    fb.get(hi).i64Const(63n).op(Op.i64_shr_u).op(Op.i32_wrap_i64).set(top);
    fb.get(a.exp).get(b.exp).op(Op.i32_add).i32Const(EXP_BIAS).op(Op.i32_sub).get(top).op(Op.i32_add).set(this.exp);
    const shift = (): void => void fb.get(top).i32Const(1).op(Op.i32_xor).op(Op.i64_extend_i32_u);
    const hi2 = scratch(ctx).i64();
    fb.get(hi);
    shift();
    fb.op(Op.i64_shl).get(lo).i64Const(63n).op(Op.i64_shr_u).get(top).op(Op.i64_extend_i32_u).i64Const(1n).op(Op.i64_xor).op(Op.i64_and).op(Op.i64_or).set(hi2);
    fb.get(lo);
    shift();
    fb.op(Op.i64_shl).set(lo);
    fb.get(hi2).set(hi);
  }

  /**
   * hi:lo = |a| ± |b| aligned, exactly (the shift is at most 63, or any shift of a zero),
   * normalized so bit 127 is set. An exact zero sum is +0 under round to nearest unless
   * both addends are zeros of the same sign (SDM Vol. 2A FADD, "FADD/FADDP/FIADD Results").
   */
  add(): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const { a, b, hi, lo } = this;
    // Order the operands by magnitude: x the larger, y the smaller (a zero is the smallest).
    const swap = scratch(ctx).i32();
    fb.get(b.exp).get(a.exp).op(Op.i32_gt_u);
    fb.get(b.exp).get(a.exp).op(Op.i32_eq).get(b.mant).get(a.mant).op(Op.i64_gt_u).op(Op.i32_and);
    fb.op(Op.i32_or).set(swap);
    const pick = (first: number, second: number, wide: boolean): number => {
      const l = wide ? scratch(ctx).i64() : scratch(ctx).i32();
      fb.get(second).get(first).get(swap).op(Op.select).set(l);
      return l;
    };
    const xs = pick(a.sign, b.sign, false);
    const xe = pick(a.exp, b.exp, false);
    const xm = pick(a.mant, b.mant, true);
    const ye = pick(b.exp, a.exp, false);
    const ym = pick(b.mant, a.mant, true);
    const d = scratch(ctx).i32();
    // A shift beyond 63 leaves y as a sticky bit only: the cold path's, unless y is zero.
    fb.get(xe).get(ye).op(Op.i32_sub).tee(d).i32Const(63).op(Op.i32_gt_u).get(ym).op(Op.i64_eqz).op(Op.i32_eqz).op(Op.i32_and).brIf(0);
    const dd = scratch(ctx).i64();
    fb.get(d).op(Op.i64_extend_i32_u).set(dd);
    // y >> d spread over bhi:blo (exact: at most 63 bits move into blo; a zero y stays 0).
    const bhi = scratch(ctx).i64();
    const blo = scratch(ctx).i64();
    fb.get(ym).get(dd).op(Op.i64_shr_u).set(bhi);
    fb.i64Const(0).get(ym).i64Const(64n).get(dd).op(Op.i64_sub).op(Op.i64_shl).get(d).op(Op.i32_eqz).op(Op.select).set(blo);
    const sub = scratch(ctx).i32();
    fb.get(a.sign).get(b.sign).op(Op.i32_ne).set(sub);
    // Sum: a carry out of bit 127 shifts right by one, keeping the lost bit as sticky.
    const sumHi = scratch(ctx).i64();
    const carry = scratch(ctx).i32();
    fb.get(xm).get(bhi).op(Op.i64_add).tee(sumHi).get(xm).op(Op.i64_lt_u).set(carry);
    const sumLo = scratch(ctx).i64();
    fb.get(blo).i64Const(1n).op(Op.i64_shr_u).get(blo).i64Const(1n).op(Op.i64_and).op(Op.i64_or).get(sumHi).i64Const(63n).op(Op.i64_shl).op(Op.i64_or);
    fb.get(blo).get(carry).op(Op.select).set(sumLo);
    fb.get(sumHi).i64Const(1n).op(Op.i64_shr_u).i64Const(J_BIT).op(Op.i64_or).get(sumHi).get(carry).op(Op.select).set(sumHi);
    // Difference: x - y >= 0 (zero when |a| = |b|).
    const difHi = scratch(ctx).i64();
    const difLo = scratch(ctx).i64();
    fb.i64Const(0).get(blo).op(Op.i64_sub).set(difLo);
    fb.get(xm).get(bhi).op(Op.i64_sub).get(blo).op(Op.i64_eqz).op(Op.i64_extend_i32_u).i64Const(1n).op(Op.i64_xor).op(Op.i64_sub).set(difHi);
    // Normalize the difference: n = leading zeros of difHi:difLo (a zero difference stays 0).
    const n = scratch(ctx).i64();
    fb.get(difLo).op(Op.i64_clz).i64Const(64n).op(Op.i64_add).get(difHi).op(Op.i64_clz).get(difHi).op(Op.i64_eqz).op(Op.select).set(n);
    const nHi = scratch(ctx).i64();
    const nLo = scratch(ctx).i64();
    // n < 64: hi = difHi << n | difLo >> (64 - n), lo = difLo << n; n >= 64: hi = difLo << (n - 64), lo = 0.
    fb.get(difHi).get(n).op(Op.i64_shl);
    fb.i64Const(0).get(difLo).i64Const(64n).get(n).op(Op.i64_sub).op(Op.i64_shr_u).get(n).op(Op.i64_eqz).op(Op.select).op(Op.i64_or);
    fb.get(difLo).get(n).i64Const(64n).op(Op.i64_sub).op(Op.i64_shl);
    fb.get(n).i64Const(64n).op(Op.i64_lt_u).op(Op.select).set(nHi);
    fb.get(difLo).get(n).op(Op.i64_shl).i64Const(0).get(n).i64Const(64n).op(Op.i64_lt_u).op(Op.select).set(nLo);
    fb.get(nHi).get(sumHi).get(sub).op(Op.select).set(hi);
    fb.get(nLo).get(sumLo).get(sub).op(Op.select).set(lo);
    fb.get(xe).get(n).op(Op.i32_wrap_i64).op(Op.i32_sub);
    fb.get(xe).get(carry).op(Op.i32_add);
    fb.get(sub).op(Op.select).set(this.exp);
    // The sign of the larger magnitude; an exact zero difference is +0 (RC is nearest here).
    fb.get(xs).get(sub).get(hi).op(Op.i64_eqz).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and).set(this.sign);
  }

  /** FDIVR and friends: exchanges the roles of the operands (translation time only). */
  swapOperands(): void {
    [this.a, this.b] = [this.b, this.a];
  }

  /**
   * hi = the first 64 bits of a.mant / b.mant by restoring binary long division, and lo a
   * stand-in for the remainder fraction r/b with the same rounding facts: 0 when exact, 2^63
   * at exactly one half, above or below it otherwise. A zero divisor (ZE or IE) is the cold
   * path's; a zero dividend gives the signed zero.
   */
  divide(): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const { a, b, hi, lo } = this;
    fb.get(b.mant).op(Op.i64_eqz).brIf(0);
    fb.get(a.sign).get(b.sign).op(Op.i32_xor).set(this.sign);
    // Both significands are in [2^63, 2^64): the quotient of the significands is in (1/2, 2).
    // ge: it is >= 1, and its leading bit comes first; else the first loop step makes it.
    const ge = scratch(ctx).i32();
    const rem = scratch(ctx).i64();
    const steps = scratch(ctx).i32();
    fb.get(a.mant).get(b.mant).op(Op.i64_ge_u).set(ge);
    fb.get(a.mant).get(b.mant).op(Op.i64_sub).get(a.mant).get(ge).op(Op.select).set(rem);
    fb.get(ge).op(Op.i64_extend_i32_u).set(hi);
    fb.i32Const(QUOTIENT_BITS).get(ge).op(Op.i32_sub).set(steps);
    fb.get(a.exp).get(b.exp).op(Op.i32_sub).i32Const(EXP_BIAS - 1).op(Op.i32_add).get(ge).op(Op.i32_add).set(this.exp);
    // Each step: rem = 2 rem (65 bits: carry:rem), bit = (2 rem >= b), subtract when set.
    // rem < b holds before and after every step, so 2 rem - b fits in 64 bits.
    const carry = scratch(ctx).i32();
    const bit = scratch(ctx).i32();
    fb.block().loop();
    fb.get(steps).op(Op.i32_eqz).brIf(1);
    fb.get(rem).i64Const(63n).op(Op.i64_shr_u).op(Op.i32_wrap_i64).set(carry);
    fb.get(rem).i64Const(1n).op(Op.i64_shl).set(rem);
    fb.get(carry).get(rem).get(b.mant).op(Op.i64_ge_u).op(Op.i32_or).set(bit);
    fb.get(rem).get(b.mant).op(Op.i64_sub).get(rem).get(bit).op(Op.select).set(rem);
    fb.get(hi).i64Const(1n).op(Op.i64_shl).get(bit).op(Op.i64_extend_i32_u).op(Op.i64_or).set(hi);
    fb.get(steps).i32Const(1).op(Op.i32_sub).set(steps);
    fb.br(0).end().end();
    // The remainder against half the divisor: 2 rem vs b is rem vs b - rem (no overflow).
    const other = scratch(ctx).i64();
    fb.get(b.mant).get(rem).op(Op.i64_sub).set(other);
    fb.i64Const(J_BIT + 1n).i64Const(J_BIT).get(rem).get(other).op(Op.i64_gt_u).op(Op.select);
    fb.i64Const(1n).get(rem).get(other).op(Op.i64_ge_u).op(Op.select);
    fb.i64Const(0n).get(rem).op(Op.i64_eqz).op(Op.i32_eqz).op(Op.select).set(lo);
  }

  /**
   * Rounds hi:lo to 64 or 53 bits, to nearest even; the result must stay a normal number or
   * be an exact zero (hi = 0: no significand bit survives only when the value is 0).
   */
  round(): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const { hi, lo, full } = this;
    // 64 bits: the remainder is lo, half is bit 63 of lo.
    const up64 = scratch(ctx).i32();
    fb.get(lo).i64Const(J_BIT).op(Op.i64_gt_u);
    fb.get(lo).i64Const(J_BIT).op(Op.i64_eq).get(hi).op(Op.i32_wrap_i64).i32Const(1).op(Op.i32_and).op(Op.i32_and);
    fb.op(Op.i32_or).set(up64);
    // 53 bits: the remainder is hi[10:0]:lo, half is bit 10 of hi.
    const low = scratch(ctx).i64();
    fb.get(hi).i64Const(0x7ffn).op(Op.i64_and).set(low);
    const up53 = scratch(ctx).i32();
    fb.get(low).i64Const(0x400n).op(Op.i64_gt_u);
    fb.get(low).i64Const(0x400n).op(Op.i64_eq);
    fb.get(lo).op(Op.i64_eqz).op(Op.i32_eqz).get(hi).i64Const(11n).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32Const(1).op(Op.i32_and).op(Op.i32_or);
    fb.op(Op.i32_and).op(Op.i32_or).set(up53);
    fb.get(up64).get(up53).get(full).op(Op.select).set(this.up);
    fb.get(lo).op(Op.i64_eqz).op(Op.i32_eqz);
    fb.get(low).op(Op.i64_eqz).op(Op.i32_eqz).get(full).op(Op.i32_eqz).op(Op.i32_and).op(Op.i32_or).set(this.inexact);
    // q + increment; a carry out of bit 63 gives 1.0 × 2^(e+1).
    const q = scratch(ctx).i64();
    fb.get(hi).get(hi).i64Const(~0x7ffn).op(Op.i64_and).get(full).op(Op.select);
    fb.i64Const(1n).i64Const(0x800n).get(full).op(Op.select).i64Const(0n).get(this.up).op(Op.select).op(Op.i64_add).set(q);
    const wrapped = scratch(ctx).i32();
    fb.get(q).op(Op.i64_eqz).set(wrapped);
    const zero = scratch(ctx).i32();
    fb.get(hi).op(Op.i64_eqz).set(zero);
    fb.i64Const(0n).i64Const(J_BIT).get(q).get(wrapped).op(Op.select).get(zero).op(Op.select).set(this.mant);
    const e = scratch(ctx).i32();
    fb.get(this.exp).get(wrapped).op(Op.i32_add).tee(e);
    // Normal results only: 1 <= e <= 7FFE (as a signed i32 the exponent may have gone below 1).
    fb.i32Const(1).op(Op.i32_lt_s).get(e).i32Const(EXP_MAX - 1).op(Op.i32_gt_s).op(Op.i32_or);
    fb.get(zero).op(Op.i32_eqz).op(Op.i32_and).brIf(0);
    fb.get(this.sign).i32Const(15).op(Op.i32_shl).i32Const(0).get(e).get(zero).op(Op.select).op(Op.i32_or).set(this.signExp);
    fb.i32Const(TAG_ZERO).i32Const(TAG_VALID).get(zero).op(Op.select).set(this.tag);
  }
}
