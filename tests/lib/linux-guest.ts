// Drives a Linux guest that `npm run guest:linux` built (.cache/guests/<arch>/) through the
// wasmkvm command, as a user at a serial console would: wait for busybox's prompt, type a
// command, read its output, power off. The boot tests and bench/linux-boot.ts share it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/wasmkvm.mjs');
export const GUEST_CACHE = process.env.GUEST_CACHE ?? join(ROOT, '.cache', 'guests');

/** The prompt of busybox's ash as the initramfs's /init starts it (guests/linux/build.sh). */
export const SHELL_PROMPT = '/ # ';
/** The first line Linux prints (init/version.c linux_banner): the kernel has started. */
export const KERNEL_BANNER = 'Linux version';
/** The kernel command line the guests boot with unless told otherwise: the console on COM1. */
export const CONSOLE_APPEND = 'console=ttyS0';
/** What kernel/reboot.c prints just before the ACPI S5 write (machine_power_off). */
export const POWER_DOWN = 'reboot: Power down';

export interface LinuxImage {
  arch: string;
  kernel: string;
  initrd: string;
}

/** The built image of `arch`, or a message that says how to build it. */
export function linuxImage(arch: string): LinuxImage | string {
  const dir = join(GUEST_CACHE, arch);
  const kernel = join(dir, 'vmlinuz');
  const initrd = join(dir, 'initrd.img');
  if (!existsSync(kernel) || !existsSync(initrd))
    return `${dir}/{vmlinuz,initrd.img} missing: run \`npm run guest:linux\` (Debian packages; see guests/linux/build.sh)`;
  return { arch, kernel, initrd };
}

/** Seconds since the guest was launched, when the kernel started and when the shell prompted. */
export interface BootTimes {
  kernelStartS: number;
  promptS: number;
}

/** `wasmkvm run` of a Linux image as a child process, COM1 on its stdio. */
export class LinuxConsole {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly t0 = performance.now();
  /** Everything the guest wrote to COM1 so far. */
  output = '';
  stderr = '';
  readonly times: BootTimes = { kernelStartS: NaN, promptS: NaN };
  private readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(image: LinuxImage, opts: { append?: string; mem?: string; smp?: number } = {}) {
    const args = [
      'run',
      '--kernel',
      image.kernel,
      '--initrd',
      image.initrd,
      '--append',
      opts.append ?? CONSOLE_APPEND,
    ];
    if (opts.mem) args.push('--mem', opts.mem);
    if (opts.smp) args.push('--smp', String(opts.smp));
    this.child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => {
      this.output += d.toString('latin1');
      const now = this.elapsedS();
      if (Number.isNaN(this.times.kernelStartS) && this.output.includes(KERNEL_BANNER))
        this.times.kernelStartS = now;
      if (Number.isNaN(this.times.promptS) && this.output.includes(SHELL_PROMPT)) this.times.promptS = now;
      this.wake();
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (status) => {
        this.wake();
        resolve(status);
      }),
    );
    this.child.on('close', () => (this.closed = true));
  }

  private closed = false;

  elapsedS(): number {
    return (performance.now() - this.t0) / 1000;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once the output after `from` contains `text`; rejects with the console's tail on timeout or exit. */
  async waitFor(text: string, timeoutMs: number, from = 0): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const at = this.output.indexOf(text, from);
      if (at >= 0) return at;
      const left = deadline - performance.now();
      if (this.closed || left <= 0)
        throw new Error(
          `guest never printed ${JSON.stringify(text)} (${this.closed ? 'wasmkvm exited' : `${timeoutMs / 1000} s timeout`}); ` +
            `stderr: ${JSON.stringify(this.stderr)}; console tail:\n${this.output.slice(-3000)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the first shell prompt. */
  async boot(timeoutMs: number): Promise<BootTimes> {
    await this.waitFor(SHELL_PROMPT, timeoutMs);
    return this.times;
  }

  /**
   * Types `command` at the prompt and returns what it printed (lines joined with \n). The
   * output is fenced by two echo markers written so that the typed line's echo does not
   * contain them.
   */
  async run(command: string, timeoutMs = 120_000): Promise<string> {
    const id = ++this.commands;
    const begin = `@@begin${id}@@`;
    const end = `@@end${id}@@`;
    const split = (m: string) => `'${m.slice(0, 3)}''${m.slice(3)}'`;
    const from = this.output.length;
    this.type(`echo ${split(begin)}; ${command}; echo ${split(end)}\n`);
    const start = (await this.waitFor(`${begin}\r\n`, timeoutMs, from)) + begin.length + 2;
    const stop = await this.waitFor(end, timeoutMs, start);
    return this.output.slice(start, stop).replace(/\r\n/g, '\n').replace(/\n$/, '');
  }

  private commands = 0;

  type(text: string): void {
    this.child.stdin.write(text);
  }

  /** `poweroff -f` (ACPI S5 in busybox's init-less form); resolves with wasmkvm's exit status. */
  async powerOff(timeoutMs = 120_000): Promise<number | null> {
    this.type('poweroff -f\n');
    return this.exit(timeoutMs);
  }

  /** wasmkvm's exit status once it ends; kills it after `timeoutMs`. */
  async exit(timeoutMs: number): Promise<number | null> {
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (!this.closed) this.child.kill('SIGKILL');
  }
}
