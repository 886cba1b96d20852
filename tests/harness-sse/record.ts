// Record the host CPU's SSE results: build the native recorder (gcc -m32), assemble each
// template with NASM, generate its cases (cases.ts), run them and write one JSON-lines file
// per family to tests/fixtures/sse/. Usage:
//   npx tsx tests/harness-sse/record.ts [--only=sse-arith,sse42]
//
// File format: a header line {format, family, description, host, recorded}, then one line
// per case {asm, code, in, out}; `in` and `out` are "mxcsr eflags eax ecx edx xmm0 xmm1 xmm2"
// in hex (XMM registers as 16 bytes in memory order; XMM3-XMM7 are zero and not recorded).
// 64-bit families (header mode 64) hold RAX RCX RDX and XMM8-XMM10 (loaded with the same
// inputs as XMM0-XMM2) in those fields.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAMILIES, Rng, randomGpr, randomGpr64, randomMxcsr, randomXmm, type Template } from './cases.ts';
import { SSE_FIXTURE_FORMAT } from './fixture.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const OUT_DIR = join(HERE, '../fixtures/sse');
const ZERO_XMM = '0'.repeat(32);
/** EFLAGS input: bit 1, IF, and the status flags set so that instructions that clear them show it. */
const EFLAGS_IN = [0x202, 0x2d7, 0x246];

function hostInfo(): Record<string, string> {
  const block = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0] ?? '';
  const field = (name: string): string => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(block)?.[1]?.trim() ?? '';
  return { vendor: field('vendor_id'), modelName: field('model name'), family: field('cpu family'), model: field('model'), microcode: field('microcode'), kernel: release() };
}

function assemble(dir: string, asm: string, bits: 32 | 64): string {
  const src = join(dir, 't.asm');
  const bin = join(dir, 't.bin');
  writeFileSync(src, `bits ${bits}\n${asm.split(/;\s*/).join('\n')}\n`);
  execFileSync('nasm', ['-f', 'bin', '-o', bin, src]);
  return readFileSync(bin).toString('hex');
}

const hex8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

/** Register shift counts: half the cases get a small count in the low quadword of XMM2. */
function smallCount(r: Rng, xmm: string): string {
  const n = r.below(70);
  return n.toString(16).padStart(2, '0') + '00000000000000' + xmm.slice(16);
}

function inputsFor(t: Template, r: Rng, bits: 32 | 64): string {
  const x = [randomXmm(r, t.lanes), randomXmm(r, t.lanes), randomXmm(r, t.lanes)];
  if (/^ps(ll|rl|ra)[wdq] xmm1, xmm2/.test(t.asm) && r.below(2)) x[2] = smallCount(r, x[2]!);
  const g = [0, 1, 2].map(() => (bits === 64 ? randomGpr64(r, t.gpr) : hex8(t.gpr ? randomGpr(r, t.gpr) : 0)));
  const mxcsr = t.lanes.startsWith('f') || t.gpr === 'int' ? (t.lanes.endsWith('d') && r.below(2) ? 0x1f80 : randomMxcsr(r)) : 0x1f80;
  return [hex8(mxcsr), hex8(r.pick(EFLAGS_IN)), ...g, ...x].join(' ');
}

function main(): void {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const dir = mkdtempSync(join(tmpdir(), 'sse-rec-'));
  try {
    const rec32 = join(dir, 'recorder32');
    const rec64 = join(dir, 'recorder64');
    execFileSync('gcc', ['-m32', '-O1', '-no-pie', '-o', rec32, join(HERE, 'native/recorder.c')]);
    execFileSync('gcc', ['-O1', '-no-pie', '-o', rec64, join(HERE, 'native/recorder.c')]);
    const host = hostInfo();
    for (const fam of FAMILIES) {
      if (only && !only.includes(fam.name)) continue;
      const bits = fam.bits ?? 32;
      const rec = bits === 64 ? rec64 : rec32;
      const header = { format: SSE_FIXTURE_FORMAT, family: fam.name, mode: bits, description: fam.description, host, recorded: new Date().toISOString().slice(0, 10) };
      const lines: string[] = [JSON.stringify(header)];
      const r = new Rng(fam.name);
      const jobs: { asm: string; code: string; input: string }[] = [];
      for (const t of fam.templates) {
        const code = assemble(dir, t.asm, bits);
        for (let i = 0; i < t.cases; i++) jobs.push({ asm: t.asm, code, input: inputsFor(t, r, bits) });
      }
      const stdin = jobs.map((j) => `${j.code} ${j.input} ${ZERO_XMM} ${ZERO_XMM} ${ZERO_XMM} ${ZERO_XMM} ${ZERO_XMM}`).join('\n') + '\n';
      const out = execFileSync(rec, { input: stdin, maxBuffer: 1 << 30 }).toString().trim().split('\n');
      if (out.length !== jobs.length) throw new Error(`${fam.name}: ${out.length} results for ${jobs.length} cases`);
      jobs.forEach((j, i) => {
        const o = out[i]!.split(' ').slice(0, 8).join(' ');
        lines.push(JSON.stringify({ asm: j.asm, code: j.code, in: j.input, out: o }));
      });
      writeFileSync(join(OUT_DIR, `${fam.name}.jsonl`), lines.join('\n') + '\n');
      console.log(`${fam.name}: ${jobs.length} cases`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
