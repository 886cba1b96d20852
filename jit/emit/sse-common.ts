// What every MMX and SSE emitter shares: the #UD/#NM checks, where XMM and MMX registers
// live, and reading/writing a vector operand (register or memory) as a Wasm v128.
//
// XMMn is the state field `xmm` at quadwords 2n (low) and 2n+1 (high), held in a v128 local
// within a block (jit/xmm-cache.ts); MMn is the significand of the physical x87 register Rn
// (SDM Vol. 1 9.5). MMX operands are handled as a v128 whose low 64 bits hold the register;
// only those are written back.
import { Cr0, Cr4, Seg, Vector } from '../../core/cpu/registers.ts';
import { ValType, Op } from '../wasm/encoder.ts';
import type { BlockContext, Location } from '../context.ts';
import type { Cpu } from '../../core/cpu/cpu.ts';
import { execFp, type FpInstr } from '../../core/simd/fp-exec.ts';
import { Simd, simd, simdLane, simdMem, v128Const } from './sse-wasm.ts';

export type Emit = (ctx: BlockContext) => void;

/** x87 status word: TOP in bits 13:11, ES (error summary) in bit 7 (SDM Vol. 1 8.1.3). */
const FSW_TOP_MASK = 7 << 11;
const FSW_ES = 1 << 7;
/** Bits 79:64 of an x87 register an MMX write sets to all ones (SDM Vol. 1 9.5.1). */
const MMX_EXPONENT = 0xffff;

/** MMX operands: P (ModRM.reg), Q (r/m), N (r/m register). */
export function isMmxOperand(op: string): boolean {
  return op[0] === 'P' || op[0] === 'Q' || op[0] === 'N';
}

/** Whether the current form works on MMX registers (its first vector operand is P/Q/N). */
export function isMmxForm(ctx: BlockContext): boolean {
  return ctx.instr.form.operands.some(isMmxOperand);
}

/**
 * SSE instructions: CR0.EM = 1 or CR4.OSFXSR = 0 is #UD, then CR0.TS = 1 is #NM (SDM Vol. 3A
 * 13.1 Table 13-1, "Action Taken for Combinations of OSFXSR, OSXMMEXCPT, SSE, SSE2, SSE3,
 * EM, MP, and TS"; Vol. 2 exception tables, class 4 and 5). Checked when the instruction
 * runs: CR0 and CR4 may change between the translation of a block and its execution. Within
 * a run of SSE instructions that call no helper of unknown effect they cannot change (only
 * such helpers and instructions outside SSE write CR0 and CR4; jit/xmm-cache.ts), so the
 * check of the first covers the rest.
 */
export function checkSse(ctx: BlockContext): void {
  if (ctx.xmm.sseCheckHolds()) return;
  const fb = ctx.fb;
  fb.i32Const(0).mem(Op.i32_load, ctx.addr('cr0')).i32Const(Cr0.EM | Cr0.TS).op(Op.i32_and);
  fb.i32Const(0).mem(Op.i32_load, ctx.addr('cr4')).i32Const(Cr4.OSFXSR).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_or);
  fb.if_();
  fb.i32Const(0).mem(Op.i32_load, ctx.addr('cr0')).i32Const(Cr0.EM).op(Op.i32_and);
  fb.i32Const(0).mem(Op.i32_load, ctx.addr('cr4')).i32Const(Cr4.OSFXSR).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_or);
  fb.if_();
  ctx.raise(Vector.UD, 0);
  fb.end();
  ctx.raise(Vector.NM, 0);
  fb.end();
}

/**
 * MMX instructions: CR0.EM = 1 is #UD, CR0.TS = 1 is #NM, a pending unmasked x87 exception
 * is #MF (SDM Vol. 3A chapter 12, "Intel MMX Technology System Programming", the action
 * table for EM, MP and TS; Vol. 2 MMX exception class). Then the x87 unit enters MMX mode:
 * TOP = 0 and every tag valid (SDM Vol. 1 9.5.1).
 */
export function checkMmx(ctx: BlockContext): void {
  const fb = ctx.fb;
  fb.i32Const(0).mem(Op.i32_load, ctx.addr('cr0')).i32Const(Cr0.EM).op(Op.i32_and);
  fb.if_();
  ctx.raise(Vector.UD, 0);
  fb.end();
  fb.i32Const(0).mem(Op.i32_load, ctx.addr('cr0')).i32Const(Cr0.TS).op(Op.i32_and);
  fb.if_();
  ctx.raise(Vector.NM, 0);
  fb.end();
  fb.i32Const(0).mem(Op.i32_load16_u, ctx.addr('fpuSw')).i32Const(FSW_ES).op(Op.i32_and);
  fb.if_();
  ctx.raise(Vector.MF, 0);
  fb.end();
  enterMmxMode(ctx);
}

/** TOP = 0 and all tags valid (00B): what every MMX instruction but EMMS does (SDM Vol. 1 9.5.1). */
export function enterMmxMode(ctx: BlockContext): void {
  const fb = ctx.fb;
  fb.i32Const(0).i32Const(0).mem(Op.i32_load16_u, ctx.addr('fpuSw')).i32Const(~FSW_TOP_MASK).op(Op.i32_and).mem(Op.i32_store16, ctx.addr('fpuSw'));
  fb.i32Const(0).i32Const(0).mem(Op.i32_store16, ctx.addr('fpuTw'));
}

/** The check for this form's register file. */
export function checkVector(ctx: BlockContext): void {
  if (isMmxForm(ctx)) checkMmx(ctx);
  else checkSse(ctx);
}

/** Register number of vector operand `n` (V/P from ModRM.reg, U/W/N/Q from r/m). MMX ignores REX (8 registers). */
export function vecReg(ctx: BlockContext, n: number): number {
  const op = ctx.instr.form.operands[n];
  const i = ctx.instr;
  switch (op[0]) {
    case 'V':
      return i.reg;
    case 'P':
      return i.reg & 7;
    case 'U':
    case 'W':
      return i.rm;
    case 'N':
    case 'Q':
      return i.rm & 7;
  }
  throw new Error(`operand ${op} is not a vector register`);
}

/** Memory bytes an operand occupies by its size suffix (SDM Vol. 2D A.2.2). */
export function vecMemSize(ctx: BlockContext, op: string): 1 | 2 | 4 | 8 | 16 {
  const s = op.slice(1);
  if (s === 'x' || s === 'dq' || s === 'ps' || s === 'pd') return 16;
  if (s === 'q' || s === 'sd') return 8;
  if (s === 'd' || s === 'ss') return 4;
  if (s === 'w') return 2;
  if (s === 'b') return 1;
  if (s === 'y') return ctx.instr.opSize === 8 ? 8 : 4;
  return 16;
}

/**
 * Legacy SSE instructions with a 16-byte memory operand require it 16-byte aligned, else
 * #GP(0) (SDM Vol. 1 11.6.7 "Checking for Alignment of 128-Bit Data"), except these, which take any
 * address (SDM Vol. 2 MOVUPS, MOVUPD, MOVDQU, LDDQU, PCMPESTRI...).
 */
const UNALIGNED = new Set(['movups', 'movupd', 'movdqu', 'lddqu', 'pcmpestri', 'pcmpestrm', 'pcmpistri', 'pcmpistrm']);

/**
 * Pushes the i64 linear address of a 16-byte memory operand after the limit check of the
 * whole operand (the write bounds for a store) and the alignment check.
 */
function linear16(ctx: BlockContext, loc: Extract<Location, { kind: 'mem' }>, write: boolean): number {
  const fb = ctx.fb;
  const lin = ctx.i64();
  ctx.linear(loc.seg, loc.offset, 16, write);
  fb.set(lin);
  if (!UNALIGNED.has(ctx.instr.form.mnemonic)) {
    fb.get(lin).i64Const(15).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
    fb.if_();
    ctx.raise(Vector.GP, 0);
    fb.end();
  }
  return lin;
}

/** The linear address 8 bytes on, wrapped at 4 GiB outside 64-bit mode. */
function nextQword(ctx: BlockContext, lin: number): number {
  const fb = ctx.fb;
  const hi = ctx.i64();
  fb.get(lin).i64Const(8).op(Op.i64_add);
  if (ctx.mode.codeSize !== 8) fb.i64Const(0xffffffffn).op(Op.i64_and);
  fb.set(hi);
  return hi;
}

/** The memory location of operand `n` (computes the effective address once), or null for a register. */
export function vecMemLocation(ctx: BlockContext, n: number): Extract<Location, { kind: 'mem' }> | null {
  const i = ctx.instr;
  if (i.mem === null) return null;
  const op = i.form.operands[n];
  const size = vecMemSize(ctx, op);
  const loc = ctx.memLocation(i.mem, size === 16 ? 8 : size);
  return loc as Extract<Location, { kind: 'mem' }>;
}

/**
 * Pushes v128: 16 bytes at `loc`. Fast path: one TLB entry covers all 16 bytes, one v128
 * load. Otherwise (a miss, or the operand crosses a page) two quadword accesses, each with
 * its own page walk and fault, low quadword first.
 */
export function readMem16(ctx: BlockContext, loc: Extract<Location, { kind: 'mem' }>): void {
  const fb = ctx.fb;
  const stack = loc.seg === Seg.SS;
  const lin = linear16(ctx, loc, false);
  const idx = ctx.tlbIndex(lin);
  ctx.tlbHit(lin, idx, 16, 'tlbRead');
  fb.if_(ValType.v128);
  ctx.hostAddress(lin, idx, 'tlbHost');
  simdMem(fb, Simd.v128_load, 0);
  fb.else_();
  const hiLin = nextQword(ctx, lin);
  const lo = ctx.i64();
  const hi = ctx.i64();
  ctx.readLinear(lin, 8, stack);
  fb.set(lo);
  ctx.readLinear(hiLin, 8, stack);
  fb.set(hi);
  fb.get(lo);
  simd(fb, Simd.i64x2_splat);
  fb.get(hi);
  simdLane(fb, Simd.i64x2_replace_lane, 1);
  fb.end();
}

/**
 * Writes the v128 local `value` as 16 bytes at `loc`, on the paths readMem16 takes; the slow
 * path probes both quadwords before it stores either, so nothing is written when one faults.
 */
export function writeMem16(ctx: BlockContext, loc: Extract<Location, { kind: 'mem' }>, value: number): void {
  const fb = ctx.fb;
  const stack = loc.seg === Seg.SS;
  const lin = linear16(ctx, loc, true);
  const idx = ctx.tlbIndex(lin);
  ctx.wroteMemory = true;
  ctx.tlbHit(lin, idx, 16, 'tlbWrite');
  fb.if_();
  ctx.hostAddress(lin, idx, 'tlbWriteHost');
  fb.get(value);
  simdMem(fb, Simd.v128_store, 0);
  fb.else_();
  const hiLin = nextQword(ctx, lin);
  const lo = ctx.i64();
  const hi = ctx.i64();
  fb.get(value);
  simdLane(fb, Simd.i64x2_extract_lane, 0);
  fb.set(lo);
  fb.get(value);
  simdLane(fb, Simd.i64x2_extract_lane, 1);
  fb.set(hi);
  ctx.probeWrite(lin, 8, stack);
  ctx.probeWrite(hiLin, 8, stack);
  ctx.writeLinear(lin, 8, lo, stack);
  ctx.writeLinear(hiLin, 8, hi, stack);
  fb.end();
}

/** Pushes the v128 of XMM register `r`. */
export function loadXmm(ctx: BlockContext, r: number): void {
  ctx.xmm.read(r);
}

/** Pushes MMX register `r` as a v128 with the upper 64 bits zero. */
export function loadMmx(ctx: BlockContext, r: number): void {
  ctx.fb.i32Const(0);
  simdMem(ctx.fb, Simd.v128_load64_zero, ctx.addr('fpuMant', r));
}

/** XMM register `r` = v128 local `value` (at the instruction's top level, after every access that may fault). */
export function storeXmm(ctx: BlockContext, r: number, value: number): void {
  ctx.xmm.writeFrom(r, value);
}

/** Stores the low 64 bits of v128 `value` into MMn and sets bits 79:64 of Rn to ones. */
export function storeMmx(ctx: BlockContext, r: number, value: number): void {
  const fb = ctx.fb;
  fb.i32Const(0).get(value);
  simdLane(fb, Simd.i64x2_extract_lane, 0);
  fb.mem(Op.i64_store, ctx.addr('fpuMant', r));
  fb.i32Const(0).i32Const(MMX_EXPONENT).mem(Op.i32_store16, ctx.addr('fpuSignExp', r));
}

/** Pushes a v128 with the i64 on the stack in the low quadword and zero above. */
export function i64ToV128(ctx: BlockContext): void {
  const t = ctx.i64();
  ctx.fb.set(t);
  v128Const(ctx.fb, []);
  ctx.fb.get(t);
  simdLane(ctx.fb, Simd.i64x2_replace_lane, 0);
}

/**
 * Pushes operand `n` as a v128: a vector register, or memory of the operand's size (zero
 * above it), read with the alignment rule of this instruction.
 */
export function readVec(ctx: BlockContext, n: number): void {
  const op = ctx.instr.form.operands[n];
  const loc = 'WQM'.includes(op[0]) ? vecMemLocation(ctx, n) : null;
  if (loc !== null) {
    const size = vecMemSize(ctx, op);
    if (size === 16) readMem16(ctx, loc);
    else {
      ctx.readMem(loc.seg, loc.offset, size);
      i64ToV128(ctx);
    }
    return;
  }
  if (isMmxOperand(op)) loadMmx(ctx, vecReg(ctx, n));
  else loadXmm(ctx, vecReg(ctx, n));
}

/** readVec into a fresh v128 local. */
export function readVecTo(ctx: BlockContext, n: number): number {
  const l = ctx.fb.local(ValType.v128);
  readVec(ctx, n);
  ctx.fb.set(l);
  return l;
}

/** Writes v128 `value` to operand `n`: a whole XMM register, an MMX register, or memory of the operand's size. */
export function writeVec(ctx: BlockContext, n: number, value: number): void {
  const op = ctx.instr.form.operands[n];
  const loc = 'WQM'.includes(op[0]) ? vecMemLocation(ctx, n) : null;
  if (loc !== null) {
    const size = vecMemSize(ctx, op);
    if (size === 16) writeMem16(ctx, loc, value);
    else {
      const v = ctx.i64();
      ctx.fb.get(value);
      simdLane(ctx.fb, Simd.i64x2_extract_lane, 0);
      ctx.fb.set(v);
      ctx.writeMem(loc.seg, loc.offset, size as 1 | 2 | 4 | 8, v);
    }
    return;
  }
  if (isMmxOperand(op)) storeMmx(ctx, vecReg(ctx, n), value);
  else storeXmm(ctx, vecReg(ctx, n), value);
}

/** A fresh v128 local. */
export function v128Local(ctx: BlockContext): number {
  return ctx.fb.local(ValType.v128);
}

/**
 * The prologue of a two-operand SSE float form (ADDPS, MINSD, CMPSS...): checks, then the
 * source operand, the destination register as it was (`dst`), and both operands as `a`
 * (destination) and `b` (source). A scalar form has lane 0 broadcast to every lane, so
 * lane-wise checks on `a` and `b` see only the lane it computes.
 */
export function floatOperands(
  ctx: BlockContext,
  lanes: { readonly extract: Simd; readonly splat: Simd },
  scalar: boolean,
): { src: number; d: number; dst: number; a: number; b: number } {
  const fb = ctx.fb;
  checkSse(ctx);
  const src = readVecTo(ctx, 1);
  const d = vecReg(ctx, 0);
  const dst = v128Local(ctx);
  loadXmm(ctx, d);
  fb.set(dst);
  const a = v128Local(ctx);
  const b = v128Local(ctx);
  for (const [from, to] of [[dst, a], [src, b]] as const) {
    fb.get(from);
    if (scalar) {
      simdLane(fb, lanes.extract, 0);
      simd(fb, lanes.splat);
    }
    fb.set(to);
  }
  return { src, d, dst, a, b };
}

/** Materializes flags (the slow path's helper needs them) and opens `if (cond)` on the i32 on the stack. */
export function beginFast(ctx: BlockContext): void {
  const fb = ctx.fb;
  const c = ctx.i32();
  fb.set(c);
  ctx.resolveLazyFlags();
  ctx.flags.materialize();
  fb.get(c).if_();
}

/**
 * The slow path (else branch): stage the source already read and run the exact helper (`exec`,
 * execFp unless given); then
 * close the if. With `result`, the v128 local the fast path computed for XMM `dst`, the slow
 * path reads the helper's result into it and the register is written after the if, at the
 * instruction's top level (jit/xmm-cache.ts).
 */
export function slowPath(
  ctx: BlockContext,
  src: number,
  dst: number,
  result: number | null,
  exec: (cpu: Cpu, delta: number, ins: FpInstr) => void = execFp,
): void {
  const fb = ctx.fb;
  const i = ctx.instr;
  fb.else_();
  if (i.form.operands[1][0] === 'E') {
    fb.i32Const(0).get(src).mem(Op.i64_store, ctx.addr('simdTmp'));
  } else {
    fb.i32Const(0).get(src);
    simdMem(fb, Simd.v128_store, ctx.addr('simdTmp'));
  }
  const ins: FpInstr = { mnemonic: i.form.mnemonic, dst, imm: i.imm & 0xff, intSize: i.opSize === 8 ? 8 : 4 };
  ctx.helper((cpu, site) => exec(cpu, site.delta, ins), false, result === null ? [] : [dst]);
  if (result !== null) {
    loadXmm(ctx, dst);
    fb.set(result);
  }
  fb.end();
  if (result !== null) storeXmm(ctx, dst, result);
}
