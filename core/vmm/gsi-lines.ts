// Interrupt lines to KVM_IRQ_LINE: one level per GSI, as KVM keeps one per user-space
// source (KVM_USERSPACE_IRQ_SOURCE_ID). Whoever drives a GSI drives the same line, so the
// last level written wins, as at an 8259A input; devices that share a line (PCI INTx)
// combine their levels before they drive it.
import type { IrqLine } from './bus.ts';

export class GsiLines {
  private readonly lines = new Map<number, IrqLine>();

  constructor(private readonly irqLine: (gsi: number, level: boolean) => void) {}

  line(gsi: number): IrqLine {
    let line = this.lines.get(gsi);
    if (!line) {
      line = { setLevel: (level: boolean) => this.irqLine(gsi, level) };
      this.lines.set(gsi, line);
    }
    return line;
  }
}
