// QEMU's `isa-debug-exit` (hw/misc/debugexit.c): a write of `v` ends the run with status
// `(v << 1) | 1`, so a guest can report pass/fail without a console and the status is
// never 0 (which QEMU keeps for an ordinary exit). kvm-unit-tests and many test kernels
// use `-device isa-debug-exit,iobase=0xf4,iosize=4`. DESIGN.md puts it at 0xf4.
//
// The status is computed as `v * 2 + 1`, exact for any 32-bit `v` (up to 2^33 - 1). A
// process exit code keeps only the low 8 bits, as QEMU's exit() does on POSIX; that
// truncation is the caller's business.

import type { AccessSize, PioDevice } from '../bus.ts';

export const DEBUG_EXIT_IOBASE = 0xf4;

export class DebugExit implements PioDevice {
  /**
   * @param iosize how many ports to claim (QEMU property `iosize`): 1, 2 or 4. With 1, an
   * `outl` delivers only its low byte here; the bus sends the rest to the next ports, as
   * QEMU's memory core does.
   */
  constructor(
    private readonly onExit: (status: number) => void,
    readonly iosize: AccessSize = 1,
  ) {
    if (iosize !== 1 && iosize !== 2 && iosize !== 4) throw new RangeError(`debug-exit: iosize ${iosize}`);
  }

  /** Write-only device; QEMU defines no read handler. We return all ones, like an empty port. */
  read(_offset: number, size: AccessSize): number {
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  write(_offset: number, _size: AccessSize, value: number): void {
    this.onExit(value * 2 + 1);
  }
}
