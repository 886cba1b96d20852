// Far control transfers: JMP far, CALL far (to code segments, through call gates with the
// stack switch and parameter copy, through task gates or to TSSs), RETF and IRET (SDM Vol. 2A
// CALL, JMP, IRET; Vol. 2B RET; Vol. 3A 5.8, 6.12, 7.3, 20.1, 20.3).
//
// Each function runs on the cold path with RIP in the state unchanged; it makes every check
// and memory access first and then commits CS, EIP, the stack and EFLAGS, so a fault leaves
// the instruction without effect (task switches excepted, see task-switch.ts).
import type { Cpu } from './cpu.ts';
import { InternalError } from './faults.ts';
import { SystemType, decodeGate, type SegmentDescriptor } from './descriptor.ts';
import { Cr0, Cr4, Efer, Flag, Reg, STATUS_FLAGS, Seg, Vector } from './registers.ts';
import {
  StackAccess, fault, fetchDescriptor, inProtectedMode, iopl, isCode, isConformingCode, isNullSelector, isWritableData,
  loadFromDescriptor, loadReal, loadVm86, nullInaccessibleDataSegments, selectorError, setAccessed,
} from './segments.ts';
import { backLinkTss, innerStack, sanitizeEflags, switchTask, taskGateTss } from './task-switch.ts';

export type OperandSize = 2 | 4;

/** EFLAGS bits a 32-bit IRET in real mode takes from the stack, and those it keeps (SDM Vol. 2A IRET). */
const REAL_IRET_POPPED = 0x257fd5;
const REAL_IRET_KEPT = 0x1a0000;

function requireLegacy(cpu: Cpu, what: string): void {
  if (cpu.state.getLo('efer') & Efer.LMA) throw new InternalError(`${what} in IA-32e mode is not implemented yet`);
}

/** CS for real-address or virtual-8086 mode. */
function loadRealCs(cpu: Cpu, sel: number): void {
  if (cpu.state.getLo('rflags') & Flag.VM) loadVm86(cpu, Seg.CS, sel);
  else loadReal(cpu, Seg.CS, sel);
}

/** Loads CS with RPL = `cpl`, sets CPL and EIP. */
function commitCode(cpu: Cpu, sel: number, d: SegmentDescriptor, cpl: number, eip: number): void {
  loadFromDescriptor(cpu, Seg.CS, (sel & 0xfffc) | cpl, d);
  cpu.state.setU32('cpl', cpl);
  cpu.state.setLo('rip', eip);
}

/** A code segment reached directly by JMP or CALL (SDM Vol. 3A 5.8.1). */
function checkDirectCode(sel: number, d: SegmentDescriptor, cpl: number): void {
  const code = selectorError(sel);
  if (!isCode(d)) throw fault(Vector.GP, code);
  if (isConformingCode(d) ? d.dpl > cpl : (sel & 3) > cpl || d.dpl !== cpl) throw fault(Vector.GP, code);
  if (!d.present) throw fault(Vector.NP, code);
}

/**
 * The code segment of a call gate (SDM Vol. 3A 5.8.4): JMP may only reach the same level
 * (conforming DPL <= CPL or DPL = CPL), CALL any level DPL <= CPL.
 */
function gateTarget(cpu: Cpu, csSel: number, cpl: number, jump: boolean): SegmentDescriptor {
  if (isNullSelector(csSel)) throw fault(Vector.GP, 0);
  const d = fetchDescriptor(cpu, csSel);
  const code = selectorError(csSel);
  if (!isCode(d)) throw fault(Vector.GP, code);
  const allowed = jump ? (isConformingCode(d) ? d.dpl <= cpl : d.dpl === cpl) : d.dpl <= cpl;
  if (!allowed) throw fault(Vector.GP, code);
  if (!d.present) throw fault(Vector.NP, code);
  return d;
}

/** Gate and TSS descriptors need DPL >= max(CPL, RPL) (SDM Vol. 3A 5.8.4, 7.3). */
function checkGateAccess(sel: number, d: SegmentDescriptor, cpl: number): void {
  const code = selectorError(sel);
  if (d.dpl < cpl || d.dpl < (sel & 3)) throw fault(Vector.GP, code);
  if (!d.present) throw fault(Vector.NP, code);
}

/** JMP ptr16:16/32 and JMP m16:16/32 (SDM Vol. 2A JMP). `next` is saved by a task switch. */
export function farJump(cpu: Cpu, sel: number, offset: number, next: number): void {
  const s = cpu.state;
  sel &= 0xffff;
  if (!inProtectedMode(cpu)) {
    if (offset > s.getU32('segLimit', Seg.CS)) throw fault(Vector.GP, 0);
    loadRealCs(cpu, sel);
    s.setLo('rip', offset);
    return cpu.refreshMode();
  }
  requireLegacy(cpu, 'JMP far');
  const cpl = s.getU32('cpl');
  if (isNullSelector(sel)) throw fault(Vector.GP, 0);
  const d = fetchDescriptor(cpu, sel);
  if (!d.system) {
    checkDirectCode(sel, d, cpl);
    if (offset > d.limit) throw fault(Vector.GP, 0);
    setAccessed(cpu, sel, d);
    commitCode(cpu, sel, d, cpl, offset);
    return cpu.refreshMode();
  }
  switch (d.type) {
    case SystemType.CALL_GATE16:
    case SystemType.CALL_GATE32: {
      checkGateAccess(sel, d, cpl);
      const gate = decodeGate(d.lo, d.hi);
      const cs = gateTarget(cpu, gate.selector, cpl, true);
      const eip = d.type === SystemType.CALL_GATE32 ? gate.offset : gate.offset & 0xffff;
      if (eip > cs.limit) throw fault(Vector.GP, 0);
      setAccessed(cpu, gate.selector, cs);
      commitCode(cpu, gate.selector, cs, cpl, eip);
      return cpu.refreshMode();
    }
    case SystemType.TASK_GATE: {
      checkGateAccess(sel, d, cpl);
      const tssSel = decodeGate(d.lo, d.hi).selector;
      return switchTask(cpu, tssSel, taskGateTss(cpu, tssSel), 'jmp', next);
    }
    case SystemType.TSS16_AVAILABLE:
    case SystemType.TSS32_AVAILABLE:
      checkGateAccess(sel, d, cpl);
      return switchTask(cpu, sel, d, 'jmp', next);
    default:
      // Data-less system descriptors, busy TSSs, LDTs and interrupt gates.
      throw fault(Vector.GP, selectorError(sel));
  }
}

/** CALL ptr16:16/32 and CALL m16:16/32 (SDM Vol. 2A CALL). */
export function farCall(cpu: Cpu, sel: number, offset: number, opSize: OperandSize, next: number): void {
  const s = cpu.state;
  sel &= 0xffff;
  const returnCs = s.getU32('segSel', Seg.CS);
  if (!inProtectedMode(cpu)) {
    const stack = StackAccess.current(cpu);
    stack.push(opSize, returnCs);
    stack.push(opSize, next);
    if (offset > s.getU32('segLimit', Seg.CS)) throw fault(Vector.GP, 0);
    stack.commit();
    loadRealCs(cpu, sel);
    s.setLo('rip', offset);
    return cpu.refreshMode();
  }
  requireLegacy(cpu, 'CALL far');
  const cpl = s.getU32('cpl');
  if (isNullSelector(sel)) throw fault(Vector.GP, 0);
  const d = fetchDescriptor(cpu, sel);
  if (!d.system) {
    checkDirectCode(sel, d, cpl);
    const stack = StackAccess.current(cpu);
    stack.push(opSize, returnCs);
    stack.push(opSize, next);
    if (offset > d.limit) throw fault(Vector.GP, 0);
    setAccessed(cpu, sel, d);
    stack.commit();
    commitCode(cpu, sel, d, cpl, offset);
    return cpu.refreshMode();
  }
  switch (d.type) {
    case SystemType.CALL_GATE16:
    case SystemType.CALL_GATE32:
      checkGateAccess(sel, d, cpl);
      return callThroughGate(cpu, d, cpl, next);
    case SystemType.TASK_GATE: {
      checkGateAccess(sel, d, cpl);
      const tssSel = decodeGate(d.lo, d.hi).selector;
      return switchTask(cpu, tssSel, taskGateTss(cpu, tssSel), 'call', next);
    }
    case SystemType.TSS16_AVAILABLE:
    case SystemType.TSS32_AVAILABLE:
      checkGateAccess(sel, d, cpl);
      return switchTask(cpu, sel, d, 'call', next);
    default:
      throw fault(Vector.GP, selectorError(sel));
  }
}

/**
 * CALL through a call gate (SDM Vol. 3A 5.8.5, 5.8.6): to a more privileged non-conforming
 * segment on the stack the TSS gives for its DPL, copying the gate's parameter count of words
 * (16-bit gate) or dwords (32-bit gate) from the caller's stack; the gate size, not the
 * instruction's operand size, sets the width of every push.
 */
function callThroughGate(cpu: Cpu, d: SegmentDescriptor, cpl: number, next: number): void {
  const s = cpu.state;
  const gate = decodeGate(d.lo, d.hi);
  const cs = gateTarget(cpu, gate.selector, cpl, false);
  const width = d.type === SystemType.CALL_GATE32 ? 4 : 2;
  const eip = width === 4 ? gate.offset : gate.offset & 0xffff;
  const returnCs = s.getU32('segSel', Seg.CS);
  if (!isConformingCode(cs) && cs.dpl < cpl) {
    const newCpl = cs.dpl;
    const ss = innerStack(cpu, newCpl);
    const stack = StackAccess.of(cpu, ss.desc, ss.esp, newCpl === 3, selectorError(ss.sel));
    const caller = StackAccess.current(cpu);
    stack.push(width, s.getU32('segSel', Seg.SS));
    stack.push(width, s.getLo('gpr', Reg.RSP));
    for (let i = gate.paramCount - 1; i >= 0; i--) stack.push(width, caller.peek(i * width, width));
    stack.push(width, returnCs);
    stack.push(width, next);
    if (eip > cs.limit) throw fault(Vector.GP, 0);
    setAccessed(cpu, gate.selector, cs);
    setAccessed(cpu, ss.sel, ss.desc);
    stack.write();
    loadFromDescriptor(cpu, Seg.SS, (ss.sel & 0xfffc) | newCpl, ss.desc);
    stack.commit();
    commitCode(cpu, gate.selector, cs, newCpl, eip);
    return cpu.refreshMode();
  }
  const stack = StackAccess.current(cpu);
  stack.push(width, returnCs);
  stack.push(width, next);
  if (eip > cs.limit) throw fault(Vector.GP, 0);
  setAccessed(cpu, gate.selector, cs);
  stack.commit();
  commitCode(cpu, gate.selector, cs, cpl, eip);
  cpu.refreshMode();
}

/** The code segment a RETF or IRET returns to (SDM Vol. 2B RET "PROTECTED-MODE"). */
function returnTarget(cpu: Cpu, sel: number, cpl: number): SegmentDescriptor {
  if (isNullSelector(sel)) throw fault(Vector.GP, 0);
  const d = fetchDescriptor(cpu, sel);
  const code = selectorError(sel);
  const rpl = sel & 3;
  if (!isCode(d) || rpl < cpl) throw fault(Vector.GP, code);
  if (isConformingCode(d) ? d.dpl > rpl : d.dpl !== rpl) throw fault(Vector.GP, code);
  if (!d.present) throw fault(Vector.NP, code);
  return d;
}

/** The stack segment of a return to an outer level (SDM Vol. 2B RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). */
function outerStackSegment(cpu: Cpu, sel: number, rpl: number): SegmentDescriptor {
  if (isNullSelector(sel)) throw fault(Vector.GP, 0);
  const d = fetchDescriptor(cpu, sel);
  const code = selectorError(sel);
  if ((sel & 3) !== rpl || !isWritableData(d) || d.dpl !== rpl) throw fault(Vector.GP, code);
  if (!d.present) throw fault(Vector.SS, code);
  return d;
}

/** Switches to the outer level's stack: SS, then ESP = the popped ESP plus `release` (RET imm16). */
function commitOuterStack(cpu: Cpu, ssSel: number, ss: SegmentDescriptor, esp: number, release: number): void {
  loadFromDescriptor(cpu, Seg.SS, ssSel, ss);
  const outer = StackAccess.of(cpu, ss, esp, (ssSel & 3) === 3, 0);
  outer.skip(release);
  outer.commit();
}

/** RETF and RETF imm16 (SDM Vol. 2B RET): `release` bytes of parameters are popped after the return address. */
export function farReturn(cpu: Cpu, opSize: OperandSize, release: number): void {
  const s = cpu.state;
  if (inProtectedMode(cpu)) requireLegacy(cpu, 'RETF');
  const stack = StackAccess.current(cpu);
  const eip = stack.pop(opSize);
  const sel = stack.pop(opSize) & 0xffff;
  if (!inProtectedMode(cpu)) {
    if (eip > s.getU32('segLimit', Seg.CS)) throw fault(Vector.GP, 0);
    stack.skip(release);
    stack.commit();
    loadRealCs(cpu, sel);
    s.setLo('rip', eip);
    return cpu.refreshMode();
  }
  const cpl = s.getU32('cpl');
  const rpl = sel & 3;
  const cs = returnTarget(cpu, sel, cpl);
  if (rpl === cpl) {
    if (eip > cs.limit) throw fault(Vector.GP, 0);
    setAccessed(cpu, sel, cs);
    stack.skip(release);
    stack.commit();
    commitCode(cpu, sel, cs, cpl, eip);
    return cpu.refreshMode();
  }
  stack.skip(release);
  const esp = stack.pop(opSize);
  const ssSel = stack.pop(opSize) & 0xffff;
  const ss = outerStackSegment(cpu, ssSel, rpl);
  if (eip > cs.limit) throw fault(Vector.GP, 0);
  setAccessed(cpu, sel, cs);
  setAccessed(cpu, ssSel, ss);
  commitCode(cpu, sel, cs, rpl, eip);
  commitOuterStack(cpu, ssSel, ss, esp, release);
  nullInaccessibleDataSegments(cpu, rpl);
  cpu.refreshMode();
}

/**
 * EFLAGS after a protected-mode IRET that stays out of virtual-8086 mode (SDM Vol. 2A IRET):
 * IF only when CPL <= IOPL, IOPL (and VIF, VIP) only at CPL 0, RF AC ID only with a 32-bit
 * operand; `cpl` is the level IRET ran at.
 */
function iretFlags(old: number, popped: number, cpl: number, opSize: OperandSize): number {
  let mask = STATUS_FLAGS | Flag.TF | Flag.DF | Flag.NT;
  if (opSize === 4) mask |= Flag.RF | Flag.AC | Flag.ID;
  if (cpl <= iopl(old)) mask |= Flag.IF;
  if (cpl === 0) mask |= Flag.IOPL | (opSize === 4 ? Flag.VIF | Flag.VIP : 0);
  return sanitizeEflags((old & ~mask) | (popped & mask));
}

/** IRET / IRETD (SDM Vol. 2A IRET). `next` is saved in the TSS by a task return. */
export function interruptReturn(cpu: Cpu, opSize: OperandSize, next: number): void {
  const s = cpu.state;
  const eflags = s.getLo('rflags');
  if (!(s.getLo('cr0') & Cr0.PE)) return iretReal(cpu, opSize);
  if (eflags & Flag.VM) return iretFromVm86(cpu, opSize);
  requireLegacy(cpu, 'IRET');
  if (eflags & Flag.NT) {
    // TASK-RETURN: back to the task in the link field, without nesting (SDM Vol. 3A 7.4).
    const { sel, desc } = backLinkTss(cpu);
    return switchTask(cpu, sel, desc, 'iret', next);
  }
  const stack = StackAccess.current(cpu);
  const eip = stack.pop(opSize);
  const sel = stack.pop(opSize) & 0xffff;
  const popped = stack.pop(opSize);
  const cpl = s.getU32('cpl');
  if (opSize === 4 && popped & Flag.VM && cpl === 0) return iretToVm86(cpu, stack, eip, sel, popped);
  const rpl = sel & 3;
  const cs = returnTarget(cpu, sel, cpl);
  const flags = iretFlags(eflags, popped, cpl, opSize);
  if (rpl === cpl) {
    if (eip > cs.limit) throw fault(Vector.GP, 0);
    setAccessed(cpu, sel, cs);
    stack.commit();
    commitCode(cpu, sel, cs, cpl, eip);
    s.setLo('rflags', flags);
    return cpu.refreshMode();
  }
  const esp = stack.pop(opSize);
  const ssSel = stack.pop(opSize) & 0xffff;
  const ss = outerStackSegment(cpu, ssSel, rpl);
  if (eip > cs.limit) throw fault(Vector.GP, 0);
  setAccessed(cpu, sel, cs);
  setAccessed(cpu, ssSel, ss);
  commitCode(cpu, sel, cs, rpl, eip);
  commitOuterStack(cpu, ssSel, ss, esp, 0);
  s.setLo('rflags', flags);
  nullInaccessibleDataSegments(cpu, rpl);
  cpu.refreshMode();
}

/** Real-address mode IRET (SDM Vol. 2A IRET "REAL-ADDRESS-MODE"). */
function iretReal(cpu: Cpu, opSize: OperandSize): void {
  const s = cpu.state;
  const stack = StackAccess.current(cpu);
  const eip = stack.pop(opSize);
  const sel = stack.pop(opSize) & 0xffff;
  const popped = stack.pop(opSize);
  if (eip > s.getU32('segLimit', Seg.CS)) throw fault(Vector.GP, 0);
  const old = s.getLo('rflags');
  const flags = opSize === 4 ? (popped & REAL_IRET_POPPED) | (old & REAL_IRET_KEPT) : (old & 0xffff0000) | (popped & 0xffff);
  stack.commit();
  loadReal(cpu, Seg.CS, sel);
  s.setLo('rip', eip);
  s.setLo('rflags', sanitizeEflags(flags));
  cpu.refreshMode();
}

/** IRET in virtual-8086 mode: only with IOPL = 3, and VM, IOPL, VIP, VIF stay (SDM Vol. 3A 20.2.7). */
function iretFromVm86(cpu: Cpu, opSize: OperandSize): void {
  const s = cpu.state;
  const old = s.getLo('rflags');
  if (iopl(old) < 3) {
    if (s.getLo('cr4') & Cr4.VME) throw new InternalError('virtual-8086 mode extensions (CR4.VME) are not implemented');
    throw fault(Vector.GP, 0);
  }
  const stack = StackAccess.current(cpu);
  const eip = stack.pop(opSize);
  const sel = stack.pop(opSize) & 0xffff;
  const popped = stack.pop(opSize);
  if (eip > s.getU32('segLimit', Seg.CS)) throw fault(Vector.GP, 0);
  const kept = opSize === 4 ? Flag.VM | Flag.IOPL | Flag.VIP | Flag.VIF : 0xffff0000 | Flag.IOPL;
  const flags = (old & kept) | (popped & ~kept);
  stack.commit();
  loadVm86(cpu, Seg.CS, sel);
  s.setLo('rip', eip);
  s.setLo('rflags', sanitizeEflags(flags));
  cpu.refreshMode();
}

/** IRETD at CPL 0 with VM = 1 in the popped EFLAGS (SDM Vol. 2A IRET "RETURN-TO-VIRTUAL-8086-MODE"). */
function iretToVm86(cpu: Cpu, stack: StackAccess, eip: number, csSel: number, popped: number): void {
  const s = cpu.state;
  const esp = stack.pop(4);
  const segs = [Seg.SS, Seg.ES, Seg.DS, Seg.FS, Seg.GS].map((seg) => [seg, stack.pop(4) & 0xffff] as const);
  s.setLo('rflags', sanitizeEflags(popped));
  loadVm86(cpu, Seg.CS, csSel);
  for (const [seg, sel] of segs) loadVm86(cpu, seg, sel);
  s.setLo('gpr', esp, Reg.RSP);
  s.setLo('rip', eip & 0xffff);
  s.setU32('cpl', 3);
  cpu.refreshMode();
}
