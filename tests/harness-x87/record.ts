// Records the x87 fixtures on the host CPU: builds native/runner.c with gcc -m32, runs every
// case of every family (families.ts) and writes tests/fixtures/x87/<family>.jsonl.
//   npx tsx tests/harness-x87/record.ts [--only=arith,compare] [--out=dir]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAMILIES } from './families.ts';
import { Rng } from './gen-cases.ts';
import { hex, imageOf, pointersOfImage, stateOfImage, unhex, type X87Case, type X87FixtureHeader, type X87State } from './format.ts';

const here = new URL('.', import.meta.url).pathname;
const outDir = process.argv.find((a) => a.startsWith('--out='))?.slice(6) ?? join(here, '../fixtures/x87');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');

const tmp = mkdtempSync(join(tmpdir(), 'x87-'));
const runner = join(tmp, 'runner');
execFileSync('gcc', ['-m32', '-O1', '-no-pie', '-o', runner, join(here, 'native/runner.c')]);

const IN_SIZE = 1 + 15 + 108 + 32 + 8;
const OUT_SIZE = 108 + 32 + 12;

function host(): X87FixtureHeader['host'] {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (k: string): string => info.match(new RegExp(`^${k}\\s*: (.*)$`, 'm'))?.[1] ?? '';
  return { vendor: field('vendor_id'), modelName: field('model name') };
}

mkdirSync(outDir, { recursive: true });
for (const fam of FAMILIES) {
  if (only && !only.includes(fam.name)) continue;
  const rng = new Rng(`x87/${fam.name}/1`);
  const cases: { asm: string; code: number[]; i: X87State }[] = [];
  for (const tpl of fam.templates) for (let k = 0; k < fam.perTemplate; k++) cases.push({ asm: tpl.asm, code: tpl.code, i: tpl.state(rng) });
  const input = Buffer.alloc(IN_SIZE * cases.length);
  cases.forEach((c, n) => {
    const at = n * IN_SIZE;
    input[at] = c.code.length;
    input.set(c.code, at + 1);
    input.set(imageOf(c.i), at + 16);
    input.set(unhex(c.i.m), at + 124);
    input.writeUInt32LE(parseInt(c.i.a, 16), at + 156);
    input.writeUInt32LE(parseInt(c.i.f, 16), at + 160);
  });
  const out = execFileSync(runner, { input, maxBuffer: 1 << 30 });
  const lines: string[] = [];
  const header: X87FixtureHeader = {
    format: 'wasmkvm-x87-fixture/1',
    family: fam.name,
    description: fam.description,
    host: host(),
    recorded: new Date().toISOString().slice(0, 10),
    seed: `x87/${fam.name}/1`,
    cases: cases.length,
  };
  lines.push(JSON.stringify(header));
  cases.forEach((c, n) => {
    const at = n * OUT_SIZE;
    const img = out.subarray(at, at + 108);
    const trap = out.readUInt32LE(at + 148);
    const o: X87Case['o'] = {
      ...stateOfImage(img),
      ptr: pointersOfImage(img),
      m: hex(out.subarray(at + 108, at + 140)),
      a: out.readUInt32LE(at + 140).toString(16).padStart(8, '0'),
      f: out.readUInt32LE(at + 144).toString(16).padStart(8, '0'),
    };
    if (trap !== 0xffffffff) o.trap = trap;
    const rec: X87Case = { c: hex(c.code), asm: c.asm, i: c.i, o };
    lines.push(JSON.stringify(rec));
  });
  writeFileSync(join(outDir, `${fam.name}.jsonl`), lines.join('\n') + '\n');
  const traps = lines.filter((l) => l.includes('"trap"')).length;
  console.log(`${fam.name}: ${cases.length} cases${traps ? `, ${traps} trapped` : ''}`);
}
