// Boot time of the Debian guests `npm run guest:linux` built: kernel start (the first
// "Linux version" line on the console) to the busybox shell prompt, then `poweroff -f`
// through ACPI S5. Prints one line per architecture and the warning lines of the boot log.
//
//   node --import tsx bench/linux-boot.ts [amd64] [i386] [--mem 256] [--smp 1]
//
// Runs like `wasmkvm run` (core/vmm/machine.ts, vCPUs in Node workers). Wall-clock times on
// this machine; nothing here is a pass/fail test.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../core/vmm/machine.ts';
import { nodePlatform } from '../workers/node.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = process.env.GUEST_CACHE ?? join(ROOT, '.cache', 'guests');
/** The prompt of busybox's ash as the initramfs's /init starts it. */
const PROMPT = '/ # ';
/** Boot-log lines the issue asks to list: warnings, errors, failures, and the clock checks Linux gives up on. */
const WARNING = /warn|error|fail|invalid rate|unstable/i;

interface BootResult {
  arch: string;
  kernelStartS: number;
  promptS: number;
  powerOffS: number;
  ended: string;
  warnings: string[];
}

async function boot(arch: string, memMiB: number, smp: number): Promise<BootResult> {
  const dir = join(CACHE, arch);
  if (!existsSync(join(dir, 'vmlinuz'))) throw new Error(`${dir}/vmlinuz is missing: run npm run guest:linux`);
  let text = '';
  let kernelStart = NaN;
  let prompt = NaN;
  const t0 = performance.now();
  const created = await Machine.create({
    kernel: { name: 'vmlinuz', data: readFileSync(join(dir, 'vmlinuz')) },
    modules: [{ name: 'initrd.img', data: readFileSync(join(dir, 'initrd.img')) }],
    append: 'console=ttyS0',
    memBytes: memMiB << 20,
    smp,
    platform: nodePlatform,
    onSerialOutput: (bytes) => {
      text += Buffer.from(bytes).toString('latin1');
      const now = (performance.now() - t0) / 1000;
      if (Number.isNaN(kernelStart) && text.includes('Linux version')) kernelStart = now;
      if (Number.isNaN(prompt) && text.includes(PROMPT)) {
        prompt = now;
        machine.sendSerialInput(new TextEncoder().encode('poweroff -f\n'));
      }
    },
  });
  if (!created.ok) throw new Error(created.error);
  const machine = created.machine;
  const result = await machine.run();
  const end = (performance.now() - t0) / 1000;
  return {
    arch,
    kernelStartS: kernelStart,
    promptS: prompt - kernelStart,
    powerOffS: end - prompt,
    ended: result.kind === 'system-event' ? `system event ${result.type}` : result.kind,
    warnings: text.split(/\r?\n/).filter((l) => WARNING.test(l)),
  };
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : dflt;
};
const mem = opt('--mem', 256);
const smp = opt('--smp', 1);
const arches = args.length ? args : ['amd64', 'i386'];
for (const arch of arches) {
  const r = await boot(arch, mem, smp);
  console.log(
    `${r.arch}: kernel start ${r.kernelStartS.toFixed(1)} s after launch, kernel start to shell prompt ${r.promptS.toFixed(1)} s, ` +
      `poweroff ${r.powerOffS.toFixed(1)} s, ended: ${r.ended}`,
  );
  for (const w of r.warnings) console.log(`  ${arch} warning: ${w.trim()}`);
}
process.exit(0);
