// Event delivery: exceptions, external interrupts, NMIs and software interrupts through the
// IVT (real mode, SDM Vol. 3A 20.1.4), the IDT (protected and virtual-8086 mode, SDM Vol. 3A
// 6.10-6.13 and 20.3; Vol. 2A INT n "Operation") or the 64-bit IDT of IA-32e mode (6.14).
//
// Convention: when deliverEvent is called, RIP in the state is the address to push — the
// faulting instruction for faults, the next instruction for traps and INT n. Every check and
// memory access happens before the first register changes, so a fault during delivery leaves
// the interrupted context intact (a task switch through a task gate is the one exception: its
// late faults belong to the new task, see task-switch.ts).
import type { Cpu } from './cpu.ts';
import { InternalError } from './faults.ts';
import { SystemType, decodeGate } from './descriptor.ts';
import { LongStack, TSS64_IST1, TSS64_RSP0, canonicalHere, is64BitCode, tssStackPointer } from './far.ts';
import { linearFromHalves } from './paging/canonical.ts';
import { Cr0, Cr4, Efer, Flag, Reg, Seg, Vector } from './registers.ts';
import {
  StackAccess, fault, fetchDescriptor, iopl, isCode, isConformingCode, isNullSelector, loadFromDescriptor, loadNull,
  loadReal, selectorError, setAccessed,
} from './segments.ts';
import { innerStack, switchTask, taskGateTss } from './task-switch.ts';

export type EventKind = 'exception' | 'external' | 'nmi' | 'software' | 'software-exception';

/**
 * kind: 'software' is INT n; 'software-exception' is INT3 and INTO (both check the gate DPL
 * and clear EXT); 'exception' covers processor exceptions and INT1, which behave like a
 * hardware event (EXT = 1, no gate DPL check; SDM Vol. 3A 6.12.1.1, 6.13).
 */
export interface GuestEvent {
  vector: number;
  kind: EventKind;
  errorCode?: number;
}

/** Fault-class exceptions: their handlers see RF = 1 in the pushed EFLAGS (SDM Vol. 3B 18.3.1.1). */
const FAULT_VECTORS = new Set<number>([
  Vector.DE, Vector.BR, Vector.UD, Vector.NM, Vector.TS, Vector.NP, Vector.SS, Vector.GP, Vector.PF, Vector.MF,
  Vector.AC, Vector.XM, 20, 21,
]);

export function deliverEvent(cpu: Cpu, ev: GuestEvent): void {
  const s = cpu.state;
  if (!(s.getLo('cr0') & Cr0.PE)) return deliverReal(cpu, ev);
  if (s.getLo('efer') & Efer.LMA) return deliverIa32e(cpu, ev);
  deliverProtected(cpu, ev);
}

/** Real mode: push FLAGS, CS, IP; clear IF, TF, AC; CS:IP from the IVT (SDM Vol. 2A INT n "REAL-ADDRESS-MODE"). */
function deliverReal(cpu: Cpu, ev: GuestEvent): void {
  const s = cpu.state;
  const entry = ev.vector * 4;
  if (entry + 3 > s.getU32('idtrLimit')) throw fault(Vector.GP, 0);
  const idt = s.getNum('idtrBase');
  const ip = cpu.readSystem(idt + entry, 2);
  const cs = cpu.readSystem(idt + entry + 2, 2);
  const flags = s.getLo('rflags');
  const stack = StackAccess.current(cpu);
  stack.push(2, flags);
  stack.push(2, s.getU32('segSel', Seg.CS));
  stack.push(2, s.getLo('rip'));
  stack.commit();
  s.setLo('rflags', flags & ~(Flag.IF | Flag.TF | Flag.AC));
  loadReal(cpu, Seg.CS, cs);
  s.setLo('rip', ip);
  cpu.refreshMode();
}

function deliverProtected(cpu: Cpu, ev: GuestEvent): void {
  const s = cpu.state;
  const software = isSoftware(ev);
  const ext = software ? 0 : 1;
  const eflags = s.getLo('rflags');
  const vm86 = (eflags & Flag.VM) !== 0;
  const cpl = s.getU32('cpl');
  // INT n is IOPL-sensitive in virtual-8086 mode; INT3 and INTO are not (SDM Vol. 3A 20.3.3).
  if (vm86 && ev.kind === 'software' && iopl(eflags) < 3) {
    if (s.getLo('cr4') & Cr4.VME) throw new InternalError('virtual-8086 mode extensions (CR4.VME) are not implemented');
    throw fault(Vector.GP, 0);
  }
  // An error code naming an IDT entry has IDT = 1 (bit 1) (SDM Vol. 3A 6.13).
  const idtError = ev.vector * 8 + 2 + ext;
  if (ev.vector * 8 + 7 > s.getU32('idtrLimit')) throw fault(Vector.GP, idtError);
  const at = s.getNum('idtrBase') + ev.vector * 8;
  const lo = cpu.readSystem(at, 4);
  const hi = cpu.readSystem(at + 4, 4);
  const gate = decodeGate(lo, hi);
  const system = (hi & (1 << 12)) === 0;
  const kinds = [SystemType.TASK_GATE, SystemType.INT_GATE16, SystemType.TRAP_GATE16, SystemType.INT_GATE32, SystemType.TRAP_GATE32];
  if (!system || !kinds.includes(gate.type)) throw fault(Vector.GP, idtError);
  // The gate DPL check applies to INT n, INT3 and INTO only (SDM Vol. 3A 6.12.1.1).
  if (software && gate.dpl < cpl) throw fault(Vector.GP, idtError);
  if (!gate.present) throw fault(Vector.NP, idtError);

  if (gate.type === SystemType.TASK_GATE) {
    const tss = taskGateTss(cpu, gate.selector, ext);
    switchTask(cpu, gate.selector, tss, 'int', s.getLo('rip'), ext, ev.errorCode);
    return;
  }

  // Interrupt or trap gate: the target code segment (SDM Vol. 2A INT n "TRAP-OR-INTERRUPT-GATE").
  const csSel = gate.selector;
  if (isNullSelector(csSel)) throw fault(Vector.GP, ext);
  const cs = fetchDescriptor(cpu, csSel, Vector.GP, ext);
  if (!isCode(cs) || cs.dpl > cpl) throw fault(Vector.GP, selectorError(csSel, ext));
  if (!cs.present) throw fault(Vector.NP, selectorError(csSel, ext));
  const gate32 = gate.type === SystemType.INT_GATE32 || gate.type === SystemType.TRAP_GATE32;
  const width = gate32 ? 4 : 2;
  const eip = gate32 ? gate.offset : gate.offset & 0xffff;

  let newCpl: number;
  let stack: StackAccess;
  let newSs: ReturnType<typeof innerStack> | undefined;
  if (!isConformingCode(cs) && cs.dpl < cpl) {
    // To an inner level, on the stack the TSS gives for it; from virtual-8086 mode only to ring 0.
    if (vm86 && cs.dpl !== 0) throw fault(Vector.GP, selectorError(csSel, ext));
    newCpl = cs.dpl;
    newSs = innerStack(cpu, newCpl, ext);
    stack = StackAccess.of(cpu, newSs.desc, newSs.esp, newCpl === 3, selectorError(newSs.sel, ext));
    if (vm86) for (const seg of [Seg.GS, Seg.FS, Seg.DS, Seg.ES]) stack.push(width, s.getU32('segSel', seg));
    stack.push(width, s.getU32('segSel', Seg.SS));
    stack.push(width, s.getLo('gpr', Reg.RSP));
  } else {
    // Same level: a conforming segment or DPL = CPL; never from virtual-8086 mode.
    if (vm86) throw fault(Vector.GP, selectorError(csSel, ext));
    newCpl = cpl;
    stack = StackAccess.current(cpu, ext);
  }
  stack.push(width, pushedEflags(ev, eflags));
  stack.push(width, s.getU32('segSel', Seg.CS));
  stack.push(width, s.getLo('rip'));
  if (ev.errorCode !== undefined) stack.push(width, ev.errorCode);
  if (eip > cs.limit) throw fault(Vector.GP, ext);
  setAccessed(cpu, csSel, cs);
  if (newSs) setAccessed(cpu, newSs.sel, newSs.desc);
  stack.write();

  // Commit.
  if (newSs) {
    if (vm86) for (const seg of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) loadNull(cpu, seg, 0);
    loadFromDescriptor(cpu, Seg.SS, (newSs.sel & ~3) | newCpl, newSs.desc);
  }
  stack.commit();
  loadFromDescriptor(cpu, Seg.CS, (csSel & ~3) | newCpl, cs);
  s.setU32('cpl', newCpl);
  s.setLo('rflags', handlerEflags(eflags, gate.type));
  s.setLo('rip', eip);
  cpu.refreshMode();
}

const isSoftware = (ev: GuestEvent): boolean => ev.kind === 'software' || ev.kind === 'software-exception';

/** RF in the pushed image: 1 for faults, 0 for INT n (cleared as it starts), else as it is. */
function pushedEflags(ev: GuestEvent, eflags: number): number {
  if (isSoftware(ev)) return eflags & ~Flag.RF;
  if (ev.kind === 'exception' && FAULT_VECTORS.has(ev.vector)) return eflags | Flag.RF;
  return eflags;
}

/** The handler runs with TF VM RF NT clear; interrupt gates also clear IF, trap gates leave it (SDM Vol. 3A 6.12.1.3). */
function handlerEflags(eflags: number, gateType: number): number {
  const flags = eflags & ~(Flag.TF | Flag.VM | Flag.RF | Flag.NT);
  const interruptGate = gateType === SystemType.INT_GATE16 || gateType === SystemType.INT_GATE32;
  return interruptGate ? flags & ~Flag.IF : flags;
}

/** IDT entries in IA-32e mode are 16 bytes (SDM Vol. 3A 6.14.1, Figure 6-8). */
const IDT64_ENTRY = 16;
/** The IST field: bits 2:0 of the gate's second dword. */
const GATE_IST_MASK = 7;
/** The stack is aligned to 16 bytes before the frame is pushed (SDM Vol. 3A 6.14.2). */
const FRAME_ALIGN_MASK = 0xf;

/**
 * Delivery in IA-32e mode, from 64-bit or compatibility mode (SDM Vol. 3A 6.14; Vol. 2A INT n
 * "IA-32e-MODE"): only 64-bit interrupt and trap gates, to 64-bit code. The new RSP is the
 * gate's IST slot when IST != 0, RSPn of the 64-bit TSS for a more privileged level (SS then
 * becomes a null selector with RPL = the new CPL), else the current RSP; it is aligned to 16
 * bytes and SS, RSP, RFLAGS, CS, RIP and the error code are pushed as 8-byte values.
 * Addresses are numbers in the signed form of paging/canonical.ts; the old RSP and RIP are
 * pushed as their exact halves.
 */
function deliverIa32e(cpu: Cpu, ev: GuestEvent): void {
  const s = cpu.state;
  const ext = isSoftware(ev) ? 0 : 1;
  const eflags = s.getLo('rflags');
  const cpl = s.getU32('cpl');
  const idtError = ev.vector * 8 + 2 + ext;
  if (ev.vector * IDT64_ENTRY + IDT64_ENTRY - 1 > s.getU32('idtrLimit')) throw fault(Vector.GP, idtError);
  const at = s.getLinear('idtrBase') + ev.vector * IDT64_ENTRY;
  // The gate's first 8 bytes in one implicit read, then offset 63:32 (a page boundary within
  // the entry faults at the same address either way).
  const [lo, hi] = cpu.readLinear(at, 8, false, true);
  const offsetHigh = cpu.readSystem(at + 8, 4);
  const gate = decodeGate(lo, hi);
  const system = (hi & (1 << 12)) === 0;
  if (!system || (gate.type !== SystemType.INT_GATE32 && gate.type !== SystemType.TRAP_GATE32)) throw fault(Vector.GP, idtError);
  if (isSoftware(ev) && gate.dpl < cpl) throw fault(Vector.GP, idtError);
  if (!gate.present) throw fault(Vector.NP, idtError);

  const csSel = gate.selector;
  if (isNullSelector(csSel)) throw fault(Vector.GP, ext);
  const cs = fetchDescriptor(cpu, csSel, Vector.GP, ext);
  if (!is64BitCode(cs) || cs.dpl > cpl) throw fault(Vector.GP, selectorError(csSel, ext));
  if (!cs.present) throw fault(Vector.NP, selectorError(csSel, ext));
  const inner = !isConformingCode(cs) && cs.dpl < cpl;
  const newCpl = inner ? cs.dpl : cpl;
  const ist = hi & GATE_IST_MASK;
  let rsp: number;
  if (ist !== 0) rsp = tssStackPointer(cpu, TSS64_IST1 + 8 * (ist - 1), ext);
  else if (inner) rsp = tssStackPointer(cpu, TSS64_RSP0 + 8 * newCpl, ext);
  else rsp = s.getLinear('gpr', Reg.RSP);
  if (!canonicalHere(cpu, rsp)) throw fault(Vector.SS, ext);
  const rip = linearFromHalves(gate.offset, offsetHigh);
  if (!canonicalHere(cpu, rip)) throw fault(Vector.GP, ext);

  // `&` takes the low bits of the two's complement for negative (upper-half) addresses too.
  const stack = new LongStack(cpu, rsp - (rsp & FRAME_ALIGN_MASK), newCpl === 3, ext);
  stack.push(8, s.getU32('segSel', Seg.SS), 0);
  stack.push(8, s.getLo('gpr', Reg.RSP), s.getHi('gpr', Reg.RSP));
  stack.push(8, pushedEflags(ev, eflags), 0);
  stack.push(8, s.getU32('segSel', Seg.CS), 0);
  stack.push(8, s.getLo('rip'), s.getHi('rip'));
  if (ev.errorCode !== undefined) stack.push(8, ev.errorCode >>> 0, 0);
  setAccessed(cpu, csSel, cs);
  stack.write();

  // Commit.
  if (inner) loadNull(cpu, Seg.SS, newCpl, newCpl);
  stack.commit();
  loadFromDescriptor(cpu, Seg.CS, (csSel & ~3) | newCpl, cs);
  s.setU32('cpl', newCpl);
  s.setLo('rflags', handlerEflags(eflags, gate.type));
  s.setLinear('rip', rip);
  cpu.refreshMode();
}
