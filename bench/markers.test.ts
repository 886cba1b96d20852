import { describe, expect, it } from 'vitest';
import { MarkerParser } from './markers.ts';
import { compare } from './report.ts';
import { mergeRun, type WorkloadResult } from './result.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('MarkerParser', () => {
  it('times a workload from the BEGIN line feed to the first byte of its END line', () => {
    let clock = 0;
    let counter = 1000;
    const p = new MarkerParser(
      () => clock,
      () => counter,
    );
    p.feed(bytes('BENCH fib BEGIN int\r'));
    clock = 10;
    p.byte(0x0a); // BEGIN ends at t = 10, 1000 instructions
    clock = 50;
    counter = 5000;
    p.byte(bytes('B')[0]); // END starts at t = 50
    clock = 99;
    p.feed(bytes('ENCH fib END 00213d05\r\nBENCH DONE\r\n'));
    expect(p.workloads).toEqual([
      { name: 'fib', kind: 'int', checksum: '00213d05', ms: 40, startSample: 1000, endSample: 5000 },
    ]);
    expect(p.done).toBe(true);
    expect(p.running).toBeUndefined();
  });

  it('keeps a workload that never ended as running, and other lines aside', () => {
    const p = new MarkerParser(() => 0);
    p.feed(bytes('hello\nBENCH list BEGIN int\nBENCH fib END 00000001\n'));
    expect(p.workloads).toEqual([]);
    expect(p.running).toBe('list');
    expect(p.otherLines).toEqual(['hello', 'BENCH fib END 00000001']);
  });
});

describe('compare', () => {
  it('computes ratios against native and flags checksum mismatches', () => {
    const c = compare([
      {
        engine: 'native',
        ok: true,
        workloads: [{ name: 'a', kind: 'int', checksum: '00000001', samplesMs: [3, 2] }],
      },
      {
        engine: 'v86',
        ok: true,
        workloads: [{ name: 'a', kind: 'int', checksum: '00000001', samplesMs: [40] }],
      },
      {
        engine: 'wasmkvm',
        ok: true,
        workloads: [{ name: 'a', kind: 'int', checksum: '00000002', samplesMs: [20], instructions: 4e6 }],
      },
    ]);
    expect(c.rows[0]).toMatchObject({
      checksum: '00000001',
      wasmkvmOverNative: 10,
      v86OverNative: 20,
      v86OverWasmkvm: 2,
      mips: 200,
    });
    expect(c.mismatches).toEqual(['a: native, v86 00000001 / wasmkvm 00000002']);
    expect(c.geomean.int.v86OverWasmkvm).toBeCloseTo(2);
  });

  it('keeps one geometric mean per kind of workload', () => {
    const w = (name: string, kind: string, ms: number): WorkloadResult => ({
      name,
      kind,
      checksum: '00000001',
      samplesMs: [ms],
    });
    const c = compare([
      {
        engine: 'native',
        ok: true,
        workloads: [w('i1', 'int', 1), w('f1', 'float', 1), w('f2', 'float', 1)],
      },
      {
        engine: 'wasmkvm',
        ok: true,
        workloads: [w('i1', 'int', 3), w('f1', 'float', 4), w('f2', 'float', 16)],
      },
    ]);
    expect(Object.keys(c.geomean)).toEqual(['int', 'float']);
    expect(c.geomean.int.wasmkvmOverNative).toBeCloseTo(3);
    expect(c.geomean.float.wasmkvmOverNative).toBeCloseTo(8);
    expect(c.geomean.float.v86OverNative).toBeUndefined();
    expect(c.mismatches).toEqual([]);
  });

  it('reports a float workload whose checksum differs from the host CPU', () => {
    const c = compare([
      {
        engine: 'native',
        ok: true,
        workloads: [{ name: 'fft-x87', kind: 'float', checksum: '0000000a', samplesMs: [1] }],
      },
      {
        engine: 'v86',
        ok: true,
        workloads: [{ name: 'fft-x87', kind: 'float', checksum: '0000000b', samplesMs: [9] }],
      },
    ]);
    expect(c.rows[0].checksum).toBe('0000000a');
    expect(c.mismatches).toEqual(['fft-x87: native 0000000a / v86 0000000b']);
  });

  it('rejects a run whose checksum differs from an earlier run of the same engine', () => {
    const into = [{ name: 'a', kind: 'int', checksum: '00000001', samplesMs: [1] }];
    expect(mergeRun(into, [{ name: 'a', kind: 'int', checksum: '00000001', ms: 2 }])).toBeUndefined();
    expect(into[0].samplesMs).toEqual([1, 2]);
    expect(mergeRun(into, [{ name: 'a', kind: 'int', checksum: '00000003', ms: 2 }])).toMatch(
      /checksum 00000003 in run 3/,
    );
  });
});
