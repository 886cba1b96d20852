// The differential suite, 32-bit half: every case recorded on the host CPU in 32-bit mode
// (tests/fixtures/cpu, see tests/harness/README.md) must come out the same on our CPU, bit for
// bit except what the SDM leaves undefined (tests/fixtures/cpu/undefined-flags.ts), at every
// execution tier. The 64-bit half is cpu-fixtures64.test.ts.
import { describe, expect, it } from 'vitest';
import { diffOutcome, listFixtureFamilies, loadFixtures } from '../harness/fixture-format.ts';
import { FixtureRunner, byCode, type Tier } from '../lib/fixture-runner.ts';

const TIERS: Tier[] = ['block', 'single', 'dispatch'];
const families32 = listFixtureFamilies('32');

describe.each(families32)('host-CPU fixtures: %s', (family) => {
  const file = loadFixtures(family);
  // Cases with the same bytes back to back, so compiled blocks are reused.
  const order = byCode(file.cases);
  it.each(TIERS)(`all ${file.cases.length} cases match at tier %s`, (tier) => {
    const runner = new FixtureRunner();
    const failures: string[] = [];
    for (const i of order) {
      const c = file.cases[i]!;
      const diff = diffOutcome(c, runner.run(c, tier));
      if (diff.length) failures.push(`#${c.index} ${c.asm}: ${diff.join('; ')}`);
    }
    expect(failures.slice(0, 10), `${failures.length} of ${file.cases.length} cases differ`).toEqual([]);
  });
});
