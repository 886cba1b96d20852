// The page's one machine and its life cycle: boot an image, run, stop (and resume), reset.
// Operations are serialised so a double click never leaves two machines running; output of
// a machine that has been replaced is dropped. No DOM here: main.ts wires it to the page.
import type { KvmPlatform } from '../core/kvm/kvm.ts';
import {
  Machine,
  type MachineCreateResult,
  type MachineResult,
  type MachineStats,
} from '../core/vmm/machine.ts';
import { memoryDisk } from '../core/vmm/virtio/memory-disk.ts';

/** A kernel plus how to boot it. */
export interface BootImage {
  /** What the page calls it ("demo shell", or the user's file name). */
  label: string;
  /** File name, as the loader names it in errors. */
  name: string;
  data: Uint8Array;
  /** Initial RAM disk (Linux), or undefined. */
  initrd?: Uint8Array;
  /** Raw disk image for virtio-blk; the guest writes to this copy. */
  disk?: { name: string; data: Uint8Array };
  append: string;
  memBytes: number;
}

export type SessionState = 'empty' | 'booting' | 'running' | 'stopped' | 'ended';

export type SessionEvent =
  | { kind: 'booting'; image: BootImage }
  | { kind: 'boot-failed'; image: BootImage; error: string }
  | { kind: 'running'; image: BootImage; resumed: boolean }
  | { kind: 'ended'; image: BootImage; result: MachineResult };

/** How long a stopping vCPU gets to reach its next exit before its worker is terminated. */
const STOP_GRACE_MS = 1000;

export class Session {
  private machine: Machine | undefined;
  private image: BootImage | undefined;
  private run: Promise<MachineResult> | undefined;
  private generation = 0;
  private queue: Promise<void> = Promise.resolve();
  private current: SessionState = 'empty';

  constructor(
    private readonly platform: KvmPlatform,
    private readonly onSerialOutput: (bytes: Uint8Array) => void,
    private readonly onEvent: (e: SessionEvent) => void,
  ) {}

  get state(): SessionState {
    return this.current;
  }

  /** Replaces whatever runs now with a fresh machine booted from `image`, and starts it. */
  boot(image: BootImage): Promise<void> {
    return this.enqueue(async () => {
      await this.teardown();
      const gen = this.generation;
      this.image = image;
      this.setState('booting', { kind: 'booting', image });
      let created: MachineCreateResult;
      try {
        created = await Machine.create({
          kernel: { name: image.name, data: image.data },
          modules: image.initrd ? [{ name: 'initrd.img', data: image.initrd }] : undefined,
          disk: image.disk ? memoryDisk(image.disk.data) : undefined,
          append: image.append,
          memBytes: image.memBytes,
          platform: this.platform,
          onSerialOutput: (bytes) => {
            if (gen === this.generation) this.onSerialOutput(bytes);
          },
        });
      } catch (e) {
        created = { ok: false, error: (e as Error).message ?? String(e) };
      }
      if (!created.ok) {
        this.setState('ended', { kind: 'boot-failed', image, error: created.error });
        return;
      }
      this.machine = created.machine;
      this.launch(false);
    });
  }

  /** Continues a machine that stop() paused. */
  resume(): Promise<void> {
    return this.enqueue(async () => {
      if (this.current === 'stopped' && this.machine) this.launch(true);
    });
  }

  /** Asks the running machine to stop at its next exit; resolves once it has. */
  stop(): Promise<void> {
    return this.enqueue(async () => {
      if (this.current !== 'running' || !this.machine || !this.run) return;
      this.machine.stop();
      await Promise.race([this.run, new Promise((r) => setTimeout(r, STOP_GRACE_MS))]);
    });
  }

  sendInput(bytes: Uint8Array): void {
    if (this.current === 'running') this.machine?.sendSerialInput(bytes);
  }

  stats(): MachineStats | undefined {
    return this.machine?.stats();
  }

  private launch(resumed: boolean): void {
    const machine = this.machine!;
    const image = this.image!;
    const gen = this.generation;
    const run = machine.run().catch((e: unknown): MachineResult => ({
      kind: 'worker-died',
      detail: (e as Error).message ?? String(e),
    }));
    this.run = run;
    this.setState('running', { kind: 'running', image, resumed });
    void run.then((result) => {
      if (gen !== this.generation) return; // replaced by reset: nobody asked how it ended
      this.run = undefined;
      this.setState(result.kind === 'stopped' ? 'stopped' : 'ended', { kind: 'ended', image, result });
    });
  }

  /** Stops and destroys the current machine, if any; its later events are ignored. */
  private async teardown(): Promise<void> {
    this.generation++;
    const machine = this.machine;
    const run = this.run;
    this.machine = undefined;
    this.run = undefined;
    if (!machine) return;
    machine.stop();
    if (run) await Promise.race([run, new Promise((r) => setTimeout(r, STOP_GRACE_MS))]);
    await machine.destroy().catch(() => {});
  }

  private setState(state: SessionState, e: SessionEvent): void {
    this.current = state;
    this.onEvent(e);
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.queue.then(op);
    this.queue = next.catch(() => {});
    return next;
  }
}
