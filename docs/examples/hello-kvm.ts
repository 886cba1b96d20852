// The classic "Using the KVM API" example (LWN, 2015), on wasmkvm: a VMM that runs 12 bytes
// of real-mode code which adds two registers and prints the sum to a serial port.
import { ExitReason, Kvm, KVM_API_VERSION, KVM_EXIT_IO_OUT } from '../../core/kvm/index.ts';
import { nodePlatform } from '../../workers/node.ts';

export async function helloKvm(): Promise<string> {
  const code = Uint8Array.of(
    0xba, 0xf8, 0x03, // mov $0x3f8, %dx
    0x00, 0xd8, //       add %bl, %al
    0x04, 0x30, //       add $'0', %al
    0xee, //             out %al, (%dx)
    0xb0, 0x0a, //       mov $'\n', %al
    0xee, //             out %al, (%dx)
    0xf4, //             hlt
  );
  const kvm = Kvm.open(nodePlatform); // each vCPU runs in a worker thread
  if (kvm.getApiVersion() !== KVM_API_VERSION) throw new Error('unexpected KVM API version');
  const vm = kvm.createVm();
  // One page of guest RAM at guest-physical 0x1000 holding the code.
  const mem = vm.allocateGuestMemory(0x1000);
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0x1000, memorySize: 0x1000, userspaceAddr: mem });
  vm.guestView(0x1000, code.length).set(code);

  const vcpu = await vm.createVcpu(0);
  const sregs = await vcpu.getSregs(); // real mode: CS base 0 so CS:IP = 0:0x1000
  sregs.cs.base = 0n;
  sregs.cs.selector = 0;
  await vcpu.setSregs(sregs);
  await vcpu.setRegs({ ...(await vcpu.getRegs()), rip: 0x1000n, rax: 2n, rbx: 2n, rflags: 0x2n });

  let out = '';
  try {
    for (;;) {
      const exit = await vcpu.run();
      switch (exit.reason) {
        case ExitReason.HLT:
          return out;
        case ExitReason.IO:
          if (exit.io.direction === KVM_EXIT_IO_OUT && exit.io.size === 1 && exit.io.port === 0x3f8 && exit.io.count === 1)
            out += String.fromCharCode(exit.io.data[0]);
          else throw new Error(`unhandled I/O exit: port 0x${exit.io.port.toString(16)}`);
          break;
        case ExitReason.INTERNAL_ERROR:
        case ExitReason.SHUTDOWN:
          throw new Error(exit.detail);
        default:
          throw new Error(`unexpected exit reason ${exit.reason}`);
      }
    }
  } finally {
    await vm.destroy();
  }
}
