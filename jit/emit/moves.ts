// Data movement: MOV MOVZX MOVSX LEA XCHG CBW/CWDE/CDQE CWD/CDQ/CQO NOP LAHF SAHF SETcc CMOVcc
// BSWAP MOVBE XLAT SALC (SDM Vol. 2A/2B).
import { Feature } from '../../core/cpu/cpuid.ts';
import { Flag, Reg, Vector } from '../../core/cpu/registers.ts';
import type { BlockContext } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { CONDITIONS } from '../../core/cpu/opcodes.ts';
import { emitCondition } from './conditions.ts';
import { movSegment } from './segments.ts';
import { movControl } from './system.ts';
import { requireFeature } from './bmi.ts';

type Emit = (ctx: BlockContext) => void;

const mov: Emit = (ctx) => {
  const ops = ctx.instr.form.operands;
  if (ops[0] === 'Sw' || ops[1] === 'Sw') return movSegment(ctx);
  if (ops[0] === 'Cd' || ops[1] === 'Cd' || ops[0] === 'Dd' || ops[1] === 'Dd') return movControl(ctx);
  const dst = ctx.operand(0);
  const src = ctx.operand(1, dst.size);
  const v = ctx.readTo(src);
  ctx.write(dst, v);
};

function extend(signed: boolean): Emit {
  return (ctx) => {
    const dst = ctx.operand(0);
    const src = ctx.operand(1);
    const v = ctx.i64();
    ctx.read(src);
    if (signed) {
      ctx.signExtend(src.size);
      ctx.mask(dst.size);
    }
    ctx.fb.set(v);
    ctx.write(dst, v);
  };
}

/**
 * MOVSXD Gv, Ed (64-bit mode): sign-extends a doubleword to 64 bits with REX.W; without it
 * the move is 32-bit (and zero-extends like any 32-bit register write; SDM Vol. 2B MOVSX/MOVSXD).
 */
const movsxd: Emit = (ctx) => {
  const dst = ctx.operand(0);
  const src = ctx.operand(1, 4);
  const v = ctx.i64();
  ctx.read(src);
  if (dst.size === 8) ctx.signExtend(4);
  ctx.mask(dst.size);
  ctx.fb.set(v);
  ctx.write(dst, v);
};

const lea: Emit = (ctx) => {
  // LEA computes with the address size and truncates or zero-extends to the operand size.
  const i = ctx.instr;
  const v = ctx.i64();
  ctx.effectiveAddress(i.mem!);
  ctx.mask(i.opSize);
  ctx.fb.set(v);
  ctx.writeReg(i.reg, i.opSize, v);
};

const xchg: Emit = (ctx) => {
  // XCHG with memory is locked implicitly; one vCPU per worker makes the pair atomic for
  // this vCPU, and SMP atomicity comes with the LOCK work of the SMP milestone.
  const a = ctx.operand(0);
  const b = ctx.operand(1, a.size);
  const va = ctx.readTo(a);
  const vb = ctx.readTo(b);
  // Memory first: if the store faults, the register is untouched.
  if (a.kind === 'mem') {
    ctx.write(a, vb);
    ctx.write(b, va);
  } else {
    ctx.write(b, va);
    ctx.write(a, vb);
  }
};

const nop: Emit = () => {};

const cbw: Emit = (ctx) => {
  // CBW / CWDE / CDQE: sign-extend the lower half of rAX into rAX.
  const size = ctx.instr.opSize;
  const v = ctx.i64();
  ctx.readReg(Reg.RAX, (size / 2) as 1 | 2 | 4);
  ctx.signExtend((size / 2) as 1 | 2 | 4);
  ctx.mask(size);
  ctx.fb.set(v);
  ctx.writeReg(Reg.RAX, size, v);
};

const cwd: Emit = (ctx) => {
  // CWD / CDQ / CQO: rDX = sign of rAX, all ones or zero.
  const size = ctx.instr.opSize;
  const fb = ctx.fb;
  const v = ctx.i64();
  ctx.readReg(Reg.RAX, size);
  ctx.signExtend(size);
  fb.i64Const(63).op(Op.i64_shr_s);
  ctx.mask(size);
  fb.set(v);
  ctx.writeReg(Reg.RDX, size, v);
};

const lahf: Emit = (ctx) => {
  // AH = SF:ZF:0:AF:0:PF:1:CF (SDM Vol. 2A LAHF).
  ctx.flags.materialize(Flag.SF | Flag.ZF | Flag.AF | Flag.PF | Flag.CF);
  const v = ctx.i64();
  ctx.loadField('rflags');
  ctx.fb.i64Const(0xd5).op(Op.i64_and).i64Const(2).op(Op.i64_or).set(v);
  ctx.writeReg(4, 1, v); // AH (no REX in legacy encodings; in 64-bit mode LAHF has no REX form either)
};

const sahf: Emit = (ctx) => {
  // SF ZF AF PF CF = AH bits 7 6 4 2 0 (SDM Vol. 2B SAHF).
  const fb = ctx.fb;
  const bits = ctx.i32();
  fb.i32Const(0).mem(Op.i32_load8_u, ctx.addr('gpr', Reg.RAX) + 1).i32Const(0xd5).op(Op.i32_and).set(bits);
  ctx.flags.produceBits(Flag.SF | Flag.ZF | Flag.AF | Flag.PF | Flag.CF, bits);
};

function setcc(cc: number): Emit {
  return (ctx) => {
    const dst = ctx.operand(0);
    const v = ctx.i64();
    emitCondition(ctx, cc);
    ctx.fb.op(Op.i64_extend_i32_u).set(v);
    ctx.write(dst, v);
  };
}

function cmovcc(cc: number): Emit {
  return (ctx) => {
    // The source is read (and may fault) whether or not the condition holds; with a 32-bit
    // operand the destination is zero-extended even when the condition is false (SDM Vol. 2A CMOVcc).
    const fb = ctx.fb;
    const dst = ctx.operand(0);
    const src = ctx.operand(1);
    const v = ctx.readTo(src);
    const r = ctx.i64();
    fb.get(v);
    ctx.read(dst);
    emitCondition(ctx, cc);
    fb.op(Op.select).set(r);
    ctx.write(dst, r);
  };
}

const bswap: Emit = (ctx) => {
  const i = ctx.instr;
  const fb = ctx.fb;
  const v = ctx.i64();
  const r = ctx.i64();
  ctx.readReg(i.reg, 8);
  fb.set(v);
  if (i.opSize === 2) {
    // BSWAP with a 16-bit operand is undefined; real CPUs write zero to the low word.
    fb.i64Const(0).set(r);
  } else {
    const n = i.opSize;
    fb.i64Const(0).set(r);
    for (let k = 0; k < n; k++) {
      fb.get(r).get(v).i64Const(8 * k).op(Op.i64_shr_u).i64Const(0xff).op(Op.i64_and);
      fb.i64Const(8 * (n - 1 - k)).op(Op.i64_shl).op(Op.i64_or).set(r);
    }
  }
  ctx.writeReg(i.reg, i.opSize, r);
};

const xlat: Emit = (ctx) => {
  // AL = [seg:rBX + zero-extended AL] (SDM Vol. 2B XLAT).
  const i = ctx.instr;
  const fb = ctx.fb;
  const off = ctx.i64();
  ctx.readReg(Reg.RBX, i.addrSize);
  ctx.readReg(Reg.RAX, 1);
  fb.op(Op.i64_add);
  ctx.mask(i.addrSize);
  fb.set(off);
  const v = ctx.i64();
  ctx.readMem(i.segOverride >= 0 ? i.segOverride : 3, off, 1);
  fb.set(v);
  ctx.writeReg(Reg.RAX, 1, v);
};

const salc: Emit = (ctx) => {
  // Undocumented SALC (D6): AL = CF ? 0xff : 0 (AMD APM Vol. 3 lists it as reserved; all x86 CPUs implement it).
  // 0 - CF: all ones when CF is set.
  const v = ctx.i64();
  ctx.fb.i64Const(0);
  ctx.flags.emitFlag(Flag.CF);
  ctx.fb.op(Op.i64_extend_i32_u).op(Op.i64_sub).i64Const(0xff).op(Op.i64_and).set(v);
  ctx.writeReg(Reg.RAX, 1, v);
};

/** Pushes the low `size` bytes of the i64 local `v` in reverse order (zero-extended). */
function byteSwapped(ctx: BlockContext, v: number, size: number): void {
  const fb = ctx.fb;
  fb.i64Const(0);
  for (let k = 0; k < size; k++) {
    fb.get(v).i64Const(8 * k).op(Op.i64_shr_u).i64Const(0xff).op(Op.i64_and);
    fb.i64Const(8 * (size - 1 - k)).op(Op.i64_shl).op(Op.i64_or);
  }
}

/**
 * MOVBE Gv, Mv / Mv, Gv: a move that reverses the byte order, 16, 32 or 64 bits (SDM Vol. 2B
 * MOVBE). #UD without CPUID.01H:ECX.MOVBE, with F3, and with F2 (which selects CRC32 where
 * SSE4.2 exists: that form is in the table, so an F2 reaching here means it does not).
 */
const movbe: Emit = (ctx) => {
  if (ctx.instr.repPrefix !== 0) {
    ctx.raise(Vector.UD, 0);
    ctx.ended = true;
    return;
  }
  if (!requireFeature(ctx, Feature.MOVBE)) return;
  const dst = ctx.operand(0);
  const v = ctx.readTo(ctx.operand(1, dst.size));
  const r = ctx.i64();
  byteSwapped(ctx, v, dst.size);
  ctx.fb.set(r);
  ctx.write(dst, r);
};

export const moveEmitters: Record<string, Emit> = {
  movbe,
  mov,
  movzx: extend(false),
  movsx: extend(true),
  movsxd,
  lea,
  xchg,
  nop,
  cbw,
  cwd,
  lahf,
  sahf,
  bswap,
  xlat,
  salc,
};
CONDITIONS.forEach((c, i) => {
  moveEmitters['set' + c] = setcc(i);
  moveEmitters['cmov' + c] = cmovcc(i);
});
