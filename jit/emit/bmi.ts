// The VEX-encoded general-purpose instructions: BMI1 (ANDN BEXTR BLSI BLSMSK BLSR) and BMI2
// (BZHI MULX PDEP PEXT RORX SARX SHLX SHRX), plus ADX (ADCX ADOX), legacy-encoded but of the
// same family (SDM Vol. 2A/2B instruction pages; Vol. 2A 2.5 for the VEX GPR exceptions).
//
// All work on 32 bits, or 64 with VEX.W (REX.W for ADX) in 64-bit mode; outside it VEX.W is
// ignored (the decoder makes the operand size 4). A 32-bit result zero-extends.
//
// Flags the SDM leaves undefined (AF and PF of ANDN BEXTR BLSI BLSMSK BLSR BZHI; SF of BEXTR),
// as the recorded host CPU (AMD EPYC, family 1Ah) sets them: PF from the result, AF clear,
// except BEXTR, which sets AF and clears SF.
import { cpuidHas, Feature, type CpuidFeature } from '../../core/cpu/cpuid.ts';
import { Flag, Reg, STATUS_FLAGS, Vector } from '../../core/cpu/registers.ts';
import type { BlockContext, Size } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { mulHighUnsigned } from './muldiv.ts';
import { flagPos, parityBit, szpBits } from './flagops.ts';

type Emit = (ctx: BlockContext) => void;

/**
 * Whether the guest's CPUID enumerates `feature`; otherwise emits #UD ("#UD If
 * CPUID.(...)[bit] = 0" on each instruction page) and returns false. Decided at translation:
 * KVM_SET_CPUID2 drops the vCPU's translated blocks (core/kvm/vcpu-core.ts), and KVM itself
 * refuses a different table once the vCPU has run (Linux arch/x86/kvm/cpuid.c, kvm_set_cpuid).
 */
export function requireFeature(ctx: BlockContext, feature: CpuidFeature): boolean {
  if (cpuidHas(ctx.cpu.env.cpuid, feature)) return true;
  ud(ctx);
  return false;
}

function ud(ctx: BlockContext): void {
  ctx.raise(Vector.UD, 0);
  ctx.ended = true;
}

/**
 * The checks of a VEX-encoded GPR instruction (SDM Vol. 2A 2.5, "Exception Definition
 * (VEX-Encoded GPR Instructions)"): #UD in real-address and virtual-8086 mode (no VEX
 * there), with VEX.L = 1, and without the feature; `noVvvv` forms (RORX) also need
 * VEX.vvvv = 1111B (Vol. 2A 3.1.1.2: "If none of NDS, NDD, and DDS is present, VEX.vvvv
 * must be 1111b"; the host raises #UD otherwise). Returns whether to go on.
 */
function vexGpr(ctx: BlockContext, feature: CpuidFeature, noVvvv = false): boolean {
  const vex = ctx.instr.vex;
  if (vex === null || !ctx.mode.protectedMode || vex.l !== 0 || (noVvvv && vex.vvvvRaw !== 0)) {
    ud(ctx);
    return false;
  }
  return requireFeature(ctx, feature);
}

/** Stores the i32 on the stack (flag values at their RFLAGS positions) in a fresh local. */
function bitsLocal(ctx: BlockContext): number {
  const l = ctx.i32();
  ctx.fb.set(l);
  return l;
}

/** Moves the i32 0/1 on the stack to `flag`'s RFLAGS position. */
function asFlag(ctx: BlockContext, flag: number): void {
  if (flagPos(flag)) ctx.fb.i32Const(flagPos(flag)).op(Op.i32_shl);
}

/** ANDN: DEST = NOT SRC1 AND SRC2; SF ZF from the result, OF CF cleared (flags as a logic op). */
const andn: Emit = (ctx) => {
  if (!vexGpr(ctx, Feature.BMI1)) return;
  const fb = ctx.fb;
  const dst = ctx.operand(0);
  const src1 = ctx.operand(1);
  const src2 = ctx.operand(2);
  const b = ctx.readTo(src2);
  const a = ctx.readTo(src1);
  const res = ctx.i64();
  fb.get(a).i64Const(-1).op(Op.i64_xor).get(b).op(Op.i64_and).set(res);
  ctx.write(dst, res);
  ctx.flags.produce(STATUS_FLAGS, { kind: 'logic', size: dst.size, a, b, res, bits: -1 });
};

/**
 * BEXTR: START = SRC2[7:0], LEN = SRC2[15:8]; DEST = (SRC1 >> START) with LEN bits kept, 0 when
 * START >= the operand size, all of it when LEN >= the operand size. ZF from the result; CF
 * and OF cleared.
 */
const bextr: Emit = (ctx) => {
  if (!vexGpr(ctx, Feature.BMI1)) return;
  const fb = ctx.fb;
  const dst = ctx.operand(0);
  const width = dst.size * 8;
  const src = ctx.readTo(ctx.operand(1));
  const ctl = ctx.readTo(ctx.operand(2));
  const start = ctx.i64();
  const len = ctx.i64();
  const res = ctx.i64();
  fb.get(ctl).i64Const(0xff).op(Op.i64_and).set(start);
  fb.get(ctl).i64Const(8).op(Op.i64_shr_u).i64Const(0xff).op(Op.i64_and).set(len);
  // A zero-extended 32-bit source shifted by 32..63 is already 0; the select covers 64 and up.
  fb.i64Const(0).get(src).get(start).op(Op.i64_shr_u).get(start).i64Const(width).op(Op.i64_ge_u).op(Op.select);
  fb.i64Const(-1).i64Const(1).get(len).op(Op.i64_shl).i64Const(1).op(Op.i64_sub);
  fb.get(len).i64Const(64).op(Op.i64_ge_u).op(Op.select).op(Op.i64_and).set(res);
  ctx.write(dst, res);
  fb.get(res).op(Op.i64_eqz);
  asFlag(ctx, Flag.ZF);
  parityBit(ctx, res);
  fb.op(Op.i32_or).i32Const(Flag.AF).op(Op.i32_or);
  ctx.flags.produceBits(STATUS_FLAGS, bitsLocal(ctx));
};

type LowestBitOp = 'blsi' | 'blsmsk' | 'blsr';

/**
 * Group 17: BLSI (isolate: -x AND x), BLSMSK (mask up to it: (x - 1) XOR x), BLSR (reset it:
 * (x - 1) AND x), into VEX.vvvv. SF from the result, OF cleared; ZF from the result (BLSMSK:
 * cleared); CF = source is not zero (BLSI) or is zero (BLSMSK, BLSR).
 */
function lowestBit(op: LowestBitOp): Emit {
  return (ctx) => {
    if (!vexGpr(ctx, Feature.BMI1)) return;
    const fb = ctx.fb;
    const dst = ctx.operand(0);
    const x = ctx.readTo(ctx.operand(1));
    const res = ctx.i64();
    if (op === 'blsi') fb.i64Const(0).get(x).op(Op.i64_sub).get(x).op(Op.i64_and);
    else fb.get(x).i64Const(1).op(Op.i64_sub).get(x).op(op === 'blsr' ? Op.i64_and : Op.i64_xor);
    ctx.mask(dst.size);
    fb.set(res);
    ctx.write(dst, res);
    // BLSMSK's result always has bit 0 set, so szpBits gives ZF = 0 as the SDM says.
    szpBits(ctx, res, dst.size);
    fb.get(x).op(Op.i64_eqz);
    if (op === 'blsi') fb.op(Op.i32_eqz);
    fb.op(Op.i32_or);
    ctx.flags.produceBits(STATUS_FLAGS, bitsLocal(ctx));
  };
}

/**
 * BZHI: N = SRC2[7:0]; DEST = SRC1 with bits N and up cleared; CF = N >= the operand size (and
 * then DEST = SRC1). SF ZF from the result, OF cleared.
 */
const bzhi: Emit = (ctx) => {
  if (!vexGpr(ctx, Feature.BMI2)) return;
  const fb = ctx.fb;
  const dst = ctx.operand(0);
  const width = dst.size * 8;
  const src = ctx.readTo(ctx.operand(1));
  const n = ctx.i64();
  const res = ctx.i64();
  ctx.read(ctx.operand(2));
  fb.i64Const(0xff).op(Op.i64_and).set(n);
  fb.get(src).get(src).i64Const(1).get(n).op(Op.i64_shl).i64Const(1).op(Op.i64_sub).op(Op.i64_and);
  fb.get(n).i64Const(width).op(Op.i64_ge_u).op(Op.select).set(res);
  ctx.write(dst, res);
  szpBits(ctx, res, dst.size);
  fb.get(n).i64Const(width).op(Op.i64_ge_u).op(Op.i32_or);
  ctx.flags.produceBits(STATUS_FLAGS, bitsLocal(ctx));
};

/**
 * PDEP (deposit the low bits of SRC1 at the set bits of the mask SRC2) and PEXT (gather the
 * bits of SRC1 at the set bits of the mask into the low bits). No flags. One iteration per set
 * mask bit: `low` is the lowest remaining mask bit, `k` the matching bit of the packed side.
 */
function bitGather(deposit: boolean): Emit {
  return (ctx) => {
    if (!vexGpr(ctx, Feature.BMI2)) return;
    const fb = ctx.fb;
    const dst = ctx.operand(0);
    const mask = ctx.readTo(ctx.operand(2));
    const src = ctx.readTo(ctx.operand(1));
    const res = ctx.i64();
    const m = ctx.i64();
    const k = ctx.i64();
    const low = ctx.i64();
    fb.i64Const(0).set(res).get(mask).set(m).i64Const(1).set(k);
    fb.block().loop();
    fb.get(m).op(Op.i64_eqz).brIf(1);
    fb.i64Const(0).get(m).op(Op.i64_sub).get(m).op(Op.i64_and).set(low);
    // PDEP: res |= low when src & k; PEXT: res |= k when src & low.
    fb.get(res).i64Const(0).get(deposit ? low : k).get(src).get(deposit ? k : low).op(Op.i64_and).op(Op.i64_eqz).op(Op.select);
    fb.op(Op.i64_or).set(res);
    fb.get(m).get(low).op(Op.i64_xor).set(m);
    fb.get(k).i64Const(1).op(Op.i64_shl).set(k);
    fb.br(0).end().end();
    ctx.write(dst, res);
  };
}

/**
 * MULX: unsigned rDX * SRC2; the low half goes to VEX.vvvv and then the high half to ModRM.reg
 * (so the high half wins when they are the same register). No flags.
 */
const mulx: Emit = (ctx) => {
  if (!vexGpr(ctx, Feature.BMI2)) return;
  const fb = ctx.fb;
  const hiLoc = ctx.operand(0);
  const loLoc = ctx.operand(1);
  const size = hiLoc.size;
  const b = ctx.readTo(ctx.operand(2));
  const a = ctx.i64();
  ctx.readReg(Reg.RDX, size);
  fb.set(a);
  const lo = ctx.i64();
  let hi: number;
  if (size === 8) {
    hi = mulHighUnsigned(ctx, a, b);
    fb.get(a).get(b).op(Op.i64_mul).set(lo);
  } else {
    hi = ctx.i64();
    fb.get(a).get(b).op(Op.i64_mul).set(lo);
    fb.get(lo).i64Const(32).op(Op.i64_shr_u).set(hi);
  }
  ctx.write(loLoc, lo);
  ctx.write(hiLoc, hi);
};

/** RORX: rotate right by imm8 (masked to 5 or 6 bits), no flags. */
const rorx: Emit = (ctx) => {
  if (!vexGpr(ctx, Feature.BMI2, true)) return;
  const fb = ctx.fb;
  const dst = ctx.operand(0);
  const src = ctx.operand(1);
  const count = ctx.instr.imm & (dst.size * 8 - 1);
  const res = ctx.i64();
  ctx.read(src);
  if (dst.size === 8) fb.i64Const(count).op(Op.i64_rotr);
  else fb.op(Op.i32_wrap_i64).i32Const(count).op(Op.i32_rotr).op(Op.i64_extend_i32_u);
  fb.set(res);
  ctx.write(dst, res);
};

type ShiftX = 'sarx' | 'shlx' | 'shrx';

/** SARX SHLX SHRX: shift SRC1 by SRC2 (VEX.vvvv) masked to 5 or 6 bits; no flags. */
function shiftX(op: ShiftX): Emit {
  return (ctx) => {
    if (!vexGpr(ctx, Feature.BMI2)) return;
    const fb = ctx.fb;
    const dst = ctx.operand(0);
    const size: Size = dst.size;
    const res = ctx.i64();
    ctx.read(ctx.operand(1));
    if (op === 'sarx') ctx.signExtend(size);
    ctx.read(ctx.operand(2));
    fb.i64Const(size * 8 - 1).op(Op.i64_and);
    fb.op(op === 'shlx' ? Op.i64_shl : op === 'shrx' ? Op.i64_shr_u : Op.i64_shr_s);
    ctx.mask(size);
    fb.set(res);
    ctx.write(dst, res);
  };
}

/**
 * ADCX / ADOX: DEST = DEST + SRC + CF (resp. OF), the carry out into CF (resp. OF); no other
 * flag changes, so two carry chains can interleave (SDM Vol. 2A ADCX, ADOX).
 */
function addCarryOnly(flag: number): Emit {
  return (ctx) => {
    if (!requireFeature(ctx, Feature.ADX)) return;
    const fb = ctx.fb;
    const dst = ctx.operand(0);
    const size = dst.size;
    const b = ctx.readTo(ctx.operand(1));
    const a = ctx.readTo(dst);
    const cin = ctx.i64();
    const sum = ctx.i64();
    const res = ctx.i64();
    const carry = ctx.i32();
    ctx.flags.emitFlag(flag);
    fb.op(Op.i64_extend_i32_u).set(cin);
    if (size === 8) {
      // Carry out of a + b, or of (a + b) + cin (which can only carry when a + b wrapped to all ones).
      fb.get(a).get(b).op(Op.i64_add).set(sum);
      fb.get(sum).get(cin).op(Op.i64_add).set(res);
      fb.get(sum).get(a).op(Op.i64_lt_u).get(res).get(sum).op(Op.i64_lt_u).op(Op.i32_or).set(carry);
    } else {
      fb.get(a).get(b).op(Op.i64_add).get(cin).op(Op.i64_add).set(sum);
      fb.get(sum).i64Const(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64).set(carry);
      fb.get(sum).i64Const(0xffffffffn).op(Op.i64_and).set(res);
    }
    ctx.write(dst, res);
    fb.get(carry);
    asFlag(ctx, flag);
    ctx.flags.produceBits(flag, bitsLocal(ctx));
  };
}

export const bmiEmitters: Record<string, Emit> = {
  andn,
  bextr,
  blsi: lowestBit('blsi'),
  blsmsk: lowestBit('blsmsk'),
  blsr: lowestBit('blsr'),
  bzhi,
  pdep: bitGather(true),
  pext: bitGather(false),
  mulx,
  rorx,
  sarx: shiftX('sarx'),
  shlx: shiftX('shlx'),
  shrx: shiftX('shrx'),
  adcx: addCarryOnly(Flag.CF),
  adox: addCarryOnly(Flag.OF),
};
