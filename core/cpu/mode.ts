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
// (Helpers live at module level: the exception and IRET paths refresh the mode every time.)
const sizeBits = (n: number): number => (n === 2 ? 0 : n === 4 ? 1 : 2);
const sizeOf = (v: number): 2 | 4 | 8 => (v === 0 ? 2 : v === 1 ? 4 : 8);

export function encodeMode(m: CpuMode): number {
  return sizeBits(m.codeSize) | (sizeBits(m.stackSize) << 2) | (m.cpl << 4) | (m.protectedMode ? 64 : 0) | (m.vm86 ? 128 : 0);
}

/** Every mode by its bits, decoded once. */
const DECODED: readonly CpuMode[] = Array.from({ length: 256 }, (_, bits) =>
  Object.freeze({
    codeSize: sizeOf(bits & 3),
    stackSize: sizeOf((bits >> 2) & 3),
    cpl: (bits >> 4) & 3,
    protectedMode: (bits & 64) !== 0,
    vm86: (bits & 128) !== 0,
  }),
);

export function decodeMode(bits: number): CpuMode {
  return DECODED[bits & 0xff];
}

export function computeMode(s: VcpuState): CpuMode {
  return decodeMode(modeBits(s));
}

/** The mode's bits straight from the state (SDM Vol. 3A 5.2.1 for L and D/B of CS, Vol. 1 6.2.3 for SS.B). */
function modeBits(s: VcpuState): number {
  const pe = (s.getLo('cr0') & Cr0.PE) !== 0;
  const vm86 = pe && (s.getLo('rflags') & Flag.VM) !== 0;
  const csAttr = s.getU32('segAttr', Seg.CS);
  const long = (s.getLo('efer') & Efer.LMA) !== 0 && (csAttr & SegAttr.L) !== 0;
  const legacy32 = pe && !vm86;
  const code = long ? 2 : legacy32 && csAttr & SegAttr.DB ? 1 : 0;
  const stack = long ? 2 : legacy32 && s.getU32('segAttr', Seg.SS) & SegAttr.DB ? 1 : 0;
  return code | (stack << 2) | (s.getU32('cpl') << 4) | (legacy32 ? 64 : 0) | (vm86 ? 128 : 0);
}

export function refreshMode(s: VcpuState): number {
  const bits = modeBits(s);
  s.setU32('mode', bits);
  return bits;
}
