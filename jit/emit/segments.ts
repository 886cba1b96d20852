// Segment register loads and stores: MOV Sreg, r/m; MOV r/m, Sreg; POP Sreg; LDS LES LFS LGS
// LSS (SDM Vol. 2A/2B). The memory operand is read in generated code first (it may fault);
// the load itself, with its protection checks, runs on the cold path (core/cpu/segments.ts).
// Loading SS ends the block, since the stack size is part of the translation mode; MOV SS and
// POP SS also block interrupts for one instruction (SDM Vol. 3A 6.8.3).
import type { VcpuFieldName } from '../../core/cpu/layout.ts';
import { Reg, Seg, SegAttr } from '../../core/cpu/registers.ts';
import { REAL_DATA_ATTR, VM86_SEGMENT_ATTR, loadDataSegment } from '../../core/cpu/segments.ts';
import type { BlockContext } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { pop } from './stack.ts';

type Emit = (ctx: BlockContext) => void;

/** Segment register operands of PUSH/POP in Sreg encoding order. */
const SREG_OPERANDS: Readonly<Record<string, Seg>> = {
  ES: Seg.ES, CS: Seg.CS, SS: Seg.SS, DS: Seg.DS, FS: Seg.FS, GS: Seg.GS,
};


/**
 * Loads `seg` with the selector in `value` (i64 local). Real-address and virtual-8086 mode
 * loads cannot fault and are emitted inline (SDM Vol. 3A 20.1.1, 20.2.1), the same as
 * loadReal/loadVm86; protected-mode loads, with their checks, run on the cold path.
 */
function emitLoad(ctx: BlockContext, seg: Seg, value: number, shadow: boolean): void {
  if (ctx.mode.protectedMode) {
    ctx.storeField('scratch', value);
    ctx.helper((cpu) => {
      loadDataSegment(cpu, seg, cpu.state.getLo('scratch') & 0xffff);
      return false;
    }, false);
  } else emitRealModeLoad(ctx, seg, value);
  if (shadow) storeConst(ctx, 'interruptShadow', 1);
}

function storeConst(ctx: BlockContext, name: VcpuFieldName, v: number, index = 0): void {
  const l = ctx.i64();
  ctx.fb.i64Const(v).set(l);
  ctx.storeField(name, l, index);
}

function emitRealModeLoad(ctx: BlockContext, seg: Seg, value: number): void {
  const fb = ctx.fb;
  const sel = ctx.i64();
  fb.get(value).i64Const(0xffff).op(Op.i64_and).set(sel);
  ctx.storeField('segSel', sel, seg);
  const base = ctx.i64();
  fb.get(sel).i64Const(4).op(Op.i64_shl).set(base);
  ctx.storeField('segBase', base, seg);
  const flat16 = (attr: number): void => {
    storeConst(ctx, 'segLimit', 0xffff, seg);
    storeConst(ctx, 'segAttr', attr, seg);
    storeConst(ctx, 'segLo', 0, seg);
    storeConst(ctx, 'segHi', 0xffff, seg);
    storeConst(ctx, 'segWriteLo', 0, seg);
    storeConst(ctx, 'segWriteHi', 0xffff, seg);
  };
  if (ctx.mode.vm86) return flat16(VM86_SEGMENT_ATTR);
  // Real mode keeps the limit and attributes, so the limit bounds stay valid too; a register
  // a protected-mode null load left unusable becomes 64-KiB read/write data.
  const attr = ctx.i64();
  ctx.loadField('segAttr', seg);
  fb.set(attr);
  fb.get(attr).i64Const(SegAttr.UNUSABLE).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
  fb.if_();
  flat16(REAL_DATA_ATTR);
  fb.else_();
  fb.get(attr).i64Const(SegAttr.P).op(Op.i64_or).set(attr);
  ctx.storeField('segAttr', attr, seg);
  fb.end();
}

/** Ends the block after this instruction (RIP = next). */
function endAfter(ctx: BlockContext): void {
  ctx.nextRip();
  ctx.setRipFromStack();
  ctx.ended = true;
}

/** MOV Sreg, r/m16 (8E) and MOV r/m, Sreg (8C). */
export function movSegment(ctx: BlockContext): void {
  const i = ctx.instr;
  if (i.form.operands[1] === 'Sw') {
    // A store to memory writes 16 bits; to a register, the selector zero-extended to the
    // operand size (P6 and later; SDM Vol. 2B MOV).
    const sel = ctx.i64();
    ctx.loadField('segSel', i.reg);
    ctx.fb.set(sel);
    ctx.write(ctx.operand(0, i.mem ? 2 : i.opSize), sel);
    return;
  }
  const v = ctx.readTo(ctx.operand(1, 2));
  const seg = i.reg as Seg;
  emitLoad(ctx, seg, v, seg === Seg.SS);
  if (seg === Seg.SS) endAfter(ctx);
}

/** POP ES/SS/DS/FS/GS: the stack read first, the load, then RSP (SDM Vol. 2B POP). */
export function popSegment(ctx: BlockContext): void {
  const i = ctx.instr;
  const seg = SREG_OPERANDS[i.form.operands[0]];
  const [value, next] = pop(ctx, i.opSize);
  emitLoad(ctx, seg, value, seg === Seg.SS);
  ctx.writeReg(Reg.RSP, ctx.mode.stackSize, next);
  if (seg === Seg.SS) endAfter(ctx);
}

/**
 * Reads a far pointer m16:16/32/64 at operand `n`: returns [offset, selector] locals (i64).
 * The offset comes first in memory, the selector after it (SDM Vol. 2A LDS).
 */
export function readFarPointer(ctx: BlockContext, n: number): [number, number] {
  const i = ctx.instr;
  const fb = ctx.fb;
  const loc = ctx.operand(n, i.opSize);
  if (loc.kind !== 'mem') throw new Error('far pointer operand is not in memory');
  const offset = ctx.i64();
  ctx.readMem(loc.seg, loc.offset, i.opSize);
  fb.set(offset);
  const at = ctx.i64();
  fb.get(loc.offset).i64Const(i.opSize).op(Op.i64_add);
  ctx.mask(i.addrSize);
  fb.set(at);
  const sel = ctx.i64();
  ctx.readMem(loc.seg, at, 2);
  fb.set(sel);
  return [offset, sel];
}

/** LDS LES LFS LGS LSS r, m16:16/32/64: segment first (it may fault), then the register. */
function loadFarPointer(seg: Seg): Emit {
  return (ctx) => {
    const i = ctx.instr;
    const [offset, sel] = readFarPointer(ctx, 1);
    emitLoad(ctx, seg, sel, false);
    ctx.writeReg(i.reg, i.opSize, offset);
    if (seg === Seg.SS) endAfter(ctx);
  };
}

export const segmentEmitters: Record<string, Emit> = {
  les: loadFarPointer(Seg.ES),
  lds: loadFarPointer(Seg.DS),
  lss: loadFarPointer(Seg.SS),
  lfs: loadFarPointer(Seg.FS),
  lgs: loadFarPointer(Seg.GS),
};
