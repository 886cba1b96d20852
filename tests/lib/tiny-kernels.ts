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

/** FNINIT (DB E3) on a CPU model without an FPU and CR0.EM clear: an internal error. */
export const fpuKernel = (): Uint8Array => kernelWithCode([0x90, 0x90, 0xdb, 0xe3]);
export const FPU_RIP = LOAD + HEADER + 2;
