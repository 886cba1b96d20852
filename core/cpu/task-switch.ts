// Hardware task switching (SDM Vol. 3A 7.3) through JMP, CALL, IRET with NT = 1, and
// interrupts or exceptions through task gates; 32-bit (Figure 7-2) and 16-bit (Figure 7-11)
// TSS formats. Also the ring stacks that the current TSS provides to inner-privilege
// transfers (SDM Vol. 3A 5.8.5, 6.12.1).
import type { Cpu } from './cpu.ts';
import { GuestFault } from './faults.ts';
import { SystemType, descriptorAddress, type SegmentDescriptor } from './descriptor.ts';
import { Cr0, Flag, Seg, SegAttr, Vector } from './registers.ts';
import {
  StackAccess, fault, fetchDescriptor, isCode, isConformingCode, isNullSelector, isReadable, isWritableData,
  loadFromDescriptor, loadNull, loadVm86, selectorError, setAccessed,
} from './segments.ts';

export type TaskSwitchSource = 'jmp' | 'call' | 'iret' | 'int';

/**
 * A fault raised after a task switch committed: it is delivered in the context of the new
 * task, whose RIP is already in the state (SDM Vol. 3A 7.3 step 13, Table 7-1).
 */
export class TaskContextFault extends GuestFault {
  constructor(vector: number, errorCode: number | undefined, cr2?: number) {
    super(vector, errorCode, -1, cr2);
    // RIP is already the new task's: no handler on the way out may attribute this fault to
    // an instruction of the old block, so `delta` stays -1 whatever is assigned to it.
    Object.defineProperty(this, 'delta', { get: () => -1, set: () => undefined });
  }
}

/** EFLAGS bits that exist; the others read as 0 except bit 1, which reads as 1 (SDM Vol. 1 3.4.3). */
export const EFLAGS_DEFINED = 0x3f7fd5;
export const sanitizeEflags = (v: number): number => ((v & EFLAGS_DEFINED) | Flag.FIXED1) >>> 0;

/** Smallest limits of a 32-bit and a 16-bit TSS (SDM Vol. 3A 7.2.2). */
const TSS32_MIN_LIMIT = 0x67;
const TSS16_MIN_LIMIT = 0x2b;
/** Type bit 1 marks a TSS busy (SDM Vol. 3A Table 3-2). */
const TSS_BUSY = 2;
/** DR6.BT: the debug trap was a task switch to a TSS with T = 1 (SDM Vol. 3B 18.2.3). */
const DR6_BT = 1 << 15;
/** DR7 L0-L3: local breakpoint enables, cleared on every task switch (SDM Vol. 3B 18.2.4). */
const DR7_LOCAL_ENABLES = 0x55;

/** 32-bit TSS field offsets (SDM Vol. 3A Figure 7-2). */
const enum Tss32 {
  LINK = 0x00, CR3 = 0x1c, EIP = 0x20, EFLAGS = 0x24, EAX = 0x28, ES = 0x48, LDT = 0x60, TRAP = 0x64,
}
/** 16-bit TSS field offsets (SDM Vol. 3A Figure 7-11). */
const enum Tss16 {
  LINK = 0x00, IP = 0x0e, FLAGS = 0x10, AX = 0x12, ES = 0x22, LDT = 0x2a,
}

export const isTss32Type = (type: number): boolean => (type & 8) !== 0;
const isAvailableTss = (d: SegmentDescriptor): boolean =>
  d.system && (d.type === SystemType.TSS16_AVAILABLE || d.type === SystemType.TSS32_AVAILABLE);
export const isBusyTss = (d: SegmentDescriptor): boolean =>
  d.system && (d.type === SystemType.TSS16_BUSY || d.type === SystemType.TSS32_BUSY);

/**
 * The TSS a task gate names, with the checks JMP, CALL and event delivery make before
 * switching (SDM Vol. 2A JMP/CALL "TASK-GATE", INT n "TASK-GATE"): in the GDT, an available
 * TSS, present.
 */
export function taskGateTss(cpu: Cpu, tssSel: number, ext = 0): SegmentDescriptor {
  const code = selectorError(tssSel, ext);
  if (tssSel & 4) throw fault(Vector.GP, code);
  const d = fetchDescriptor(cpu, tssSel, Vector.GP, ext);
  if (!isAvailableTss(d)) throw fault(Vector.GP, code);
  if (!d.present) throw fault(Vector.NP, code);
  return d;
}

/** The TSS named by the back link of the current one, for IRET with NT = 1 (SDM Vol. 2A IRET "TASK-RETURN"). */
export function backLinkTss(cpu: Cpu): { sel: number; desc: SegmentDescriptor } {
  const s = cpu.state;
  const sel = cpu.readSystem(s.getNum('segBase', Seg.TR), 2);
  const code = selectorError(sel);
  if (sel & 4) throw fault(Vector.TS, code);
  const d = fetchDescriptor(cpu, sel, Vector.TS);
  if (!isBusyTss(d)) throw fault(Vector.TS, code);
  if (!d.present) throw fault(Vector.NP, code);
  return { sel, desc: d };
}

export interface InnerStack {
  sel: number;
  desc: SegmentDescriptor;
  esp: number;
}

/**
 * SS:ESP for privilege level `dpl` from the current TSS, checked as an inner-privilege
 * interrupt or call-gate CALL checks it (SDM Vol. 2A INT n "INTER-PRIVILEGE-LEVEL-INTERRUPT",
 * CALL "MORE-PRIVILEGE").
 */
export function innerStack(cpu: Cpu, dpl: number, ext = 0): InnerStack {
  const s = cpu.state;
  const base = s.getNum('segBase', Seg.TR);
  const limit = s.getU32('segLimit', Seg.TR);
  const trError = selectorError(s.getU32('segSel', Seg.TR), ext);
  let esp: number;
  let sel: number;
  if (isTss32Type(s.getU32('segAttr', Seg.TR) & SegAttr.TYPE_MASK)) {
    const at = dpl * 8 + 4;
    if (at + 5 > limit) throw fault(Vector.TS, trError);
    esp = cpu.readSystem(base + at, 4);
    sel = cpu.readSystem(base + at + 4, 2);
  } else {
    const at = dpl * 4 + 2;
    if (at + 3 > limit) throw fault(Vector.TS, trError);
    esp = cpu.readSystem(base + at, 2);
    sel = cpu.readSystem(base + at + 2, 2);
  }
  const code = selectorError(sel, ext);
  if (isNullSelector(sel)) throw fault(Vector.TS, ext);
  const d = fetchDescriptor(cpu, sel, Vector.TS, ext);
  if ((sel & 3) !== dpl || d.dpl !== dpl || !isWritableData(d)) throw fault(Vector.TS, code);
  if (!d.present) throw fault(Vector.SS, code);
  return { sel, desc: d, esp };
}

/** Register state read from a TSS. */
interface TaskImage {
  cr3: number | undefined;
  eip: number;
  eflags: number;
  regs: number[];
  /** ES CS SS DS FS GS selectors. */
  segs: number[];
  ldt: number;
  trap: boolean;
}

function readTaskImage(cpu: Cpu, d: SegmentDescriptor): TaskImage {
  const rd = (off: number, size: 2 | 4): number => cpu.readSystem((d.base + off) % 0x1_0000_0000, size);
  const regs: number[] = [];
  const segs: number[] = [];
  if (isTss32Type(d.type)) {
    for (let r = 0; r < 8; r++) regs.push(rd(Tss32.EAX + r * 4, 4));
    for (let i = 0; i < 6; i++) segs.push(rd(Tss32.ES + i * 4, 2));
    return {
      cr3: rd(Tss32.CR3, 4), eip: rd(Tss32.EIP, 4), eflags: rd(Tss32.EFLAGS, 4), regs, segs,
      ldt: rd(Tss32.LDT, 2), trap: (rd(Tss32.TRAP, 2) & 1) !== 0,
    };
  }
  for (let r = 0; r < 8; r++) regs.push(rd(Tss16.AX + r * 2, 2));
  for (let i = 0; i < 4; i++) segs.push(rd(Tss16.ES + i * 2, 2));
  // A 16-bit TSS has no FS, GS, CR3 or T flag: FS and GS get null selectors.
  segs.push(0, 0);
  return { cr3: undefined, eip: rd(Tss16.IP, 2), eflags: rd(Tss16.FLAGS, 2), regs, segs, ldt: rd(Tss16.LDT, 2), trap: false };
}

/** Saves the outgoing task's dynamic state into the current TSS (SDM Vol. 3A 7.3 step 8). */
function saveTaskImage(cpu: Cpu, eip: number, eflags: number): void {
  const s = cpu.state;
  const base = s.getNum('segBase', Seg.TR);
  const wr = (off: number, size: 2 | 4, v: number): void => cpu.writeSystem((base + off) % 0x1_0000_0000, size, v);
  if (isTss32Type(s.getU32('segAttr', Seg.TR) & SegAttr.TYPE_MASK)) {
    wr(Tss32.EIP, 4, eip);
    wr(Tss32.EFLAGS, 4, eflags);
    for (let r = 0; r < 8; r++) wr(Tss32.EAX + r * 4, 4, s.getLo('gpr', r));
    for (let i = 0; i < 6; i++) wr(Tss32.ES + i * 4, 2, s.getU32('segSel', i));
  } else {
    wr(Tss16.IP, 2, eip & 0xffff);
    wr(Tss16.FLAGS, 2, eflags & 0xffff);
    for (let r = 0; r < 8; r++) wr(Tss16.AX + r * 2, 2, s.getLo('gpr', r) & 0xffff);
    for (let i = 0; i < 4; i++) wr(Tss16.ES + i * 2, 2, s.getU32('segSel', i));
  }
}

/** Sets or clears the busy bit of the TSS descriptor for `sel` in the GDT. */
function setBusy(cpu: Cpu, sel: number, busy: boolean): void {
  const at = descriptorAddress(cpu, sel & ~4);
  if (at === undefined) return;
  const access = cpu.readSystem(at + 5, 1);
  cpu.writeSystem(at + 5, 1, busy ? access | TSS_BUSY : access & ~TSS_BUSY);
}

/**
 * Switches to the task whose TSS descriptor `d` the selector `sel` names (SDM Vol. 3A 7.3).
 * The caller has made the privilege and availability checks of its instruction. `returnEip`
 * is saved as the outgoing task's EIP. For an event through a task gate, `errorCode` is
 * pushed on the new task's stack. Faults up to the commit point leave the old task intact;
 * later ones are TaskContextFaults, delivered in the new task.
 */
export function switchTask(
  cpu: Cpu, sel: number, d: SegmentDescriptor, source: TaskSwitchSource, returnEip: number, ext = 0, errorCode?: number,
): void {
  const s = cpu.state;
  const code = selectorError(sel, ext);
  // TSS descriptors live only in the GDT (SDM Vol. 3A 7.2.2).
  if (sel & 4) throw fault(Vector.TS, code);
  if (!d.present) throw fault(Vector.NP, code);
  const to32 = isTss32Type(d.type);
  if (d.limit < (to32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT)) throw fault(Vector.TS, code);
  const img = readTaskImage(cpu, d);

  // Steps 6-10: save the old task, link the new one, update the busy bits.
  const oldSel = s.getU32('segSel', Seg.TR);
  let oldEflags = s.getLo('rflags');
  if (source === 'iret') oldEflags &= ~Flag.NT;
  saveTaskImage(cpu, returnEip, oldEflags);
  let eflags = to32 ? img.eflags : img.eflags & 0xffff;
  if (source === 'call' || source === 'int') {
    cpu.writeSystem(d.base, 2, oldSel);
    eflags |= Flag.NT;
  }
  if ((source === 'jmp' || source === 'iret') && !isNullSelector(oldSel)) setBusy(cpu, oldSel, false);
  if (source !== 'iret') setBusy(cpu, sel, true);

  // Step 11 (commit): TR, CR0.TS; step 12: the new task's registers.
  cpu.setSegment(Seg.TR, sel, d.base, d.limit, d.attr | TSS_BUSY);
  s.setLo('cr0', s.getLo('cr0') | Cr0.TS);
  if (img.cr3 !== undefined) {
    s.setLo('cr3', img.cr3);
    cpu.mmu.flush();
  }
  s.setLo('rip', img.eip);
  eflags = sanitizeEflags(eflags);
  s.setLo('rflags', eflags);
  for (let r = 0; r < 8; r++) {
    // A 16-bit TSS loads the low words only.
    const v = to32 ? img.regs[r] : (s.getLo('gpr', r) & 0xffff0000) | img.regs[r];
    s.setLo('gpr', v >>> 0, r);
  }
  const vm86 = (eflags & Flag.VM) !== 0;
  const cpl = vm86 ? 3 : img.segs[Seg.CS] & 3;
  s.setU32('cpl', cpl);
  // Selectors first, so a fault while qualifying them shows the new task's values.
  for (let seg = Seg.ES; seg <= Seg.GS; seg++) {
    if (vm86) loadVm86(cpu, seg, img.segs[seg]);
    else cpu.setSegment(seg, img.segs[seg], 0, 0, SegAttr.UNUSABLE);
  }
  cpu.setSegment(Seg.LDTR, img.ldt, 0, 0, SegAttr.UNUSABLE);
  s.setLo('dr', s.getLo('dr', 7) & ~DR7_LOCAL_ENABLES, 7);

  // Step 13: qualify the descriptors; errors now belong to the new task.
  try {
    loadTaskLdt(cpu, img.ldt, ext);
    if (!vm86) {
      loadTaskSegment(cpu, Seg.CS, img.segs[Seg.CS], cpl, ext);
      loadTaskSegment(cpu, Seg.SS, img.segs[Seg.SS], cpl, ext);
      for (const seg of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) loadTaskSegment(cpu, seg, img.segs[seg], cpl, ext);
    }
    cpu.refreshMode();
    if (errorCode !== undefined) {
      const stack = StackAccess.current(cpu, ext);
      stack.push(to32 ? 4 : 2, errorCode);
      stack.commit();
    }
    if (img.eip > s.getU32('segLimit', Seg.CS)) throw fault(Vector.GP, ext);
  } catch (e) {
    cpu.refreshMode();
    if (e instanceof GuestFault) throw new TaskContextFault(e.vector, e.errorCode, e.cr2);
    throw e;
  }
  // The T flag asks for a debug trap before the new task's first instruction (SDM Vol. 3A 7.2.1).
  if (img.trap) {
    s.setLo('dr', s.getLo('dr', 6) | DR6_BT, 6);
    throw new TaskContextFault(Vector.DB, undefined);
  }
}

/** LDTR from the new TSS (SDM Vol. 3A Table 7-1: #TS for a bad or absent LDT). */
function loadTaskLdt(cpu: Cpu, sel: number, ext: number): void {
  if (isNullSelector(sel)) return;
  const code = selectorError(sel, ext);
  if (sel & 4) throw fault(Vector.TS, code);
  const d = fetchDescriptor(cpu, sel, Vector.TS, ext);
  if (!d.system || d.type !== SystemType.LDT || !d.present) throw fault(Vector.TS, code);
  cpu.setSegment(Seg.LDTR, sel, d.base, d.limit, d.attr);
}

/** A segment register from the new TSS, with the checks of SDM Vol. 3A Table 7-1. */
function loadTaskSegment(cpu: Cpu, seg: Seg, sel: number, cpl: number, ext: number): void {
  const code = selectorError(sel, ext);
  if (isNullSelector(sel)) {
    if (seg === Seg.CS || seg === Seg.SS) throw fault(Vector.TS, code);
    return loadNull(cpu, seg, sel);
  }
  const d = fetchDescriptor(cpu, sel, Vector.TS, ext);
  const rpl = sel & 3;
  if (seg === Seg.CS) {
    if (!isCode(d) || (isConformingCode(d) ? d.dpl > rpl : d.dpl !== rpl)) throw fault(Vector.TS, code);
    if (!d.present) throw fault(Vector.NP, code);
  } else if (seg === Seg.SS) {
    if (!isWritableData(d) || d.dpl !== cpl || rpl !== cpl) throw fault(Vector.TS, code);
    if (!d.present) throw fault(Vector.SS, code);
  } else {
    if (!isReadable(d) || (!isConformingCode(d) && (d.dpl < cpl || d.dpl < rpl))) throw fault(Vector.TS, code);
    if (!d.present) throw fault(Vector.NP, code);
  }
  setAccessed(cpu, sel, d);
  loadFromDescriptor(cpu, seg, sel, d);
}
