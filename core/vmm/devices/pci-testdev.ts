// QEMU's pci-testdev (hw/misc/pci-testdev.c), used by kvm-unit-tests' lib/pci-testdev.c to
// check that MMIO and port I/O writes reach a PCI device: Red Hat 1b36:0005, class "other",
// no interrupt pin, BAR0 4 KiB of memory, BAR1 256 I/O ports. Six tests, three per space:
// writing n (0-2) to offset 0 of a BAR starts test "<mmio|portio>-<no-eventfd|wildcard-eventfd|
// datamatch-eventfd>"; reads return its header byte by byte:
//   struct { u8 test; u8 width; u8 pad[2]; le32 offset; u8 data; u8 pad[3]; le32 count; char name[]; }
// and each byte write at `offset` counts, if the test matches data, only when the byte is
// `data` (0xFA; 0xCE for wildcard). Both BARs are byte-wide (QEMU impl.max_access_size 1).
import { PciFunction } from '../pci/function.ts';
import { PCI_CLASS_OTHERS } from '../pci/regs.ts';
import type { PioDevice } from '../bus.ts';

export const PCI_VENDOR_ID_REDHAT = 0x1b36;
export const PCI_DEVICE_ID_REDHAT_TEST = 0x0005;
const IOTEST_IOSIZE = 128;
const IOTEST_MEMSIZE = 2048;
const IOTEST_DATAMATCH = 0xfa;
const IOTEST_NOMATCH = 0xce;
const TESTS = ['no-eventfd', 'wildcard-eventfd', 'datamatch-eventfd'] as const;
const TYPES = ['mmio', 'portio'] as const;
const HDR_OFFSET = 4;
const HDR_DATA = 8;
const HDR_COUNT = 12;
const HDR_NAME = 16;

interface IoTest {
  readonly hdr: Uint8Array;
  readonly offset: number;
  readonly data: number;
  readonly matchData: boolean;
}

function makeTest(i: number): IoTest {
  const type = TYPES[Math.floor(i / TESTS.length)];
  const name = `${type}-${TESTS[i % TESTS.length]}`;
  const hdr = new Uint8Array(HDR_NAME + name.length + 1);
  const dv = new DataView(hdr.buffer);
  const matchData = TESTS[i % TESTS.length] !== 'wildcard-eventfd';
  const offset = (type === 'mmio' ? IOTEST_MEMSIZE : IOTEST_IOSIZE) + i;
  const data = matchData ? IOTEST_DATAMATCH : IOTEST_NOMATCH;
  hdr[0] = i; // test
  hdr[1] = 1; // width: byte accesses
  dv.setUint32(HDR_OFFSET, offset, true);
  hdr[HDR_DATA] = data;
  for (let c = 0; c < name.length; c++) hdr[HDR_NAME + c] = name.charCodeAt(c);
  return { hdr, offset, data, matchData };
}

/** One BAR's byte-wide window onto the device, bound once the device exists. */
class Region implements PioDevice {
  readonly maxAccessSize = 1;
  dev: PciTestdev | undefined;
  constructor(private readonly type: number) {}
  read(offset: number): number {
    return this.dev?.readHeader(offset) ?? 0;
  }
  write(offset: number, _size: number, value: number): void {
    this.dev?.access(this.type, offset, value);
  }
}

export class PciTestdev extends PciFunction {
  private readonly tests = Array.from({ length: TESTS.length * TYPES.length }, (_, i) => makeTest(i));
  private current = -1;

  constructor() {
    const mem = new Region(0);
    const io = new Region(1);
    super(
      {
        vendorId: PCI_VENDOR_ID_REDHAT,
        deviceId: PCI_DEVICE_ID_REDHAT_TEST,
        revision: 0,
        classCode: PCI_CLASS_OTHERS,
      },
      [
        { kind: 'mem32', size: IOTEST_MEMSIZE * 2, region: mem },
        { kind: 'io', size: IOTEST_IOSIZE * 2, region: io },
      ],
    );
    mem.dev = this;
    io.dev = this;
  }

  /** A byte write to BAR `type` (0 memory, 1 I/O) at `offset`. */
  access(type: number, offset: number, value: number): void {
    if (offset === 0) {
      this.current = -1;
      if (value >= TESTS.length) return;
      this.current = type * TESTS.length + value;
      new DataView(this.tests[this.current].hdr.buffer).setUint32(HDR_COUNT, 0, true);
      return;
    }
    if (this.current < 0) return;
    const t = this.tests[this.current];
    if (offset !== t.offset || (t.matchData && value !== t.data)) return;
    const dv = new DataView(t.hdr.buffer);
    dv.setUint32(HDR_COUNT, (dv.getUint32(HDR_COUNT, true) + 1) >>> 0, true);
  }

  readHeader(offset: number): number {
    if (this.current < 0) return 0;
    const hdr = this.tests[this.current].hdr;
    // QEMU: "if (addr + size >= test->bufsize) return 0".
    return offset + 1 >= hdr.length ? 0 : hdr[offset];
  }

  override reset(): void {
    super.reset();
    this.current = -1;
  }
}
