// Basic-block translation: decode guest instructions from one page and emit one Wasm
// function for them (the first tier: registers in memory, flags deferred within the block).
import { decode, type Instr } from '../core/cpu/decoder.ts';
import type { CpuMode } from '../core/cpu/mode.ts';
import { Vector } from '../core/cpu/registers.ts';
import { BlockContext, type HelperFn } from './context.ts';
import { EMITTERS } from './emitters.ts';
import { Op } from './wasm/encoder.ts';
import { lazyKindCode } from './lazy-flags.ts';
import { InternalError } from '../core/cpu/faults.ts';
import type { Cpu } from '../core/cpu/cpu.ts';
import { vmField } from '../core/cpu/layout.ts';

export interface TranslateRequest {
  cpu: Cpu;
  mode: CpuMode;
  /** Byte at `offset` from the block start; throws a GuestFault when it cannot be fetched. */
  fetch: (offset: number) => number;
  /** Bytes left on the first page: instructions may not start beyond it. */
  bytesLeftOnPage: number;
  maxInstructions: number;
}

export interface Translation {
  fb: BlockContext['fb'];
  helpers: HelperFn[];
  instructions: Instr[];
  /** Total bytes covered (the last instruction may extend onto the next page). */
  length: number;
}

export function translateBlock(req: TranslateRequest): Translation {
  const ctx = new BlockContext(req.cpu, req.mode);
  const instructions: Instr[] = [];
  let offset = 0;
  while (instructions.length < req.maxInstructions && offset < req.bytesLeftOnPage) {
    const first = instructions.length === 0;
    let r;
    try {
      r = decode((i) => req.fetch(offset + i), { codeSize: req.mode.codeSize });
    } catch (e) {
      // A fetch fault beyond the first instruction ends the block before it; the fault is
      // raised when that instruction starts a block of its own.
      if (!first) break;
      throw e;
    }
    ctx.delta = offset;
    if (!r.ok) {
      if (!first) break;
      // The fault is raised when execution reaches it, not at translation time.
      ctx.instr = { length: r.length } as Instr;
      ctx.raise(r.fault === 'ud' ? Vector.UD : Vector.GP, 0);
      return finish(ctx, instructions, r.length);
    }
    const instr = r.instr;
    const emit = EMITTERS[instr.form.mnemonic];
    if (emit === undefined) {
      if (!first) break;
      ctx.instr = instr;
      const bytes = Array.from({ length: instr.length }, (_, i) => req.fetch(offset + i));
      const what = `${instr.form.mnemonic} ${instr.form.operands.join(',')} (opcode ${fmtOpcode(instr.opcode)}, bytes ${bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')})`;
      const delta = offset;
      ctx.callHelper(() => {
        throw new InternalError(`instruction not implemented: ${what}`, delta);
      });
      return finish(ctx, instructions, instr.length);
    }
    ctx.instr = instr;
    ctx.wroteMemory = false;
    const locked = isLocked(instr);
    if (locked) acquireBusLock(ctx);
    emit(ctx);
    if (locked) releaseBusLock(ctx);
    ctx.endIfCodeModified();
    instructions.push(instr);
    offset += instr.length;
    if (ctx.ended) return finish(ctx, instructions, offset, true);
  }
  return finish(ctx, instructions, offset);
}

// ---- LOCK across vCPU workers ---------------------------------------------------------------
//
// A locked read-modify-write is atomic for every processor (SDM Vol. 3A 9.1.2.2 "Software
// Controlled Bus Locking"): LOCK-prefixed instructions and XCHG with memory. Each vCPU runs
// in its own worker on the shared memory, so those instructions hold a VM-wide bus lock
// (layout.ts `busLock`) taken with a Wasm atomic compare-exchange. A holder that leaves the
// block by an exception releases it in the run loop (core/kvm/vcpu-core.ts), and finding
// its own id in the lock counts as holding it, so a vCPU never waits for itself.

/** i32.atomic.rmw.cmpxchg and i32.atomic.store (threads proposal; 0xFE prefix), natural alignment 2^2. */
const ATOMIC_PREFIX = 0xfe;
const I32_ATOMIC_RMW_CMPXCHG = 0x48;
const I32_ATOMIC_STORE = 0x17;
const ALIGN_4 = 2;

function isLocked(instr: Instr): boolean {
  return instr.lock || (instr.form.mnemonic === 'xchg' && instr.mod !== 3 && instr.form.operands[0] !== 'Zv');
}

function acquireBusLock(ctx: BlockContext): void {
  const fb = ctx.fb;
  const me = ctx.cpu.id + 1;
  const old = ctx.i32();
  fb.block().loop();
  fb.i32Const(0).i32Const(0).i32Const(me);
  fb.byte(ATOMIC_PREFIX).u32(I32_ATOMIC_RMW_CMPXCHG).u32(ALIGN_4).u32(vmField('busLock'));
  fb.tee(old).op(Op.i32_eqz).brIf(1);
  fb.get(old).i32Const(me).op(Op.i32_eq).brIf(1);
  fb.br(0);
  fb.end().end();
}

function releaseBusLock(ctx: BlockContext): void {
  ctx.fb.i32Const(0).i32Const(0);
  ctx.fb.byte(ATOMIC_PREFIX).u32(I32_ATOMIC_STORE).u32(ALIGN_4).u32(vmField('busLock'));
}

function fmtOpcode(op: number): string {
  return op >= 0x100 ? `0f ${(op & 0xff).toString(16).padStart(2, '0')}` : op.toString(16).padStart(2, '0');
}

function finish(ctx: BlockContext, instructions: Instr[], length: number, ripWritten = false): Translation {
  const fb = ctx.fb;
  // The last producer of all status flags is stored for later (lazy-flags.ts), not computed.
  ctx.flags.endOfBlock(lazyKindCode, (p, code) => {
    // A logic producer may have no a/b locals (its flags depend on res only).
    if (p.a >= 0) ctx.storeField('lazyA', p.a);
    if (p.b >= 0) ctx.storeField('lazyB', p.b);
    ctx.storeField('lazyRes', p.res);
    fb.i32Const(0).i32Const(code).mem(Op.i32_store, ctx.addr('lazyKind'));
  });
  if (!ripWritten) {
    const l = ctx.i64();
    fb.get(ctx.rip0).i64Const(length).op(Op.i64_add);
    ctx.wrapIp();
    fb.set(l);
    ctx.storeField('rip', l);
  }
  // statInstructions += n, at entry: blocks that end early (I/O, HLT) end with that
  // instruction, so the count is exact except for instructions after a faulting one.
  const body = fb.bytes;
  fb.bytes = [];
  fb.i32Const(0);
  ctx.loadField('statInstructions');
  fb.i64Const(instructions.length + (instructions.length === 0 ? 1 : 0)).op(Op.i64_add).mem(Op.i64_store, ctx.addr('statInstructions'));
  // A block that reads or writes RFLAGS in memory first brings lazily stored flags up to date.
  if (ctx.flags.memoryTouched) ctx.resolveLazyFlags();
  fb.append(body);
  return { fb, helpers: ctx.helpers, instructions, length };
}
