// Control and debug registers and EFER: the writes of MOV CRn / MOV DRn, LMSW, WRMSR to
// IA32_EFER and INVLPG with their checks and side effects (SDM Vol. 3A 2.2.1 "Extended
// Feature Enable Register", 2.5 "Control Registers", 4.4.1 "PDPTE Registers", 10.8.5
// "Initializing IA-32e Mode", 18.2 "Debug Registers", Vol. 2B "MOV—Move to/from Control
// Registers" and "MOV—Move to/from Debug Registers").
// Values arrive as two 32-bit halves (lo, hi) so that no BigInt is made on this path.
// Functions throw GuestFault without a delta; the emitter attaches the instruction's.
//
// Privilege (CPL 0) is checked by the emitters at compile time (jit/emit/system.ts), except
// for the debug registers, whose #UD / #GP / #DB order is decided here at run time.
import type { Cpu } from './cpu.ts';
import { cpuidHas, Feature, type CpuidFeature } from './cpuid.ts';
import { refreshDataWatch } from './debug.ts';
import { GuestFault } from './faults.ts';
import { decodeMode } from './mode.ts';
import { isCanonical, linearFromHalves } from './paging/canonical.ts';
import { HI_ADDR_MASK } from './paging/entry.ts';
import { Cr0, Cr4, Efer, Seg, SegAttr, Vector } from './registers.ts';

/** CR0 bits that exist (SDM Vol. 3A Figure 2-7); writes to the others are ignored, as KVM does. */
const CR0_DEFINED = Cr0.PE | Cr0.MP | Cr0.EM | Cr0.TS | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.AM | Cr0.NW | Cr0.CD | Cr0.PG;
/** A change of these CR0 bits changes translations (SDM Vol. 3A 4.10.4.1). */
const CR0_PAGING = Cr0.PG | Cr0.WP;
/** A change of these CR0 bits reloads the PDPTEs when PAE paging is in use after it (SDM Vol. 3A 4.4.1). */
const CR0_PDPTE_RELOAD = Cr0.PG | Cr0.CD | Cr0.NW;
/** The CR0 bits LMSW loads: PE MP EM TS (SDM Vol. 2A LMSW). */
const MSW_BITS = Cr0.PE | Cr0.MP | Cr0.EM | Cr0.TS;

/**
 * CR4 bits this CPU implements, each with the CPUID feature that enumerates it (SDM Vol. 3A
 * 2.5, Figure 2-8). A bit is writable when it is implemented and the guest's CPUID
 * advertises its feature; any other bit is reserved and a write of 1 raises #GP(0), as KVM
 * does (arch/x86/kvm/x86.h __cr4_reserved_bits). VME/PVI, PCE, CET and later bits are not
 * implemented. OSFXSR, OSXMMEXCPT, OSXSAVE and FSGSBASE become writable when the model that
 * uses them advertises its CPUID bit.
 */
const CR4_FEATURES: readonly (readonly [cr4: number, cpuid: CpuidFeature])[] = [
  [Cr4.TSD, Feature.TSC],
  [Cr4.DE, Feature.DE],
  [Cr4.PSE, Feature.PSE],
  [Cr4.PAE, Feature.PAE],
  [Cr4.MCE, Feature.MCE],
  [Cr4.PGE, Feature.PGE],
  [Cr4.OSFXSR, Feature.FXSR],
  [Cr4.OSXMMEXCPT, Feature.SSE],
  [Cr4.UMIP, Feature.UMIP],
  [Cr4.LA57, Feature.LA57],
  [Cr4.FSGSBASE, Feature.FSGSBASE],
  [Cr4.PCIDE, Feature.PCID],
  [Cr4.OSXSAVE, Feature.XSAVE],
  [Cr4.SMEP, Feature.SMEP],
  [Cr4.SMAP, Feature.SMAP],
  [Cr4.PKE, Feature.PKU],
  [Cr4.PKS, Feature.PKS],
];
/**
 * A change of these CR4 bits changes translations or the rights the TLB and the dispatcher's
 * hash have cached (SDM Vol. 3A 4.10.4.1: PGE, PAE, SMEP, PCIDE 1 -> 0, LA57; PSE, SMAP, PKE
 * and PKS change what a walk allows). Flushing on any change is always allowed.
 */
const CR4_PAGING = Cr4.PSE | Cr4.PGE | Cr4.PAE | Cr4.SMEP | Cr4.SMAP | Cr4.PCIDE | Cr4.LA57 | Cr4.PKE | Cr4.PKS;
/** A change of these CR4 bits reloads the PDPTEs when PAE paging is in use after it (SDM Vol. 3A 4.4.1). */
const CR4_PDPTE_RELOAD = Cr4.PSE | Cr4.PGE | Cr4.PAE | Cr4.SMEP;
/** CR3 bits 11:0 hold the PCID when CR4.PCIDE = 1 (SDM Vol. 3A 4.10.1). */
export const CR3_PCID_MASK = 0xfff;
/** CR3 bit 63 (bit 31 of the high half) of a MOV to CR3 with CR4.PCIDE = 1: keep the PCID's TLB entries (SDM Vol. 3A 4.10.4.1). */
const CR3_HI_NOFLUSH = 0x80000000;

/** CR8 holds the task priority in bits 3:0 (SDM Vol. 3A 11.8.6.5). */
const CR8_TPR_MASK = 0xf;

/** DR6 bits a write can change: B0-B3, BD, BS, BT (SDM Vol. 3A 18.2.3, Figure 18-1). */
const DR6_VOLATILE = 0x0000e00f;
/** DR6 bits that read as 1: 4-11 and 16-31 (no RTM, no bus-lock detection). Bit 12 reads 0. */
export const DR6_FIXED_1 = 0xffff0ff0;
/** DR6.BD: the #DB was a general-detect fault. */
const DR6_BD = 1 << 13;
/** DR7 bits a write can change: L0-G3, LE, GE, GD, R/W0-LEN3 (SDM Vol. 3A 18.2.4). */
const DR7_VOLATILE = 0xffff23ff;
/** DR7 bit 10 reads as 1. */
export const DR7_FIXED_1 = 0x400;
/** DR7.GD: general detect, a #DB before any MOV that accesses a debug register. */
const DR7_GD = 1 << 13;

/** Stores a 64-bit field from halves (exact for every value, unlike a number above 2^53). */
function setHalves(cpu: Cpu, name: 'cr2' | 'cr3' | 'dr', lo: number, hi: number, index = 0): void {
  const a = cpu.state.addr(name, index) >>> 2;
  cpu.state.u32[a] = lo >>> 0;
  cpu.state.u32[a + 1] = hi >>> 0;
}

const gp = (): GuestFault => new GuestFault(Vector.GP, 0);
const ud = (): GuestFault => new GuestFault(Vector.UD, undefined);

/** The CR4 bits the guest may set: implemented and advertised in its CPUID. */
export function cr4Writable(cpu: Cpu): number {
  let bits = 0;
  for (const [cr4, feature] of CR4_FEATURES) if (cpuidHas(cpu.env.cpuid, feature)) bits |= cr4;
  return bits;
}

/** PAE paging (not 4-level) is in use with these CR0, CR4 and EFER values (SDM Vol. 3A Table 4-1). */
function paePaging(cr0: number, cr4: number, efer: number): boolean {
  return (cr0 & Cr0.PG) !== 0 && (cr4 & Cr4.PAE) !== 0 && !(efer & Efer.LME);
}

/** MOV CRn, r: dispatches to the register's write. `cr` is 0, 2, 3, 4 or 8 (the emitter raised #UD for others). */
export function writeControlRegister(cpu: Cpu, cr: number, lo: number, hi: number): void {
  switch (cr) {
    case 0:
      return writeCr0(cpu, lo, hi);
    case 2:
      // CR2 takes any value (SDM Vol. 3A 2.5).
      setHalves(cpu, 'cr2', lo, hi);
      return;
    case 3:
      return writeCr3(cpu, lo, hi);
    case 4:
      return writeCr4(cpu, lo, hi);
    case 8:
      if (hi !== 0 || lo & ~CR8_TPR_MASK) throw gp();
      cpu.state.setLo('cr8', lo);
      return;
  }
  throw new Error(`MOV to CR${cr} reached the cold path`);
}

/**
 * CR0 (SDM Vol. 2B MOV CR, "#GP(0) ... invalid bit combinations"): bits 63:32 must be 0,
 * PG needs PE and NW needs CD. ET is hardwired to 1 (P6 and later; KVM forces it too).
 * Turning paging on with EFER.LME activates IA-32e mode (EFER.LMA = 1), which needs CR4.PAE
 * and CS.L = 0; turning it off in 64-bit mode is #GP(0), in compatibility mode it leaves
 * IA-32e mode (SDM Vol. 3A 10.8.5). A write that changes PG, CD or NW with PAE paging in use
 * after it loads the PDPTEs, #GP(0) if one is invalid (4.4.1).
 */
export function writeCr0(cpu: Cpu, lo: number, hi: number): void {
  const s = cpu.state;
  if (hi !== 0) throw gp();
  const cr0 = ((lo & CR0_DEFINED) | Cr0.ET) >>> 0;
  if (cr0 & Cr0.PG && !(cr0 & Cr0.PE)) throw gp();
  if (cr0 & Cr0.NW && !(cr0 & Cr0.CD)) throw gp();
  const old = s.getLo('cr0');
  let efer = s.getLo('efer');
  const enabling = (cr0 & Cr0.PG) !== 0 && !(old & Cr0.PG);
  const disabling = !(cr0 & Cr0.PG) && (old & Cr0.PG) !== 0;
  const cr4 = s.getLo('cr4');
  // Paging cannot go off while PCIDs are enabled (SDM Vol. 2B MOV CR, "#GP(0)").
  if (disabling && cr4 & Cr4.PCIDE) throw gp();
  if (enabling && efer & Efer.LME) {
    if (!(cr4 & Cr4.PAE) || s.getU32('segAttr', Seg.CS) & SegAttr.L) throw gp();
    efer |= Efer.LMA;
  } else if (disabling && efer & Efer.LMA) {
    if (decodeMode(s.getU32('mode')).codeSize === 8) throw gp();
    efer &= ~Efer.LMA;
  }
  if (paePaging(cr0, cr4, efer) && (old ^ cr0) & CR0_PDPTE_RELOAD && !cpu.mmu.loadPdptes(s.getLo('cr3'))) throw gp();
  s.setLo('cr0', cr0);
  s.setLo('efer', efer);
  if ((old ^ cr0) & CR0_PAGING) cpu.mmu.flush();
  cpu.refreshMode();
}

/**
 * CR3: the paging-structure base. Outside IA-32e mode the operand is 32 bits; in it, bits
 * 63:MAXPHYADDR are reserved (#GP(0)), except bit 63 with CR4.PCIDE = 1: it asks that the
 * TLB entries of the new PCID be kept and is not stored (SDM Vol. 3A 4.10.4.1, Vol. 2B MOV
 * CR). The TLB is not tagged by PCID, so every MOV to CR3 drops all entries but those of
 * global pages, which the SDM always allows (4.10.4.1: a processor may invalidate more).
 * With PAE paging the write loads the PDPTEs and is #GP(0), changing nothing, if one is
 * invalid (4.4.1).
 */
export function writeCr3(cpu: Cpu, lo: number, hi: number): void {
  const s = cpu.state;
  if (s.getLo('cr4') & Cr4.PCIDE) hi &= ~CR3_HI_NOFLUSH;
  if (hi & ~HI_ADDR_MASK) throw gp();
  if (paePaging(s.getLo('cr0'), s.getLo('cr4'), s.getLo('efer')) && !cpu.mmu.loadPdptes(lo)) throw gp();
  setHalves(cpu, 'cr3', lo, hi);
  cpu.mmu.flushNonGlobal();
}

/**
 * CR4: reserved and unadvertised bits raise #GP(0); IA-32e mode needs PAE to stay set and
 * LA57 to stay as it is; PCIDE can be set only in IA-32e mode with CR3[11:0] = 0 (SDM Vol.
 * 2B MOV CR, "#GP(0)"; Vol. 3A 4.10.1). A write that changes PSE, PGE, PAE or SMEP with PAE
 * paging in use after it loads the PDPTEs, #GP(0) if one is invalid (SDM Vol. 3A 4.4.1).
 */
export function writeCr4(cpu: Cpu, lo: number, hi: number): void {
  const s = cpu.state;
  if (hi !== 0 || lo & ~cr4Writable(cpu)) throw gp();
  const efer = s.getLo('efer');
  const old = s.getLo('cr4');
  if (efer & Efer.LMA && !(lo & Cr4.PAE)) throw gp();
  if (efer & Efer.LMA && (old ^ lo) & Cr4.LA57) throw gp();
  if (lo & Cr4.PCIDE && !(old & Cr4.PCIDE) && (!(efer & Efer.LMA) || s.getLo('cr3') & CR3_PCID_MASK)) throw gp();
  if (paePaging(s.getLo('cr0'), lo, efer) && (old ^ lo) & CR4_PDPTE_RELOAD && !cpu.mmu.loadPdptes(s.getLo('cr3'))) throw gp();
  s.setLo('cr4', lo);
  if ((old ^ lo) & CR4_PAGING) cpu.mmu.flush();
}

/** EFER bits this CPU implements, with the CPUID feature each needs (none for SCE, as in KVM). */
const EFER_FEATURES: readonly (readonly [efer: number, cpuid: CpuidFeature | null])[] = [
  [Efer.SCE, null],
  [Efer.LME | Efer.LMA, Feature.LM],
  [Efer.NXE, Feature.NX],
];
/** A change of this EFER bit changes translations: XD and its reserved-bit meaning (LMA only changes with CR0.PG). */
const EFER_PAGING = Efer.NXE;

/**
 * WRMSR to IA32_EFER, and KVM_SET_MSRS (`host`), with KVM's rules (arch/x86/kvm/x86.c
 * set_efer): a bit that is not implemented, or whose CPUID feature the guest lacks, is
 * reserved (#GP(0)); LME cannot change while paging is on (SDM Vol. 3A 10.8.5); LMA is
 * read-only — the written value is ignored and only IA-32e activation changes it (SDM Vol.
 * 3A 2.2.1; the VMM sets it with KVM_SET_SREGS). The host skips the CPUID and paging
 * checks. Returns false for #GP.
 */
export function writeEfer(cpu: Cpu, value: bigint, host: boolean): boolean {
  const s = cpu.state;
  if (value >> 32n !== 0n) return false;
  let efer = Number(value);
  let allowed = 0;
  for (const [bits, feature] of EFER_FEATURES) if (host || feature === null || cpuidHas(cpu.env.cpuid, feature)) allowed |= bits;
  if (efer & ~allowed) return false;
  const old = s.getLo('efer');
  if (!host && s.getLo('cr0') & Cr0.PG && (old ^ efer) & Efer.LME) return false;
  efer = (efer & ~Efer.LMA) | (old & Efer.LMA);
  s.setLo('efer', efer);
  if ((old ^ efer) & EFER_PAGING) cpu.mmu.flush();
  cpu.refreshMode();
  return true;
}

/**
 * LMSW: loads PE MP EM TS from the low 4 bits of the source. PE can be set but not
 * cleared (SDM Vol. 2A LMSW); the other CR0 bits are unchanged.
 */
export function loadMachineStatusWord(cpu: Cpu, msw: number): void {
  const old = cpu.state.getLo('cr0');
  writeCr0(cpu, ((old & ~(MSW_BITS & ~Cr0.PE)) | (msw & MSW_BITS)) >>> 0, 0);
}

/**
 * INVLPG: drops the TLB entries of the page that contains `lin`, and of the whole large page
 * (2 MiB, 4 MiB, 1 GiB) it belonged to when the TLB filled it (SDM Vol. 2A INVLPG; Mmu
 * records that at fill time, since the entry in memory may have changed since).
 */
export function invalidatePage(cpu: Cpu, lin: number): void {
  cpu.mmu.invalidatePage(lin);
}

/** INVPCID types (SDM Vol. 2A INVPCID, "Operation"). */
export const enum InvpcidType {
  /** One linear address, in one PCID; global translations may survive. */
  Address = 0,
  /** Every non-global translation of one PCID. */
  SingleContext = 1,
  /** Every translation, global ones included, of every PCID. */
  AllIncludingGlobal = 2,
  /** Every non-global translation of every PCID. */
  AllNonGlobal = 3,
}

/**
 * INVPCID with the type from the register operand (`typeLo`, `typeHi`) and the 128-bit
 * descriptor read from memory: `pcidWord` holds the PCID in bits 11:0 with bits 63:12
 * reserved, `address` the linear address, each as [lo, hi] (SDM Vol. 2A INVPCID). #GP(0) for
 * a type above 3, a reserved descriptor bit, a non-canonical address with type 0, or a
 * nonzero PCID with type 0 or 1 while CR4.PCIDE = 0. The TLB is not tagged by PCID, so each
 * type drops at least what it names and possibly more, as the SDM allows (4.10.4.1).
 */
export function invalidatePcid(cpu: Cpu, typeLo: number, typeHi: number, pcidWord: [number, number], address: [number, number]): void {
  const s = cpu.state;
  if (typeHi !== 0 || typeLo >>> 0 > InvpcidType.AllNonGlobal) throw gp();
  if (pcidWord[0] & ~CR3_PCID_MASK || pcidWord[1] !== 0) throw gp();
  const type = typeLo as InvpcidType;
  const singlePcid = type === InvpcidType.Address || type === InvpcidType.SingleContext;
  if (singlePcid && !(s.getLo('cr4') & Cr4.PCIDE) && pcidWord[0] !== 0) throw gp();
  switch (type) {
    case InvpcidType.Address: {
      // Canonical for the widest linear address the CPU supports, whatever CR4.LA57 (as
      // hardware and KVM check it; kvm-unit-tests la57.c).
      const lin = linearFromHalves(address[0], address[1]);
      if (!isCanonical(lin, cpuidHas(cpu.env.cpuid, Feature.LA57) ? 57 : 48)) throw gp();
      cpu.mmu.invalidatePage(lin);
      return;
    }
    case InvpcidType.AllIncludingGlobal:
      cpu.mmu.flush();
      return;
    default:
      cpu.mmu.flushNonGlobal();
  }
}

// ---- debug registers ---------------------------------------------------------------------

/**
 * The checks every MOV DRn makes, in KVM's order (arch/x86/kvm/vmx/vmx.c handle_dr): #UD for
 * DR4/DR5 with CR4.DE set and for DR8-DR15; #GP(0) outside CPL 0 (virtual-8086 included);
 * #DB when DR7.GD is set — a fault, with DR6.BD set and DR7.GD cleared so that the handler
 * can use the debug registers (SDM Vol. 3A 18.2.4). Returns the register accessed: DR4 and
 * DR5 alias DR6 and DR7 when CR4.DE is clear (SDM Vol. 3A 18.2.2).
 */
function checkDebugAccess(cpu: Cpu, dr: number): number {
  const s = cpu.state;
  if (dr > 7) throw ud();
  if (dr === 4 || dr === 5) {
    if (s.getLo('cr4') & Cr4.DE) throw ud();
    dr += 2;
  }
  const mode = decodeMode(s.getU32('mode'));
  if (mode.cpl !== 0 || mode.vm86) throw gp();
  const dr7 = s.getLo('dr', 7);
  if (dr7 & DR7_GD) {
    s.setLo('dr', s.getLo('dr', 6) | DR6_BD, 6);
    s.setLo('dr', dr7 & ~DR7_GD, 7);
    throw new GuestFault(Vector.DB, undefined);
  }
  return dr;
}

/** MOV r, DRn: returns [lo, hi] of the register. */
export function readDebugRegister(cpu: Cpu, dr: number): [number, number] {
  const n = checkDebugAccess(cpu, dr);
  const a = cpu.state.addr('dr', n) >>> 2;
  return [cpu.state.u32[a], cpu.state.u32[a + 1]];
}

/**
 * MOV DRn, r. DR0-DR3 take any address; DR6 and DR7 keep their fixed bits, and a 1 in bits
 * 63:32 of either is #GP(0) (SDM Vol. 2B MOV DR, 64-bit mode exceptions).
 */
export function writeDebugRegister(cpu: Cpu, dr: number, lo: number, hi: number): void {
  const n = checkDebugAccess(cpu, dr);
  const s = cpu.state;
  if (n < 4) {
    setHalves(cpu, 'dr', lo, hi, n);
    refreshDataWatch(cpu);
    return;
  }
  if (hi !== 0) throw gp();
  if (n === 6) s.setLo('dr', (lo & DR6_VOLATILE) | DR6_FIXED_1, 6);
  else {
    s.setLo('dr', (lo & DR7_VOLATILE) | DR7_FIXED_1, 7);
    refreshDataWatch(cpu);
  }
}
