// Browser Worker entry of a vCPU.
import * as Comlink from 'comlink';
import { createVcpuApi } from './vcpu-api.ts';

Comlink.expose(createVcpuApi(() => self.close()));
