// Runs a recorded host-CPU fixture case (tests/harness) on our CPU and returns the outcome
// in the recording's terms. The case runs in flat 32-bit protected mode at CPL 0 with the
// recording's code/buffer/stack addresses; a fault is caught where the CPU raises it (no
// IDT needed), as the native runner catches the signal.
import { GuestFault, ExitSignal } from '../../core/cpu/faults.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import { DispatchResult } from '../../jit/dispatcher.ts';
import { LAYOUT, REGISTERS, type FixtureCase, type FinalState } from '../harness/fixture-format.ts';
import { createTestVm, enterFlat32, type TestVm } from './machine.ts';

/**
 * Execution tiers every case runs at: blocks called from JS, one instruction per block, and
 * blocks chained by the Wasm dispatcher (jit/dispatcher.ts), the path guests normally take.
 */
export type Tier = 'block' | 'single' | 'dispatch';

const REG_INDEX: Record<(typeof REGISTERS)[number], number> = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 };
const HLT = 0xf4;

export class FixtureRunner {
  private readonly vm: TestVm = createTestVm(4 * 1024 * 1024);

  run(c: FixtureCase, tier: Tier): FinalState {
    const vm = this.vm;
    const cpu = vm.vcpu.cpu;
    const s = cpu.state;
    cpu.phys.refresh();
    // Fresh code: the test writes guest memory from the host, so drop blocks by hand.
    vm.load(LAYOUT.codeBase, [...c.code, HLT]);
    cpu.cache.invalidatePage(LAYOUT.codeBase >>> 12);
    cpu.clearJitHash();
    if (c.init.mem) vm.load(LAYOUT.memBase, c.init.mem);
    enterFlat32(vm, LAYOUT.codeBase, c.init.esp);
    for (const r of REGISTERS) s.setLo('gpr', c.init[r], REG_INDEX[r]);
    s.setLo('rflags', c.init.eflags);
    s.setU32('lazyKind', 0);
    let fault: number | undefined;
    let faultOffset: number | undefined;
    for (let guard = 0; guard < 100_000; guard++) {
      try {
        if (tier === 'dispatch') {
          // A miss compiles the block and fills the hash; the next dispatch runs it.
          if (cpu.dispatch() === DispatchResult.Miss) cpu.lookup(false);
        } else cpu.lookup(tier === 'single').run();
      } catch (e) {
        if (e instanceof GuestFault) {
          fault = e.vector;
          faultOffset = s.getLo('rip') + Math.max(e.delta, 0) - LAYOUT.codeBase;
          break;
        }
        if (e instanceof ExitSignal && e.reason === ExitReason.HLT) break;
        throw e;
      }
    }
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
