// Guests for the in-kernel irqchip tests, built on the KVM-shaped API (Vm, Vcpu) because the
// PIC, IOAPIC and PIT are served in Vcpu.run(): flat 32-bit protected mode with a GDT at
// 0x500 (0x08 code, 0x10 data, base 0, 4 GiB) and an IDT at 0x600 of interrupt gates, code
// assembled here instruction by instruction (encodings from SDM Vol. 2).
import { Kvm, type KvmPlatform, type Vcpu, type Vm } from '../../core/kvm/index.ts';
import type { KernelIrqchipOptions } from '../../core/kvm/irqchip/kernel-irqchip.ts';
import { vcpuField } from '../../core/cpu/layout.ts';
import { Worker } from 'node:worker_threads';

export const GDT = 0x500;
export const IDT = 0x600;
export const RAM = 0x100000;
/** Where guests leave results. */
export const DATA = 0x2000;

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** mov dword [addr], imm32 (C7 /0 with a disp32 ModRM, 05). */
export const movMemImm = (addr: number, imm: number): number[] => [0xc7, 0x05, ...le32(addr), ...le32(imm)];
/** mov eax, [addr] (A1 moffs32). */
export const movEaxMem = (addr: number): number[] => [0xa1, ...le32(addr)];
/** mov [addr], eax (A3 moffs32). */
export const movMemEax = (addr: number): number[] => [0xa3, ...le32(addr)];
/** mov [addr], r32 (89 /r, ModRM mod 00 r/m 101: disp32); `reg` in encoding order (EAX 0, ECX 1, EDX 2, EBX 3). */
export const movMemR32 = (addr: number, reg: number): number[] => [0x89, (reg << 3) | 5, ...le32(addr)];
/** mov eax, imm32 (B8 id). */
export const movEaxImm = (imm: number): number[] => [0xb8, ...le32(imm)];
export const CPUID = [0x0f, 0xa2];
/** out imm8, al (E6 ib). */
export const outAl = (port: number): number[] => [0xe6, port];
/** mov al, imm8 (B0 ib). */
export const movAl = (v: number): number[] => [0xb0, v];
export const STI = [0xfb];
export const CLI = [0xfa];
export const HLT = [0xf4];
export const IRETD = [0xcf];
/** jmp rel8 back to `delta` bytes before the end of this instruction (EB cb). */
export const jmpBack = (bytesBefore: number): number[] => [0xeb, (-(bytesBefore + 2)) & 0xff];
/** inc dword [addr] (FF /0). */
export const incMem = (addr: number): number[] => [0xff, 0x05, ...le32(addr)];

export interface IrqGuest {
  vm: Vm;
  vcpus: Vcpu[];
  ram: Uint8Array;
  u32(addr: number): number;
  load(addr: number, bytes: number[]): void;
  /** An interrupt gate for `vector` to `handler` (SDM Vol. 3A Figure 6-2). */
  gate(vector: number, handler: number): void;
}

export interface IrqGuestOptions {
  platform: KvmPlatform;
  vcpus?: number;
  irqchip?: KernelIrqchipOptions;
  pit?: boolean;
}

/** A VM with the in-kernel irqchip and vCPU 0 in flat 32-bit mode at `entry`. */
export async function irqGuest(entry: number, opts: IrqGuestOptions): Promise<IrqGuest> {
  const vm = Kvm.open(opts.platform).createVm();
  const host = vm.allocateGuestMemory(RAM);
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: RAM, userspaceAddr: host });
  vm.createIrqchip(opts.irqchip);
  if (opts.pit) vm.createPit2();
  const ram = vm.guestView(0, RAM);
  const dv = new DataView(ram.buffer, ram.byteOffset, RAM);
  // GDT: null, flat code (0x00cf9a000000ffff), flat data (0x00cf92000000ffff).
  dv.setBigUint64(GDT + 8, 0x00cf9a000000ffffn, true);
  dv.setBigUint64(GDT + 16, 0x00cf92000000ffffn, true);
  const vcpus: Vcpu[] = [];
  for (let id = 0; id < (opts.vcpus ?? 1); id++) vcpus.push(await vm.createVcpu(id));
  const bsp = vcpus[0]!;
  const sregs = await bsp.getSregs();
  const seg = (selector: number, type: number) => ({ base: 0n, limit: 0xffffffff, selector, type, present: 1, dpl: 0, db: 1, s: 1, l: 0, g: 1, avl: 0, unusable: 0 });
  sregs.cs = seg(0x08, 0xb);
  for (const k of ['ds', 'es', 'fs', 'gs', 'ss'] as const) sregs[k] = seg(0x10, 3);
  sregs.gdt = { base: BigInt(GDT), limit: 23 };
  sregs.idt = { base: BigInt(IDT), limit: 256 * 8 - 1 };
  sregs.cr0 = 0x11n;
  await bsp.setSregs(sregs);
  await bsp.setRegs({ ...(await bsp.getRegs()), rip: BigInt(entry), rsp: 0x8000n, rflags: 2n });
  return {
    vm,
    vcpus,
    ram,
    u32: (addr) => dv.getUint32(addr, true),
    load: (addr, bytes) => ram.set(bytes, addr),
    gate: (vector, handler) => {
      const at = IDT + vector * 8;
      dv.setUint16(at, handler & 0xffff, true);
      dv.setUint16(at + 2, 0x08, true);
      dv.setUint16(at + 4, 0x8e00, true); // P, DPL 0, 32-bit interrupt gate
      dv.setUint16(at + 6, handler >>> 16, true);
    },
  };
}

/**
 * Kicks vCPU `id` (kvm_run.immediate_exit, which the Wasm dispatcher checks) from another
 * thread after `ms`: a vCPU running in the test's own thread that never leaves Wasm would
 * otherwise hang the test runner, whose timeouts need that thread. The run then ends in
 * KVM_EXIT_INTR, which the test reports. Returns the function that calls it off.
 */
export function watchdog(g: IrqGuest, id: number, ms: number): () => Promise<number> {
  const code = `const { workerData: w } = require('node:worker_threads');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, w.ms);
Atomics.store(new Uint8Array(w.buffer), w.addr, 1);`;
  const worker = new Worker(code, { eval: true, workerData: { buffer: g.ram.buffer, addr: vcpuField(id, 'runImmediateExit'), ms } });
  return () => worker.terminate();
}
