// Far control transfers: JMP far, CALL far (to code segments, through call gates with the
// stack switch and parameter copy, through task gates or to TSSs), RETF and IRET (SDM Vol. 2A
// CALL, JMP, IRET; Vol. 2B RET; Vol. 3A 5.8, 6.12, 7.3, 20.1, 20.3), and their IA-32e mode
// forms: 64-bit call gates, RETF and IRETQ to 64-bit or compatibility mode (Vol. 3A 5.8.3.1,
// 6.14) with the canonical checks on their targets.
//
// Each function runs on the cold path with RIP in the state unchanged; it makes every check
// and memory access first and then commits CS, EIP, the stack and EFLAGS, so a fault leaves
// the instruction without effect (task switches excepted, see task-switch.ts).
//
// 64-bit quantities (RIP, RSP, gate offsets) are BigInts here: they exceed 2^53 in the upper
// canonical half. Offsets and return addresses arrive as BigInts in every mode.
import type { Cpu } from './cpu.ts';
import { InternalError } from './faults.ts';
import { SystemType, decodeGate, descriptorAddress, type SegmentDescriptor } from './descriptor.ts';
import { decodeMode } from './mode.ts';
import { isCanonical, isCanonicalNumber, linearFromHalves } from './paging/canonical.ts';
import { Cr0, Cr4, Efer, Flag, Reg, STATUS_FLAGS, Seg, SegAttr, Vector } from './registers.ts';
import {
  StackAccess, fault, fetchDescriptor, inProtectedMode, iopl, isCode, isConformingCode, isNullSelector, isWritableData,
  loadFromDescriptor, loadNull, loadReal, loadVm86, nullInaccessibleDataSegments, selectorError, setAccessed,
} from './segments.ts';
import { backLinkTss, innerStack, sanitizeEflags, switchTask, taskGateTss } from './task-switch.ts';

export type OperandSize = 2 | 4 | 8;
type LegacySize = 2 | 4;

/** EFLAGS bits a 32-bit IRET in real mode takes from the stack, and those it keeps (SDM Vol. 2A IRET). */
const REAL_IRET_POPPED = 0x257fd5;
const REAL_IRET_KEPT = 0x1a0000;

/** IA-32e mode: EFER.LMA, in 64-bit or compatibility mode (SDM Vol. 3A 2.2.1). */
const ia32e = (cpu: Cpu): boolean => (cpu.state.getLo('efer') & Efer.LMA) !== 0;

/** Operand sizes 2 and 4 exist outside 64-bit mode; 8 (REX.W) only in it. */
function legacySize(opSize: OperandSize): LegacySize {
  if (opSize === 8) throw new InternalError('a 64-bit operand size outside 64-bit mode');
  return opSize;
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
 * (conforming DPL <= CPL or DPL = CPL), CALL any level DPL <= CPL. A 64-bit call gate
 * (`long`) must lead to 64-bit code (SDM Vol. 2A CALL, JMP: "not a 64-bit code segment").
 */
function gateTarget(cpu: Cpu, csSel: number, cpl: number, jump: boolean, long = false): SegmentDescriptor {
  if (isNullSelector(csSel)) throw fault(Vector.GP, 0);
  const d = fetchDescriptor(cpu, csSel);
  const code = selectorError(csSel);
  if (!isCode(d)) throw fault(Vector.GP, code);
  const allowed = jump ? (isConformingCode(d) ? d.dpl <= cpl : d.dpl === cpl) : d.dpl <= cpl;
  if (!allowed || (long && !is64BitCode(d))) throw fault(Vector.GP, code);
  if (!d.present) throw fault(Vector.NP, code);
  return d;
}

/** Gate and TSS descriptors need DPL >= max(CPL, RPL) (SDM Vol. 3A 5.8.4, 7.3). */
function checkGateAccess(sel: number, d: SegmentDescriptor, cpl: number): void {
  const code = selectorError(sel);
  if (d.dpl < cpl || d.dpl < (sel & 3)) throw fault(Vector.GP, code);
  if (!d.present) throw fault(Vector.NP, code);
}

/** JMP ptr16:16/32 and JMP m16:16/32/64 (SDM Vol. 2A JMP). `next` is saved by a task switch. */
export function farJump(cpu: Cpu, sel: number, target: bigint, next: bigint): void {
  sel &= 0xffff;
  if (inProtectedMode(cpu) && ia32e(cpu)) return farJumpIa32e(cpu, sel, target);
  legacyFarJump(cpu, sel, Number(target), Number(next));
}

function legacyFarJump(cpu: Cpu, sel: number, offset: number, next: number): void {
  const s = cpu.state;
  if (!inProtectedMode(cpu)) {
    if (offset > s.getU32('segLimit', Seg.CS)) throw fault(Vector.GP, 0);
    loadRealCs(cpu, sel);
    s.setLo('rip', offset);
    return cpu.refreshMode();
  }
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
    case SystemType.TASK_GATE:
    case SystemType.TSS16_AVAILABLE:
    case SystemType.TSS32_AVAILABLE:
      return transferToTask(cpu, sel, d, cpl, 'jmp', next);
    default:
      // Data-less system descriptors, busy TSSs, LDTs and interrupt gates.
      throw fault(Vector.GP, selectorError(sel));
  }
}

/** JMP or CALL to a TSS or through a task gate: a task switch (SDM Vol. 3A 7.3). */
function transferToTask(cpu: Cpu, sel: number, d: SegmentDescriptor, cpl: number, kind: 'jmp' | 'call', next: number): void {
  checkGateAccess(sel, d, cpl);
  if (d.type !== SystemType.TASK_GATE) return switchTask(cpu, sel, d, kind, next);
  const tssSel = decodeGate(d.lo, d.hi).selector;
  return switchTask(cpu, tssSel, taskGateTss(cpu, tssSel), kind, next);
}

/** CALL ptr16:16/32 and CALL m16:16/32/64 (SDM Vol. 2A CALL). */
export function farCall(cpu: Cpu, sel: number, target: bigint, opSize: OperandSize, next: bigint): void {
  sel &= 0xffff;
  if (inProtectedMode(cpu) && ia32e(cpu)) return farCallIa32e(cpu, sel, target, opSize, next);
  legacyFarCall(cpu, sel, Number(target), legacySize(opSize), Number(next));
}

function legacyFarCall(cpu: Cpu, sel: number, offset: number, opSize: LegacySize, next: number): void {
  const s = cpu.state;
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
    case SystemType.TASK_GATE:
    case SystemType.TSS16_AVAILABLE:
    case SystemType.TSS32_AVAILABLE:
      return transferToTask(cpu, sel, d, cpl, 'call', next);
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

/**
 * The code segment a RETF or IRET returns to (SDM Vol. 2B RET "PROTECTED-MODE"); in IA-32e
 * mode (`long`) one with both L and D set is reserved (RET "IA-32E-MODE").
 */
function returnTarget(cpu: Cpu, sel: number, cpl: number, long = false): SegmentDescriptor {
  if (isNullSelector(sel)) throw fault(Vector.GP, 0);
  const d = fetchDescriptor(cpu, sel);
  const code = selectorError(sel);
  const rpl = sel & 3;
  if (!isCode(d) || rpl < cpl || (long && isReservedCode(d))) throw fault(Vector.GP, code);
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
  if (inProtectedMode(cpu) && ia32e(cpu)) return farReturnIa32e(cpu, opSize, release);
  legacyFarReturn(cpu, legacySize(opSize), release);
}

function legacyFarReturn(cpu: Cpu, opSize: LegacySize, release: number): void {
  const s = cpu.state;
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
  if (opSize !== 2) mask |= Flag.RF | Flag.AC | Flag.ID;
  if (cpl <= iopl(old)) mask |= Flag.IF;
  if (cpl === 0) mask |= Flag.IOPL | (opSize !== 2 ? Flag.VIF | Flag.VIP : 0);
  return sanitizeEflags((old & ~mask) | (popped & mask));
}

/** IRET / IRETD / IRETQ (SDM Vol. 2A IRET). `next` is saved in the TSS by a task return. */
export function interruptReturn(cpu: Cpu, opSize: OperandSize, next: bigint): void {
  const s = cpu.state;
  if (!(s.getLo('cr0') & Cr0.PE)) return iretReal(cpu, legacySize(opSize));
  if (ia32e(cpu)) return iretIa32e(cpu, opSize);
  if (s.getLo('rflags') & Flag.VM) return iretFromVm86(cpu, legacySize(opSize));
  legacyIret(cpu, legacySize(opSize), Number(next));
}

function legacyIret(cpu: Cpu, opSize: LegacySize, next: number): void {
  const s = cpu.state;
  const eflags = s.getLo('rflags');
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
function iretReal(cpu: Cpu, opSize: LegacySize): void {
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
function iretFromVm86(cpu: Cpu, opSize: LegacySize): void {
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

// ---- IA-32e mode ----------------------------------------------------------------------------
//
// 64-bit addresses (RSP, RIP, stack addresses) are numbers in the signed form of
// paging/canonical.ts: exact for every canonical address, still non-canonical for any other.
// Values stored whole (a pushed RSP or RIP, a popped RSP) travel as exact 32-bit halves.

/** Offsets in the 64-bit TSS (SDM Vol. 3A 8.7, Figure 8-11): RSP0-RSP2 from 4, IST1-IST7 from 36. */
export const TSS64_RSP0 = 4;
export const TSS64_IST1 = 36;

/**
 * Whether a 64-bit address is canonical for the current paging mode: 48-bit linear
 * addresses, 57-bit with CR4.LA57 (SDM Vol. 1 3.3.7.1).
 */
export function isCanonicalHere(cpu: Cpu, v: bigint): boolean {
  return isCanonical(v, linearBits(cpu));
}

/** isCanonicalHere for an address in signed form. */
export function canonicalHere(cpu: Cpu, lin: number): boolean {
  return isCanonicalNumber(lin, linearBits(cpu));
}

const linearBits = (cpu: Cpu): 48 | 57 => (cpu.state.getLo('cr4') & Cr4.LA57 ? 57 : 48);

/**
 * A 64-bit linear address as the cold path's accessors (Cpu.read, readLinear...) take it:
 * the signed form of paging/canonical.ts, exact for every canonical address.
 */
export function linearNumber(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

const L_AND_D = SegAttr.L | SegAttr.DB;
/** Code for 64-bit mode: L = 1, D = 0 (SDM Vol. 3A 5.2.1). */
export const is64BitCode = (d: SegmentDescriptor): boolean => isCode(d) && (d.attr & L_AND_D) === SegAttr.L;
/** L = 1 with D = 1 is reserved in IA-32e mode: #GP(selector) (SDM Vol. 2A JMP, CALL; Vol. 2B RET). */
const isReservedCode = (d: SegmentDescriptor): boolean => (d.attr & L_AND_D) === L_AND_D;

/** The low and high 32-bit halves of a 64-bit value given as a BigInt. */
const low32 = (v: bigint): number => Number(v & 0xffffffffn);
const high32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

/** A value pushed on a stack that write() stores later. */
interface PendingPush {
  lin: number;
  size: OperandSize;
  lo: number;
  hi: number;
}

/** The current stack in IA-32e mode: RSP in 64-bit mode, SS:ESP with its limit in compatibility mode. */
interface ModeStack {
  /** Pushes the low `size` bytes of the value with halves `lo`, `hi`. */
  push(size: OperandSize, lo: number, hi: number): void;
  /** Pops `size` bytes; returns bits 31:0 of the value (popHi holds bits 63:32). */
  pop(size: OperandSize): number;
  /** Bits 63:32 of the value the last pop() read (0 unless it was 8 bytes). */
  readonly popHi: number;
  skip(bytes: number): void;
  commit(): void;
}

/**
 * The stack of 64-bit mode and the new stack of a transfer into 64-bit code: addressed by the
 * full RSP with no base or limit, every access canonical or #SS(faultCode) (SDM Vol. 3A
 * 6.14.2, 6.14.3). As StackAccess: pushes are written by write(), pops read at once, and RSP
 * changes only at commit().
 */
export class LongStack implements ModeStack {
  private readonly pending: PendingPush[] = [];
  private readonly bits: 48 | 57;
  popHi = 0;

  constructor(
    private readonly cpu: Cpu,
    /** RSP in signed form. */
    public rsp: number,
    /** Accesses are made at CPL 3 (paging's user/supervisor check). */
    private readonly user: boolean,
    private readonly faultCode: number,
  ) {
    this.bits = linearBits(cpu);
  }

  static current(cpu: Cpu, faultCode = 0): LongStack {
    const s = cpu.state;
    return new LongStack(cpu, s.getLinear('gpr', Reg.RSP), s.getU32('cpl') === 3, faultCode);
  }

  private check(lin: number, size: number): void {
    if (!isCanonicalNumber(lin, this.bits) || !isCanonicalNumber(lin + size - 1, this.bits)) throw fault(Vector.SS, this.faultCode);
  }

  push(size: OperandSize, lo: number, hi: number): void {
    this.rsp -= size;
    this.check(this.rsp, size);
    this.pending.push({ lin: this.rsp, size, lo: size === 2 ? lo & 0xffff : lo >>> 0, hi: size === 8 ? hi >>> 0 : 0 });
  }

  /** Writes the pushed values to memory (each write may #PF). */
  write(): void {
    for (const w of this.pending) this.cpu.writeLinear(w.lin, w.size, w.lo, w.hi, this.user);
    this.pending.length = 0;
  }

  pop(size: OperandSize): number {
    this.check(this.rsp, size);
    const [lo, hi] = this.cpu.readLinear(this.rsp, size, this.user);
    this.rsp += size;
    this.popHi = hi >>> 0;
    return lo >>> 0;
  }

  skip(bytes: number): void {
    this.rsp += bytes;
  }

  /** Writes pending pushes, then RSP. */
  commit(): void {
    this.write();
    this.cpu.state.setLinear('gpr', this.rsp, Reg.RSP);
  }
}

/** The stack of compatibility mode: StackAccess behind the ModeStack interface. */
class CompatStack implements ModeStack {
  readonly popHi = 0;
  private readonly legacy: StackAccess;

  constructor(cpu: Cpu) {
    this.legacy = StackAccess.current(cpu);
  }

  push(size: OperandSize, lo: number): void {
    this.legacy.push(legacySize(size), lo);
  }

  pop(size: OperandSize): number {
    return this.legacy.pop(legacySize(size));
  }

  skip(bytes: number): void {
    this.legacy.skip(bytes);
  }

  commit(): void {
    this.legacy.commit();
  }
}

function modeStack(cpu: Cpu): ModeStack {
  return in64BitMode(cpu) ? LongStack.current(cpu) : new CompatStack(cpu);
}

const in64BitMode = (cpu: Cpu): boolean => decodeMode(cpu.state.getU32('mode')).codeSize === 8;

/** Pops an address-sized value (a RIP or RSP image) in signed form: exact when canonical or below 2^53. */
function popAddress(stack: ModeStack, size: OperandSize): number {
  const lo = stack.pop(size);
  return size === 8 ? linearFromHalves(lo, stack.popHi) : lo;
}

/**
 * An RSPn or ISTn field of the 64-bit TSS at `offset`, in signed form: #TS(TR selector, EXT)
 * when it lies beyond TR's limit (SDM Vol. 2A INT n and CALL, "TSSstackAddress + 7 > current
 * TSS limit").
 */
export function tssStackPointer(cpu: Cpu, offset: number, ext = 0): number {
  const s = cpu.state;
  if (offset + 7 > s.getU32('segLimit', Seg.TR)) throw fault(Vector.TS, selectorError(s.getU32('segSel', Seg.TR), ext));
  const [lo, hi] = cpu.readLinear(s.getLinear('segBase', Seg.TR) + offset, 8, false, true);
  return linearFromHalves(lo, hi);
}

/**
 * Where a transfer in IA-32e mode lands (`rip` in signed form): a canonical RIP in 64-bit
 * code, an EIP within the limit in compatibility mode; #GP(0) otherwise (SDM Vol. 2A JMP,
 * CALL, IRET; Vol. 2B RET). A negative `rip` has bit 63 set: above any limit.
 */
function checkTargetIp(cpu: Cpu, cs: SegmentDescriptor, rip: number): void {
  if (is64BitCode(cs) ? !canonicalHere(cpu, rip) : rip < 0 || rip > cs.limit) throw fault(Vector.GP, 0);
}

/** Loads CS with RPL = `cpl`, sets CPL and RIP (checked by checkTargetIp, so exact in signed form). */
function commitCodeIa32e(cpu: Cpu, sel: number, d: SegmentDescriptor, cpl: number, rip: number): void {
  loadFromDescriptor(cpu, Seg.CS, (sel & 0xfffc) | cpl, d);
  cpu.state.setU32('cpl', cpl);
  cpu.state.setLinear('rip', rip);
}

/**
 * The 64-bit call gate (SDM Vol. 3A 5.8.3.1, Figure 5-9), the one gate far JMP and CALL take
 * in IA-32e mode: 16 bytes, offset 63:32 in the third dword, and the type field of the upper
 * half must be 0. Task gates, TSSs and 16-bit call gates are #GP(selector) (Vol. 2A JMP).
 */
function callGate64(cpu: Cpu, sel: number, d: SegmentDescriptor, cpl: number): { selector: number; offset: number } {
  const code = selectorError(sel);
  if (d.type !== SystemType.CALL_GATE32) throw fault(Vector.GP, code);
  checkGateAccess(sel, d, cpl);
  // The upper half is the next descriptor slot of the same table; it must lie within the limit.
  const upper = (sel & 0xfff8) === 0xfff8 ? undefined : descriptorAddress(cpu, sel + 8);
  if (upper === undefined) throw fault(Vector.GP, code);
  const offsetHigh = cpu.readSystem(upper, 4);
  if ((cpu.readSystem(upper + 4, 4) >>> 8) & 0x1f) throw fault(Vector.GP, code);
  const gate = decodeGate(d.lo, d.hi);
  return { selector: gate.selector, offset: linearFromHalves(gate.offset, offsetHigh) };
}

/** A code segment reached directly by JMP or CALL in IA-32e mode: also #GP(selector) when L and D are both set. */
function checkDirectCodeIa32e(sel: number, d: SegmentDescriptor, cpl: number): void {
  if (isCode(d) && isReservedCode(d)) throw fault(Vector.GP, selectorError(sel));
  checkDirectCode(sel, d, cpl);
}

/** JMP far in IA-32e mode (SDM Vol. 2A JMP): to a code segment or through a 64-bit call gate. */
function farJumpIa32e(cpu: Cpu, sel: number, target: bigint): void {
  const cpl = cpu.state.getU32('cpl');
  if (isNullSelector(sel)) throw fault(Vector.GP, 0);
  const d = fetchDescriptor(cpu, sel);
  if (!d.system) {
    checkDirectCodeIa32e(sel, d, cpl);
    const rip = linearNumber(target);
    checkTargetIp(cpu, d, rip);
    setAccessed(cpu, sel, d);
    commitCodeIa32e(cpu, sel, d, cpl, rip);
    return cpu.refreshMode();
  }
  const gate = callGate64(cpu, sel, d, cpl);
  const cs = gateTarget(cpu, gate.selector, cpl, true, true);
  checkTargetIp(cpu, cs, gate.offset);
  setAccessed(cpu, gate.selector, cs);
  commitCodeIa32e(cpu, gate.selector, cs, cpl, gate.offset);
  cpu.refreshMode();
}

/**
 * CALL far in IA-32e mode (SDM Vol. 2A CALL). To a code segment: CS and the return address
 * pushed at the operand size on the current stack. Through a 64-bit call gate: 8-byte pushes
 * and no parameter copy, at RSP with no segment base or limit (the stack of the 64-bit code
 * it enters, even when called from compatibility mode); to a more privileged level on RSPn of
 * the 64-bit TSS with SS a null selector whose RPL is the new CPL, pushing the old SS and RSP
 * first (Vol. 3A 5.8.6).
 */
function farCallIa32e(cpu: Cpu, sel: number, target: bigint, opSize: OperandSize, next: bigint): void {
  const s = cpu.state;
  const cpl = s.getU32('cpl');
  if (isNullSelector(sel)) throw fault(Vector.GP, 0);
  const d = fetchDescriptor(cpu, sel);
  const returnCs = s.getU32('segSel', Seg.CS);
  if (!d.system) {
    checkDirectCodeIa32e(sel, d, cpl);
    const stack = modeStack(cpu);
    stack.push(opSize, returnCs, 0);
    stack.push(opSize, low32(next), high32(next));
    const rip = linearNumber(target);
    checkTargetIp(cpu, d, rip);
    setAccessed(cpu, sel, d);
    stack.commit();
    commitCodeIa32e(cpu, sel, d, cpl, rip);
    return cpu.refreshMode();
  }
  const gate = callGate64(cpu, sel, d, cpl);
  const cs = gateTarget(cpu, gate.selector, cpl, false, true);
  const inner = !isConformingCode(cs) && cs.dpl < cpl;
  const newCpl = inner ? cs.dpl : cpl;
  const stack = inner ? new LongStack(cpu, tssStackPointer(cpu, TSS64_RSP0 + 8 * newCpl), false, 0) : LongStack.current(cpu);
  if (inner) {
    stack.push(8, s.getU32('segSel', Seg.SS), 0);
    stack.push(8, s.getLo('gpr', Reg.RSP), s.getHi('gpr', Reg.RSP));
  }
  stack.push(8, returnCs, 0);
  stack.push(8, low32(next), high32(next));
  checkTargetIp(cpu, cs, gate.offset);
  setAccessed(cpu, gate.selector, cs);
  stack.write();
  if (inner) loadNull(cpu, Seg.SS, newCpl, newCpl);
  stack.commit();
  commitCodeIa32e(cpu, gate.selector, cs, newCpl, gate.offset);
  cpu.refreshMode();
}

/**
 * The SS a return in IA-32e mode loads; undefined for a null selector, which only a return to
 * 64-bit code at CPL 0-2 may load, with RPL = the new CPL (SDM Vol. 2A IRET, "IA-32e Mode
 * Exceptions"; Vol. 2B RET "IA-32E-MODE-RETURN-TO-OUTER-PRIVILEGE-LEVEL").
 */
function returnStackSegment(cpu: Cpu, ssSel: number, rpl: number, cs: SegmentDescriptor): SegmentDescriptor | undefined {
  if (!isNullSelector(ssSel)) return outerStackSegment(cpu, ssSel, rpl);
  if (!is64BitCode(cs) || rpl === 3 || (ssSel & 3) !== rpl) throw fault(Vector.GP, 0);
  return undefined;
}

/**
 * Loads SS and RSP (plus `release`) as RETF and IRET leave them in IA-32e mode; `rspLo`,
 * `rspHi` are the popped RSP image, loaded whole (it is not checked: SDM Vol. 2A IRET).
 */
function commitReturnStack(cpu: Cpu, ssSel: number, ss: SegmentDescriptor | undefined, cs: SegmentDescriptor, rspLo: number, rspHi: number, release: number): void {
  if (ss === undefined) loadNull(cpu, Seg.SS, ssSel, ssSel & 3);
  else if (!is64BitCode(cs)) return commitOuterStack(cpu, ssSel, ss, rspLo, release);
  else loadFromDescriptor(cpu, Seg.SS, ssSel, ss);
  const lo = rspLo + release;
  cpu.state.setHalves('gpr', lo, rspHi + (lo > 0xffffffff ? 1 : 0), Reg.RSP);
}

/**
 * RETF in IA-32e mode (SDM Vol. 2B RET "IA-32E-MODE"): pops at the operand size from RSP (or
 * SS:ESP in compatibility mode); the target is 64-bit code (canonical RIP) or compatibility
 * mode (EIP within the limit).
 */
function farReturnIa32e(cpu: Cpu, opSize: OperandSize, release: number): void {
  const cpl = cpu.state.getU32('cpl');
  const stack = modeStack(cpu);
  const rip = popAddress(stack, opSize);
  const sel = stack.pop(opSize) & 0xffff;
  const rpl = sel & 3;
  const cs = returnTarget(cpu, sel, cpl, true);
  if (rpl === cpl) {
    checkTargetIp(cpu, cs, rip);
    setAccessed(cpu, sel, cs);
    stack.skip(release);
    stack.commit();
    commitCodeIa32e(cpu, sel, cs, cpl, rip);
    return cpu.refreshMode();
  }
  stack.skip(release);
  const rspLo = stack.pop(opSize);
  const rspHi = stack.popHi;
  const ssSel = stack.pop(opSize) & 0xffff;
  const ss = returnStackSegment(cpu, ssSel, rpl, cs);
  checkTargetIp(cpu, cs, rip);
  setAccessed(cpu, sel, cs);
  if (ss) setAccessed(cpu, ssSel, ss);
  commitCodeIa32e(cpu, sel, cs, rpl, rip);
  commitReturnStack(cpu, ssSel, ss, cs, rspLo, rspHi, release);
  nullInaccessibleDataSegments(cpu, rpl);
  cpu.refreshMode();
}

/**
 * IRET / IRETD / IRETQ in IA-32e mode (SDM Vol. 2A IRET; Vol. 3A 6.14.3). There are no task
 * switches (NT = 1 is #GP(0)) and no virtual-8086 mode (the image's VM bit is ignored). In
 * 64-bit mode SS:RSP are popped at every privilege level; in compatibility mode only on a
 * return to an outer level, as in protected mode.
 */
function iretIa32e(cpu: Cpu, opSize: OperandSize): void {
  const s = cpu.state;
  const eflags = s.getLo('rflags');
  if (eflags & Flag.NT) throw fault(Vector.GP, 0);
  const cpl = s.getU32('cpl');
  const from64 = in64BitMode(cpu);
  const stack = modeStack(cpu);
  const rip = popAddress(stack, opSize);
  const sel = stack.pop(opSize) & 0xffff;
  const popped = stack.pop(opSize);
  const rpl = sel & 3;
  const cs = returnTarget(cpu, sel, cpl, true);
  const flags = iretFlags(eflags, popped, cpl, opSize);
  if (rpl === cpl && !from64) {
    checkTargetIp(cpu, cs, rip);
    setAccessed(cpu, sel, cs);
    stack.commit();
    commitCodeIa32e(cpu, sel, cs, cpl, rip);
    s.setLo('rflags', flags);
    return cpu.refreshMode();
  }
  const rspLo = stack.pop(opSize);
  const rspHi = stack.popHi;
  const ssSel = stack.pop(opSize) & 0xffff;
  const ss = returnStackSegment(cpu, ssSel, rpl, cs);
  checkTargetIp(cpu, cs, rip);
  setAccessed(cpu, sel, cs);
  if (ss) setAccessed(cpu, ssSel, ss);
  commitCodeIa32e(cpu, sel, cs, rpl, rip);
  commitReturnStack(cpu, ssSel, ss, cs, rspLo, rspHi, 0);
  s.setLo('rflags', flags);
  if (rpl > cpl) nullInaccessibleDataSegments(cpu, rpl);
  cpu.refreshMode();
}
