// What one engine (native, v86, wasmkvm) reports for the whole guest, over all its runs.
import type { WorkloadTiming } from './markers.ts';

export type EngineName = 'native' | 'v86' | 'wasmkvm';
export const ENGINES: readonly EngineName[] = ['native', 'v86', 'wasmkvm'];

export interface WorkloadResult {
  name: string;
  /** "int" or "float": which geometric mean of the report the workload joins. */
  kind: string;
  checksum: string;
  /** Wall-clock milliseconds of each run. */
  samplesMs: number[];
  /** Guest instructions retired by the workload (wasmkvm only, from its statistics). */
  instructions?: number;
}

export interface EngineResult {
  engine: EngineName;
  /** False when the engine could not run or a run ended before `BENCH DONE`. */
  ok: boolean;
  error?: string;
  workloads: WorkloadResult[];
  /** Engine-specific figures (wasmkvm: machine.stats() of the last run). */
  details?: Record<string, unknown>;
}

export function best(w: WorkloadResult): number {
  return Math.min(...w.samplesMs);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Merges one run's timings into the engine's results. A checksum that differs from an
 * earlier run of the same engine is an error: the guest is deterministic.
 */
export function mergeRun(into: WorkloadResult[], run: WorkloadTiming[]): string | undefined {
  for (const t of run) {
    const instructions =
      t.startSample !== undefined && t.endSample !== undefined ? t.endSample - t.startSample : undefined;
    const w = into.find((x) => x.name === t.name);
    if (!w) {
      into.push({ name: t.name, kind: t.kind, checksum: t.checksum, samplesMs: [t.ms], instructions });
      continue;
    }
    if (w.checksum !== t.checksum)
      return `${t.name}: checksum ${t.checksum} in run ${w.samplesMs.length + 1}, ${w.checksum} before`;
    w.samplesMs.push(t.ms);
  }
  return undefined;
}
