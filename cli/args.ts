// Command-line parsing for `wasmkvm run`, shaped like `qemu-system-x86_64 -kernel` and `lkvm run`.
export interface RunOptions {
  kernel: string;
  initrd: string[];
  append: string;
  memBytes: number;
  smp: number;
  /** A raw disk image for virtio-blk. */
  disk?: string;
}

export type ParseResult = { ok: true; command: 'run'; options: RunOptions } | { ok: true; command: 'help' } | { ok: false; error: string };

export const USAGE = `usage: wasmkvm run --kernel FILE [--initrd FILE[,FILE...]] [--append STR] [--mem SIZE] [--smp N] [--disk FILE]

  --kernel FILE   a Linux bzImage or a multiboot v1 ELF32 kernel (QEMU -kernel semantics)
  --initrd FILE   Linux: the initrd; multiboot: modules, comma separated ("file args"
                  gives a module its string)
  --append STR    kernel command line
  --disk FILE     a raw disk image, attached as virtio-blk (PCI 00:04.0)
  --mem SIZE      guest RAM, e.g. 128M, 1G (default 128M)
  --smp N         number of vCPUs (default 1)

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

export function parseArgs(argv: string[]): ParseResult {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return { ok: true, command: 'help' };
  if (command !== 'run') return { ok: false, error: `unknown command "${command}"` };
  const o: RunOptions = { kernel: '', initrd: [], append: '', memBytes: 128 * 1024 * 1024, smp: 1 };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = (): string | undefined => inline ?? rest[++i];
    const v = ['--kernel', '--initrd', '--append', '--mem', '-m', '--smp', '--disk'].includes(name) ? value() : undefined;
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
      default:
        return { ok: false, error: `unknown option "${name}"` };
    }
  }
  if (!o.kernel) return { ok: false, error: '--kernel is required' };
  return { ok: true, command: 'run', options: o };
}
