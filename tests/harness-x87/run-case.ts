// Runs a recorded x87 case on wasmkvm with CR0.NE set (as the host kernel sets it), the same
// code, memory and register values as the native run, at the same addresses, so that the
// instruction and data pointers FNSAVE stores match too. 32-bit cases run in flat 32-bit
// protected mode at CPL 0; 64-bit cases in 64-bit mode at CPL 3 (tests/unit/long-mode-guest.ts),
// where the closing HLT raises #GP(0) and so ends the case.
//
// A case that takes #MF (vector 16) stops there, as the native run stops at SIGFPE; the state
// is then saved by a stub (FXSAVE64 in 64-bit mode, then FNSAVE), which stores what the kernel
// stored in the signal frame. Consecutive cases with the same bytes reuse the compiled blocks.
import { GuestFault, ExitSignal } from '../../core/cpu/faults.ts';
import { Pte } from '../../core/cpu/mmu.ts';
import { Cr0, Cr4, Efer, Vector } from '../../core/cpu/registers.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import { DispatchResult } from '../../jit/dispatcher.ts';
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { enterUser, longModeVm, put64 } from '../unit/long-mode-guest.ts';
import { setPaging } from '../unit/paging-lib.ts';
import { FNSAVE_OUT, FRSTOR_IN, hex, imageOf, pointersOfImage, stateOfImage, unhex, X87_HIGH_BASE, X87_LAYOUT, type X87Case, type X87Outcome } from './format.ts';

export type Tier = 'block' | 'single' | 'dispatch';
const HLT = 0xf4;
const EAX = 0;
const EBX = 3;
/** MF: the x87 floating-point error (SDM Vol. 3A 6.15, interrupt 16). */
const MF = 16;
/** Where the stub that saves the state after #MF sits (same page as the case). */
const STUB = X87_LAYOUT.codeBase + 0x800;
/** FXSAVE64 [fxOut]: REX.W 0F AE /0 with a disp32 SIB, as runner64.c writes it. */
const FXSAVE64_OUT = [0x48, 0x0f, 0xae, 0x04, 0x25, 0x00, 0x14, 0x03, 0x00];
const FX_OUT = 0x31400;
/** FRSTOR [imageIn] and FNSAVE [imageOut] with a disp32 SIB, as runner64.c writes them. */
const FRSTOR_IN64 = [0xdd, 0x24, 0x25, 0x00, 0x11, 0x03, 0x00];
const FNSAVE_OUT64 = [0xdd, 0x34, 0x25, 0x00, 0x12, 0x03, 0x00];
/** The FOP, FIP and FDP bytes of the FXSAVE64 header (record.ts keeps the same ones). */
const FX_POINTERS = [6, 24];

/** Page tables of the `high` layout: PML4, the low PDPT and PD, the high PDPT and PD. */
const PAGE_TABLES = [0x40000, 0x41000, 0x42000, 0x43000, 0x44000];
const PAGE_2M = 0x20_0000;
const USER_RW = BigInt(Pte.P | Pte.RW | Pte.US);

/** A RIP-relative disp32 (little-endian) to `target` from `next`, both page offsets in the same layout. */
const rel32 = (next: number, target: number): number[] => {
  const d = (target - next) >>> 0;
  return [d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, d >>> 24];
};

/**
 * The frame native/runner64.c puts around a case of a `high` family: frstor, fxsave64 and
 * fnsave addressed RIP-relative, as the pages lie beyond the reach of a disp32.
 */
function highFrame(code: number[]): number[] {
  const at = X87_LAYOUT.codeBase;
  const frstor = [0xdd, 0x25, ...rel32(at + 6, X87_LAYOUT.imageIn)];
  const afterCase = at + frstor.length + code.length;
  const fxsave = [0x48, 0x0f, 0xae, 0x05, ...rel32(afterCase + 8, FX_OUT)];
  const fnsave = [0xdd, 0x35, ...rel32(afterCase + 14, X87_LAYOUT.imageOut)];
  return [...frstor, ...code, ...fxsave, ...fnsave];
}

export class X87Runner {
  private readonly vm: TestVm;
  private loaded?: string;
  /** Where the case's code starts (linear). */
  private readonly entry: number;

  constructor(
    readonly mode: 32 | 64 = 32,
    /** 64-bit mode with the pages at X87_HIGH_BASE as well (format.ts). */
    readonly high = false,
  ) {
    this.entry = (high ? X87_HIGH_BASE : 0) + X87_LAYOUT.codeBase;
    if (mode === 64) {
      this.vm = longModeVm(X87_LAYOUT.codeBase);
      if (high) this.mapHigh();
      enterUser(this.vm, X87_LAYOUT.codeBase);
    } else this.vm = createTestVm(4 * 1024 * 1024);
  }

  /** 4-level paging: the low 2 MiB identity-mapped, and X87_HIGH_BASE mapped to them too (user pages). */
  private mapHigh(): void {
    const [pml4, pdptLow, pdLow, pdptHigh, pdHigh] = PAGE_TABLES;
    const vm = this.vm;
    const index = (level: number): number => Math.floor(X87_HIGH_BASE / 2 ** (12 + 9 * level)) % 512;
    put64(vm, pml4, BigInt(pdptLow) | USER_RW);
    put64(vm, pdptLow, BigInt(pdLow) | USER_RW);
    put64(vm, pdLow, BigInt(Pte.PS) | USER_RW);
    put64(vm, pml4 + 8 * index(3), BigInt(pdptHigh) | USER_RW);
    put64(vm, pdptHigh + 8 * index(2), BigInt(pdHigh) | USER_RW);
    put64(vm, pdHigh + 8 * index(1), BigInt(Pte.PS) | USER_RW);
    setPaging(vm, pml4, Cr4.PAE, Efer.SCE | Efer.LME | Efer.LMA);
  }

  private load(code: string, tier: Tier): void {
    const key = `${tier}:${code}`;
    if (this.loaded === key) return;
    const cpu = this.vm.vcpu.cpu;
    const wide = this.mode === 64;
    const body = this.high
      ? [...highFrame(unhex(code)), HLT]
      : [...(wide ? FRSTOR_IN64 : FRSTOR_IN), ...unhex(code), ...(wide ? FXSAVE64_OUT : []), ...(wide ? FNSAVE_OUT64 : FNSAVE_OUT), HLT];
    this.vm.load(X87_LAYOUT.codeBase, body);
    this.vm.load(STUB, [...(wide ? [...FXSAVE64_OUT, ...FNSAVE_OUT64] : FNSAVE_OUT), HLT]);
    cpu.cache.invalidatePage(X87_LAYOUT.codeBase >>> 12);
    cpu.clearJitHash();
    this.loaded = key;
  }

  /** Runs until the closing HLT; returns the vector of a fault that stopped the case. */
  private execute(tier: Tier): number | undefined {
    const cpu = this.vm.vcpu.cpu;
    const s = cpu.state;
    const ram = this.vm.ram;
    for (let guard = 0; guard < 100; guard++) {
      try {
        if (tier === 'dispatch') {
          if (cpu.dispatch() === DispatchResult.Miss) cpu.lookup(false);
        } else cpu.lookup(tier === 'single').run();
      } catch (e) {
        if (e instanceof ExitSignal && e.reason === ExitReason.HLT) return undefined;
        // At CPL 3 the closing HLT raises #GP(0).
        // The high pages alias the low 2 MiB, so the low bits of RIP find the byte in RAM.
        if (e instanceof GuestFault && e.vector === Vector.GP && ram[(s.getLo('rip') + Math.max(e.delta, 0)) % PAGE_2M] === HLT) return undefined;
        if (e instanceof GuestFault) return e.vector;
        throw e;
      }
    }
    throw new Error('x87 case did not finish in 100 blocks');
  }

  run(c: X87Case, tier: Tier): X87Outcome {
    const vm = this.vm;
    const cpu = vm.vcpu.cpu;
    const s = cpu.state;
    const wide = this.mode === 64;
    cpu.phys.refresh();
    this.load(c.c, tier);
    vm.load(X87_LAYOUT.memBase, unhex(c.i.m));
    vm.load(X87_LAYOUT.imageIn, imageOf(c.i));
    vm.load(X87_LAYOUT.imageOut, new Array<number>(108).fill(0xcc));
    if (wide) {
      vm.load(FX_OUT, new Array<number>(32).fill(0xcc));
      s.set64('rip', BigInt(this.entry));
      s.set64('gpr', BigInt('0x' + c.i.a), EAX);
      s.set64('gpr', BigInt((this.high ? X87_HIGH_BASE : 0) + X87_LAYOUT.memBase), EBX);
    } else {
      enterFlat32(vm, X87_LAYOUT.codeBase);
      s.setLo('gpr', parseInt(c.i.a, 16), EAX);
      s.setLo('gpr', X87_LAYOUT.memBase, EBX);
    }
    s.setLo('cr0', s.getLo('cr0') | Cr0.NE);
    s.setLo('rflags', parseInt(c.i.f, 16));
    s.setU32('lazyKind', 0);
    const trap = this.execute(tier);
    cpu.resolveFlags();
    // Registers where the case stopped, as the native runner reads them from the signal frame.
    const a = wide ? s.get64('gpr', EAX).toString(16).padStart(16, '0') : (s.getLo('gpr', EAX) >>> 0).toString(16).padStart(8, '0');
    const f = (s.getLo('rflags') >>> 0).toString(16).padStart(8, '0');
    if (trap === MF) {
      s.setLo('rip', STUB);
      if (this.execute(tier) !== undefined) throw new Error('the state-saving stub faulted');
    }
    const img = vm.ram.slice(X87_LAYOUT.imageOut, X87_LAYOUT.imageOut + 108);
    const out: X87Outcome = {
      ...stateOfImage(img),
      ptr: pointersOfImage(img),
      m: hex(vm.ram.slice(X87_LAYOUT.memBase, X87_LAYOUT.memBase + X87_LAYOUT.memSize)),
      a,
      f,
    };
    if (wide) out.fx = hex(vm.ram.slice(FX_OUT + FX_POINTERS[0], FX_OUT + FX_POINTERS[1]));
    if (trap !== undefined) out.trap = trap;
    return out;
  }
}
