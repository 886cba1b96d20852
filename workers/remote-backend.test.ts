// The VcpuBackend over a worker: a dead worker fails its calls instead of hanging them, and
// completed calls leave nothing behind (one KVM_RUN per exit: a guest printing to COM1 makes
// millions of them).
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { Remote } from 'comlink';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../core/kvm/vcpu-core.ts';
import { remoteBackend, WorkerDiedError } from './remote-backend.ts';
import type { VcpuApi } from './vcpu-api.ts';

function fakeApi(run: () => Promise<unknown>): Remote<VcpuApi> {
  return { run } as unknown as Remote<VcpuApi>;
}

describe('remoteBackend', () => {
  it('a call in flight when the worker dies rejects with what happened, and so does every later call', async () => {
    let die!: (why: string) => void;
    const died = new Promise<string>((resolve) => (die = resolve));
    const backend = remoteBackend(fakeApi(() => new Promise(() => {})), died, () => {});
    const pending = backend.run();
    die('exited with code 1');
    await expect(pending).rejects.toThrow(new WorkerDiedError('vCPU worker died: exited with code 1'));
    await expect(backend.run()).rejects.toBeInstanceOf(WorkerDiedError);
  });

  it('completed calls are not retained while the worker lives', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // As a real worker's: pending, with its resolver alive (the worker's 'exit' listener).
    let die: ((why: string) => void) | undefined;
    const died = new Promise<string>((resolve) => (die = resolve));
    const backend = remoteBackend(fakeApi(async () => ({ data: new Uint8Array(64) }) as unknown as RunResult), died, () => {});
    const calls = 200_000;
    for (let i = 0; i < 1000; i++) await backend.run();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < calls; i++) await backend.run();
    gc();
    // Retaining even one small closure per call would be over 100 bytes each, 20 MB here.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(4 << 20);
    die?.('test over');
  });
});
