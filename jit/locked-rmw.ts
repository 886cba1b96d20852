// LOCK across vCPU workers: a locked read-modify-write is atomic for every processor (SDM
// Vol. 3A 9.1.2.2 "Software Controlled Bus Locking"): LOCK-prefixed instructions and XCHG
// with memory (SDM Vol. 2B XCHG: "the processor's locking protocol is automatically
// implemented"). Each vCPU runs in its own worker on the shared memory, so two mechanisms
// make it so:
//
// - Against other locked instructions: a VM-wide bus lock (layout.ts `busLock`), taken with a
//   Wasm atomic compare-exchange around the instruction. A holder that leaves the block by an
//   exception releases it in the run loop (core/kvm/vcpu-core.ts); finding its own id in the
//   lock counts as holding it, so a vCPU never waits for itself.
// - Against another vCPU's plain store, which takes no lock: the instruction's store is a Wasm
//   atomic compare-exchange against the value its load saw (LL/SC style). If memory changed in
//   between, nothing was written and the whole instruction restarts (its registers are written
//   only after its memory accesses, jit/context.ts). This covers a load and a store of the same
//   size at the same aligned place on a page the TLB maps for reading and writing: every LOCK
//   ALU/BTx/XADD/CMPXCHG/CMPXCHG8B, NEG/NOT and XCHG with memory. Misaligned, page-crossing and
//   MMIO operands, the first store to a clean or code-holding page, and CMPXCHG16B (two 8-byte
//   halves) keep only the bus lock.
import type { Instr } from '../core/cpu/decoder.ts';
import { vmField } from '../core/cpu/layout.ts';
import type { BlockContext, Size } from './context.ts';
import { Op, type FunctionBuilder } from './wasm/encoder.ts';

/** The threads proposal's opcode prefix (WebAssembly threads, "Atomic memory instructions"). */
const ATOMIC_PREFIX = 0xfe;
const I32_ATOMIC_STORE = 0x17;
const I32_ATOMIC_RMW_CMPXCHG = 0x48;
/** i64.atomic.rmw{8,16,32,}.cmpxchg(_u), by access size. */
const I64_CMPXCHG: Readonly<Record<Size, number>> = { 1: 0x4c, 2: 0x4d, 4: 0x4e, 8: 0x49 };
/** Atomic accesses must state their natural alignment (log2 of the size). */
const ALIGN_LOG2: Readonly<Record<Size, number>> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/** Whether the instruction is locked: a LOCK prefix, or XCHG with a memory operand. */
export function isLocked(instr: Instr): boolean {
  return instr.lock || (instr.form.mnemonic === 'xchg' && instr.mod !== 3 && instr.form.operands[0] !== 'Zv');
}

/**
 * The state of one locked instruction while it is emitted: BlockContext.readLinear and
 * writeLinear call in here (ctx.locked) for the load that the store is compared against.
 */
export class LockedRmw {
  /** Loads emitted so far: the atomic store needs exactly one, of its size. */
  private loads = 0;
  private loadSize: Size = 1;
  private stored = false;
  /** i32 local: host address of the load when it took the TLB fast path, else -1. */
  private readonly host: number;
  /** i64 local: the value the load saw (zero-extended). */
  private readonly seen: number;

  private constructor(private readonly ctx: BlockContext) {
    this.host = ctx.i32();
    this.seen = ctx.i64();
  }

  /** Emits the bus-lock acquisition and starts tracking the instruction's accesses. */
  static begin(ctx: BlockContext): LockedRmw {
    acquireBusLock(ctx);
    const l = new LockedRmw(ctx);
    ctx.fb.i32Const(-1).set(l.host);
    return l;
  }

  /** Emits the bus-lock release at the end of the instruction. */
  end(): void {
    releaseBusLock(this.ctx.fb);
  }

  /** Whether the load about to be emitted is the one the store compares against. */
  private get tracking(): boolean {
    return this.loads === 1 && !this.stored;
  }

  /** readLinear, fast path: the host address is on the stack; keeps a copy. */
  fastLoad(size: Size): void {
    this.loads++;
    this.loadSize = size;
    if (this.tracking) this.ctx.fb.tee(this.host);
  }

  /**
   * readLinear, slow path, after the ReadSlow call: when the walk has now put the
   * page in the TLB for reading and writing (RAM, dirty, no translated code), restart the
   * instruction so that it runs on the fast path with an atomic store.
   */
  slowLoad(lin: number, idx: number, size: Size): void {
    if (!this.tracking) return;
    const ctx = this.ctx;
    ctx.fb.i32Const(-1).set(this.host);
    // Both entries: then the restarted load takes the fast path, so this restarts at most once.
    ctx.tlbHit(lin, idx, size, 'tlbRead');
    ctx.tlbHit(lin, idx, size, 'tlbWrite');
    ctx.fb.op(Op.i32_and).if_();
    this.restart();
    ctx.fb.end();
  }

  /** readLinear, after both paths: the value loaded is on the stack; keeps a copy. */
  loaded(): void {
    if (this.tracking) this.ctx.fb.tee(this.seen);
  }

  /**
   * writeLinear, fast path, with the host address on the stack: emits the store and returns
   * true, or returns false when the plain store of the caller applies (a second store, or
   * not the load's size).
   */
  store(size: Size, value: number): boolean {
    if (!this.tracking || this.stored || size !== this.loadSize) return false;
    this.stored = true;
    const fb = this.ctx.fb;
    const at = this.ctx.i32();
    fb.tee(at).get(this.host).op(Op.i32_eq);
    fb.get(at).i32Const(size - 1).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
    fb.if_();
    // Same place as the load, naturally aligned: store only if memory still holds what the
    // load saw; else another vCPU stored in between and the instruction starts over.
    fb.get(at).get(this.seen).get(value);
    fb.byte(ATOMIC_PREFIX).u32(I64_CMPXCHG[size]).u32(ALIGN_LOG2[size]).u32(0);
    fb.get(this.seen).op(Op.i64_ne).if_();
    this.restart();
    fb.end();
    fb.else_();
    fb.get(at).get(value).mem(storeOp(size), 0);
    fb.end();
    return true;
  }

  /** Leaves the block with RIP at this instruction, which has had no effect, and the bus lock free. */
  private restart(): void {
    const ctx = this.ctx;
    ctx.resolveLazyFlags();
    releaseBusLock(ctx.fb);
    ctx.leaveAtThisInstruction();
  }
}

function storeOp(size: Size): Op {
  return size === 8 ? Op.i64_store : size === 4 ? Op.i64_store32 : size === 2 ? Op.i64_store16 : Op.i64_store8;
}

function acquireBusLock(ctx: BlockContext): void {
  const fb = ctx.fb;
  const me = ctx.cpu.id + 1;
  const old = ctx.i32();
  fb.block().loop();
  fb.i32Const(0).i32Const(0).i32Const(me);
  fb.byte(ATOMIC_PREFIX).u32(I32_ATOMIC_RMW_CMPXCHG).u32(ALIGN_LOG2[4]).u32(vmField('busLock'));
  fb.tee(old).op(Op.i32_eqz).brIf(1);
  fb.get(old).i32Const(me).op(Op.i32_eq).brIf(1);
  fb.br(0);
  fb.end().end();
}

function releaseBusLock(fb: FunctionBuilder): void {
  fb.i32Const(0).i32Const(0);
  fb.byte(ATOMIC_PREFIX).u32(I32_ATOMIC_STORE).u32(ALIGN_LOG2[4]).u32(vmField('busLock'));
}
