// Runs the system test kernels under wasmkvm, QEMU TCG and Bochs and prints each check's
// result per emulator as a Markdown table (the one in tests/system/README.md).
//
//   node --import tsx tests/system/cross-run.ts [--out DIR] [kernel ...]
//
// Needs nasm, qemu-system-x86_64 and bochs (Debian: bochs bochsbios vgabios bochs-term).
// QEMU boots the kernel with -kernel (multiboot). Bochs 2.7 has no multiboot loader and
// dropped load32bitOSImage, so it boots a disk image: lib/disk-boot.asm, then the kernel.
// Nothing here is part of `npm test`; tests/system/system-kernels.test.ts runs wasmkvm only.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKernel, kernelNames, parseOutput, SYSTEM_DIR, type KernelOutput } from './kernels.ts';

const WASMKVM = join(SYSTEM_DIR, '../../bin/wasmkvm.mjs');
const TIMEOUT_S = 120;
/** One cylinder of a 16-head, 63-sector disk: Bochs wants the image to match its geometry. */
const DISK_BYTES = 16 * 63 * 512;
const MAX_KERNEL_BYTES = 127 * 512; // lib/disk-boot.asm reads 127 sectors

type Emulator = 'wasmkvm' | 'qemu' | 'bochs';
const EMULATORS: Emulator[] = ['wasmkvm', 'qemu', 'bochs'];

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: TIMEOUT_S * 1000, stdio: ['ignore', 'pipe', 'pipe'] });
  return `${r.stdout ?? ''}${r.error ? `\n(${cmd}: ${r.error.message})` : ''}`;
}

function runWasmkvm(bin: string): string {
  return run(process.execPath, [WASMKVM, 'run', '--kernel', bin, '--mem', '64M']);
}

function runQemu(bin: string, out: string): string {
  const serial = join(out, 'qemu-com1.txt');
  rmSync(serial, { force: true });
  run('qemu-system-x86_64', [
    '-accel', 'tcg', '-m', '64', '-display', 'none', '-no-reboot', '-nodefaults',
    '-serial', `file:${serial}`, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4', '-kernel', bin,
  ]);
  return existsSync(serial) ? readFileSync(serial, 'utf8') : '';
}

function runBochs(bin: string, out: string): string {
  const kernel = readFileSync(bin);
  if (kernel.length > MAX_KERNEL_BYTES) return `FAIL: unexpected exception: kernel larger than ${MAX_KERNEL_BYTES} bytes`;
  const boot = readFileSync(buildKernel('disk-boot', out, join(SYSTEM_DIR, 'lib/disk-boot.asm')));
  const disk = new Uint8Array(DISK_BYTES);
  disk.set(boot, 0);
  disk.set(kernel, 512);
  writeFileSync(join(out, 'disk.img'), disk);
  const serial = join(out, 'bochs-com1.txt');
  rmSync(serial, { force: true });
  writeFileSync(
    join(out, 'bochsrc.txt'),
    [
      'megs: 64',
      'cpu: model=corei7_sandy_bridge_2600k, count=1, ips=50000000',
      'romimage: file=/usr/share/bochs/BIOS-bochs-latest',
      'vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest',
      'ata0-master: type=disk, path=disk.img, mode=flat, cylinders=1, heads=16, spt=63',
      'boot: disk',
      `com1: enabled=1, mode=file, dev=${serial}`,
      'display_library: term',
      'log: bochs.log',
      // The kernels end by writing "Shutdown" to port 0x8900, which Bochs reports as a panic.
      'panic: action=fatal',
      'error: action=report',
      '',
    ].join('\n'),
  );
  // Debian's Bochs has the debugger built in: it stops before the first instruction.
  writeFileSync(join(out, 'bochs.rc'), 'continue\nquit\n');
  spawnSync('bochs', ['-q', '-f', 'bochsrc.txt', '-rc', 'bochs.rc'], {
    cwd: out, timeout: TIMEOUT_S * 1000, stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, TERM: 'xterm' },
  });
  return existsSync(serial) ? readFileSync(serial, 'utf8') : '';
}

function cell(r: KernelOutput | undefined, name: string): string {
  const c = r?.checks.find((x) => x.name === name);
  if (!c) return r?.errors[0] ? `not reached (${r.errors[0]})` : 'not reached';
  return c.pass ? 'PASS' : `FAIL (${c.detail})`;
}

function main(argv: string[]): void {
  let out = '/tmp/wasmkvm-system';
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i]!;
    else names.push(argv[i]!);
  }
  const kernels = names.length > 0 ? names : kernelNames();
  for (const k of kernels) {
    const dir = join(out, k);
    const bin = buildKernel(k, dir);
    const results: Record<Emulator, KernelOutput> = {
      wasmkvm: parseOutput(runWasmkvm(bin)),
      qemu: parseOutput(runQemu(bin, dir)),
      bochs: parseOutput(runBochs(bin, dir)),
    };
    const checkNames: string[] = [];
    for (const e of EMULATORS) for (const c of results[e].checks) if (!checkNames.includes(c.name)) checkNames.push(c.name);
    console.log(`\n### ${k}\n\n| check | ${EMULATORS.join(' | ')} |\n|---|${EMULATORS.map(() => '---').join('|')}|`);
    for (const n of checkNames) console.log(`| ${n} | ${EMULATORS.map((e) => cell(results[e], n)).join(' | ')} |`);
    const summary = EMULATORS.map((e) => {
      const r = results[e];
      const passed = r.checks.filter((c) => c.pass).length;
      return `${e} ${passed}/${checkNames.length}${r.finished ? '' : ' (did not finish)'}`;
    });
    console.log(`\n${summary.join(', ')}`);
  }
}

main(process.argv.slice(2));
