// State management and housekeeping of the SIMD units: LDMXCSR/STMXCSR, FXSAVE/FXRSTOR,
// XSAVE/XSAVEOPT/XSAVEC/XSAVES/XRSTOR/XRSTORS, XGETBV/XSETBV, EMMS, the fences and CLFLUSH
// (SDM Vol. 2A-2D, each instruction's page; Vol. 1 chapter 13 for the XSAVE feature set).
import { fxrstor, fxsave, writeXcr0, xinuse, xrstor, xsave, xsaveCompacted, XSAVE_AREA_SIZE } from '../../core/cpu/xsave.ts';
import { Feature, type CpuidFeature } from '../../core/cpu/cpuid.ts';
import { MXCSR_MASK } from '../../core/simd/mxcsr.ts';
import { Cr0, Cr4, Reg, Vector } from '../../core/cpu/registers.ts';
import { GuestFault } from '../../core/cpu/faults.ts';
import type { Cpu } from '../../core/cpu/cpu.ts';
import type { BlockContext, Location } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { checkSse, type Emit } from './sse-common.ts';
import { requireFeature } from './bmi.ts';

/** The x87 tag word with every register empty (SDM Vol. 1 8.1.7). */
const FTW_ALL_EMPTY = 0xffff;
/** Alignment of the FXSAVE and XSAVE areas (SDM Vol. 2A FXSAVE, XSAVE: #GP(0) otherwise). */
const FXSAVE_ALIGN = 16;
const XSAVE_ALIGN = 64;
const FXSAVE_SIZE = 512;

/** Emits: raise `vector` when (CR0 or CR4 masked by `bits`) compares as `when` says. */
function faultIf(ctx: BlockContext, reg: 'cr0' | 'cr4', bits: number, whenSet: boolean, vector: number): void {
  const fb = ctx.fb;
  fb.i32Const(0).mem(Op.i32_load, ctx.addr(reg)).i32Const(bits).op(Op.i32_and);
  if (!whenSet) fb.op(Op.i32_eqz);
  fb.if_();
  ctx.raise(vector, 0);
  fb.end();
}

/**
 * The linear address of the save area of `size` bytes at the memory operand, after the
 * segment-limit check on its first and last bytes (with the write bounds for a save, so a
 * read-only segment is #GP(0), SDM Vol. 3A 5.4.1) and the alignment check (#GP(0)); stored
 * in `simdTmp` for the helper.
 */
function stageArea(ctx: BlockContext, size: number, align: number, write: boolean): void {
  const fb = ctx.fb;
  const loc = ctx.operand(0) as Extract<Location, { kind: 'mem' }>;
  const lin = ctx.i64();
  ctx.linear(loc.seg, loc.offset, 8, write);
  fb.set(lin);
  if (ctx.mode.codeSize !== 8) {
    const last = ctx.i64();
    fb.get(loc.offset).i64Const(size - 8).op(Op.i64_add).set(last);
    ctx.linear(loc.seg, last, 8, write);
    fb.op(Op.drop);
  }
  fb.get(lin).i64Const(align - 1).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
  fb.if_();
  ctx.raise(Vector.GP, 0);
  fb.end();
  fb.i32Const(0).get(lin).mem(Op.i64_store, ctx.addr('simdTmp'));
}

const areaOf = (cpu: Cpu): number => cpu.state.getLinear('simdTmp');
const rexW = (ctx: BlockContext): boolean => (ctx.instr.rex & 8) !== 0;

/** FXSAVE/FXRSTOR: CR0.EM or CR0.TS is #NM (SDM Vol. 2A FXSAVE "Protected Mode Exceptions"). */
const fxEmit = (restore: boolean): Emit => (ctx) => {
  faultIf(ctx, 'cr0', Cr0.EM | Cr0.TS, true, Vector.NM);
  stageArea(ctx, FXSAVE_SIZE, FXSAVE_ALIGN, !restore);
  const w = rexW(ctx);
  ctx.helper((cpu, site) => (restore ? fxrstor(cpu, areaOf(cpu), w, site.delta) : fxsave(cpu, areaOf(cpu), w)), false);
};

/** The XSAVE-family instructions and what their helper does with the area. */
type XsaveOp = 'xsave' | 'xsaveopt' | 'xrstor' | 'xsavec' | 'xsaves' | 'xrstors';

function runXsave(op: XsaveOp, cpu: Cpu, lin: number, w: boolean, delta: number): void {
  switch (op) {
    case 'xsave':
    case 'xsaveopt':
      return xsave(cpu, lin, w, op === 'xsaveopt');
    case 'xsavec':
    case 'xsaves':
      return xsaveCompacted(cpu, lin, w, op === 'xsaves');
    case 'xrstor':
    case 'xrstors':
      return xrstor(cpu, lin, w, delta, op === 'xrstors');
  }
}

/**
 * The XSAVE family: #UD when CPUID does not enumerate the instruction (XSAVEC, XSAVES) or
 * CR4.OSXSAVE = 0, #NM with CR0.TS, #GP(0) at CPL > 0 for XSAVES and XRSTORS, then the area's
 * limit and 64-byte alignment (SDM Vol. 2D XSAVE, XSAVEC, XSAVES, XRSTOR, XRSTORS exceptions).
 */
const xsaveEmit = (op: XsaveOp, feature?: CpuidFeature): Emit => (ctx) => {
  if (feature && !requireFeature(ctx, feature)) return;
  faultIf(ctx, 'cr4', Cr4.OSXSAVE, false, Vector.UD);
  faultIf(ctx, 'cr0', Cr0.TS, true, Vector.NM);
  if ((op === 'xsaves' || op === 'xrstors') && (ctx.mode.cpl !== 0 || ctx.mode.vm86)) {
    ctx.raise(Vector.GP, 0);
    ctx.ended = true;
    return;
  }
  stageArea(ctx, XSAVE_AREA_SIZE, XSAVE_ALIGN, op !== 'xrstor' && op !== 'xrstors');
  const w = rexW(ctx);
  ctx.helper((cpu, site) => runXsave(op, cpu, areaOf(cpu), w, site.delta), false);
};

/** LDMXCSR m32: reserved bits set are #GP(0) (SDM Vol. 2A LDMXCSR). */
const ldmxcsr: Emit = (ctx) => {
  const fb = ctx.fb;
  checkSse(ctx);
  const v = ctx.readTo(ctx.operand(0));
  fb.get(v).i64Const(~MXCSR_MASK & 0xffffffff).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
  fb.if_();
  ctx.raise(Vector.GP, 0);
  fb.end();
  ctx.storeField('mxcsr', v);
};

const stmxcsr: Emit = (ctx) => {
  checkSse(ctx);
  const v = ctx.i64();
  ctx.loadField('mxcsr');
  ctx.fb.set(v);
  ctx.write(ctx.operand(0), v);
};

/** XGETBV: ECX 0 reads XCR0, ECX 1 XCR0 AND XINUSE (CPUID.(EAX=0DH,ECX=1):EAX[2]); others #GP(0). */
const xgetbv: Emit = (ctx) => {
  faultIf(ctx, 'cr4', Cr4.OSXSAVE, false, Vector.UD);
  ctx.helper((cpu, site) => {
    const s = cpu.state;
    const ecx = s.getLo('gpr', Reg.RCX);
    if (ecx > 1) throw new GuestFault(Vector.GP, 0, site.delta);
    s.setLo('gpr', ecx === 0 ? s.getLo('xcr0') : s.getLo('xcr0') & xinuse(cpu), Reg.RAX);
    s.setLo('gpr', 0, Reg.RDX);
  }, false);
};

/** XSETBV: CPL 0 only, ECX must be 0 (SDM Vol. 2D XSETBV). */
const xsetbv: Emit = (ctx) => {
  faultIf(ctx, 'cr4', Cr4.OSXSAVE, false, Vector.UD);
  const privileged = ctx.mode.cpl === 0 && !ctx.mode.vm86;
  ctx.helper((cpu, site) => {
    const s = cpu.state;
    if (!privileged || s.getLo('gpr', Reg.RCX) !== 0) throw new GuestFault(Vector.GP, 0, site.delta);
    writeXcr0(cpu, s.getLo('gpr', Reg.RAX), s.getLo('gpr', Reg.RDX), site.delta);
  }, false);
};

/** EMMS: every x87 tag empty (SDM Vol. 2A EMMS); #UD with CR0.EM, #NM with CR0.TS, #MF when an x87 exception is pending. */
const emms: Emit = (ctx) => {
  const fb = ctx.fb;
  faultIf(ctx, 'cr0', Cr0.EM, true, Vector.UD);
  faultIf(ctx, 'cr0', Cr0.TS, true, Vector.NM);
  fb.i32Const(0).mem(Op.i32_load16_u, ctx.addr('fpuSw')).i32Const(1 << 7).op(Op.i32_and);
  fb.if_();
  ctx.raise(Vector.MF, 0);
  fb.end();
  fb.i32Const(0).i32Const(FTW_ALL_EMPTY).mem(Op.i32_store16, ctx.addr('fpuTw'));
};

/**
 * LFENCE, MFENCE, SFENCE: each vCPU executes its instructions in order and its stores reach
 * the shared memory in order, so there is nothing to wait for. CLFLUSH: there is no cache to
 * write back; the line's address is not accessed (an access to an MMIO line would be a
 * device read).
 */
const ordering: Emit = () => {};

export const sseStateEmitters: Record<string, Emit> = {
  fxsave: fxEmit(false),
  fxrstor: fxEmit(true),
  xsave: xsaveEmit('xsave'),
  xsaveopt: xsaveEmit('xsaveopt'),
  xrstor: xsaveEmit('xrstor'),
  xsavec: xsaveEmit('xsavec', Feature.XSAVEC),
  xsaves: xsaveEmit('xsaves', Feature.XSAVES),
  xrstors: xsaveEmit('xrstors', Feature.XSAVES),
  ldmxcsr,
  stmxcsr,
  xgetbv,
  xsetbv,
  emms,
  lfence: ordering,
  mfence: ordering,
  sfence: ordering,
  clflush: ordering,
};
