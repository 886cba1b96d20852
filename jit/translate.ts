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
import { LockedRmw, isLocked } from './locked-rmw.ts';

export interface TranslateRequest {
  cpu: Cpu;
  mode: CpuMode;
  /** Byte at `offset` from the block start; throws a GuestFault when it cannot be fetched. */
  fetch: (offset: number) => number;
  /** Bytes left on the first page: instructions may not start beyond it. */
  bytesLeftOnPage: number;
  maxInstructions: number;
  /** Helper table shared by the blocks compiled into one module (helper ids index it). */
  helpers?: HelperFn[];
}

export interface Translation {
  fb: BlockContext['fb'];
  helpers: HelperFn[];
  instructions: Instr[];
  /** Total bytes covered (the last instruction may extend onto the next page). */
  length: number;
  /** The last instruction wrote RIP (a branch, or an instruction after which the block must end). */
  ended: boolean;
}

export function translateBlock(req: TranslateRequest): Translation {
  const ctx = new BlockContext(req.cpu, req.mode, req.helpers);
  const instructions: Instr[] = [];
  let offset = 0;
  // Byte i of the instruction at the current offset.
  const fetchHere = (i: number): number => req.fetch(offset + i);
  const decodeMode = { codeSize: req.mode.codeSize };
  while (instructions.length < req.maxInstructions && offset < req.bytesLeftOnPage) {
    const first = instructions.length === 0;
    let r;
    try {
      r = decode(fetchHere, decodeMode);
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
    if (isLocked(instr)) ctx.locked = LockedRmw.begin(ctx);
    emit(ctx);
    ctx.locked?.end();
    ctx.locked = null;
    ctx.endIfCodeModified();
    instructions.push(instr);
    offset += instr.length;
    if (ctx.ended) return finish(ctx, instructions, offset, true);
  }
  return finish(ctx, instructions, offset);
}

function fmtOpcode(op: number): string {
  return op >= 0x100 ? `0f ${(op & 0xff).toString(16).padStart(2, '0')}` : op.toString(16).padStart(2, '0');
}

function finish(ctx: BlockContext, instructions: Instr[], length: number, ripWritten = false): Translation {
  const fb = ctx.fb;
  ctx.xmm.endOfBlock();
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
  const prologue = fb.capture(() => {
    fb.i32Const(0);
    ctx.loadField('statInstructions');
    fb.i64Const(instructions.length + (instructions.length === 0 ? 1 : 0)).op(Op.i64_add).mem(Op.i64_store, ctx.addr('statInstructions'));
    // A block that reads or writes RFLAGS in memory first brings lazily stored flags up to date.
    if (ctx.flags.memoryTouched) ctx.resolveLazyFlags();
  });
  fb.insertAt(0, prologue);
  return { fb, helpers: ctx.helpers, instructions, length, ended: ripWritten };
}

// ---- statically known successors ------------------------------------------------------------

/** Relative branches whose not-taken path (or return address) is the next instruction. */
const CONDITIONAL = new Set(['loop', 'loope', 'loopne', 'jcxz', 'call']);

/**
 * The instruction pointers a translated block can continue at that are known without running
 * it: the next instruction after a block that ran into its size limit, the target of a final
 * relative JMP, Jcc, LOOPcc, JCXZ or CALL (SDM Vol. 2A "JMP", "Jcc", "CALL": next IP plus the
 * sign-extended displacement, truncated to the operand size) and the fall-through of all but
 * JMP. `ip` is the block's IP (RIP, or EIP/IP as an unsigned number) and `codeSize` its mode's.
 */
export function successorIps(t: Translation, ip: number, codeSize: 2 | 4 | 8): number[] {
  const wrap = (v: number, size: number): number => (size === 8 ? v : ((v % 2 ** (8 * size)) + 2 ** (8 * size)) % 2 ** (8 * size));
  const next = wrap(ip + t.length, codeSize);
  if (!t.ended) return t.instructions.length > 0 ? [next] : [];
  const last = t.instructions[t.instructions.length - 1];
  if (last === undefined || !/^J[bz]$/.test(last.form.operands[0] ?? '')) return [];
  const m = last.form.mnemonic;
  const target = wrap(next + last.imm, codeSize === 8 ? 8 : last.opSize);
  return m === 'jmp' ? [target] : m.startsWith('j') || CONDITIONAL.has(m) ? [target, next] : [];
}
