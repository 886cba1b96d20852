// Node worker_threads entry of a vCPU (started through node-bootstrap.mjs).
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createVcpuApi } from './vcpu-api.ts';

if (!parentPort) throw new Error('vcpu.node-worker.ts must run in a worker thread');
Comlink.expose(createVcpuApi(() => process.exit(0)), nodeEndpoint(parentPort));
