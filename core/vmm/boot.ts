// Loading a kernel into a fresh VM and putting the boot vCPU in the state its boot protocol
// promises. Recognises the image like QEMU's -kernel: multiboot v1 now (a Linux bzImage is
// named clearly as not supported yet), with a typed error for anything else.
import type { KvmRegs, KvmSegment, KvmSregs } from '../kvm/types.ts';
import type { Vcpu } from '../kvm/vcpu.ts';
import type { Vm } from '../kvm/vm.ts';
import { loadMultiboot, type MultibootEntryState, type SegmentRegister } from './loader/index.ts';

export interface KernelImage {
  name: string;
  data: Uint8Array;
}

export type BootError = { kind: 'bad-image'; message: string };

export interface BootInfo {
  format: 'multiboot';
  entry: number;
  cmdline: string;
}

/** Linux x86 boot protocol header magic "HdrS" at offset 0x202 (Documentation/arch/x86/boot.rst). */
function isBzImage(data: Uint8Array): boolean {
  return data.length > 0x206 && data[0x202] === 0x48 && data[0x203] === 0x64 && data[0x204] === 0x72 && data[0x205] === 0x53;
}

export async function loadKernel(
  vm: Vm,
  bsp: Vcpu,
  ramSize: number,
  kernel: KernelImage,
  modules: KernelImage[],
  append: string,
): Promise<{ ok: true; info: BootInfo } | { ok: false; error: BootError }> {
  if (isBzImage(kernel.data))
    return { ok: false, error: { kind: 'bad-image', message: `${kernel.name}: a Linux bzImage; the Linux boot protocol is not supported yet (multiboot v1 ELF kernels are)` } };
  const cmdline = append;
  const r = loadMultiboot(kernel.data, {
    ram: { ramSize, write: (gpa, bytes) => vm.guestView(gpa, bytes.length).set(bytes) },
    cmdline,
    kernelName: kernel.name,
    modules: modules.map((m) => ({ name: m.name, data: m.data })),
  });
  if (!r.ok) return { ok: false, error: { kind: 'bad-image', message: `${kernel.name}: ${r.error.message}` } };
  await enterMultiboot(bsp, r.entry);
  return { ok: true, info: { format: 'multiboot', entry: r.entry.eip, cmdline } };
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
