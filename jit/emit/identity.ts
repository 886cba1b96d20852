// What the processor says about itself: CPUID RDTSC RDTSCP RDMSR WRMSR (SDM Vol. 2A CPUID,
// Vol. 2B RDTSC/RDTSCP/RDMSR/WRMSR). The answers come from the vCPU's models (cpu.env:
// core/cpu/cpuid.ts, core/cpu/msr.ts), so these run as helpers: KVM intercepts them too.
import type { Cpu } from '../../core/cpu/cpu.ts';
import { withOsBits } from '../../core/cpu/cpuid.ts';
import { GuestFault } from '../../core/cpu/faults.ts';
import { refuseMsrAccess } from '../../core/cpu/msr-exit.ts';
import { Cr4, Reg, Vector } from '../../core/cpu/registers.ts';
import type { BlockContext, InsnSite } from '../context.ts';

type Emit = (ctx: BlockContext) => void;

/** IA32_EFER (arch/x86/include/asm/msr-index.h MSR_EFER): writes change the paging mode. */
const MSR_EFER = 0xc0000080;
/** IA32_TSC_AUX (MSR_TSC_AUX), the value RDTSCP returns in ECX. */
const MSR_TSC_AUX = 0xc0000103;
/** CPUID.80000001H:EDX.RDTSCP[bit 27] (SDM Vol. 2A Table 3-8). */
const CPUID_EXT_LEAF = 0x80000001;
const CPUID_EXT_EDX_RDTSCP = 1 << 27;

const gp0 = (site: InsnSite): GuestFault => new GuestFault(Vector.GP, 0, site.delta);

/** EDX:EAX = value; the upper halves of RAX and RDX are cleared (SDM Vol. 2B RDMSR, RDTSC). */
function setEdxEax(cpu: Cpu, value: bigint): void {
  cpu.state.setLo('gpr', Number(value & 0xffffffffn), Reg.RAX);
  cpu.state.setLo('gpr', Number((value >> 32n) & 0xffffffffn), Reg.RDX);
}

/** RDTSC and RDTSCP fault at CPL > 0 when CR4.TSD is set (SDM Vol. 2B RDTSC). */
function checkTsd(cpu: Cpu, site: InsnSite): void {
  if (cpu.state.getLo('cr4') & Cr4.TSD && cpu.state.getU32('cpl') > 0) throw gp0(site);
}

/** RDMSR and WRMSR are privileged: #GP(0) at CPL > 0, which includes virtual-8086 mode. */
function checkPrivileged(cpu: Cpu, site: InsnSite): void {
  if (cpu.state.getU32('cpl') > 0) throw gp0(site);
}

const cpuid: Emit = (ctx) => {
  ctx.helper((cpu) => {
    const s = cpu.state;
    const leaf = s.getLo('gpr', Reg.RAX);
    const subleaf = s.getLo('gpr', Reg.RCX);
    const [eax, ebx, ecx, edx] = withOsBits(leaf, subleaf, cpu.env.cpuid.query(leaf, subleaf), s.getLo('cr4'));
    // 32-bit results: in 64-bit mode the high halves of RAX, RBX, RCX and RDX are cleared.
    s.setLo('gpr', eax, Reg.RAX);
    s.setLo('gpr', ebx, Reg.RBX);
    s.setLo('gpr', ecx, Reg.RCX);
    s.setLo('gpr', edx, Reg.RDX);
  }, false);
};

const rdtsc: Emit = (ctx) => {
  ctx.helper((cpu, site) => {
    checkTsd(cpu, site);
    setEdxEax(cpu, cpu.env.msrs.tsc());
  }, false);
};

const rdtscp: Emit = (ctx) => {
  ctx.helper((cpu, site) => {
    // Without the CPUID bit the instruction does not exist (SDM Vol. 2B RDTSCP: #UD).
    if (!(cpu.env.cpuid.query(CPUID_EXT_LEAF, 0)[3] & CPUID_EXT_EDX_RDTSCP))
      throw new GuestFault(Vector.UD, undefined, site.delta);
    checkTsd(cpu, site);
    setEdxEax(cpu, cpu.env.msrs.tsc());
    cpu.state.setLo('gpr', Number((cpu.env.msrs.get(MSR_TSC_AUX) ?? 0n) & 0xffffffffn), Reg.RCX);
  }, false);
};

const rdmsr: Emit = (ctx) => {
  ctx.helper((cpu, site) => {
    checkPrivileged(cpu, site);
    const index = cpu.state.getLo('gpr', Reg.RCX);
    const value = cpu.env.msrs.get(index);
    // An MSR the model does not have raises #GP(0), as on hardware, or exits to user space.
    if (value === undefined) refuseMsrAccess(cpu, site, index, false);
    setEdxEax(cpu, value);
  }, false);
};

const wrmsr: Emit = (ctx) => {
  ctx.helper((cpu, site) => {
    checkPrivileged(cpu, site);
    const s = cpu.state;
    const index = s.getLo('gpr', Reg.RCX);
    const value = (BigInt(s.getLo('gpr', Reg.RDX)) << 32n) | BigInt(s.getLo('gpr', Reg.RAX));
    // Unknown MSRs and values with bits the MSR does not allow raise #GP(0).
    if (!cpu.env.msrs.set(index, value, false)) refuseMsrAccess(cpu, site, index, true, value);
    if (index === MSR_EFER) cpu.mmu.flush();
    cpu.refreshMode();
  }, false);
  // An MSR write may change how code translates (EFER.LMA, NXE): the block ends after it.
  const next = ctx.i64();
  ctx.nextRip();
  ctx.fb.set(next);
  ctx.storeField('rip', next);
  ctx.ended = true;
};

export const identityEmitters: Record<string, Emit> = { cpuid, rdtsc, rdtscp, rdmsr, wrmsr };
