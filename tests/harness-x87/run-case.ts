// Runs a recorded x87 case on wasmkvm: flat 32-bit protected mode at CPL 0 with CR0.NE (as
// the host kernel sets it), the same code, memory and register values as the native run, at
// the same addresses, so that the instruction and data pointers FNSAVE stores match too.
import { GuestFault, ExitSignal } from '../../core/cpu/faults.ts';
import { Cr0 } from '../../core/cpu/registers.ts';
import { ExitReason } from '../../core/kvm/exit-reason.ts';
import { createTestVm, enterFlat32, type TestVm } from '../lib/machine.ts';
import { FNSAVE_OUT, FRSTOR_IN, hex, imageOf, pointersOfImage, stateOfImage, unhex, X87_LAYOUT, type X87Case, type X87Pointers, type X87State } from './format.ts';

export type Tier = 'block' | 'single';
const HLT = 0xf4;
const EBX = 3;

export class X87Runner {
  private readonly vm: TestVm = createTestVm(4 * 1024 * 1024);


  run(c: X87Case, tier: Tier): X87State & { trap?: number; ptr: X87Pointers } {
    const vm = this.vm;
    const cpu = vm.vcpu.cpu;
    const s = cpu.state;
    cpu.phys.refresh();
    vm.load(X87_LAYOUT.codeBase, [...FRSTOR_IN, ...unhex(c.c), ...FNSAVE_OUT, HLT]);
    cpu.cache.invalidatePage(X87_LAYOUT.codeBase >>> 12);
    cpu.clearJitHash();
    vm.load(X87_LAYOUT.memBase, unhex(c.i.m));
    vm.load(X87_LAYOUT.imageIn, imageOf(c.i));
    vm.load(X87_LAYOUT.imageOut, new Array<number>(108).fill(0xcc));
    enterFlat32(vm, X87_LAYOUT.codeBase);
    s.setLo('cr0', s.getLo('cr0') | Cr0.NE);
    s.setLo('gpr', parseInt(c.i.a, 16), 0);
    s.setLo('gpr', X87_LAYOUT.memBase, EBX);
    s.setLo('rflags', parseInt(c.i.f, 16));
    s.setU32('lazyKind', 0);
    let trap: number | undefined;
    for (let guard = 0; guard < 100; guard++) {
      try {
        cpu.lookup(tier === 'single').run();
      } catch (e) {
        if (e instanceof GuestFault) {
          trap = e.vector;
          break;
        }
        if (e instanceof ExitSignal && e.reason === ExitReason.HLT) break;
        throw e;
      }
    }
    cpu.resolveFlags();
    const img = vm.ram.slice(X87_LAYOUT.imageOut, X87_LAYOUT.imageOut + 108);
    const out: X87State & { trap?: number; ptr: X87Pointers } = {
      ...stateOfImage(img),
      ptr: pointersOfImage(img),
      m: hex(vm.ram.slice(X87_LAYOUT.memBase, X87_LAYOUT.memBase + X87_LAYOUT.memSize)),
      a: (s.getLo('gpr', 0) >>> 0).toString(16).padStart(8, '0'),
      f: (s.getLo('rflags') >>> 0).toString(16).padStart(8, '0'),
    };
    if (trap !== undefined) out.trap = trap;
    return out;
  }
}
