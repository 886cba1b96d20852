// What cold-path code throws to leave generated code: a guest exception to deliver, a
// reason to exit to the VMM, or an internal error. These are guest events, not host bugs:
// the vCPU loop catches them (jit/executor.ts). They do not extend Error so that throwing
// one does not capture a host stack trace on a path the guest can drive.

/** An architectural exception (SDM Vol. 3A 6.3), raised at the instruction `delta` bytes into the block. */
export class GuestFault {
  constructor(
    readonly vector: number,
    readonly errorCode: number | undefined,
    /** Offset of the faulting instruction from the block's entry RIP; -1 when RIP is already set. */
    public delta = -1,
    /** CR2 for #PF. */
    readonly cr2?: number,
  ) {}
}

/** Leave the run loop: the exit fields of kvm_run are already written, RIP is final. */
export class ExitSignal {
  constructor(
    readonly reason: number,
    /** Offset of the instruction to resume at (MMIO: re-executed with the data); -1 when RIP is set. */
    public delta = -1,
  ) {}
}

/**
 * The emulator cannot execute what the guest asked for (an unimplemented instruction): exits
 * with KVM_EXIT_INTERNAL_ERROR naming the instruction and RIP, never a silent wrong result.
 */
export class InternalError {
  constructor(
    readonly message: string,
    public delta = -1,
  ) {}
}

/** Exception classes for double-fault detection (SDM Vol. 3A Table 6-4). */
export function exceptionClass(vector: number): 'benign' | 'contributory' | 'pagefault' {
  if (vector === 14) return 'pagefault';
  if (vector === 0 || (vector >= 10 && vector <= 13)) return 'contributory';
  return 'benign';
}

/** Vectors that push an error code (SDM Vol. 3A 6.13). */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17 || vector === 21;
}
