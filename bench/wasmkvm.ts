// wasmkvm: bench.elf on the VMM's Machine, the vCPU in a worker_threads worker. COM1 output
// reaches us from the IO exit of the guest's OUT, with the vCPU stopped in it, so both the
// host clock and the instruction counter (shared-memory vCPU statistics) are read at the
// guest's write.
import { Machine, type MachineResult, type MachineStats } from '../core/vmm/machine.ts';
import { nodePlatform } from '../workers/node.ts';
import { MarkerParser, type WorkloadTiming } from './markers.ts';

export interface WasmkvmRunResult {
  workloads: WorkloadTiming[];
  error?: string;
  stats?: MachineStats;
  /** From Machine.run() to its end, and the guest instructions over that time. */
  totalMs?: number;
}

function describe(r: MachineResult): string {
  switch (r.kind) {
    case 'debug-exit':
      return `guest exited through isa-debug-exit with status ${r.status} (value ${r.status >> 1})`;
    case 'shutdown':
      return `guest shut down (KVM_EXIT_SHUTDOWN): ${r.detail}`;
    case 'internal-error':
      return `KVM_EXIT_INTERNAL_ERROR: ${r.detail}`;
    case 'system-event':
      return `KVM_EXIT_SYSTEM_EVENT type ${r.type}`;
    case 'stopped':
      return 'stopped';
    case 'worker-died':
      return `vCPU worker died: ${r.detail}`;
  }
}

export async function runWasmkvm(
  elf: Uint8Array,
  o: { memBytes: number; timeoutMs: number; onWorkload?: (w: WorkloadTiming) => void },
): Promise<WasmkvmRunResult> {
  const booted: { machine?: Machine } = {};
  const markers = new MarkerParser(undefined, () => booted.machine?.stats().instructions ?? 0, o.onWorkload);
  const created = await Machine.create({
    kernel: { name: 'bench.elf', data: elf },
    memBytes: o.memBytes,
    platform: nodePlatform,
    onSerialOutput: (bytes) => markers.feed(bytes),
  });
  if (!created.ok) return { workloads: [], error: created.error };
  const machine = (booted.machine = created.machine);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    machine.stop();
  }, o.timeoutMs);
  try {
    const t0 = performance.now();
    const r = await machine.run();
    const totalMs = performance.now() - t0;
    const stats = machine.stats();
    const where = markers.running ? ` (in ${markers.running})` : '';
    let error: string | undefined;
    if (timedOut) error = `timed out after ${o.timeoutMs / 1000} s${where}`;
    else if (r.kind !== 'debug-exit' || r.status !== 1 || !markers.done) error = `${describe(r)}${where}`;
    return { workloads: markers.workloads, error, stats, totalMs };
  } finally {
    clearTimeout(timer);
    await machine.destroy();
  }
}
