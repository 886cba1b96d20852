// Port I/O: IN OUT (imm8 and DX forms) INS OUTS (with REP) (SDM Vol. 2A IN/INS, Vol. 2B
// OUT/OUTS). Each exits to the VMM with KVM_EXIT_IO (core/cpu/io.ts), so they run as
// helpers and end the block: an exit is the cost that matters, not the call.
import {
  portFromDx,
  portIn,
  portOut,
  stringIn,
  stringOut,
  type IoSize,
  type StringIo,
} from '../../core/cpu/io.ts';
import type { Cpu } from '../../core/cpu/cpu.ts';
import { Seg } from '../../core/cpu/registers.ts';
import type { BlockContext, InsnSite } from '../context.ts';

type Emit = (ctx: BlockContext) => void;

/** Calls the I/O operation as a helper (ctx.helper raises its faults at this instruction). */
function ioHelper(ctx: BlockContext, op: (cpu: Cpu, site: InsnSite) => boolean | void): void {
  ctx.helper(op);
}


/** The fixed port of the imm8 forms, or -1 for the DX forms. */
function immediatePort(ctx: BlockContext, operand: string): number {
  return operand === 'Ib' ? ctx.instr.imm & 0xff : -1;
}

const inOp: Emit = (ctx) => {
  const [acc, portOp] = ctx.instr.form.operands;
  const size = ctx.operandSize(acc) as IoSize;
  const fixed = immediatePort(ctx, portOp);
  ioHelper(ctx, (cpu, site) => portIn(cpu, site, fixed >= 0 ? fixed : portFromDx(cpu), size));
  ctx.endAtNext();
};

const outOp: Emit = (ctx) => {
  const [portOp, acc] = ctx.instr.form.operands;
  const size = ctx.operandSize(acc) as IoSize;
  const fixed = immediatePort(ctx, portOp);
  ioHelper(ctx, (cpu, site) => portOut(cpu, site, fixed >= 0 ? fixed : portFromDx(cpu), size));
  ctx.endAtNext();
};

/** INS/OUTS element size: byte forms, else 16 or 32 bits (REX.W does not make port I/O 64-bit). */
function stringIo(ctx: BlockContext, memOperand: string, seg: Seg): StringIo {
  const i = ctx.instr;
  const size: IoSize = memOperand.endsWith('b') ? 1 : i.opSize === 2 ? 2 : 4;
  return { size, addrSize: i.addrSize, seg, rep: i.repPrefix !== 0 };
}

const ins: Emit = (ctx) => {
  // The destination is always ES:rDI; a segment override does not apply (SDM Vol. 2A INS).
  const op = stringIo(ctx, ctx.instr.form.operands[0], Seg.ES);
  ioHelper(ctx, (cpu, site) => stringIn(cpu, site, op));
  ctx.endAtNext();
};

const outs: Emit = (ctx) => {
  const i = ctx.instr;
  const op = stringIo(ctx, i.form.operands[1], i.segOverride >= 0 ? i.segOverride : Seg.DS);
  ioHelper(ctx, (cpu, site) => stringOut(cpu, site, op));
  ctx.endAtNext();
};

export const ioEmitters: Record<string, Emit> = { in: inOp, out: outOp, ins, outs };
