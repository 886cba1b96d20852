// Records the x87 fixtures on the host CPU: builds native/runner.c with gcc -m32 and
// native/runner64.c with gcc, runs every case of every family (families.ts) in its mode and
// writes tests/fixtures/x87/<family>.jsonl (format 2, format.ts).
//   npx tsx tests/harness-x87/record.ts [--only=arith,compare] [--out=dir]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAMILIES, type Family } from './families.ts';
import { Rng } from './gen-cases.ts';
import { hex, imageOf, packCase, pointersOfImage, stateOfImage, unhex, type X87Case, type X87FixtureHeader, type X87State } from './format.ts';

const here = new URL('.', import.meta.url).pathname;
const outDir = process.argv.find((a) => a.startsWith('--out='))?.slice(6) ?? join(here, '../fixtures/x87');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');

const tmp = mkdtempSync(join(tmpdir(), 'x87-'));
const runners = { 32: join(tmp, 'runner'), 64: join(tmp, 'runner64') };
execFileSync('gcc', ['-m32', '-O1', '-no-pie', '-o', runners[32], join(here, 'native/runner.c')]);
execFileSync('gcc', ['-O1', '-no-pie', '-o', runners[64], join(here, 'native/runner64.c')]);

/** Record sizes of native/runner.c and native/runner64.c (see their headers). */
const IN_SIZE = { 32: 1 + 15 + 108 + 32 + 8, 64: 1 + 15 + 108 + 32 + 16 };
const OUT_SIZE = { 32: 108 + 32 + 12, 64: 108 + 32 + 32 + 20 };
/** FOP, FIP and FDP in the FXSAVE64 header: bytes 6 to 23 (SDM Vol. 2A Table 3-55). */
const FX_POINTERS = [6, 24];
/** Runs again of cases whose pointers came back zero (see record()). */
const RERUNS = 3;

function host(): X87FixtureHeader['host'] {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (k: string): string => info.match(new RegExp(`^${k}\\s*: (.*)$`, 'm'))?.[1] ?? '';
  return { vendor: field('vendor_id'), modelName: field('model name') };
}

function inputOf(cases: { code: number[]; i: X87State }[], mode: 32 | 64): Buffer {
  const size = IN_SIZE[mode];
  const input = Buffer.alloc(size * cases.length);
  cases.forEach((c, n) => {
    const at = n * size;
    input[at] = c.code.length;
    input.set(c.code, at + 1);
    input.set(imageOf(c.i), at + 16);
    input.set(unhex(c.i.m), at + 124);
    if (mode === 32) {
      input.writeUInt32LE(parseInt(c.i.a, 16), at + 156);
      input.writeUInt32LE(parseInt(c.i.f, 16), at + 160);
    } else {
      input.writeBigUInt64LE(BigInt('0x' + c.i.a), at + 156);
      input.writeBigUInt64LE(BigInt('0x' + c.i.f), at + 164);
    }
  });
  return input;
}

function outcomeOf(out: Buffer, n: number, mode: 32 | 64): X87Case['o'] {
  const at = n * OUT_SIZE[mode];
  const img = out.subarray(at, at + 108);
  const rest = mode === 32 ? at + 108 : at + 140;
  const wide = mode === 64;
  const o: X87Case['o'] = {
    ...stateOfImage(img),
    ptr: pointersOfImage(img),
    m: hex(out.subarray(rest, rest + 32)),
    a: wide ? out.readBigUInt64LE(rest + 32).toString(16).padStart(16, '0') : out.readUInt32LE(rest + 32).toString(16).padStart(8, '0'),
    f: (wide ? Number(out.readBigUInt64LE(rest + 40)) : out.readUInt32LE(rest + 36)).toString(16).padStart(8, '0'),
  };
  if (wide) o.fx = hex(out.subarray(at + 108 + FX_POINTERS[0], at + 108 + FX_POINTERS[1]));
  const trap = out.readUInt32LE(rest + (wide ? 48 : 40));
  if (trap !== 0xffffffff) o.trap = trap;
  return o;
}

function record(fam: Family): void {
  const mode = fam.mode ?? 32;
  const rng = new Rng(`x87/${fam.name}/1`);
  const cases: { asm: string; code: number[]; i: X87State }[] = [];
  for (const tpl of fam.templates) for (let k = 0; k < fam.perTemplate; k++) cases.push({ asm: tpl.asm, code: tpl.code, i: tpl.state(rng) });
  const run = (list: typeof cases): Buffer => execFileSync(runners[mode], fam.high ? ['high'] : [], { input: inputOf(list, mode), maxBuffer: 1 << 30 });
  const outcomes = cases.map((): X87Case['o'] | undefined => undefined);
  const out = run(cases);
  cases.forEach((_, n) => (outcomes[n] = outcomeOf(out, n, mode)));
  // A context switch between the case and FNSAVE loses the pointers on this host: with no
  // exception pending, AMD's XSAVE does not save FIP, FOP and FDP, so the kernel restores
  // zeros. Cases that came back with all-zero pointers run again; a case whose pointers are
  // really zero (FNINIT, FNSTSW AX ...) gives zeros every time.
  for (let pass = 0; pass < RERUNS; pass++) {
    const again = outcomes.flatMap((o, n) => (o!.ptr.ip === '00000000' && o!.ptr.op === '000' && o!.ptr.dp === '00000000' ? [n] : []));
    if (!again.length) break;
    const rerun = run(again.map((n) => cases[n]));
    again.forEach((n, k) => {
      const o = outcomeOf(rerun, k, mode);
      if (o.ptr.ip !== '00000000' || o.ptr.op !== '000' || o.ptr.dp !== '00000000') outcomes[n] = o;
    });
  }
  const header: X87FixtureHeader = {
    format: 'wasmkvm-x87-fixture/2',
    mode,
    ...(fam.high ? { high: true } : {}),
    family: fam.name,
    description: fam.description,
    host: host(),
    recorded: new Date().toISOString().slice(0, 10),
    seed: `x87/${fam.name}/1`,
    cases: cases.length,
  };
  const lines = [JSON.stringify(header)];
  const traps = new Map<number, number>();
  cases.forEach((c, n) => {
    const rec: X87Case = { c: hex(c.code), asm: c.asm, i: c.i, o: outcomes[n]! };
    if (rec.o.trap !== undefined) traps.set(rec.o.trap, (traps.get(rec.o.trap) ?? 0) + 1);
    lines.push(JSON.stringify(packCase(rec)));
  });
  writeFileSync(join(outDir, `${fam.name}.jsonl`), lines.join('\n') + '\n');
  const trapText = [...traps].map(([v, k]) => `${k} trapped with vector ${v}`).join(', ');
  console.log(`${fam.name} (${mode}-bit): ${cases.length} cases${trapText ? `, ${trapText}` : ''}`);
}

mkdirSync(outDir, { recursive: true });
for (const fam of FAMILIES) if (!only || only.includes(fam.name)) record(fam);
