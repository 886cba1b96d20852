// The translation mode: the facts about CPU state that change how bytes decode and what
// code the JIT emits for them. Compiled blocks are cached per (physical address, mode).
// Recomputed by computeMode() whenever CS, SS, CR0, EFER or EFLAGS.VM change.
import type { VcpuState } from './state.ts';
import { Cr0, Efer, Flag, Seg, SegAttr } from './registers.ts';

export interface CpuMode {
  /** Default operand/address size of the code segment: 2, 4, or 8 in 64-bit mode. */
  readonly codeSize: 2 | 4 | 8;
  /** Stack address size: SS.B (2 or 4), 8 in 64-bit mode (SDM Vol. 1 6.2.3). */
  readonly stackSize: 2 | 4 | 8;
  readonly cpl: number;
  /** CR0.PE and not virtual-8086. */
  readonly protectedMode: boolean;
  readonly vm86: boolean;
}

// Bits: 0-1 codeSize log2-1, 2-3 stackSize log2-1, 4-5 CPL, 6 protected, 7 vm86.
export function encodeMode(m: CpuMode): number {
  const lg = (n: number): number => (n === 2 ? 0 : n === 4 ? 1 : 2);
  return lg(m.codeSize) | (lg(m.stackSize) << 2) | (m.cpl << 4) | (m.protectedMode ? 64 : 0) | (m.vm86 ? 128 : 0);
}

export function decodeMode(bits: number): CpuMode {
  const sz = (v: number): 2 | 4 | 8 => (v === 0 ? 2 : v === 1 ? 4 : 8);
  return {
    codeSize: sz(bits & 3),
    stackSize: sz((bits >> 2) & 3),
    cpl: (bits >> 4) & 3,
    protectedMode: (bits & 64) !== 0,
    vm86: (bits & 128) !== 0,
  };
}

export function computeMode(s: VcpuState): CpuMode {
  const cr0 = s.getLo('cr0');
  const efer = s.getLo('efer');
  const rflags = s.getLo('rflags');
  const pe = (cr0 & Cr0.PE) !== 0;
  const vm86 = pe && (rflags & Flag.VM) !== 0;
  const csAttr = s.getU32('segAttr', Seg.CS);
  const ssAttr = s.getU32('segAttr', Seg.SS);
  const long = (efer & Efer.LMA) !== 0 && (csAttr & SegAttr.L) !== 0;
  const codeSize = long ? 8 : pe && !vm86 && csAttr & SegAttr.DB ? 4 : 2;
  const stackSize = long ? 8 : pe && !vm86 && ssAttr & SegAttr.DB ? 4 : 2;
  return { codeSize, stackSize, cpl: s.getU32('cpl'), protectedMode: pe && !vm86, vm86 };
}

export function refreshMode(s: VcpuState): number {
  const bits = encodeMode(computeMode(s));
  s.setU32('mode', bits);
  return bits;
}
