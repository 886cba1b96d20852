// The x87 runtime module: one Wasm instance per vCPU whose functions execute the commonest
// x87 instructions on the FPU state fields (the fast path of jit/emit/x87.ts). Blocks import
// them (x87-imports.ts) and call them with the instruction's operands, so a block holds a call
// per x87 instruction instead of hundreds of Wasm instructions: V8 compiles the arithmetic
// once, not in every block (DESIGN.md: runtime helpers in Wasm, called as imports).
//
// Each function returns 1 when it has executed the instruction and 0 when the cold path must
// (core/fpu), having changed nothing: an empty or full stack, a NaN, infinity, denormal or
// unnormal operand where not handled, a directed rounding mode, PC = 24 bits, an unmasked PE,
// a pending unmasked exception (#MF) or CR0.EM/TS (#NM).
import { vcpuField, VCPU_STATE, type VcpuFieldName } from '../../core/cpu/layout.ts';
import { Cr0, Flag, STATUS_FLAGS } from '../../core/cpu/registers.ts';
import { Sw } from '../../core/fpu/status.ts';
import { encodeModule, FunctionBuilder, type FuncType, Op, ValType } from '../wasm/encoder.ts';
import { Arith } from './x87-arith.ts';
import { argumentType, OP_ARGUMENTS, POINTERS, X87_IMPORTS, X87_OP, X87_OP_NAMES, X87_OPS, X87_STORE, X87_STORE_COMMIT, X87_STORE_FORMS } from './x87-imports.ts';
import {
  type Accept, CW_RC, DOUBLE, EXP_BIAS, EXP_MAX, type FpuEmitter, FpuFields, J_BIT, type MemFormat, scratch, SINGLE,
  TAG_EMPTY, TAG_VALID, TAG_ZERO, unpacked, type Unpacked,
} from './x87-fields.ts';

/**
 * Mode bits of the arithmetic functions: the pop of the P forms; SWAP_OR_NEGATE_SRC negates
 * the source of an addition (FSUB) or divides the source by the destination (FDIVR);
 * NEGATE_DEST negates the destination of an addition (FSUBR).
 */
export const enum ArithMode {
  POP = 1,
  SWAP_OR_NEGATE_SRC = 2,
  NEGATE_DEST = 4,
}
/** Mode of the comparisons: the pop count in bits 1:0, EFLAGS (FCOMI) instead of C3 C2 C0. */
export const enum CompareMode {
  POPS = 3,
  EFLAGS = 4,
}

/** A function of the runtime module under construction. */
class RuntimeFunction implements FpuEmitter {
  readonly fb: FunctionBuilder;
  /** Parameter locals: the leading ones, then FIP, FOP, segment, FDP. */
  readonly params: number[];
  readonly ip: number;
  readonly fop: number;
  readonly seg: number;
  readonly offset: number;
  constructor(
    private readonly vcpuId: number,
    leading: number,
    pointers = true,
  ) {
    this.fb = new FunctionBuilder(leading + (pointers ? 4 : 0));
    this.params = Array.from({ length: leading }, (_, i) => i);
    [this.ip, this.fop, this.seg, this.offset] = [leading, leading + 1, leading + 2, leading + 3];
  }
  addr(name: VcpuFieldName, index = 0): number {
    return vcpuField(this.vcpuId, name, index);
  }
  loadField(name: VcpuFieldName, index = 0): void {
    const size = VCPU_STATE.fields[name].size;
    const op = size === 8 ? Op.i64_load : size === 4 ? Op.i64_load32_u : size === 2 ? Op.i64_load16_u : Op.i64_load8_u;
    this.fb.i32Const(0).mem(op, this.addr(name, index));
  }
  storeField(name: VcpuFieldName, local: number, index = 0): void {
    const size = VCPU_STATE.fields[name].size;
    const op = size === 8 ? Op.i64_store : size === 4 ? Op.i64_store32 : size === 2 ? Op.i64_store16 : Op.i64_store8;
    this.fb.i32Const(0).get(local).mem(op, this.addr(name, index));
  }
}

type Body = (fn: RuntimeFunction, st: FpuFields) => void;

/**
 * Wraps a body: `block $cold` holds the checks every waiting x87 instruction makes first
 * (CR0.EM/TS: #NM, SDM Vol. 3A Table 2-2; SW.ES: #MF, Vol. 1 8.7), then the body, whose
 * `br_if 0` means "cold path"; the body ends with SW and the pointers written and returns 1.
 */
function build(vcpuId: number, name: string, body: Body): FunctionBuilder {
  const fn = new RuntimeFunction(vcpuId, X87_OPS[name].length);
  const fb = fn.fb;
  fb.block();
  const st = begin(fn);
  body(fn, st);
  st.store();
  st.storePointers(fn.ip, fn.fop, fn.seg, fn.offset);
  fb.i32Const(1).op(Op.return_);
  fb.end();
  fb.i32Const(0);
  return fb;
}

/** SW and TOP in locals, then the #NM and #MF checks (branch to the cold path). */
function begin(fn: RuntimeFunction): FpuFields {
  const fb = fn.fb;
  const st = new FpuFields(fn);
  st.begin();
  fn.loadField('cr0');
  fb.i64Const(Cr0.EM | Cr0.TS).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
  fb.get(st.sw).i32Const(Sw.ES).op(Op.i32_and).op(Op.i32_or).brIf(0);
  return st;
}

const FORMATS: Readonly<Record<string, MemFormat>> = { m32: SINGLE, m64: DOUBLE };

/** Loads the second operand: ST(src), a m32/m64 real or +0. */
function source(fn: RuntimeFunction, st: FpuFields, fmt: string, src: number, mem: number, into: Unpacked, accept: Accept): void {
  const fb = fn.fb;
  if (fmt === 'reg') st.register(st.physOf(src), into, accept);
  else if (fmt === 'zero') {
    fb.i32Const(0).set(into.sign);
    fb.i32Const(0).set(into.exp);
    fb.i64Const(0n).set(into.mant);
  } else st.memory(mem, FORMATS[fmt], into, accept);
}

/** Pops when bit `bit` of the i32 local `mode` is set. */
function popIf(fn: RuntimeFunction, st: FpuFields, mode: number, test: (fb: FunctionBuilder) => void): void {
  fn.fb.get(mode);
  test(fn.fb);
  fn.fb.if_();
  st.pop();
  fn.fb.end();
}

/** FADD/FMUL/FSUB/FSUBR/FDIV/FDIVR(P): dest ← dest op src (x87-arith.ts), then the pop of the P forms. */
function arithmetic(kind: 'add' | 'mul' | 'div', fmt: string): Body {
  return (fn, st) => {
    const fb = fn.fb;
    const [dst, src, mem, mode] = fn.params;
    const arith = new Arith(fn);
    const dest = st.physOf(dst);
    st.register(dest, arith.a, 'finite');
    source(fn, st, fmt, src, mem, arith.b, 'finite');
    arith.controlWord();
    if (kind === 'add') {
      // a - b = a + (-b); FSUBR: b - a = (-a) + b.
      fb.get(arith.b.sign).get(mode).i32Const(ArithMode.SWAP_OR_NEGATE_SRC).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz).op(Op.i32_xor).set(arith.b.sign);
      fb.get(arith.a.sign).get(mode).i32Const(ArithMode.NEGATE_DEST).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz).op(Op.i32_xor).set(arith.a.sign);
      arith.add();
    } else if (kind === 'mul') arith.multiply();
    else {
      const reverse = scratch(fn).i32();
      fb.get(mode).i32Const(ArithMode.SWAP_OR_NEGATE_SRC).op(Op.i32_and).set(reverse);
      swapIf(fn, arith.a, arith.b, reverse);
      arith.divide();
    }
    arith.round();
    st.storeReg(dest, arith.signExp, arith.mant);
    st.setTag(dest, arith.tag);
    st.roundingFlags(arith.inexact, arith.up);
    popIf(fn, st, mode, (f) => f.i32Const(ArithMode.POP).op(Op.i32_and));
  };
}

/** Exchanges the operands when the i32 local `cond` is nonzero (FDIVR). */
function swapIf(fn: RuntimeFunction, a: Unpacked, b: Unpacked, cond: number): void {
  const fb = fn.fb;
  const t = unpacked(fn);
  for (const k of ['sign', 'exp', 'mant'] as const) {
    fb.get(b[k]).get(a[k]).get(cond).op(Op.select).set(t[k]);
    fb.get(a[k]).get(b[k]).get(cond).op(Op.select).set(b[k]);
    fb.get(t[k]).set(a[k]);
  }
}

/**
 * FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/FUCOMPP, FTST (C3 C2 C0, C1 cleared; SDM Vol. 2A FCOM
 * Table 3-21) and FCOMI/FCOMIP/FUCOMI/FUCOMIP (ZF PF CF, OF SF AF cleared, C1 kept as the
 * host does; Vol. 2A FCOMI) of zeros, normal numbers and infinities: ordered without IE or
 * DE, so the ordered and unordered forms agree. NaNs, denormals and unsupported encodings
 * take the cold path (core/fpu/ops-arith.ts comparison, compareToEflags).
 */
function compare(fmt: string): Body {
  return (fn, st) => {
    const fb = fn.fb;
    const [src, mem, mode] = fn.params;
    const a = unpacked(fn);
    const b = unpacked(fn);
    st.register(st.phys(0), a, 'ordered');
    source(fn, st, fmt, src, mem, b, 'ordered');
    // A zero's sign does not order it: -0 = +0 (SDM Vol. 2A FCOM).
    const signOf = (x: Unpacked): number => {
      const s = scratch(fn).i32();
      fb.get(x.sign).get(x.mant).op(Op.i64_eqz).op(Op.i32_eqz).op(Op.i32_and).set(s);
      return s;
    };
    const sa = signOf(a);
    const sb = signOf(b);
    // Magnitudes order by (exponent, significand) for these classes, a zero lowest, an infinity highest.
    const magEq = scratch(fn).i32();
    const magGt = scratch(fn).i32();
    fb.get(a.exp).get(b.exp).op(Op.i32_eq).get(a.mant).get(b.mant).op(Op.i64_eq).op(Op.i32_and).set(magEq);
    fb.get(a.exp).get(b.exp).op(Op.i32_gt_u);
    fb.get(a.exp).get(b.exp).op(Op.i32_eq).get(a.mant).get(b.mant).op(Op.i64_gt_u).op(Op.i32_and).op(Op.i32_or).set(magGt);
    const eq = scratch(fn).i32();
    const lt = scratch(fn).i32();
    fb.get(magEq).get(sa).get(sb).op(Op.i32_eq).op(Op.i32_and).set(eq);
    // Not equal: with different signs a < b when a is negative; with the same sign when
    // |a| < |b| for positives and |a| > |b| for negatives.
    fb.get(sa);
    fb.get(magGt).get(sa).op(Op.i32_xor).op(Op.i32_eqz);
    fb.get(sa).get(sb).op(Op.i32_ne).op(Op.select);
    fb.get(eq).op(Op.i32_eqz).op(Op.i32_and).set(lt);
    fb.get(mode).i32Const(CompareMode.EFLAGS).op(Op.i32_and).if_();
    {
      // Greater: 0; less: CF; equal: ZF; the other status flags cleared.
      const fl = scratch(fn).i64();
      fn.loadField('rflags');
      fb.i64Const(BigInt(~STATUS_FLAGS)).op(Op.i64_and);
      fb.get(lt).op(Op.i64_extend_i32_u).i64Const(BigInt(Flag.CF)).op(Op.i64_mul).op(Op.i64_or);
      fb.get(eq).op(Op.i64_extend_i32_u).i64Const(BigInt(Flag.ZF)).op(Op.i64_mul).op(Op.i64_or).set(fl);
      fn.storeField('rflags', fl);
    }
    fb.else_();
    // Greater: 000; less: C0; equal: C3; C1 cleared.
    fb.get(st.sw).i32Const(~(Sw.C0 | Sw.C1 | Sw.C2 | Sw.C3)).op(Op.i32_and);
    fb.get(lt).i32Const(Sw.C0).op(Op.i32_mul).op(Op.i32_or);
    fb.get(eq).i32Const(Sw.C3).op(Op.i32_mul).op(Op.i32_or).set(st.sw);
    fb.end();
    popIf(fn, st, mode, (f) => f.i32Const(CompareMode.POPS).op(Op.i32_and));
    popIf(fn, st, mode, (f) => f.i32Const(CompareMode.POPS).op(Op.i32_and).i32Const(2).op(Op.i32_ge_u));
  };
}

/** Pushes the value in `signExp`/`mant` with `tag` (all locals): ST(7) must be empty; C1 cleared. */
function push(fn: RuntimeFunction, st: FpuFields, value: (signExp: number, mant: number, tag: number) => void): void {
  const fb = fn.fb;
  const r = st.phys(7);
  st.tag(r);
  fb.i32Const(TAG_EMPTY).op(Op.i32_ne).brIf(0);
  const signExp = scratch(fn).i32();
  const mant = scratch(fn).i64();
  const tag = scratch(fn).i32();
  value(signExp, mant, tag);
  st.storeReg(r, signExp, mant);
  st.setTag(r, tag);
  fb.get(r).set(st.top);
  st.clearC1();
}

/** FLD m32/m64: an exact widening of a zero or normal value; NaN, infinity and denormal (DE) go cold (SDM Vol. 2A FLD). */
function fldMemory(fmt: MemFormat): Body {
  return (fn, st) => {
    const v = unpacked(fn);
    st.memory(fn.params[0], fmt, v, 'finite');
    push(fn, st, (signExp, mant, tag) => {
      const fb = fn.fb;
      fb.get(v.sign).i32Const(15).op(Op.i32_shl).get(v.exp).op(Op.i32_or).set(signExp);
      fb.get(v.mant).set(mant);
      fb.i32Const(TAG_ZERO).i32Const(TAG_VALID).get(v.mant).op(Op.i64_eqz).op(Op.select).set(tag);
    });
  };
}

/** FILD: the sign-extended integer is exact in 64 significand bits (SDM Vol. 2A FILD). */
const fild: Body = (fn, st) => {
  const fb = fn.fb;
  const v = fn.params[0];
  push(fn, st, (signExp, mant, tag) => {
    // |v| as an unsigned 64-bit magnitude (INT64_MIN gives 2^63), normalized so J is set.
    const neg = scratch(fn).i32();
    const mag = scratch(fn).i64();
    const n = scratch(fn).i64();
    const zero = scratch(fn).i32();
    fb.get(v).i64Const(0n).op(Op.i64_lt_s).set(neg);
    fb.i64Const(0n).get(v).op(Op.i64_sub).get(v).get(neg).op(Op.select).tee(mag).op(Op.i64_clz).set(n);
    fb.get(mag).op(Op.i64_eqz).set(zero);
    fb.get(mag).get(n).op(Op.i64_shl).set(mant);
    fb.get(neg).i32Const(15).op(Op.i32_shl);
    fb.i32Const(0).i32Const(EXP_BIAS + 63).get(n).op(Op.i32_wrap_i64).op(Op.i32_sub).get(zero).op(Op.select).op(Op.i32_or).set(signExp);
    fb.i32Const(TAG_ZERO).i32Const(TAG_VALID).get(zero).op(Op.select).set(tag);
  });
};

/** FLD ST(i): the source is read before the push (an empty one is the cold path's underflow). */
const fldRegister: Body = (fn, st) => {
  const src = st.physOf(fn.params[0]);
  st.requireInUse(src);
  push(fn, st, (signExp, mant, tag) => {
    st.loadSignExp(src, signExp);
    st.loadMant(src, mant);
    st.tagOf(signExp, mant);
    fn.fb.set(tag);
  });
};

/** FLD1, FLDZ. */
const fldConstant: Body = (fn, st) => {
  const fb = fn.fb;
  const one = fn.params[0];
  push(fn, st, (signExp, mant, tag) => {
    fb.i32Const(EXP_BIAS).i32Const(0).get(one).op(Op.select).set(signExp);
    fb.i64Const(J_BIT).i64Const(0n).get(one).op(Op.select).set(mant);
    fb.i32Const(TAG_VALID).i32Const(TAG_ZERO).get(one).op(Op.select).set(tag);
  });
};

/** FXCH ST(i): both must be in use; tags follow the contents; C1 cleared. */
const fxch: Body = (fn, st) => {
  const fb = fn.fb;
  const a = st.phys(0);
  const b = st.physOf(fn.params[0]);
  st.requireInUse(a);
  st.requireInUse(b);
  const [seA, seB, tag] = [scratch(fn).i32(), scratch(fn).i32(), scratch(fn).i32()];
  const [mantA, mantB] = [scratch(fn).i64(), scratch(fn).i64()];
  st.loadSignExp(a, seA);
  st.loadMant(a, mantA);
  st.loadSignExp(b, seB);
  st.loadMant(b, mantB);
  st.storeReg(a, seB, mantB);
  st.storeReg(b, seA, mantA);
  st.tagOf(seB, mantB);
  fb.set(tag);
  st.setTag(a, tag);
  st.tagOf(seA, mantA);
  fb.set(tag);
  st.setTag(b, tag);
  st.clearC1();
};

/** FST/FSTP ST(i): ST(i) ← ST(0), tagged by its contents, then the pop (SDM Vol. 2A FST/FSTP). */
const fstRegister: Body = (fn, st) => {
  const fb = fn.fb;
  const [dstIndex, pop] = fn.params;
  const src = st.phys(0);
  st.requireInUse(src);
  const dst = st.physOf(dstIndex);
  const [signExp, tag] = [scratch(fn).i32(), scratch(fn).i32()];
  const mant = scratch(fn).i64();
  st.loadSignExp(src, signExp);
  st.loadMant(src, mant);
  st.storeReg(dst, signExp, mant);
  st.tagOf(signExp, mant);
  fb.set(tag);
  st.setTag(dst, tag);
  popIf(fn, st, pop, () => undefined);
  st.clearC1();
};

/**
 * FCHS/FABS change only the sign, whatever ST(0) holds (no IE for a NaN, no rounding; SDM
 * Vol. 2A FCHS, FABS); C1 is cleared and the tag follows the contents.
 */
const sign: Body = (fn, st) => {
  const fb = fn.fb;
  const abs = fn.params[0];
  const r = st.phys(0);
  st.requireInUse(r);
  const [signExp, tag] = [scratch(fn).i32(), scratch(fn).i32()];
  const mant = scratch(fn).i64();
  st.loadSignExp(r, signExp);
  st.loadMant(r, mant);
  fb.get(signExp).i32Const(0x7fff).op(Op.i32_and).get(signExp).i32Const(0x8000).op(Op.i32_xor).get(abs).op(Op.select).set(signExp);
  st.storeSignExp(r, signExp);
  st.tagOf(signExp, mant);
  fb.set(tag);
  st.setTag(r, tag);
  st.clearC1();
};

/** A store form: leaves the bits to store and their status (x87-imports.ts X87_STORE_FORMS) in locals. */
type StoreBody = (fn: RuntimeFunction, st: FpuFields, out: number, inexact: number, up: number) => void;

/** The PE condition of a store: an inexact result needs RC = nearest and PE masked, else the cold path. */
function inexactAllowed(fn: RuntimeFunction, inexact: number): void {
  const fb = fn.fb;
  const cw = scratch(fn).i32();
  fb.get(inexact);
  fb.i32Const(0).mem(Op.i32_load16_u, fn.addr('fpuCw')).tee(cw);
  fb.i32Const(CW_RC).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz).get(cw).i32Const(Sw.PE).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_or);
  fb.op(Op.i32_and).brIf(0);
}

/** ST(0), which must be in use, loaded into fresh sign/exponent (i32) and significand (i64) locals. */
function loadTop(fn: Parameters<StoreBody>[0], st: Parameters<StoreBody>[1]): { signExp: number; mant: number } {
  const r = st.phys(0);
  st.requireInUse(r);
  const signExp = scratch(fn).i32();
  const mant = scratch(fn).i64();
  st.loadSignExp(r, signExp);
  st.loadMant(r, mant);
  return { signExp, mant };
}

/**
 * FST/FSTP m32/m64 of a zero or of a normal value whose rounded result is a normal number of
 * the format, rounded to nearest even (SDM Vol. 1 4.8.4; precision control does not apply).
 */
function fstMemory(fmt: MemFormat): StoreBody {
  return (fn, st, out, inexact, up) => {
    const fb = fn.fb;
    const { signExp, mant } = loadTop(fn, st);
    const sign = scratch(fn).i64();
    fb.get(signExp).i32Const(15).op(Op.i32_shr_u).op(Op.i64_extend_i32_u).i64Const(BigInt(fmt.size * 8 - 1)).op(Op.i64_shl).set(sign);
    // The unbiased exponent must be a normal one of the format, with the integer bit set; a
    // zero register (exponent and significand 0) stores the signed zero.
    const ue = scratch(fn).i32();
    fb.get(signExp).i32Const(EXP_MAX).op(Op.i32_and).i32Const(EXP_BIAS - fmt.bias).op(Op.i32_sub).set(ue);
    const zero = scratch(fn).i32();
    fb.get(signExp).i32Const(EXP_MAX).op(Op.i32_and).op(Op.i32_eqz).get(mant).op(Op.i64_eqz).op(Op.i32_and).set(zero);
    // Not zero and (biased target exponent outside 1..expMax-1 or no integer bit): cold path.
    fb.get(ue).i32Const(1).op(Op.i32_sub).i32Const(fmt.expMax - 2).op(Op.i32_gt_u);
    fb.get(mant).i64Const(0).op(Op.i64_ge_s).op(Op.i32_or);
    fb.get(zero).op(Op.i32_eqz).op(Op.i32_and).brIf(0);
    // Round the significand to frac + 1 bits, to nearest even.
    const drop = BigInt(63 - fmt.frac);
    const low = scratch(fn).i64();
    fb.get(mant).i64Const((1n << drop) - 1n).op(Op.i64_and).set(low);
    fb.get(low).op(Op.i64_eqz).op(Op.i32_eqz).set(inexact);
    inexactAllowed(fn, inexact);
    // up = low > half || (low == half && q odd)
    const q = scratch(fn).i64();
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
  };
}

/**
 * FIST/FISTP m16/m32/m64 of a zero or a normal value of magnitude at least 1, rounded to
 * nearest even (SDM Vol. 2A FIST/FISTP, Vol. 1 4.8.4). Out of range (the integer indefinite,
 * #IA), |value| < 1, a directed RC or an unmasked PE take the cold path (core/fpu/convert.ts toInt).
 */
function fistMemory(size: 2 | 4 | 8): StoreBody {
  return (fn, st, out, inexact, up) => {
    const fb = fn.fb;
    const { signExp, mant } = loadTop(fn, st);
    const [e, sign, zero, k] = [scratch(fn).i32(), scratch(fn).i32(), scratch(fn).i32(), scratch(fn).i32()];
    fb.get(signExp).i32Const(EXP_MAX).op(Op.i32_and).set(e);
    fb.get(signExp).i32Const(15).op(Op.i32_shr_u).set(sign);
    fb.get(e).op(Op.i32_eqz).get(mant).op(Op.i64_eqz).op(Op.i32_and).set(zero);
    // value = mant × 2^-k; k in 1..63 means 1 <= |value| < 2^63 for a normal (J set) value.
    fb.i32Const(1).i32Const(EXP_BIAS + 63).get(e).op(Op.i32_sub).get(zero).op(Op.select).set(k);
    fb.get(mant).i64Const(0n).op(Op.i64_ge_s).get(k).i32Const(1).op(Op.i32_sub).i32Const(62).op(Op.i32_gt_u).op(Op.i32_or);
    fb.get(zero).op(Op.i32_eqz).op(Op.i32_and).brIf(0);
    const [kk, q, rem, half, m] = [scratch(fn).i64(), scratch(fn).i64(), scratch(fn).i64(), scratch(fn).i64(), scratch(fn).i64()];
    fb.get(k).op(Op.i64_extend_i32_u).set(kk);
    fb.get(mant).get(kk).op(Op.i64_shr_u).set(q);
    fb.get(mant).i64Const(1n).get(kk).op(Op.i64_shl).i64Const(1n).op(Op.i64_sub).op(Op.i64_and).set(rem);
    fb.i64Const(1n).get(kk).i64Const(1n).op(Op.i64_sub).op(Op.i64_shl).set(half);
    fb.get(rem).get(half).op(Op.i64_gt_u);
    fb.get(rem).get(half).op(Op.i64_eq).get(q).op(Op.i32_wrap_i64).i32Const(1).op(Op.i32_and).op(Op.i32_and);
    fb.op(Op.i32_or).set(up);
    fb.get(rem).op(Op.i64_eqz).op(Op.i32_eqz).set(inexact);
    // RC must be nearest: it decides the rounded integer.
    fb.i32Const(0).mem(Op.i32_load16_u, fn.addr('fpuCw')).i32Const(CW_RC).op(Op.i32_and).brIf(0);
    inexactAllowed(fn, inexact);
    // In range: |result| <= 2^(bits-1) - 1, or 2^(bits-1) when negative (SDM Vol. 1 4.2.1).
    fb.get(q).get(up).op(Op.i64_extend_i32_u).op(Op.i64_add).tee(m);
    fb.i64Const((1n << BigInt(8 * size - 1)) - 1n).get(sign).op(Op.i64_extend_i32_u).op(Op.i64_add).op(Op.i64_gt_u).brIf(0);
    fb.i64Const(0n).get(m).op(Op.i64_sub).get(m).get(sign).op(Op.select).set(out);
  };
}

const STORE_BODIES: Readonly<Record<(typeof X87_STORE_FORMS)[number], StoreBody>> = {
  fst_m32: fstMemory(SINGLE),
  fst_m64: fstMemory(DOUBLE),
  fist_m16: fistMemory(2),
  fist_m32: fistMemory(4),
  fist_m64: fistMemory(8),
};

/** A store form: (bits, status) or (0, 0) for the cold path, the FPU state unchanged. */
function buildStore(vcpuId: number, body: StoreBody): FunctionBuilder {
  const fn = new RuntimeFunction(vcpuId, 0, false);
  const fb = fn.fb;
  fb.block();
  const st = begin(fn);
  const [out, inexact, up] = [scratch(fn).i64(), scratch(fn).i32(), scratch(fn).i32()];
  body(fn, st, out, inexact, up);
  fb.get(out).i32Const(1).get(inexact).i32Const(1).op(Op.i32_shl).op(Op.i32_or).get(up).i32Const(2).op(Op.i32_shl).op(Op.i32_or);
  fb.op(Op.return_);
  fb.end();
  fb.i64Const(0n).i32Const(0);
  return fb;
}

/** After the block's store: PE and C1 from the status (SDM Vol. 1 8.1.3.1), the pop, SW and the pointers. */
function buildStoreCommit(vcpuId: number): FunctionBuilder {
  const fn = new RuntimeFunction(vcpuId, 2);
  const fb = fn.fb;
  const [status, pop] = fn.params;
  const st = new FpuFields(fn);
  st.begin();
  const [inexact, up] = [scratch(fn).i32(), scratch(fn).i32()];
  fb.get(status).i32Const(1).op(Op.i32_shr_u).i32Const(1).op(Op.i32_and).set(inexact);
  fb.get(status).i32Const(2).op(Op.i32_shr_u).i32Const(1).op(Op.i32_and).set(up);
  st.roundingFlags(inexact, up);
  popIf(fn, st, pop, () => undefined);
  st.store();
  st.storePointers(fn.ip, fn.fop, fn.seg, fn.offset);
  return fb;
}

const BODIES: Readonly<Record<string, Body>> = {
  ...Object.fromEntries((['add', 'mul', 'div'] as const).flatMap((k) => ['reg', 'm32', 'm64'].map((f) => [`${k}_${f}`, arithmetic(k, f)]))),
  ...Object.fromEntries(['reg', 'm32', 'm64', 'zero'].map((f) => [`compare_${f}`, compare(f)])),
  fld_m32: fldMemory(SINGLE),
  fld_m64: fldMemory(DOUBLE),
  fild,
  fld_reg: fldRegister,
  fxch,
  fst_reg: fstRegister,
  sign,
  fldconst: fldConstant,
};

/**
 * A dispatcher: `br_table` on parameter 0 to one arm per function, which calls it with
 * `args(i)` and returns its results; an unknown number gives `fallback` (the cold path).
 */
function dispatcher(params: number, count: number, args: (fb: FunctionBuilder, i: number) => void, fallback: (fb: FunctionBuilder) => void): FunctionBuilder {
  const fb = new FunctionBuilder(params);
  for (let i = 0; i <= count; i++) fb.block();
  fb.get(0).byte(Op.br_table).u32(count);
  for (let i = 0; i < count; i++) fb.u32(i);
  fb.u32(count);
  for (let i = 0; i < count; i++) {
    fb.end(); // arm i starts after the end of block i
    args(fb, i);
    fb.op(Op.return_);
  }
  fb.end();
  fallback(fb);
  return fb;
}

/** Compiled runtime modules by vCPU id (the field addresses depend on it, not on the memory). */
const MODULES = new Map<number, WebAssembly.Module>();

/** Builds vCPU `vcpuId`'s x87 runtime: the functions block modules import as X87_IMPORTS. */
export function buildX87Runtime(memory: WebAssembly.Memory, vcpuId: number): Record<string, WebAssembly.ImportValue> {
  let module = MODULES.get(vcpuId);
  if (module === undefined) {
    const ops = X87_OP_NAMES.map((name) => ({
      type: { params: [...X87_OPS[name].map(argumentType), ...POINTERS], results: [ValType.i32] },
      body: build(vcpuId, name, BODIES[name]),
    }));
    const stores = X87_STORE_FORMS.map((name) => ({ type: { params: [], results: [ValType.i64, ValType.i32] }, body: buildStore(vcpuId, STORE_BODIES[name]) }));
    const storeBase = ops.length;
    const type = (name: string): FuncType => X87_IMPORTS.find((imp) => imp.name === name)!.type;
    // x87_op(op, a, b, mem, mode, ip, fop, seg, offset): each operation takes its arguments and the pointers.
    const opDispatch = dispatcher(1 + OP_ARGUMENTS.length + POINTERS.length, ops.length, (fb, i) => {
      for (const arg of X87_OPS[X87_OP_NAMES[i]]) fb.get(1 + OP_ARGUMENTS.indexOf(arg));
      for (let k = 0; k < POINTERS.length; k++) fb.get(1 + OP_ARGUMENTS.length + k);
      fb.call(i);
    }, (fb) => void fb.i32Const(0));
    const storeDispatch = dispatcher(1, stores.length, (fb, i) => void fb.call(storeBase + i), (fb) => void fb.i64Const(0n).i32Const(0));
    const functions = [
      ...ops,
      ...stores,
      { type: type(X87_STORE_COMMIT), body: buildStoreCommit(vcpuId), export: X87_STORE_COMMIT },
      { type: type(X87_OP), body: opDispatch, export: X87_OP },
      { type: type(X87_STORE), body: storeDispatch, export: X87_STORE },
    ];
    module = new WebAssembly.Module(encodeModule({ memory: { initial: 0, maximum: 65536, shared: true }, imports: [], functions }));
    MODULES.set(vcpuId, module);
  }
  return new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, WebAssembly.ImportValue>;
}
