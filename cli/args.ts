// Command-line parsing for `wasmkvm run`, shaped like `qemu-system-x86_64 -kernel` and `lkvm run`.
import { CPU_VENDORS, type CpuVendor } from '../core/cpu/cpuid.ts';
import type { CpuModelConfig } from '../core/vmm/machine.ts';

export interface RunOptions {
  kernel: string;
  initrd: string[];
  append: string;
  memBytes: number;
  smp: number;
  /** A raw disk image for virtio-blk. */
  disk?: string;
  /** The CPU model's properties (--cpu). */
  cpu: CpuModelConfig;
}

export type ParseResult = { ok: true; command: 'run'; options: RunOptions } | { ok: true; command: 'help' } | { ok: false; error: string };

export const USAGE = `usage: wasmkvm run --kernel FILE [--initrd FILE[,FILE...]] [--append STR] [--mem SIZE] [--smp N] [--disk FILE]
                  [--cpu PROP=VALUE[,...]]

  --kernel FILE   a Linux bzImage or a multiboot v1 ELF32 kernel (QEMU -kernel semantics)
  --initrd FILE   Linux: the initrd; multiboot: modules, comma separated ("file args"
                  gives a module its string)
  --append STR    kernel command line
  --disk FILE     a raw disk image, attached as virtio-blk (PCI 00:04.0)
  --mem SIZE      guest RAM, e.g. 128M, 1G (default 128M)
  --smp N         number of vCPUs (default 1)
  --cpu PROPS     CPU model properties, as in QEMU's -cpu: vendor=GenuineIntel (default)
                  or vendor=AuthenticAMD

COM1 is on stdin/stdout. The exit status is the guest's isa-debug-exit status
((value << 1) | 1), 0 on a clean power-off, 1 on a bad image, triple fault or internal error.`;

/** Parses sizes like QEMU's -m: a number with an optional K/M/G suffix; plain numbers are MiB. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+)([KMGkmg]?)[Bb]?$/.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2].toUpperCase();
  const mul = unit === 'K' ? 1024 : unit === 'G' ? 1024 ** 3 : 1024 ** 2;
  return n * mul;
}

/**
 * Parses --cpu's property list, shaped like the part of QEMU's `-cpu MODEL,prop=value,+feat`
 * after the model name: comma-separated `prop=value` items; the only property so far is
 * `vendor` (GenuineIntel or AuthenticAMD). Returns an error message for anything else.
 */
export function parseCpuOption(value: string): CpuModelConfig | string {
  const cpu: CpuModelConfig = {};
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    const [prop, v] = eq < 0 ? [item, undefined] : [item.slice(0, eq), item.slice(eq + 1)];
    if (prop !== 'vendor' || v === undefined) {
      return `--cpu ${value}: unknown property "${item}" (supported: vendor=${CPU_VENDORS.join('|')})`;
    }
    if (!(CPU_VENDORS as readonly string[]).includes(v)) {
      return `--cpu ${value}: vendor "${v}" is not supported (${CPU_VENDORS.join(' or ')})`;
    }
    cpu.vendor = v as CpuVendor;
  }
  return cpu;
}

export function parseArgs(argv: string[]): ParseResult {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return { ok: true, command: 'help' };
  if (command !== 'run') return { ok: false, error: `unknown command "${command}"` };
  const o: RunOptions = { kernel: '', initrd: [], append: '', memBytes: 128 * 1024 * 1024, smp: 1, cpu: {} };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = (): string | undefined => inline ?? rest[++i];
    const v = ['--kernel', '--initrd', '--append', '--mem', '-m', '--smp', '--disk', '--cpu'].includes(name) ? value() : undefined;
    if (v === undefined && name !== '--help') return { ok: false, error: name.startsWith('-') ? `${name} needs a value` : `unexpected argument "${name}"` };
    switch (name) {
      case '--kernel':
        o.kernel = v!;
        break;
      case '--initrd':
        o.initrd.push(v!);
        break;
      case '--append':
        o.append = v!;
        break;
      case '--disk':
        o.disk = v!;
        break;
      case '--mem':
      case '-m': {
        const size = parseSize(v!);
        if (size === undefined) return { ok: false, error: `--mem ${v}: not a size (examples: 128M, 1G)` };
        o.memBytes = size;
        break;
      }
      case '--smp': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) return { ok: false, error: `--smp ${v}: not a positive integer` };
        o.smp = n;
        break;
      }
      case '--cpu': {
        const cpu = parseCpuOption(v!);
        if (typeof cpu === 'string') return { ok: false, error: cpu };
        o.cpu = { ...o.cpu, ...cpu };
        break;
      }
      default:
        return { ok: false, error: `unknown option "${name}"` };
    }
  }
  if (!o.kernel) return { ok: false, error: '--kernel is required' };
  return { ok: true, command: 'run', options: o };
}
