// Boot time of the Debian guests `npm run guest:linux` built: kernel start (the first
// "Linux version" line on the console) to the busybox shell prompt, then `poweroff -f`
// through ACPI S5. Prints one line per architecture and the boot log's warning lines.
//
//   node --import tsx bench/linux-boot.ts [amd64] [i386] [--mem 256] [--smp 1] [--v86]
//
// With --v86 the i386 guest also boots in v86 (bench/linux-boot-v86.ts), after wasmkvm, and
// the line gives v86's times and the ratio: the project's goal is a 32-bit Linux boot
// faster than v86's.
// Each guest runs as `wasmkvm run` in a child process (vCPUs in Node workers), driven by
// the same console driver as the boot tests (tests/lib/linux-guest.ts). Wall-clock times on
// this machine; nothing here is a pass/fail test.
import { CONSOLE_APPEND, LinuxConsole, linuxImage } from '../tests/lib/linux-guest.ts';
import { bootV86 } from './linux-boot-v86.ts';
import { v86Missing } from './v86.ts';

/** Boot-log lines the issue asks to list: warnings, errors, failures, and the clock checks Linux gives up on. */
const WARNING = /warn|error|fail|invalid rate|unstable/i;
const TIMEOUT_MS = 60 * 60_000;

interface BootResult {
  arch: string;
  kernelStartS: number;
  promptS: number;
  powerOffS: number;
  status: number | null;
  warnings: string[];
}

async function boot(arch: string, memMiB: number, smp: number): Promise<BootResult> {
  const image = linuxImage(arch);
  if (typeof image === 'string') throw new Error(image);
  const guest = new LinuxConsole(image, { mem: `${memMiB}M`, smp });
  try {
    const t = await guest.boot(TIMEOUT_MS);
    await guest.run('dmesg -n 1');
    const log = await guest.run('dmesg');
    const beforePowerOff = guest.elapsedS();
    const status = await guest.powerOff();
    return {
      arch,
      kernelStartS: t.kernelStartS,
      promptS: t.promptS - t.kernelStartS,
      powerOffS: guest.elapsedS() - beforePowerOff,
      status,
      warnings: log.split('\n').filter((l) => WARNING.test(l)),
    };
  } finally {
    guest.kill();
  }
}

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : dflt;
};
const withV86 = args.includes('--v86');
if (withV86) args.splice(args.indexOf('--v86'), 1);
const mem = opt('--mem', 256);
const smp = opt('--smp', 1);
const arches = args.length ? args : ['amd64', 'i386'];
for (const arch of arches) {
  const r = await boot(arch, mem, smp);
  console.log(
    `${r.arch}: kernel start ${r.kernelStartS.toFixed(1)} s after launch, kernel start to shell prompt ${r.promptS.toFixed(1)} s, ` +
      `poweroff ${r.powerOffS.toFixed(1)} s, wasmkvm exit status ${r.status}`,
  );
  for (const w of r.warnings) console.log(`  ${arch} warning: ${w.trim()}`);
  if (withV86 && arch === 'i386') {
    const missing = v86Missing();
    if (missing) {
      console.log(`v86: not run: ${missing}`);
      continue;
    }
    const image = linuxImage(arch);
    if (typeof image === 'string') throw new Error(image);
    const v = await bootV86(image, { memMiB: mem, append: CONSOLE_APPEND, timeoutMs: TIMEOUT_MS });
    const vPrompt = v.promptS - v.kernelStartS;
    console.log(
      `${arch} in v86: kernel start ${v.kernelStartS.toFixed(1)} s after launch, kernel start to shell prompt ${vPrompt.toFixed(1)} s; ` +
        `v86/wasmkvm (time ratio, above 1 = wasmkvm faster): launch to prompt ${(v.promptS / (r.kernelStartS + r.promptS)).toFixed(2)}, ` +
        `kernel start to prompt ${(vPrompt / r.promptS).toFixed(2)}`,
    );
  }
}
process.exit(0);
