// The x87 runtime module (x87-runtime.ts) as block modules import it (jit/imports.ts appends
// X87_IMPORTS to BLOCK_IMPORTS): three entry points that dispatch on an operation number, so
// that every block module links 3 functions rather than one per operation (each import costs
// about 0.5 us of compile and instantiation per module; measured with Node 20).
import { type ImportedFunc, ValType } from '../wasm/encoder.ts';

const i32 = ValType.i32;
const i64 = ValType.i64;

/**
 * The parameters of x87_op after the operation number: two ST indices or small arguments
 * (a, b), the bits of a memory operand (mem), a mode (x87-runtime.ts ArithMode, CompareMode),
 * then FIP (i64), FOP (i32), the data segment register (i32, -1 without a memory operand)
 * and FDP (i64), the pointers of SDM Vol. 1 8.1.8.
 */
export type OpArgument = 'a' | 'b' | 'mem' | 'mode';
export const OP_ARGUMENTS: readonly OpArgument[] = ['a', 'b', 'mem', 'mode'];
export const POINTERS: readonly ValType[] = [i64, i32, i32, i64];

/**
 * The operations of x87_op and the arguments each one takes, in its parameter order. Each
 * returns 1 when it has executed the instruction, 0 when the block must take the cold path
 * (then nothing has changed).
 */
export const X87_OPS: Readonly<Record<string, readonly OpArgument[]>> = {
  // a = dest ST index, b = src ST index, the m32/m64 bits, mode (ArithMode)
  ...Object.fromEntries(['add', 'mul', 'div'].flatMap((k) => ['reg', 'm32', 'm64'].map((f) => [`${k}_${f}`, ['a', 'b', 'mem', 'mode']]))),
  // a = src ST index, the m32/m64 bits, mode (CompareMode)
  ...Object.fromEntries(['reg', 'm32', 'm64', 'zero'].map((f) => [`compare_${f}`, ['a', 'mem', 'mode']])),
  fld_m32: ['mem'],
  fld_m64: ['mem'],
  fild: ['mem'],
  fld_reg: ['a'],
  fxch: ['a'],
  // a = dest ST index, mode = pop
  fst_reg: ['a', 'mode'],
  // a = 1 for FABS, 0 for FCHS
  sign: ['a'],
  // a = 1 for FLD1, 0 for FLDZ
  fldconst: ['a'],
};
export const X87_OP_NAMES: readonly string[] = Object.keys(X87_OPS);
export const argumentType = (a: OpArgument): ValType => (a === 'mem' ? i64 : i32);

/**
 * The stores to memory run in three steps, since the memory write (in the block, through its
 * TLB code) may fault and must come before any change of the FPU state: x87_store(form)
 * returns the bits to store and a status (0: cold path, else 1 | PE << 1 | C1 << 2), the
 * block writes them, then x87_store_commit(status, pop, pointers...) records PE, C1, the pop,
 * SW and the pointers.
 */
export const X87_STORE_FORMS = ['fst_m32', 'fst_m64', 'fist_m16', 'fist_m32', 'fist_m64'] as const;

export const X87_OP = 'x87_op';
export const X87_STORE = 'x87_store';
export const X87_STORE_COMMIT = 'x87_store_commit';

export const X87_IMPORTS: readonly ImportedFunc[] = [
  { module: 'rt', name: X87_OP, type: { params: [i32, ...OP_ARGUMENTS.map(argumentType), ...POINTERS], results: [i32] } },
  { module: 'rt', name: X87_STORE, type: { params: [i32], results: [i64, i32] } },
  { module: 'rt', name: X87_STORE_COMMIT, type: { params: [i32, i32, ...POINTERS], results: [] } },
];
