// The PC platform end to end on the inline vCPU: a synthetic bzImage entered through the
// 32-bit boot protocol checks its entry state (boot.rst: ESI = boot_params, CS = __BOOT_CS,
// DS = __BOOT_DS), the zero page's e820 count and acpi_rsdp_addr, the RSDP in the BIOS
// area and fw_cfg NB_CPUS, then resets through the PIIX reset control register (0xCF9 = 6)
// and, in the second life, powers off through ACPI S5 (SLP_TYP 0 | SLP_EN to PM1a_CNT).
// Any failed check ends in isa-debug-exit instead. Guest source: the comment beside the bytes.
import { describe, expect, it } from 'vitest';
import { inlineSpawner } from '../kvm/inline.ts';
import { KVM_SYSTEM_EVENT_SHUTDOWN } from '../kvm/exit-reason.ts';
import { Machine } from './machine.ts';
import { tinyBzImage } from './loader/test-images.ts';

// nasm -f bin, bits 32:
//   cmp esi, 0x7000 / jne fail / mov ax, cs / cmp ax, 0x10 / jne fail / mov ax, ds / cmp ax, 0x18 / jne fail
//   cmp byte [esi+0x1e8], 7 / jne fail          ; e820_entries
//   cmp dword [esi+0x70], 0xe0000 / jne fail    ; acpi_rsdp_addr
//   cmp dword [0xe0000], 'RSD ' / jne fail
//   mov dx, 0x510 / mov ax, 5 / out dx, ax / inc dx / in al, dx / cmp al, 1 / jne fail   ; fw_cfg NB_CPUS
//   cmp byte [0x500], 0x5a / je s5 / mov byte [0x500], 0x5a / mov dx, 0xcf9 / mov al, 6 / out dx, al / jmp fail
//   s5: mov dx, 0x604 / mov ax, 0x2000 / out dx, ax
//   fail: mov dx, 0xf4 / mov al, 1 / out dx, al / hlt
// prettier-ignore
const GUEST = [
  0x81, 0xfe, 0x00, 0x70, 0x00, 0x00, 0x75, 0x64, 0x66, 0x8c, 0xc8, 0x66, 0x83, 0xf8, 0x10, 0x75, 0x5b, 0x66, 0x8c, 0xd8,
  0x66, 0x83, 0xf8, 0x18, 0x75, 0x52, 0x80, 0xbe, 0xe8, 0x01, 0x00, 0x00, 0x07, 0x75, 0x49, 0x81, 0x7e, 0x70, 0x00, 0x00,
  0x0e, 0x00, 0x75, 0x40, 0x81, 0x3d, 0x00, 0x00, 0x0e, 0x00, 0x52, 0x53, 0x44, 0x20, 0x75, 0x34, 0x66, 0xba, 0x10, 0x05,
  0x66, 0xb8, 0x05, 0x00, 0x66, 0xef, 0x66, 0x42, 0xec, 0x3c, 0x01, 0x75, 0x23, 0x80, 0x3d, 0x00, 0x05, 0x00, 0x00, 0x5a,
  0x74, 0x10, 0xc6, 0x05, 0x00, 0x05, 0x00, 0x00, 0x5a, 0x66, 0xba, 0xf9, 0x0c, 0xb0, 0x06, 0xee, 0xeb, 0x0a, 0x66, 0xba,
  0x04, 0x06, 0x66, 0xb8, 0x00, 0x20, 0x66, 0xef, 0x66, 0xba, 0xf4, 0x00, 0xb0, 0x01, 0xee, 0xf4,
];

// S3 (kvm-unit-tests s3.c in small): FACS.firmware_waking_vector (FACS at 0xe0040, +12) =
// 0x1000 holding real-mode "mov al, 0x21 / out 0xf4, al / hlt"; then SLP_TYP 1 | SLP_EN.
//   mov dword [0xe004c], 0x1000 / mov dword [0x1000], 0xf4e621b0 / mov byte [0x1004], 0xf4
//   mov dx, 0x604 / mov ax, 0x2400 / out dx, ax / mov dx, 0xf4 / mov al, 1 / out dx, al / hlt
// prettier-ignore
const S3_GUEST = [
  0xc7, 0x05, 0x4c, 0x00, 0x0e, 0x00, 0x00, 0x10, 0x00, 0x00, 0xc7, 0x05, 0x00, 0x10, 0x00, 0x00, 0xb0, 0x21, 0xe6, 0xf4,
  0xc6, 0x05, 0x04, 0x10, 0x00, 0x00, 0xf4, 0x66, 0xba, 0x04, 0x06, 0x66, 0xb8, 0x00, 0x24, 0x66, 0xef, 0x66, 0xba, 0xf4,
  0x00, 0xb0, 0x01, 0xee, 0xf4,
];


describe('PC platform (Linux boot protocol, fw_cfg, ACPI reset and S5)', () => {
  it('boots the 32-bit entry, resets through 0xCF9 and powers off through PM1a_CNT', async () => {
    const created = await Machine.create({
      kernel: { name: 'bz', data: tinyBzImage(GUEST) },
      memBytes: 16 * 1024 * 1024,
      platform: { spawnVcpu: inlineSpawner },
      onSerialOutput: () => {},
    });
    if (!created.ok) throw new Error(created.error);
    const result = await created.machine.run();
    await created.machine.destroy();
    expect(result).toEqual({ kind: 'system-event', type: KVM_SYSTEM_EVENT_SHUTDOWN });
  });
});

describe('ACPI S3', () => {
  it('takes effect at the PM1a_CNT write and resumes at the FACS waking vector in real mode', async () => {
    const created = await Machine.create({
      kernel: { name: 'bz', data: tinyBzImage(S3_GUEST) },
      memBytes: 16 * 1024 * 1024,
      platform: { spawnVcpu: inlineSpawner },
      onSerialOutput: () => {},
    });
    if (!created.ok) throw new Error(created.error);
    const m = created.machine;
    const run = m.run();
    while (!m.suspended) await new Promise((r) => setTimeout(r, 5));
    expect(m.acpiWakeEvent('power-button')).toBe(true);
    const result = await run;
    await m.destroy();
    expect(result).toEqual({ kind: 'debug-exit', status: (0x21 << 1) | 1 });
  });
});
