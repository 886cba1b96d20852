// System instructions (SDM Vol. 2A/2B instruction pages, Vol. 3A chapter 2): MOV to/from
// control and debug registers, LMSW SMSW CLTS INVLPG INVPCID INVD WBINVD HLT, CLI STI CLAC
// STAC PUSHF POPF, LGDT LIDT SGDT SIDT LLDT SLDT LTR STR (with UMIP), RDPKRU WRPKRU, LAR LSL
// VERR VERW ARPL, UD2 UD1 and BOUND.
//
// CPUID-dependent #UD (CLAC/STAC, INVPCID) is decided at compile time: the CPUID table is
// fixed once the vCPU has run (KVM refuses a different KVM_SET_CPUID2 after KVM_RUN).
//
// Checks that depend only on the translation mode (CPL, real or virtual-8086 mode) are made
// at compile time: blocks are cached per mode (core/cpu/mode.ts), so a privileged
// instruction at CPL 3 compiles to a plain #GP(0). Checks on run-time state (IOPL, CR4,
// DR7, descriptors) are emitted inline or made on the cold path (core/cpu/system-regs.ts,
// core/cpu/dtables.ts). Values for a cold-path helper pass through the `scratch` field.
import type { Cpu } from '../../core/cpu/cpu.ts';
import { loadAccessRights, loadLdt, loadSegmentLimit, loadTr, PSEUDO_DESCRIPTOR_BASE16_MASK, verifySegment } from '../../core/cpu/dtables.ts';
import { ExitSignal, GuestFault, InternalError } from '../../core/cpu/faults.ts';
import { cpuidHas, Feature } from '../../core/cpu/cpuid.ts';
import { Shadow } from '../../core/cpu/debug.ts';
import { Cr0, Cr4, Flag, IOPL_SHIFT, Reg, Seg, Vector } from '../../core/cpu/registers.ts';
import {
  invalidatePage, invalidatePcid, loadMachineStatusWord, readDebugRegister, writeControlRegister, writeDebugRegister,
} from '../../core/cpu/system-regs.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import type { BlockContext, InsnSite, Location, Size } from '../context.ts';
import { Op } from '../wasm/encoder.ts';
import { pop, push } from './stack.ts';

type Emit = (ctx: BlockContext) => void;

// ---- shared checks and plumbing -------------------------------------------------------------

/** CPL 0 outside virtual-8086 mode, where privileged instructions run (SDM Vol. 3A 5.9). */
const atCpl0 = (ctx: BlockContext): boolean => ctx.mode.cpl === 0 && !ctx.mode.vm86;
const realMode = (ctx: BlockContext): boolean => !ctx.mode.protectedMode && !ctx.mode.vm86;

/** Raises `vector` at this instruction whatever the state, and ends the block there. */
function fault(ctx: BlockContext, vector: Vector): void {
  ctx.raise(vector, 0);
  ctx.ended = true;
}

/** #GP(0) outside CPL 0 (virtual-8086 mode is CPL 3). Returns whether the instruction goes on. */
function privileged(ctx: BlockContext): boolean {
  if (atCpl0(ctx)) return true;
  fault(ctx, Vector.GP);
  return false;
}

/** #UD in real and virtual-8086 mode, where the instruction "is not recognized". */
function protectedOnly(ctx: BlockContext): boolean {
  if (ctx.mode.protectedMode) return true;
  fault(ctx, Vector.UD);
  return false;
}

/**
 * UMIP (SDM Vol. 3A 2.5, CR4.UMIP): SGDT, SIDT, SLDT, SMSW and STR raise #GP(0) at CPL > 0,
 * virtual-8086 mode included, before any memory access. CR4 is read at run time.
 */
function umipCheck(ctx: BlockContext): void {
  if (atCpl0(ctx)) return;
  const fb = ctx.fb;
  fb.i32Const(0).mem(Op.i32_load, ctx.addr('cr4')).i32Const(Cr4.UMIP).op(Op.i32_and);
  fb.if_();
  ctx.raise(Vector.GP, 0);
  fb.end();
}

/** Runs `fn` on the cold path for this instruction; the faults it throws are reported at it. */
function cold(ctx: BlockContext, fn: (cpu: Cpu, site: InsnSite) => boolean | void, mayEndBlock: boolean): void {
  ctx.helper((cpu, site) => {
    try {
      return fn(cpu, site);
    } catch (e) {
      if ((e instanceof GuestFault || e instanceof InternalError) && e.delta < 0) e.delta = site.delta;
      throw e;
    }
  }, mayEndBlock);
}

/** For a helper that changed how later code runs: continue at the next instruction, in a new block. */
function continueAtNext(cpu: Cpu, site: InsnSite): true {
  cpu.state.setNum('rip', site.next);
  return true;
}


/** Reads operand `n` (a 16-bit selector or word; memory first, it may fault) into the scratch field. */
function operandToScratch(ctx: BlockContext, n: number): void {
  const v = ctx.readTo(ctx.operand(n));
  ctx.storeField('scratch', v);
}

const scratch16 = (cpu: Cpu): number => cpu.state.getLo('scratch') & 0xffff;

/** A general-purpose register's 64-bit value as [lo, hi] halves. */
function gprHalves(cpu: Cpu, reg: number): [number, number] {
  const a = cpu.state.addr('gpr', reg) >>> 2;
  return [cpu.state.u32[a], cpu.state.u32[a + 1]];
}

/** Writes a register on the cold path: 16-bit writes keep bits 63:16, wider ones zero-extend (SDM Vol. 1 3.4.1.1). */
function setGpr(cpu: Cpu, reg: number, size: Size, lo: number, hi = 0): void {
  const a = cpu.state.addr('gpr', reg);
  if (size === 2) {
    cpu.state.u16[a >>> 1] = lo;
    return;
  }
  cpu.state.u32[a >>> 2] = lo >>> 0;
  cpu.state.u32[(a >>> 2) + 1] = size === 8 ? hi >>> 0 : 0;
}

function setZf(cpu: Cpu, zf: boolean): void {
  const f = cpu.state.getLo('rflags');
  cpu.state.setLo('rflags', zf ? f | Flag.ZF : f & ~Flag.ZF);
}

/** Pushes the i32 EFLAGS (low half of RFLAGS in the state). */
function loadEflags(ctx: BlockContext): void {
  ctx.fb.i32Const(0).mem(Op.i32_load, ctx.addr('rflags'));
}

/** Emits #GP(0) when EFLAGS.IOPL < `level`: the IOPL-sensitive instructions (SDM Vol. 1 3.4.3.3; Vol. 3A 20.2.7 in virtual-8086 mode). */
function requireIopl(ctx: BlockContext, level: number): void {
  if (level === 0) return;
  const fb = ctx.fb;
  loadEflags(ctx);
  fb.i32Const(IOPL_SHIFT).op(Op.i32_shr_u).i32Const(3).op(Op.i32_and).i32Const(level).op(Op.i32_lt_u);
  fb.if_();
  ctx.raise(Vector.GP, 0);
  fb.end();
}

/** Pushes the i64 `offset + n`, wrapped to the address size: the second part of a memory operand. */
function offsetPlus(ctx: BlockContext, offset: number, n: number): number {
  const l = ctx.i64();
  ctx.fb.get(offset).i64Const(n).op(Op.i64_add);
  ctx.mask(ctx.instr.addrSize);
  ctx.fb.set(l);
  return l;
}

// ---- control and debug registers -----------------------------------------------------------

/** The state fields of the control registers MOV can name (SDM Vol. 2B MOV CR: CR1, CR5-CR7, CR9-CR15 are #UD). */
const CONTROL_FIELDS: Readonly<Record<number, 'cr0' | 'cr2' | 'cr3' | 'cr4' | 'cr8'>> = { 0: 'cr0', 2: 'cr2', 3: 'cr3', 4: 'cr4', 8: 'cr8' };

/**
 * MOV r, CRn / MOV CRn, r / MOV r, DRn / MOV DRn, r (0F 20-23). The general-purpose operand
 * is 64-bit in 64-bit mode and 32-bit elsewhere whatever the prefixes, and the ModRM mod
 * bits are ignored (SDM Vol. 2B MOV CR, MOV DR; the decoder forces a register operand).
 */
export function movControl(ctx: BlockContext): void {
  const i = ctx.instr;
  const toGpr = i.form.operands[0] === 'Rd';
  const size: Size = ctx.mode.codeSize === 8 ? 8 : 4;
  if (i.form.operands.includes('Cd')) movCr(ctx, i.reg, i.rm, toGpr, size);
  else movDr(ctx, i.reg, i.rm, toGpr, size);
}

function movCr(ctx: BlockContext, cr: number, gpr: number, toGpr: boolean, size: Size): void {
  const field = CONTROL_FIELDS[cr];
  // CR8 (the TPR) exists in 64-bit mode only. An invalid register is a decode-time #UD, ahead of #GP (SDM Vol. 3A 6.9, Table 6-2).
  if (field === undefined || (cr === 8 && ctx.mode.codeSize !== 8)) return fault(ctx, Vector.UD);
  if (!privileged(ctx)) return;
  if (toGpr) {
    const v = ctx.i64();
    ctx.loadField(field);
    ctx.fb.set(v);
    ctx.writeReg(gpr, size, v);
    return;
  }
  // Writes check reserved bits, flush the TLB and may switch modes: the block ends after them.
  cold(
    ctx,
    (cpu, site) => {
      const [lo, hi] = gprHalves(cpu, gpr);
      writeControlRegister(cpu, cr, lo, size === 8 ? hi : 0);
      return continueAtNext(cpu, site);
    },
    true,
  );
  ctx.ended = true;
}

function movDr(ctx: BlockContext, dr: number, gpr: number, toGpr: boolean, size: Size): void {
  // DR8-DR15 (REX.R) do not exist (SDM Vol. 2B MOV DR, 64-bit mode exceptions).
  if (dr > 7) return fault(ctx, Vector.UD);
  // CR4.DE, DR7.GD and the #UD/#GP/#DB order are run-time matters (core/cpu/system-regs.ts).
  if (toGpr) {
    cold(
      ctx,
      (cpu) => {
        const [lo, hi] = readDebugRegister(cpu, dr);
        setGpr(cpu, gpr, size, lo, hi);
      },
      false,
    );
    return;
  }
  // A write may enable breakpoints, which the run loop checks between single-instruction
  // blocks (core/cpu/debug.ts): the block ends after it.
  cold(
    ctx,
    (cpu, site) => {
      const [lo, hi] = gprHalves(cpu, gpr);
      writeDebugRegister(cpu, dr, lo, size === 8 ? hi : 0);
      return continueAtNext(cpu, site);
    },
    true,
  );
  ctx.ended = true;
}

/** LMSW r/m16: PE MP EM TS from the low 4 bits; may enter protected mode, so the block ends. */
const lmsw: Emit = (ctx) => {
  if (!privileged(ctx)) return;
  operandToScratch(ctx, 0);
  cold(
    ctx,
    (cpu, site) => {
      loadMachineStatusWord(cpu, scratch16(cpu));
      return continueAtNext(cpu, site);
    },
    true,
  );
  ctx.ended = true;
};

/**
 * SMSW: not privileged, but #GP(0) under UMIP at CPL > 0. A memory operand gets the low 16
 * bits of CR0; a register gets CR0 at the operand size (bits 31:16 too, as P6 and later
 * processors, Bochs and QEMU store them; SDM Vol. 2B SMSW calls them undefined for older CPUs).
 */
const smsw: Emit = (ctx) => {
  umipCheck(ctx);
  const dst = ctx.operand(0);
  const v = ctx.i64();
  ctx.loadField('cr0');
  ctx.fb.set(v);
  ctx.write(dst, v);
};

/** CLTS: clears CR0.TS (SDM Vol. 2A CLTS). */
const clts: Emit = (ctx) => {
  if (!privileged(ctx)) return;
  const v = ctx.i64();
  ctx.loadField('cr0');
  ctx.fb.i64Const(~Cr0.TS).op(Op.i64_and).set(v);
  ctx.storeField('cr0', v);
};

/**
 * INVLPG m: invalidates the TLB entries of the page holding the operand's linear address.
 * No segment-limit check applies and nothing is read (SDM Vol. 2A INVLPG).
 */
const invlpg: Emit = (ctx) => {
  if (!privileged(ctx)) return;
  const m = ctx.instr.mem!;
  const fb = ctx.fb;
  const lin = ctx.i64();
  ctx.effectiveAddress(m);
  if (ctx.mode.codeSize !== 8 || m.seg === Seg.FS || m.seg === Seg.GS) {
    ctx.loadField('segBase', m.seg);
    fb.op(Op.i64_add);
  }
  if (ctx.mode.codeSize !== 8) ctx.mask(4);
  fb.set(lin);
  ctx.storeField('scratch', lin);
  cold(ctx, (cpu) => invalidatePage(cpu, cpu.state.getLinear('scratch')), false);
};

/** INVD and WBINVD: privileged; there is no cache to write back or drop (SDM Vol. 2A INVD, WBINVD). */
const cacheControl: Emit = (ctx) => {
  privileged(ctx);
};

/** HLT: privileged (SDM Vol. 2A HLT); exits with KVM_EXIT_HLT and RIP at the next instruction, as KVM does. */
const hlt: Emit = (ctx) => {
  if (!privileged(ctx)) return;
  ctx.endAtNext();
  ctx.callHelper(() => {
    throw new ExitSignal(ExitReason.HLT);
  });
};

// ---- interrupt flag and EFLAGS -------------------------------------------------------------

/**
 * The IOPL that CLI, STI, PUSHF and POPF need: none in real mode, CPL in protected mode, 3 in
 * virtual-8086 mode (SDM Vol. 2A CLI Table 3-7; CR4.VME and CR4.PVI are not implemented).
 */
function iflagLevel(ctx: BlockContext): number {
  if (ctx.mode.vm86) return 3;
  return ctx.mode.protectedMode ? ctx.mode.cpl : 0;
}

/** CLI: IF = 0 when IOPL allows, else #GP(0) (SDM Vol. 2A CLI). */
const cli: Emit = (ctx) => {
  requireIopl(ctx, iflagLevel(ctx));
  const fb = ctx.fb;
  fb.i32Const(0);
  loadEflags(ctx);
  fb.i32Const(~Flag.IF).op(Op.i32_and).mem(Op.i32_store, ctx.addr('rflags'));
};

/**
 * STI: IF = 1 when IOPL allows, else #GP(0). When IF was 0, interrupts stay blocked until
 * the next instruction has run (SDM Vol. 3A 6.8.3): the block ends, and the run loop runs
 * that instruction alone under the shadow.
 */
const sti: Emit = (ctx) => {
  requireIopl(ctx, iflagLevel(ctx));
  const fb = ctx.fb;
  const old = ctx.i32();
  loadEflags(ctx);
  fb.set(old);
  fb.get(old).i32Const(Flag.IF).op(Op.i32_and).op(Op.i32_eqz).if_();
  fb.i32Const(0).i32Const(Shadow.Sti).mem(Op.i32_store, ctx.addr('interruptShadow'));
  fb.end();
  fb.i32Const(0).get(old).i32Const(Flag.IF).op(Op.i32_or).mem(Op.i32_store, ctx.addr('rflags'));
  ctx.endAtNext();
};

/** PUSHF/PUSHFD/PUSHFQ: the flags image with VM and RF cleared (SDM Vol. 2B PUSHF). */
const pushf: Emit = (ctx) => {
  if (ctx.mode.vm86) requireIopl(ctx, 3);
  ctx.flags.materialize();
  const v = ctx.i64();
  ctx.loadField('rflags');
  ctx.fb.i64Const(~(Flag.VM | Flag.RF)).op(Op.i64_and).set(v);
  push(ctx, v, ctx.instr.opSize);
};

/** Flags POPF always loads (in the popped width): status, TF, DF, NT, and AC and ID (toggleable: we are a Pentium). */
const POPF_ALWAYS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT | Flag.AC | Flag.ID;

/**
 * POPF/POPFD/POPFQ (SDM Vol. 2B POPF, Operation): IOPL changes only at CPL 0 (or in real
 * mode); IF only when CPL <= IOPL; VM, VIP, VIF and the reserved bits never change; a 32- or
 * 64-bit POPF clears RF. In virtual-8086 mode IOPL must be 3 (#GP(0) otherwise; no VME).
 * IF and TF may change, so the block ends.
 */
const popf: Emit = (ctx) => {
  const fb = ctx.fb;
  const m = ctx.mode;
  const size = ctx.instr.opSize;
  if (m.vm86) requireIopl(ctx, 3);
  ctx.flags.materialize();
  const [value, rsp] = pop(ctx, size);
  const width = size === 2 ? 0xffff : 0xffffffff;
  const always = POPF_ALWAYS & width;
  const old = ctx.i64();
  ctx.loadField('rflags');
  fb.set(old);
  const mask = ctx.i64();
  if (realMode(ctx) || atCpl0(ctx)) fb.i64Const(always | Flag.IF | Flag.IOPL);
  else if (m.vm86) fb.i64Const(always | Flag.IF);
  else {
    fb.i64Const(always | Flag.IF).i64Const(always);
    fb.get(old).i64Const(IOPL_SHIFT).op(Op.i64_shr_u).i64Const(3).op(Op.i64_and).i64Const(m.cpl).op(Op.i64_ge_u);
    fb.op(Op.select);
  }
  fb.set(mask);
  const flags = ctx.i64();
  fb.get(old).get(mask).i64Const(-1).op(Op.i64_xor).op(Op.i64_and);
  fb.get(value).get(mask).op(Op.i64_and).op(Op.i64_or);
  if (size !== 2) fb.i64Const(~Flag.RF).op(Op.i64_and);
  fb.set(flags);
  ctx.writeReg(Reg.RSP, m.stackSize, rsp);
  ctx.storeField('rflags', flags);
  ctx.endAtNext();
};

// ---- descriptor-table registers --------------------------------------------------------------

/**
 * LGDT/LIDT m: a 16-bit limit, then a 32-bit base (24-bit with a 16-bit operand size) or, in
 * 64-bit mode, a 64-bit base. Both are read before either register changes (SDM Vol. 2A LGDT).
 */
function loadTableRegister(table: 'gdtr' | 'idtr'): Emit {
  return (ctx) => {
    if (!privileged(ctx)) return;
    const fb = ctx.fb;
    const m = ctx.instr.mem!;
    const long = ctx.mode.codeSize === 8;
    const offset = ctx.i64();
    ctx.effectiveAddress(m);
    fb.set(offset);
    const limit = ctx.i64();
    ctx.readMem(m.seg, offset, 2);
    fb.set(limit);
    const base = ctx.i64();
    ctx.readMem(m.seg, offsetPlus(ctx, offset, 2), long ? 8 : 4);
    if (!long && ctx.instr.opSize === 2) fb.i64Const(PSEUDO_DESCRIPTOR_BASE16_MASK).op(Op.i64_and);
    fb.set(base);
    if (long) {
      // A non-canonical base is #GP(0) (SDM Vol. 2A LGDT/LIDT, 64-Bit Mode Exceptions).
      ctx.nonCanonical(base);
      fb.if_();
      ctx.raise(Vector.GP, 0);
      fb.end();
    }
    ctx.storeField(table === 'gdtr' ? 'gdtrLimit' : 'idtrLimit', limit);
    ctx.storeField(table === 'gdtr' ? 'gdtrBase' : 'idtrBase', base);
  };
}

/**
 * SGDT/SIDT m: not privileged, but #GP(0) under UMIP at CPL > 0. The limit, then the base: 32 bits,
 * or 64 in 64-bit mode. With a 16-bit operand size the Pentium stores a 24-bit base and a
 * zero sixth byte (SDM Vol. 2B SGDT, "IA-32 Architecture Compatibility": the 286 stored 1s
 * there, the Intel386 through Pentium Pro store 0s; QEMU does the same).
 */
function storeTableRegister(table: 'gdtr' | 'idtr'): Emit {
  return (ctx) => {
    umipCheck(ctx);
    const fb = ctx.fb;
    const m = ctx.instr.mem!;
    const long = ctx.mode.codeSize === 8;
    const offset = ctx.i64();
    ctx.effectiveAddress(m);
    fb.set(offset);
    const limit = ctx.i64();
    ctx.loadField(table === 'gdtr' ? 'gdtrLimit' : 'idtrLimit');
    fb.set(limit);
    const base = ctx.i64();
    ctx.loadField(table === 'gdtr' ? 'gdtrBase' : 'idtrBase');
    if (!long && ctx.instr.opSize === 2) fb.i64Const(PSEUDO_DESCRIPTOR_BASE16_MASK).op(Op.i64_and);
    fb.set(base);
    ctx.writeMem(m.seg, offset, 2, limit);
    ctx.writeMem(m.seg, offsetPlus(ctx, offset, 2), long ? 8 : 4, base);
  };
}

/** LLDT / LTR r/m16: protected mode, CPL 0; the descriptor checks run on the cold path (core/cpu/dtables.ts). */
function loadSystemSegment(load: (cpu: Cpu, selector: number) => void): Emit {
  return (ctx) => {
    if (!protectedOnly(ctx) || !privileged(ctx)) return;
    operandToScratch(ctx, 0);
    cold(ctx, (cpu) => load(cpu, scratch16(cpu)), false);
  };
}

/**
 * SLDT / STR r/m16: a memory operand gets 16 bits; a register the selector zero-extended to
 * the operand size (P6 and later clear bits 31:16; SDM Vol. 2B SLDT, STR). #UD in real and
 * virtual-8086 mode comes before UMIP's #GP(0).
 */
function storeSystemSelector(seg: Seg.LDTR | Seg.TR): Emit {
  return (ctx) => {
    if (!protectedOnly(ctx)) return;
    umipCheck(ctx);
    const i = ctx.instr;
    const dst: Location = i.mem ? ctx.operand(0) : { kind: 'reg', reg: i.rm, size: i.opSize, high8: false };
    const v = ctx.i64();
    ctx.loadField('segSel', seg);
    ctx.fb.set(v);
    ctx.write(dst, v);
  };
}

// ---- descriptor inspection ---------------------------------------------------------------

/**
 * LAR / LSL r, r/m16: when the descriptor passes (core/cpu/dtables.ts) ZF = 1 and the
 * destination gets the value at the operand size; otherwise ZF = 0 and it is unchanged.
 * Other flags are unchanged (SDM Vol. 2A LAR, LSL).
 */
function loadDescriptorField(read: (cpu: Cpu, selector: number) => number | undefined): Emit {
  return (ctx) => {
    if (!protectedOnly(ctx)) return;
    const { reg, opSize } = ctx.instr;
    operandToScratch(ctx, 1);
    cold(
      ctx,
      (cpu) => {
        const v = read(cpu, scratch16(cpu));
        if (v !== undefined) setGpr(cpu, reg, opSize, v);
        setZf(cpu, v !== undefined);
      },
      false,
    );
  };
}

/** VERR / VERW r/m16: ZF = 1 when the segment can be read / written at this CPL and RPL. */
function verify(write: boolean): Emit {
  return (ctx) => {
    if (!protectedOnly(ctx)) return;
    operandToScratch(ctx, 0);
    cold(ctx, (cpu) => setZf(cpu, verifySegment(cpu, scratch16(cpu), write)), false);
  };
}

/**
 * ARPL r/m16, r16: when the destination's RPL is below the source's, raise it to the
 * source's and set ZF; otherwise clear ZF and leave the destination alone (SDM Vol. 2A ARPL).
 */
const arpl: Emit = (ctx) => {
  if (!protectedOnly(ctx)) return;
  const fb = ctx.fb;
  const dst = ctx.operand(0, 2);
  const src = ctx.operand(1, 2);
  const d = ctx.readTo(dst);
  const s = ctx.readTo(src);
  const adjust = ctx.i32();
  fb.get(d).op(Op.i32_wrap_i64).i32Const(3).op(Op.i32_and);
  fb.get(s).op(Op.i32_wrap_i64).i32Const(3).op(Op.i32_and);
  fb.op(Op.i32_lt_u).set(adjust);
  fb.get(adjust).if_();
  const v = ctx.i64();
  fb.get(d).i64Const(~3).op(Op.i64_and).get(s).i64Const(3).op(Op.i64_and).op(Op.i64_or).set(v);
  ctx.write(dst, v);
  fb.end();
  const zf = ctx.i32();
  fb.get(adjust).i32Const(31 - Math.clz32(Flag.ZF)).op(Op.i32_shl).set(zf);
  ctx.flags.produceBits(Flag.ZF, zf);
};

// ---- SMAP, PCID and protection keys ----------------------------------------------------------

/**
 * CLAC / STAC: clear or set EFLAGS.AC, which lets explicit supervisor accesses reach user
 * pages under SMAP. #UD at CPL > 0, in virtual-8086 mode, and when CPUID does not enumerate
 * SMAP (SDM Vol. 2A CLAC, Vol. 2B STAC). The TLB never caches what AC decides (mmu.ts).
 */
function setAc(on: boolean): Emit {
  return (ctx) => {
    if (!atCpl0(ctx) || !cpuidHas(ctx.cpu.env.cpuid, Feature.SMAP)) return fault(ctx, Vector.UD);
    const fb = ctx.fb;
    fb.i32Const(0);
    loadEflags(ctx);
    if (on) fb.i32Const(Flag.AC).op(Op.i32_or);
    else fb.i32Const(~Flag.AC).op(Op.i32_and);
    fb.mem(Op.i32_store, ctx.addr('rflags'));
  };
}

/**
 * INVPCID r32/r64, m128 (SDM Vol. 2A INVPCID): #UD without CPUID.INVPCID, #GP(0) outside
 * CPL 0 (virtual-8086 mode included), then both descriptor quadwords are read (segment and
 * page faults first) and the checks and invalidation run on the cold path. The register is
 * 64-bit in 64-bit mode and 32-bit elsewhere, whatever the operand-size prefixes.
 */
const invpcid: Emit = (ctx) => {
  if (!cpuidHas(ctx.cpu.env.cpuid, Feature.INVPCID)) return fault(ctx, Vector.UD);
  if (!privileged(ctx)) return;
  const fb = ctx.fb;
  const m = ctx.instr.mem!;
  const typeReg = ctx.instr.reg;
  const long = ctx.mode.codeSize === 8;
  const offset = ctx.i64();
  ctx.effectiveAddress(m);
  fb.set(offset);
  const pcidWord = ctx.i64();
  ctx.readMem(m.seg, offset, 8);
  fb.set(pcidWord);
  const address = ctx.i64();
  ctx.readMem(m.seg, offsetPlus(ctx, offset, 8), 8);
  fb.set(address);
  // The two quadwords reach the cold path through `scratch`, one helper call each.
  let first: [number, number] = [0, 0];
  ctx.storeField('scratch', pcidWord);
  cold(ctx, (cpu) => void (first = scratchHalves(cpu)), false);
  ctx.storeField('scratch', address);
  cold(
    ctx,
    (cpu) => {
      const [lo, hi] = gprHalves(cpu, typeReg);
      invalidatePcid(cpu, lo, long ? hi : 0, first, scratchHalves(cpu));
    },
    false,
  );
};

const scratchHalves = (cpu: Cpu): [number, number] => {
  const a = cpu.state.addr('scratch') >>> 2;
  return [cpu.state.u32[a], cpu.state.u32[a + 1]];
};

/** #UD unless CR4.PKE = 1 (SDM Vol. 2B RDPKRU, WRPKRU); then #GP(0) unless ECX = 0. */
function checkPkru(cpu: Cpu): void {
  const s = cpu.state;
  if (!(s.getLo('cr4') & Cr4.PKE)) throw new GuestFault(Vector.UD, undefined);
  if (s.getLo('gpr', Reg.RCX) !== 0) throw new GuestFault(Vector.GP, 0);
}

/** RDPKRU: EAX = PKRU, EDX = 0, at any privilege (SDM Vol. 2B RDPKRU). */
const rdpkru: Emit = (ctx) => {
  cold(
    ctx,
    (cpu) => {
      checkPkru(cpu);
      cpu.state.setLo('gpr', cpu.state.getU32('pkru'), Reg.RAX);
      cpu.state.setLo('gpr', 0, Reg.RDX);
    },
    false,
  );
};

/**
 * WRPKRU: PKRU = EAX; #GP(0) unless EDX = 0 too (SDM Vol. 2B WRPKRU). The TLB has cached
 * rights under the old PKRU, so it is flushed.
 */
const wrpkru: Emit = (ctx) => {
  cold(
    ctx,
    (cpu) => {
      checkPkru(cpu);
      const s = cpu.state;
      if (s.getLo('gpr', Reg.RDX) !== 0) throw new GuestFault(Vector.GP, 0);
      s.setU32('pkru', s.getLo('gpr', Reg.RAX));
      cpu.mmu.flush();
    },
    false,
  );
};

// ---- invalid opcodes and BOUND -------------------------------------------------------------

/** UD2 (0F 0B) and UD1 (0F B9 /r) raise #UD (SDM Vol. 2B UD). */
const ud: Emit = (ctx) => fault(ctx, Vector.UD);

/**
 * BOUND r, m16&16 / r, m32&32: #BR when the signed index lies below the lower bound or above
 * the upper one; both bounds are read first (SDM Vol. 2A BOUND).
 */
const bound: Emit = (ctx) => {
  const fb = ctx.fb;
  const i = ctx.instr;
  const m = i.mem!;
  const size = i.opSize === 2 ? 2 : 4;
  const lowerAt = ctx.i64();
  ctx.effectiveAddress(m);
  fb.set(lowerAt);
  const upperAt = offsetPlus(ctx, lowerAt, size);
  const lower = ctx.i64();
  ctx.readMem(m.seg, lowerAt, size);
  ctx.signExtend(size);
  fb.set(lower);
  const upper = ctx.i64();
  ctx.readMem(m.seg, upperAt, size);
  ctx.signExtend(size);
  fb.set(upper);
  const index = ctx.i64();
  ctx.readReg(i.reg, size);
  ctx.signExtend(size);
  fb.set(index);
  fb.get(index).get(lower).op(Op.i64_lt_s);
  fb.get(index).get(upper).op(Op.i64_gt_s);
  fb.op(Op.i32_or).if_();
  ctx.raise(Vector.BR, 0);
  fb.end();
};

export const systemEmitters: Record<string, Emit> = {
  hlt,
  lmsw,
  smsw,
  clts,
  invlpg,
  invpcid,
  clac: setAc(false),
  stac: setAc(true),
  rdpkru,
  wrpkru,
  invd: cacheControl,
  wbinvd: cacheControl,
  cli,
  sti,
  pushf,
  popf,
  lgdt: loadTableRegister('gdtr'),
  lidt: loadTableRegister('idtr'),
  sgdt: storeTableRegister('gdtr'),
  sidt: storeTableRegister('idtr'),
  lldt: loadSystemSegment(loadLdt),
  ltr: loadSystemSegment(loadTr),
  sldt: storeSystemSelector(Seg.LDTR),
  str: storeSystemSelector(Seg.TR),
  lar: loadDescriptorField(loadAccessRights),
  lsl: loadDescriptorField(loadSegmentLimit),
  verr: verify(false),
  verw: verify(true),
  arpl,
  ud2: ud,
  ud1: ud,
  bound,
};
