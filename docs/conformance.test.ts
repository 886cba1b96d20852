// docs/conformance.md is generated from the opcode table and the tests; a stale copy
// would tell readers something untrue about what the CPU implements.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConformance } from './conformance.ts';

describe('docs/conformance.md', () => {
  it('matches what `npm run docs:conformance` generates now', () => {
    const committed = readFileSync(new URL('./conformance.md', import.meta.url), 'utf8');
    expect(committed === renderConformance(), 'docs/conformance.md is stale: run `npm run docs:conformance`').toBe(true);
  }, 120_000);
});
