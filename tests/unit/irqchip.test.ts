// The in-kernel irqchip wired to vCPUs (KVM_CREATE_IRQCHIP, KVM_IRQ_LINE, KVM_CREATE_PIT2):
// guests that program the local APIC timer, the IOAPIC, the 8259A and the 8254 and take
// their interrupts. Register offsets and semantics: SDM Vol. 3A chapter 11 (Table 11-1),
// the 82093AA IOAPIC and 8254 datasheets.
import { describe, expect, it } from 'vitest';
import { ExitReason, Kvm, KvmError, type Vcpu, type VcpuExit } from '../../core/kvm/index.ts';
import { inlineSpawner } from '../../core/kvm/inline.ts';
import { nodePlatform } from '../../workers/node.ts';
import { VirtualClock } from '../../core/kvm/clock.ts';
import { PIT_CLOCK_HZ } from '../../core/kvm/irqchip/i8254.ts';
import { PVCLOCK_TSC_STABLE_BIT } from '../../core/kvm/irqchip/kvmclock.ts';
import { createTestVm, enterFlat32 } from '../lib/machine.ts';
import { validateWasm } from '../../jit/binaryen.ts';
import {
  CPUID, DATA, HLT, IRETD, STI, irqGuest, watchdog, incMem, jmpBack, movAl, movEaxImm, movEaxMem, movMemEax, movMemImm, movMemR32, outAl,
} from './irqchip-guest.ts';

const inline = { spawnVcpu: inlineSpawner };
const APIC = 0xfee00000;
const IOAPIC = 0xfec00000;
// Local APIC registers (SDM Vol. 3A Table 11-1).
const SVR = APIC + 0xf0;
const EOI = APIC + 0xb0;
const ISR_32 = APIC + 0x100 + 0x10 * 2; // ISR bits 95:64 (vectors 0x40-0x5f)
const LVT_TIMER = APIC + 0x320;
const TMICT = APIC + 0x380;
const TMCCT = APIC + 0x390;
const TDCR = APIC + 0x3e0;
/** SVR: APIC software enable (bit 8), spurious vector 0xff. */
const SVR_ENABLE = 0x1ff;
/** TDCR 1011b: divide by 1 (Figure 11-10). */
const DIVIDE_BY_1 = 0xb;
/** LVT timer mode bits 18:17 = 01b: periodic, 10b: TSC-deadline (Figure 11-8). */
const PERIODIC = 1 << 17;
const TSC_DEADLINE = 2 << 17;
const DONE_PORT = 0xf0;

function expectIoOut(exit: VcpuExit, port: number): number {
  if (exit.reason !== ExitReason.IO) throw new Error(`expected an I/O exit, got ${exit.reason}`);
  expect(exit.io.port).toBe(port);
  return exit.io.data[0]!;
}

describe('local APIC timer (SDM Vol. 3A 11.5.4)', () => {
  it('one-shot: 1,000,000 counts at divide-by-1 fire once after ~1 ms; the count reads 0 after; EOI clears ISR; no MMIO exits', async () => {
    const g = await irqGuest(0x1000, { platform: inline });
    g.load(0x1000, [
      ...movMemImm(SVR, SVR_ENABLE), ...movMemImm(TDCR, DIVIDE_BY_1), ...movMemImm(LVT_TIMER, 0x40),
      ...movMemImm(TMICT, 1_000_000), ...STI, ...HLT, ...movEaxMem(DATA), ...outAl(DONE_PORT),
    ]);
    g.load(0x1100, [
      ...movMemImm(DATA, 0x5a), ...movEaxMem(TMCCT), ...movMemEax(DATA + 4), ...movEaxMem(ISR_32), ...movMemEax(DATA + 8),
      ...movMemImm(EOI, 0), ...movEaxMem(ISR_32), ...movMemEax(DATA + 12), ...IRETD,
    ]);
    g.gate(0x40, 0x1100);
    const t0 = performance.now();
    const exit = await g.vcpus[0]!.run();
    const ms = performance.now() - t0;
    expect(expectIoOut(exit, DONE_PORT)).toBe(0x5a);
    expect(ms).toBeGreaterThanOrEqual(1);
    expect(g.u32(DATA + 4)).toBe(0); // one-shot: the current count stays 0 (11.5.4)
    expect(g.u32(DATA + 8)).toBe(1); // vector 0x40 in service inside the handler (bit 0 of ISR[95:64])
    expect(g.u32(DATA + 12)).toBe(0);
    expect(g.vcpus[0]!.stats().exits[ExitReason.MMIO]).toBe(0);
    await g.vm.destroy();
  });

  it('periodic: a 200 µs period interrupts a spinning guest again and again, at most once per period', async () => {
    const g = await irqGuest(0x1000, { platform: inline });
    // Spin until the handler has counted 5 interrupts, then report.
    g.load(0x1000, [
      ...movMemImm(SVR, SVR_ENABLE), ...movMemImm(TDCR, DIVIDE_BY_1), ...movMemImm(LVT_TIMER, PERIODIC | 0x41),
      ...movMemImm(TMICT, 200_000), ...STI,
      // spin: cmp dword [DATA], 5 (83 /7 ib); jb spin
      0x83, 0x3d, ...[DATA & 0xff, DATA >> 8, 0, 0], 5, 0x72, 0xf7,
      ...movMemImm(LVT_TIMER, 1 << 16), ...movEaxMem(DATA), ...outAl(DONE_PORT),
    ]);
    g.load(0x1100, [...incMem(DATA), ...movMemImm(EOI, 0), ...IRETD]);
    g.gate(0x41, 0x1100);
    const vcpu = g.vcpus[0]!;
    // Inline, the VMM thread's timer pump cannot run while the guest spins (a worker vCPU
    // relies on it): kicks from the event loop make the run loop look at its timers too.
    let exit: VcpuExit;
    const t0 = performance.now();
    for (;;) {
      const timer = setTimeout(() => vcpu.kick(), 0);
      exit = await vcpu.run();
      clearTimeout(timer);
      vcpu.immediateExit = false;
      if (exit.reason !== ExitReason.INTR) break;
    }
    const ms = performance.now() - t0;
    // At least 5 interrupts; never more than one per elapsed period (periods the host was
    // late for arrive back to back, as KVM's hrtimer catches up, but never more of them).
    const n = expectIoOut(exit, DONE_PORT);
    expect(n).toBeGreaterThanOrEqual(5);
    expect(n).toBeLessThanOrEqual(Math.floor(ms / 0.2) + 1);
    expect(ms).toBeGreaterThanOrEqual(1);
    await g.vm.destroy();
  });
});

describe('a vCPU in the VMM thread (inline.ts) whose guest spins in Wasm', () => {
  // Nothing but the run loop runs an inline vCPU's timers, and nothing but the thread's event
  // loop runs the VMM's: both used to starve while the dispatcher chained the guest's loop.
  // spin: mov eax, [DATA]; cmp eax, 5 (83 /7 ib); jb spin: one block looping on itself, EAX
  // the count at exit. (With fewer interrupts the JS of the first few rounds hid the bug.)
  const SPIN_UNTIL_5 = [...movEaxMem(DATA), 0x83, 0xf8, 5, 0x72, 0xf6];
  it('takes its local APIC timer: a 5 ms period interrupts a spin loop 5 times', async () => {
    const g = await irqGuest(0x1000, { platform: inline });
    g.load(0x1000, [
      ...movMemImm(SVR, SVR_ENABLE), ...movMemImm(TDCR, DIVIDE_BY_1), ...movMemImm(LVT_TIMER, PERIODIC | 0x41),
      ...movMemImm(TMICT, 5_000_000), ...STI,
      ...SPIN_UNTIL_5, ...movMemImm(LVT_TIMER, 1 << 16), ...outAl(DONE_PORT),
    ]);
    g.load(0x1100, [...incMem(DATA), ...movMemImm(EOI, 0), ...IRETD]);
    g.gate(0x41, 0x1100);
    const stop = watchdog(g, 0, 10_000);
    const t0 = performance.now();
    const exit = await g.vcpus[0]!.run();
    await stop();
    expect(expectIoOut(exit, DONE_PORT)).toBeGreaterThanOrEqual(5);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(20);
    await g.vm.destroy();
  }, 20_000);

  it('takes IRQ0 of the 8254 (a VMM-thread timer): counter 0 in mode 2 at ~1 ms interrupts the spin loop 5 times', async () => {
    const g = await irqGuest(0x1000, { platform: inline, pit: true });
    const count = 1193; // ~1 ms at 1.193182 MHz
    g.load(0x1000, [
      // 8259A: ICW1 edge + ICW4, ICW2 base 0x20, ICW3 slave on IR2, ICW4 8086 mode; OCW1 unmasks IRQ0 only.
      ...movAl(0x11), ...outAl(0x20), ...movAl(0x20), ...outAl(0x21), ...movAl(0x04), ...outAl(0x21),
      ...movAl(0x01), ...outAl(0x21), ...movAl(0xfe), ...outAl(0x21),
      // 8254: counter 0, LSB then MSB, mode 2, binary.
      ...movAl(0x34), ...outAl(0x43), ...movAl(count & 0xff), ...outAl(0x40), ...movAl(count >> 8), ...outAl(0x40),
      ...STI, ...SPIN_UNTIL_5, ...outAl(DONE_PORT),
    ]);
    // Handler: count, non-specific EOI to the master (OCW2 0x20), return.
    g.load(0x1100, [...incMem(DATA), ...movAl(0x20), ...outAl(0x20), ...IRETD]);
    g.gate(0x20, 0x1100);
    const stop = watchdog(g, 0, 10_000);
    const exit = await g.vcpus[0]!.run();
    await stop();
    expect(expectIoOut(exit, DONE_PORT)).toBeGreaterThanOrEqual(5);
    await g.vm.destroy();
  }, 20_000);
});

describe('local APIC timer in a vCPU worker', () => {
  it('TSC-deadline mode (11.5.4.1): IA32_TSC_DEADLINE = TSC + 2,000,000 fires once the TSC passes it; the MSR reads 0 after', async () => {
    const g = await irqGuest(0x1000, { platform: nodePlatform });
    g.load(0x1000, [
      ...movMemImm(SVR, SVR_ENABLE), ...movMemImm(LVT_TIMER, TSC_DEADLINE | 0x42),
      0x0f, 0x31, ...movMemR32(DATA + 8, 0), ...movMemR32(DATA + 12, 2), // rdtsc: the time of arming
      0x05, ...[0x80, 0x84, 0x1e, 0x00], 0x83, 0xd2, 0x00, // add eax, 2000000; adc edx, 0
      0xb9, 0xe0, 0x06, 0x00, 0x00, 0x0f, 0x30, // mov ecx, IA32_TSC_DEADLINE; wrmsr
      ...STI, ...HLT, ...movEaxMem(DATA), ...outAl(DONE_PORT),
    ]);
    // Handler: the TSC at delivery, the deadline MSR, EOI.
    g.load(0x1100, [
      0x0f, 0x31, ...movMemR32(DATA + 16, 0), ...movMemR32(DATA + 20, 2),
      0xb9, 0xe0, 0x06, 0x00, 0x00, 0x0f, 0x32, ...movMemR32(DATA + 24, 0), ...movMemR32(DATA + 28, 2),
      ...movMemImm(DATA, 0x42), ...movMemImm(EOI, 0), ...IRETD,
    ]);
    g.gate(0x42, 0x1100);
    expect(expectIoOut(await g.vcpus[0]!.run(), DONE_PORT)).toBe(0x42);
    const tsc = (at: number): bigint => (BigInt(g.u32(at + 4)) << 32n) | BigInt(g.u32(at));
    expect(tsc(DATA + 16) - tsc(DATA + 8)).toBeGreaterThanOrEqual(2_000_000n);
    expect(tsc(DATA + 24)).toBe(0n); // the deadline is cleared when it fires (11.5.4.1)
    await g.vm.destroy();
  });

  it('periodic mode interrupts a guest that spins inside Wasm (the VMM thread raises the timer event at each deadline)', async () => {
    const g = await irqGuest(0x1000, { platform: nodePlatform });
    g.load(0x1000, [
      ...movMemImm(SVR, SVR_ENABLE), ...movMemImm(TDCR, DIVIDE_BY_1), ...movMemImm(LVT_TIMER, PERIODIC | 0x43),
      ...movMemImm(TMICT, 1_000_000), ...STI,
      0xeb, 0xfe, // jmp $: one block that chains to itself in the dispatcher, never back to JS
    ]);
    // At 0x1040: mask the timer, report the count.
    g.load(0x1040, [...movMemImm(LVT_TIMER, 1 << 16), ...movEaxMem(DATA), ...outAl(DONE_PORT)]);
    // Handler: count; from the 5th on, return to 0x1040 instead (the EIP of the IRET frame).
    g.load(0x1100, [
      ...incMem(DATA), 0x83, 0x3d, ...[DATA & 0xff, DATA >> 8, 0, 0], 5, 0x72, 0x07, // cmp dword [DATA], 5; jb +7
      0xc7, 0x04, 0x24, 0x40, 0x10, 0x00, 0x00, // mov dword [esp], 0x1040
      ...movMemImm(EOI, 0), ...IRETD,
    ]);
    g.gate(0x43, 0x1100);
    const t0 = performance.now();
    const n = expectIoOut(await g.vcpus[0]!.run(), DONE_PORT);
    const ms = performance.now() - t0;
    expect(n).toBeGreaterThanOrEqual(5);
    expect(n).toBeLessThanOrEqual(Math.floor(ms) + 1); // at most one per 1 ms period
    await g.vm.destroy();
  });
});

describe('KVM_IRQ_LINE through the IOAPIC (82093AA) and the 8259A', () => {
  it('an edge on GSI 4 reaches the vector its redirection entry names; a masked entry delivers nothing', async () => {
    const g = await irqGuest(0x1000, { platform: inline });
    g.load(0x1000, [
      // Mask both 8259As (OCW1), which would otherwise pass GSI 4 as IRQ4 through LINT0.
      ...movAl(0xff), ...outAl(0x21), ...outAl(0xa1), ...movMemImm(SVR, SVR_ENABLE),
      // IOREDTBL[4] low dword = register 0x10 + 2 * 4: vector 0x34, fixed, physical, edge, unmasked.
      ...movMemImm(IOAPIC, 0x18), ...movMemImm(IOAPIC + 0x10, 0x34),
      ...movMemImm(IOAPIC, 0x19), ...movMemImm(IOAPIC + 0x10, 0), // destination APIC ID 0
      ...STI, ...HLT, ...movEaxMem(DATA), ...outAl(DONE_PORT),
    ]);
    g.load(0x1100, [...movMemImm(DATA, 0x34), ...movMemImm(EOI, 0), ...IRETD]);
    g.gate(0x34, 0x1100);
    const vcpu = g.vcpus[0]!;
    // Inline, a halt with nothing that could end it returns to the VMM (KVM_EXIT_HLT).
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    expect(g.vm.irqLine(5, true)).toBe(-1); // pin 5 is masked (its reset state)
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    expect(g.vm.irqLine(4, true)).toBe(1);
    g.vm.irqLine(4, false);
    expect(expectIoOut(await vcpu.run(), DONE_PORT)).toBe(0x34);
    await expect(vcpu.interrupt(0x20)).rejects.toThrow(KvmError);
    await g.vm.destroy();
  });

  it('8254 counter 0 in mode 2 raises IRQ0 every N input clocks; the 8259A delivers it through LINT0 (ExtINT)', async () => {
    const clock = new VirtualClock();
    const g = await irqGuest(0x1000, { platform: inline, irqchip: { clock, timers: clock }, pit: true });
    const count = 1193; // ~1 ms at 1.193182 MHz
    g.load(0x1000, [
      // 8259A: ICW1 edge + ICW4, ICW2 base 0x20, ICW3 slave on IR2, ICW4 8086 mode; OCW1 unmasks IRQ0 only.
      ...movAl(0x11), ...outAl(0x20), ...movAl(0x20), ...outAl(0x21), ...movAl(0x04), ...outAl(0x21),
      ...movAl(0x01), ...outAl(0x21), ...movAl(0xfe), ...outAl(0x21),
      // 8254: counter 0, LSB then MSB, mode 2, binary; count 1193.
      ...movAl(0x34), ...outAl(0x43), ...movAl(count & 0xff), ...outAl(0x40), ...movAl(count >> 8), ...outAl(0x40),
      ...STI, ...HLT, ...movEaxMem(DATA), ...outAl(DONE_PORT), ...HLT, ...jmpBack(1),
    ]);
    // Handler: count, non-specific EOI to the master (OCW2 0x20), return.
    g.load(0x1100, [...incMem(DATA), ...movAl(0x20), ...outAl(0x20), ...IRETD]);
    g.gate(0x20, 0x1100);
    const vcpu = g.vcpus[0]!;
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    // The count loads on the first input clock after it is written; OUT then goes low at
    // count 1 and back high (the rising edge the 8259A latches) N clocks later (8254 mode 2).
    const edgeNs = ((count + 1) / PIT_CLOCK_HZ) * 1e9;
    clock.advanceTo(Math.floor(edgeNs) - 1000);
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    expect(g.u32(DATA)).toBe(0);
    clock.advanceTo(Math.ceil(edgeNs));
    expect(expectIoOut(await vcpu.run(), DONE_PORT)).toBe(1);
    await g.vm.destroy();
  });

  it('the 8259A is not acknowledged while IF = 0: IRQ0 raised with IF = 0 and masked (OCW1) before STI is never delivered', async () => {
    const clock = new VirtualClock();
    const g = await irqGuest(0x1000, { platform: inline, irqchip: { clock, timers: clock }, pit: true });
    g.load(0x1000, [
      ...movAl(0x11), ...outAl(0x20), ...movAl(0x20), ...outAl(0x21), ...movAl(0x04), ...outAl(0x21),
      ...movAl(0x01), ...outAl(0x21), ...movAl(0xfe), ...outAl(0x21), // IRQ0 unmasked
      ...movAl(0x34), ...outAl(0x43), ...movAl(100), ...outAl(0x40), ...movAl(0), ...outAl(0x40), // 8254: mode 2, count 100
      ...outAl(DONE_PORT), // with IF = 0: the test lets the 8254 fire here
      ...movAl(0xff), ...outAl(0x21), ...STI, ...HLT, ...movEaxMem(DATA), ...outAl(DONE_PORT),
    ]);
    g.load(0x1100, [...incMem(DATA), ...movAl(0x20), ...outAl(0x20), ...IRETD]);
    g.gate(0x20, 0x1100);
    const vcpu = g.vcpus[0]!;
    expectIoOut(await vcpu.run(), DONE_PORT);
    clock.advanceTo(1_000_000); // many 8254 periods: IRQ0 is requested at the 8259A
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    expect(g.u32(DATA)).toBe(0);
    await g.vm.destroy();
  });

  it('KVM_SET_GSI_ROUTING: GSI 0 routed to IOAPIC pin 2 (an MADT override of ISA IRQ 0) delivers pin 2\'s vector', async () => {
    const g = await irqGuest(0x1000, { platform: inline });
    g.vm.setGsiRouting([{ gsi: 0, irqchip: 'ioapic', pin: 2 }]);
    g.load(0x1000, [
      ...movMemImm(SVR, SVR_ENABLE), ...movMemImm(IOAPIC, 0x14), ...movMemImm(IOAPIC + 0x10, 0x32), // IOREDTBL[2]: vector 0x32, edge
      ...STI, ...HLT, ...movEaxMem(DATA), ...outAl(DONE_PORT),
    ]);
    g.load(0x1100, [...movMemImm(DATA, 0x32), ...movMemImm(EOI, 0), ...IRETD]);
    g.gate(0x32, 0x1100);
    const vcpu = g.vcpus[0]!;
    expect((await vcpu.run()).reason).toBe(ExitReason.HLT);
    expect(g.vm.irqLine(2, true)).toBe(-1); // GSI 2 is not connected any more
    expect(g.vm.irqLine(0, true)).toBe(1);
    expect(expectIoOut(await vcpu.run(), DONE_PORT)).toBe(0x32);
    expect(() => g.vm.setGsiRouting([{ gsi: 0, irqchip: 'pic', pin: 2 }])).toThrow(/EINVAL/); // the cascade input
    await g.vm.destroy();
  });

  it('KVM_CREATE_IRQCHIP after a vCPU exists is EINVAL; KVM_IRQ_LINE without an irqchip is ENXIO', async () => {
    const vm = Kvm.open(inline).createVm();
    await vm.createVcpu(0);
    expect(() => vm.createIrqchip()).toThrow(/EINVAL/);
    expect(() => vm.irqLine(4, true)).toThrow(/ENXIO/);
    await vm.destroy();
  });
});

describe('SMP: INIT, start-up IPI and a fixed IPI between vCPU workers (SDM Vol. 3A 9.4.4, 11.6)', () => {
  it('vCPU 1 waits for SIPI, starts in real mode at vector << 12, switches to x2APIC and interrupts vCPU 0', async () => {
    const g = await irqGuest(0x1000, { platform: nodePlatform, vcpus: 2 });
    const ICR = APIC + 0x300;
    const ICR2 = APIC + 0x310;
    g.load(0x1000, [
      ...movMemImm(SVR, SVR_ENABLE), ...movMemImm(ICR2, 1 << 24),
      ...movMemImm(ICR, 0x4500), // INIT, level assert (Figure 11-12)
      ...movMemImm(ICR, 0x4608), // start-up, vector 0x08: the AP starts at 0800:0000
      ...STI,
      // wait: hlt; cmp dword [DATA], 0; je wait
      ...HLT, 0x83, 0x3d, ...[DATA & 0xff, DATA >> 8, 0, 0], 0, 0x74, 0xf6,
      ...movEaxMem(DATA + 0x100), ...outAl(DONE_PORT),
    ]);
    g.load(0x1100, [...movMemImm(DATA, 1), ...movMemImm(EOI, 0), ...IRETD]);
    g.gate(0x50, 0x1100);
    // The AP, 16-bit real mode at 0x8000 (nasm):
    g.load(0x8000, [
      0x66, 0xc7, 0x06, 0x00, 0x21, 0x78, 0x56, 0x34, 0x12, // mov dword [0x2100], 0x12345678
      0x66, 0xb9, 0x1b, 0x00, 0x00, 0x00, 0x0f, 0x32, // mov ecx, IA32_APIC_BASE; rdmsr
      0x66, 0x0d, 0x00, 0x0c, 0x00, 0x00, 0x0f, 0x30, // or eax, EN | EXTD; wrmsr (x2APIC mode, 11.12.1)
      0x66, 0xb9, 0x30, 0x08, 0x00, 0x00, 0x66, 0x31, 0xd2, // mov ecx, 0x830 (ICR); xor edx, edx (destination 0)
      0x66, 0xb8, 0x50, 0x40, 0x00, 0x00, 0x0f, 0x30, // mov eax, 0x4050 (fixed, vector 0x50); wrmsr
      0xfa, 0xf4, 0xeb, 0xfd, // cli; hlt; jmp $-1
    ]);
    const [bsp, ap] = g.vcpus as [Vcpu, Vcpu];
    expect(ap.getMpState()).toBe(1); // KVM_MP_STATE_UNINITIALIZED
    const apRun = ap.run();
    try {
      expect(expectIoOut(await bsp.run(), DONE_PORT)).toBe(0x78);
      expect(g.u32(DATA + 0x100)).toBe(0x12345678);
      expect(ap.getMpState()).toBe(3); // KVM_MP_STATE_HALTED
      const sregs = await bsp.getSregs();
      expect(sregs.apicBase).toBe(0xfee00900n); // EN | BSP
    } finally {
      ap.kick();
      expect((await apRun).reason).toBe(ExitReason.INTR);
      const apSregs = await ap.getSregs();
      expect([apSregs.cs.selector, apSregs.cs.base, apSregs.apicBase]).toEqual([0x0800, 0x8000n, 0xfee00c00n]);
      await g.vm.destroy();
    }
  }, 20_000);
});

describe('kvmclock (Documentation/virt/kvm/x86/msr.rst)', () => {
  it('MSR_KVM_SYSTEM_TIME_NEW fills pvclock_vcpu_time_info; the documented formula turns a later TSC into the VM clock; WALL_CLOCK_NEW gives the boot time', () => {
    const vm = createTestVm();
    vm.load(0x1000, [
      0xb9, 0x01, 0x4d, 0x56, 0x4b, 0xb8, 0x01, 0x30, 0x00, 0x00, 0x31, 0xd2, 0x0f, 0x30, // MSR_KVM_SYSTEM_TIME_NEW = 0x3000 | enable
      0xb9, 0x00, 0x4d, 0x56, 0x4b, 0xb8, 0x00, 0x31, 0x00, 0x00, 0x0f, 0x30, // MSR_KVM_WALL_CLOCK_NEW = 0x3100
      0x0f, 0x31, 0xf4, // rdtsc; hlt
    ]);
    enterFlat32(vm, 0x1000);
    const before = Date.now();
    vm.runExpect(ExitReason.HLT);
    const dv = new DataView(vm.ram.buffer, vm.ram.byteOffset);
    expect(dv.getUint32(0x3000, true) % 2).toBe(0); // version: even when consistent
    const tscTimestamp = dv.getBigUint64(0x3008, true);
    const systemTime = dv.getBigUint64(0x3010, true);
    const mul = BigInt(dv.getUint32(0x3018, true));
    const shift = dv.getInt8(0x301c);
    expect(dv.getUint8(0x301d) & PVCLOCK_TSC_STABLE_BIT).toBe(PVCLOCK_TSC_STABLE_BIT);
    const tsc = (BigInt(vm.reg(2)) << 32n) | BigInt(vm.reg(0));
    let delta = tsc - tscTimestamp;
    delta = shift >= 0 ? delta << BigInt(shift) : delta >> BigInt(-shift);
    const time = systemTime + ((delta * mul) >> 32n);
    // The TSC counts nanoseconds (1 GHz): the time advanced by the TSC delta.
    expect(time - systemTime).toBe(tsc - tscTimestamp);
    // Wall clock at system time 0, plus system time, is now.
    const sec = dv.getUint32(0x3100 + 4, true);
    const nsec = dv.getUint32(0x3100 + 8, true);
    const wallNowMs = sec * 1000 + nsec / 1e6 + Number(time) / 1e6;
    expect(dv.getUint32(0x3100, true) % 2).toBe(0);
    expect(Math.abs(wallNowMs - before)).toBeLessThan(1000);
  });

  it('CPUID advertises the APIC (1.EDX[9]), x2APIC (1.ECX[21]), TSC-deadline (1.ECX[24]), KVM_FEATURE_CLOCKSOURCE2 and CLOCKSOURCE_STABLE_BIT; 1.EBX[31:24] is the vCPU id', async () => {
    const g = await irqGuest(0x1000, { platform: inline, vcpus: 2 });
    const vcpu = g.vcpus[1]!;
    // vCPU 1 is an AP waiting for SIPI: point it at flat code and make it runnable.
    const bsp = await g.vcpus[0]!.getSregs();
    await vcpu.setSregs(bsp);
    g.load(0x1000, [
      ...movEaxImm(1), ...CPUID, ...movMemR32(DATA, 0), ...movMemR32(DATA + 4, 3), ...movMemR32(DATA + 8, 1), ...movMemR32(DATA + 12, 2),
      ...movEaxImm(0x40000001), ...CPUID, ...movMemEax(DATA + 16), ...outAl(DONE_PORT),
    ]);
    await vcpu.setRegs({ ...(await vcpu.getRegs()), rip: 0x1000n, rflags: 2n });
    vcpu.setMpState(0); // KVM_MP_STATE_RUNNABLE
    expectIoOut(await vcpu.run(), DONE_PORT);
    expect(g.u32(DATA + 12) & (1 << 9)).toBe(1 << 9);
    expect(g.u32(DATA + 8) & ((1 << 21) | (1 << 24))).toBe((1 << 21) | (1 << 24));
    expect(g.u32(DATA + 4) >>> 24).toBe(1);
    expect(g.u32(DATA + 16) & ((1 << 3) | (1 << 24))).toBe((1 << 3) | (1 << 24));
    await g.vm.destroy();
  });
});

describe('LOCK across vCPU workers (SDM Vol. 3A 9.1.2.2)', () => {
  const N = 300_000;
  const BARRIER = DATA + 4;
  const code = [
    0xf0, 0xff, 0x05, BARRIER & 0xff, BARRIER >> 8, 0, 0, // lock inc dword [BARRIER]
    0x83, 0x3d, BARRIER & 0xff, BARRIER >> 8, 0, 0, 2, 0x72, 0xf7, // wait: cmp dword [BARRIER], 2; jb wait
    0xb9, N & 0xff, (N >> 8) & 0xff, N >> 16, 0, // mov ecx, N
    0xf0, 0xff, 0x05, DATA & 0xff, DATA >> 8, 0, 0, 0x49, 0x75, 0xf6, // again: lock inc dword [DATA]; dec ecx; jnz again
    ...outAl(DONE_PORT),
  ];

  it('two vCPUs each doing LOCK INC on one dword 300,000 times (after a barrier) leave 600,000 in it', async () => {
    const g = await irqGuest(0x1000, { platform: nodePlatform, vcpus: 2 });
    g.load(0x1000, code);
    const [bsp, ap] = g.vcpus as [Vcpu, Vcpu];
    await ap.setSregs(await bsp.getSregs());
    await ap.setRegs(await bsp.getRegs());
    ap.setMpState(0); // KVM_MP_STATE_RUNNABLE
    const exits = await Promise.all([bsp.run(), ap.run()]);
    for (const e of exits) expectIoOut(e, DONE_PORT);
    expect(g.u32(DATA)).toBe(2 * N);
    await g.vm.destroy();
  }, 30_000);

  it('the bus lock around a locked instruction is valid Wasm (binaryen)', () => {
    const vm = createTestVm();
    vm.vcpu.cpu.cache.keepWasm = true;
    vm.vcpu.cpu.phys.refresh();
    vm.load(0x1000, [0xf0, 0xff, 0x05, 0x00, 0x20, 0x00, 0x00, 0x87, 0x05, 0x00, 0x20, 0x00, 0x00, 0xf4]); // lock inc [0x2000]; xchg [0x2000], eax; hlt
    enterFlat32(vm, 0x1000);
    expect(validateWasm(vm.vcpu.cpu.lookup(false).wasm!)).toBe(true);
    vm.runExpect(ExitReason.HLT);
    expect(vm.ram[0x2000]).toBe(0); // xchg stored the old EAX, 0
    expect(vm.reg(0)).toBe(1); // and took the incremented 1
  });
});
