// String instructions: MOVS CMPS STOS LODS SCAS in byte/word/dword/qword forms, with REP,
// REPE and REPNE (SDM Vol. 2A CMPS/LODS/MOVS, Vol. 2B SCAS/STOS, REP/REPE/REPNE).
//
// The address size picks SI/ESI/RSI, DI/EDI/RDI and CX/ECX/RCX; EFLAGS.DF picks the
// direction; the source segment (DS) may be overridden, ES:rDI never. A REP loop runs inside
// the block as a Wasm `loop` that commits rSI, rDI and rCX after every element, so a fault
// leaves them at the faulting element with RIP at the instruction, ready to restart (REP:
// "interruptible"). At most REP_CHUNK elements run per pass; with count left the block
// ends with RIP still at the instruction so that interrupts are taken between chunks.
import { Flag, Reg, STATUS_FLAGS, Seg } from '../../core/cpu/registers.ts';
import type { BlockContext, Size } from '../context.ts';
import { Op } from '../wasm/encoder.ts';

type Emit = (ctx: BlockContext) => void;
type Kind = 'movs' | 'cmps' | 'stos' | 'lods' | 'scas';

/** Elements per pass of a REP loop before the block yields to the run loop. */
export const REP_CHUNK = 4096;

/** The pieces of one string instruction, resolved at translation time. */
interface StringShape {
  readonly kind: Kind;
  readonly size: Size;
  readonly addrSize: Size;
  readonly srcSeg: Seg;
  readonly usesSi: boolean;
  readonly usesDi: boolean;
  readonly compare: boolean;
}

/** The i64 locals the element code works on. */
interface Cursor {
  readonly si: number;
  readonly di: number;
  readonly step: number;
  /** Compare forms: the two operands and the difference (masked), as CMP produces them. */
  readonly a: number;
  readonly b: number;
  readonly res: number;
}

function shapeOf(ctx: BlockContext, kind: Kind): StringShape {
  const i = ctx.instr;
  return {
    kind,
    size: i.form.operands.some((o) => o.endsWith('b')) ? 1 : i.opSize,
    addrSize: i.addrSize,
    srcSeg: i.segOverride >= 0 ? i.segOverride : Seg.DS,
    usesSi: kind === 'movs' || kind === 'cmps' || kind === 'lods',
    usesDi: kind !== 'lods',
    compare: kind === 'cmps' || kind === 'scas',
  };
}

/** Loads rSI/rDI at the address size and the step: -size when DF = 1, else +size. */
function openCursor(ctx: BlockContext, sh: StringShape): Cursor {
  const fb = ctx.fb;
  const c: Cursor = {
    si: ctx.i64(),
    di: ctx.i64(),
    step: ctx.i64(),
    a: ctx.i64(),
    b: ctx.i64(),
    res: ctx.i64(),
  };
  if (sh.usesSi) {
    ctx.readReg(Reg.RSI, sh.addrSize);
    fb.set(c.si);
  }
  if (sh.usesDi) {
    ctx.readReg(Reg.RDI, sh.addrSize);
    fb.set(c.di);
  }
  // DF is never deferred (only the status flags are), so RFLAGS in memory has it.
  fb.i64Const(sh.size).i64Const(-sh.size);
  ctx.loadField('rflags');
  fb.i64Const(Flag.DF).op(Op.i64_and).op(Op.i64_eqz);
  fb.op(Op.select).set(c.step);
  return c;
}

/**
 * One element: every memory access first (each may fault, leaving nothing changed), then
 * rAX for LODS, then rSI/rDI advanced and committed at the address size.
 */
function element(ctx: BlockContext, sh: StringShape, c: Cursor): void {
  const fb = ctx.fb;
  const v = ctx.i64();
  switch (sh.kind) {
    case 'movs':
      ctx.readMem(sh.srcSeg, c.si, sh.size);
      fb.set(v);
      ctx.writeMem(Seg.ES, c.di, sh.size, v);
      break;
    case 'stos':
      ctx.readReg(Reg.RAX, sh.size);
      fb.set(v);
      ctx.writeMem(Seg.ES, c.di, sh.size, v);
      break;
    case 'lods':
      ctx.readMem(sh.srcSeg, c.si, sh.size);
      fb.set(v);
      ctx.writeReg(Reg.RAX, sh.size, v);
      break;
    case 'cmps':
      // temp = [seg:rSI] - [ES:rDI] (SDM Vol. 2A CMPS).
      ctx.readMem(sh.srcSeg, c.si, sh.size);
      fb.set(c.a);
      ctx.readMem(Seg.ES, c.di, sh.size);
      fb.set(c.b);
      break;
    case 'scas':
      // temp = rAX - [ES:rDI] (SDM Vol. 2B SCAS).
      ctx.readReg(Reg.RAX, sh.size);
      fb.set(c.a);
      ctx.readMem(Seg.ES, c.di, sh.size);
      fb.set(c.b);
      break;
  }
  if (sh.compare) {
    fb.get(c.a).get(c.b).op(Op.i64_sub);
    ctx.mask(sh.size);
    fb.set(c.res);
  }
  for (const [used, reg, local] of [
    [sh.usesSi, Reg.RSI, c.si],
    [sh.usesDi, Reg.RDI, c.di],
  ] as const) {
    if (!used) continue;
    fb.get(local).get(c.step).op(Op.i64_add);
    ctx.mask(sh.addrSize);
    fb.set(local);
    ctx.writeReg(reg, sh.addrSize, local);
  }
}

/** Records the compare's flags like SUB/CMP (SDM: "flags are set according to the temporary result"). */
function produceCompareFlags(ctx: BlockContext, sh: StringShape, c: Cursor): void {
  if (sh.compare)
    ctx.flags.produce(STATUS_FLAGS, { kind: 'sub', size: sh.size, a: c.a, b: c.b, res: c.res, bits: -1 });
}

/** Pushes i32 1 while REPE/REPNE may go on: REPE while ZF = 1 (equal), REPNE while ZF = 0. */
function repeatCondition(ctx: BlockContext, c: Cursor): void {
  const fb = ctx.fb;
  fb.get(c.res).op(Op.i64_eqz);
  if (ctx.instr.repPrefix === 0xf2) fb.op(Op.i32_eqz);
}

function single(ctx: BlockContext, sh: StringShape): void {
  const c = openCursor(ctx, sh);
  element(ctx, sh, c);
  produceCompareFlags(ctx, sh, c);
}

/**
 * The REP loop (SDM Vol. 2B REP pseudo-code): nothing when the count is 0; else per element
 * execute, decrement the count, stop at 0 or when REPE/REPNE's condition fails.
 */
function repeated(ctx: BlockContext, sh: StringShape): void {
  const fb = ctx.fb;
  const count = ctx.i64();
  const budget = ctx.i32();
  // Compare forms write the flags only if an element runs: settle earlier flags now, so both
  // outcomes leave RFLAGS in memory. A fault inside the loop then leaves EFLAGS as before the
  // instruction, as the SDM says for REPE/REPNE CMPS and SCAS.
  if (sh.compare) ctx.flags.materialize();
  fb.block();
  ctx.readReg(Reg.RCX, sh.addrSize);
  fb.tee(count).op(Op.i64_eqz).brIf(0);
  const c = openCursor(ctx, sh);
  // With EFLAGS.TF the single-step trap follows every iteration (SDM Vol. 3A 18.3.1.4).
  fb.i32Const(1).i32Const(REP_CHUNK);
  ctx.loadField('rflags');
  fb.i64Const(Flag.TF).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
  fb.op(Op.select).set(budget);
  fb.loop();
  element(ctx, sh, c);
  fb.get(count).i64Const(1).op(Op.i64_sub).set(count);
  ctx.writeReg(Reg.RCX, sh.addrSize, count);
  fb.get(budget).i32Const(1).op(Op.i32_sub).set(budget);
  produceCompareFlags(ctx, sh, c);
  // Go on while count != 0 and budget != 0 (and the REPE/REPNE condition holds).
  fb.get(count).op(Op.i64_eqz).op(Op.i32_eqz);
  fb.get(budget).op(Op.i32_eqz).op(Op.i32_eqz).op(Op.i32_and);
  if (sh.compare) {
    repeatCondition(ctx, c);
    fb.op(Op.i32_and);
  }
  fb.brIf(0);
  fb.end();
  if (sh.compare) ctx.flags.materialize();
  // Stopped by the budget with elements left: end the block at this instruction.
  fb.get(count).op(Op.i64_eqz).op(Op.i32_eqz);
  if (sh.compare) {
    repeatCondition(ctx, c);
    fb.op(Op.i32_and);
  }
  fb.if_();
  ctx.leaveAtThisInstruction();
  fb.end();
  fb.end();
}


function stringOp(kind: Kind): Emit {
  return (ctx) => {
    const sh = shapeOf(ctx, kind);
    // REPNE (F2) before MOVS/STOS/LODS repeats like REP; only CMPS and SCAS test ZF.
    if (ctx.instr.repPrefix !== 0) repeated(ctx, sh);
    else single(ctx, sh);
  };
}

export const stringEmitters: Record<string, Emit> = {
  movs: stringOp('movs'),
  cmps: stringOp('cmps'),
  stos: stringOp('stos'),
  lods: stringOp('lods'),
  scas: stringOp('scas'),
};
