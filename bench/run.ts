// `npm run bench`: bench/guests/bench.elf on wasmkvm and on v86, in this process, and its
// workloads natively on the host CPU; prints times, ratios and checksums (bench/README.md).
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { runNative, GUEST_ELF } from './native.ts';
import { runV86, v86Missing, v86Version } from './v86.ts';
import { runWasmkvm } from './wasmkvm.ts';
import { ENGINES, mergeRun, type EngineName, type EngineResult } from './result.ts';
import { compare, formatTable } from './report.ts';
import type { WorkloadTiming } from './markers.ts';

const USAGE = `usage: npm run bench -- [options]

  --json              print the results as JSON on stdout (progress stays on stderr)
  --runs N            boot the guest N times in each emulator, report the best (default 1)
  --native-runs N     run each workload N times natively, report the best (default 5)
  --engines LIST      comma-separated subset of native,v86,wasmkvm (default: all three)
  --timeout SECONDS   give up on an emulator run after this long (default 900)
  --mem MIB           guest RAM for both emulators (default 32)

Exit status 0 when every engine finished and all checksums agree, 1 otherwise.`;

interface Options {
  json: boolean;
  runs: number;
  nativeRuns: number;
  engines: EngineName[];
  timeoutMs: number;
  memBytes: number;
}

function parseArgs(argv: string[]): Options | string {
  const o: Options = {
    json: false,
    runs: 1,
    nativeRuns: 5,
    engines: [...ENGINES],
    timeoutMs: 900_000,
    memBytes: 32 << 20,
  };
  const int = (flag: string, v: string | undefined, min: number, max: number): number | string => {
    const n = Number(v);
    return Number.isInteger(n) && n >= min && n <= max
      ? n
      : `${flag} ${v ?? ''}: expected an integer in ${min}..${max}`;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    let r: number | string;
    switch (flag) {
      case '--json':
        o.json = true;
        continue;
      case '--help':
      case '-h':
        return USAGE;
      case '--engines': {
        const list = (argv[++i] ?? '').split(',').filter(Boolean);
        const bad = list.filter((e) => !(ENGINES as string[]).includes(e));
        if (bad.length || !list.length) return `--engines: expected a list of ${ENGINES.join(',')}`;
        o.engines = ENGINES.filter((e) => list.includes(e));
        continue;
      }
      case '--runs':
        r = int(flag, argv[++i], 1, 100);
        if (typeof r === 'string') return r;
        o.runs = r;
        continue;
      case '--native-runs':
        r = int(flag, argv[++i], 1, 1000);
        if (typeof r === 'string') return r;
        o.nativeRuns = r;
        continue;
      case '--timeout':
        r = int(flag, argv[++i], 1, 86_400);
        if (typeof r === 'string') return r;
        o.timeoutMs = r * 1000;
        continue;
      case '--mem':
        r = int(flag, argv[++i], 8, 2048);
        if (typeof r === 'string') return r;
        o.memBytes = r << 20;
        continue;
      default:
        return `unknown argument "${flag}"\n${USAGE}`;
    }
  }
  return o;
}

const log = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

async function emulator(engine: 'v86' | 'wasmkvm', elf: Uint8Array, o: Options): Promise<EngineResult> {
  const result: EngineResult = { engine, ok: true, workloads: [] };
  if (engine === 'v86') {
    const missing = v86Missing();
    if (missing) return { ...result, ok: false, error: missing };
  }
  for (let run = 1; run <= o.runs; run++) {
    const tag = o.runs > 1 ? `${engine} run ${run}/${o.runs}` : engine;
    const onWorkload = (w: WorkloadTiming): void => log(`${tag}: ${w.name} ${w.ms.toFixed(1)} ms`);
    const opts = { memBytes: o.memBytes, timeoutMs: o.timeoutMs, onWorkload };
    log(`${tag}: booting`);
    let r: { workloads: WorkloadTiming[]; error?: string };
    if (engine === 'v86') r = await runV86(elf, opts);
    else {
      const k = await runWasmkvm(elf, opts);
      if (k.stats && k.totalMs)
        result.details = { ...k.stats, totalMs: k.totalMs, mips: k.stats.instructions / k.totalMs / 1e3 };
      r = k;
    }
    const mixed = mergeRun(result.workloads, r.workloads);
    if (r.error || mixed) return { ...result, ok: false, error: r.error ?? mixed };
  }
  return result;
}

function wasmkvmSummary(d: Record<string, unknown>): string {
  const n = (x: unknown): string => (typeof x === 'number' ? x.toLocaleString('en-US') : '?');
  const exits = Object.entries((d.exits ?? {}) as Record<string, number>)
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(', ');
  const secs = typeof d.totalMs === 'number' ? (d.totalMs / 1000).toFixed(1) : '?';
  const mips = typeof d.mips === 'number' ? d.mips.toFixed(1) : '?';
  return `wasmkvm: ${n(d.instructions)} guest instructions in ${secs} s (${mips} MIPS, boot to exit), ${n(d.blocksCompiled)} blocks compiled, ${n(d.tlbMisses)} TLB misses, exits: ${exits || 'none'}`;
}

async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  if (typeof o === 'string') {
    const help = o === USAGE;
    (help ? process.stdout : process.stderr).write(`${o}\n`);
    return help ? 0 : 1;
  }
  const elf = new Uint8Array(await readFile(GUEST_ELF));
  const sha256 = createHash('sha256').update(elf).digest('hex');
  const host = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? '?',
    loadavg: loadavg().map((x) => +x.toFixed(2)),
    node: process.version,
  };
  log(
    `${host.cpus} CPUs (${host.model}), load average ${host.loadavg.join(' ')}; guest bench/guests/bench.elf sha256 ${sha256.slice(0, 16)}`,
  );

  const engines: EngineResult[] = [];
  const errors: string[] = [];
  if (o.engines.includes('native')) {
    log(`native: building (nasm, gcc -m32) and running each workload ${o.nativeRuns} times`);
    const { result, staleGuest } = await runNative({ runs: o.nativeRuns });
    if (staleGuest)
      errors.push(
        'bench/guests/bench.elf is not what guests/bench/build.sh builds from the sources now: run `bash guests/bench/build.sh`',
      );
    engines.push(result);
  }
  for (const e of ['v86', 'wasmkvm'] as const)
    if (o.engines.includes(e)) engines.push(await emulator(e, elf, o));

  for (const e of engines) if (!e.ok) errors.push(`${e.engine}: ${e.error}`);
  const c = compare(engines);
  for (const m of c.mismatches) errors.push(`checksum mismatch: ${m}`);
  const wasmkvm = engines.find((e) => e.engine === 'wasmkvm');

  if (o.json) {
    const out = {
      host,
      guest: { path: 'bench/guests/bench.elf', sha256 },
      v86: o.engines.includes('v86') ? v86Version() : undefined,
      options: { runs: o.runs, nativeRuns: o.nativeRuns, memBytes: o.memBytes },
      workloads: c.rows,
      geomean: c.geomean,
      engines,
      ok: errors.length === 0,
      errors,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const v86 = o.engines.includes('v86') ? `, v86 ${v86Version()}` : '';
    process.stdout.write(
      `\nwasmkvm bench: ${host.cpus} CPUs (${host.model}), Node ${host.node}${v86}; best of ${o.runs} emulator run(s), ${o.nativeRuns} native\n\n`,
    );
    process.stdout.write(`${formatTable(c)}\n`);
    if (wasmkvm?.details) process.stdout.write(`\n${wasmkvmSummary(wasmkvm.details)}\n`);
  }
  for (const e of errors) process.stderr.write(`bench: FAILED: ${e}\n`);
  return errors.length ? 1 : 0;
}

const status = await main(process.argv.slice(2));
// v86 timers and unref'ed vCPU workers must not keep the process alive.
process.exit(status);
