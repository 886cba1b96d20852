// Lazy status flags across block boundaries.
//
// Within a block, flags are deferred at compile time (flags.ts). At the block's end the last
// producer usually covers all six status flags (CMP, SUB, ADD, AND...), and the next block
// usually overwrites them before reading them; so instead of computing six flags there, the
// block stores the producer (kind and size, a, b, res) in the vCPU state. RFLAGS' status bits
// are then stale until resolveFlags() computes them: every block that touches RFLAGS in memory
// calls it first (cheaply: it returns at once when nothing is lazy), and so does every exit to
// JavaScript (helpers, slow paths, the run loop) before it reads RFLAGS.
import { vcpuField } from '../core/cpu/layout.ts';
import { STATUS_FLAGS } from '../core/cpu/registers.ts';
import { DeferredFlags, type Producer } from './flags.ts';
import { FunctionBuilder, Op, ValType, encodeModule } from './wasm/encoder.ts';

/** Producer kinds that can be stored lazily: each defines all six status flags. */
export const LAZY_KINDS = ['add', 'sub', 'logic'] as const;
const SIZES = [1, 2, 4, 8] as const;

/** lazyKind encoding: 1 + kindIndex * 4 + sizeIndex; 0 means nothing is lazy. */
export function lazyKindCode(p: Producer): number | undefined {
  const k = (LAZY_KINDS as readonly string[]).indexOf(p.kind);
  if (k < 0) return undefined;
  return 1 + k * 4 + SIZES.indexOf(p.size);
}

/** Builds the resolver for one vCPU: a Wasm function over its state, no imports but memory. */
export function buildFlagResolver(memory: WebAssembly.Memory, vcpuId: number): () => void {
  const at = (name: Parameters<typeof vcpuField>[1]): number => vcpuField(vcpuId, name);
  const fb = new FunctionBuilder(0);
  const kind = fb.local(ValType.i32);
  const a = fb.local(ValType.i64);
  const b = fb.local(ValType.i64);
  const res = fb.local(ValType.i64);
  fb.i32Const(0).mem(Op.i32_load, at('lazyKind')).tee(kind).op(Op.i32_eqz);
  fb.if_().op(Op.return_).end();
  fb.i32Const(0).mem(Op.i64_load, at('lazyA')).set(a);
  fb.i32Const(0).mem(Op.i64_load, at('lazyB')).set(b);
  fb.i32Const(0).mem(Op.i64_load, at('lazyRes')).set(res);
  fb.i32Const(0).i32Const(0).mem(Op.i32_store, at('lazyKind'));
  // One arm per (kind, size): nested blocks, br_table on kind - 1.
  const arms = LAZY_KINDS.flatMap((k) => SIZES.map((size) => ({ kind: k, size })));
  for (let i = 0; i <= arms.length; i++) fb.block();
  fb.get(kind).i32Const(1).op(Op.i32_sub);
  fb.byte(Op.br_table).u32(arms.length);
  for (let i = 0; i < arms.length; i++) fb.u32(i);
  fb.u32(arms.length);
  for (const arm of arms) {
    fb.end(); // arm i starts after the end of block i
    const flags = new DeferredFlags(fb, at('rflags'));
    flags.produce(STATUS_FLAGS, { kind: arm.kind, size: arm.size, a, b, res, bits: -1 });
    flags.materialize();
    fb.op(Op.return_);
  }
  fb.end(); // default: an unknown code is a host bug; leave RFLAGS as it is
  const bytes = encodeModule({
    memory: { initial: 0, maximum: 65536, shared: true },
    imports: [],
    functions: [{ type: { params: [], results: [] }, body: fb, export: 'resolveFlags' }],
  });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports.resolveFlags as () => void;
}
