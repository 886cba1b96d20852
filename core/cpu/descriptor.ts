// Segment descriptors in the GDT and LDT (SDM Vol. 3A 3.4.5, Figure 3-8) and gate
// descriptors (6.11, Figure 6-2), decoded into typed values. Descriptor-table reads are
// implicit supervisor accesses whatever the CPL (SDM Vol. 3A 4.6).
import type { Cpu } from './cpu.ts';
import { Seg, SegAttr } from './registers.ts';

/** Selector fields (SDM Vol. 3A 3.4.2). */
export const selectorIndex = (sel: number): number => sel >> 3;
export const selectorTi = (sel: number): boolean => (sel & 4) !== 0;
export const selectorRpl = (sel: number): number => sel & 3;

/** System descriptor and gate types (S = 0; SDM Vol. 3A Table 3-2). */
export const enum SystemType {
  TSS16_AVAILABLE = 1, LDT = 2, TSS16_BUSY = 3, CALL_GATE16 = 4, TASK_GATE = 5, INT_GATE16 = 6,
  TRAP_GATE16 = 7, TSS32_AVAILABLE = 9, TSS32_BUSY = 11, CALL_GATE32 = 12, INT_GATE32 = 14, TRAP_GATE32 = 15,
}

export interface SegmentDescriptor {
  /** The two raw dwords. */
  readonly lo: number;
  readonly hi: number;
  readonly base: number;
  /** Limit in bytes (scaled by G). */
  readonly limit: number;
  /** Access rights in the VMCS format used everywhere in the CPU state (registers.ts SegAttr). */
  readonly attr: number;
  readonly type: number;
  readonly system: boolean;
  readonly dpl: number;
  readonly present: boolean;
}

export interface GateDescriptor {
  readonly type: number;
  readonly dpl: number;
  readonly present: boolean;
  readonly selector: number;
  readonly offset: number;
  /** Call gates: parameter count (dwords or words to copy). */
  readonly paramCount: number;
}

export function decodeSegmentDescriptor(lo: number, hi: number): SegmentDescriptor {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0x000f0000);
  const g = (hi & (1 << 23)) !== 0;
  if (g) limit = ((limit << 12) | 0xfff) >>> 0;
  const access = (hi >>> 8) & 0xff;
  const flags = (hi >>> 20) & 0xf; // AVL L D/B G
  const attr = access | (flags << 12);
  return {
    lo, hi, base, limit, attr,
    type: access & 0xf,
    system: (access & SegAttr.S) === 0,
    dpl: (access >> 5) & 3,
    present: (access & SegAttr.P) !== 0,
  };
}

export function decodeGate(lo: number, hi: number): GateDescriptor {
  return {
    type: (hi >>> 8) & 0xf,
    dpl: (hi >>> 13) & 3,
    present: (hi & (1 << 15)) !== 0,
    selector: lo >>> 16,
    offset: ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0,
    paramCount: hi & 0x1f,
  };
}

/**
 * Linear address of the descriptor for `selector` in the GDT or the current LDT, or
 * undefined when it lies beyond the table limit (the caller raises #GP/#TS/#NP with the
 * selector as the error code).
 */
export function descriptorAddress(cpu: Cpu, selector: number): number | undefined {
  const s = cpu.state;
  const offset = selectorIndex(selector) * 8;
  if (selectorTi(selector)) {
    if (s.getU32('segAttr', Seg.LDTR) & SegAttr.UNUSABLE || s.getU32('segSel', Seg.LDTR) === 0) return undefined;
    if (offset + 7 > s.getU32('segLimit', Seg.LDTR)) return undefined;
    return s.getLinear('segBase', Seg.LDTR) + offset;
  }
  if (offset + 7 > s.getU32('gdtrLimit')) return undefined;
  return s.getLinear('gdtrBase') + offset;
}

/**
 * Reads the raw descriptor dwords for `selector` (may throw #PF), or undefined beyond the
 * limit: one 8-byte implicit supervisor read (a descriptor across a page boundary faults at
 * the same address as two 4-byte reads would).
 */
export function readDescriptor(cpu: Cpu, selector: number): [number, number] | undefined {
  const addr = descriptorAddress(cpu, selector);
  if (addr === undefined) return undefined;
  const [lo, hi] = cpu.readLinear(addr, 8, false, true);
  return [lo >>> 0, hi >>> 0];
}

/** Sets the accessed bit of a code/data descriptor in memory, as loading a segment does (SDM Vol. 3A 3.4.5.1). */
export function markAccessed(cpu: Cpu, selector: number): void {
  const addr = descriptorAddress(cpu, selector);
  if (addr === undefined) return;
  const b = cpu.readSystem(addr + 5, 1);
  if (!(b & 1)) cpu.writeSystem(addr + 5, 1, b | 1);
}
