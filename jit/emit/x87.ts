// x87 instructions (D8-DF escapes, SDM Vol. 2D A.4) and FWAIT. Each instruction is one
// cold-path call (core/fpu/execute.ts) bound at translation time; a memory operand's
// address is computed and limit-checked in generated code and passed as a linear address
// through the `scratch` field. The FPU state fields in core/cpu/layout.ts stay the
// architectural truth between instructions, as FXSAVE/XSAVE expect.
import { fwait as fwaitCold, memoryBytes, X87_MNEMONICS, x87Instruction, type X87Site } from '../../core/fpu/execute.ts';
import type { BlockContext, Size } from '../context.ts';

type Emit = (ctx: BlockContext) => void;

const x87: Emit = (ctx) => {
  const i = ctx.instr;
  const operand = i.mem === null ? undefined : i.form.operands[0];
  const site: X87Site = {
    mnemonic: i.form.mnemonic,
    form: { opcode: i.opcode, mem: i.mem !== null, reg: i.reg & 7 },
    operand,
    rm: i.rm & 7,
    opSize: i.opSize,
    modrm: (i.mod << 6) | ((i.reg & 7) << 3) | (i.rm & 7),
    seg: i.mem?.seg ?? 0,
    long: ctx.mode.codeSize === 8,
    realFormat: !ctx.mode.protectedMode,
  };
  const run = x87Instruction(site);
  if (i.mem !== null) {
    // The limit check covers the whole operand (up to 108 bytes for FNSAVE; SDM Vol. 3A 5.3).
    const size = memoryBytes(site);
    const offset = ctx.i64();
    ctx.effectiveAddress(i.mem);
    ctx.fb.set(offset);
    const lin = ctx.i64();
    ctx.linear(i.mem.seg, offset, size as Size);
    ctx.fb.set(lin);
    ctx.storeField('scratch', lin);
  }
  ctx.helper((cpu, s) => run(cpu, s.rip, () => cpu.state.getLinear('scratch')), false);
};

/** FWAIT/WAIT (9B): #NM with CR0.MP and TS, #MF for a pending unmasked x87 exception. */
const fwait: Emit = (ctx) => {
  ctx.helper((cpu) => fwaitCold(cpu), false);
};

export const x87Emitters: Record<string, Emit> = {
  ...Object.fromEntries(X87_MNEMONICS.map((m) => [m, x87])),
  fwait,
};
