// x87 instructions (D8-DF escapes, SDM Vol. 2D A.4) and FWAIT. Each instruction is one
// cold-path call (core/fpu/execute.ts) bound at translation time; a memory operand's
// address is computed and limit-checked in generated code and passed as a linear address
// through the `scratch` field. The FPU state fields in core/cpu/layout.ts stay the
// architectural truth between instructions, as FXSAVE/XSAVE expect.
//
// The commonest instructions have a Wasm fast path in front of the call (x87-fast.ts, mostly
// calls of the per-vCPU x87 runtime module x87-runtime.ts): FLD m32/m64/ST(i), FST/FSTP
// m32/m64/ST(i), FXCH, FLD1, FLDZ, FCHS, FABS, FILD, FIST(P), FNSTSW, FADD/FMUL/FSUB/FSUBR/
// FDIV/FDIVR(P) and the FCOM/FUCOM/FCOMI/FUCOMI/FTST family, for the cases that need no
// exception and no rounding other than round-to-nearest (at 53 or 64 bits of precision
// control) of normal or zero values to a normal or zero result. Anything else (an empty or
// full stack, a NaN, infinity in arithmetic, denormal or unnormal, a directed rounding mode,
// PC = 24 bits, an unmasked PE, a pending exception, CR0.EM/TS) takes the cold path in the
// same block, so both give the same bits; tests/fixtures/x87/*.jsonl check them against the
// host at every tier, tests/unit/x87-fast-host.test.ts the hard cases.
import { fwait as fwaitCold, memoryBytes, X87_MNEMONICS, x87Instruction, type X87Site } from '../../core/fpu/execute.ts';
import { Cr0, Vector } from '../../core/cpu/registers.ts';
import { NON_WAITING } from '../../core/fpu/ops-control.ts';
import { Sw } from '../../core/fpu/status.ts';
import { Op } from '../wasm/encoder.ts';
import { type BlockContext, Import, type Size } from '../context.ts';
import { emitFast } from './x87-fast.ts';
import { fastKind } from './x87-fast-forms.ts';
import { scratch } from './x87-fields.ts';

type Emit = (ctx: BlockContext) => void;

function siteOf(ctx: BlockContext): X87Site {
  const i = ctx.instr;
  return {
    mnemonic: i.form.mnemonic,
    form: { opcode: i.opcode, mem: i.mem !== null, reg: i.reg & 7 },
    operand: i.mem === null ? undefined : i.form.operands[0],
    rm: i.rm & 7,
    opSize: i.opSize,
    modrm: (i.mod << 6) | ((i.reg & 7) << 3) | (i.rm & 7),
    seg: i.mem?.seg ?? 0,
    long: ctx.mode.codeSize === 8,
    realFormat: !ctx.mode.protectedMode,
  };
}

/**
 * The x87 instructions that write their memory operand: their limit check uses the write
 * bounds, so a read-only data segment or a code segment faults with #GP(0) (SDM Vol. 3A 5.4.1)
 * before anything is stored.
 */
const X87_STORES = new Set(['fst', 'fstp', 'fist', 'fistp', 'fisttp', 'fbstp', 'fnstcw', 'fnstsw', 'fnstenv', 'fnsave']);

/**
 * #NM (CR0.EM or TS; a decode-time fault, SDM Vol. 3A 6.9 Table 6-2 and Table 2-2) and, for a
 * waiting instruction, #MF (a pending unmasked exception with CR0.NE, Vol. 1 8.7) come before
 * any fault of the memory operand, whose segment limit generated code checks ahead of the
 * cold path and which the fast path reads in the block: both paths start after these.
 */
function faultsBeforeOperand(ctx: BlockContext, waits: boolean): void {
  const fb = ctx.fb;
  const nm = ctx.i32();
  fb.i32Const(0).mem(Op.i32_load, ctx.addr('cr0')).i32Const(Cr0.EM | Cr0.TS).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz).tee(nm);
  if (waits) {
    fb.i32Const(0).mem(Op.i32_load16_u, ctx.addr('fpuSw')).i32Const(Sw.ES).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz);
    fb.i32Const(0).mem(Op.i32_load, ctx.addr('cr0')).i32Const(Cr0.NE).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_eqz).op(Op.i32_and).op(Op.i32_or);
  }
  fb.if_();
  // ctx.raise with the vector chosen at run time (one call site): flags are already written.
  ctx.flags.materializeKeeping();
  ctx.xmm.spillForFault();
  fb.i32Const(Vector.NM).i32Const(Vector.MF).get(nm).op(Op.select).i32Const(0).i32Const(ctx.delta).call(Import.Raise).op(Op.unreachable);
  fb.end();
}

/** The cold path: the whole instruction in core/fpu. */
function x87Helper(ctx: BlockContext, site: X87Site): void {
  const i = ctx.instr;
  const run = x87Instruction(site);
  if (i.mem !== null) {
    // The limit check covers the whole operand (up to 108 bytes for FNSAVE; SDM Vol. 3A 5.3).
    const size = memoryBytes(site);
    const offset = ctx.i64();
    ctx.effectiveAddress(i.mem);
    ctx.fb.set(offset);
    const lin = ctx.i64();
    ctx.linear(i.mem.seg, offset, size as Size, X87_STORES.has(i.form.mnemonic));
    ctx.fb.set(lin);
    ctx.storeField('scratch', lin);
  }
  ctx.helper((cpu, s) => run(cpu, s.rip, () => cpu.state.getLinear('scratch')), false);
}

/** Whether blocks compiled from now on get the fast path (off only to measure it or to compare both paths). */
export const x87FastPath = { enabled: true };

const x87: Emit = (ctx) => {
  const site = siteOf(ctx);
  const f = x87FastPath.enabled ? fastKind(ctx) : undefined;
  // Flags are written out on both paths alike (the cold path's helper call would do it on one),
  // and first, so that the fault checks need not write them again.
  ctx.resolveLazyFlags();
  ctx.flags.materialize();
  if (ctx.instr.mem !== null) faultsBeforeOperand(ctx, !NON_WAITING.has(site.mnemonic));
  if (f === undefined) return x87Helper(ctx, site);
  const fb = ctx.fb;
  fb.block().block();
  scratch(ctx).reset();
  emitFast(ctx, f, ((site.form.opcode & 7) << 8) | site.modrm);
  fb.br(1).end();
  x87Helper(ctx, site);
  fb.end();
};

/** FWAIT/WAIT (9B): #NM with CR0.MP and TS, #MF for a pending unmasked x87 exception. */
const fwait: Emit = (ctx) => {
  ctx.helper((cpu) => fwaitCold(cpu), false);
};

export const x87Emitters: Record<string, Emit> = {
  ...Object.fromEntries(X87_MNEMONICS.map((m) => [m, x87])),
  fwait,
};
