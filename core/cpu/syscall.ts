// Fast system calls: SYSCALL and SYSRET (SDM Vol. 2B SYSCALL, SYSRET; Vol. 3A 5.8.8; AMD APM
// Vol. 3 SYSCALL, SYSRET; APM Vol. 2 6.1.1), SYSENTER and SYSEXIT (SDM Vol. 2B SYSENTER,
// SYSEXIT; Vol. 3A 5.8.7; APM Vol. 3 SYSENTER, SYSEXIT) and SWAPGS (SDM Vol. 2A SWAPGS).
// None of them reads a descriptor: CS and SS get a selector derived from an MSR and fixed
// flat attributes, and the operating system must keep its GDT consistent with them.
//
// The two vendors differ, and the CPU follows the vendor of the CPUID table its VMM set
// (isAmdCompatible, as KVM's em_syscall_is_enabled and em_sysenter do). Intel: SYSCALL and
// SYSRET exist only in 64-bit mode (#UD in compatibility mode), SYSENTER/SYSEXIT work in
// IA-32e mode too. AMD: SYSCALL and SYSRET work in every mode with EFER.SCE (compatibility
// mode enters at CSTAR, legacy mode at STAR[31:0]), SYSRET leaves SS's hidden part alone,
// and SYSENTER/SYSEXIT are #UD in long mode. Functions throw GuestFault without a delta;
// the emitter (jit/emit/syscall.ts) attaches the instruction's. MSR values come from the
// vCPU's MSR model.
import type { Cpu } from './cpu.ts';
import { GuestFault, InternalError } from './faults.ts';
import { isCanonicalHere } from './far.ts';
import { isAmdCompatible } from './cpuid.ts';
import { singleStepTrap } from './debug.ts';
import { Msr } from './msr.ts';
import { Cr0, Efer, Flag, Reg, Seg, SegAttr, Vector } from './registers.ts';

/** The limit every fixed segment gets: 0xFFFFF in 4-KiB units (G = 1), i.e. 4 GiB. */
const FLAT_LIMIT = 0xffffffff;
/** Selector bits that name a descriptor; a SYSENTER_CS without them is null. */
const SELECTOR_INDEX_TI = 0xfffc;
const RPL3 = 3;
/** RFLAGS bits SYSRET loads from R11: all but RF, VM and the reserved bits (SDM Vol. 2B SYSRET). */
const SYSRET_RFLAGS = 0x3c7fd7;

/** CS as these instructions load it: base 0, 4 GiB, execute/read accessed, present (type 11). */
function flatCodeAttr(dpl: number, long: boolean): number {
  const type = SegAttr.CODE | SegAttr.RW | SegAttr.ACCESSED;
  return SegAttr.P | SegAttr.S | (dpl << SegAttr.DPL_SHIFT) | type | SegAttr.G | (long ? SegAttr.L : SegAttr.DB);
}

/** SS as these instructions load it: base 0, 4 GiB, read/write accessed, B = 1 (type 3). */
function flatStackAttr(dpl: number): number {
  return SegAttr.P | SegAttr.S | (dpl << SegAttr.DPL_SHIFT) | SegAttr.RW | SegAttr.ACCESSED | SegAttr.DB | SegAttr.G;
}

const gp = (): GuestFault => new GuestFault(Vector.GP, 0);
const ud = (): GuestFault => new GuestFault(Vector.UD, undefined);
const in64BitMode = (cpu: Cpu): boolean => cpu.codeSize() === 8;

/** The model's MSR interface with the `host` view (MsrModel.get), which CpuEnv does not spell out. */
type MsrReader = { get(index: number, host?: boolean): bigint | undefined };

/**
 * An MSR as the processor itself reads it: in the host view, since the register exists
 * whatever CPUID tells the guest (core/cpu/msr.ts hides STAR and friends from RDMSR without LM).
 */
function msr(cpu: Cpu, index: Msr): bigint {
  const v = (cpu.env.msrs as MsrReader).get(index, true);
  if (v === undefined) throw new InternalError(`MSR 0x${(index >>> 0).toString(16)} is not in the MSR model`);
  return v;
}

/** Loads CS and SS with fixed attributes and sets CPL; the caller refreshes the mode. */
function loadFlat(cpu: Cpu, cs: number, csAttr: number, ss: number, ssAttr: number, cpl: number): void {
  cpu.setSegment(Seg.CS, cs & 0xffff, 0, FLAT_LIMIT, csAttr);
  cpu.setSegment(Seg.SS, ss & 0xffff, 0, FLAT_LIMIT, ssAttr);
  cpu.state.setU32('cpl', cpl);
}

/**
 * SYSCALL and SYSRET take their single-step trap on TF as they leave it, not as they found it
 * (KVM commit c8401dda2f0a; kvm-unit-tests syscall.c): Linux masks TF with IA32_FMASK so that
 * SYSCALL does not trap on kernel entry, and a SYSRET that restores TF traps at once at CPL 3.
 */
function trapIfTf(cpu: Cpu): void {
  if (cpu.state.getLo('rflags') & Flag.TF) throw singleStepTrap(cpu.state);
}

const isAmd = (cpu: Cpu): boolean => isAmdCompatible(cpu.env.cpuid);
const inLongMode = (cpu: Cpu): boolean => (cpu.state.getLo('efer') & Efer.LMA) !== 0;

/**
 * #UD unless EFER.SCE = 1 and, on Intel, in 64-bit mode (SDM Vol. 2B SYSCALL, SYSRET: "IF
 * (CS.L ≠ 1) or (IA32_EFER.LMA ≠ 1) or (IA32_EFER.SCE ≠ 1) THEN #UD"). AMD checks SCE only
 * (APM Vol. 3 SYSCALL, SYSRET, "#UD ... The system call extension bit (SCE) ... is set to 0").
 */
function checkSyscallEnabled(cpu: Cpu): void {
  if (!(cpu.state.getLo('efer') & Efer.SCE)) throw ud();
  if (!in64BitMode(cpu) && !isAmd(cpu)) throw ud();
}

/**
 * SYSCALL in long mode: RCX = the next RIP, R11 = RFLAGS (RF clear, as AMD's APM Vol. 3 SYSCALL
 * states and Bochs and QEMU do), RFLAGS &= ~SFMASK, RIP = LSTAR (64-bit mode) or CSTAR
 * (compatibility mode, AMD only); CS = STAR[47:32] & 0xFFFC and SS = STAR[47:32] + 8 as flat
 * ring-0 64-bit code and data; CPL = 0. In legacy mode (AMD only, APM Vol. 3 SYSCALL
 * "SYSCALL_LEGACY_MODE"): ECX = the next EIP, EIP = STAR[31:0], CS and SS the same selectors
 * as flat ring-0 32-bit code and stack, VM, IF and RF cleared; SFMASK and R11 are not used.
 */
export function syscall(cpu: Cpu, next: bigint): void {
  const s = cpu.state;
  checkSyscallEnabled(cpu);
  const star = msr(cpu, Msr.STAR);
  const sel = Number((star >> 32n) & 0xffffn);
  const rflags = s.getLo('rflags') & ~Flag.RF;
  if (inLongMode(cpu)) {
    const target = msr(cpu, in64BitMode(cpu) ? Msr.LSTAR : Msr.CSTAR);
    const mask = Number(msr(cpu, Msr.FMASK) & 0xffffffffn);
    s.set64('gpr', next, Reg.RCX);
    s.setLo('gpr', rflags, Reg.R11);
    // SS takes STAR[47:32] + 8 without clearing its RPL bits, as the SDM and the APM write it.
    loadFlat(cpu, sel & SELECTOR_INDEX_TI, flatCodeAttr(0, true), sel + 8, flatStackAttr(0), 0);
    s.setLo('rflags', (rflags & ~mask) | Flag.FIXED1);
    s.set64('rip', target);
  } else {
    s.set64('gpr', next & 0xffffffffn, Reg.RCX);
    loadFlat(cpu, sel & SELECTOR_INDEX_TI, flatCodeAttr(0, false), sel + 8, flatStackAttr(0), 0);
    s.setLo('rflags', rflags & ~(Flag.VM | Flag.IF));
    s.set64('rip', star & 0xffffffffn);
  }
  cpu.refreshMode();
  trapIfTf(cpu);
}

/**
 * SYSRET (`opSize` 8 with REX.W: to 64-bit mode; 4: to compatibility or legacy protected
 * mode): CPL 0 only; RIP = RCX (or ECX); CS = STAR[63:48] + 16 (64-bit) or STAR[63:48]
 * (32-bit), SS = STAR[63:48] + 8, both RPL 3; CPL = 3. RFLAGS comes from R11 in long mode;
 * AMD's legacy mode only sets IF (APM Vol. 3 SYSRET, "SYSRET_NON_64BIT_MODE").
 *
 * Intel gives SS flat ring-3 attributes (SDM Vol. 2B SYSRET); AMD changes only SS's selector
 * and leaves its base, limit and attributes as they were (APM Vol. 3 SYSRET: "SS base,
 * limit, attributes unchanged", the reason for Linux's X86_BUG_SYSRET_SS_ATTRS). AMD also
 * requires protected mode (#GP(0) in real mode).
 *
 * A non-canonical RCX raises #GP(0) before anything changes, so the fault is taken at CPL 0
 * on the kernel's stack, as Intel processors do. AMD processors complete the SYSRET and fault
 * on the fetch at CPL 3 instead; this model keeps the Intel order for both vendors, because
 * the block lookup needs a canonical RIP in the state (cpu.ts ripLinear).
 */
export function sysret(cpu: Cpu, opSize: 4 | 8): void {
  const s = cpu.state;
  checkSyscallEnabled(cpu);
  if (!(s.getLo('cr0') & Cr0.PE) || s.getU32('cpl') !== 0) throw gp();
  const long = opSize === 8 && in64BitMode(cpu);
  const rcx = s.get64('gpr', Reg.RCX);
  if (long && !isCanonicalHere(cpu, rcx)) throw gp();
  const base = Number((msr(cpu, Msr.STAR) >> 48n) & 0xffffn);
  const cs = (long ? base + 16 : base) | RPL3;
  const ss = (base + 8) | RPL3;
  const rflags = inLongMode(cpu) ? (s.getLo('gpr', Reg.R11) & SYSRET_RFLAGS) | Flag.FIXED1 : s.getLo('rflags') | Flag.IF;
  if (isAmd(cpu)) {
    cpu.setSegment(Seg.CS, cs & 0xffff, 0, FLAT_LIMIT, flatCodeAttr(3, long));
    cpu.setSegment(Seg.SS, ss & 0xffff, s.getNum('segBase', Seg.SS), s.getU32('segLimit', Seg.SS), s.getU32('segAttr', Seg.SS));
    s.setU32('cpl', 3);
  } else {
    loadFlat(cpu, cs, flatCodeAttr(3, long), ss, flatStackAttr(3), 3);
  }
  s.setLo('rflags', rflags);
  s.set64('rip', long ? rcx : rcx & 0xffffffffn);
  cpu.refreshMode();
  trapIfTf(cpu);
}

/**
 * IA32_SYSENTER_CS, or #GP(0) in real mode or when its bits 15:2 are 0 (SDM Vol. 2B SYSENTER,
 * SYSEXIT). On AMD both instructions are #UD in long mode, compatibility mode included (APM
 * Vol. 3 SYSENTER, SYSEXIT: "#UD ... This instruction is not recognized in long mode").
 */
function sysenterCs(cpu: Cpu): number {
  if (inLongMode(cpu) && isAmd(cpu)) throw ud();
  if (!(cpu.state.getLo('cr0') & Cr0.PE)) throw gp();
  const cs = Number(msr(cpu, Msr.SYSENTER_CS) & 0xffffn);
  if ((cs & SELECTOR_INDEX_TI) === 0) throw gp();
  return cs;
}

/**
 * SYSENTER: to ring 0 at IA32_SYSENTER_EIP with IA32_SYSENTER_ESP; CS = SYSENTER_CS & 0xFFFC
 * and SS = CS + 8, flat, 64-bit code in IA-32e mode and 32-bit code otherwise; VM, IF and
 * RF are cleared. #GP(0) in real mode or when SYSENTER_CS[15:2] = 0.
 */
export function sysenter(cpu: Cpu): void {
  const s = cpu.state;
  const cs = sysenterCs(cpu) & SELECTOR_INDEX_TI;
  const long = (s.getLo('efer') & Efer.LMA) !== 0;
  let esp = msr(cpu, Msr.SYSENTER_ESP);
  let eip = msr(cpu, Msr.SYSENTER_EIP);
  if (!long) {
    esp &= 0xffffffffn;
    eip &= 0xffffffffn;
  }
  s.setLo('rflags', s.getLo('rflags') & ~(Flag.VM | Flag.IF | Flag.RF));
  loadFlat(cpu, cs, flatCodeAttr(0, long), cs + 8, flatStackAttr(0), 0);
  s.set64('gpr', esp, Reg.RSP);
  s.set64('rip', eip);
  cpu.refreshMode();
}

/**
 * SYSEXIT (`opSize` 8 with REX.W: to 64-bit mode; 4: to 32-bit protected or compatibility
 * mode): CPL 0 only; RSP = RCX (ECX), RIP = RDX (EDX); CS = SYSENTER_CS + 32 (64-bit) or
 * + 16, SS = CS + 8, both RPL 3, flat ring-3. 64-bit targets must be canonical (#GP(0)).
 */
export function sysexit(cpu: Cpu, opSize: 4 | 8): void {
  const s = cpu.state;
  const base = sysenterCs(cpu);
  if (s.getU32('cpl') !== 0) throw gp();
  const long = opSize === 8;
  let rsp = s.get64('gpr', Reg.RCX);
  let rip = s.get64('gpr', Reg.RDX);
  if (long && (!isCanonicalHere(cpu, rsp) || !isCanonicalHere(cpu, rip))) throw gp();
  if (!long) {
    rsp &= 0xffffffffn;
    rip &= 0xffffffffn;
  }
  const cs = (base + (long ? 32 : 16)) | RPL3;
  loadFlat(cpu, cs, flatCodeAttr(3, long), (cs + 8) | RPL3, flatStackAttr(3), 3);
  s.set64('gpr', rsp, Reg.RSP);
  s.set64('rip', rip);
  cpu.refreshMode();
}

/** SWAPGS: exchanges the GS base with IA32_KERNEL_GS_BASE; 64-bit mode only (#UD), CPL 0 only (#GP(0)). */
export function swapgs(cpu: Cpu): void {
  const s = cpu.state;
  if (!in64BitMode(cpu)) throw ud();
  if (s.getU32('cpl') !== 0) throw gp();
  const kernel = msr(cpu, Msr.KERNEL_GS_BASE);
  if (!cpu.env.msrs.set(Msr.KERNEL_GS_BASE, s.get64('segBase', Seg.GS), true))
    throw new InternalError('the MSR model refused IA32_KERNEL_GS_BASE');
  s.set64('segBase', kernel, Seg.GS);
}
