import { describe, expect, it } from 'vitest';
import { GUEST_RAM_BASE, MAX_VCPUS, VCPU_AREA_BASE, VCPU_AREA_SIZE, VCPU_STATE, VM_AREA_SIZE, VM_STATE, type Field } from './layout.ts';

function checkNoOverlap(fields: Field[], size: number): void {
  const sorted = [...fields].sort((a, b) => a.offset - b.offset);
  for (let i = 0; i < sorted.length; i++) {
    const f = sorted[i];
    expect(f.offset % f.size, `${f.name} is aligned`).toBe(0);
    const end = f.offset + f.size * f.count;
    expect(end).toBeLessThanOrEqual(size);
    if (i + 1 < sorted.length) expect(end, `${f.name} ends before ${sorted[i + 1].name}`).toBeLessThanOrEqual(sorted[i + 1].offset);
  }
}

describe('shared memory layout', () => {
  it('vCPU state fields do not overlap and are naturally aligned', () => {
    checkNoOverlap(Object.values(VCPU_STATE.fields), VCPU_STATE.size);
  });

  it('VM state fields do not overlap and fit the VM area', () => {
    checkNoOverlap(Object.values(VM_STATE.fields), VM_STATE.size);
    expect(VM_STATE.size).toBeLessThanOrEqual(VM_AREA_SIZE);
  });

  it('vCPU areas hold the state and end before guest RAM', () => {
    expect(VCPU_STATE.size).toBeLessThanOrEqual(VCPU_AREA_SIZE);
    expect(VCPU_AREA_BASE + MAX_VCPUS * VCPU_AREA_SIZE).toBeLessThanOrEqual(GUEST_RAM_BASE);
    // Guest RAM starts 2 MiB aligned so guest large pages are host-contiguous and aligned.
    expect(GUEST_RAM_BASE % (2 * 1024 * 1024)).toBe(0);
  });

  it('gives kvm_run a 4 KiB data page as Linux does for I/O exits', () => {
    const f = VCPU_STATE.fields.runData;
    expect(f.size * f.count).toBe(4096);
  });
});
