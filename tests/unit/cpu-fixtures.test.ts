// The differential suite: every case recorded on the host CPU (tests/fixtures/cpu, see
// tests/harness/README.md) must come out the same on our CPU, bit for bit except what the
// SDM leaves undefined (tests/fixtures/cpu/undefined-flags.ts), at every execution tier.
import { describe, expect, it } from 'vitest';
import { diffOutcome, listFixtureFamilies, loadFixtures } from '../harness/fixture-format.ts';
import { FixtureRunner, type Tier } from '../lib/fixture-runner.ts';

const TIERS: Tier[] = ['block', 'single', 'dispatch'];

describe.each(listFixtureFamilies())('host-CPU fixtures: %s', (family) => {
  const file = loadFixtures(family);
  it.each(TIERS)(`all ${file.cases.length} cases match at tier %s`, (tier) => {
    const runner = new FixtureRunner();
    const failures: string[] = [];
    for (const c of file.cases) {
      const diff = diffOutcome(c, runner.run(c, tier));
      if (diff.length) failures.push(`#${c.index} ${c.asm}: ${diff.join('; ')}`);
    }
    expect(failures.slice(0, 10), `${failures.length} of ${file.cases.length} cases differ`).toEqual([]);
  });
});
