// The CPUID model: what this CPU tells the guest about itself (SDM Vol. 2A CPUID). It
// advertises exactly what is implemented. KVM_SET_CPUID2 replaces the table; until a VMM
// sets one, the vCPU answers with the supported table (KVM_GET_SUPPORTED_CPUID), so a
// minimal VMM still gets a coherent CPU. The supported table says GenuineIntel; a VMM that
// wants AuthenticAMD passes it through withVendor, and the CPU then follows the vendor of
// the leaf 0 it was given (isAmdCompatible), as KVM does.
import { KVM_CPUID_FLAG_SIGNIFCANT_INDEX, type KvmCpuidEntry2 } from '../kvm/types.ts';
import { clockLeaves, CPUID_LEAF_FREQUENCY, CPUID_LEAF_TOPOLOGY, topologyLeaves } from './cpuid-topology.ts';
import { MAXPHYADDR } from './paging/entry.ts';
import { Cr4 } from './registers.ts';
import { XCR0_SUPPORTED, XSAVE_AREA_SIZE, XsaveSub1, XSS_SUPPORTED } from './xsave.ts';

/** CPUID.01H:EDX feature bits (SDM Vol. 2A Table 3-11). */
export const enum Cpuid1Edx {
  FPU = 1 << 0, VME = 1 << 1, DE = 1 << 2, PSE = 1 << 3, TSC = 1 << 4, MSR = 1 << 5, PAE = 1 << 6,
  MCE = 1 << 7, CX8 = 1 << 8, APIC = 1 << 9, SEP = 1 << 11, MTRR = 1 << 12, PGE = 1 << 13,
  MCA = 1 << 14, CMOV = 1 << 15, PAT = 1 << 16, PSE36 = 1 << 17, CLFSH = 1 << 19, MMX = 1 << 23, FXSR = 1 << 24,
  SSE = 1 << 25, SSE2 = 1 << 26,
}

/** CPUID.01H:ECX feature bits (SDM Vol. 2A Table 3-10). */
export const enum Cpuid1Ecx {
  SSE3 = 1 << 0, PCLMULQDQ = 1 << 1, SSSE3 = 1 << 9, CX16 = 1 << 13, PCID = 1 << 17, SSE4_1 = 1 << 19, SSE4_2 = 1 << 20,
  MOVBE = 1 << 22, POPCNT = 1 << 23, AES = 1 << 25, XSAVE = 1 << 26, OSXSAVE = 1 << 27, RDRAND = 1 << 30,
}

/** CPUID.80000001H:ECX feature bits (SDM Vol. 2A CPUID, Table 3-8). */
export const enum CpuidExt1Ecx {
  LAHF_LM = 1 << 0, ABM = 1 << 5,
}

/** CPUID.80000007H:EDX bit 8: the TSC runs at a constant rate in every state (SDM Vol. 2A Table 3-8). */
export const CPUID_EXT7_EDX_INVARIANT_TSC = 1 << 8;

/** CPUID.06H:EAX bit 2: the APIC timer runs at a constant rate whatever the power state (ARAT; SDM Vol. 2A Table 3-8). */
export const CPUID6_EAX_ARAT = 1 << 2;

/** CPUID.(EAX=07H, ECX=0):EDX bits: speculation controls (SDM Vol. 2A Table 3-8; Intel's "Speculative Execution Side Channel Mitigations"). */
export const enum Cpuid7Edx {
  SPEC_CTRL = 1 << 26, STIBP = 1 << 27, ARCH_CAPABILITIES = 1 << 29, SSBD = 1 << 31,
}

/** CPUID.80000001H:EDX feature bits (SDM Vol. 2A CPUID, Table 3-8). */
export const enum CpuidExt1Edx {
  SYSCALL = 1 << 11, NX = 1 << 20, PAGE1GB = 1 << 26, RDTSCP = 1 << 27, LM = 1 << 29,
}

/** CPUID.(EAX=07H, ECX=0):EBX and ECX feature bits (SDM Vol. 2A Table 3-8). */
export const enum Cpuid7Ebx {
  FSGSBASE = 1 << 0, TSC_ADJUST = 1 << 1, BMI1 = 1 << 3, SMEP = 1 << 7, BMI2 = 1 << 8, INVPCID = 1 << 10, RDSEED = 1 << 18, ADX = 1 << 19,
  SMAP = 1 << 20,
}
export const enum Cpuid7Ecx {
  UMIP = 1 << 2, PKU = 1 << 3, OSPKE = 1 << 4, LA57 = 1 << 16, RDPID = 1 << 22, PKS = 1 << 31,
}

/** Family, model and stepping of the model this CPU claims (see SIGNATURE). */
const ICELAKE_X = { family: 6, extModel: 0x6, model: 0xa, stepping: 6 } as const;

/**
 * The vendors a VMM may give this CPU (the `vendor=` property of QEMU's -cpu), by the
 * string CPUID leaf 0 returns in EBX, EDX, ECX. GenuineIntel is the default.
 */
export const CPU_VENDORS = ['GenuineIntel', 'AuthenticAMD'] as const;
export type CpuVendor = (typeof CPU_VENDORS)[number];
export const DEFAULT_CPU_VENDOR: CpuVendor = 'GenuineIntel';
/** Hygon's Dhyana, which KVM treats as AMD (guest_cpuid_is_amd_or_hygon); not offered by the VMM. */
const HYGON_VENDOR = 'HygonGenuine';

/**
 * The AMD identity: family 1AH, model 02H, stepping 1 (signature 0xB00F21: base family 0FH +
 * extended family 0BH; AMD EPYC 9005 "Turin", Zen 5). It is the host CPU that recorded this
 * project's fixtures (tests/fixtures), and it has every feature this CPU advertises except
 * PKS, which no AMD part has (withVendor leaves it out). Debian's Linux 6.1 boots on it
 * without an unchecked MSR access (msr.ts has the AMD MSRs its amd.c, mtrr and amd_bus code
 * read) and without a family-specific mitigation such as SRSO's return thunks.
 */
const EPYC_TURIN = { baseFamily: 0xf, extFamily: 0xb, model: 0x2, stepping: 1 } as const;
export const AMD_SIGNATURE = (EPYC_TURIN.extFamily << 20) | (EPYC_TURIN.baseFamily << 8) | (EPYC_TURIN.model << 4) | EPYC_TURIN.stepping;

/**
 * CPUID Fn8000_0001_EDX bits that AMD defines as copies of Fn0000_0001_EDX (AMD APM Vol. 3
 * Appendix E.4.2, CPUID Fn8000_0001_EDX): FPU VME DE PSE TSC MSR PAE MCE CMPXCHG8B APIC (0-9),
 * MTRR PGE MCA CMOV PAT PSE36 (12-17), MMX (23) and FXSR (24). Bit 11 is SYSCALL there (SEP in
 * leaf 1), and 25 and 26 are FFXSR and Page1GB (SSE and SSE2 in leaf 1).
 */
const AMD_EXT1_EDX_MIRRORED = 0x3ff | (0x3f << 12) | Cpuid1Edx.MMX | Cpuid1Edx.FXSR;
/**
 * CPUID Fn8000_0001_EDX[22] MmxExt: AMD's name for the MMX-register instructions that SSE
 * added (PAVGB PEXTRW PINSRW PMAXSW PMAXUB PMINSW PMINUB PMOVMSKB PMULHUW PSADBW PSHUFW
 * MASKMOVQ MOVNTQ, SFENCE, PREFETCHh; APM Vol. 3 Appendix E, Vol. 5), implemented with SSE.
 */
export const AMD_EXT1_EDX_MMXEXT = 1 << 22;
/** Fn8000_0008_ECX[15:12] ApicIdSize: the APIC ID bits that number a package's cores. */
const AMD_APIC_ID_SIZE_SHIFT = 12;

/** Bits of a linear address with 4-level paging (SDM Vol. 3A 4.5). */
export const LINEAR_ADDRESS_BITS = 48;

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
  FXSR: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.FXSR },
  SSE: { leaf: 1, reg: CpuidReg.EDX, bit: Cpuid1Edx.SSE },
  PCID: { leaf: 1, reg: CpuidReg.ECX, bit: Cpuid1Ecx.PCID },
  XSAVE: { leaf: 1, reg: CpuidReg.ECX, bit: Cpuid1Ecx.XSAVE },
  XSAVEC: { leaf: 0xd, subleaf: 1, reg: CpuidReg.EAX, bit: XsaveSub1.XSAVEC },
  XSAVES: { leaf: 0xd, subleaf: 1, reg: CpuidReg.EAX, bit: XsaveSub1.XSAVES },
  FSGSBASE: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.FSGSBASE },
  TSC_ADJUST: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.TSC_ADJUST },
  SMEP: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.SMEP },
  INVPCID: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.INVPCID },
  SMAP: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.SMAP },
  UMIP: { leaf: 7, subleaf: 0, reg: CpuidReg.ECX, bit: Cpuid7Ecx.UMIP },
  PKU: { leaf: 7, subleaf: 0, reg: CpuidReg.ECX, bit: Cpuid7Ecx.PKU },
  LA57: { leaf: 7, subleaf: 0, reg: CpuidReg.ECX, bit: Cpuid7Ecx.LA57 },
  PKS: { leaf: 7, subleaf: 0, reg: CpuidReg.ECX, bit: Cpuid7Ecx.PKS },
  RDPID: { leaf: 7, subleaf: 0, reg: CpuidReg.ECX, bit: Cpuid7Ecx.RDPID },
  SPEC_CTRL: { leaf: 7, subleaf: 0, reg: CpuidReg.EDX, bit: Cpuid7Edx.SPEC_CTRL },
  ARCH_CAPABILITIES: { leaf: 7, subleaf: 0, reg: CpuidReg.EDX, bit: Cpuid7Edx.ARCH_CAPABILITIES },
  NX: { leaf: 0x80000001, reg: CpuidReg.EDX, bit: CpuidExt1Edx.NX },
  SYSCALL: { leaf: 0x80000001, reg: CpuidReg.EDX, bit: CpuidExt1Edx.SYSCALL },
  PAGE1GB: { leaf: 0x80000001, reg: CpuidReg.EDX, bit: CpuidExt1Edx.PAGE1GB },
  LAHF_LM: { leaf: 0x80000001, reg: CpuidReg.ECX, bit: CpuidExt1Ecx.LAHF_LM },
  RDTSCP: { leaf: 0x80000001, reg: CpuidReg.EDX, bit: CpuidExt1Edx.RDTSCP },
  LM: { leaf: 0x80000001, reg: CpuidReg.EDX, bit: CpuidExt1Edx.LM },
  // Integer instruction extensions (jit/emit/bits.ts, bmi.ts, random.ts, moves.ts, atomic.ts).
  CX16: { leaf: 1, reg: CpuidReg.ECX, bit: Cpuid1Ecx.CX16 },
  MOVBE: { leaf: 1, reg: CpuidReg.ECX, bit: Cpuid1Ecx.MOVBE },
  POPCNT: { leaf: 1, reg: CpuidReg.ECX, bit: Cpuid1Ecx.POPCNT },
  RDRAND: { leaf: 1, reg: CpuidReg.ECX, bit: Cpuid1Ecx.RDRAND },
  ABM: { leaf: 0x80000001, reg: CpuidReg.ECX, bit: CpuidExt1Ecx.ABM },
  BMI1: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.BMI1 },
  BMI2: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.BMI2 },
  RDSEED: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.RDSEED },
  ADX: { leaf: 7, subleaf: 0, reg: CpuidReg.EBX, bit: Cpuid7Ebx.ADX },
  // AES-NI and carry-less multiplication (jit/emit/sse-crypto.ts).
  AES: { leaf: 1, reg: CpuidReg.ECX, bit: Cpuid1Ecx.AES },
  PCLMULQDQ: { leaf: 1, reg: CpuidReg.ECX, bit: Cpuid1Ecx.PCLMULQDQ },
} as const satisfies Record<string, CpuidFeature>;

/**
 * The bits of a CPUID result that reflect the OS's control registers rather than the table:
 * leaf 1 ECX.OSXSAVE is CR4.OSXSAVE when XSAVE is enumerated, leaf 7 sub-leaf 0 ECX.OSPKE is
 * CR4.PKE when PKU is enumerated (SDM Vol. 2A Tables 3-8, 3-10).
 */
export function withOsBits(leaf: number, subleaf: number, regs: [number, number, number, number], cr4: number): [number, number, number, number] {
  // CPUID.01H:ECX.OSXSAVE[bit 27] is CR4.OSXSAVE when XSAVE is enumerated (SDM Vol. 2A Table 3-10).
  if (leaf === 1 && regs[CpuidReg.ECX] & Cpuid1Ecx.XSAVE) {
    const osxsave = cr4 & Cr4.OSXSAVE ? Cpuid1Ecx.OSXSAVE : 0;
    regs[CpuidReg.ECX] = ((regs[CpuidReg.ECX] & ~Cpuid1Ecx.OSXSAVE) | osxsave) >>> 0;
  }
  if (leaf === 7 && subleaf === 0 && regs[CpuidReg.ECX] & Cpuid7Ecx.PKU) {
    const ospke = cr4 & Cr4.PKE ? Cpuid7Ecx.OSPKE : 0;
    regs[CpuidReg.ECX] = ((regs[CpuidReg.ECX] & ~Cpuid7Ecx.OSPKE) | ospke) >>> 0;
  }
  return regs;
}

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
 * Whether the guest's CPUID says AMD (or Hygon, whose CPUs follow AMD's semantics): the
 * vendor-dependent instructions and CPUID's out-of-range answer follow it, as KVM's
 * guest_cpuid_is_amd_or_hygon (arch/x86/kvm/cpuid.h) decides from the leaf 0 the VMM set.
 */
export function isAmdCompatible(cpuid: CpuidSource): boolean {
  const [, ebx, ecx, edx] = cpuid.query(0, 0);
  return AMD_COMPATIBLE_VENDORS.some((v) => ebx === v[0] && edx === v[1] && ecx === v[2]);
}

/** AuthenticAMD and HygonGenuine as leaf 0 returns them in EBX, EDX, ECX (compared per SYSRET, so as numbers). */
const AMD_COMPATIBLE_VENDORS = ['AuthenticAMD', HYGON_VENDOR].map((v) => [str4(v, 0), str4(v, 4), str4(v, 8)]);

/** The CPUID table with leaf 0's vendor string set (and, for AMD, leaf 80000000H's: APM Vol. 3 E.4.1). */
function setVendorString(e: KvmCpuidEntry2, vendor: string): KvmCpuidEntry2 {
  return { ...e, ebx: str4(vendor, 0), edx: str4(vendor, 4), ecx: str4(vendor, 8) };
}

/**
 * A CPUID table (the supported one, or a VMM's) as `vendor`'s CPU presents it, as QEMU's
 * `-cpu ...,vendor=` builds it before KVM_SET_CPUID2. GenuineIntel: the table as it is.
 * AuthenticAMD (AMD APM Vol. 3 Appendix E): the vendor string in leaf 0 and in leaf
 * 80000000H (Fn8000_0000_E[B,D,C]X, where Intel returns 0); the Zen 5 signature
 * (AMD_SIGNATURE) in leaf 1 EAX and in Fn8000_0001_EAX, which AMD defines as the same
 * value; Fn8000_0001_EDX gains the bits AMD mirrors from leaf 1 EDX, and MmxExt. The
 * features stay those implemented, less PKS (leaf 7 ECX[31]): Intel-only (SDM Vol. 3A
 * 4.6.2), absent from the APM and never given to a guest by KVM on an AMD host. With
 * `cores` > 1, Fn8000_0008_ECX gives the package's cores as AMD's Linux code reads them
 * (APM Vol. 3 E.4.7: NC = cores - 1 in bits 7:0, ApicIdSize in bits 15:12), as QEMU fills it;
 * Intel keeps that register reserved (0) and describes cores in leaf 0BH alone.
 */
export function withVendor(entries: readonly KvmCpuidEntry2[], vendor: CpuVendor, cores = 1): KvmCpuidEntry2[] {
  if (vendor === 'GenuineIntel') return entries.map((e) => ({ ...e }));
  const leaf1Edx = entries.find((e) => e.function === 1)?.edx ?? 0;
  return entries.map((e) => {
    switch (e.function) {
      case 0:
      case 0x80000000:
        return setVendorString(e, vendor);
      case 1:
        return { ...e, eax: AMD_SIGNATURE };
      case 7:
        return e.index === 0 ? { ...e, ecx: (e.ecx & ~Cpuid7Ecx.PKS) >>> 0 } : { ...e };
      case 0x80000001:
        return { ...e, eax: AMD_SIGNATURE, edx: (e.edx | (leaf1Edx & AMD_EXT1_EDX_MIRRORED) | AMD_EXT1_EDX_MMXEXT) >>> 0 };
      case 0x80000008:
        return cores > 1 ? { ...e, ecx: (Math.ceil(Math.log2(cores)) << AMD_APIC_ID_SIZE_SHIFT) | (cores - 1) } : { ...e };
      default:
        return { ...e };
    }
  });
}

/**
 * Family 6, model 0x6A, stepping 6 (display signature 0x606A6: Xeon Scalable 3rd generation,
 * "Ice Lake-SP", Linux INTEL_FAM6_ICELAKE_X). The model is chosen so that every feature this
 * CPU advertises or is about to (IA-32e mode, 1 GiB pages, RDTSCP, FSGSBASE, SMEP/SMAP,
 * PCID/INVPCID, UMIP, PKU, LA57, RDPID, BMI1/2, ADX, RDSEED, MOVBE) exists on it: a Core 2
 * signature with leaf 7 would be incoherent. Linux's quirks for it stay quiet here: its
 * microcode blocklists (intel.c bad_spectre_microcode, apic.c deadline errata) are skipped
 * under CPUID.1:ECX.HYPERVISOR; split-lock detection probes MSR_TEST_CTRL with
 * rdmsrl_safe and gives up on #GP; its vulnerability blocklist entries (MMIO stale data,
 * GDS) are lifted by the IA32_ARCH_CAPABILITIES *_NO bits, which are true of a CPU that does
 * not speculate (msr.ts). Linux keeps PAT from family 6 model 15 on and sets CONSTANT_TSC
 * for family 6 from model 14.
 */
export const SIGNATURE = (ICELAKE_X.extModel << 16) | (ICELAKE_X.family << 8) | (ICELAKE_X.model << 4) | ICELAKE_X.stepping;

/**
 * MMX, SSE through SSE4.2, AES-NI and PCLMULQDQ, FXSAVE/FXRSTOR, XSAVE and CLFLUSH
 * (jit/emit/sse-*.ts, core/simd/, core/cpu/xsave.ts; host-CPU fixtures in tests/fixtures/sse).
 * AVX is not implemented and not advertised. Leaf 1 ECX is the same for both vendors.
 */
const SIMD_LEAF1_EDX = Cpuid1Edx.CLFSH | Cpuid1Edx.MMX | Cpuid1Edx.FXSR | Cpuid1Edx.SSE | Cpuid1Edx.SSE2;
const SIMD_LEAF1_ECX =
  Cpuid1Ecx.SSE3 | Cpuid1Ecx.PCLMULQDQ | Cpuid1Ecx.SSSE3 | Cpuid1Ecx.SSE4_1 | Cpuid1Ecx.SSE4_2 | Cpuid1Ecx.AES | Cpuid1Ecx.XSAVE;
/** CPUID.01H:EBX[15:8]: the CLFLUSH line size in 8-byte units (64 bytes). */
const CLFLUSH_LINE_QWORDS = 8;
/**
 * Leaf 0DH (SDM Vol. 2A CPUID, "Processor Extended State Enumeration"): sub-leaf 0 lists the
 * XCR0 components (x87, SSE) and the XSAVE area size (576: legacy region and header) for the
 * enabled ones and for all; sub-leaf 1: XSAVEOPT, XSAVEC, XGETBV with ECX = 1, XSAVES/XRSTORS
 * and IA32_XSS (bits 0-3), EBX the compacted size for XCR0 | IA32_XSS (576 again: x87 and SSE
 * live in the legacy region), ECX:EDX the IA32_XSS bits supported (none).
 */
const XSAVE_LEAF_SUB1_EAX = XsaveSub1.XSAVEOPT | XsaveSub1.XSAVEC | XsaveSub1.XGETBV1 | XsaveSub1.XSAVES;

/** Leaf 01H:EDX of the supported table: the features this CPU implements. */
const LEAF1_EDX =
  Cpuid1Edx.FPU | Cpuid1Edx.DE | Cpuid1Edx.PSE | Cpuid1Edx.TSC | Cpuid1Edx.MSR | Cpuid1Edx.PAE | Cpuid1Edx.CX8 | Cpuid1Edx.MTRR | Cpuid1Edx.PGE |
  Cpuid1Edx.CMOV | Cpuid1Edx.PAT | Cpuid1Edx.PSE36 | Cpuid1Edx.APIC | SIMD_LEAF1_EDX;

/**
 * The in-kernel local APIC (core/kvm/irqchip, with KVM_CREATE_IRQCHIP): x2APIC (CPUID.01H:ECX[21])
 * and the TSC-deadline timer (ECX[24]); APIC itself is EDX[9] above. As with KVM, a VMM that
 * creates no irqchip should clear these bits in KVM_SET_CPUID2.
 */
const APIC_LEAF1_ECX = (1 << 21) | (1 << 24);

/**
 * KVM's paravirtual features (Documentation/virt/kvm/x86/cpuid.rst, CPUID 0x40000001 EAX):
 * KVM_FEATURE_NOP_IO_DELAY (bit 1: no device here needs the port 0x80 write after each
 * I/O access, so Linux's inb_p/outb_p skip it, as under QEMU, which sets it by default),
 * KVM_FEATURE_CLOCKSOURCE2 (bit 3, kvmclock at MSRs 0x4b564d00/01) and
 * KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (bit 24); core/kvm/irqchip/kvmclock.ts.
 */
const KVM_PV_FEATURES = (1 << 1) | (1 << 3) | (1 << 24);

/**
 * The integer instruction extensions (jit/emit/bits.ts, bmi.ts, moves.ts, random.ts, atomic.ts;
 * tests/unit/isa-ext.test.ts): CMPXCHG16B MOVBE POPCNT RDRAND in leaf 1, BMI1 BMI2 RDSEED ADX
 * in leaf 7 (RDPID in its ECX, LZCNT as ABM and RDTSCP in leaf 80000001H, below).
 */
const ISA_LEAF1_ECX = Cpuid1Ecx.CX16 | Cpuid1Ecx.MOVBE | Cpuid1Ecx.POPCNT | Cpuid1Ecx.RDRAND;
const ISA_LEAF7_EBX = Cpuid7Ebx.BMI1 | Cpuid7Ebx.BMI2 | Cpuid7Ebx.RDSEED | Cpuid7Ebx.ADX;

/** The highest basic leaf: 16H (processor frequency). Leaves below it answer as listed or zero. */
const MAX_BASIC_LEAF = CPUID_LEAF_FREQUENCY;
/** The highest extended leaf: 80000008H (address sizes). */
const MAX_EXTENDED_LEAF = 0x80000008;

/**
 * CPUID.80000008H:EAX: physical-address width in bits 7:0 (MAXPHYADDR, the width the paging
 * reserved-bit checks use, paging/entry.ts) and linear-address width in bits 15:8 (48 with
 * 4-level paging; SDM Vol. 2A Table 3-8).
 */
const ADDRESS_SIZES = (LINEAR_ADDRESS_BITS << 8) | MAXPHYADDR;

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
    { function: 0, index: 0, flags: 0, eax: MAX_BASIC_LEAF, ebx: str4(vendor, 0), edx: str4(vendor, 4), ecx: str4(vendor, 8) },
    {
      function: 1, index: 0, flags: 0, eax: SIGNATURE, ebx: CLFLUSH_LINE_QWORDS << 8,
      ecx: (CPUID1_ECX_HYPERVISOR | Cpuid1Ecx.PCID | ISA_LEAF1_ECX | APIC_LEAF1_ECX | SIMD_LEAF1_ECX) >>> 0,
      edx: LEAF1_EDX,
    },
    // Leaf 6: thermal and power management. Only ARAT: there are no power states in which a timer could stop.
    { function: 6, index: 0, flags: 0, eax: CPUID6_EAX_ARAT, ebx: 0, ecx: 0, edx: 0 },
    // Leaf 7 sub-leaf 0: EAX = the highest sub-leaf (0); FSGSBASE (jit/emit/syscall.ts); IA32_TSC_ADJUST (msr.ts); the
    // speculation-control MSRs IA32_SPEC_CTRL, IA32_PRED_CMD and IA32_ARCH_CAPABILITIES (msr.ts).
    // SMEP SMAP UMIP INVPCID PKU PKS: paging and system instructions (mmu.ts, system-regs.ts,
    // jit/emit/system.ts). LA57 is implemented but not advertised: 5-level addresses above
    // 2^53 lose their low bits on the cold path (mmu.ts), where a 5-level kernel lives.
    {
      function: 7, index: 0, flags: KVM_CPUID_FLAG_SIGNIFCANT_INDEX, eax: 0,
      ebx: Cpuid7Ebx.FSGSBASE | Cpuid7Ebx.TSC_ADJUST | Cpuid7Ebx.SMEP | Cpuid7Ebx.INVPCID | Cpuid7Ebx.SMAP | ISA_LEAF7_EBX,
      ecx: (Cpuid7Ecx.UMIP | Cpuid7Ecx.PKU | Cpuid7Ecx.PKS | Cpuid7Ecx.RDPID) >>> 0,
      edx: (Cpuid7Edx.SPEC_CTRL | Cpuid7Edx.STIBP | Cpuid7Edx.ARCH_CAPABILITIES | Cpuid7Edx.SSBD) >>> 0,
    },
    { function: 0xd, index: 0, flags: KVM_CPUID_FLAG_SIGNIFCANT_INDEX, eax: XCR0_SUPPORTED, ebx: XSAVE_AREA_SIZE, ecx: XSAVE_AREA_SIZE, edx: 0 },
    { function: 0xd, index: 1, flags: KVM_CPUID_FLAG_SIGNIFCANT_INDEX, eax: XSAVE_LEAF_SUB1_EAX, ebx: XSAVE_AREA_SIZE, ecx: XSS_SUPPORTED, edx: 0 },
    // Leaf 0BH for one vCPU (a VMM with more replaces it: Machine); 15H and 16H: the 1 GHz TSC and crystal (cpuid-topology.ts).
    ...topologyLeaves(1),
    ...clockLeaves(),
    // KVM's paravirtual leaves (Documentation/virt/kvm/x86/cpuid.rst): signature, then kvmclock.
    { function: 0x40000000, index: 0, flags: 0, eax: 0x40000001, ebx: str4(kvm, 0), ecx: str4(kvm, 4), edx: str4(kvm, 8) },
    { function: 0x40000001, index: 0, flags: 0, eax: KVM_PV_FEATURES, ebx: 0, ecx: 0, edx: 0 },
    { function: 0x80000000, index: 0, flags: 0, eax: MAX_EXTENDED_LEAF, ebx: 0, ecx: 0, edx: 0 },
    {
      function: 0x80000001, index: 0, flags: 0, eax: 0, ebx: 0, ecx: CpuidExt1Ecx.LAHF_LM | CpuidExt1Ecx.ABM,
      edx: CpuidExt1Edx.SYSCALL | CpuidExt1Edx.NX | CpuidExt1Edx.PAGE1GB | CpuidExt1Edx.RDTSCP | CpuidExt1Edx.LM,
    },
    ...brandLeaves('wasmkvm virtual CPU'),
    // The TSC counts host time at TSC_HZ whatever the guest does (msr.ts): invariant.
    { function: 0x80000007, index: 0, flags: 0, eax: 0, ebx: 0, ecx: 0, edx: CPUID_EXT7_EDX_INVARIANT_TSC },
    { function: 0x80000008, index: 0, flags: 0, eax: ADDRESS_SIZES, ebx: 0, ecx: 0, edx: 0 },
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
   * than the maximum input value...") and as KVM emulates for Intel vendors; zeros when the
   * table's vendor is AMD.
   */
  query(leaf: number, subleaf: number): [number, number, number, number] {
    leaf >>>= 0;
    const maxBasic = this.find(0, 0)?.eax ?? 0;
    const rangeBase = leaf >= 0x80000000 ? 0x80000000 : leaf >= 0x40000000 && leaf < 0x50000000 ? 0x40000000 : 0;
    const rangeMax = this.find(rangeBase, 0)?.eax ?? 0;
    let e = leaf <= rangeMax || (rangeBase === 0 && leaf <= maxBasic) ? this.find(leaf, subleaf) : undefined;
    // AMD: a leaf above the maximum returns zeros (AMD APM Vol. 3 CPUID; KVM's
    // get_out_of_range_cpuid_entry for AMD/Hygon guests; this project's AMD host does too).
    if (e === undefined && rangeBase !== 0x40000000 && leaf > rangeMax && !isAmdCompatible(this)) e = this.find(maxBasic, subleaf);
    if (e === undefined) {
      // Leaf 0BH: a sub-leaf past the last level still returns its number in ECX[7:0]
      // (SDM Vol. 2A Table 3-8, "ECX[7:0] ... the input value of ECX"), as KVM's kvm_cpuid does
      // when sub-leaf 1 exists; the vCPU fills EDX with its x2APIC ID.
      if (leaf === CPUID_LEAF_TOPOLOGY && this.find(leaf, 1) !== undefined) return [0, 0, subleaf & 0xff, 0];
      return [0, 0, 0, 0];
    }
    return [e.eax >>> 0, e.ebx >>> 0, e.ecx >>> 0, e.edx >>> 0];
  }
}
