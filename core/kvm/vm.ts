// A VM: its shared memory, memory slots and vCPUs (the vm-fd ioctls of KVM).
import { MAX_VCPUS } from '../cpu/layout.ts';
import type { VcpuSpawner } from './backend.ts';
import { GuestMemory } from './guest-memory.ts';
import { KvmError } from './errors.ts';
import { KVM_IRQCHIP_IOAPIC, KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE, type KvmIrqchip, type KvmUserspaceMemoryRegion } from './types.ts';
import { Vcpu } from './vcpu.ts';
import { KernelIrqchip, type GsiRoute, type KernelIrqchipOptions } from './irqchip/kernel-irqchip.ts';
import { Cap } from './cap.ts';
import { VcpuState } from '../cpu/state.ts';
import { MSR_EXIT_REASONS_VALID } from '../cpu/msr-exit.ts';

export class Vm {
  readonly guestMemory = new GuestMemory();
  private readonly vcpus = new Map<number, Vcpu>();
  /** The in-kernel PIC, IOAPIC (and PIT) after createIrqchip(). */
  irqchip: KernelIrqchip | undefined;

  constructor(private readonly spawn: VcpuSpawner) {}

  /** The shared WebAssembly.Memory holding guest RAM and every vCPU's state. */
  get memory(): WebAssembly.Memory {
    return this.guestMemory.memory;
  }

  /** Backing store for guest RAM (the VMM's mmap); returns its userspace address. */
  allocateGuestMemory(size: number): number {
    return this.guestMemory.allocate(size);
  }

  /** KVM_SET_USER_MEMORY_REGION. */
  setUserMemoryRegion(region: KvmUserspaceMemoryRegion): void {
    const err = this.guestMemory.setUserMemoryRegion(region);
    if (err) throw new KvmError('EINVAL', `KVM_SET_USER_MEMORY_REGION: ${JSON.stringify(err)}`);
  }

  /** Bytes of guest RAM at a guest-physical address (for loaders). */
  guestView(gpa: number, length: number): Uint8Array {
    return this.guestMemory.view(gpa, length);
  }

  /** KVM_CREATE_VCPU: starts the vCPU's engine (a worker on real platforms). */
  async createVcpu(id: number): Promise<Vcpu> {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_VCPUS) throw new KvmError('EINVAL', `vCPU id ${id} out of range 0..${MAX_VCPUS - 1}`);
    if (this.vcpus.has(id)) throw new KvmError('EEXIST', `vCPU ${id} exists`);
    const backend = await this.spawn(this.memory, id);
    if (this.irqchip) await backend.enableIrqchip();
    const vcpu = new Vcpu(id, this.memory, backend, this.irqchip);
    this.vcpus.set(id, vcpu);
    new VcpuState(this.memory.buffer, id).setU32('msrExitReasons', this.msrExitReasons);
    return vcpu;
  }

  /** The KVM_MSR_EXIT_REASON_* bits enabled with KVM_CAP_X86_USER_SPACE_MSR. */
  private msrExitReasons = 0;

  /**
   * KVM_ENABLE_CAP on the VM. KVM_CAP_X86_USER_SPACE_MSR: args[0] is the mask of
   * KVM_MSR_EXIT_REASON_* for which a refused RDMSR/WRMSR exits to user space
   * (KVM_EXIT_X86_RDMSR/WRMSR) instead of raising #GP (core/cpu/msr-exit.ts); for every vCPU,
   * present and future. Other bits, or a capability not listed, are EINVAL.
   */
  enableCap(cap: number, args: readonly number[] = []): void {
    if (cap === Cap.X86_USER_SPACE_MSR) {
      const reasons = args[0] ?? 0;
      if (reasons & ~MSR_EXIT_REASONS_VALID) throw new KvmError('EINVAL', `KVM_CAP_X86_USER_SPACE_MSR: invalid reasons 0x${reasons.toString(16)}`);
      this.msrExitReasons = reasons;
      for (const id of this.vcpus.keys()) new VcpuState(this.memory.buffer, id).setU32('msrExitReasons', reasons);
      return;
    }
    throw new KvmError('EINVAL', `KVM_ENABLE_CAP: capability ${cap} cannot be enabled on a VM`);
  }

  /**
   * KVM_CREATE_IRQCHIP: the 8259A pair, an IOAPIC at 0xfec00000 and a local APIC in every
   * vCPU created afterwards (KVM refuses once vCPUs exist: EINVAL). Interrupts then go
   * through irqLine(), HLT no longer exits, and vCPUs other than 0 start waiting for
   * INIT and a start-up IPI. `opts.clock` replaces the host clock of the PIT and IOAPIC
   * (tests use a VirtualClock).
   */
  createIrqchip(opts: KernelIrqchipOptions = {}): void {
    if (this.irqchip) throw new KvmError('EEXIST', 'KVM_CREATE_IRQCHIP: the VM has an irqchip');
    if (this.vcpus.size > 0) throw new KvmError('EINVAL', 'KVM_CREATE_IRQCHIP after KVM_CREATE_VCPU');
    this.irqchip = new KernelIrqchip(this.memory, opts);
  }

  /**
   * KVM_IRQ_LINE: drives GSI `gsi` (KVM's default routing: 8259A input gsi for 0-15,
   * IOAPIC pin gsi for 0-23). Returns KVM_IRQ_LINE_STATUS's status (> 0 delivered,
   * 0 coalesced, -1 masked).
   */
  irqLine(gsi: number, level: boolean): number {
    if (!this.irqchip) throw new KvmError('ENXIO', 'KVM_IRQ_LINE without an in-kernel irqchip');
    return this.irqchip.irqLine(gsi, level);
  }

  /** KVM_SET_GSI_ROUTING (irqchip entries): replaces the default GSI -> 8259A/IOAPIC table. */
  setGsiRouting(entries: readonly GsiRoute[]): void {
    if (!this.irqchip) throw new KvmError('ENXIO', 'KVM_SET_GSI_ROUTING without an in-kernel irqchip');
    try {
      this.irqchip.setGsiRouting(entries);
    } catch (e) {
      throw new KvmError('EINVAL', (e as Error).message);
    }
  }

  /** KVM_GET_IRQCHIP: the state of the 8259A master or slave, or of the IOAPIC. */
  getIrqchip(chipId: number): KvmIrqchip {
    if (!this.irqchip) throw new KvmError('ENXIO', 'KVM_GET_IRQCHIP without an in-kernel irqchip');
    const pic = this.irqchip.pic.saveState();
    switch (chipId) {
      case KVM_IRQCHIP_PIC_MASTER:
        return { chipId, pic: pic.master };
      case KVM_IRQCHIP_PIC_SLAVE:
        return { chipId, pic: pic.slave };
      case KVM_IRQCHIP_IOAPIC:
        return { chipId, ioapic: this.irqchip.ioapic.getState() };
    }
    throw new KvmError('EINVAL', `KVM_GET_IRQCHIP: chip_id ${chipId}`);
  }

  /** KVM_SET_IRQCHIP: loads one chip's state; asserted lines and pending requests take effect. */
  setIrqchip(chip: KvmIrqchip): void {
    if (!this.irqchip) throw new KvmError('ENXIO', 'KVM_SET_IRQCHIP without an in-kernel irqchip');
    const refused =
      chip.chipId === KVM_IRQCHIP_IOAPIC
        ? this.irqchip.ioapic.setState(chip.ioapic)
        : chip.chipId === KVM_IRQCHIP_PIC_MASTER || chip.chipId === KVM_IRQCHIP_PIC_SLAVE
          ? this.irqchip.pic.loadChipState(chip.chipId === KVM_IRQCHIP_PIC_MASTER ? 'master' : 'slave', chip.pic)
          : { kind: 'bad-field', field: 'chipId', value: (chip as { chipId: unknown }).chipId };
    if (refused) throw new KvmError('EINVAL', `KVM_SET_IRQCHIP: ${JSON.stringify(refused)}`);
    this.irqchip.offerExtInt();
  }

  /** KVM_CREATE_PIT2: the 8254 on GSI 0 with port 0x61 (needs the in-kernel irqchip). */
  createPit2(): void {
    if (!this.irqchip) throw new KvmError('ENOENT', 'KVM_CREATE_PIT2 without an in-kernel irqchip');
    if (this.irqchip.pit) throw new KvmError('EEXIST', 'KVM_CREATE_PIT2: the VM has a PIT');
    this.irqchip.createPit();
  }

  /** Ends every vCPU engine. */
  async destroy(): Promise<void> {
    this.irqchip?.destroy();
    await Promise.all([...this.vcpus.values()].map((v) => v.destroy()));
    this.vcpus.clear();
  }
}
