// What an x87 instruction's semantics see of the rest of the CPU: the FPU state, its memory
// operand (already segment-checked and translated to a linear address by the JIT), the
// arithmetic flags (FCOMI, FCMOVcc), AX (FNSTSW AX) and the formats FSTENV/FSAVE use.
import type { Fpu } from './state.ts';

export interface MemoryOperand {
  /** Reads `size` bytes at `offset` from the operand's address. */
  read(offset: number, size: number): number[];
  /** Writes bytes at `offset`; every write of an instruction comes after all its reads. */
  write(offset: number, bytes: readonly number[]): void;
}

export interface X87Context {
  readonly fpu: Fpu;
  /** The memory operand, or null for a register form. */
  readonly mem: MemoryOperand | null;
  /** ST(i) of a register form (ModRM.rm). */
  readonly i: number;
  /** Operand size: 16-bit or 32-bit environment formats (SDM Vol. 1 8.1.10). */
  readonly opSize: 2 | 4 | 8;
  /** Real-address or virtual-8086 mode: the real-mode environment layouts. */
  readonly realFormat: boolean;
  /** EFLAGS (the status flags FCOMI writes and FCMOVcc tests). */
  eflags(): number;
  setEflags(v: number): void;
  setAx(v: number): void;
}

/** Little-endian bytes of the low `n` bytes of v. */
export function leBytes(v: bigint | number, n: number): number[] {
  const b = BigInt.asUintN(64, BigInt(v));
  return Array.from({ length: n }, (_, k) => Number((b >> BigInt(8 * k)) & 0xffn));
}

export function fromLe(bytes: readonly number[]): bigint {
  let v = 0n;
  for (let k = bytes.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[k]);
  return v;
}
