// The browser platform: each vCPU in a module Worker, driven with comlink. Needs
// cross-origin isolation for the SharedArrayBuffer behind the guest memory.
import * as Comlink from 'comlink';
import type { VcpuSpawner } from '../core/kvm/backend.ts';
import type { KvmPlatform } from '../core/kvm/kvm.ts';
import { remoteBackend } from './remote-backend.ts';
import type { VcpuApi } from './vcpu-api.ts';

export const spawnBrowserVcpu: VcpuSpawner = async (memory, id) => {
  const worker = new Worker(new URL('./vcpu.worker.ts', import.meta.url), { type: 'module', name: `vcpu${id}` });
  const died = new Promise<string>((resolve) => {
    worker.addEventListener('error', (e) => resolve(e.message || 'worker error'));
    worker.addEventListener('messageerror', () => resolve('message error'));
  });
  const api = Comlink.wrap<VcpuApi>(worker);
  const backend = remoteBackend(api, died, () => worker.terminate());
  await Promise.race([api.init(memory, id), died.then((why) => Promise.reject(new Error(`vCPU worker failed to start: ${why}`)))]);
  return backend;
};

export const browserPlatform: KvmPlatform = { spawnVcpu: spawnBrowserVcpu };
