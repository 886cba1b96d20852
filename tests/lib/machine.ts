// A test library in the spirit of the KVM selftests (vm_create_with_one_vcpu, vcpu_run):
// one VM with RAM at guest-physical 0 and one vCPU running in this thread, plus helpers to
// place code and set up real mode or flat 32-bit protected mode.
import { GuestMemory } from '../../core/kvm/guest-memory.ts';
import { VcpuCore, type RunResult } from '../../core/kvm/vcpu-core.ts';
import { Seg, SegAttr } from '../../core/cpu/registers.ts';
import { ExitReason, EXIT_REASON_NAMES } from '../../core/kvm/exit-reason.ts';

export interface TestVm {
  mem: GuestMemory;
  vcpu: VcpuCore;
  /** Guest RAM bytes, guest-physical address = index. */
  ram: Uint8Array;
  load(gpa: number, bytes: ArrayLike<number>): void;
  /** Runs until an exit; asserts nothing. */
  run(): RunResult;
  /** Runs and fails the test unless the exit is `reason`. */
  runExpect(reason: number): RunResult;
  reg(n: number): number;
  setReg(n: number, v: number): void;
  flags(): number;
}

export function createTestVm(ramBytes = 2 * 1024 * 1024): TestVm {
  const mem = new GuestMemory();
  const host = mem.allocate(ramBytes);
  const err = mem.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: ramBytes, userspaceAddr: host });
  if (err) throw new Error(JSON.stringify(err));
  const vcpu = new VcpuCore(mem.memory, 0);
  const ram = mem.view(0, ramBytes);
  const s = vcpu.cpu.state;
  const vm: TestVm = {
    mem,
    vcpu,
    ram,
    load(gpa, bytes) {
      ram.set(Array.from(bytes), gpa);
    },
    run() {
      return vcpu.run();
    },
    runExpect(reason) {
      const r = vcpu.run();
      if (r.reason !== reason)
        throw new Error(`expected exit ${EXIT_REASON_NAMES[reason]}, got ${EXIT_REASON_NAMES[r.reason]}${r.detail ? ': ' + r.detail : ''} at RIP 0x${s.getNum('rip').toString(16)}`);
      return r;
    },
    reg: (n) => s.getLo('gpr', n),
    setReg: (n, v) => s.setLo('gpr', v, n),
    flags: () => {
      vcpu.cpu.resolveFlags();
      return s.getLo('rflags');
    },
  };
  return vm;
}

/** Real mode with CS = DS = ES = SS = 0 and IP = `ip`. */
export function enterRealMode(vm: TestVm, ip: number, sp = 0x7000): void {
  const cpu = vm.vcpu.cpu;
  for (const seg of [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS])
    cpu.setSegment(seg, 0, 0, 0xffff, SegAttr.P | SegAttr.S | (seg === Seg.CS ? 0xb : 3));
  cpu.state.setLo('rip', ip);
  vm.setReg(4, sp);
  cpu.refreshMode();
}

/**
 * Flat 32-bit protected mode as a multiboot loader leaves it (CS/DS/ES/SS base 0, limit 4 GiB,
 * CPL 0), without a GDT in memory: tests of instructions that reload segments set one up.
 */
export function enterFlat32(vm: TestVm, eip: number, esp = 0x80000): void {
  const cpu = vm.vcpu.cpu;
  const s = cpu.state;
  s.setLo('cr0', s.getLo('cr0') | 1);
  for (const seg of [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
    const code = seg === Seg.CS;
    cpu.setSegment(seg, code ? 0x08 : 0x10, 0, 0xffffffff, SegAttr.P | SegAttr.S | SegAttr.DB | SegAttr.G | (code ? 0xb : 3));
  }
  s.setU32('cpl', 0);
  s.setLo('rip', eip);
  vm.setReg(4, esp);
  cpu.refreshMode();
}

export { ExitReason };
