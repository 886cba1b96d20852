// The Machine's `cpu.vendor` (the CLI's --cpu vendor=) end to end on the inline vCPU: the VMM
// puts the vendor in the table it hands to KVM_SET_CPUID2, and a guest's CPUID leaf 0 reads
// it back (SDM Vol. 2A CPUID leaf 0: EBX holds the first four characters, "Genu" / "Auth").
import { describe, expect, it } from 'vitest';
import { inlineSpawner } from '../../core/kvm/inline.ts';
import { Machine } from '../../core/vmm/machine.ts';
import type { CpuVendor } from '../../core/cpu/cpuid.ts';
import { tinyBzImage } from '../../core/vmm/loader/test-images.ts';

// bits 32: xor eax, eax / cpuid / mov eax, ebx / out 0xf4, al / hlt
const GUEST = [0x31, 0xc0, 0x0f, 0xa2, 0x89, 0xd8, 0xe6, 0xf4, 0xf4];


async function firstVendorByte(vendor: CpuVendor | undefined, smp = 1): Promise<unknown> {
  const created = await Machine.create({
    kernel: { name: 'bz', data: tinyBzImage(GUEST) },
    memBytes: 16 * 1024 * 1024,
    smp,
    cpu: vendor === undefined ? undefined : { vendor },
    platform: { spawnVcpu: inlineSpawner },
    onSerialOutput: () => {},
  });
  if (!created.ok) throw new Error(created.error);
  const result = await created.machine.run();
  await created.machine.destroy();
  return result;
}

const exitWith = (c: string): unknown => ({ kind: 'debug-exit', status: (c.charCodeAt(0) << 1) | 1 });

describe('Machine cpu.vendor', () => {
  it('GenuineIntel by default; AuthenticAMD when asked, with one vCPU and with two', async () => {
    expect(await firstVendorByte(undefined)).toEqual(exitWith('G'));
    expect(await firstVendorByte('AuthenticAMD')).toEqual(exitWith('A'));
    expect(await firstVendorByte('AuthenticAMD', 2)).toEqual(exitWith('A'));
  });

  it('refuses another vendor', async () => {
    const created = await Machine.create({
      kernel: { name: 'bz', data: tinyBzImage(GUEST) },
      memBytes: 16 * 1024 * 1024,
      cpu: { vendor: 'CyrixInstead' as CpuVendor },
      platform: { spawnVcpu: inlineSpawner },
      onSerialOutput: () => {},
    });
    expect(created.ok ? '' : created.error).toMatch(/CPU vendor "CyrixInstead": must be GenuineIntel or AuthenticAMD/);
  });
});
