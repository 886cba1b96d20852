// The Wasm dispatcher: runs compiled blocks back to back without returning to JavaScript.
//
// Profiling showed the per-block return to JS (mode decoding, the page walk for the fetch,
// the cache lookup) costing far more than the blocks themselves. The dispatcher keeps that
// loop in Wasm: it finds the next block through a hash of (linear RIP, translation mode) in
// the vCPU's shared state, calls it through the function table, and comes back to JS only
// when the block is not there (a miss: JS translates it and fills the hash) or when an event
// needs the run loop (kick, interrupt shadow, TF, a deliverable interrupt or window request).
import { JIT_HASH_ENTRIES, vcpuField } from '../core/cpu/layout.ts';
import { Flag, Seg } from '../core/cpu/registers.ts';
import { FunctionBuilder, Op, ValType, encodeModule } from './wasm/encoder.ts';

export const enum DispatchResult {
  /** The block at CS:RIP is not in the hash (or CS:RIP is outside CS): JS takes over. */
  Miss = 0,
  /** Something the run loop handles is pending. */
  Attention = 1,
}

/** Hash of the dispatcher, mirrored by JitHash.insert. */
export function jitHashIndex(linLo: number, mode: number): number {
  return ((linLo ^ (linLo >>> 12) ^ (mode << 5)) >>> 0) & (JIT_HASH_ENTRIES - 1);
}

const BLOCK_TYPE = { params: [], results: [] };

export function buildDispatcher(memory: WebAssembly.Memory, table: WebAssembly.Table, vcpuId: number): () => number {
  const at = (name: Parameters<typeof vcpuField>[1], i = 0): number => vcpuField(vcpuId, name, i);
  const fb = new FunctionBuilder(0);
  const lin = fb.local(ValType.i64);
  const mode = fb.local(ValType.i32);
  const flags = fb.local(ValType.i32);
  const h = fb.local(ValType.i32);
  const load32 = (addr: number): void => void fb.i32Const(0).mem(Op.i32_load, addr);
  const ret = (v: DispatchResult): void => void fb.i32Const(v).op(Op.return_);
  fb.loop();
  // Events first: kick (immediate_exit), in-kernel APIC events, interrupt shadow, single-step.
  fb.i32Const(0).mem(Op.i32_load8_u, at('runImmediateExit'));
  load32(at('apicEvents'));
  fb.op(Op.i32_or);
  load32(at('interruptShadow'));
  fb.op(Op.i32_or);
  load32(at('rflags'));
  fb.tee(flags).i32Const(Flag.TF).op(Op.i32_and).op(Op.i32_or);
  fb.if_();
  ret(DispatchResult.Attention);
  fb.end();
  // With IF=1: a queued KVM_INTERRUPT or a requested interrupt window.
  fb.get(flags).i32Const(Flag.IF).op(Op.i32_and);
  fb.if_();
  load32(at('pendingIrq'));
  fb.i32Const(0).op(Op.i32_ge_s);
  fb.i32Const(0).mem(Op.i32_load8_u, at('runRequestInterruptWindow'));
  fb.op(Op.i32_or);
  fb.if_();
  ret(DispatchResult.Attention);
  fb.end();
  fb.end();
  // Linear RIP: CS.base + RIP outside 64-bit mode (mode.ts: bits 0-1 = 2 in 64-bit mode).
  load32(at('mode'));
  fb.tee(mode).i32Const(3).op(Op.i32_and).i32Const(2).op(Op.i32_eq);
  fb.if_(ValType.i64);
  fb.i32Const(0).mem(Op.i64_load, at('rip'));
  fb.else_();
  fb.i32Const(0).mem(Op.i64_load, at('rip'));
  fb.i32Const(0).mem(Op.i64_load32_u, at('segLimit', Seg.CS));
  fb.op(Op.i64_gt_u);
  fb.if_();
  ret(DispatchResult.Miss); // JS raises #GP for a RIP beyond the CS limit
  fb.end();
  fb.i32Const(0).mem(Op.i64_load, at('rip'));
  fb.i32Const(0).mem(Op.i64_load, at('segBase', Seg.CS));
  fb.op(Op.i64_add).i64Const(0xffffffffn).op(Op.i64_and);
  fb.end();
  fb.set(lin);
  // h = (lo ^ lo >> 12 ^ mode << 5) & (N - 1)
  fb.get(lin).op(Op.i32_wrap_i64);
  fb.get(lin).op(Op.i32_wrap_i64).i32Const(12).op(Op.i32_shr_u).op(Op.i32_xor);
  fb.get(mode).i32Const(5).op(Op.i32_shl).op(Op.i32_xor);
  fb.i32Const(JIT_HASH_ENTRIES - 1).op(Op.i32_and).set(h);
  fb.get(h).i32Const(3).op(Op.i32_shl).mem(Op.i64_load, at('jitKeyLin'));
  fb.get(lin).op(Op.i64_ne);
  fb.get(h).i32Const(2).op(Op.i32_shl).mem(Op.i32_load, at('jitKeyMode'));
  fb.get(mode).op(Op.i32_ne).op(Op.i32_or);
  fb.if_();
  ret(DispatchResult.Miss);
  fb.end();
  fb.get(h).i32Const(2).op(Op.i32_shl).mem(Op.i32_load, at('jitIndex'));
  fb.callIndirect(0);
  fb.br(0);
  fb.end();
  fb.op(Op.unreachable);
  const bytes = encodeModule({
    memory: { initial: 0, maximum: 65536, shared: true },
    table: { initial: 1 },
    imports: [],
    functions: [{ type: { params: [], results: [ValType.i32] }, body: fb, export: 'dispatch' }],
    extraTypes: [BLOCK_TYPE],
  });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, table } });
  return instance.exports.dispatch as () => number;
}
