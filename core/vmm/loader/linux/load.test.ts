// The Linux boot protocol loader on synthetic bzImages whose headers follow
// Documentation/arch/x86/boot.rst; every offset checked below is from boot.rst or
// zero-page.rst, every descriptor and page-table value from the SDM.
import { describe, expect, it } from 'vitest';
import { loadLinux, type LinuxOptions } from './load.ts';

const MiB = 1024 * 1024;

interface Fake {
  version?: number;
  loadflags?: number;
  relocatable?: boolean;
  xloadflags?: number;
  initSize?: number;
  prefAddress?: number;
  initrdAddrMax?: number;
  kernelBytes?: number;
}

/** setup_sects 4 (2560 bytes of setup), header to 0x268, then the protected-mode kernel. */
function bzImage(f: Fake = {}): Uint8Array {
  const kernelBytes = f.kernelBytes ?? 0x10000;
  const img = new Uint8Array(5 * 512 + kernelBytes);
  const dv = new DataView(img.buffer);
  dv.setUint8(0x1f1, 4); // setup_sects
  dv.setUint16(0x1fe, 0xaa55, true); // boot_flag
  dv.setUint8(0x200, 0xeb); // jump short ...
  dv.setUint8(0x201, 0x66); // ... to 0x268: the header ends there
  dv.setUint32(0x202, 0x53726448, true); // "HdrS"
  dv.setUint16(0x206, f.version ?? 0x020f, true);
  dv.setUint8(0x211, f.loadflags ?? 0x01); // LOADED_HIGH
  dv.setUint32(0x214, 0x100000, true); // code32_start
  dv.setUint32(0x22c, f.initrdAddrMax ?? 0x7fffffff, true);
  dv.setUint32(0x230, 0x200000, true); // kernel_alignment
  dv.setUint8(0x234, f.relocatable === false ? 0 : 1);
  dv.setUint16(0x236, f.xloadflags ?? 0x1, true); // XLF_KERNEL_64
  dv.setUint32(0x238, 2047, true); // cmdline_size
  dv.setUint32(0x258, f.prefAddress ?? 0x1000000, true);
  dv.setUint32(0x260, f.initSize ?? 0x800000, true);
  for (let i = 0; i < kernelBytes; i++) img[2560 + i] = (i * 7) & 0xff;
  return img;
}

function ram(size: number) {
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  return { bytes, dv, writer: { ramSize: size, write: (gpa: number, b: Uint8Array) => bytes.set(b, gpa) } };
}

function load(img: Uint8Array, size = 64 * MiB, o: Partial<LinuxOptions> = {}) {
  const r = ram(size);
  const res = loadLinux(img, { ram: r.writer, cmdline: 'console=ttyS0', longMode: false, ...o });
  return { ...r, res };
}

describe('bzImage recognition (boot.rst "THE REAL-MODE KERNEL HEADER")', () => {
  it('wants "HdrS", protocol 2.06+ and LOADED_HIGH', () => {
    const noMagic = bzImage();
    noMagic[0x202] = 0;
    expect(load(noMagic).res).toMatchObject({ ok: false, error: { kind: 'not-bzimage' } });
    const old = load(bzImage({ version: 0x0205 })).res;
    expect(old).toMatchObject({ ok: false, error: { kind: 'old-protocol', version: 0x0205 } });
    expect(!old.ok && old.error.message).toContain('2.05');
    expect(load(bzImage({ loadflags: 0 })).res).toMatchObject({ ok: false, error: { kind: 'not-bzimage' } });
    expect(load(bzImage().subarray(0, 0x300)).res).toMatchObject({ ok: false, error: { kind: 'truncated' } });
  });
});

describe('placement', () => {
  it('loads a relocatable kernel at pref_address, a fixed one at 0x100000', () => {
    const a = load(bzImage());
    expect(a.res.ok && a.res.info.loadAddr).toBe(0x1000000);
    expect(a.bytes[0x1000000 + 1]).toBe(7);
    const b = load(bzImage({ relocatable: false }));
    expect(b.res.ok && b.res.info.loadAddr).toBe(0x100000);
    expect(b.bytes[0x100000 + 2]).toBe(14);
    // The real-mode setup goes to 0x10000 and the command line to 0x20000, as QEMU puts them.
    expect(b.dv.getUint32(0x10000 + 0x202, true)).toBe(0x53726448);
    expect(new TextDecoder().decode(b.bytes.subarray(0x20000, 0x2000e))).toBe('console=ttyS0\0');
  });

  it('puts the initrd page aligned at the top of RAM, below initrd_addr_max', () => {
    const initrd = new Uint8Array(5000).fill(0xab);
    const a = load(bzImage(), 64 * MiB, { initrd });
    expect(a.res.ok && a.res.info.initrd).toEqual({ addr: 64 * MiB - 0x2000, size: 5000 });
    expect(a.bytes[64 * MiB - 0x2000 + 4999]).toBe(0xab);
    const b = load(bzImage({ initrdAddrMax: 0x2ffffff }), 64 * MiB, { initrd });
    expect(b.res.ok && b.res.info.initrd).toEqual({ addr: 0x3000000 - 0x2000, size: 5000 });
  });

  it('says how much memory the kernel and the initrd need when they do not fit', () => {
    const k = load(bzImage({ initSize: 60 * MiB }), 64 * MiB).res;
    expect(k).toMatchObject({ ok: false, error: { kind: 'does-not-fit' } });
    expect(!k.ok && k.error.message).toMatch(
      /init_size 62914560.*needs RAM up to 0x4c00000 \(76\.0 MiB\).*--mem is 64\.0 MiB/,
    );
    const i = load(bzImage(), 32 * MiB, { initrd: new Uint8Array(20 * MiB) }).res;
    expect(i).toMatchObject({ ok: false, error: { kind: 'does-not-fit' } });
    expect(!i.ok && i.error.message).toContain('initrd (20971520 bytes');
    const c = load(bzImage(), 64 * MiB, { cmdline: 'x'.repeat(2048) }).res;
    expect(c).toMatchObject({ ok: false, error: { kind: 'cmdline-too-long' } });
  });
});

describe('the zero page (zero-page.rst offsets)', () => {
  it('carries the setup header and the loader-written fields', () => {
    const initrd = new Uint8Array(4096);
    const { dv, bytes, res } = load(bzImage(), 64 * MiB, { initrd, acpiRsdpAddr: 0xe0000 });
    expect(res.ok && res.entry.rsi).toBe(0x7000);
    const bp = (off: number) => 0x7000 + off;
    expect(dv.getUint16(bp(0x1fe), true)).toBe(0xaa55); // boot_flag, copied
    expect(dv.getUint32(bp(0x202), true)).toBe(0x53726448); // header, copied
    expect(dv.getUint16(bp(0x206), true)).toBe(0x020f); // version, copied
    expect(dv.getUint16(bp(0x1fa), true)).toBe(0xffff); // vid_mode: normal
    expect(dv.getUint8(bp(0x210))).toBe(0xff); // type_of_loader: undefined loader
    expect(dv.getUint8(bp(0x211))).toBe(0x81); // loadflags: LOADED_HIGH | CAN_USE_HEAP
    expect(dv.getUint32(bp(0x214), true)).toBe(0x1000000); // code32_start: where it was loaded
    expect(dv.getUint32(bp(0x218), true)).toBe(64 * MiB - 4096); // ramdisk_image
    expect(dv.getUint32(bp(0x21c), true)).toBe(4096); // ramdisk_size
    expect(dv.getUint16(bp(0x224), true)).toBe(0xfe00); // heap_end_ptr
    expect(dv.getUint32(bp(0x228), true)).toBe(0x20000); // cmd_line_ptr
    expect(dv.getUint32(bp(0x23c), true)).toBe(0); // hardware_subarch: X86_SUBARCH_PC
    expect(dv.getUint32(bp(0x070), true)).toBe(0xe0000); // acpi_rsdp_addr
    expect(bytes[bp(0x268)]).toBe(0); // nothing copied past the header's end
  });

  it('has an e820 table with RAM, the BIOS areas, the PCI ECAM and the APIC pages', () => {
    const { dv } = load(bzImage(), 64 * MiB);
    const n = dv.getUint8(0x7000 + 0x1e8); // e820_entries
    const entries = Array.from({ length: n }, (_, i) => {
      const at = 0x7000 + 0x2d0 + 20 * i; // struct boot_e820_entry: u64 addr, u64 size, u32 type
      return [dv.getUint32(at, true), dv.getUint32(at + 8, true), dv.getUint32(at + 16, true)];
    });
    expect(entries).toEqual([
      [0, 0x9fc00, 1],
      [0x9fc00, 0x400, 2],
      [0xe0000, 0x20000, 2],
      [0x100000, 63 * MiB, 1],
      [0xe0000000, 0x10000000, 2],
      [0xfec00000, 0x1000, 2],
      [0xfee00000, 0x1000, 2],
    ]);
  });

  it('leaves acpi_rsdp_addr alone before protocol 2.14', () => {
    const { dv } = load(bzImage({ version: 0x020d }), 64 * MiB, { acpiRsdpAddr: 0xe0000 });
    expect(dv.getUint32(0x7000 + 0x070, true)).toBe(0);
  });
});

describe('entry state (boot.rst 32-bit and 64-bit BOOT PROTOCOL)', () => {
  it('32-bit: flat __BOOT_CS/__BOOT_DS, paging off, at code32_start', () => {
    const { dv, res } = load(bzImage({ relocatable: false }));
    if (!res.ok) throw new Error(res.error.message);
    const e = res.entry;
    expect([e.longMode, e.rip, e.cs.selector, e.data.selector, e.cr0 & 0x80000001, e.eflags]).toEqual([
      false,
      0x100000,
      0x10,
      0x18,
      1,
      2,
    ]);
    expect(e.cs).toMatchObject({ base: 0, limit: 0xffffffff, db: 1, l: 0 });
    // GDT entries 2 and 3: 0x00cf9a000000ffff and 0x00cf92000000ffff (SDM Vol. 3A 3.4.5).
    expect([dv.getUint32(e.gdtr.base + 0x10, true), dv.getUint32(e.gdtr.base + 0x14, true)]).toEqual([
      0xffff, 0x00cf9a00,
    ]);
    expect([dv.getUint32(e.gdtr.base + 0x18, true), dv.getUint32(e.gdtr.base + 0x1c, true)]).toEqual([
      0xffff, 0x00cf9200,
    ]);
  });

  it('64-bit: startup_64 at load + 0x200, long mode, identity-mapped', () => {
    const { dv, res } = load(bzImage(), 64 * MiB, { longMode: true });
    if (!res.ok) throw new Error(res.error.message);
    const e = res.entry;
    expect([e.longMode, e.rip, e.efer, e.cr4, e.cr0 >>> 31]).toEqual([true, 0x1000200, 0x500, 0x20, 1]);
    expect(e.cs).toMatchObject({ l: 1, db: 0 });
    expect(dv.getUint32(e.gdtr.base + 0x14, true)).toBe(0x00af9a00); // L=1 code
    // PML4[0] -> PDPT, PDPT[0] -> PD, PD[8] maps 16 MiB with PS (SDM Vol. 3A 4.5, Table 4-17).
    const pdpt = dv.getUint32(e.cr3, true) & ~0xfff;
    const pd = dv.getUint32(pdpt, true) & ~0xfff;
    expect(dv.getUint32(e.cr3, true) & 3).toBe(3);
    expect(dv.getUint32(pd + 8 * 8, true)).toBe(0x1000000 | 0x83);
    // 3 GiB + 2 MiB through PDPT[3].
    const pd3 = dv.getUint32(pdpt + 24, true) & ~0xfff;
    expect(dv.getUint32(pd3 + 8, true) >>> 0).toBe((0xc0200000 | 0x83) >>> 0);
  });

  it('a kernel without XLF_KERNEL_64 is entered in 32-bit mode even on a long-mode vCPU', () => {
    const { res } = load(bzImage({ xloadflags: 0 }), 64 * MiB, { longMode: true });
    expect(res.ok && res.entry.longMode).toBe(false);
  });
});
