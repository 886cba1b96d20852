// Segment-register loads and the protection checks that guard them (SDM Vol. 3A 3.4, 5.4-5.8;
// Vol. 2 MOV, POP and LDS/LES/LFS/LGS/LSS "Operation"), plus the cold path's view of a stack
// segment: pushes and pops with the limit check, used by event delivery and far transfers.
import type { Cpu } from './cpu.ts';
import { GuestFault } from './faults.ts';
import { decodeSegmentDescriptor, markAccessed, readDescriptor, type SegmentDescriptor } from './descriptor.ts';
import { decodeMode } from './mode.ts';
import { Cr0, Flag, IOPL_SHIFT, Reg, Seg, SegAttr, Vector } from './registers.ts';

/** RPL bits of a selector (SDM Vol. 3A 3.4.2). */
export const RPL_MASK = 3;

/** True for the null selector (index 0 in the GDT, any RPL; SDM Vol. 3A 3.4.2). */
export const isNullSelector = (sel: number): boolean => (sel & 0xfffc) === 0;

/**
 * The error code that names a selector: its index and TI bit, with EXT in bit 0 when the
 * fault happened while delivering an external event (SDM Vol. 3A 6.13, Figure 6-7).
 */
export function selectorError(sel: number, ext = 0): number {
  return (sel & 0xfffc) | ext;
}

export function fault(vector: Vector, errorCode: number): GuestFault {
  return new GuestFault(vector, errorCode);
}

export const iopl = (eflags: number): number => (eflags & Flag.IOPL) >>> IOPL_SHIFT;

/** CR0.PE = 1 and EFLAGS.VM = 0. */
export function inProtectedMode(cpu: Cpu): boolean {
  const s = cpu.state;
  return (s.getLo('cr0') & Cr0.PE) !== 0 && (s.getLo('rflags') & Flag.VM) === 0;
}

export function inVm86(cpu: Cpu): boolean {
  const s = cpu.state;
  return (s.getLo('cr0') & Cr0.PE) !== 0 && (s.getLo('rflags') & Flag.VM) !== 0;
}

// Descriptor type predicates (SDM Vol. 3A 3.4.5.1, Table 3-1).
export const isCode = (d: SegmentDescriptor): boolean => !d.system && (d.type & SegAttr.CODE) !== 0;
export const isConformingCode = (d: SegmentDescriptor): boolean => isCode(d) && (d.type & SegAttr.DC) !== 0;
/** Data segments are always readable; code segments when R is set. */
export const isReadable = (d: SegmentDescriptor): boolean => !d.system && (!isCode(d) || (d.type & SegAttr.RW) !== 0);
export const isWritableData = (d: SegmentDescriptor): boolean => !d.system && !isCode(d) && (d.type & SegAttr.RW) !== 0;

/**
 * Reads and decodes the descriptor of a non-null selector; a selector beyond the GDT or LDT
 * limit raises `vector` with the selector's error code.
 */
export function fetchDescriptor(cpu: Cpu, sel: number, vector: Vector = Vector.GP, ext = 0): SegmentDescriptor {
  const raw = readDescriptor(cpu, sel);
  if (raw === undefined) throw fault(vector, selectorError(sel, ext));
  return decodeSegmentDescriptor(raw[0], raw[1]);
}

/** Sets the accessed bit of a code or data descriptor in memory (SDM Vol. 3A 3.4.5.1); may #PF. */
export function setAccessed(cpu: Cpu, sel: number, d: SegmentDescriptor): void {
  if (!d.system && !(d.type & SegAttr.ACCESSED)) markAccessed(cpu, sel);
}

/** Loads a segment register from a checked descriptor (the hidden part then shows the accessed bit). */
export function loadFromDescriptor(cpu: Cpu, seg: Seg, sel: number, d: SegmentDescriptor): void {
  cpu.setSegment(seg, sel, d.base, d.limit, d.attr | (d.system ? 0 : SegAttr.ACCESSED));
}

/** A null selector in DS, ES, FS or GS: the register is unusable until reloaded (SDM Vol. 3A 5.4.1). */
export function loadNull(cpu: Cpu, seg: Seg, sel: number, dpl = 0): void {
  cpu.setSegment(seg, sel & 0xffff, 0, 0, SegAttr.UNUSABLE | (dpl << SegAttr.DPL_SHIFT));
}

/** Attributes of every segment in virtual-8086 mode: 16-bit read/write data, present, DPL 3 (SDM Vol. 3A 20.2.1). */
export const VM86_SEGMENT_ATTR = SegAttr.P | SegAttr.S | (3 << SegAttr.DPL_SHIFT) | SegAttr.RW | SegAttr.ACCESSED;
/** Read/write data attributes a real-mode load gives a register that was unusable. */
export const REAL_DATA_ATTR = SegAttr.P | SegAttr.S | SegAttr.RW | SegAttr.ACCESSED;

/** Virtual-8086 mode: base = selector * 16, limit 0xffff (SDM Vol. 3A 20.1.1). */
export function loadVm86(cpu: Cpu, seg: Seg, sel: number): void {
  sel &= 0xffff;
  cpu.setSegment(seg, sel, sel * 16, 0xffff, VM86_SEGMENT_ATTR);
}

/**
 * Real-address mode: base = selector * 16; the limit and attributes in the hidden part stay
 * as they were (SDM Vol. 3A 20.1.1, which is what makes "unreal" mode work). A register left
 * unusable by a protected-mode null load becomes a 64-KiB read/write data segment.
 */
export function loadReal(cpu: Cpu, seg: Seg, sel: number): void {
  const s = cpu.state;
  sel &= 0xffff;
  const attr = s.getU32('segAttr', seg);
  if (attr & SegAttr.UNUSABLE) cpu.setSegment(seg, sel, sel * 16, 0xffff, REAL_DATA_ATTR);
  else cpu.setSegment(seg, sel, sel * 16, s.getU32('segLimit', seg), attr | SegAttr.P);
}

/**
 * Loads DS, ES, FS, GS or SS with `selector` as MOV Sreg, POP Sreg and LDS/LES/LFS/LGS/LSS do
 * (SDM Vol. 2B MOV "Operation"). Every check runs before the register changes; a failing one
 * throws #GP(selector), #NP(selector) or #SS(selector) and leaves the register as it was.
 */
export function loadDataSegment(cpu: Cpu, seg: Seg, selector: number): void {
  loadSelector(cpu, seg, selector);
  // SS.B is the stack size of the translation mode (core/cpu/mode.ts).
  if (seg === Seg.SS) cpu.refreshMode();
}

function loadSelector(cpu: Cpu, seg: Seg, selector: number): void {
  const s = cpu.state;
  selector &= 0xffff;
  if (!(s.getLo('cr0') & Cr0.PE)) return loadReal(cpu, seg, selector);
  if (s.getLo('rflags') & Flag.VM) return loadVm86(cpu, seg, selector);
  const cpl = s.getU32('cpl');
  const rpl = selector & RPL_MASK;
  if (isNullSelector(selector)) {
    if (seg !== Seg.SS) return loadNull(cpu, seg, selector);
    // 64-bit mode lets CPL 0-2 load a null SS whose RPL equals CPL (SDM Vol. 2B MOV, 64-bit mode).
    const long = decodeMode(s.getU32('mode')).codeSize === 8;
    if (long && cpl !== 3 && rpl === cpl) return loadNull(cpu, seg, selector, cpl);
    throw fault(Vector.GP, 0);
  }
  const d = fetchDescriptor(cpu, selector);
  const code = selectorError(selector);
  if (seg === Seg.SS) {
    if (rpl !== cpl || !isWritableData(d) || d.dpl !== cpl) throw fault(Vector.GP, code);
    if (!d.present) throw fault(Vector.SS, code);
  } else {
    if (!isReadable(d)) throw fault(Vector.GP, code);
    // Data and non-conforming code need DPL >= max(CPL, RPL) (SDM Vol. 3A 5.6).
    if (!isConformingCode(d) && (rpl > d.dpl || cpl > d.dpl)) throw fault(Vector.GP, code);
    if (!d.present) throw fault(Vector.NP, code);
  }
  setAccessed(cpu, selector, d);
  loadFromDescriptor(cpu, seg, selector, d);
}

/** The data segment registers a return to an outer level may null. */
const DATA_SEGMENTS: readonly Seg[] = [Seg.ES, Seg.DS, Seg.FS, Seg.GS];

/**
 * On a return to an outer level, data registers the new CPL may not use are nulled (SDM Vol.
 * 2B RET, IRET: "SegmentSelector <- 0"). Only the selector is cleared and the register made
 * unusable: the hidden base stays, so in 64-bit mode, where FS and GS bases apply whatever
 * the selector, GS-relative accesses keep working (kvm-unit-tests emulator64 test_iret).
 */
export function nullInaccessibleDataSegments(cpu: Cpu, cpl: number): void {
  const s = cpu.state;
  for (const seg of DATA_SEGMENTS) {
    const attr = s.getU32('segAttr', seg);
    if (attr & SegAttr.UNUSABLE) continue;
    const conforming = (attr & (SegAttr.CODE | SegAttr.DC)) === (SegAttr.CODE | SegAttr.DC);
    const dpl = (attr & SegAttr.DPL_MASK) >> SegAttr.DPL_SHIFT;
    if (conforming || dpl >= cpl) continue;
    const lo = s.getLo('segBase', seg);
    const hi = s.getHi('segBase', seg);
    loadNull(cpu, seg, 0);
    s.setHalves('segBase', lo, hi, seg);
  }
}

// ---- stacks -------------------------------------------------------------------------------

/** The hidden part of a segment register that limit checks need. */
export interface SegmentCache {
  readonly base: number;
  readonly limit: number;
  readonly attr: number;
}

export function segmentCache(cpu: Cpu, seg: Seg): SegmentCache {
  const s = cpu.state;
  return { base: s.getLinear('segBase', seg), limit: s.getU32('segLimit', seg), attr: s.getU32('segAttr', seg) };
}

/**
 * Whether `size` bytes at `offset` lie within the segment (SDM Vol. 3A 5.3): up to the limit,
 * or for expand-down data above the limit and up to 0xffff or 0xffffffff by the B flag.
 */
export function withinLimit(c: SegmentCache, offset: number, size: number): boolean {
  if (c.attr & SegAttr.UNUSABLE) return false;
  const last = offset + size - 1;
  const expandDown = (c.attr & (SegAttr.S | SegAttr.CODE | SegAttr.DC)) === (SegAttr.S | SegAttr.DC);
  if (expandDown) return offset > c.limit && last <= (c.attr & SegAttr.DB ? 0xffffffff : 0xffff);
  return last <= c.limit;
}

/**
 * A stack as event delivery and far transfers use it. Pushes are checked against the limit
 * at once (#SS with `faultCode`) but written only by `write()`, so a transfer can finish its
 * other checks first and the SDM's order of faults holds; pops read at once. Nothing changes
 * ESP until `commit()`.
 */
export class StackAccess {
  private sp: number;
  private readonly mask: number;
  private readonly pending: { lin: number; size: 2 | 4; value: number }[] = [];

  constructor(
    private readonly cpu: Cpu,
    private readonly ss: SegmentCache,
    /** The full ESP the accesses start from. */
    private readonly full: number,
    /** Stack address size: the B flag of SS (SDM Vol. 3A 6.2.3 in Vol. 1). */
    readonly width: 2 | 4,
    /** Accesses are made at CPL 3 (paging's user/supervisor check). */
    private readonly user: boolean,
    private readonly faultCode: number,
  ) {
    this.mask = width === 2 ? 0xffff : 0xffffffff;
    this.sp = (full & this.mask) >>> 0;
  }

  /** SS:ESP at the current privilege level. */
  static current(cpu: Cpu, faultCode = 0): StackAccess {
    const s = cpu.state;
    const width = decodeMode(s.getU32('mode')).stackSize === 2 ? 2 : 4;
    return new StackAccess(cpu, segmentCache(cpu, Seg.SS), s.getLo('gpr', Reg.RSP), width, s.getU32('cpl') === 3, faultCode);
  }

  /** A stack that is about to be loaded into SS (a stack switch). */
  static of(cpu: Cpu, d: SegmentDescriptor, esp: number, user: boolean, faultCode: number): StackAccess {
    return new StackAccess(cpu, d, esp, d.attr & SegAttr.DB ? 4 : 2, user, faultCode);
  }

  private linear(offset: number): number {
    return (this.ss.base + offset) % 0x1_0000_0000;
  }

  private check(offset: number, size: number): void {
    if (!withinLimit(this.ss, offset, size)) throw fault(Vector.SS, this.faultCode);
  }

  push(size: 2 | 4, value: number): void {
    this.sp = (this.sp - size) & this.mask;
    this.sp >>>= 0;
    this.check(this.sp, size);
    this.pending.push({ lin: this.linear(this.sp), size, value: size === 2 ? value & 0xffff : value >>> 0 });
  }

  /** Writes the pushed values to memory (each write may #PF). */
  write(): void {
    for (const w of this.pending) this.cpu.write(w.lin, w.size, w.value, this.user);
    this.pending.length = 0;
  }

  pop(size: 2 | 4): number {
    const v = this.peek(0, size);
    this.skip(size);
    return v;
  }

  /** Reads `size` bytes at SP + `offset` without moving SP (call-gate parameters). */
  peek(offset: number, size: 2 | 4): number {
    const at = ((this.sp + offset) & this.mask) >>> 0;
    this.check(at, size);
    return this.cpu.read(this.linear(at), size, this.user);
  }

  skip(bytes: number): void {
    this.sp = ((this.sp + bytes) & this.mask) >>> 0;
  }

  /** ESP after the accesses: with a 16-bit stack only SP changes (SDM Vol. 1 6.2.3). */
  get esp(): number {
    return this.width === 2 ? ((this.full & 0xffff0000) | this.sp) >>> 0 : this.sp;
  }

  /** Writes pending pushes, then ESP. */
  commit(): void {
    this.write();
    this.cpu.state.setLo('gpr', this.esp, Reg.RSP);
  }
}
