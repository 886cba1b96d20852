// Far control transfers and software interrupts: JMP far, CALL far, RETF, IRET/IRETQ, INT n,
// INT3, INT1, INTO (SDM Vol. 2A/2B), in every mode including IA-32e. Operands are read in
// generated code; the transfer, with its protection checks, stack switches and task switches,
// runs on the cold path (core/cpu/far.ts, core/cpu/interrupts.ts) and ends the block with the
// new CS:RIP.
import type { Cpu } from '../../core/cpu/cpu.ts';
import { farCall, farJump, farReturn, interruptReturn, isCanonicalHere, linearNumber } from '../../core/cpu/far.ts';
import { ExitSignal, GuestFault, InternalError } from '../../core/cpu/faults.ts';
import { deliverEvent, type EventKind } from '../../core/cpu/interrupts.ts';
import { Flag, Seg, Vector } from '../../core/cpu/registers.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import type { BlockContext, InsnSite } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { readFarPointer } from './segments.ts';
import { ApicEvent } from '../../core/kvm/irqchip/shared-apic.ts';

type Emit = (ctx: BlockContext) => void;

/**
 * ctx.helper for transfers that may run in 64-bit mode. RIP in the state is the block's entry
 * RIP while `fn` runs; when `fn` fails (a fault, an internal error, an MMIO exit) RIP is put
 * back as the exact 64-bit value before the failure is reported at this instruction: the
 * site's numbers are inexact above 2^53, in the upper canonical half.
 */
export function coldHelper(ctx: BlockContext, fn: (cpu: Cpu, site: InsnSite) => boolean | void, mayEndBlock = true): void {
  ctx.helper((cpu, site) => {
    const s = cpu.state;
    const entryLo = s.getLo('rip');
    const entryHi = s.getHi('rip');
    try {
      return fn(cpu, site);
    } catch (e) {
      const restarts = e instanceof GuestFault || e instanceof InternalError || (e instanceof ExitSignal && e.reason === ExitReason.MMIO);
      if (restarts && e.delta < 0) {
        e.delta = site.delta;
        // A fault whose delta is pinned (task-switch.ts) belongs to the new task and keeps its RIP.
        if (e.delta >= 0) s.setHalves('rip', entryLo, entryHi);
      }
      throw e;
    }
  }, mayEndBlock);
}

/** Runs `fn` as this instruction's transfer and ends the block. */
export function transfer(ctx: BlockContext, fn: (cpu: Cpu, site: InsnSite) => void): void {
  coldHelper(ctx, (cpu, site) => {
    fn(cpu, site);
    return true;
  });
  ctx.ended = true;
}

/** The RIP of the next instruction, exact in 64-bit mode (RIP in the state is the block's entry RIP). */
export function nextRipOf(ctx: BlockContext): (cpu: Cpu, site: InsnSite) => bigint {
  if (ctx.mode.codeSize !== 8) return (_cpu, site) => BigInt(site.next);
  const after = BigInt(ctx.delta + ctx.instr.length);
  return (cpu) => BigInt.asUintN(64, cpu.state.get64('rip') + after);
}

/**
 * Sets RIP to the next instruction, exact in 64-bit mode: there the entry RIP's halves plus
 * this instruction's end, with the carry (and the wrap at 2^64) done on the halves.
 */
function setNextRip(ctx: BlockContext): (cpu: Cpu, site: InsnSite) => void {
  if (ctx.mode.codeSize !== 8) return (cpu, site) => cpu.state.setNum('rip', site.next);
  const after = ctx.delta + ctx.instr.length;
  return (cpu) => {
    const s = cpu.state;
    const lo = s.getLo('rip') + after;
    s.setHalves('rip', lo, s.getHi('rip') + (lo > 0xffffffff ? 1 : 0));
  };
}

/** In m16:64 the selector follows the 8-byte offset. */
const FAR_POINTER64_SELECTOR = 8n;

/**
 * Reads the target of JMP/CALL far: Ap is known at translation time; Mp with a 16- or 32-bit
 * offset is read here (it may fault) and handed to the cold path in the `scratch` field as
 * offset | selector << 32. An m16:64 pointer (REX.W) does not fit there: generated code
 * passes its linear address and the cold path reads it, non-canonical being #GP(0), or
 * #SS(0) for an SS-based operand (SDM Vol. 2A JMP, CALL, 64-Bit Mode Exceptions).
 */
function farTarget(ctx: BlockContext): (cpu: Cpu) => { sel: number; offset: bigint } {
  const i = ctx.instr;
  if (i.form.operands[0] === 'Ap') {
    const target = { sel: i.imm2, offset: BigInt(i.imm >>> 0) };
    return () => target;
  }
  const fb = ctx.fb;
  if (i.opSize === 8) {
    const m = i.mem!;
    const offset = ctx.i64();
    ctx.effectiveAddress(m);
    fb.set(offset);
    const lin = ctx.i64();
    ctx.linear(m.seg, offset, 8);
    fb.set(lin);
    ctx.storeField('scratch', lin);
    const vector = m.seg === Seg.SS ? Vector.SS : Vector.GP;
    return (cpu) => {
      const at = cpu.state.get64('scratch');
      if (!isCanonicalHere(cpu, at) || !isCanonicalHere(cpu, at + FAR_POINTER64_SELECTOR + 1n)) throw new GuestFault(vector, 0);
      const [lo, hi] = cpu.readLinear(linearNumber(at), 8);
      const sel = cpu.read(linearNumber(at + FAR_POINTER64_SELECTOR), 2);
      return { sel, offset: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) };
    };
  }
  const [offset, sel] = readFarPointer(ctx, 0);
  const packed = ctx.i64();
  fb.get(sel).i64Const(32).op(Op.i64_shl).get(offset).op(Op.i64_or).set(packed);
  ctx.storeField('scratch', packed);
  return (cpu) => ({ offset: BigInt(cpu.state.getLo('scratch')), sel: scratchHi(cpu) });
}

/** Bits 47:32 of the `scratch` field: the selector of a far pointer. */
function scratchHi(cpu: Cpu): number {
  return cpu.state.u32[(cpu.state.addr('scratch') >>> 2) + 1] & 0xffff;
}

const jmpf: Emit = (ctx) => {
  const target = farTarget(ctx);
  const next = nextRipOf(ctx);
  transfer(ctx, (cpu, site) => {
    const { sel, offset } = target(cpu);
    farJump(cpu, sel, offset, next(cpu, site));
  });
};

const callf: Emit = (ctx) => {
  const opSize = ctx.instr.opSize;
  const target = farTarget(ctx);
  const next = nextRipOf(ctx);
  transfer(ctx, (cpu, site) => {
    const { sel, offset } = target(cpu);
    farCall(cpu, sel, offset, opSize, next(cpu, site));
  });
};

const retf: Emit = (ctx) => {
  const opSize = ctx.instr.opSize;
  const release = ctx.instr.form.operands[0] === 'Iw' ? ctx.instr.imm : 0;
  transfer(ctx, (cpu) => farReturn(cpu, opSize, release));
};

/** IRET, IRETD, or IRETQ with REX.W. */
const iret: Emit = (ctx) => {
  const opSize = ctx.instr.opSize;
  // The next RIP matters to a task return only, which IA-32e mode does not have (SDM Vol. 2A IRET).
  const next = ctx.mode.codeSize === 8 ? (): bigint => 0n : nextRipOf(ctx);
  transfer(ctx, (cpu, site) => {
    interruptReturn(cpu, opSize, next(cpu, site));
    // IRET ends the blocking of NMIs that began with the last NMI (SDM Vol. 3A 6.7.1); the
    // run loop then looks at a queued NMI (core/kvm/irqchip/vcpu-apic.ts).
    const s = cpu.state;
    if (s.getU32('nmiBlocked') !== 0) {
      s.setU32('nmiBlocked', 0);
      Atomics.or(s.u32, s.addr('apicEvents') >>> 2, ApicEvent.Poke);
    }
  });
};

/**
 * A software-raised event: RIP in the state becomes the next instruction (the address these
 * trap-like events push), then the event is delivered (core/cpu/interrupts.ts).
 */
function raiseEvent(vector: number | 'imm', kind: EventKind): Emit {
  return (ctx) => {
    const v = vector === 'imm' ? ctx.instr.imm & 0xff : vector;
    const setNext = setNextRip(ctx);
    const event = { vector: v, kind };
    transfer(ctx, (cpu, site) => {
      setNext(cpu, site);
      deliverEvent(cpu, event);
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
