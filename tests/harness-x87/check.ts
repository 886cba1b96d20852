// Replays a recorded x87 family at one tier: every case must match the host bit for bit, the
// transcendental instructions included (their host models: tests/harness-x87/README.md "The
// transcendentals"), which are also counted per instruction for the report.
import { readdirSync, readFileSync } from 'node:fs';
import { comparable } from './compare.ts';
import { parseFixture, type X87Case, type X87FixtureHeader } from './format.ts';
import { type Tier, X87Runner } from './run-case.ts';

/** Every tier: blocks called from JS, one instruction per block, blocks chained by the Wasm dispatcher. */
export const X87_TIERS: Tier[] = ['block', 'single', 'dispatch'];

export const FIXTURE_DIR = new URL('../fixtures/x87/', import.meta.url);
const TRANSCENDENTAL = new Set(['fsin', 'fcos', 'fsincos', 'fptan', 'fpatan', 'f2xm1', 'fyl2x', 'fyl2xp1']);

export function loadFamily(name: string): { header: X87FixtureHeader; cases: X87Case[] } {
  return parseFixture(readFileSync(new URL(`${name}.jsonl`, FIXTURE_DIR), 'utf8'));
}

/** Recorded families of one mode, by file name. */
export function familiesOf(mode: 32 | 64): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => f.slice(0, -'.jsonl'.length))
    .filter((f) => (loadHeader(f).mode ?? 32) === mode)
    .sort();
}

function loadHeader(name: string): X87FixtureHeader {
  const text = readFileSync(new URL(`${name}.jsonl`, FIXTURE_DIR), 'utf8');
  return JSON.parse(text.slice(0, text.indexOf('\n'))) as X87FixtureHeader;
}

export interface FamilyResult {
  cases: number;
  /** Cases that differ, described (the first few). */
  bad: string[];
  badCount: number;
  /** Per transcendental instruction: cases, and how many match the host exactly. */
  transcendental: Map<string, { cases: number; exact: number }>;
}

export function checkFamily(name: string, tier: Tier): FamilyResult {
  const { header, cases } = loadFamily(name);
  const runner = new X87Runner(header.mode ?? 32, header.high === true);
  const result: FamilyResult = { cases: cases.length, bad: [], badCount: 0, transcendental: new Map() };
  // Cases with the same bytes back to back reuse their compiled blocks.
  const order = cases.map((_, n) => n).sort((a, b) => (cases[a].c < cases[b].c ? -1 : cases[a].c > cases[b].c ? 1 : a - b));
  for (const n of order) {
    const c = cases[n];
    const got = runner.run(c, tier);
    const exact = comparable(c, got) === comparable(c, c.o);
    const mnemonic = c.asm.split(/[ ;]/)[0];
    if (TRANSCENDENTAL.has(mnemonic)) {
      const row = result.transcendental.get(mnemonic) ?? { cases: 0, exact: 0 };
      result.transcendental.set(mnemonic, row);
      row.cases++;
      if (exact) row.exact++;
    }
    if (exact) continue;
    result.badCount++;
    if (result.bad.length < 5) result.bad.push(`${c.asm} ${JSON.stringify(c.i)}\n  want ${comparable(c, c.o)}\n  got  ${comparable(c, got)}`);
  }
  return result;
}

/** Prints the transcendental figures of a family: exact / cases. */
export function report(family: string, tier: Tier, r: FamilyResult): void {
  if (!r.transcendental.size) return;
  console.log(
    `x87 ${family}, ${tier} tier (exact / cases):\n` +
      [...r.transcendental].map(([m, t]) => `  ${m.padEnd(8)} ${t.exact} / ${t.cases}`).join('\n'),
  );
}
