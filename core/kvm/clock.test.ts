import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.ts';

describe('VirtualClock', () => {
  it('fires due timers in deadline order, each seeing its own deadline as now', () => {
    const q = new VirtualClock();
    const seen: [string, number][] = [];
    q.schedule(300, () => seen.push(['c', q.nowNs()]));
    q.schedule(100, () => seen.push(['a', q.nowNs()]));
    q.schedule(200, () => seen.push(['b', q.nowNs()]));
    q.advanceTo(250);
    expect(seen).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(q.nowNs()).toBe(250);
    q.advanceBy(100);
    expect(seen.at(-1)).toEqual(['c', 300]);
  });

  it('cancels, and fires timers that callbacks schedule within the same advance', () => {
    const q = new VirtualClock();
    const fired: number[] = [];
    const h = q.schedule(10, () => fired.push(10));
    q.cancel(h);
    q.schedule(20, () => q.schedule(30, () => fired.push(30)));
    q.advanceTo(40);
    expect(fired).toEqual([30]);
    expect(q.pendingTimers).toBe(0);
    expect(() => q.advanceTo(39)).toThrow(RangeError);
  });
});
