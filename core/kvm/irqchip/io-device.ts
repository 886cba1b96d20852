// How the in-kernel devices (the 8259A pair, the 8254 and port 0x61) meet an I/O bus and
// an interrupt line: the same shapes as core/vmm/bus.ts, declared on the "kernel" side so
// core/kvm never imports core/vmm (STYLE.md rule 4); the VMM's bus takes these devices as
// they are (structural types).

export type AccessSize = 1 | 2 | 4;

/** An interrupt line as a device drives it: a level, not an event. */
export interface IrqLine {
  setLevel(level: boolean): void;
}

/** A device on a port-I/O bus; `value` and the result are unsigned and below 2^(8*size). */
export interface PioDevice {
  read(offset: number, size: AccessSize): number;
  write(offset: number, size: AccessSize, value: number): void;
  /** Widest access the device implements; default 4. */
  readonly maxAccessSize?: AccessSize;
}
