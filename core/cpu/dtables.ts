// The descriptor-table registers and the instructions that look descriptors up by selector:
// LLDT and LTR (SDM Vol. 2A), LAR, LSL, VERR and VERW (Vol. 2A/2B), and the pseudo-descriptor
// format of LGDT/LIDT/SGDT/SIDT (Vol. 3A 3.5.1, Figure 3-11), which the JIT loads and stores
// inline (jit/emit/system.ts). SLDT and STR read the selector straight from the state.
//
// Functions throw GuestFault without a delta; the emitter attaches the instruction's. They run
// in protected mode only (the emitter raises #UD in real and virtual-8086 mode) and, for LLDT
// and LTR, at CPL 0 (checked at compile time).
import type { Cpu } from './cpu.ts';
import { decodeSegmentDescriptor, descriptorAddress, readDescriptor, selectorRpl, selectorTi, SystemType, type SegmentDescriptor } from './descriptor.ts';
import { GuestFault } from './faults.ts';
import { isCanonical, linearFromHalves } from './paging/canonical.ts';
import { Cr4, Efer, Seg, SegAttr, Vector } from './registers.ts';

/** LGDT/LIDT/SGDT/SIDT with a 16-bit operand size use a 24-bit base (SDM Vol. 2A LGDT). */
export const PSEUDO_DESCRIPTOR_BASE16_MASK = 0xffffff;

/** The selector bits that name a descriptor: a selector whose index and TI are 0 is null (SDM Vol. 3A 3.4.2). */
const SELECTOR_NAME = 0xfffc;
/** Error codes for selector faults carry the index and TI (SDM Vol. 3A 6.13). */
const errorCode = (selector: number): number => selector & SELECTOR_NAME;
const isNull = (selector: number): boolean => (selector & SELECTOR_NAME) === 0;

/** The busy bit of a TSS descriptor's type (SDM Vol. 3A 8.2.2). */
const TSS_BUSY = 2;

/** In IA-32e mode, system type 0 is the upper half of a 16-byte descriptor (SDM Vol. 2A LSL, "Segment and Gate Descriptor Types"). */
const UPPER_HALF_OF_16_BYTE_DESCRIPTOR = 0;

/**
 * System descriptor types LAR and LSL accept (SDM Vol. 2A LAR and LSL, "Segment and Gate
 * Types" tables). Outside IA-32e mode: the TSSs and the LDT, and for LAR the call and task
 * gates. In IA-32e mode: LAR takes the 64-bit TSSs and call gate (not the LDT); LSL the
 * LDT, the 64-bit TSSs and the upper half of a 16-byte descriptor.
 */
const LAR_TYPES = [
  SystemType.TSS16_AVAILABLE, SystemType.LDT, SystemType.TSS16_BUSY, SystemType.CALL_GATE16, SystemType.TASK_GATE,
  SystemType.TSS32_AVAILABLE, SystemType.TSS32_BUSY, SystemType.CALL_GATE32,
];
const LAR_TYPES_IA32E = [SystemType.TSS32_AVAILABLE, SystemType.TSS32_BUSY, SystemType.CALL_GATE32];
const LSL_TYPES = [SystemType.TSS16_AVAILABLE, SystemType.LDT, SystemType.TSS16_BUSY, SystemType.TSS32_AVAILABLE, SystemType.TSS32_BUSY];
const LSL_TYPES_IA32E = [UPPER_HALF_OF_16_BYTE_DESCRIPTOR, SystemType.LDT, SystemType.TSS32_AVAILABLE, SystemType.TSS32_BUSY];

/**
 * LAR copies bits 23:8 of the descriptor's second dword. The SDM calls bits 19:16 (limit
 * 19:16) undefined; Intel and AMD CPUs copy them (recorded on the host: LAR of Linux's
 * user CS gives 0x00cffb00), so we do too.
 */
const LAR_MASK = 0x00ffff00;

const ia32e = (cpu: Cpu): boolean => (cpu.state.getLo('efer') & Efer.LMA) !== 0;

/**
 * Reads the GDT descriptor of an LDT or TSS selector for LLDT and LTR: #GP(selector) when
 * TI = 1 or it lies beyond the GDT limit. In IA-32e mode system descriptors take 16 bytes:
 * the second half supplies base 63:32 and its type field must be 0 (SDM Vol. 3A 8.2.3).
 */
function systemDescriptor(cpu: Cpu, selector: number): { d: SegmentDescriptor; addr: number; base: number } {
  const s = cpu.state;
  if (selectorTi(selector)) throw new GuestFault(Vector.GP, errorCode(selector));
  const addr = descriptorAddress(cpu, selector);
  if (addr === undefined) throw new GuestFault(Vector.GP, errorCode(selector));
  const d = decodeSegmentDescriptor(cpu.readSystem(addr, 4), cpu.readSystem(addr + 4, 4));
  let base = d.base;
  if (ia32e(cpu)) {
    if ((selector & ~7) + 15 > s.getU32('gdtrLimit')) throw new GuestFault(Vector.GP, errorCode(selector));
    const high = cpu.readSystem(addr + 8, 4);
    if ((cpu.readSystem(addr + 12, 4) >>> 8) & 0x1f) throw new GuestFault(Vector.GP, errorCode(selector));
    // The signed form of paging/canonical.ts: exact for every canonical base; a
    // non-canonical one is #GP(selector) (SDM Vol. 2A LLDT, LTR: 64-Bit Mode Exceptions).
    base = linearFromHalves(base, high);
    if (!isCanonical(base, s.getLo('cr4') & Cr4.LA57 ? 57 : 48)) throw new GuestFault(Vector.GP, errorCode(selector));
  }
  return { d, addr, base };
}

/**
 * LLDT (SDM Vol. 2A LLDT): a null selector leaves LDTR unusable; otherwise the selector must
 * name an LDT descriptor in the GDT (#GP(selector)) that is present (#NP(selector)).
 */
export function loadLdt(cpu: Cpu, selector: number): void {
  if (isNull(selector)) {
    cpu.setSegment(Seg.LDTR, selector, 0, 0, SegAttr.UNUSABLE);
    return;
  }
  const { d, base } = systemDescriptor(cpu, selector);
  if (!d.system || d.type !== SystemType.LDT) throw new GuestFault(Vector.GP, errorCode(selector));
  if (!d.present) throw new GuestFault(Vector.NP, errorCode(selector));
  cpu.setSegment(Seg.LDTR, selector, base, d.limit, d.attr);
}

/**
 * LTR (SDM Vol. 2A LTR): the selector must be non-null (#GP(0)) and name an available TSS in
 * the GDT (#GP(selector); 16-bit TSSs only outside IA-32e mode) that is present
 * (#NP(selector)). The descriptor is marked busy in memory, then TR is loaded.
 */
export function loadTr(cpu: Cpu, selector: number): void {
  if (isNull(selector)) throw new GuestFault(Vector.GP, 0);
  const { d, addr, base } = systemDescriptor(cpu, selector);
  const available = d.type === SystemType.TSS32_AVAILABLE || (d.type === SystemType.TSS16_AVAILABLE && !ia32e(cpu));
  if (!d.system || !available) throw new GuestFault(Vector.GP, errorCode(selector));
  if (!d.present) throw new GuestFault(Vector.NP, errorCode(selector));
  const accessByte = cpu.readSystem(addr + 5, 1);
  cpu.writeSystem(addr + 5, 1, accessByte | TSS_BUSY);
  cpu.setSegment(Seg.TR, selector, base, d.limit, d.attr | TSS_BUSY);
}

/**
 * The lookup LAR, LSL, VERR and VERW share (SDM Vol. 2A LAR "Description"): the selector is
 * not null, lies within its table, and the descriptor is visible at CPL and RPL (DPL >= both)
 * unless it is a conforming code segment. Returns undefined when any check fails (ZF = 0).
 */
function visibleDescriptor(cpu: Cpu, selector: number, systemTypes: readonly number[]): SegmentDescriptor | undefined {
  if (isNull(selector)) return undefined;
  const raw = readDescriptor(cpu, selector);
  if (raw === undefined) return undefined;
  const d = decodeSegmentDescriptor(raw[0], raw[1]);
  if (d.system && !systemTypes.includes(d.type)) return undefined;
  const conforming = !d.system && (d.type & (SegAttr.CODE | SegAttr.DC)) === (SegAttr.CODE | SegAttr.DC);
  const cpl = cpu.state.getU32('cpl');
  if (!conforming && (cpl > d.dpl || selectorRpl(selector) > d.dpl)) return undefined;
  return d;
}

/** LAR: the access rights dword (second descriptor dword masked), or undefined (ZF = 0). */
export function loadAccessRights(cpu: Cpu, selector: number): number | undefined {
  const d = visibleDescriptor(cpu, selector, ia32e(cpu) ? LAR_TYPES_IA32E : LAR_TYPES);
  return d === undefined ? undefined : (d.hi & LAR_MASK) >>> 0;
}

/** LSL: the segment limit in bytes (scaled by G), or undefined (ZF = 0). */
export function loadSegmentLimit(cpu: Cpu, selector: number): number | undefined {
  const d = visibleDescriptor(cpu, selector, ia32e(cpu) ? LSL_TYPES_IA32E : LSL_TYPES);
  return d === undefined ? undefined : d.limit;
}

/**
 * VERR / VERW (SDM Vol. 2B VERR/VERW): true when the selector names a code or data segment
 * visible at CPL and RPL (conforming code always is) that is readable (data, or code with
 * R set) for VERR, or a writable data segment for VERW. System descriptors never verify.
 */
export function verifySegment(cpu: Cpu, selector: number, write: boolean): boolean {
  const d = visibleDescriptor(cpu, selector, []);
  if (d === undefined || d.system) return false;
  const code = (d.type & SegAttr.CODE) !== 0;
  const rw = (d.type & SegAttr.RW) !== 0;
  return write ? !code && rw : !code || rw;
}
