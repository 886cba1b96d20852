// The SSE differential suite: every case recorded on the host CPU (tests/fixtures/sse, see
// tests/harness-sse/record.ts) must come out bit for bit the same on our CPU — XMM
// registers, MXCSR, the general registers and the status flags — at the block tier, with
// one instruction per block, and through the Wasm dispatcher.
import { describe, expect, it } from 'vitest';
import { diffSse, listSseFamilies, loadSseFixtures, SseRunner, type SseTier } from '../harness-sse/fixture.ts';

const TIERS: SseTier[] = ['block', 'single', 'dispatch'];

describe.each(listSseFamilies())('host-CPU SSE fixtures: %s', (family) => {
  const cases = loadSseFixtures(family);
  it.each(TIERS)(`all ${cases.length} cases match at tier %s`, (tier) => {
    const runner = new SseRunner();
    const failures: string[] = [];
    for (const c of cases) {
      const diff = diffSse(c.out, runner.run(c, tier));
      if (diff.length) failures.push(`${c.asm} [in ${c.in}]: ${diff.join('; ')}`);
    }
    expect(failures.slice(0, 10), `${failures.length} of ${cases.length} cases differ`).toEqual([]);
  }, 300_000);
});
