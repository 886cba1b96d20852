// The functions every block module imports, in the order of context.ts `Import`, and their
// Wasm signatures. 64-bit values cross as (lo, hi) i32 pairs so the cold path stays BigInt-free.
import { ValType, type ImportedFunc } from './wasm/encoder.ts';
import { X87_IMPORTS } from './emit/x87-imports.ts';

const i32 = ValType.i32;

export const BLOCK_IMPORTS: ImportedFunc[] = [
  // read(linLo, linHi, size, delta): value left in the vCPU's `scratch` field
  { module: 'rt', name: 'read', type: { params: [i32, i32, i32, i32], results: [] } },
  // write(linLo, linHi, size, valueLo, valueHi, delta)
  { module: 'rt', name: 'write', type: { params: [i32, i32, i32, i32, i32, i32], results: [] } },
  // helper(id) -> 1 when the block must end
  { module: 'rt', name: 'helper', type: { params: [i32], results: [i32] } },
  // raise(vector, errorCode, delta): never returns
  { module: 'rt', name: 'raise', type: { params: [i32, i32, i32], results: [] } },
  // resolveFlags(): computes lazily stored status flags into RFLAGS (jit/lazy-flags.ts; a Wasm function)
  { module: 'rt', name: 'resolveFlags', type: { params: [], results: [] } },
  // the x87 runtime's entry points (jit/emit/x87-runtime.ts, a Wasm module: i64 parameters cross no JS)
  ...X87_IMPORTS,
];

export interface RuntimeImports {
  read(linLo: number, linHi: number, size: number, delta: number): void;
  write(linLo: number, linHi: number, size: number, valueLo: number, valueHi: number, delta: number): void;
  raise(vector: number, errorCode: number, delta: number): void;
  resolveFlags: () => void;
  /** The exports of jit/emit/x87-runtime.ts buildX87Runtime, named as in X87_IMPORTS. */
  x87: Record<string, WebAssembly.ImportValue>;
}
