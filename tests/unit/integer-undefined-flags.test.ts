// The integer families reproduce the recorded host CPU bit for bit, including what the SDM
// leaves undefined: the fixtures (tests/fixtures/cpu, recorded on the host) store the full
// EFLAGS and destination, and cpu-fixtures.test.ts masks the undefined parts; here nothing
// is masked. Guests and test suites that were tuned on real hardware (the AMD Zen host of
// the recording) see the same values.
import { describe, expect, it } from 'vitest';
import { EFLAGS_RECORDED, REGISTERS, bytesToHex, hex32, loadFixtures } from '../harness/fixture-format.ts';
import { FixtureRunner } from '../lib/fixture-runner.ts';

/** Fixture families whose instructions jit/emit/{muldiv,shift,bits,bcd,atomic,flagops}.ts emit. */
const FAMILIES = ['mul', 'div', 'shift', 'shld', 'bt', 'bsf', 'bcd', 'cmpxchg', 'xadd', 'flags'];

describe.each(FAMILIES)('host-exact fixtures: %s', (family) => {
  it('matches every recorded register, flag and byte, undefined ones included', () => {
    const runner = new FixtureRunner();
    const failures: string[] = [];
    for (const c of loadFixtures(family).cases) {
      const got = runner.run(c, 'block');
      const want = c.final;
      const diff: string[] = [];
      if (got.fault !== want.fault) diff.push(`fault ${got.fault} want ${want.fault}`);
      for (const r of REGISTERS) if (got[r] !== want[r]) diff.push(`${r}=${hex32(got[r])} want ${hex32(want[r])}`);
      if ((got.eflags ^ want.eflags) & EFLAGS_RECORDED) diff.push(`eflags=${hex32(got.eflags)} want ${hex32(want.eflags)}`);
      if (want.mem && got.mem && bytesToHex(want.mem) !== bytesToHex(got.mem)) diff.push('memory differs');
      if (diff.length) failures.push(`#${c.index} ${c.asm}: ${diff.join(', ')}`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });
});
