// Data movement of MMX, SSE through SSE4.1: whole-register moves, scalar and half moves,
// MOVD/MOVQ to and from general registers, insert/extract, masks and non-temporal stores
// (SDM Vol. 2 MOVAPS, MOVSS, MOVLPS, MOVHLPS, MOVD/MOVQ, PINSRW, PEXTRW, INSERTPS,
// MOVMSKPS, PMOVMSKB, MASKMOVDQU, MOVNTI). Non-temporal hints are plain stores here.
import { Reg } from '../../core/cpu/registers.ts';
import type { BlockContext } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import {
  checkMmx, checkSse, checkVector, i64ToV128, isMmxForm, isMmxOperand, loadMmx, loadXmm, readVecTo, storeXmm,
  v128Local, vecReg, writeVec, type Emit,
} from './sse-common.ts';
import { Simd, laneBytes, shuffle, simd, simdLane, v128Const } from './sse-wasm.ts';

/** Whole-operand move: MOVAPS, MOVUPS, MOVDQA, MOVDQU, LDDQU, MOVNT*, MOVQ mm. */
const move: Emit = (ctx) => {
  checkVector(ctx);
  const v = readVecTo(ctx, 1);
  writeVec(ctx, 0, v);
};

/**
 * MOVSS / MOVSD: from memory the element is loaded and the rest of the register cleared;
 * between registers and to memory only the low element moves (SDM Vol. 2B MOVSS).
 */
const scalarMove = (size: 4 | 8): Emit => (ctx) => {
  checkSse(ctx);
  const ops = ctx.instr.form.operands;
  const memDst = ctx.instr.mem !== null && ops[0][0] === 'W';
  const memSrc = ctx.instr.mem !== null && ops[1][0] === 'W';
  const v = readVecTo(ctx, 1);
  if (memSrc || memDst) {
    writeVec(ctx, 0, v);
    return;
  }
  const fb = ctx.fb;
  const d = vecReg(ctx, 0);
  loadXmm(ctx, d);
  fb.get(v);
  const lanes = Array.from({ length: 16 }, (_, i) => (i < size ? 16 + i : i));
  shuffle(fb, lanes);
  const r = v128Local(ctx);
  fb.set(r);
  storeXmm(ctx, d, r);
};

/** Replaces quadword `q` of XMM register `d` with the low quadword of v128 `v`. */
function mergeQword(ctx: BlockContext, d: number, q: 0 | 1, v: number): void {
  const fb = ctx.fb;
  loadXmm(ctx, d);
  fb.get(v);
  simdLane(fb, Simd.i64x2_extract_lane, 0);
  simdLane(fb, Simd.i64x2_replace_lane, q);
  const r = v128Local(ctx);
  fb.set(r);
  storeXmm(ctx, d, r);
}

/** MOVLPS/MOVLPD (q = 0) and MOVHPS/MOVHPD (q = 1): one quadword between memory and a register. */
const halfMove = (q: 0 | 1): Emit => (ctx) => {
  checkSse(ctx);
  const fb = ctx.fb;
  if (ctx.instr.form.operands[0][0] === 'M') {
    loadXmm(ctx, vecReg(ctx, 1));
    simdLane(fb, Simd.i64x2_extract_lane, q);
    i64ToV128(ctx);
    const v = v128Local(ctx);
    fb.set(v);
    writeVec(ctx, 0, v);
    return;
  }
  const v = readVecTo(ctx, 1);
  mergeQword(ctx, vecReg(ctx, 0), q, v);
};

/** MOVHLPS (source high quadword to destination low) and MOVLHPS (low to high). */
const regHalves = (fromHigh: boolean): Emit => (ctx) => {
  checkSse(ctx);
  const fb = ctx.fb;
  const v = v128Local(ctx);
  loadXmm(ctx, vecReg(ctx, 1));
  if (fromHigh) {
    simdLane(fb, Simd.i64x2_extract_lane, 1);
    i64ToV128(ctx);
  }
  fb.set(v);
  mergeQword(ctx, vecReg(ctx, 0), fromHigh ? 0 : 1, v);
};

/**
 * MOVD/MOVQ between a general register or memory and an MMX/XMM register: into a vector
 * register the value is zero-extended to its width (SDM Vol. 2B MOVD/MOVQ).
 */
const movd: Emit = (ctx) => {
  checkVector(ctx);
  const fb = ctx.fb;
  const ops = ctx.instr.form.operands;
  if (ops[0][0] === 'E') {
    const src = v128Local(ctx);
    if (isMmxOperand(ops[1])) loadMmx(ctx, vecReg(ctx, 1));
    else loadXmm(ctx, vecReg(ctx, 1));
    fb.set(src);
    const dst = ctx.operand(0);
    const val = ctx.i64();
    fb.get(src);
    simdLane(fb, Simd.i64x2_extract_lane, 0);
    ctx.mask(dst.size);
    fb.set(val);
    ctx.write(dst, val);
    return;
  }
  ctx.read(ctx.operand(1));
  i64ToV128(ctx);
  const v = v128Local(ctx);
  fb.set(v);
  writeVec(ctx, 0, v);
};

/**
 * MOVQ: between MMX registers and memory a plain move; with XMM registers the quadword is
 * moved and bits 127:64 of a register destination cleared (F3 0F 7E, 66 0F D6).
 */
const movq: Emit = (ctx) => {
  if (isMmxForm(ctx)) return move(ctx);
  checkSse(ctx);
  const fb = ctx.fb;
  const v = readVecTo(ctx, 1);
  fb.get(v);
  simdLane(fb, Simd.i64x2_extract_lane, 0);
  i64ToV128(ctx);
  const r = v128Local(ctx);
  fb.set(r);
  writeVec(ctx, 0, r);
};

/** MOVQ2DQ / MOVDQ2Q: an SSE2 move that also puts the x87 unit in MMX mode. */
const movq2dq: Emit = (ctx) => {
  checkSse(ctx);
  checkMmx(ctx);
  const fb = ctx.fb;
  const r = v128Local(ctx);
  if (ctx.instr.form.mnemonic === 'movq2dq') loadMmx(ctx, vecReg(ctx, 1));
  else loadXmm(ctx, vecReg(ctx, 1));
  fb.set(r);
  writeVec(ctx, 0, r);
};

/** Duplicating moves: MOVSLDUP (dwords 0 0 2 2), MOVSHDUP (1 1 3 3), MOVDDUP (quadword 0 twice). */
const dup = (lanes: number[]): Emit => (ctx) => {
  checkSse(ctx);
  const v = readVecTo(ctx, 1);
  ctx.fb.get(v).get(v);
  shuffle(ctx.fb, lanes);
  const r = v128Local(ctx);
  ctx.fb.set(r);
  writeVec(ctx, 0, r);
};
const dwordLanes = (idx: number[]): number[] => idx.flatMap((d) => laneBytes(d, 4, 0));

/** MOVMSKPS / MOVMSKPD / PMOVMSKB: the sign bits into a general register, zero-extended. */
const moveMask = (code: Simd): Emit => (ctx) => {
  checkVector(ctx);
  const fb = ctx.fb;
  const v = readVecTo(ctx, 1);
  const r = ctx.i64();
  fb.get(v);
  simd(fb, code);
  fb.op(Op.i64_extend_i32_u).set(r);
  ctx.writeReg(ctx.instr.reg, 4, r);
};

/** MOVNTI: a general register stored with a non-temporal hint (no SSE state involved). */
const movnti: Emit = (ctx) => {
  const v = ctx.readTo(ctx.operand(1));
  ctx.write(ctx.operand(0), v);
};

// ---- insert and extract ----------------------------------------------------------------

const LANE_OPS = {
  1: { extract: Simd.i8x16_extract_lane_u, replace: Simd.i8x16_replace_lane },
  2: { extract: Simd.i16x8_extract_lane_u, replace: Simd.i16x8_replace_lane },
  4: { extract: Simd.i32x4_extract_lane, replace: Simd.i32x4_replace_lane },
  8: { extract: Simd.i64x2_extract_lane, replace: Simd.i64x2_replace_lane },
} as const;

/**
 * PINSRB/W/D/Q: an element from a general register (its low bits) or memory (exactly the
 * element's size) into the lane imm8 selects (modulo the lane count).
 */
const insert = (fixed?: 1 | 2 | 4): Emit => (ctx) => {
  checkVector(ctx);
  const fb = ctx.fb;
  const size = fixed ?? (ctx.instr.opSize === 8 ? 8 : 4);
  const width = isMmxForm(ctx) ? 8 : 16;
  const lane = ctx.instr.imm % (width / size);
  const val = ctx.i64();
  // A register supplies its low bits; memory exactly the element.
  ctx.read(ctx.operand(1, ctx.instr.mem !== null || size === 8 ? size : 4));
  fb.set(val);
  const a = readVecTo(ctx, 0);
  fb.get(a).get(val);
  if (size !== 8) fb.op(Op.i32_wrap_i64);
  simdLane(fb, LANE_OPS[size].replace, lane);
  const r = v128Local(ctx);
  fb.set(r);
  writeVec(ctx, 0, r);
};

/**
 * PEXTRB/W/D/Q, EXTRACTPS: the element imm8 selects to memory (its size) or to a general
 * register, zero-extended (SDM Vol. 2B PEXTRB: "the upper bits of r32/r64 are zeroed").
 */
const extract = (fixed?: 1 | 2 | 4): Emit => (ctx) => {
  checkVector(ctx);
  const fb = ctx.fb;
  const ops = ctx.instr.form.operands;
  const size = fixed ?? (ctx.instr.opSize === 8 ? 8 : 4);
  const width = isMmxOperand(ops[1]) ? 8 : 16;
  const lane = ctx.instr.imm % (width / size);
  const v = readVecTo(ctx, 1);
  const val = ctx.i64();
  fb.get(v);
  simdLane(fb, LANE_OPS[size].extract, lane);
  if (size !== 8) fb.op(Op.i64_extend_i32_u);
  fb.set(val);
  const dst = ctx.instr.mem !== null ? ctx.operand(0, size === 8 ? 8 : size) : ctx.operand(0, size === 8 ? 8 : 4);
  ctx.write(dst, val);
};

/**
 * INSERTPS: a dword (the source register's dword imm8[7:6], or the memory dword) into dword
 * imm8[5:4], then the dwords set in imm8[3:0] cleared (SDM Vol. 2A INSERTPS).
 */
const insertps: Emit = (ctx) => {
  checkSse(ctx);
  const fb = ctx.fb;
  const imm = ctx.instr.imm & 0xff;
  const b = readVecTo(ctx, 1);
  const a = readVecTo(ctx, 0);
  const from = ctx.instr.mem !== null ? 0 : imm >> 6;
  fb.get(a).get(b);
  simdLane(fb, Simd.i32x4_extract_lane, from);
  simdLane(fb, Simd.i32x4_replace_lane, (imm >> 4) & 3);
  const r = v128Local(ctx);
  fb.set(r);
  if (imm & 0xf) {
    const keep: number[] = [];
    for (let d = 0; d < 4; d++) keep.push(...Array<number>(4).fill(imm & (1 << d) ? 0 : 0xff));
    fb.get(r);
    v128Const(fb, keep);
    simd(fb, Simd.v128_and);
    fb.set(r);
  }
  storeXmm(ctx, vecReg(ctx, 0), r);
};

/**
 * MASKMOVQ / MASKMOVDQU: the bytes of the first register whose mask byte (second register)
 * has bit 7 set are stored at DS:rDI (segment override allowed; SDM Vol. 2B MASKMOVDQU).
 */
const maskmov: Emit = (ctx) => {
  checkVector(ctx);
  const fb = ctx.fb;
  const i = ctx.instr;
  const width = isMmxForm(ctx) ? 8 : 16;
  const data = readVecTo(ctx, 0);
  const mask = readVecTo(ctx, 1);
  const seg = i.segOverride >= 0 ? i.segOverride : 3; // DS
  const off = ctx.i64();
  const byte = ctx.i64();
  for (let k = 0; k < width; k++) {
    fb.get(mask);
    simdLane(fb, Simd.i8x16_extract_lane_u, k);
    fb.i32Const(0x80).op(Op.i32_and);
    fb.if_();
    ctx.readReg(Reg.RDI, i.addrSize);
    fb.i64Const(k).op(Op.i64_add);
    ctx.mask(i.addrSize);
    fb.set(off);
    fb.get(data);
    simdLane(fb, Simd.i8x16_extract_lane_u, k);
    fb.op(Op.i64_extend_i32_u).set(byte);
    ctx.writeMem(seg, off, 1, byte);
    fb.end();
  }
};

export const sseMoveEmitters: Record<string, Emit> = {
  movaps: move, movapd: move, movups: move, movupd: move, movdqa: move, movdqu: move, lddqu: move,
  movntps: move, movntpd: move, movntdq: move, movntdqa: move, movntq: move,
  movss: scalarMove(4), movsd: scalarMove(8),
  movlps: halfMove(0), movlpd: halfMove(0), movhps: halfMove(1), movhpd: halfMove(1),
  movhlps: regHalves(true), movlhps: regHalves(false),
  movd, movq, movq2dq, movdq2q: movq2dq,
  movsldup: dup(dwordLanes([0, 0, 2, 2])), movshdup: dup(dwordLanes([1, 1, 3, 3])),
  movddup: dup([...laneBytes(0, 8, 0), ...laneBytes(0, 8, 0)]),
  movmskps: moveMask(Simd.i32x4_bitmask), movmskpd: moveMask(Simd.i64x2_bitmask), pmovmskb: moveMask(Simd.i8x16_bitmask),
  movnti,
  pinsrw: insert(2), pinsrb: insert(1), pinsrd: insert(),
  pextrw: extract(2), pextrb: extract(1), pextrd: extract(), extractps: extract(4),
  insertps,
  maskmovq: maskmov, maskmovdqu: maskmov,
};
