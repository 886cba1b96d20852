// The bench guest's COM1 protocol (guests/bench/main.asm), timestamped on the host:
//
//   BENCH <name> BEGIN <kind: int or float>
//   BENCH <name> END <checksum, 8 hex digits>
//   BENCH DONE
//
// A workload starts at the BEGIN line's last byte (its LF) and ends at the END line's first
// byte: between the two the guest runs nothing but the workload call. Bytes must be fed as
// the emulator emits them, from the callback the guest's OUT to THR runs in, so that the
// host clock reads the time of the guest's write.

export interface WorkloadTiming {
  name: string;
  /** Which geometric mean the workload joins: "int" or "float". */
  kind: string;
  checksum: string;
  ms: number;
  /** What `sample()` returned at the start and at the end, when a sampler was given. */
  startSample?: number;
  endSample?: number;
}

export class MarkerParser {
  readonly workloads: WorkloadTiming[] = [];
  done = false;
  /** Lines that are not part of the protocol (kept for error messages). */
  readonly otherLines: string[] = [];
  private line: number[] = [];
  private lineStart = 0;
  private lineStartSample: number | undefined;
  private open: { name: string; kind: string; t: number; sample?: number } | undefined;

  /**
   * @param now host clock in ms (performance.now)
   * @param sample optional counter read at the same moments as the clock (guest instructions)
   * @param onWorkload called as each workload ends (progress output)
   */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly sample?: () => number,
    private readonly onWorkload?: (w: WorkloadTiming) => void,
  ) {}

  /** The workload that began and has not ended, if any (for a run that died inside it). */
  get running(): string | undefined {
    return this.open?.name;
  }

  feed(bytes: Uint8Array): void {
    for (const b of bytes) this.byte(b);
  }

  byte(b: number): void {
    if (this.line.length === 0) {
      this.lineStart = this.now();
      this.lineStartSample = this.sample?.();
    }
    if (b !== 0x0a) {
      if (this.line.length < 256) this.line.push(b);
      return;
    }
    const t = this.now();
    const text = String.fromCharCode(...this.line).replace(/\r$/, '');
    this.line = [];
    this.onLine(text, t);
  }

  private onLine(text: string, t: number): void {
    let m: RegExpExecArray | null;
    if ((m = /^BENCH (\S+) BEGIN (\S+)$/.exec(text))) {
      this.open = { name: m[1], kind: m[2], t, sample: this.sample?.() };
    } else if ((m = /^BENCH (\S+) END ([0-9a-f]{8})$/.exec(text)) && this.open?.name === m[1]) {
      const w: WorkloadTiming = {
        name: m[1],
        kind: this.open.kind,
        checksum: m[2],
        ms: this.lineStart - this.open.t,
      };
      if (this.open.sample !== undefined && this.lineStartSample !== undefined) {
        w.startSample = this.open.sample;
        w.endSample = this.lineStartSample;
      }
      this.open = undefined;
      this.workloads.push(w);
      this.onWorkload?.(w);
    } else if (text === 'BENCH DONE') {
      this.done = true;
    } else {
      this.otherLines.push(text);
    }
  }
}
