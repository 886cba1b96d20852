// A VM: its shared memory, memory slots and vCPUs (the vm-fd ioctls of KVM).
import { MAX_VCPUS } from '../cpu/layout.ts';
import type { VcpuSpawner } from './backend.ts';
import { GuestMemory } from './guest-memory.ts';
import { KvmError } from './errors.ts';
import type { KvmUserspaceMemoryRegion } from './types.ts';
import { Vcpu } from './vcpu.ts';

export class Vm {
  readonly guestMemory = new GuestMemory();
  private readonly vcpus = new Map<number, Vcpu>();

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
    const vcpu = new Vcpu(id, this.memory, backend);
    this.vcpus.set(id, vcpu);
    return vcpu;
  }

  /** Ends every vCPU engine. */
  async destroy(): Promise<void> {
    await Promise.all([...this.vcpus.values()].map((v) => v.destroy()));
    this.vcpus.clear();
  }
}
