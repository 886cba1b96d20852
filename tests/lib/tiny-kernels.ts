// Multiboot kernels of a few bytes, built in the test (like core/vmm/loader's tests build
// theirs), for the ways a run can end badly.
import { buildElf32, concat, mbHeader } from '../../core/vmm/loader/test-images.ts';

export const LOAD = 0x100000;
const HEADER = 12; // flags-only multiboot header: magic, flags, checksum

/** A kernel whose code starts right after its 12-byte multiboot header, at LOAD + 12. */
export function kernelWithCode(code: number[]): Uint8Array {
  return buildElf32({ entry: LOAD + HEADER, segments: [{ paddr: LOAD, data: concat(mbHeader(0), Uint8Array.from(code)) }] });
}

/**
 * INT3 in protected mode with the IDT the loader leaves (base 0, limit 0x3ff, zeroed RAM):
 * gate 3 is not present → #NP, whose gate is not present either → #DF → not present →
 * triple fault (SDM Vol. 3A 6.15, Interrupt 8).
 */
export const tripleFaultKernel = (): Uint8Array => kernelWithCode([0x90, 0xcc]);
export const TRIPLE_FAULT_RIP = LOAD + HEADER + 1;

/**
 * Jumps to 0xC0000000, a hole in the default memory map: an instruction fetch from MMIO,
 * which KVM cannot emulate either (KVM_EXIT_INTERNAL_ERROR, KVM_INTERNAL_ERROR_EMULATION).
 * mov eax, 0xc0000000; jmp eax
 */
export const mmioFetchKernel = (): Uint8Array => kernelWithCode([0xb8, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xe0]);
export const MMIO_FETCH_RIP = 0xc0000000;
