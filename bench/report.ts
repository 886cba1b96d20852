// The comparison: one row per workload, checksums checked across engines, geometric means
// per kind of workload (integer, float), as a text table or as JSON.
import { best, type EngineName, type EngineResult } from './result.ts';

export interface Row {
  name: string;
  /** "int" or "float" (the guest's bench_table). */
  kind: string;
  checksum?: string;
  /** Best time of each engine that ran the workload, ms. */
  ms: Partial<Record<EngineName, number>>;
  /** wasmkvm time / native time: how much slower than the host CPU. */
  wasmkvmOverNative?: number;
  /** v86 time / native time. */
  v86OverNative?: number;
  /** v86 time / wasmkvm time: above 1, wasmkvm is faster. */
  v86OverWasmkvm?: number;
  /** wasmkvm guest instructions for the workload and millions of them per second. */
  instructions?: number;
  mips?: number;
}

export type Ratios = Pick<Row, 'wasmkvmOverNative' | 'v86OverNative' | 'v86OverWasmkvm'>;

export interface Comparison {
  rows: Row[];
  /**
   * Geometric means of the ratio columns for each kind of workload, in the order the kinds
   * first appear, over the workloads where both sides ran.
   */
  geomean: Record<string, Ratios>;
  /** Checksum disagreements, one line each. */
  mismatches: string[];
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

function geomean(xs: (number | undefined)[]): number | undefined {
  const v = xs.filter((x): x is number => x !== undefined && x > 0);
  return v.length ? Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length) : undefined;
}

export function compare(engines: EngineResult[]): Comparison {
  const names: string[] = [];
  for (const e of engines) for (const w of e.workloads) if (!names.includes(w.name)) names.push(w.name);
  const mismatches: string[] = [];
  const rows = names.map((name): Row => {
    const row: Row = { name, kind: '?', ms: {} };
    const sums = new Map<string, EngineName[]>();
    for (const e of engines) {
      const w = e.workloads.find((x) => x.name === name);
      if (!w) continue;
      row.ms[e.engine] = best(w);
      row.kind = w.kind;
      sums.set(w.checksum, [...(sums.get(w.checksum) ?? []), e.engine]);
      if (e.engine === 'wasmkvm' && w.instructions !== undefined) {
        row.instructions = w.instructions;
        row.mips = w.instructions / best(w) / 1e3;
      }
    }
    if (sums.size > 1)
      mismatches.push(`${name}: ${[...sums].map(([sum, who]) => `${who.join(', ')} ${sum}`).join(' / ')}`);
    // The native checksum is the reference: the real CPU ran the same code.
    row.checksum = [...sums].find(([, who]) => who.includes('native'))?.[0] ?? [...sums.keys()][0];
    row.wasmkvmOverNative = ratio(row.ms.wasmkvm, row.ms.native);
    row.v86OverNative = ratio(row.ms.v86, row.ms.native);
    row.v86OverWasmkvm = ratio(row.ms.v86, row.ms.wasmkvm);
    return row;
  });
  const kinds: Record<string, Ratios> = {};
  for (const kind of new Set(rows.map((r) => r.kind))) {
    const of = rows.filter((r) => r.kind === kind);
    kinds[kind] = {
      wasmkvmOverNative: geomean(of.map((r) => r.wasmkvmOverNative)),
      v86OverNative: geomean(of.map((r) => r.v86OverNative)),
      v86OverWasmkvm: geomean(of.map((r) => r.v86OverWasmkvm)),
    };
  }
  return { rows, mismatches, geomean: kinds };
}

function ms(x: number | undefined): string {
  return x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

function times(x: number | undefined): string {
  if (x === undefined) return '-';
  return `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2)}x`;
}

export function formatTable(c: Comparison): string {
  const header = [
    'workload',
    'native ms',
    'wasmkvm ms',
    'v86 ms',
    'wasmkvm/native',
    'v86/native',
    'v86/wasmkvm',
    'guest Minstr',
    'wasmkvm MIPS',
    'checksum',
  ];
  const lines = c.rows.map((r) => [
    r.name,
    ms(r.ms.native),
    ms(r.ms.wasmkvm),
    ms(r.ms.v86),
    times(r.wasmkvmOverNative),
    times(r.v86OverNative),
    times(r.v86OverWasmkvm),
    r.instructions === undefined ? '-' : (r.instructions / 1e6).toFixed(1),
    r.mips === undefined ? '-' : r.mips.toFixed(r.mips >= 100 ? 0 : 1),
    r.checksum ?? '-',
  ]);
  for (const [kind, g] of Object.entries(c.geomean))
    lines.push([
      `geomean ${kind}`,
      '',
      '',
      '',
      times(g.wasmkvmOverNative),
      times(g.v86OverNative),
      times(g.v86OverWasmkvm),
      '',
      '',
      '',
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((cell, i) =>
        i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return [fmt(header), ...lines.map(fmt)].join('\n');
}
