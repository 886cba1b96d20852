// Far control transfers and software interrupts: JMP far, CALL far, RETF, IRET, INT n, INT3,
// INT1, INTO (SDM Vol. 2A/2B). Operands are read in generated code; the transfer, with its
// protection checks, stack switches and task switches, runs on the cold path
// (core/cpu/far.ts, core/cpu/interrupts.ts) and ends the block with the new CS:RIP.
import type { Cpu } from '../../core/cpu/cpu.ts';
import { farCall, farJump, farReturn, interruptReturn, type OperandSize } from '../../core/cpu/far.ts';
import { InternalError } from '../../core/cpu/faults.ts';
import { deliverEvent, type EventKind } from '../../core/cpu/interrupts.ts';
import { Flag, Vector } from '../../core/cpu/registers.ts';
import type { BlockContext, InsnSite } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { readFarPointer } from './segments.ts';

type Emit = (ctx: BlockContext) => void;

/** Runs `fn` as this instruction's transfer and ends the block. */
function transfer(ctx: BlockContext, fn: (cpu: Cpu, site: InsnSite) => void): void {
  ctx.helper((cpu, site) => {
    fn(cpu, site);
    return true;
  });
  ctx.ended = true;
}

/** Far transfers with a 64-bit operand exist only in 64-bit mode, a later milestone. */
function legacyOperandSize(ctx: BlockContext): OperandSize | undefined {
  const size = ctx.instr.opSize;
  if (size !== 8) return size;
  const name = ctx.instr.form.mnemonic;
  transfer(ctx, () => {
    throw new InternalError(`${name} with a 64-bit operand (IA-32e mode) is not implemented yet`);
  });
  return undefined;
}

/**
 * Reads the target of JMP/CALL far: Ap is known at translation time; Mp is read here (it may
 * fault) and handed to the cold path in the `scratch` field as offset | selector << 32.
 */
function farTarget(ctx: BlockContext): (cpu: Cpu) => { sel: number; offset: number } {
  const i = ctx.instr;
  if (i.form.operands[0] === 'Ap') {
    const target = { sel: i.imm2, offset: i.imm >>> 0 };
    return () => target;
  }
  const fb = ctx.fb;
  const [offset, sel] = readFarPointer(ctx, 0);
  const packed = ctx.i64();
  fb.get(sel).i64Const(32).op(Op.i64_shl).get(offset).op(Op.i64_or).set(packed);
  ctx.storeField('scratch', packed);
  return (cpu) => ({ offset: cpu.state.getLo('scratch'), sel: scratchHi(cpu) });
}

/** Bits 47:32 of the `scratch` field: the selector of a far pointer. */
function scratchHi(cpu: Cpu): number {
  return cpu.state.u32[(cpu.state.addr('scratch') >>> 2) + 1] & 0xffff;
}

const jmpf: Emit = (ctx) => {
  const opSize = legacyOperandSize(ctx);
  if (opSize === undefined) return;
  const target = farTarget(ctx);
  transfer(ctx, (cpu, site) => {
    const { sel, offset } = target(cpu);
    farJump(cpu, sel, offset, site.next);
  });
};

const callf: Emit = (ctx) => {
  const opSize = legacyOperandSize(ctx);
  if (opSize === undefined) return;
  const target = farTarget(ctx);
  transfer(ctx, (cpu, site) => {
    const { sel, offset } = target(cpu);
    farCall(cpu, sel, offset, opSize, site.next);
  });
};

const retf: Emit = (ctx) => {
  const opSize = legacyOperandSize(ctx);
  if (opSize === undefined) return;
  const release = ctx.instr.form.operands[0] === 'Iw' ? ctx.instr.imm : 0;
  transfer(ctx, (cpu) => farReturn(cpu, opSize, release));
};

const iret: Emit = (ctx) => {
  const opSize = legacyOperandSize(ctx);
  if (opSize === undefined) return;
  transfer(ctx, (cpu, site) => interruptReturn(cpu, opSize, site.next));
};

/**
 * A software-raised event: RIP in the state becomes the next instruction (the address these
 * trap-like events push), then the event is delivered (core/cpu/interrupts.ts).
 */
function raiseEvent(vector: number | 'imm', kind: EventKind): Emit {
  return (ctx) => {
    const v = vector === 'imm' ? ctx.instr.imm & 0xff : vector;
    transfer(ctx, (cpu, site) => {
      cpu.state.setNum('rip', site.next);
      deliverEvent(cpu, { vector: v, kind });
    });
  };
}

/** INTO: #OF only when OF = 1, else the block goes on (SDM Vol. 2A INT n/INTO). */
const into: Emit = (ctx) => {
  ctx.helper((cpu, site) => {
    if (!(cpu.state.getLo('rflags') & Flag.OF)) return false;
    cpu.state.setNum('rip', site.next);
    deliverEvent(cpu, { vector: Vector.OF, kind: 'software-exception' });
    return true;
  });
};

export const farEmitters: Record<string, Emit> = {
  jmpf,
  callf,
  retf,
  iret,
  int: raiseEvent('imm', 'software'),
  int3: raiseEvent(Vector.BP, 'software-exception'),
  // INT1 (ICEBP) delivers #DB like a hardware event: EXT = 1, no gate DPL check (SDM Vol. 3A 6.12.1.1).
  int1: raiseEvent(Vector.DB, 'exception'),
  into,
};
