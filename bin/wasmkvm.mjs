#!/usr/bin/env node
// The wasmkvm command. The project is TypeScript run through tsx (no build step): register
// the loader, then hand over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const status = await main(process.argv.slice(2));
process.exitCode = status;
// vCPU workers are unref'ed; stdin may still hold the loop open in raw mode.
setImmediate(() => process.exit(status));
