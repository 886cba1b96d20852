// x87 instructions (D8-DF escapes, SDM Vol. 2D A.4) and FWAIT. Each instruction is one
// cold-path call (core/fpu/execute.ts) bound at translation time; a memory operand's
// address is computed and limit-checked in generated code and passed as a linear address
// through the `scratch` field. The FPU state fields in core/cpu/layout.ts stay the
// architectural truth between instructions, as FXSAVE/XSAVE expect.
//
// The commonest instructions have a Wasm fast path in front of the call: FLD m32/m64/ST(i),
// FST/FSTP m32/m64, FXCH, FLD1, FLDZ and FADD/FMUL/FSUB/FSUBR(P) in all their forms, for the cases that
// need no exception and no rounding other than round-to-nearest (at 53 or 64 bits of precision
// control) of normal values to a normal result. Anything else (an empty or full stack, a NaN,
// infinity, zero operand or exact zero result of the arithmetic, denormal or unnormal, a directed rounding mode, PC = 24
// bits, an unmasked PE, a pending exception, CR0.EM/TS) takes the cold path in the same block,
// so both give the same bits; tests/fixtures/x87/fast-path.jsonl checks them against the host.
import { fwait as fwaitCold, memoryBytes, X87_MNEMONICS, x87Instruction, type X87Site } from '../../core/fpu/execute.ts';
import { Cr0, Seg } from '../../core/cpu/registers.ts';
import { Sw } from '../../core/fpu/status.ts';
import { Op } from '../wasm/encoder.ts';
import type { BlockContext, Size } from '../context.ts';

type Emit = (ctx: BlockContext) => void;

function siteOf(ctx: BlockContext): X87Site {
  const i = ctx.instr;
  return {
    mnemonic: i.form.mnemonic,
    form: { opcode: i.opcode, mem: i.mem !== null, reg: i.reg & 7 },
    operand: i.mem === null ? undefined : i.form.operands[0],
    rm: i.rm & 7,
    opSize: i.opSize,
    modrm: (i.mod << 6) | ((i.reg & 7) << 3) | (i.rm & 7),
    seg: i.mem?.seg ?? 0,
    long: ctx.mode.codeSize === 8,
    realFormat: !ctx.mode.protectedMode,
  };
}

/**
 * The x87 instructions that write their memory operand: their limit check uses the write
 * bounds, so a read-only data segment or a code segment faults with #GP(0) (SDM Vol. 3A 5.4.1)
 * before anything is stored.
 */
const X87_STORES = new Set(['fst', 'fstp', 'fist', 'fistp', 'fisttp', 'fbstp', 'fnstcw', 'fnstsw', 'fnstenv', 'fnsave']);

/** The cold path: the whole instruction in core/fpu. */
function x87Helper(ctx: BlockContext, site: X87Site): void {
  const i = ctx.instr;
  const run = x87Instruction(site);
  if (i.mem !== null) {
    // The limit check covers the whole operand (up to 108 bytes for FNSAVE; SDM Vol. 3A 5.3).
    const size = memoryBytes(site);
    const offset = ctx.i64();
    ctx.effectiveAddress(i.mem);
    ctx.fb.set(offset);
    const lin = ctx.i64();
    ctx.linear(i.mem.seg, offset, size as Size, X87_STORES.has(i.form.mnemonic));
    ctx.fb.set(lin);
    ctx.storeField('scratch', lin);
  }
  ctx.helper((cpu, s) => run(cpu, s.rip, () => cpu.state.getLinear('scratch')), false);
}

// ---- the fast path -----------------------------------------------------------------------

const TAG_VALID = 0;
const TAG_ZERO = 1;
const TAG_SPECIAL = 2;
const TAG_EMPTY = 3;
const EXP_BIAS = 16383;
const EXP_MAX = 0x7fff;
/** CW bits 11:10, RC (SDM Vol. 1 8.1.5.3); 00 is round to nearest. */
const CW_RC = 0xc00;
/** CW bits 9:8, PC (SDM Vol. 1 8.1.5.2): 10 is 53 bits, 11 is 64 bits; bit 9 is set for both. */
const CW_PC_53 = 0x200;
const CW_PC_64 = 0x300;

/** A binary memory format (SDM Vol. 1 4.2.2): fraction bits, exponent bias and all-ones exponent. */
interface MemFormat {
  size: 4 | 8;
  frac: number;
  bias: number;
  expMax: number;
}
const SINGLE: MemFormat = { size: 4, frac: 23, bias: 127, expMax: 0xff };
const DOUBLE: MemFormat = { size: 8, frac: 52, bias: 1023, expMax: 0x7ff };

/** The fast forms: mnemonic and opcode byte with the ModRM reg field, memory or register. */
type FastKind = 'fld-mem' | 'fst-mem' | 'fld-reg' | 'fxch' | 'fld1' | 'fldz' | 'add' | 'mul';

interface FastForm {
  kind: FastKind;
  fmt?: MemFormat;
  pop?: boolean;
  /** FADD/FMUL/FSUB: the destination is ST(i) (DC and DE register forms), else ST(0). */
  toSti?: boolean;
  /** FSUB: dest - src, FSUBR: src - dest (the negated operand of the addition). */
  negate?: 'src' | 'dest';
}

function fastKind(ctx: BlockContext): FastForm | undefined {
  const i = ctx.instr;
  if (!ctx.mode.protectedMode) return undefined;
  const m = i.form.mnemonic;
  // Every form is dest = dest op src, dest ST(0) for D8 and the memory forms, ST(i) for the
  // DC and DE register forms, which DE pops (SDM Vol. 2A FADD, FMUL, FSUB, FSUBR). The opcode
  // table already names DC/DE E0+i and E8+i by what they compute (FSUBR, FSUB).
  const arith: Record<string, [FastKind, FastForm['negate']]> = {
    fadd: ['add', undefined], faddp: ['add', undefined], fmul: ['mul', undefined], fmulp: ['mul', undefined],
    fsub: ['add', 'src'], fsubp: ['add', 'src'], fsubr: ['add', 'dest'], fsubrp: ['add', 'dest'],
  };
  if (m in arith) {
    const [kind, negate] = arith[m];
    if (i.mem !== null) return { kind, negate, fmt: i.opcode === 0xd8 ? SINGLE : DOUBLE };
    return { kind, negate, toSti: i.opcode !== 0xd8, pop: i.opcode === 0xde };
  }
  const fmt = i.opcode === 0xd9 ? SINGLE : i.opcode === 0xdd ? DOUBLE : undefined;
  if (i.mem !== null) {
    if (fmt === undefined) return undefined;
    if (m === 'fld') return { kind: 'fld-mem', fmt };
    if (m === 'fst' || m === 'fstp') return { kind: 'fst-mem', fmt, pop: m === 'fstp' };
    return undefined;
  }
  if (m === 'fld' && i.opcode === 0xd9) return { kind: 'fld-reg' };
  if (m === 'fxch') return { kind: 'fxch' };
  if (m === 'fld1' || m === 'fldz') return { kind: m };
  return undefined;
}

/** Emission helpers over the FPU state fields, with TOP and physical register numbers in i32 locals. */
class FpuFields {
  readonly sw: number;
  readonly top: number;
  private readonly mantStride: number;
  private readonly seStride: number;
  constructor(private readonly ctx: BlockContext) {
    this.sw = ctx.i32();
    this.top = ctx.i32();
    this.mantStride = ctx.addr('fpuMant', 1) - ctx.addr('fpuMant', 0);
    this.seStride = ctx.addr('fpuSignExp', 1) - ctx.addr('fpuSignExp', 0);
  }
  /** Loads SW and TOP into their locals. */
  begin(): void {
    const fb = this.ctx.fb;
    fb.i32Const(0).mem(Op.i32_load16_u, this.ctx.addr('fpuSw')).tee(this.sw);
    fb.i32Const(Sw.TOP_SHIFT).op(Op.i32_shr_u).i32Const(7).op(Op.i32_and).set(this.top);
  }
  /** A new i32 local with the physical register of ST(i). */
  phys(i: number): number {
    const l = this.ctx.i32();
    this.ctx.fb.get(this.top).i32Const(i).op(Op.i32_add).i32Const(7).op(Op.i32_and).set(l);
    return l;
  }
  /** Pushes the i32 tag of physical register `r` (local). */
  tag(r: number): void {
    const fb = this.ctx.fb;
    fb.i32Const(0).mem(Op.i32_load16_u, this.ctx.addr('fpuTw'));
    fb.get(r).i32Const(1).op(Op.i32_shl).op(Op.i32_shr_u).i32Const(3).op(Op.i32_and);
  }
  /** Sets the tag of `r` (local) to the i32 in local `tag`. */
  setTag(r: number, tag: number): void {
    const fb = this.ctx.fb;
    const at = this.ctx.addr('fpuTw');
    const shift = this.ctx.i32();
    fb.get(r).i32Const(1).op(Op.i32_shl).set(shift);
    fb.i32Const(0);
    fb.i32Const(0).mem(Op.i32_load16_u, at).i32Const(3).get(shift).op(Op.i32_shl).i32Const(-1).op(Op.i32_xor).op(Op.i32_and);
    fb.get(tag).get(shift).op(Op.i32_shl).op(Op.i32_or);
    fb.mem(Op.i32_store16, at);
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
  storeReg(r: number, signExp: number, mant: number): void {
    const fb = this.ctx.fb;
    this.index(r, this.mantStride);
    fb.get(mant).mem(Op.i64_store, this.ctx.addr('fpuMant'));
    this.index(r, this.seStride);
    fb.get(signExp).mem(Op.i32_store16, this.ctx.addr('fpuSignExp'));
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
    const e = this.ctx.i32();
    fb.get(signExp).i32Const(EXP_MAX).op(Op.i32_and).tee(e).i32Const(EXP_MAX).op(Op.i32_eq);
    fb.get(e).op(Op.i32_eqz).op(Op.i32_or);
    fb.op(Op.select);
  }
  /** Writes SW from the local, with TOP from the `top` local. */
  storeSw(): void {
    const fb = this.ctx.fb;
    fb.i32Const(0).get(this.sw).i32Const(~Sw.TOP_MASK).op(Op.i32_and);
    fb.get(this.top).i32Const(7).op(Op.i32_and).i32Const(Sw.TOP_SHIFT).op(Op.i32_shl).op(Op.i32_or);
    fb.mem(Op.i32_store16, this.ctx.addr('fpuSw'));
  }
  /** FIP, FCS, FOP and, with a memory operand at `offset` (i64 local) in `seg`, FDP and FDS (SDM Vol. 1 8.1.8). */
  storePointers(fop: number, seg?: Seg, offset?: number): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const ip = ctx.i64();
    fb.get(ctx.rip0).i64Const(ctx.delta).op(Op.i64_add);
    ctx.wrapIp();
    fb.set(ip);
    ctx.storeField('fpuIp', ip);
    const sel = ctx.i64();
    ctx.loadField('segSel', Seg.CS);
    fb.set(sel);
    ctx.storeField('fpuCs', sel);
    fb.i32Const(0).i32Const(fop).mem(Op.i32_store16, ctx.addr('fpuFop'));
    if (seg === undefined || offset === undefined) return;
    ctx.storeField('fpuDp', offset);
    ctx.loadField('segSel', seg);
    fb.set(sel);
    ctx.storeField('fpuDs', sel);
  }
}

/** Unpacked operands: sign (0/1), biased exponent (i32) and significand (i64) locals. */
interface Unpacked {
  sign: number;
  exp: number;
  mant: number;
}

/**
 * FADD, FSUB, FSUBR and FMUL of two normal operands, exact in a 128-bit significand (hi:lo), then rounded
 * once to the precision-control width with round to nearest even (SDM Vol. 1 4.8.4, 8.1.5.2).
 * Every condition outside that (a non-normal operand, PC = 24 bits, a directed RC, PE
 * unmasked, a zero difference, a result beyond the normal exponent range, an alignment shift
 * beyond 63) branches to the cold path.
 */
class Arith {
  readonly a: Unpacked;
  readonly b: Unpacked;
  readonly hi: number;
  readonly lo: number;
  /** The result's sign and biased exponent before rounding. */
  readonly sign: number;
  readonly exp: number;
  /** 1 when PC = 11 (64 bits), 0 when PC = 10 (53 bits). */
  readonly full: number;
  readonly signExp: number;
  readonly mant: number;
  readonly up: number;
  readonly inexact: number;

  constructor(private readonly ctx: BlockContext, private readonly st: FpuFields) {
    const u = (): Unpacked => ({ sign: ctx.i32(), exp: ctx.i32(), mant: ctx.i64() });
    this.a = u();
    this.b = u();
    this.hi = ctx.i64();
    this.lo = ctx.i64();
    this.sign = ctx.i32();
    this.exp = ctx.i32();
    this.full = ctx.i32();
    this.signExp = ctx.i32();
    this.mant = ctx.i64();
    this.up = ctx.i32();
    this.inexact = ctx.i32();
  }

  /** A register operand: it must be in use and normal (exponent 1..7FFE, integer bit set). */
  register(r: number, into: Unpacked): void {
    const fb = this.ctx.fb;
    this.st.tag(r);
    fb.i32Const(TAG_EMPTY).op(Op.i32_eq).brIf(0);
    const se = this.ctx.i32();
    this.st.loadSignExp(r, se);
    this.st.loadMant(r, into.mant);
    fb.get(se).i32Const(15).op(Op.i32_shr_u).set(into.sign);
    fb.get(se).i32Const(EXP_MAX).op(Op.i32_and).set(into.exp);
    fb.get(into.exp).i32Const(1).op(Op.i32_sub).i32Const(EXP_MAX - 2).op(Op.i32_gt_u);
    fb.get(into.mant).i64Const(0).op(Op.i64_ge_s).op(Op.i32_or).brIf(0);
  }

  /** A normal m32/m64 operand, converted exactly (zero, denormal, infinity, NaN: cold path). */
  memory(seg: Seg, offset: number, fmt: MemFormat, into: Unpacked): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const v = ctx.i64();
    ctx.readMem(seg, offset, fmt.size);
    fb.set(v);
    fb.get(v).i64Const(BigInt(fmt.frac)).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32Const(fmt.expMax).op(Op.i32_and).set(into.exp);
    fb.get(into.exp).i32Const(1).op(Op.i32_sub).i32Const(fmt.expMax - 2).op(Op.i32_gt_u).brIf(0);
    fb.get(into.exp).i32Const(EXP_BIAS - fmt.bias).op(Op.i32_add).set(into.exp);
    fb.get(v).i64Const(BigInt(fmt.size * 8 - 1)).op(Op.i64_shr_u).op(Op.i32_wrap_i64).set(into.sign);
    fb.get(v).i64Const(BigInt(63 - fmt.frac)).op(Op.i64_shl).i64Const(1n << 63n).op(Op.i64_or).set(into.mant);
  }

  /** RC must be nearest, PE masked and PC 53 or 64 bits. */
  controlWord(): void {
    const fb = this.ctx.fb;
    const cw = this.ctx.i32();
    fb.i32Const(0).mem(Op.i32_load16_u, this.ctx.addr('fpuCw')).set(cw);
    fb.get(cw).i32Const(CW_RC).op(Op.i32_and);
    fb.get(cw).i32Const(Sw.PE).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_or);
    fb.get(cw).i32Const(CW_PC_53).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_or).brIf(0);
    fb.get(cw).i32Const(CW_PC_64).op(Op.i32_and).i32Const(CW_PC_64).op(Op.i32_eq).set(this.full);
  }

  /** hi:lo = a.mant × b.mant from 32-bit limbs; exponent ea + eb - bias, normalized so bit 127 is set. */
  multiply(): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const { a, b, hi, lo } = this;
    const M32 = 0xffffffffn;
    const limb = (m: number, upper: boolean): number => {
      const l = ctx.i64();
      fb.get(m).i64Const(upper ? 32n : 0n).op(Op.i64_shr_u).i64Const(M32).op(Op.i64_and).set(l);
      return l;
    };
    const [a0, a1, b0, b1] = [limb(a.mant, false), limb(a.mant, true), limb(b.mant, false), limb(b.mant, true)];
    const prod = (x: number, y: number): number => {
      const l = ctx.i64();
      fb.get(x).get(y).op(Op.i64_mul).set(l);
      return l;
    };
    const [p00, p01, p10, p11] = [prod(a0, b0), prod(a0, b1), prod(a1, b0), prod(a1, b1)];
    const mid = ctx.i64();
    fb.get(p00).i64Const(32n).op(Op.i64_shr_u).get(p01).i64Const(M32).op(Op.i64_and).op(Op.i64_add);
    fb.get(p10).i64Const(M32).op(Op.i64_and).op(Op.i64_add).set(mid);
    fb.get(p00).i64Const(M32).op(Op.i64_and).get(mid).i64Const(32n).op(Op.i64_shl).op(Op.i64_or).set(lo);
    fb.get(p11).get(p01).i64Const(32n).op(Op.i64_shr_u).op(Op.i64_add);
    fb.get(p10).i64Const(32n).op(Op.i64_shr_u).op(Op.i64_add);
    fb.get(mid).i64Const(32n).op(Op.i64_shr_u).op(Op.i64_add).set(hi);
    fb.get(a.sign).get(b.sign).op(Op.i32_xor).set(this.sign);
    // The product of two significands in [1, 2) lies in [1, 4): bit 127 or bit 126 leads.
    const top = ctx.i32();
    fb.get(hi).i64Const(63n).op(Op.i64_shr_u).op(Op.i32_wrap_i64).set(top);
    fb.get(a.exp).get(b.exp).op(Op.i32_add).i32Const(EXP_BIAS).op(Op.i32_sub).get(top).op(Op.i32_add).set(this.exp);
    const shift = (): void => void fb.get(top).i32Const(1).op(Op.i32_xor).op(Op.i64_extend_i32_u);
    const hi2 = ctx.i64();
    fb.get(hi);
    shift();
    fb.op(Op.i64_shl).get(lo).i64Const(63n).op(Op.i64_shr_u).get(top).op(Op.i64_extend_i32_u).i64Const(1n).op(Op.i64_xor).op(Op.i64_and).op(Op.i64_or).set(hi2);
    fb.get(lo);
    shift();
    fb.op(Op.i64_shl).set(lo);
    fb.get(hi2).set(hi);
  }

  /** hi:lo = |a| ± |b| aligned, exactly (the shift is at most 63), normalized so bit 127 is set. */
  add(): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const { a, b, hi, lo } = this;
    // Order the operands by magnitude: x the larger, y the smaller.
    const swap = ctx.i32();
    fb.get(b.exp).get(a.exp).op(Op.i32_gt_u);
    fb.get(b.exp).get(a.exp).op(Op.i32_eq).get(b.mant).get(a.mant).op(Op.i64_gt_u).op(Op.i32_and);
    fb.op(Op.i32_or).set(swap);
    const pick = (first: number, second: number, wide: boolean): number => {
      const l = wide ? ctx.i64() : ctx.i32();
      fb.get(second).get(first).get(swap).op(Op.select).set(l);
      return l;
    };
    const xs = pick(a.sign, b.sign, false);
    const xe = pick(a.exp, b.exp, false);
    const xm = pick(a.mant, b.mant, true);
    const ye = pick(b.exp, a.exp, false);
    const ym = pick(b.mant, a.mant, true);
    const d = ctx.i32();
    fb.get(xe).get(ye).op(Op.i32_sub).tee(d).i32Const(63).op(Op.i32_gt_u).brIf(0);
    const dd = ctx.i64();
    fb.get(d).op(Op.i64_extend_i32_u).set(dd);
    // y >> d spread over bhi:blo (exact: at most 63 bits move into blo).
    const bhi = ctx.i64();
    const blo = ctx.i64();
    fb.get(ym).get(dd).op(Op.i64_shr_u).set(bhi);
    fb.i64Const(0).get(ym).i64Const(64n).get(dd).op(Op.i64_sub).op(Op.i64_shl).get(d).op(Op.i32_eqz).op(Op.select).set(blo);
    fb.get(xs).set(this.sign);
    const sub = ctx.i32();
    fb.get(a.sign).get(b.sign).op(Op.i32_ne).set(sub);
    // Sum: a carry out of bit 127 shifts right by one, keeping the lost bit as sticky.
    const sumHi = ctx.i64();
    const carry = ctx.i32();
    fb.get(xm).get(bhi).op(Op.i64_add).tee(sumHi).get(xm).op(Op.i64_lt_u).set(carry);
    const sumLo = ctx.i64();
    fb.get(blo).i64Const(1n).op(Op.i64_shr_u).get(blo).i64Const(1n).op(Op.i64_and).op(Op.i64_or).get(sumHi).i64Const(63n).op(Op.i64_shl).op(Op.i64_or);
    fb.get(blo).get(carry).op(Op.select).set(sumLo);
    fb.get(sumHi).i64Const(1n).op(Op.i64_shr_u).i64Const(1n << 63n).op(Op.i64_or).get(sumHi).get(carry).op(Op.select).set(sumHi);
    // Difference: x - y >= 0; zero is the cold path's (its sign depends on RC).
    const difHi = ctx.i64();
    const difLo = ctx.i64();
    fb.i64Const(0).get(blo).op(Op.i64_sub).set(difLo);
    fb.get(xm).get(bhi).op(Op.i64_sub).get(blo).op(Op.i64_eqz).op(Op.i64_extend_i32_u).i64Const(1n).op(Op.i64_xor).op(Op.i64_sub).set(difHi);
    fb.get(sub).get(difHi).op(Op.i64_eqz).get(difLo).op(Op.i64_eqz).op(Op.i32_and).op(Op.i32_and).brIf(0);
    // Normalize the difference: n = leading zeros of difHi:difLo.
    const n = ctx.i64();
    fb.get(difLo).op(Op.i64_clz).i64Const(64n).op(Op.i64_add).get(difHi).op(Op.i64_clz).get(difHi).op(Op.i64_eqz).op(Op.select).set(n);
    const nHi = ctx.i64();
    const nLo = ctx.i64();
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
  }

  /** Rounds hi:lo to 64 or 53 bits, to nearest even; the result must stay a normal number. */
  round(): void {
    const ctx = this.ctx;
    const fb = ctx.fb;
    const { hi, lo, full } = this;
    // 64 bits: the remainder is lo, half is bit 63 of lo.
    const up64 = ctx.i32();
    fb.get(lo).i64Const(1n << 63n).op(Op.i64_gt_u);
    fb.get(lo).i64Const(1n << 63n).op(Op.i64_eq).get(hi).op(Op.i32_wrap_i64).i32Const(1).op(Op.i32_and).op(Op.i32_and);
    fb.op(Op.i32_or).set(up64);
    // 53 bits: the remainder is hi[10:0]:lo, half is bit 10 of hi.
    const low = ctx.i64();
    fb.get(hi).i64Const(0x7ffn).op(Op.i64_and).set(low);
    const up53 = ctx.i32();
    fb.get(low).i64Const(0x400n).op(Op.i64_gt_u);
    fb.get(low).i64Const(0x400n).op(Op.i64_eq);
    fb.get(lo).op(Op.i64_eqz).op(Op.i32_eqz).get(hi).i64Const(11n).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32Const(1).op(Op.i32_and).op(Op.i32_or);
    fb.op(Op.i32_and).op(Op.i32_or).set(up53);
    fb.get(up64).get(up53).get(full).op(Op.select).set(this.up);
    fb.get(lo).op(Op.i64_eqz).op(Op.i32_eqz);
    fb.get(low).op(Op.i64_eqz).op(Op.i32_eqz).get(full).op(Op.i32_eqz).op(Op.i32_and).op(Op.i32_or).set(this.inexact);
    // q + increment; a carry out of bit 63 gives 1.0 × 2^(e+1).
    const q = ctx.i64();
    fb.get(hi).get(hi).i64Const(~0x7ffn).op(Op.i64_and).get(full).op(Op.select);
    fb.i64Const(1n).i64Const(0x800n).get(full).op(Op.select).i64Const(0n).get(this.up).op(Op.select).op(Op.i64_add).set(q);
    const wrapped = ctx.i32();
    fb.get(q).op(Op.i64_eqz).set(wrapped);
    fb.i64Const(1n << 63n).get(q).get(wrapped).op(Op.select).set(this.mant);
    const e = ctx.i32();
    fb.get(this.exp).get(wrapped).op(Op.i32_add).tee(e);
    // Normal results only: 1 <= e <= 7FFE (as a signed i32 the exponent may have gone below 1).
    fb.i32Const(1).op(Op.i32_lt_s).get(e).i32Const(EXP_MAX - 1).op(Op.i32_gt_s).op(Op.i32_or).brIf(0);
    fb.get(this.sign).i32Const(15).op(Op.i32_shl).get(e).op(Op.i32_or).set(this.signExp);
  }
}

/**
 * Emits the fast path of `kind` inside `block $slow`: any condition it does not handle
 * branches out (depth 0) to the cold path that follows; on success it branches over it (depth 1).
 */
function emitFast(ctx: BlockContext, f: FastForm, fop: number): void {
  const fb = ctx.fb;
  const i = ctx.instr;
  const st = new FpuFields(ctx);
  st.begin();
  // CR0.EM or TS (#NM) and a pending unmasked exception (#MF or FERR#) are the cold path's.
  ctx.loadField('cr0');
  fb.i64Const(Cr0.EM | Cr0.TS).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
  fb.get(st.sw).i32Const(Sw.ES).op(Op.i32_and).op(Op.i32_or).brIf(0);
  const signExp = ctx.i32();
  const mant = ctx.i64();
  const tag = ctx.i32();
  // C1 is cleared by all of these except a rounded-up store.
  const clearC1 = (): void => void fb.get(st.sw).i32Const(~Sw.C1).op(Op.i32_and).set(st.sw);
  const push = (): number => {
    // ST(7) must be empty: the push target.
    const r = st.phys(7);
    st.tag(r);
    fb.i32Const(TAG_EMPTY).op(Op.i32_ne).brIf(0);
    return r;
  };
  const finishPush = (r: number): void => {
    st.storeReg(r, signExp, mant);
    st.setTag(r, tag);
    fb.get(r).set(st.top);
    clearC1();
    st.storeSw();
  };

  switch (f.kind) {
    case 'fld-mem': {
      const fmt = f.fmt!;
      const r = push();
      const offset = ctx.i64();
      ctx.effectiveAddress(i.mem!);
      fb.set(offset);
      const v = ctx.i64();
      ctx.readMem(i.mem!.seg, offset, fmt.size);
      fb.set(v);
      const e = ctx.i32();
      const frac = ctx.i64();
      fb.get(v).i64Const(BigInt(fmt.frac)).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32Const(fmt.expMax).op(Op.i32_and).set(e);
      fb.get(v).i64Const((1n << BigInt(fmt.frac)) - 1n).op(Op.i64_and).set(frac);
      // NaN or infinity, or a denormal (DE): the cold path.
      fb.get(e).i32Const(fmt.expMax).op(Op.i32_eq);
      fb.get(e).op(Op.i32_eqz).get(frac).op(Op.i64_eqz).op(Op.i32_eqz).op(Op.i32_and);
      fb.op(Op.i32_or).brIf(0);
      // sign << 15 | (e - bias + 16383), or the signed zero.
      const sign = ctx.i32();
      fb.get(v).i64Const(BigInt(fmt.size * 8 - 1)).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32Const(15).op(Op.i32_shl).set(sign);
      // Wasm's select takes (a, b, cond) and yields a when cond != 0.
      fb.get(sign);
      fb.get(sign).get(e).i32Const(EXP_BIAS - fmt.bias).op(Op.i32_add).op(Op.i32_or);
      fb.get(e).op(Op.i32_eqz).op(Op.select).set(signExp);
      fb.i64Const(0).get(frac).i64Const(BigInt(63 - fmt.frac)).op(Op.i64_shl).i64Const(1n << 63n).op(Op.i64_or);
      fb.get(e).op(Op.i32_eqz).op(Op.select).set(mant);
      fb.i32Const(TAG_ZERO).i32Const(TAG_VALID).get(e).op(Op.i32_eqz).op(Op.select).set(tag);
      finishPush(r);
      st.storePointers(fop, i.mem!.seg, offset);
      break;
    }
    case 'fst-mem': {
      const fmt = f.fmt!;
      const r = st.phys(0);
      st.tag(r);
      fb.i32Const(TAG_EMPTY).op(Op.i32_eq).brIf(0);
      st.loadSignExp(r, signExp);
      st.loadMant(r, mant);
      const out = ctx.i64();
      const up = ctx.i32();
      const inexact = ctx.i32();
      const sign = ctx.i64();
      fb.get(signExp).i32Const(15).op(Op.i32_shr_u).op(Op.i64_extend_i32_u).i64Const(BigInt(fmt.size * 8 - 1)).op(Op.i64_shl).set(sign);
      // The unbiased exponent must be a normal one of the format, with the integer bit set; a
      // zero register (exponent and significand 0) stores the signed zero.
      const ue = ctx.i32();
      fb.get(signExp).i32Const(EXP_MAX).op(Op.i32_and).i32Const(EXP_BIAS - fmt.bias).op(Op.i32_sub).set(ue);
      const zero = ctx.i32();
      fb.get(signExp).i32Const(EXP_MAX).op(Op.i32_and).op(Op.i32_eqz).get(mant).op(Op.i64_eqz).op(Op.i32_and).set(zero);
      // Not zero and (biased target exponent outside 1..expMax-1 or no integer bit): cold path.
      fb.get(ue).i32Const(1).op(Op.i32_sub).i32Const(fmt.expMax - 2).op(Op.i32_gt_u);
      fb.get(mant).i64Const(0).op(Op.i64_ge_s).op(Op.i32_or);
      fb.get(zero).op(Op.i32_eqz).op(Op.i32_and).brIf(0);
      // Round the significand to frac + 1 bits, to nearest even (SDM Vol. 1 4.8.4).
      const drop = BigInt(63 - fmt.frac);
      const low = ctx.i64();
      fb.get(mant).i64Const((1n << drop) - 1n).op(Op.i64_and).set(low);
      fb.get(low).op(Op.i64_eqz).op(Op.i32_eqz).set(inexact);
      // Inexact needs RC = nearest and PE masked; otherwise the cold path.
      const cw = ctx.i32();
      fb.get(inexact);
      fb.i32Const(0).mem(Op.i32_load16_u, ctx.addr('fpuCw')).tee(cw);
      fb.i32Const(CW_RC).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz).get(cw).i32Const(Sw.PE).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_or);
      fb.op(Op.i32_and).brIf(0);
      // up = low > half || (low == half && q odd)
      const q = ctx.i64();
      fb.get(mant).i64Const(drop).op(Op.i64_shr_u).i64Const((1n << BigInt(fmt.frac)) - 1n).op(Op.i64_and).set(q);
      fb.get(low).i64Const(1n << (drop - 1n)).op(Op.i64_gt_u);
      fb.get(low).i64Const(1n << (drop - 1n)).op(Op.i64_eq).get(q).i64Const(1n).op(Op.i64_and).op(Op.i32_wrap_i64).op(Op.i32_and);
      fb.op(Op.i32_or).set(up);
      // sign | (exponent << frac) + q + up: a carry out of the fraction bumps the exponent.
      fb.get(sign);
      fb.get(ue).op(Op.i64_extend_i32_u).i64Const(BigInt(fmt.frac)).op(Op.i64_shl).get(q).op(Op.i64_add);
      fb.get(up).op(Op.i64_extend_i32_u).op(Op.i64_add).get(sign).op(Op.i64_or);
      fb.get(zero).op(Op.select).set(out);
      // Rounding up into the all-ones exponent is an overflow: the cold path.
      fb.get(out).i64Const(BigInt(fmt.frac)).op(Op.i64_shr_u).i64Const(BigInt(fmt.expMax)).op(Op.i64_and).i64Const(BigInt(fmt.expMax)).op(Op.i64_eq).brIf(0);
      const offset = ctx.i64();
      ctx.effectiveAddress(i.mem!);
      fb.set(offset);
      // The store may fault: it comes before any state change.
      ctx.writeMem(i.mem!.seg, offset, fmt.size, out);
      // PE when inexact; C1 = rounded up (SDM Vol. 1 8.1.3.1).
      fb.get(st.sw).i32Const(~Sw.C1).op(Op.i32_and);
      fb.get(inexact).i32Const(5).op(Op.i32_shl).op(Op.i32_or);
      fb.get(up).i32Const(9).op(Op.i32_shl).op(Op.i32_or).set(st.sw);
      if (f.pop) {
        fb.i32Const(TAG_EMPTY).set(tag);
        st.setTag(r, tag);
        fb.get(st.top).i32Const(1).op(Op.i32_add).set(st.top);
      }
      st.storeSw();
      st.storePointers(fop, i.mem!.seg, offset);
      break;
    }
    case 'fld-reg': {
      const src = st.phys(i.rm & 7);
      st.tag(src);
      fb.i32Const(TAG_EMPTY).op(Op.i32_eq).brIf(0);
      const r = push();
      st.loadSignExp(src, signExp);
      st.loadMant(src, mant);
      st.tagOf(signExp, mant);
      fb.set(tag);
      finishPush(r);
      st.storePointers(fop);
      break;
    }
    case 'fxch': {
      const a = st.phys(0);
      const b = st.phys(i.rm & 7);
      st.tag(a);
      fb.i32Const(TAG_EMPTY).op(Op.i32_eq);
      st.tag(b);
      fb.i32Const(TAG_EMPTY).op(Op.i32_eq).op(Op.i32_or).brIf(0);
      const seB = ctx.i32();
      const mantB = ctx.i64();
      st.loadSignExp(a, signExp);
      st.loadMant(a, mant);
      st.loadSignExp(b, seB);
      st.loadMant(b, mantB);
      st.storeReg(a, seB, mantB);
      st.storeReg(b, signExp, mant);
      st.tagOf(seB, mantB);
      fb.set(tag);
      st.setTag(a, tag);
      st.tagOf(signExp, mant);
      fb.set(tag);
      st.setTag(b, tag);
      clearC1();
      st.storeSw();
      st.storePointers(fop);
      break;
    }
    case 'add':
    case 'mul': {
      const arith = new Arith(ctx, st);
      const dest = st.phys(f.toSti ? i.rm & 7 : 0);
      let offset: number | undefined;
      arith.register(dest, arith.a);
      if (i.mem !== null) {
        offset = ctx.i64();
        ctx.effectiveAddress(i.mem);
        fb.set(offset);
        arith.memory(i.mem.seg, offset, f.fmt!, arith.b);
      } else arith.register(st.phys(f.toSti ? 0 : i.rm & 7), arith.b);
      arith.controlWord();
      if (f.negate !== undefined) {
        const n = f.negate === 'src' ? arith.b : arith.a;
        fb.get(n.sign).i32Const(1).op(Op.i32_xor).set(n.sign);
      }
      if (f.kind === 'mul') arith.multiply();
      else arith.add();
      arith.round();
      st.storeReg(dest, arith.signExp, arith.mant);
      fb.i32Const(TAG_VALID).set(tag);
      st.setTag(dest, tag);
      fb.get(st.sw).i32Const(~Sw.C1).op(Op.i32_and);
      fb.get(arith.inexact).i32Const(5).op(Op.i32_shl).op(Op.i32_or);
      fb.get(arith.up).i32Const(9).op(Op.i32_shl).op(Op.i32_or).set(st.sw);
      if (f.pop) {
        const r0 = st.phys(0);
        fb.i32Const(TAG_EMPTY).set(tag);
        st.setTag(r0, tag);
        fb.get(st.top).i32Const(1).op(Op.i32_add).set(st.top);
      }
      st.storeSw();
      st.storePointers(fop, i.mem?.seg, offset);
      break;
    }
    case 'fld1':
    case 'fldz': {
      const r = push();
      const one = f.kind === 'fld1';
      fb.i32Const(one ? EXP_BIAS : 0).set(signExp);
      fb.i64Const(one ? 1n << 63n : 0n).set(mant);
      fb.i32Const(one ? TAG_VALID : TAG_ZERO).set(tag);
      finishPush(r);
      st.storePointers(fop);
      break;
    }
  }
}

/** Whether blocks compiled from now on get the fast path (off only to measure it or to compare both paths). */
export const x87FastPath = { enabled: true };

const x87: Emit = (ctx) => {
  const site = siteOf(ctx);
  const f = x87FastPath.enabled ? fastKind(ctx) : undefined;
  if (f === undefined) return x87Helper(ctx, site);
  const fb = ctx.fb;
  // Flags are written out on both paths alike (the cold path's helper call would do it on one).
  ctx.resolveLazyFlags();
  ctx.flags.materialize();
  fb.block().block();
  emitFast(ctx, f, ((site.form.opcode & 7) << 8) | site.modrm);
  fb.br(1).end();
  x87Helper(ctx, site);
  fb.end();
};

/** FWAIT/WAIT (9B): #NM with CR0.MP and TS, #MF for a pending unmasked x87 exception. */
const fwait: Emit = (ctx) => {
  ctx.helper((cpu) => fwaitCold(cpu), false);
};

export const x87Emitters: Record<string, Emit> = {
  ...Object.fromEntries(X87_MNEMONICS.map((m) => [m, x87])),
  fwait,
};
