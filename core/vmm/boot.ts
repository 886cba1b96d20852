// Loading a kernel into a fresh VM and putting the boot vCPU in the state its boot protocol
// promises. Recognises the image like QEMU's -kernel: a Linux bzImage ("HdrS" at 0x202)
// goes through the Linux boot protocol, anything else must be a multiboot v1 kernel; a
// file that is neither gets a typed error naming both.
import type { KvmRegs, KvmSegment, KvmSregs } from '../kvm/types.ts';
import type { Vcpu } from '../kvm/vcpu.ts';
import type { Vm } from '../kvm/vm.ts';
import { loadMultiboot, type MultibootEntryState, type SegmentRegister } from './loader/index.ts';
import { MULTIBOOT_PIC_INIT, PIC_MASTER_CMD } from './loader/multiboot-pic.ts';
import { hasHdrS } from './loader/linux/setup-header.ts';
import { loadLinux } from './loader/linux/load.ts';
import type { LinuxEntryState } from './loader/linux/entry.ts';
import type { E820Entry } from './loader/linux/e820.ts';

export interface KernelImage {
  name: string;
  data: Uint8Array;
}

export type BootError = { kind: 'bad-image'; message: string };

export interface BootInfo {
  format: 'multiboot' | 'linux';
  entry: number;
  cmdline: string;
  /** Linux: the boot protocol version and the entry used. */
  detail?: string;
}

/** What the platform tells a Linux kernel beyond its image and command line. */
export interface PlatformBootInfo {
  /** The boot vCPU reports long mode (CPUID 0x80000001 EDX.LM): use the 64-bit entry. */
  longMode: boolean;
  acpiRsdpAddr?: number;
  e820?: readonly E820Entry[];
}

export async function loadKernel(
  vm: Vm,
  bsp: Vcpu,
  ramSize: number,
  kernel: KernelImage,
  modules: KernelImage[],
  append: string,
  platform: PlatformBootInfo = { longMode: false },
): Promise<{ ok: true; info: BootInfo } | { ok: false; error: BootError }> {
  if (hasHdrS(kernel.data)) return bootLinux(vm, bsp, ramSize, kernel, modules, append, platform);
  const cmdline = append;
  const r = loadMultiboot(kernel.data, {
    ram: { ramSize, write: (gpa, bytes) => vm.guestView(gpa, bytes.length).set(bytes) },
    cmdline,
    kernelName: kernel.name,
    modules: modules.map((m) => ({ name: m.name, data: m.data })),
  });
  if (!r.ok) {
    const neither = r.error.kind === 'no-multiboot-header' || r.error.kind === 'elf64' ? ' (and not a Linux bzImage either)' : '';
    return { ok: false, error: { kind: 'bad-image', message: `${kernel.name}: ${r.error.message}${neither}` } };
  }
  await enterMultiboot(bsp, r.entry);
  programPicLikeBios(vm);
  return { ok: true, info: { format: 'multiboot', entry: r.entry.eip, cmdline } };
}

/** The 8259A pair as SeaBIOS leaves it under `qemu -kernel` (loader/multiboot-pic.ts). */
function programPicLikeBios(vm: Vm): void {
  const pic = vm.irqchip?.pic;
  if (!pic) return;
  for (const { port, value } of MULTIBOOT_PIC_INIT) {
    const chip = (port & ~1) === PIC_MASTER_CMD ? pic.master : pic.slave;
    chip.write(port & 1, 1, value);
  }
}

function seg(s: SegmentRegister): KvmSegment {
  return {
    base: BigInt(s.base), limit: s.limit, selector: s.selector, type: s.type, present: s.present, dpl: s.dpl,
    db: s.db, s: s.s, l: s.l, g: s.g, avl: s.avl, unusable: 0,
  };
}

/** Multiboot Specification 0.6.96 §3.2 machine state through KVM_SET_SREGS / KVM_SET_REGS. */
async function enterMultiboot(vcpu: Vcpu, e: MultibootEntryState): Promise<void> {
  const sregs: KvmSregs = await vcpu.getSregs();
  const s = e.segments;
  Object.assign(sregs, {
    cs: seg(s.cs), ds: seg(s.ds), es: seg(s.es), fs: seg(s.fs), gs: seg(s.gs), ss: seg(s.ss),
    gdt: { base: BigInt(e.gdtr.base), limit: e.gdtr.limit },
    idt: { base: BigInt(e.idtr.base), limit: e.idtr.limit },
    cr0: BigInt(e.cr0),
  });
  await vcpu.setSregs(sregs);
  const regs: KvmRegs = await vcpu.getRegs();
  for (const k of Object.keys(regs) as (keyof KvmRegs)[]) regs[k] = 0n;
  regs.rax = BigInt(e.eax);
  regs.rbx = BigInt(e.ebx);
  regs.rip = BigInt(e.eip);
  regs.rflags = BigInt(e.eflags);
  await vcpu.setRegs(regs);
}

async function bootLinux(
  vm: Vm,
  bsp: Vcpu,
  ramSize: number,
  kernel: KernelImage,
  modules: KernelImage[],
  append: string,
  platform: PlatformBootInfo,
): Promise<{ ok: true; info: BootInfo } | { ok: false; error: BootError }> {
  if (modules.length > 1)
    return { ok: false, error: { kind: 'bad-image', message: `${kernel.name}: a Linux kernel takes one initrd file, got ${modules.length}` } };
  const r = loadLinux(kernel.data, {
    ram: { ramSize, write: (gpa, bytes) => vm.guestView(gpa, bytes.length).set(bytes) },
    cmdline: append,
    initrd: modules[0]?.data,
    longMode: platform.longMode,
    acpiRsdpAddr: platform.acpiRsdpAddr,
    e820: platform.e820,
  });
  if (!r.ok) return { ok: false, error: { kind: 'bad-image', message: `${kernel.name}: ${r.error.message}` } };
  await enterLinux(bsp, r.entry);
  const detail = `Linux boot protocol ${r.info.protocol}, ${r.entry.longMode ? '64' : '32'}-bit entry at 0x${r.entry.rip.toString(16)}`;
  return { ok: true, info: { format: 'linux', entry: r.entry.rip, cmdline: append, detail } };
}

/** boot.rst "32-bit BOOT PROTOCOL" / "64-bit BOOT PROTOCOL" state through KVM_SET_SREGS / KVM_SET_REGS. */
async function enterLinux(vcpu: Vcpu, e: LinuxEntryState): Promise<void> {
  const sregs: KvmSregs = await vcpu.getSregs();
  const data = seg(e.data);
  Object.assign(sregs, {
    cs: seg(e.cs), ds: data, es: { ...data }, fs: { ...data }, gs: { ...data }, ss: { ...data },
    gdt: { base: BigInt(e.gdtr.base), limit: e.gdtr.limit },
    idt: { base: BigInt(e.idtr.base), limit: e.idtr.limit },
    cr0: BigInt(e.cr0), cr3: BigInt(e.cr3), cr4: BigInt(e.cr4), efer: BigInt(e.efer),
  });
  await vcpu.setSregs(sregs);
  const regs: KvmRegs = await vcpu.getRegs();
  for (const k of Object.keys(regs) as (keyof KvmRegs)[]) regs[k] = 0n;
  regs.rsi = BigInt(e.rsi);
  regs.rip = BigInt(e.rip);
  regs.rflags = BigInt(e.eflags);
  await vcpu.setRegs(regs);
}
