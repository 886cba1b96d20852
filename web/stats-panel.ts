// Live counters from machine.stats(), four times a second: guest instructions per second
// (the delta of the instruction count), totals, and VM exits by KVM exit reason.
import type { MachineStats } from '../core/vmm/machine.ts';

const PERIOD_MS = 250;
const MIN_RATE_WINDOW_MS = 100;

export interface StatsPanelElements {
  ips: HTMLElement;
  instructions: HTMLElement;
  blocks: HTMLElement;
  tlbMisses: HTMLElement;
  exits: HTMLTableSectionElement;
}

function si(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return `${Math.round(n)} `;
}

const count = (n: number): string => n.toLocaleString('en-US');

export class StatsPanel {
  private last: { t: number; instructions: number } | undefined;

  constructor(
    private readonly el: StatsPanelElements,
    private readonly source: () => MachineStats | undefined,
  ) {
    setInterval(() => this.refresh(), PERIOD_MS);
    this.refresh();
  }

  /** Forgets the previous sample (a new machine starts counting from zero). */
  restart(): void {
    this.last = undefined;
  }

  /** Samples now (the timer does it four times a second; an ended run wants its final counts at once). */
  refresh(): void {
    const s = this.source();
    const now = performance.now();
    if (!s) {
      for (const e of [this.el.ips, this.el.instructions, this.el.blocks, this.el.tlbMisses])
        e.textContent = '–';
      this.el.exits.replaceChildren();
      this.last = undefined;
      return;
    }
    const prev = this.last;
    // A rate over a few milliseconds (an event-driven refresh) is noise: keep the last one.
    if (!prev || now - prev.t >= MIN_RATE_WINDOW_MS) {
      const rate =
        prev && s.instructions >= prev.instructions
          ? ((s.instructions - prev.instructions) * 1000) / (now - prev.t)
          : 0;
      this.last = { t: now, instructions: s.instructions };
      this.el.ips.textContent = `${si(rate)}instr/s`;
    }
    this.el.instructions.textContent = count(s.instructions);
    this.el.instructions.dataset.value = String(s.instructions);
    this.el.blocks.textContent = count(s.blocksCompiled);
    this.el.tlbMisses.textContent = count(s.tlbMisses);
    this.renderExits(s.exits);
  }

  private renderExits(exits: Record<string, number>): void {
    const rows = Object.entries(exits).sort((a, b) => b[1] - a[1]);
    const body = this.el.exits;
    while (body.rows.length > rows.length) body.deleteRow(-1);
    rows.forEach(([reason, n], i) => {
      const row = body.rows[i] ?? body.insertRow();
      if (row.cells.length === 0) {
        row.insertCell();
        row.insertCell();
      }
      row.dataset.testid = `exit-${reason}`;
      row.dataset.value = String(n);
      row.cells[0].textContent = `KVM_EXIT_${reason}`;
      row.cells[1].textContent = count(n);
    });
  }
}
