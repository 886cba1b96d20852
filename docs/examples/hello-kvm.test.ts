import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { helloKvm } from './hello-kvm.ts';

describe('docs/api.md example VMM', () => {
  it('prints 2 + 2 from the guest through an I/O exit, in a vCPU worker', async () => {
    expect(await helloKvm()).toBe('4\n');
  });

  it('is quoted verbatim in docs/api.md', () => {
    const doc = readFileSync(new URL('../api.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./hello-kvm.ts', import.meta.url), 'utf8');
    expect(doc).toContain(example.trim());
  });
});
