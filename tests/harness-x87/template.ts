// What a fixture family is made of: templates (one instruction's bytes and a generator of
// starting states), how many cases each, and the mode the host runs them in.
import { memBcd, memFloat, memInt, randomState, type Rng, type StateOptions } from './gen-cases.ts';
import type { X87State } from './format.ts';

export interface Template {
  asm: string;
  code: number[];
  state: (r: Rng) => X87State;
}

export interface Family {
  name: string;
  description: string;
  /** Cases per template. */
  perTemplate: number;
  templates: Template[];
  /** The operating mode of the native runner and of the replay (default 32). */
  mode?: 32 | 64;
  /** 64-bit mode with the code and data pages above 4 GiB (format.ts X87_HIGH_BASE). */
  high?: boolean;
}

export type MemKind = 'f32' | 'f64' | 'i16' | 'i32' | 'i64' | 'bcd' | 'any';

/** ModRM for [EBX] (mod 00, rm 011) with `reg` as the opcode extension. */
export const modrmMem = (reg: number): number => (reg << 3) | 3;

/** A memory operand of a kind, little-endian; 'any' leaves the 32 random bytes. */
export function memOf(r: Rng, kind: MemKind): number[] | undefined {
  switch (kind) {
    case 'f32':
      return memFloat(r, 32);
    case 'f64':
      return memFloat(r, 64);
    case 'i16':
      return memInt(r, 2);
    case 'i32':
      return memInt(r, 4);
    case 'i64':
      return memInt(r, 8);
    case 'bcd':
      return memBcd(r);
    default:
      return undefined;
  }
}

export const withMem = (r: Rng, kind: MemKind, o: StateOptions = {}): X87State => randomState(r, { ...o, mem: memOf(r, kind) });
export const t = (asm: string, code: number[], state: (r: Rng) => X87State): Template => ({ asm, code, state });
