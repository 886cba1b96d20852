// Deterministic generator of CPU test cases, one list per family (one fixture file each).
// Each family draws from its own PRNG stream seeded with `<family>/<SEED_VERSION>`, so adding
// or growing one family never changes another's cases. Run directly to print the counts:
//   npx tsx tests/harness/gen-cases.ts

import { Rng } from './lib/rng.ts';
import type { CaseSpec } from './lib/x86.ts';
import { ALU_FAMILIES } from './families/alu.ts';
import { BCD_FAMILIES } from './families/bcd.ts';
import { BIT_FAMILIES } from './families/bits.ts';
import { CONTROL_FAMILIES } from './families/cond.ts';
import { EXCHANGE_FAMILIES } from './families/exchange.ts';
import { MOVE_FAMILIES } from './families/move.ts';
import { MULDIV_FAMILIES } from './families/muldiv.ts';
import { SHIFT_FAMILIES } from './families/shift.ts';
import { STACK_FAMILIES } from './families/stack.ts';
import { STRING_FAMILIES } from './families/string.ts';
import type { Family64 } from './record64.ts';
import type { CaseSpec64 } from './lib/x86-64.ts';
import { FAMILIES64 } from './families64/index.ts';

export interface Family {
  /** File name stem: tests/fixtures/cpu/<name>.jsonl. */
  name: string;
  description: string;
  generate(rng: Rng): CaseSpec[];
}

/** Bump to re-draw every family's cases (the seed string is recorded in each file). */
export const SEED_VERSION = 1;

export const FAMILIES: readonly Family[] = [
  ...ALU_FAMILIES,
  ...MULDIV_FAMILIES,
  ...SHIFT_FAMILIES,
  ...BIT_FAMILIES,
  ...EXCHANGE_FAMILIES,
  ...MOVE_FAMILIES,
  ...BCD_FAMILIES,
  ...CONTROL_FAMILIES,
  ...STRING_FAMILIES,
  ...STACK_FAMILIES,
];

export const familySeed = (f: Family | Family64): string => `${f.name}/${SEED_VERSION}`;

export function generateFamily(f: Family): CaseSpec[] {
  return f.generate(new Rng(familySeed(f)));
}

/** The 64-bit families (families64/): the host runs them in 64-bit mode. */
export { FAMILIES64 };

export function generateFamily64(f: Family64): CaseSpec64[] {
  return f.generate(new Rng(familySeed(f)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let total = 0;
  for (const f of [...FAMILIES, ...FAMILIES64]) {
    const n = (
      FAMILIES64.includes(f as Family64) ? generateFamily64(f as Family64) : generateFamily(f as Family)
    ).length;
    total += n;
    console.log(`${f.name.padEnd(12)} ${String(n).padStart(6)}  ${f.description}`);
  }
  console.log(`${'total'.padEnd(12)} ${String(total).padStart(6)}`);
}
