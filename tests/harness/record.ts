// Record the real CPU: generate the cases, build the native runners (a 32-bit and a 64-bit
// program, in a temporary directory), run every case on this host and write one fixture file
// per family to tests/fixtures/cpu/. Usage:
//   npx tsx tests/harness/record.ts [--only=alu,shift] [--keep]
// --only re-records some families; --keep leaves the temporary directory (runner, inputs).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FAMILIES,
  FAMILIES64,
  familySeed,
  generateFamily,
  generateFamily64,
  type Family,
} from './gen-cases.ts';
import { buildRunner64, recordFamily64, RecordError, saveFixture } from './record64.ts';
import {
  DEFAULT_REGISTERS,
  EFLAGS_RECORDED,
  FIXTURE_FORMAT,
  LAYOUT,
  REGISTERS,
  bytesToHex,
  hex32,
  memPatch,
  parseFixtureText,
  type FixtureHeader,
  type HostInfo,
  type Registers,
  type StoredCase,
} from './fixture-format.ts';
import type { CaseSpec } from './lib/x86.ts';
import { selfCheck } from './self-check.ts';
import { UNDEFINED_BEHAVIOUR } from '../fixtures/cpu/undefined-flags.ts';

const NATIVE_DIR = fileURLToPath(new URL('./native/', import.meta.url));
const REGISTER_KEYS = [...REGISTERS, 'eflags'] as const;
/** RF (bit 16) is set in the EFLAGS image a fault saves (SDM Vol. 3A §18.3.1.1); not recorded. */
const RF = 1 << 16;

function hostInfo(): HostInfo {
  const block = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0] ?? '';
  const field = (name: string): string => {
    const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(block);
    if (!m) throw new Error(`/proc/cpuinfo has no "${name}"`);
    return (m[1] as string).trim();
  };
  return {
    vendor: field('vendor_id'),
    modelName: field('model name'),
    family: Number(field('cpu family')),
    model: Number(field('model')),
    stepping: Number(field('stepping')),
    microcode: field('microcode'),
    kernel: release(),
  };
}

function buildRunner(dir: string): string {
  const out = join(dir, 'runner');
  const defines = [
    `-DCODE_BASE=${LAYOUT.codeBase}`,
    `-DMEM_BASE=${LAYOUT.memBase}`,
    `-DMEM_SIZE=${LAYOUT.memSize}`,
    `-DSCRATCH_SP=${LAYOUT.scratchSp}`,
  ];
  // -no-pie: the trampoline addresses its statics absolutely (no text relocations).
  execFileSync(
    'gcc',
    [
      '-m32',
      '-O1',
      '-no-pie',
      '-Wall',
      '-Wextra',
      '-Werror',
      ...defines,
      '-o',
      out,
      join(NATIVE_DIR, 'runner.c'),
      join(NATIVE_DIR, 'trampoline.S'),
    ],
    { stdio: 'inherit' },
  );
  return out;
}

const initialState = (spec: CaseSpec): Registers => ({ ...DEFAULT_REGISTERS, ...spec.init });

function runnerLine(spec: CaseSpec): string {
  const s = initialState(spec);
  const regs = REGISTER_KEYS.map((k) => hex32(s[k]));
  return `${Buffer.from(spec.code).toString('hex')} ${regs.join(' ')} ${spec.mem ? bytesToHex(spec.mem) : '-'}`;
}


/** Turn one runner output line into the stored (sparse) case. */
function storeCase(family: string, index: number, spec: CaseSpec, line: string): StoredCase {
  const where = `${family}#${index} (${spec.asm}, ${Buffer.from(spec.code).toString('hex')})`;
  const f = line.split(' ');
  if (f[0] === 'error' || (f[0] !== 'ok' && f[0] !== 'fault'))
    throw new RecordError(`${where}: runner says "${line}"`);
  const faulted = f[0] === 'fault';
  const vector = faulted ? parseInt(f[1] as string, 16) : undefined;
  const eip = faulted ? parseInt(f[2] as string, 16) : undefined;
  const values = f.slice(faulted ? 3 : 1, faulted ? 12 : 10).map((v) => parseInt(v, 16) >>> 0);
  const memHex = f[faulted ? 12 : 10] as string;
  if (values.length !== 9 || memHex === undefined)
    throw new RecordError(`${where}: malformed runner line "${line}"`);
  if (vector === 14) throw new RecordError(`${where}: page fault, the case reached outside the buffer`);

  const rawFlags = values[8] as number;
  const allowed = EFLAGS_RECORDED | (faulted ? RF : 0);
  if ((rawFlags & ~allowed) !== 0)
    throw new RecordError(`${where}: unexpected EFLAGS bits ${hex32(rawFlags & ~allowed)}`);

  const init = initialState(spec);
  const stored: StoredCase = {
    asm: spec.asm,
    m: spec.m,
    ctx: spec.ctx,
    code: Buffer.from(spec.code).toString('hex'),
    init: {},
    final: { eflags: hex32(rawFlags & EFLAGS_RECORDED) },
  };
  for (const k of REGISTER_KEYS) if (init[k] !== DEFAULT_REGISTERS[k]) stored.init[k] = hex32(init[k]);
  if (spec.mem) stored.init.mem = bytesToHex(spec.mem);
  REGISTERS.forEach((k, i) => {
    if (values[i] !== init[k]) stored.final[k] = hex32(values[i] as number);
  });
  const finalMem = new Uint8Array(Buffer.from(memHex, 'hex'));
  if (finalMem.length !== LAYOUT.memSize) throw new RecordError(`${where}: malformed buffer "${memHex}"`);
  const patch = memPatch(spec.mem ?? new Uint8Array(LAYOUT.memSize), finalMem);
  if (patch.length) {
    if (!spec.mem) throw new RecordError(`${where}: wrote the buffer but declared no memory`);
    stored.final.memPatch = patch;
  }
  if (faulted) {
    stored.final.fault = vector;
    stored.final.faultOffset = (eip as number) - LAYOUT.codeBase;
  }
  return stored;
}

function recordFamily(
  runner: string,
  dir: string,
  family: Family,
  host: HostInfo,
  date: string,
): { count: number; bytes: number; faults: Map<number, number> } {
  const specs = generateFamily(family);
  for (const s of specs)
    if (!(s.m in UNDEFINED_BEHAVIOUR))
      throw new RecordError(`${family.name}: mnemonic ${s.m} is missing from undefined-flags.ts`);
  const input = join(dir, `${family.name}.in`);
  writeFileSync(input, specs.map(runnerLine).join('\n') + '\n');
  const run = spawnSync(runner, { input: readFileSync(input), maxBuffer: 1 << 30 });
  if (run.status !== 0)
    throw new RecordError(
      `${family.name}: runner exited with ${run.status ?? run.signal}: ${run.stderr.toString()}`,
    );
  const lines = run.stdout
    .toString()
    .split('\n')
    .filter((l) => l.length > 0);
  if (lines.length !== specs.length)
    throw new RecordError(`${family.name}: ${specs.length} cases in, ${lines.length} results out`);

  const stored = specs.map((spec, i) => storeCase(family.name, i, spec, lines[i] as string));
  const header: FixtureHeader = {
    format: FIXTURE_FORMAT,
    family: family.name,
    description: family.description,
    host,
    recorded: date,
    seed: familySeed(family),
    layout: LAYOUT,
    defaults: Object.fromEntries(
      REGISTER_KEYS.map((k) => [k, hex32(DEFAULT_REGISTERS[k])]),
    ) as FixtureHeader['defaults'],
    cases: stored.length,
  };
  const text = [header, ...stored].map((o) => JSON.stringify(o)).join('\n') + '\n';

  // Read it back through the loader and check it against an independent model of the
  // instructions where we have one; a wrong trampoline or parser shows up here.
  const file = parseFixtureText(text);
  return saveFixture(family.name, text, selfCheck(file), file.cases);
}

function main(): void {
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const keep = process.argv.includes('--keep');
  const families = only ? FAMILIES.filter((f) => only.includes(f.name)) : FAMILIES;
  const families64 = only ? FAMILIES64.filter((f) => only.includes(f.name)) : FAMILIES64;
  if (only && families.length + families64.length !== only.length)
    throw new Error(
      `unknown family in --only (have: ${[...FAMILIES, ...FAMILIES64].map((f) => f.name).join(', ')})`,
    );

  const host = hostInfo();
  const date = new Date().toISOString().slice(0, 10);
  const dir = mkdtempSync(join(tmpdir(), 'wasmkvm-cpu-oracle-'));
  try {
    const runner = families.length ? buildRunner(dir) : '';
    const runner64 = families64.length ? buildRunner64(dir) : '';
    console.log(
      `host: ${host.vendor} ${host.modelName} (family ${host.family}, model ${host.model}, stepping ${host.stepping}, microcode ${host.microcode}), kernel ${host.kernel}`,
    );
    let total = 0;
    let bytes = 0;
    const jobs = [
      ...families.map((f) => ({ f, rec: () => recordFamily(runner, dir, f, host, date) })),
      ...families64.map((f) => ({
        f,
        rec: () => recordFamily64(runner64, dir, f, familySeed(f), generateFamily64(f), host, date),
      })),
    ];
    for (const { f, rec } of jobs) {
      const r = rec();
      total += r.count;
      bytes += r.bytes;
      const faults = [...r.faults].map(([v, n]) => `#${v}x${n}`).join(' ');
      console.log(
        `${f.name.padEnd(12)} ${String(r.count).padStart(6)} cases ${(r.bytes / 1024).toFixed(0).padStart(6)} KiB ${faults}`,
      );
    }
    console.log(
      `${'total'.padEnd(10)} ${String(total).padStart(6)} cases ${(bytes / 1024).toFixed(0).padStart(6)} KiB`,
    );
  } finally {
    if (keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  if (e instanceof RecordError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
