// The debug registers at work (SDM Vol. 3A chapter 18): instruction breakpoints (faults before
// the instruction, suppressed by EFLAGS.RF), data breakpoints (traps after the access), the
// single-step trap (EFLAGS.TF), and how MOV SS / POP SS, STI and INT1 / INT3 / INT n shape
// them (SDM Vol. 3A 6.8.3, 18.3.1).
//
// How it stays off the hot path: while DR7 enables a breakpoint, the run loop executes one
// instruction per block (the single-instruction blocks TF already uses) and checks the linear
// RIP before each one here; with DR7 = 400H (no breakpoint, what Linux runs with) the Wasm
// dispatcher and multi-instruction blocks run as before and pay nothing. Data breakpoints:
// the TLB never holds a page that contains a watched byte (Mmu.fill asks DataWatch), so every
// access to such a page reaches Cpu.readLinear / writeLinear, which report it to DataWatch;
// port I/O reports its port (core/cpu/io.ts) for the I/O breakpoints of CR4.DE (R/W = 10B).
import type { Cpu } from './cpu.ts';
import { isAmdCompatible } from './cpuid.ts';
import { Access } from './paging/entry.ts';
import { decodeMode } from './mode.ts';
import { GuestFault } from './faults.ts';
import { Cr4, Flag, Vector } from './registers.ts';
import type { VcpuState } from './state.ts';

/** DR6 bits (SDM Vol. 3A 18.2.3, Figure 18-1). */
export const enum Dr6 {
  /** B0-B3: breakpoint n matched. */
  TRAP_BITS = 0xf,
  /** BD: the #DB is a general-detect fault (MOV DR with DR7.GD). */
  BD = 1 << 13,
  /** BS: single-step trap. */
  BS = 1 << 14,
}

/** DR7 bits (SDM Vol. 3A 18.2.4): L0 G0 ... L3 G3, then R/Wn at bit 16 + 4n and LENn at bit 18 + 4n. */
export const enum Dr7 {
  ENABLE_MASK = 0xff,
  CONTROL_SHIFT = 16,
}

/** R/W field of DR7: what a breakpoint matches. */
const enum BreakOn {
  Execute = 0,
  Write = 1,
  Io = 2,
  ReadWrite = 3,
}

/** LEN field of DR7 -> bytes: 00B 1, 01B 2, 10B 8 (IA-32e mode), 11B 4 (SDM Vol. 3A 18.2.5). */
const LEN_BYTES = [1, 2, 8, 4] as const;

/** interruptShadow values, as KVM's KVM_X86_SHADOW_INT_MOV_SS and KVM_X86_SHADOW_INT_STI. */
export const enum Shadow {
  MovSs = 1,
  Sti = 2,
}

/** Opcodes the single-step logic must recognise (after prefixes). */
const enum Opcode {
  Int3 = 0xcc,
  IntN = 0xcd,
  Into = 0xce,
  Iret = 0xcf,
  Int1 = 0xf1,
  /** Two-byte opcodes come back as 0x0F00 | the second byte (opcodeAt). */
  TwoByte = 0x0f,
  Syscall = 0x0f05,
  Sysret = 0x0f07,
}

/** Legacy prefixes (SDM Vol. 2A 2.1.1); REX (40H-4FH) counts too in 64-bit mode. */
const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
const MAX_INSTRUCTION_LENGTH = 15;
/** The debug registers a data watch is built from: DR0-DR3 and DR7. */
const WATCH_REGISTERS = [0, 1, 2, 3, 7] as const;
const TWO_32 = 0x1_0000_0000;

interface Breakpoint {
  index: number;
  /** DRn in the signed form of paging/canonical.ts. */
  address: number;
  on: BreakOn;
  len: number;
}

/** The breakpoints DR7 enables (either Ln or Gn; there are no tasks to clear Ln at). */
function enabledBreakpoints(s: VcpuState): Breakpoint[] {
  const dr7 = s.getLo('dr', 7);
  const out: Breakpoint[] = [];
  for (let n = 0; n < 4; n++) {
    if (!((dr7 >>> (2 * n)) & 3)) continue;
    const control = (dr7 >>> (Dr7.CONTROL_SHIFT + 4 * n)) & 0xf;
    out.push({ index: n, address: s.getLinear('dr', n), on: control & 3, len: LEN_BYTES[control >>> 2] });
  }
  return out;
}

/** Whether DR7 enables any breakpoint: the run loop then single-steps every instruction. */
export function debugActive(s: VcpuState): boolean {
  return (s.getLo('dr', 7) & Dr7.ENABLE_MASK) !== 0;
}

/** Linear addresses outside 64-bit mode are 32 bits: so is the part of DRn they compare with. */
function comparable(address: number, long: boolean): number {
  return long ? address : ((address % TWO_32) + TWO_32) % TWO_32;
}

/**
 * Data breakpoints (R/W = 01B writes, 11B reads or writes) and I/O breakpoints (10B, only
 * with CR4.DE; undefined without it, and ignored here). The matched range of a breakpoint is
 * LEN bytes at DRn with its low bits cleared (SDM Vol. 3A 18.2.5: an address is expected to be
 * aligned to LEN); an access matches when any of its bytes is in it.
 */
export class DataWatch {
  /** B0-B3 of the breakpoints the current instruction's accesses matched. */
  hits = 0;

  constructor(
    private readonly s: VcpuState,
    private readonly points: readonly Breakpoint[],
  ) {}

  private long(): boolean {
    return decodeMode(this.s.getU32('mode')).codeSize === 8;
  }

  /** The page of `lin` holds a watched byte: the TLB must not cache it. */
  watches(lin: number): boolean {
    const page = Math.floor(lin / 4096);
    const long = this.long();
    return this.points.some((p) => {
      if (p.on === BreakOn.Io) return false;
      const start = comparable(p.address, long) - (comparable(p.address, long) % p.len);
      return Math.floor(start / 4096) === page || Math.floor((start + p.len - 1) / 4096) === page;
    });
  }

  /** An access of `size` bytes at `lin` (reported before it is made; a fault discards the hits). */
  access(lin: number, size: number, write: boolean): void {
    const long = this.long();
    for (const p of this.points) {
      if (p.on === BreakOn.Io || (p.on === BreakOn.Write && !write)) continue;
      const a = comparable(p.address, long);
      const start = a - (a % p.len);
      if (lin < start + p.len && lin + size > start) this.hits |= 1 << p.index;
    }
  }

  /** An IN, OUT, INS or OUTS of `size` bytes at `port` (matched by I/O breakpoints under CR4.DE). */
  port(port: number, size: number): void {
    if (!(this.s.getLo('cr4') & Cr4.DE)) return;
    for (const p of this.points) {
      if (p.on !== BreakOn.Io) continue;
      const start = (p.address & 0xffff) - ((p.address & 0xffff) % p.len);
      if (port < start + p.len && port + size > start) this.hits |= 1 << p.index;
    }
  }
}

/**
 * Rebuilds the data watch from DR0-DR3 and DR7 after one of them changed (MOV DR,
 * KVM_SET_DEBUGREGS) and flushes the TLB, which may hold pages that are now watched.
 */
export function refreshDataWatch(cpu: Cpu): void {
  const data = enabledBreakpoints(cpu.state).filter((p) => p.on !== BreakOn.Execute);
  cpu.mmu.watch = data.length > 0 ? new DataWatch(cpu.state, data) : undefined;
  cpu.mmu.flush();
}

/** What the run loop knows about the single instruction it is about to run. */
export interface Step {
  rflags: number;
  /** interruptShadow before the instruction. */
  shadow: number;
  /** The opcode byte after the prefixes, or -1 when it could not be read. */
  opcode: number;
}

/** The state the single-step logic carries between instructions of one vCPU. */
export class DebugUnit {
  /** Data-breakpoint hits of a MOV SS / POP SS, delivered after the next instruction (SDM Vol. 3A 6.8.3). */
  private delayed = 0;
  /** DR0-DR3 and DR7 the data watch was built from. */
  private readonly watched = new Float64Array(WATCH_REGISTERS.length).fill(NaN);
  /** DR6 trap bits owed to an instruction that exited to the VMM. */
  private exitBits = 0;

  constructor(private readonly cpu: Cpu) {}

  /**
   * Before a single-stepped instruction: an instruction breakpoint on its linear address is a
   * #DB fault unless EFLAGS.RF or a MOV SS shadow suppresses it (SDM Vol. 3A 18.3.1.1,
   * 6.8.3); it returns 'breakpoint' with B0-B3 set in DR6. Otherwise the Step to hand back
   * to end(). The MOV SS shadow inhibits code breakpoints on Intel only: an AMD CPU takes
   * them (kvm-unit-tests emulator.c test_mov_pop_ss_code_db expects one #DB unless is_intel()).
   */
  begin(rflags: number, shadow: number): Step | 'breakpoint' {
    const cpu = this.cpu;
    const s = cpu.state;
    this.syncWatch();
    if (cpu.mmu.watch) cpu.mmu.watch.hits = 0;
    const movSsInhibits = (shadow & Shadow.MovSs) !== 0 && !isAmdCompatible(cpu.env.cpuid);
    if (debugActive(s) && !(rflags & Flag.RF) && !movSsInhibits) {
      const long = decodeMode(s.getU32('mode')).codeSize === 8;
      const rip = cpu.ripLinear();
      let bits = 0;
      for (const p of enabledBreakpoints(s)) if (p.on === BreakOn.Execute && comparable(p.address, long) === rip) bits |= 1 << p.index;
      if (bits !== 0) {
        setTrapBits(s, bits);
        return 'breakpoint';
      }
    }
    return { rflags, shadow, opcode: -1 };
  }

  /**
   * Reads the opcode of the instruction at CS:RIP (after cpu.lookup fetched it without a
   * fault), when TF, RF or a breakpoint make it matter: not for an interrupt shadow or an
   * MMIO replay alone, which keeps the page walk off those paths.
   */
  peek(step: Step): void {
    if (!(step.rflags & (Flag.TF | Flag.RF)) && !debugActive(this.cpu.state) && this.delayed === 0) return;
    step.opcode = opcodeAt(this.cpu);
  }

  /**
   * After the instruction completed: ends the previous shadow, clears RF (SDM Vol. 3A 18.3.1.1:
   * RF is cleared once an instruction completes, except by IRET, which loads it), and works out
   * the #DB trap that follows (18.3.1.2 data breakpoints, 18.3.1.4 single-step). Returns true
   * when a #DB is to be delivered now; DR6 is already updated.
   *
   * - A MOV SS / POP SS drops its single-step trap and delays its data-breakpoint hits past
   *   the next instruction (6.8.3; kvm-unit-tests debug.c "MOV SS" cases).
   * - INT n, INT3, INTO and INT1 clear TF as they deliver their event: no single-step trap
   *   follows them. A #DB trap pending for INT1 merges with INT1's own #DB.
   * - STI blocks interrupts, not the single-step trap.
   */
  end(step: Step): boolean {
    const s = this.cpu.state;
    const now = s.getU32('interruptShadow');
    const movSs = step.shadow === 0 && (now & Shadow.MovSs) !== 0;
    if (step.shadow !== 0) s.setU32('interruptShadow', 0);
    if (step.rflags & Flag.RF && step.opcode !== Opcode.Iret) s.setLo('rflags', s.getLo('rflags') & ~Flag.RF);
    let bits = this.delayed | ((this.cpu.mmu.watch?.hits ?? 0) & Dr6.TRAP_BITS);
    this.delayed = 0;
    const software = isSoftwareEvent(step);
    if (movSs) {
      this.delayed = bits;
      return false;
    }
    // SYSCALL and SYSRET trap on TF as they leave it: an OS that masks TF with IA32_FMASK takes
    // no #DB on entry, and a SYSRET that restores TF traps at once, at CPL 3 (KVM commit
    // c8401dda2f0a "fix singlestep over syscall"; kvm-unit-tests syscall.c test_syscall_tf).
    const tfAfter = step.opcode === Opcode.Syscall || step.opcode === Opcode.Sysret;
    if ((tfAfter ? s.getLo('rflags') : step.rflags) & Flag.TF && !software) bits |= Dr6.BS;
    if (bits === 0) return false;
    if (step.opcode === Opcode.Int1) {
      s.setLo('dr', s.getLo('dr', 6) | bits, 6);
      return false;
    }
    setTrapBits(s, bits);
    s.setU32('interruptShadow', 0);
    return true;
  }

  /** The instruction faulted or exited: its data hits are void, and a fault ends a shadow. */
  abort(step: Step, fault: boolean): void {
    this.delayed = 0;
    if (fault && step.shadow !== 0) this.cpu.state.setU32('interruptShadow', 0);
  }

  /**
   * The instruction exited to the VMM (I/O, HLT) and completes at the next KVM_RUN: returns
   * whether a #DB trap follows it then (I/O breakpoint hits, single-step), for trapAfterExit.
   */
  exited(step: Step): boolean {
    const software = isSoftwareEvent(step);
    this.exitBits = ((this.cpu.mmu.watch?.hits ?? 0) & Dr6.TRAP_BITS) | (step.rflags & Flag.TF && !software ? Dr6.BS : 0);
    return this.exitBits !== 0;
  }

  /** Puts the trap bits of the instruction that exited into DR6, before its #DB is delivered. */
  applyExitTrap(): void {
    setTrapBits(this.cpu.state, this.exitBits);
    this.exitBits = 0;
  }

  /** Builds the data watch again when DR0-DR3 or DR7 changed behind MOV DR's back (KVM_SET_DEBUGREGS). */
  private syncWatch(): void {
    const s = this.cpu.state;
    let changed = false;
    WATCH_REGISTERS.forEach((n, i) => {
      const v = s.getLinear('dr', n);
      if (v !== this.watched[i]) changed = true;
      this.watched[i] = v;
    });
    if (changed) refreshDataWatch(this.cpu);
  }
}

/** B0-B3 become `bits`' (matched breakpoints; the others clear), BS and BD are added, the rest stays (SDM Vol. 3A 18.2.3). */
function setTrapBits(s: VcpuState, bits: number): void {
  const dr6 = s.getLo('dr', 6);
  s.setLo('dr', ((dr6 & ~Dr6.TRAP_BITS) | bits) >>> 0, 6);
}

/**
 * The single-step #DB trap of an instruction that completed and left TF set, raised by the
 * instruction itself: SYSCALL and SYSRET trap on TF as they leave it (see DebugUnit.end),
 * also when they run inside a block that started with TF clear. DR6.BS is set; delta 0
 * delivers it at the RIP the instruction left in the state, as a trap.
 */
export function singleStepTrap(s: VcpuState): GuestFault {
  setTrapBits(s, Dr6.BS);
  return new GuestFault(Vector.DB, undefined, 0);
}

/** INT n, INT3, INT1, and INTO with OF = 1: the instruction delivers an event itself. */
function isSoftwareEvent(step: Step): boolean {
  switch (step.opcode) {
    case Opcode.Int3:
    case Opcode.IntN:
    case Opcode.Int1:
      return true;
    case Opcode.Into:
      return (step.rflags & Flag.OF) !== 0;
    default:
      return false;
  }
}

/** The first byte after the prefixes of the instruction at CS:RIP (0x0F00 | the next for 0F xx), or -1. */
function opcodeAt(cpu: Cpu): number {
  const long = decodeMode(cpu.state.getU32('mode')).codeSize === 8;
  const start = cpu.ripLinear();
  let escape = false;
  try {
    for (let i = 0; i < MAX_INSTRUCTION_LENGTH; i++) {
      const lin = long ? start + i : (start + i) % TWO_32;
      const t = cpu.mmu.translate(lin, Access.Fetch, cpu.user);
      const host = cpu.phys.host(t.phys, false);
      if (host < 0) return -1;
      const b = cpu.phys.u8[host];
      if (escape) return (Opcode.TwoByte << 8) | b;
      if (PREFIXES.has(b) || (long && (b & 0xf0) === 0x40)) continue;
      if (b !== Opcode.TwoByte) return b;
      escape = true;
    }
  } catch {
    // A fetch fault: the instruction ran from the first page, so its opcode is unknown only
    // when prefixes cross into an unmapped page. Treat it as an ordinary instruction.
  }
  return -1;
}
