// The Node platform: each vCPU in a worker_threads Worker, driven with comlink.
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { VcpuSpawner } from '../core/kvm/backend.ts';
import type { KvmPlatform } from '../core/kvm/kvm.ts';
import { remoteBackend } from './remote-backend.ts';
import type { VcpuApi } from './vcpu-api.ts';

export const spawnNodeVcpu: VcpuSpawner = async (memory, id) => {
  const worker = new Worker(new URL('./node-bootstrap.mjs', import.meta.url), {
    workerData: { entry: new URL('./vcpu.node-worker.ts', import.meta.url).href },
    name: `vcpu${id}`,
  });
  // A vCPU worker must not keep the process alive once the VMM is done with it.
  worker.unref();
  const died = new Promise<string>((resolve) => {
    worker.once('error', (e) => resolve(e instanceof Error ? e.message : String(e)));
    worker.once('exit', (code) => resolve(`exited with code ${code}`));
  });
  const api = Comlink.wrap<VcpuApi>(nodeEndpoint(worker));
  const backend = remoteBackend(api, died, () => void worker.terminate());
  await Promise.race([api.init(memory, id), died.then((why) => Promise.reject(new Error(`vCPU worker failed to start: ${why}`)))]);
  return backend;
};

export const nodePlatform: KvmPlatform = { spawnVcpu: spawnNodeVcpu };
