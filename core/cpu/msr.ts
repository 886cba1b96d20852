// The model-specific registers this CPU has, with their Linux names and indices
// (arch/x86/include/asm/msr-index.h) and the rules KVM applies to them (arch/x86/kvm/x86.c
// kvm_set_msr_common, mtrr.c). One list: RDMSR/WRMSR, KVM_GET/SET_MSRS and
// KVM_GET_MSR_INDEX_LIST all read it. An MSR not listed, or listed but needing a CPUID
// feature the guest does not have (SDM Vol. 4 Table 2-2, "If CPUID..."), does not exist:
// RDMSR/WRMSR of it raise #GP(0) in the guest, as on hardware. The host (KVM_GET/SET_MSRS)
// sees every listed MSR and may write read-only bits, as KVM's host-initiated accesses can.
// IA32_APIC_BASE is absent: there is no local APIC yet.
import type { Cpu } from './cpu.ts';
import { cpuidHas, Feature, isAmdCompatible, type CpuidFeature } from './cpuid.ts';
import { MSR_SLOTS } from './layout.ts';
import { isCanonical } from './paging/canonical.ts';
import { MAXPHYADDR } from './paging/entry.ts';
import { Seg } from './registers.ts';
import { writeEfer } from './system-regs.ts';
import { vmClockEpochMs } from '../kvm/irqchip/host-clock.ts';
import { XSS_SUPPORTED } from './xsave.ts';

/** Nominal TSC rate: 1 GHz, so the TSC counts nanoseconds of host time. */
export const TSC_HZ = 1_000_000_000;

/** MSR indices (SDM Vol. 4 chapter 2; Linux msr-index.h names). */
export const enum Msr {
  TSC = 0x10,
  PLATFORM_ID = 0x17,
  TSC_ADJUST = 0x3b,
  SPEC_CTRL = 0x48,
  PRED_CMD = 0x49,
  UCODE_REV = 0x8b,
  ARCH_CAPABILITIES = 0x10a,
  MTRRCAP = 0xfe,
  SYSENTER_CS = 0x174,
  SYSENTER_ESP = 0x175,
  SYSENTER_EIP = 0x176,
  MCG_CAP = 0x179,
  MCG_STATUS = 0x17a,
  MISC_ENABLE = 0x1a0,
  MTRR_PHYS_BASE0 = 0x200,
  MTRR_FIX_64K_00000 = 0x250,
  MTRR_FIX_16K_80000 = 0x258,
  MTRR_FIX_16K_A0000 = 0x259,
  MTRR_FIX_4K_C0000 = 0x268,
  PAT = 0x277,
  MTRR_DEF_TYPE = 0x2ff,
  PKRS = 0x6e1,
  XSS = 0xda0,
  EFER = 0xc0000080,
  STAR = 0xc0000081,
  LSTAR = 0xc0000082,
  CSTAR = 0xc0000083,
  FMASK = 0xc0000084,
  FS_BASE = 0xc0000100,
  GS_BASE = 0xc0000101,
  KERNEL_GS_BASE = 0xc0000102,
  TSC_AUX = 0xc0000103,
  /** AMD's legacy performance counters PerfEvtSel0-3, PerfCtr0-3 (APM Vol. 2 13.2.1). */
  K7_EVNTSEL0 = 0xc0010000,
  K7_PERFCTR0 = 0xc0010004,
  /** AMD's system configuration register (Linux MSR_AMD64_SYSCFG). */
  AMD64_SYSCFG = 0xc0010010,
  /** AMD's hardware configuration register (Linux MSR_K7_HWCR). */
  K7_HWCR = 0xc0010015,
  /** AMD's northbridge configuration register (Linux MSR_AMD64_NB_CFG). */
  AMD64_NB_CFG = 0xc001001f,
}

/**
 * Where an MSR's value lives: a slot of layout.ts `msr`, the TSC (host time plus an offset),
 * EFER or the FS/GS segment bases in the vCPU state, or nowhere: a constant, or a command
 * register that is write-only (RDMSR #GP) and keeps nothing (IA32_PRED_CMD).
 */
export type MsrStorage = 'slot' | 'tsc' | 'efer' | 'fsBase' | 'gsBase' | 'const' | 'command';

export interface MsrSpec {
  readonly index: number;
  readonly name: string;
  readonly storage: MsrStorage;
  /** The slot in layout.ts `msr` when storage is 'slot', else -1. */
  readonly slot: number;
  readonly reset: bigint;
  /** Bits a guest write may set; a write with others set raises #GP(0). */
  readonly writable: bigint;
  /** Bits a guest write may not change (#GP(0) if it tries). */
  readonly readOnly?: bigint;
  /** Bits a guest write leaves as they are without a fault. */
  readonly ignored?: bigint;
  /** Further conditions on the value (memory types, canonical addresses); false is #GP(0). */
  readonly valid?: (value: bigint, cpu: Cpu) => boolean;
  /** What the register keeps of an accepted value, when not all of it (AMD's SYSENTER_ESP/EIP). */
  readonly kept?: (value: bigint, cpu: Cpu) => bigint;
  /** The MSR exists only for a guest whose CPUID vendor is AMD or Hygon (cpuid.ts isAmdCompatible). */
  readonly amdOnly?: boolean;
  /** CPUID features, any one of which makes the MSR exist for the guest. */
  readonly requires?: readonly CpuidFeature[];
  /** Runs after a successful write (e.g. a TLB flush when the value changes what translations allow). */
  readonly afterWrite?: (cpu: Cpu) => void;
}

type MsrDef = Omit<MsrSpec, 'slot' | 'storage' | 'writable'> & { storage?: MsrStorage; writable?: bigint };

const ALL = (1n << 64n) - 1n;
const LOW32 = 0xffffffffn;
/**
 * Address MSRs take addresses canonical for the widest linear address the CPU supports: 57
 * bits when CPUID advertises LA57, whatever CR4.LA57 is (SDM Vol. 4 Table 2-2, Vol. 1 3.3.7.1).
 */
const canonical = (v: bigint, cpu: Cpu): boolean => isCanonical(v, cpuidHas(cpu.env.cpuid, Feature.LA57) ? 57 : 48);
const sysenterAddress = (v: bigint, cpu: Cpu): boolean => isAmdCompatible(cpu.env.cpuid) || canonical(v, cpu);
const sysenterKept = (v: bigint, cpu: Cpu): bigint => (isAmdCompatible(cpu.env.cpuid) ? v & LOW32 : v);

/** Physical-address bits (MAXPHYADDR-1):12 of an MTRR. */
const MTRR_ADDR = ((1n << BigInt(MAXPHYADDR)) - 1n) & ~0xfffn;
/** Memory types an MTRR may hold: UC WC WT WP WB (SDM Vol. 3A Table 13-8, 0 1 4 5 6). */
const mtrrType = (t: bigint): boolean => t < 8n && ((1n << t) & 0x73n) !== 0n;
/** Memory types a PAT entry may hold: UC WC WT WP WB UC- (SDM Vol. 3A Table 13-10, 0 1 4 5 6 7). */
const patType = (t: bigint): boolean => ((1n << t) & 0xf3n) !== 0n;
const bytes = (v: bigint): bigint[] => Array.from({ length: 8 }, (_, i) => (v >> BigInt(8 * i)) & 0xffn);
/** MTRRdefType: type in bits 7:0, FE bit 10, E bit 11 (SDM Vol. 3A 13.11.2.1). */
const MTRR_DEF_TYPE_BITS = 0xcffn;
/** Variable-range MTRR base: type in bits 7:0; mask: V (valid) in bit 11 (SDM Vol. 3A 13.11.2.3). */
const MTRR_BASE_BITS = 0xffn | MTRR_ADDR;
const MTRR_MASK_BITS = (1n << 11n) | MTRR_ADDR;
/** Number of variable-range MTRRs, as KVM gives every vCPU (KVM_NR_VAR_MTRR). */
const VARIABLE_MTRRS = 8;
/** MTRRCAP as KVM reports it: VCNT = 8, FIX (bit 8) and WC (bit 10), no SMRR (arch/x86/kvm/mtrr.c). */
const MTRRCAP = 0x500n | BigInt(VARIABLE_MTRRS);
/** IA32_PAT at reset: PA0-PA7 = WB WT UC- UC WB WT UC- UC (SDM Vol. 3A 13.12.4). */
const PAT_RESET = 0x0007040600070406n;
/** IA32_UCODE_REV as KVM initialises it: revision 1 in bits 63:32 (kvm_arch_vcpu_create). */
const UCODE_REV_RESET = 1n << 32n;
/**
 * IA32_MISC_ENABLE (SDM Vol. 4 Table 2-2): fast strings (0), TCC (3), EIST (16), MONITOR
 * FSM (18), limit CPUID maxval (22), xTPR disable (23) and XD disable (34) may be written;
 * BTS unavailable (11) and PEBS unavailable (12) are read-only, and set at reset as KVM does;
 * writes to performance monitoring available (7) are ignored (KVM kvm_set_msr_common). The
 * bits are stored only: this CPU has no thermal control, and like KVM it does not let XD
 * disable or the CPUID limit change what CPUID reports.
 */
const MISC_ENABLE_WRITABLE = (1n << 0n) | (1n << 3n) | (1n << 16n) | (1n << 18n) | (1n << 22n) | (1n << 23n) | (1n << 34n);
const MISC_ENABLE_BTS_PEBS_UNAVAILABLE = (1n << 11n) | (1n << 12n);
const MISC_ENABLE_EMON = 1n << 7n;

const LM = [Feature.LM];

/**
 * IA32_SPEC_CTRL (SDM Vol. 4 Table 2-2): IBRS (0), STIBP (1), SSBD (2). Stored only: this CPU
 * does not speculate, so there is nothing for them to restrict.
 */
const SPEC_CTRL_BITS = 0b111n;
/** IA32_PRED_CMD: IBPB (bit 0), a barrier; nothing to flush here. */
const PRED_CMD_IBPB = 1n;
/**
 * IA32_ARCH_CAPABILITIES (SDM Vol. 4 Table 2-2; Linux msr-index.h ARCH_CAP_*). The JIT never
 * executes anything speculatively, so the CPU is not affected by any of the transient-execution
 * issues these bits rule out, and Linux (arch/x86/kernel/cpu/common.c cpu_set_bug_bits) then
 * sets none of its X86_BUG_* flags for them — each "Not affected" it prints is true:
 * RDCL_NO (0, Meltdown/L1TF), IBRS_ALL (1, enhanced IBRS: Spectre v2 needs no retpolines),
 * SKIP_L1DFL_VMENTRY (3, as KVM always reports), SSB_NO (4), MDS_NO (5), IF_PSCHANGE_MC_NO
 * (6, no iTLB multihit), TAA_NO (8), SBDR_SSDP_NO (13), FBSDP_NO (14), PSDP_NO (15: with 13
 * and 14, MMIO stale data), BHI_NO (20), PBRSB_NO (24), GDS_NO (26), RFDS_NO (27), ITS_NO (62).
 * Without the MSR, Linux would flag family 6 model 0x6A with MMIO stale data and GDS.
 */
const ARCH_CAPABILITIES =
  [0n, 1n, 3n, 4n, 5n, 6n, 8n, 13n, 14n, 15n, 20n, 24n, 26n, 27n, 62n].reduce((v, bit) => v | (1n << bit), 0n);
const SPECULATION = [Feature.SPEC_CTRL];
/** HWCR bits (AMD APM Vol. 2 Appendix A; Linux msr-index.h; KVM kvm_set_msr_common). */
const HWCR_TSC_FREQ_SEL = 1n << 24n;
const HWCR_MC_STATUS_WR_EN = 1n << 18n;
const HWCR_IGNORED = (1n << 3n) | (1n << 6n) | (1n << 8n);

const DEFS: readonly MsrDef[] = [
  { index: Msr.TSC, name: 'IA32_TIME_STAMP_COUNTER', storage: 'tsc', reset: 0n, writable: ALL },
  // SDM Vol. 3B 18.17.3: a guest write to either IA32_TSC_ADJUST or the TSC moves the other by the same delta (set() below).
  { index: Msr.TSC_ADJUST, name: 'IA32_TSC_ADJUST', reset: 0n, writable: ALL, requires: [Feature.TSC_ADJUST] },
  { index: Msr.SPEC_CTRL, name: 'IA32_SPEC_CTRL', reset: 0n, writable: SPEC_CTRL_BITS, requires: SPECULATION },
  { index: Msr.PRED_CMD, name: 'IA32_PRED_CMD', storage: 'command', reset: 0n, writable: PRED_CMD_IBPB, requires: SPECULATION },
  { index: Msr.PLATFORM_ID, name: 'IA32_PLATFORM_ID', storage: 'const', reset: 0n },
  // Guest writes (the microcode loader's "clear, then CPUID") are accepted and change nothing.
  { index: Msr.UCODE_REV, name: 'IA32_UCODE_REV', reset: UCODE_REV_RESET, ignored: ALL },
  {
    index: Msr.ARCH_CAPABILITIES, name: 'IA32_ARCH_CAPABILITIES', storage: 'const', reset: ARCH_CAPABILITIES,
    requires: [Feature.ARCH_CAPABILITIES],
  },
  { index: Msr.MTRRCAP, name: 'IA32_MTRRCAP', storage: 'const', reset: MTRRCAP, requires: [Feature.MTRR] },
  { index: Msr.SYSENTER_CS, name: 'IA32_SYSENTER_CS', reset: 0n, writable: ALL },
  // Intel raises #GP(0) for a non-canonical SYSENTER_ESP/EIP (SDM Vol. 2B WRMSR). AMD has no
  // 64-bit SYSENTER and keeps bits 31:0 only: KVM's svm_set_msr drops the upper half for a
  // guest whose CPUID is not Intel's, and __kvm_set_msr takes any value there.
  { index: Msr.SYSENTER_ESP, name: 'IA32_SYSENTER_ESP', reset: 0n, writable: ALL, valid: sysenterAddress, kept: sysenterKept },
  { index: Msr.SYSENTER_EIP, name: 'IA32_SYSENTER_EIP', reset: 0n, writable: ALL, valid: sysenterAddress, kept: sysenterKept },
  // No machine-check banks and no IA32_MCG_CTL (count 0, MCG_CTL_P clear), as KVM without KVM_X86_SETUP_MCE.
  { index: Msr.MCG_CAP, name: 'IA32_MCG_CAP', storage: 'const', reset: 0n },
  { index: Msr.MCG_STATUS, name: 'IA32_MCG_STATUS', reset: 0n, writable: ALL },
  {
    index: Msr.MISC_ENABLE, name: 'IA32_MISC_ENABLE', reset: MISC_ENABLE_BTS_PEBS_UNAVAILABLE,
    writable: MISC_ENABLE_WRITABLE, readOnly: MISC_ENABLE_BTS_PEBS_UNAVAILABLE, ignored: MISC_ENABLE_EMON,
  },
  ...Array.from({ length: VARIABLE_MTRRS }, (_, n): MsrDef[] => [
    {
      index: Msr.MTRR_PHYS_BASE0 + 2 * n, name: `IA32_MTRR_PHYSBASE${n}`, reset: 0n, writable: MTRR_BASE_BITS,
      valid: (v) => mtrrType(v & 0xffn), requires: [Feature.MTRR],
    },
    { index: Msr.MTRR_PHYS_BASE0 + 2 * n + 1, name: `IA32_MTRR_PHYSMASK${n}`, reset: 0n, writable: MTRR_MASK_BITS, requires: [Feature.MTRR] },
  ]).flat(),
  ...[
    [Msr.MTRR_FIX_64K_00000, 'IA32_MTRR_FIX64K_00000'],
    [Msr.MTRR_FIX_16K_80000, 'IA32_MTRR_FIX16K_80000'],
    [Msr.MTRR_FIX_16K_A0000, 'IA32_MTRR_FIX16K_A0000'],
    ...Array.from({ length: 8 }, (_, n): [number, string] => [Msr.MTRR_FIX_4K_C0000 + n, `IA32_MTRR_FIX4K_${(0xc0000 + n * 0x8000).toString(16).toUpperCase()}`]),
  ].map(([index, name]): MsrDef => ({
    index: index as number, name: name as string, reset: 0n, writable: ALL, valid: (v) => bytes(v).every(mtrrType), requires: [Feature.MTRR],
  })),
  { index: Msr.PAT, name: 'IA32_PAT', reset: PAT_RESET, writable: ALL, valid: (v) => bytes(v).every(patType), requires: [Feature.PAT] },
  {
    index: Msr.MTRR_DEF_TYPE, name: 'IA32_MTRR_DEF_TYPE', reset: 0n, writable: MTRR_DEF_TYPE_BITS,
    valid: (v) => mtrrType(v & 0xffn), requires: [Feature.MTRR],
  },
  { index: Msr.EFER, name: 'IA32_EFER', storage: 'efer', reset: 0n },
  { index: Msr.STAR, name: 'IA32_STAR', reset: 0n, writable: ALL, requires: LM },
  { index: Msr.LSTAR, name: 'IA32_LSTAR', reset: 0n, writable: ALL, valid: canonical, requires: LM },
  { index: Msr.CSTAR, name: 'IA32_CSTAR', reset: 0n, writable: ALL, valid: canonical, requires: LM },
  // IA32_FMASK: bits 63:32 reserved (SDM Vol. 4 Table 2-2).
  { index: Msr.FMASK, name: 'IA32_FMASK', reset: 0n, writable: LOW32, requires: LM },
  { index: Msr.FS_BASE, name: 'IA32_FS_BASE', storage: 'fsBase', reset: 0n, writable: ALL, valid: canonical, requires: LM },
  { index: Msr.GS_BASE, name: 'IA32_GS_BASE', storage: 'gsBase', reset: 0n, writable: ALL, valid: canonical, requires: LM },
  { index: Msr.KERNEL_GS_BASE, name: 'IA32_KERNEL_GS_BASE', reset: 0n, writable: ALL, valid: canonical, requires: LM },
  // Supervisor protection-key rights, AD/WD pairs in bits 31:0, 63:32 reserved; the TLB has
  // cached rights under the old value (SDM Vol. 3A 4.6.2).
  { index: Msr.PKRS, name: 'IA32_PKRS', reset: 0n, writable: LOW32, requires: [Feature.PKS], afterWrite: (cpu) => cpu.mmu.flush() },
  // Supervisor state components for XSAVES/XRSTORS (SDM Vol. 1 13.3): this CPU has none
  // (xsave.ts XSS_SUPPORTED), so 0 is the only value; any other is #GP(0).
  { index: Msr.XSS, name: 'IA32_XSS', reset: 0n, writable: BigInt(XSS_SUPPORTED), requires: [Feature.XSAVES] },
  // Bits 63:32 reserved on Intel (SDM Vol. 4; KVM __kvm_set_msr); AMD CPUs ignore them and
  // read them as 0, which KVM gives a guest whose CPUID is not Intel's.
  {
    index: Msr.TSC_AUX, name: 'IA32_TSC_AUX', reset: 0n, writable: ALL, requires: [Feature.RDTSCP, Feature.RDPID],
    valid: (v, cpu) => isAmdCompatible(cpu.env.cpuid) || v >> 32n === 0n, kept: (v) => v & LOW32,
  },
  // AMD's legacy PerfEvtSel0-3 and PerfCtr0-3, which every AMD64 CPU has (APM Vol. 2 13.2.1;
  // kvm-unit-tests' pmu_init clears them on an AMD CPU): there are no events to count, so they
  // read 0 and drop writes, as KVM without a guest PMU does (kvm_set_msr_common, MSR_K7_EVNTSEL0).
  ...Array.from({ length: 4 }, (_, n): MsrDef[] => [
    { index: Msr.K7_EVNTSEL0 + n, name: `MSR_K7_EVNTSEL${n}`, storage: 'const', reset: 0n, ignored: ALL, amdOnly: true },
    { index: Msr.K7_PERFCTR0 + n, name: `MSR_K7_PERFCTR${n}`, storage: 'const', reset: 0n, ignored: ALL, amdOnly: true },
  ]).flat(),
  // SYSCFG and NB_CFG, which Linux reads with rdmsr on AMD (mtrr k8_check_syscfg_dram_mod_en;
  // pci/amd_bus.c enable_pci_io_ecs, which also writes NB_CFG): no memory-encryption, MTRR
  // DRAM or northbridge features, so 0, as KVM's kvm_get_msr_common answers; KVM drops NB_CFG writes.
  { index: Msr.AMD64_SYSCFG, name: 'MSR_AMD64_SYSCFG', storage: 'const', reset: 0n, amdOnly: true },
  { index: Msr.AMD64_NB_CFG, name: 'MSR_AMD64_NB_CFG', storage: 'const', reset: 0n, ignored: ALL, amdOnly: true },
  // HWCR, read by Linux's bsp_init_amd with rdmsrl: TscFreqSel (24) is 1, the TSC counting at
  // one constant rate (read-only 1 on family 17H and later); McStatusWrEn (18) may be written;
  // writes to bits 3, 6 and 8 (TLB cache, flush filter, IGNNE) are dropped, as KVM does.
  {
    index: Msr.K7_HWCR, name: 'MSR_K7_HWCR', reset: HWCR_TSC_FREQ_SEL, writable: HWCR_MC_STATUS_WR_EN | HWCR_TSC_FREQ_SEL,
    ignored: HWCR_IGNORED, amdOnly: true,
  },
];

/** The list, each 'slot' MSR given the next free slot of layout.ts `msr`. */
export const MSRS: readonly MsrSpec[] = (() => {
  let next = 0;
  return DEFS.map((d): MsrSpec => {
    const storage = d.storage ?? 'slot';
    return { ...d, storage, writable: d.writable ?? 0n, slot: storage === 'slot' ? next++ : -1 };
  });
})();
if (MSRS.filter((m) => m.storage === 'slot').length > MSR_SLOTS) throw new Error('more MSRs than layout.ts MSR_SLOTS');

const BY_INDEX = new Map(MSRS.map((m) => [m.index, m]));

export function msrSpec(index: number): MsrSpec | undefined {
  return BY_INDEX.get(index >>> 0);
}

export class MsrModel {
  constructor(private readonly cpu: Cpu) {}

  reset(): void {
    for (const m of MSRS) {
      // Power-on and INIT: the TSC counts from the VM's clock epoch, one time base for every
      // vCPU, as KVM synchronizes each vCPU's TSC write of 0 with the others (kvm_synchronize_tsc).
      if (m.storage === 'tsc') this.cpu.state.set64('tscOffset', 0n);
      else if (m.storage === 'slot') this.cpu.state.set64('msr', m.reset, m.slot);
    }
  }

  /** The time stamp counter now: host nanoseconds plus the guest's offset (SDM Vol. 3B 18.17). */
  tsc(): bigint {
    return BigInt.asUintN(64, this.vmTicks() + this.cpu.state.get64('tscOffset'));
  }

  private setTsc(value: bigint): void {
    this.cpu.state.set64('tscOffset', BigInt.asUintN(64, value - this.vmTicks()));
  }

  /** This thread's performance.now() origin on the VM's clock (host-clock.ts), in ms. */
  private originMs: number | undefined;

  /**
   * TSC ticks of the VM's clock: host time since the VM's clock epoch, the same in every vCPU
   * worker, taken from this thread's performance.now() so that its resolution survives.
   */
  private vmTicks(): bigint {
    this.originMs ??= performance.timeOrigin - vmClockEpochMs(this.cpu.memory.buffer);
    return BigInt(Math.floor((performance.now() + this.originMs) * (TSC_HZ / 1000)));
  }

  /** The MSR as the guest (or, with `host`, the VMM) sees it: undefined when it does not exist. */
  private find(index: number, host: boolean): MsrSpec | undefined {
    const m = msrSpec(index);
    if (m === undefined || host) return m;
    if (m.amdOnly && !isAmdCompatible(this.cpu.env.cpuid)) return undefined;
    if (m.requires === undefined) return m;
    return m.requires.some((f) => cpuidHas(this.cpu.env.cpuid, f)) ? m : undefined;
  }

  private value(m: MsrSpec): bigint {
    const s = this.cpu.state;
    switch (m.storage) {
      case 'tsc':
        return this.tsc();
      case 'efer':
        return s.get64('efer');
      case 'fsBase':
        return s.get64('segBase', Seg.FS);
      case 'gsBase':
        return s.get64('segBase', Seg.GS);
      case 'const':
        return m.reset;
      case 'command':
        return 0n;
      case 'slot':
        return s.get64('msr', m.slot);
    }
  }

  /** RDMSR (guest) or KVM_GET_MSRS (`host`): undefined when the MSR does not exist (#GP in the guest). */
  get(index: number, host = false): bigint | undefined {
    const m = this.find(index, host);
    if (m === undefined || (m.storage === 'command' && !host)) return undefined;
    return this.value(m);
  }

  /** WRMSR or KVM_SET_MSRS (`host`). Returns false when the MSR does not exist or the value is not allowed (#GP in the guest). */
  set(index: number, value: bigint, host: boolean): boolean {
    const m = this.find(index, host);
    if (m === undefined) return false;
    value = BigInt.asUintN(64, value);
    if (m.storage === 'efer') return writeEfer(this.cpu, value, host);
    const current = this.value(m);
    // A constant takes only its value, from the VMM; with `ignored` all-ones any write is dropped.
    if (m.storage === 'const') return (host && value === current) || m.ignored === ALL;
    const readOnly = m.readOnly ?? 0n;
    const ignored = m.ignored ?? 0n;
    if (value & ~(m.writable | readOnly | ignored)) return false;
    if (!host) {
      if ((value ^ current) & readOnly) return false;
      value = (value & ~ignored) | (current & ignored);
    }
    if (m.valid && !m.valid(value, this.cpu)) return false;
    if (m.kept) value = m.kept(value, this.cpu);
    const s = this.cpu.state;
    if (m.storage === 'command') return true;
    // IA32_TSC_ADJUST tracks guest writes to the TSC, and a guest write to it shifts the TSC
    // (SDM Vol. 3B 18.17.3); the VMM's KVM_SET_MSRS of either leaves the other alone, as in KVM.
    const adjust = msrSpec(Msr.TSC_ADJUST)!;
    if (!host && m.storage === 'tsc') s.set64('msr', BigInt.asUintN(64, s.get64('msr', adjust.slot) + value - current), adjust.slot);
    if (!host && m === adjust) this.setTsc(this.tsc() + value - current);
    if (m.storage === 'tsc') this.setTsc(value);
    else if (m.storage === 'fsBase') s.set64('segBase', value, Seg.FS);
    else if (m.storage === 'gsBase') s.set64('segBase', value, Seg.GS);
    else s.set64('msr', value, m.slot);
    m.afterWrite?.(this.cpu);
    return true;
  }

  /** IA32_APIC_BASE for kvm_sregs.apic_base: this CPU has no local APIC yet. */
  apicBase(): bigint {
    return 0n;
  }
}
