// Runs a recorded host-CPU fixture case (tests/harness) on our CPU and returns the outcome
// in the recording's terms. 32-bit cases run in flat 32-bit protected mode at CPL 0, 64-bit
// cases in 64-bit mode at CPL 3 with flat segments (tests/unit/long-mode-guest.ts), both
// with the recording's code/buffer/stack addresses; a fault is caught where the CPU raises
// it (no IDT needed), as the native runner catches the signal.
//
// Consecutive cases with the same bytes reuse the compiled blocks (the code cache keeps them,
// as it does for a guest that re-runs its code); only a change of bytes drops them. Running
// the cases of a family sorted by their bytes (byCode()) makes that reuse frequent.
import { GuestFault, ExitSignal } from '../../core/cpu/faults.ts';
import { Seg, SegAttr, Vector } from '../../core/cpu/registers.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import { DispatchResult } from '../../jit/dispatcher.ts';
import { LAYOUT, REGISTERS, type FixtureCase, type FinalState } from '../harness/fixture-format.ts';
import { LAYOUT64, type FixtureCase64, type FinalState64 } from '../harness/fixture-format64.ts';
import { createTestVm, enterFlat32, type TestVm } from './machine.ts';
import { enterUser, longModeVm } from '../unit/long-mode-guest.ts';

/**
 * Execution tiers every case runs at: blocks called from JS, one instruction per block, and
 * blocks chained by the Wasm dispatcher (jit/dispatcher.ts), the path guests normally take.
 */
export type Tier = 'block' | 'single' | 'dispatch';

const REG_INDEX: Record<(typeof REGISTERS)[number], number> = {
  eax: 0,
  ecx: 1,
  edx: 2,
  ebx: 3,
  esp: 4,
  ebp: 5,
  esi: 6,
  edi: 7,
};
const HLT = 0xf4;

/** Indices of `cases` ordered by their bytes (stable), so equal code runs back to back. */
export function byCode(cases: readonly { code: Uint8Array }[]): number[] {
  const keys = cases.map((c) => Buffer.from(c.code).toString('latin1'));
  return keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
}

/** Loads code (followed by `end`) at LAYOUT.codeBase unless the same bytes are still there. */
abstract class RunnerBase {
  protected abstract readonly vm: TestVm;
  private loadedTier?: Tier;

  protected loadCode(code: Uint8Array, tier: Tier, end: number[]): void {
    const ram = this.vm.ram;
    const at = LAYOUT.codeBase;
    // A case may have rewritten its own code (smc64), so compare with guest memory.
    const same =
      this.loadedTier === tier &&
      code.every((v, i) => ram[at + i] === v) &&
      end.every((v, i) => ram[at + code.length + i] === v);
    if (same) return;
    const cpu = this.vm.vcpu.cpu;
    // Fresh code: the test writes guest memory from the host, so drop blocks by hand.
    this.vm.load(at, [...code, ...end]);
    cpu.cache.invalidatePage(at >>> 12);
    cpu.clearJitHash();
    this.loadedTier = tier;
  }

  /** Runs from the current RIP until the end marker stops it; returns the fault, if any. */
  protected execute(tier: Tier, isEnd: (e: unknown) => boolean): { fault?: number; faultOffset?: number } {
    const cpu = this.vm.vcpu.cpu;
    const s = cpu.state;
    for (let guard = 0; guard < 100_000; guard++) {
      try {
        if (tier === 'dispatch') {
          // A miss compiles the block and fills the hash; the next dispatch runs it.
          if (cpu.dispatch() === DispatchResult.Miss) cpu.lookup(false);
        } else cpu.lookup(tier === 'single').run();
      } catch (e) {
        if (isEnd(e)) return {};
        if (e instanceof GuestFault)
          return { fault: e.vector, faultOffset: s.getLo('rip') + Math.max(e.delta, 0) - LAYOUT.codeBase };
        throw e;
      }
    }
    throw new Error('fixture case did not finish in 100,000 blocks');
  }
}

export class FixtureRunner extends RunnerBase {
  protected readonly vm: TestVm = createTestVm(4 * 1024 * 1024);

  run(c: FixtureCase, tier: Tier): FinalState {
    const vm = this.vm;
    const cpu = vm.vcpu.cpu;
    const s = cpu.state;
    cpu.phys.refresh();
    this.loadCode(c.code, tier, [HLT]);
    if (c.init.mem) vm.load(LAYOUT.memBase, c.init.mem);
    enterFlat32(vm, LAYOUT.codeBase, c.init.esp);
    for (const r of REGISTERS) s.setLo('gpr', c.init[r], REG_INDEX[r]);
    s.setLo('rflags', c.init.eflags);
    s.setU32('lazyKind', 0);
    const { fault, faultOffset } = this.execute(
      tier,
      (e) => e instanceof ExitSignal && e.reason === ExitReason.HLT,
    );
    cpu.resolveFlags();
    const out = { eflags: s.getLo('rflags') } as FinalState;
    for (const r of REGISTERS) out[r] = s.getLo('gpr', REG_INDEX[r]);
    out.mem = vm.ram.slice(LAYOUT.memBase, LAYOUT.memBase + LAYOUT.memSize);
    if (fault !== undefined) {
      out.fault = fault;
      out.faultOffset = faultOffset;
    }
    return out;
  }
}

/**
 * 64-bit cases: ring 3 in 64-bit mode (CS.L = 1), flat segments, GS base LAYOUT64.gsBase as
 * the native runner set it. The code ends in HLT, which at CPL 3 raises #GP(0) (SDM Vol. 2A
 * HLT): a #GP at exactly that address is the end of the case.
 */
export class FixtureRunner64 extends RunnerBase {
  protected readonly vm: TestVm = longModeVm(LAYOUT.codeBase);

  constructor() {
    super();
    enterUser(this.vm, LAYOUT.codeBase);
    this.vm.vcpu.cpu.setSegment(Seg.GS, 0, LAYOUT64.gsBase, 0, SegAttr.UNUSABLE);
  }

  run(c: FixtureCase64, tier: Tier): FinalState64 {
    const vm = this.vm;
    const cpu = vm.vcpu.cpu;
    const s = cpu.state;
    cpu.phys.refresh();
    this.loadCode(c.code, tier, [HLT]);
    if (c.init.mem) vm.load(LAYOUT.memBase, c.init.mem);
    s.setLo('rip', LAYOUT.codeBase);
    for (let n = 0; n < 16; n++) s.set64('gpr', c.init.regs[n] as bigint, n);
    s.setLo('rflags', c.init.rflags);
    s.setU32('lazyKind', 0);
    const end = LAYOUT.codeBase + c.code.length;
    const { fault, faultOffset } = this.execute(
      tier,
      (e) =>
        e instanceof GuestFault && e.vector === Vector.GP && s.getLo('rip') + Math.max(e.delta, 0) === end,
    );
    cpu.resolveFlags();
    const out: FinalState64 = {
      regs: BigUint64Array.from({ length: 16 }, (_, n) => s.get64('gpr', n)),
      rflags: s.getLo('rflags'),
      mem: vm.ram.slice(LAYOUT.memBase, LAYOUT.memBase + LAYOUT.memSize),
    };
    if (fault !== undefined) {
      out.fault = fault;
      out.faultOffset = faultOffset;
    }
    return out;
  }
}
