// `wasmkvm run`: boots a kernel with COM1 on stdio, like `qemu-system-x86_64 -nographic -kernel`.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Machine, type MachineResult } from '../core/vmm/machine.ts';
import { splitInitrdList } from '../core/vmm/loader/index.ts';
import { nodePlatform } from '../workers/node.ts';
import { parseArgs, USAGE, type RunOptions } from './args.ts';
import { openDisk } from './disk.ts';

/** Process exit status for how the run ended (the README documents it). */
export function exitStatus(r: MachineResult): number {
  switch (r.kind) {
    case 'debug-exit':
      return r.status & 0xff;
    case 'system-event':
    case 'stopped':
      return 0;
    default:
      return 1;
  }
}

function describe(r: MachineResult): string | undefined {
  switch (r.kind) {
    case 'shutdown':
      return `wasmkvm: guest shut down (KVM_EXIT_SHUTDOWN): ${r.detail}`;
    case 'internal-error':
      return `wasmkvm: internal error (KVM_EXIT_INTERNAL_ERROR): ${r.detail}`;
    case 'worker-died':
      return `wasmkvm: ${r.detail}`;
    default:
      return undefined;
  }
}

async function readInput(path: string): Promise<Uint8Array | string> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    return `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}

async function run(o: RunOptions): Promise<number> {
  const kernel = await readInput(o.kernel);
  if (typeof kernel === 'string') {
    process.stderr.write(`wasmkvm: ${kernel}\n`);
    return 1;
  }
  const modules = [];
  for (const item of o.initrd.flatMap((list) => splitInitrdList(list))) {
    const data = await readInput(item.path);
    if (typeof data === 'string') {
      process.stderr.write(`wasmkvm: ${data}\n`);
      return 1;
    }
    modules.push({ name: item.string, data });
  }
  const disk = o.disk === undefined ? undefined : openDisk(o.disk);
  if (typeof disk === 'string') {
    process.stderr.write(`wasmkvm: ${disk}\n`);
    return 1;
  }
  const created = await Machine.create({
    kernel: { name: o.kernel, data: kernel },
    modules,
    append: o.append,
    memBytes: o.memBytes,
    smp: o.smp,
    cpu: o.cpu,
    platform: nodePlatform,
    onSerialOutput: (bytes) => process.stdout.write(bytes),
    disk,
  });
  if (!created.ok) {
    disk?.close();
    process.stderr.write(`wasmkvm: ${created.error}\n`);
    return 1;
  }
  const machine = created.machine;
  const stdin = process.stdin;
  const raw = stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  // In raw mode Ctrl-A x quits, as in QEMU's -nographic console.
  let ctrlA = false;
  const onData = (chunk: Buffer): void => {
    if (raw) {
      for (const b of chunk) {
        if (ctrlA && b === 0x78) return machine.stop();
        ctrlA = b === 0x01;
      }
    }
    machine.sendSerialInput(new Uint8Array(chunk));
  };
  stdin.on('data', onData);
  stdin.on('error', () => {});
  const result = await machine.run();
  stdin.off('data', onData);
  if (raw) stdin.setRawMode(false);
  stdin.pause();
  stdin.unref?.();
  const msg = describe(result);
  if (msg) process.stderr.write(`${msg}\n`);
  await machine.destroy();
  disk?.close();
  return exitStatus(result);
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`wasmkvm: ${parsed.error}\n${USAGE}\n`);
    return 1;
  }
  if (parsed.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  return run(parsed.options);
}

export const PROGRAM = basename(process.argv[1] ?? 'wasmkvm');
