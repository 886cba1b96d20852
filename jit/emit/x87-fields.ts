// The x87 state as generated code sees it (the fpu* fields of core/cpu/layout.ts, the same
// bits core/fpu/state.ts reads), and the loading of fast-path operands: register values
// and m32/m64 reals unpacked to sign, biased exponent and significand (SDM Vol. 1 4.2.2,
// 8.1.2-8.1.8). Any operand class a fast path does not handle branches to the cold path.
import type { VcpuFieldName } from '../../core/cpu/layout.ts';
import { Seg } from '../../core/cpu/registers.ts';
import { Sw } from '../../core/fpu/status.ts';
import { type FunctionBuilder, Op, ValType } from '../wasm/encoder.ts';

/**
 * What the x87 emitters need of the function they emit into: a block (jit/context.ts
 * BlockContext) or a function of the x87 runtime module (x87-runtime.ts).
 */
export interface FpuEmitter {
  readonly fb: FunctionBuilder;
  addr(name: VcpuFieldName, index?: number): number;
  loadField(name: VcpuFieldName, index?: number): void;
  storeField(name: VcpuFieldName, local: number, index?: number): void;
}

/** Tag values (SDM Vol. 1 Figure 8-7). */
export const TAG_VALID = 0;
export const TAG_ZERO = 1;
export const TAG_SPECIAL = 2;
export const TAG_EMPTY = 3;
export const EXP_BIAS = 16383;
export const EXP_MAX = 0x7fff;
/** The explicit integer bit J of the significand (SDM Vol. 1 8.2.2). */
export const J_BIT = 1n << 63n;
/** CW bits 11:10, RC (SDM Vol. 1 8.1.5.3); 00 is round to nearest. */
export const CW_RC = 0xc00;
/** CW bits 9:8, PC (SDM Vol. 1 8.1.5.2): 10 is 53 bits, 11 is 64 bits; bit 9 is set for both. */
export const CW_PC_53 = 0x200;
export const CW_PC_64 = 0x300;

/** A binary memory format (SDM Vol. 1 4.2.2): fraction bits, exponent bias and all-ones exponent. */
export interface MemFormat {
  size: 4 | 8;
  frac: number;
  bias: number;
  expMax: number;
}
export const SINGLE: MemFormat = { size: 4, frac: 23, bias: 127, expMax: 0xff };
export const DOUBLE: MemFormat = { size: 8, frac: 52, bias: 1023, expMax: 0x7ff };

/** Unpacked operand: sign (0/1, i32), biased exponent (i32) and significand (i64) locals. */
export interface Unpacked {
  sign: number;
  exp: number;
  mant: number;
}

/**
 * The operand classes a fast path accepts besides normal numbers: 'finite' adds the true
 * zeros, 'ordered' also the infinities (everything a comparison orders without IE or DE).
 */
export type Accept = 'normal' | 'finite' | 'ordered';

/**
 * The scratch locals of the x87 fast paths of one function. Each fast path sets every local
 * it takes before reading it and leaves nothing in them for the next instruction, so every
 * x87 instruction of a block reuses the same ones (reset()): a block of dozens of x87
 * instructions keeps a few hundred locals instead of thousands, which V8's baseline
 * compiler would allocate and zero in the frame on every entry.
 */
class LocalPool {
  private used32 = 0;
  private used64 = 0;
  private readonly all32: number[] = [];
  private readonly all64: number[] = [];
  constructor(private readonly fb: FunctionBuilder) {}
  reset(): void {
    this.used32 = 0;
    this.used64 = 0;
  }
  i32(): number {
    if (this.used32 === this.all32.length) this.all32.push(this.fb.local(ValType.i32));
    return this.all32[this.used32++];
  }
  i64(): number {
    if (this.used64 === this.all64.length) this.all64.push(this.fb.local(ValType.i64));
    return this.all64[this.used64++];
  }
}

const POOLS = new WeakMap<FunctionBuilder, LocalPool>();

/** The fast-path scratch locals of the function `ctx` emits. */
export function scratch(ctx: FpuEmitter): LocalPool {
  let pool = POOLS.get(ctx.fb);
  if (pool === undefined) POOLS.set(ctx.fb, (pool = new LocalPool(ctx.fb)));
  return pool;
}

export const unpacked = (ctx: FpuEmitter): Unpacked => ({ sign: scratch(ctx).i32(), exp: scratch(ctx).i32(), mant: scratch(ctx).i64() });

/**
 * Emission helpers over the FPU state fields: SW, TOP and TW live in i32 locals from begin()
 * to store(), physical register numbers in i32 locals.
 */
export class FpuFields {
  readonly sw: number;
  readonly top: number;
  readonly tw: number;
  private readonly mantStride: number;
  private readonly seStride: number;
  constructor(private readonly ctx: FpuEmitter) {
    this.sw = scratch(ctx).i32();
    this.top = scratch(ctx).i32();
    this.tw = scratch(ctx).i32();
    this.mantStride = ctx.addr('fpuMant', 1) - ctx.addr('fpuMant', 0);
    this.seStride = ctx.addr('fpuSignExp', 1) - ctx.addr('fpuSignExp', 0);
  }
  /** Loads SW, TOP and TW into their locals. */
  begin(): void {
    const fb = this.ctx.fb;
    fb.i32Const(0).mem(Op.i32_load16_u, this.ctx.addr('fpuSw')).tee(this.sw);
    fb.i32Const(Sw.TOP_SHIFT).op(Op.i32_shr_u).i32Const(7).op(Op.i32_and).set(this.top);
    fb.i32Const(0).mem(Op.i32_load16_u, this.ctx.addr('fpuTw')).set(this.tw);
  }
  /** A new i32 local with the physical register of ST(i). */
  phys(i: number): number {
    const l = scratch(this.ctx).i32();
    this.ctx.fb.get(this.top).i32Const(i).op(Op.i32_add).i32Const(7).op(Op.i32_and).set(l);
    return l;
  }
  /** The same for an i32 local holding i. */
  physOf(i: number): number {
    const l = scratch(this.ctx).i32();
    this.ctx.fb.get(this.top).get(i).op(Op.i32_add).i32Const(7).op(Op.i32_and).set(l);
    return l;
  }
  /** Pushes the i32 tag of physical register `r` (local). */
  tag(r: number): void {
    const fb = this.ctx.fb;
    fb.get(this.tw).get(r).i32Const(1).op(Op.i32_shl).op(Op.i32_shr_u).i32Const(3).op(Op.i32_and);
  }
  /** Branches to the cold path (depth 0) when physical register `r` is empty (a stack fault). */
  requireInUse(r: number): void {
    this.tag(r);
    this.ctx.fb.i32Const(TAG_EMPTY).op(Op.i32_eq).brIf(0);
  }
  /** Sets the tag of `r` (local) to the i32 in local `tag`. */
  setTag(r: number, tag: number): void {
    const fb = this.ctx.fb;
    const shift = scratch(this.ctx).i32();
    fb.get(r).i32Const(1).op(Op.i32_shl).set(shift);
    fb.get(this.tw).i32Const(3).get(shift).op(Op.i32_shl).i32Const(-1).op(Op.i32_xor).op(Op.i32_and);
    fb.get(tag).get(shift).op(Op.i32_shl).op(Op.i32_or).set(this.tw);
  }
  /** Marks ST(0) empty and increments TOP (in the locals; store() writes them). */
  pop(): void {
    const tag = scratch(this.ctx).i32();
    this.ctx.fb.i32Const(TAG_EMPTY).set(tag);
    this.setTag(this.phys(0), tag);
    this.ctx.fb.get(this.top).i32Const(1).op(Op.i32_add).set(this.top);
  }
  /** Pushes the address of fpuMant[r] / fpuSignExp[r] minus the field base (the memarg offset adds it). */
  private index(r: number, stride: number): void {
    this.ctx.fb.get(r).i32Const(stride).op(Op.i32_mul);
  }
  loadMant(r: number, into: number): void {
    this.index(r, this.mantStride);
    this.ctx.fb.mem(Op.i64_load, this.ctx.addr('fpuMant')).set(into);
  }
  loadSignExp(r: number, into: number): void {
    this.index(r, this.seStride);
    this.ctx.fb.mem(Op.i32_load16_u, this.ctx.addr('fpuSignExp')).set(into);
  }
  storeSignExp(r: number, signExp: number): void {
    this.index(r, this.seStride);
    this.ctx.fb.get(signExp).mem(Op.i32_store16, this.ctx.addr('fpuSignExp'));
  }
  storeReg(r: number, signExp: number, mant: number): void {
    const fb = this.ctx.fb;
    this.index(r, this.mantStride);
    fb.get(mant).mem(Op.i64_store, this.ctx.addr('fpuMant'));
    this.storeSignExp(r, signExp);
  }
  /** Pushes the tag a register value gets from its contents (SDM Vol. 1 8.1.7; float80.ts tagOf). */
  tagOf(signExp: number, mant: number): void {
    const fb = this.ctx.fb;
    // Exponent 0 or all ones: zero (1) for a zero significand with exponent 0, else special (2).
    fb.i32Const(TAG_ZERO).i32Const(TAG_SPECIAL);
    fb.get(mant).op(Op.i64_eqz).get(signExp).i32Const(EXP_MAX).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
    fb.op(Op.select);
    // Otherwise valid (0) with the integer bit, special (2) without (unnormal).
    fb.i32Const(TAG_VALID).i32Const(TAG_SPECIAL).get(mant).i64Const(0).op(Op.i64_lt_s).op(Op.select);
    const e = scratch(this.ctx).i32();
    fb.get(signExp).i32Const(EXP_MAX).op(Op.i32_and).tee(e).i32Const(EXP_MAX).op(Op.i32_eq);
    fb.get(e).op(Op.i32_eqz).op(Op.i32_or);
    fb.op(Op.select);
  }
  /** Clears C1 in the SW local (every fast-path instruction but a rounded-up result does). */
  clearC1(): void {
    this.ctx.fb.get(this.sw).i32Const(~Sw.C1).op(Op.i32_and).set(this.sw);
  }
  /** SW |= PE when `inexact` (i32 local); C1 = `up` (i32 local, rounded up; SDM Vol. 1 8.1.3.1). */
  roundingFlags(inexact: number, up: number): void {
    const fb = this.ctx.fb;
    fb.get(this.sw).i32Const(~Sw.C1).op(Op.i32_and);
    fb.get(inexact).i32Const(5).op(Op.i32_shl).op(Op.i32_or);
    fb.get(up).i32Const(9).op(Op.i32_shl).op(Op.i32_or).set(this.sw);
  }
  /** Writes SW (with TOP from the `top` local) and TW from their locals. */
  store(): void {
    const fb = this.ctx.fb;
    fb.i32Const(0).get(this.sw).i32Const(~Sw.TOP_MASK).op(Op.i32_and);
    fb.get(this.top).i32Const(7).op(Op.i32_and).i32Const(Sw.TOP_SHIFT).op(Op.i32_shl).op(Op.i32_or);
    fb.mem(Op.i32_store16, this.ctx.addr('fpuSw'));
    fb.i32Const(0).get(this.tw).mem(Op.i32_store16, this.ctx.addr('fpuTw'));
  }
  /**
   * FIP (`ip`, i64 local), FCS, FOP (`fop`, i32 local) and, when `seg` (i32 local) is a
   * segment register number rather than -1, FDP (`offset`, i64 local) and FDS (SDM Vol. 1 8.1.8).
   */
  storePointers(ip: number, fop: number, seg: number, offset: number): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    ctx.storeField('fpuIp', ip);
    const sel = scratch(ctx).i64();
    ctx.loadField('segSel', Seg.CS);
    fb.set(sel);
    ctx.storeField('fpuCs', sel);
    fb.i32Const(0).get(fop).mem(Op.i32_store16, ctx.addr('fpuFop'));
    fb.get(seg).i32Const(0).op(Op.i32_ge_s).if_();
    ctx.storeField('fpuDp', offset);
    fb.get(seg).i32Const(ctx.addr('segSel', 1) - ctx.addr('segSel', 0)).op(Op.i32_mul);
    fb.mem(Op.i64_load32_u, ctx.addr('segSel')).set(sel);
    ctx.storeField('fpuDs', sel);
    fb.end();
  }

  /**
   * Loads physical register `r` into `into`: it must be in use and of an accepted class
   * (normal: exponent 1..7FFE with J set; zero: exponent and significand 0; infinity:
   * exponent 7FFF, significand J alone), else the cold path.
   */
  register(r: number, into: Unpacked, accept: Accept): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    this.requireInUse(r);
    const se = scratch(ctx).i32();
    this.loadSignExp(r, se);
    this.loadMant(r, into.mant);
    fb.get(se).i32Const(15).op(Op.i32_shr_u).set(into.sign);
    fb.get(se).i32Const(EXP_MAX).op(Op.i32_and).set(into.exp);
    // Normal: exponent 1..7FFE and J set.
    fb.get(into.exp).i32Const(1).op(Op.i32_sub).i32Const(EXP_MAX - 2).op(Op.i32_le_u);
    fb.get(into.mant).i64Const(0).op(Op.i64_lt_s).op(Op.i32_and);
    if (accept !== 'normal') {
      fb.get(into.exp).op(Op.i32_eqz).get(into.mant).op(Op.i64_eqz).op(Op.i32_and).op(Op.i32_or);
    }
    if (accept === 'ordered') {
      fb.get(into.exp).i32Const(EXP_MAX).op(Op.i32_eq).get(into.mant).i64Const(J_BIT).op(Op.i64_eq).op(Op.i32_and).op(Op.i32_or);
    }
    fb.op(Op.i32_eqz).brIf(0);
  }

  /**
   * A m32/m64 real (the bits in i64 local `v`), widened exactly to the register format (SDM Vol. 2A
   * FLD). Accepted classes as for register(); a denormal or NaN takes the cold path.
   */
  memory(v: number, fmt: MemFormat, into: Unpacked, accept: Accept): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const e = scratch(ctx).i32();
    const fracZero = scratch(ctx).i32();
    fb.get(v).i64Const(BigInt(fmt.frac)).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32Const(fmt.expMax).op(Op.i32_and).set(e);
    fb.get(v).i64Const((1n << BigInt(fmt.frac)) - 1n).op(Op.i64_and).op(Op.i64_eqz).set(fracZero);
    fb.get(e).i32Const(1).op(Op.i32_sub).i32Const(fmt.expMax - 2).op(Op.i32_le_u);
    if (accept !== 'normal') fb.get(e).op(Op.i32_eqz).get(fracZero).op(Op.i32_and).op(Op.i32_or);
    if (accept === 'ordered') fb.get(e).i32Const(fmt.expMax).op(Op.i32_eq).get(fracZero).op(Op.i32_and).op(Op.i32_or);
    fb.op(Op.i32_eqz).brIf(0);
    fb.get(v).i64Const(BigInt(fmt.size * 8 - 1)).op(Op.i64_shr_u).op(Op.i32_wrap_i64).set(into.sign);
    // Exponent: 0 stays 0 (zero), all ones becomes 7FFF (infinity), else rebiased.
    fb.i32Const(0).i32Const(EXP_MAX).get(e).i32Const(EXP_BIAS - fmt.bias).op(Op.i32_add);
    fb.get(e).i32Const(fmt.expMax).op(Op.i32_eq).op(Op.select);
    fb.get(e).op(Op.i32_eqz).op(Op.select).set(into.exp);
    // Significand: J and the fraction at the top, or 0 for a zero.
    fb.i64Const(0).get(v).i64Const(BigInt(63 - fmt.frac)).op(Op.i64_shl).i64Const(J_BIT).op(Op.i64_or);
    fb.get(e).op(Op.i32_eqz).op(Op.select).set(into.mant);
  }
}
