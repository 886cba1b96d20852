// The CPUID model: what this CPU tells the guest about itself (SDM Vol. 2A CPUID). It
// advertises exactly what is implemented. KVM_SET_CPUID2 replaces the table; until a VMM
// sets one, the vCPU answers with the supported table (KVM_GET_SUPPORTED_CPUID), so a
// minimal VMM still gets a coherent CPU.
import { KVM_CPUID_FLAG_SIGNIFCANT_INDEX, type KvmCpuidEntry2 } from '../kvm/types.ts';

/** CPUID.01H:EDX feature bits (SDM Vol. 2A Table 3-11). */
export const enum Cpuid1Edx {
  FPU = 1 << 0, VME = 1 << 1, DE = 1 << 2, PSE = 1 << 3, TSC = 1 << 4, MSR = 1 << 5, PAE = 1 << 6,
  MCE = 1 << 7, CX8 = 1 << 8, APIC = 1 << 9, SEP = 1 << 11, MTRR = 1 << 12, PGE = 1 << 13,
  MCA = 1 << 14, CMOV = 1 << 15, PAT = 1 << 16, PSE36 = 1 << 17, MMX = 1 << 23, FXSR = 1 << 24, SSE = 1 << 25,
  SSE2 = 1 << 26,
}

/** CPUID.80000001H:EDX feature bits (SDM Vol. 2A CPUID, Table 3-8). */
export const enum CpuidExt1Edx {
  SYSCALL = 1 << 11, NX = 1 << 20, PAGE1GB = 1 << 26, RDTSCP = 1 << 27, LM = 1 << 29,
}

/** CPUID.(EAX=07H, ECX=0):EBX and ECX feature bits (SDM Vol. 2A Table 3-8). */
export const enum Cpuid7Ebx {
  SMEP = 1 << 7, SMAP = 1 << 20,
}
export const enum Cpuid7Ecx {
  RDPID = 1 << 22,
}

/** CPUID.01H:ECX bit 31: running under a hypervisor (reserved for that use by Intel and AMD). */
export const CPUID1_ECX_HYPERVISOR = 1 << 31;

/** Output registers of CPUID, in the order query() returns them. */
export const enum CpuidReg {
  EAX = 0, EBX = 1, ECX = 2, EDX = 3,
}

/** One feature flag: leaf, sub-leaf, register and bit. */
export interface CpuidFeature {
  readonly leaf: number;
  readonly subleaf?: number;
  readonly reg: CpuidReg;
  readonly bit: number;
}

/** The feature flags the CPU model consults (CR4 and EFER write rules, which MSRs exist). */
export const Feature = {
  DE: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.DE },
  PSE: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.PSE },
  TSC: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.TSC },
  PAE: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.PAE },
  MCE: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.MCE },
  MTRR: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.MTRR },
  PGE: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.PGE },
  PAT: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.PAT },
  SMEP: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.SMEP },
  SMAP: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.SMAP },
  RDPID: { leaf: 7, subleaf: 0, reg: CpuidReg.ECX, bit: Cpuid7Ecx.RDPID },
  NX: { leaf: 0x80000001, reg: CpuidReg.EDX, bit: CpuidExt1Edx.NX },
  RDTSCP: { leaf: 0x80000001, reg: CpuidReg.EDX, bit: CpuidExt1Edx.RDTSCP },
  LM: { leaf: 0x80000001, reg: CpuidReg.EDX, bit: CpuidExt1Edx.LM },
} as const satisfies Record<string, CpuidFeature>;

/** What answers CPUID (the vCPU's CpuidModel, or the Cpu's env.cpuid). */
export interface CpuidSource {
  query(leaf: number, subleaf: number): [number, number, number, number];
}

/**
 * Whether `cpuid` enumerates feature `f`. A leaf above the maximum of its range enumerates
 * nothing (its query would return the highest basic leaf's data on Intel).
 */
export function cpuidHas(cpuid: CpuidSource, f: CpuidFeature): boolean {
  const rangeBase = f.leaf >= 0x80000000 ? 0x80000000 : 0;
  if (cpuid.query(rangeBase, 0)[CpuidReg.EAX] >>> 0 < f.leaf) return false;
  return (cpuid.query(f.leaf, f.subleaf ?? 0)[f.reg] & f.bit) !== 0;
}

/**
 * Family 6, model 15, stepping 11 (Core 2 "Merom"; QEMU's core2duo signature): a P6-family
 * CPU, the family in which PAE, PGE, PAT, PSE-36 and NX all exist. Linux keeps PAT enabled
 * from this model on (arch/x86/kernel/cpu/intel.c) and, for family 6 and later, reads
 * IA32_UCODE_REV without a fault handler (msr.ts has it). LM stays hidden until IA-32e mode
 * is complete.
 */
export const SIGNATURE = (6 << 8) | (15 << 4) | 11;

/** Leaf 01H:EDX of the supported table: the features this CPU implements. */
const LEAF1_EDX =
  Cpuid1Edx.PSE | Cpuid1Edx.TSC | Cpuid1Edx.MSR | Cpuid1Edx.PAE | Cpuid1Edx.CX8 | Cpuid1Edx.MTRR | Cpuid1Edx.PGE |
  Cpuid1Edx.CMOV | Cpuid1Edx.PAT | Cpuid1Edx.PSE36;

function str4(s: string, at: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (s.charCodeAt(at + i) || 0) << (8 * i);
  return v >>> 0;
}

function brandLeaves(brand: string): KvmCpuidEntry2[] {
  const b = brand.padEnd(48, '\0');
  return [0, 1, 2].map((k) => ({
    function: 0x80000002 + k, index: 0, flags: 0,
    eax: str4(b, k * 16), ebx: str4(b, k * 16 + 4), ecx: str4(b, k * 16 + 8), edx: str4(b, k * 16 + 12),
  }));
}

/** The table of what is implemented (KVM_GET_SUPPORTED_CPUID). */
export function supportedCpuid(): KvmCpuidEntry2[] {
  const vendor = 'GenuineIntel';
  const kvm = 'KVMKVMKVM\0\0\0';
  return [
    // Leaf 0: max basic leaf, vendor in EBX EDX ECX.
    { function: 0, index: 0, flags: 0, eax: 1, ebx: str4(vendor, 0), edx: str4(vendor, 4), ecx: str4(vendor, 8) },
    {
      function: 1, index: 0, flags: 0, eax: SIGNATURE, ebx: 0, ecx: CPUID1_ECX_HYPERVISOR,
      edx: LEAF1_EDX,
    },
    // KVM's paravirtual leaves (Documentation/virt/kvm/x86/cpuid.rst): signature, no PV features yet.
    { function: 0x40000000, index: 0, flags: 0, eax: 0x40000001, ebx: str4(kvm, 0), ecx: str4(kvm, 4), edx: str4(kvm, 8) },
    { function: 0x40000001, index: 0, flags: 0, eax: 0, ebx: 0, ecx: 0, edx: 0 },
    { function: 0x80000000, index: 0, flags: 0, eax: 0x80000004, ebx: 0, ecx: 0, edx: 0 },
    { function: 0x80000001, index: 0, flags: 0, eax: 0, ebx: 0, ecx: 0, edx: CpuidExt1Edx.NX },
    ...brandLeaves('wasmkvm virtual CPU'),
  ];
}

export class CpuidModel {
  private entries: KvmCpuidEntry2[] = supportedCpuid();

  setEntries(entries: KvmCpuidEntry2[]): void {
    this.entries = entries.map((e) => ({ ...e }));
  }

  getEntries(): KvmCpuidEntry2[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /** EAX of leaf 1: the processor signature (also EDX after reset). */
  signature(): number {
    return this.find(1, 0)?.eax ?? SIGNATURE;
  }

  private find(leaf: number, subleaf: number): KvmCpuidEntry2 | undefined {
    return this.entries.find((e) => e.function === leaf && (!(e.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e.index === subleaf));
  }

  /**
   * Executes CPUID. A leaf above the maximum of its range returns the highest basic leaf's
   * data, as Intel CPUs do (SDM Vol. 2A CPUID, "If a value entered for CPUID.EAX is higher
   * than the maximum input value...") and as KVM emulates for Intel vendors.
   */
  query(leaf: number, subleaf: number): [number, number, number, number] {
    leaf >>>= 0;
    const maxBasic = this.find(0, 0)?.eax ?? 0;
    const rangeBase = leaf >= 0x80000000 ? 0x80000000 : leaf >= 0x40000000 && leaf < 0x50000000 ? 0x40000000 : 0;
    const rangeMax = this.find(rangeBase, 0)?.eax ?? 0;
    let e = leaf <= rangeMax || (rangeBase === 0 && leaf <= maxBasic) ? this.find(leaf, subleaf) : undefined;
    if (e === undefined && rangeBase !== 0x40000000 && leaf > rangeMax) e = this.find(maxBasic, subleaf);
    if (e === undefined) return [0, 0, 0, 0];
    return [e.eax >>> 0, e.ebx >>> 0, e.ecx >>> 0, e.edx >>> 0];
  }
}
