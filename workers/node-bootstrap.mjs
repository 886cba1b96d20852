// Node workers cannot load TypeScript by themselves: register tsx in the worker, then load
// the TypeScript entry named in workerData.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
