// Recording the 64-bit families (record.ts calls this): the runner built for x86-64 with
// trampoline64.S, one input line per case (16 registers in encoding order, RFLAGS, buffer),
// and the fixture file in the 64-bit format of fixture-format64.ts.

import { execFileSync, spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EFLAGS_RECORDED,
  FIXTURE_DIR,
  FIXTURE_FORMAT,
  LAYOUT,
  bytesToHex,
  hex32,
  memPatch,
  type HostInfo,
} from './fixture-format.ts';
import {
  DEFAULT_REGISTERS64,
  DEFAULT_RFLAGS,
  LAYOUT64,
  REGISTERS64,
  hex64,
  parseFixtureText64,
  type FixtureHeader64,
  type StoredCase64,
} from './fixture-format64.ts';
import type { CaseSpec64 } from './lib/x86-64.ts';
import { selfCheck64 } from './self-check64.ts';
import type { Rng } from './lib/rng.ts';
import { EXTENSION_BEHAVIOUR, UNDEFINED_BEHAVIOUR } from '../fixtures/cpu/undefined-flags.ts';

export interface Family64 {
  name: string;
  description: string;
  generate(rng: Rng): CaseSpec64[];
}

const NATIVE_DIR = fileURLToPath(new URL('./native/', import.meta.url));
const RF = 1 << 16;

export class RecordError extends Error {}

export function buildRunner64(dir: string): string {
  const out = join(dir, 'runner64');
  execFileSync(
    'gcc',
    [
      '-m64',
      '-O1',
      '-no-pie',
      '-Wall',
      '-Wextra',
      '-Werror',
      `-DCODE_BASE=${LAYOUT.codeBase}`,
      `-DMEM_BASE=${LAYOUT.memBase}`,
      `-DMEM_SIZE=${LAYOUT.memSize}`,
      `-DSCRATCH_SP=${LAYOUT.scratchSp}`,
      `-DGS_BASE=${LAYOUT64.gsBase}`,
      '-o',
      out,
      join(NATIVE_DIR, 'runner.c'),
      join(NATIVE_DIR, 'trampoline64.S'),
    ],
    { stdio: 'inherit' },
  );
  return out;
}

const initialRegs = (spec: CaseSpec64): bigint[] =>
  REGISTERS64.map((_, n) => spec.regs[n] ?? (DEFAULT_REGISTERS64[n] as bigint));

function runnerLine(spec: CaseSpec64): string {
  const regs = initialRegs(spec).map(hex64);
  return `${Buffer.from(spec.code).toString('hex')} ${regs.join(' ')} ${hex32(spec.rflags)} ${spec.mem ? bytesToHex(spec.mem) : '-'}`;
}

function storeCase(family: string, index: number, spec: CaseSpec64, line: string): StoredCase64 {
  const where = `${family}#${index} (${spec.asm}, ${Buffer.from(spec.code).toString('hex')})`;
  const f = line.split(' ');
  if (f[0] !== 'ok' && f[0] !== 'fault') throw new RecordError(`${where}: runner says "${line}"`);
  const faulted = f[0] === 'fault';
  const at = faulted ? 3 : 1;
  const values = f.slice(at, at + 17).map((v) => BigInt(`0x${v}`));
  const memHex = f[at + 17];
  if (values.length !== 17 || memHex === undefined)
    throw new RecordError(`${where}: malformed runner line "${line}"`);
  const vector = faulted ? parseInt(f[1] as string, 16) : undefined;
  if (vector === 14) throw new RecordError(`${where}: page fault, the case reached outside the buffer`);
  const rawFlags = Number(values[16]);
  const allowed = EFLAGS_RECORDED | (faulted ? RF : 0);
  if ((rawFlags & ~allowed) !== 0)
    throw new RecordError(`${where}: unexpected RFLAGS bits ${hex32(rawFlags & ~allowed)}`);
  const init = initialRegs(spec);
  const stored: StoredCase64 = {
    asm: spec.asm,
    m: spec.m,
    ctx: spec.ctx,
    code: Buffer.from(spec.code).toString('hex'),
    init: {},
    final: { rflags: hex32(rawFlags & EFLAGS_RECORDED) },
  };
  REGISTERS64.forEach((r, n) => {
    if (init[n] !== DEFAULT_REGISTERS64[n]) stored.init[r] = hex64(init[n] as bigint);
  });
  if (spec.rflags !== DEFAULT_RFLAGS) stored.init.rflags = hex32(spec.rflags);
  if (spec.mem) stored.init.mem = bytesToHex(spec.mem);
  REGISTERS64.forEach((r, n) => {
    if (values[n] !== init[n]) stored.final[r] = hex64(values[n] as bigint);
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
    stored.final.faultOffset = parseInt(f[2] as string, 16) - LAYOUT.codeBase;
  }
  return stored;
}

export function recordFamily64(
  runner: string,
  dir: string,
  family: Family64,
  seed: string,
  specs: CaseSpec64[],
  host: HostInfo,
  date: string,
): { count: number; bytes: number; faults: Map<number, number> } {
  for (const s of specs)
    if (!(s.m in UNDEFINED_BEHAVIOUR) && !(s.m in EXTENSION_BEHAVIOUR))
      throw new RecordError(`${family.name}: mnemonic ${s.m} is missing from undefined-flags.ts`);
  const input = specs.map(runnerLine).join('\n') + '\n';
  writeFileSync(join(dir, `${family.name}.in`), input);
  const run = spawnSync(runner, { input, maxBuffer: 1 << 30 });
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
  const header: FixtureHeader64 = {
    format: FIXTURE_FORMAT,
    mode: '64',
    family: family.name,
    description: family.description,
    host,
    recorded: date,
    seed,
    layout: LAYOUT64,
    defaults: {
      ...(Object.fromEntries(
        REGISTERS64.map((r, n) => [r, hex64(DEFAULT_REGISTERS64[n] as bigint)]),
      ) as Record<(typeof REGISTERS64)[number], string>),
      rflags: hex32(DEFAULT_RFLAGS),
    },
    cases: stored.length,
  };
  const text = [header, ...stored].map((o) => JSON.stringify(o)).join('\n') + '\n';
  const file = parseFixtureText64(text);
  return saveFixture(family.name, text, selfCheck64(file), file.cases);
}

/**
 * Writes a family's fixture file once its self-check passed (a failed check writes
 * nothing), and counts the exceptions its cases recorded. Shared by record.ts.
 */
export function saveFixture(
  name: string,
  text: string,
  problems: string[],
  cases: readonly { final: { fault?: number } }[],
): { count: number; bytes: number; faults: Map<number, number> } {
  if (problems.length)
    throw new RecordError(
      `${name}: self-check failed:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  ... ${problems.length - 20} more` : ''}`,
    );
  const path = `${FIXTURE_DIR}${name}.jsonl`;
  writeFileSync(path, text);
  const faults = new Map<number, number>();
  for (const c of cases) if (c.final.fault !== undefined) faults.set(c.final.fault, (faults.get(c.final.fault) ?? 0) + 1);
  return { count: cases.length, bytes: statSync(path).size, faults };
}
