// The modern virtio PCI transport (Virtio 1.2, 4.1), driven the way Linux's virtio_pci
// modern driver drives it: find the vendor capabilities, negotiate features (3.1.1), set
// up queues, DRIVER_OK, kick, take the INTx interrupt and read ISR.
import { describe, expect, it } from 'vitest';
import type { AccessSize, IrqLine } from '../bus.ts';
import { PciHost } from '../pci/host.ts';
import { I440fxHostBridge } from '../pci/host-bridge.ts';
import { VirtioBlk } from './blk.ts';
import {
  VIRTIO_PCI_COMMON_DF,
  VIRTIO_PCI_COMMON_DFSELECT,
  VIRTIO_PCI_COMMON_GF,
  VIRTIO_PCI_COMMON_GFSELECT,
  VIRTIO_PCI_COMMON_MSIX,
  VIRTIO_PCI_COMMON_NUMQ,
  VIRTIO_PCI_COMMON_Q_AVAILLO,
  VIRTIO_PCI_COMMON_Q_DESCLO,
  VIRTIO_PCI_COMMON_Q_ENABLE,
  VIRTIO_PCI_COMMON_Q_NOFF,
  VIRTIO_PCI_COMMON_Q_SELECT,
  VIRTIO_PCI_COMMON_Q_SIZE,
  VIRTIO_PCI_COMMON_Q_USEDLO,
  VIRTIO_PCI_COMMON_STATUS,
} from './common-config.ts';
import { VirtioPciFunction } from './pci-transport.ts';
import { VirtioRng } from './rng.ts';
import { FlatMemory, ringLayout, SplitRingDriver } from './testing/fake-guest.ts';

const ACKNOWLEDGE = 1;
const DRIVER = 2;
const DRIVER_OK = 4;
const FEATURES_OK = 8;
const NEEDS_RESET = 0x40;
const MMIO_BASE = 0xc0000000;
const RING = 0x8000;
const BUF = 0x1000;

function setup(kind: 'rng' | 'blk' = 'rng') {
  const intx: IrqLine & { level: boolean } = {
    level: false,
    setLevel(l) {
      this.level = l;
    },
  };
  const host = new PciHost({ route: () => ({ line: intx, irq: 11 }) });
  host.attach(0, 0, new I440fxHostBridge());
  const mem = new FlatMemory(0x20000);
  const device =
    kind === 'rng'
      ? new VirtioRng((b) => b.fill(0x5a))
      : new VirtioBlk({ size: 4096, read: (o, l) => new Uint8Array(l).fill(o / 512), write: () => true });
  const fn = new VirtioPciFunction(device, mem);
  host.attach(3, 0, fn);
  host.assignResources({ io: { base: 0xc000, limit: 0x10000 }, mem: { base: MMIO_BASE, limit: 0xfec00000 } });
  const cfgRead = (reg: number, size: AccessSize) => {
    host.configAddressPort.write(0, 4, 0x80000000 | (3 << 11) | (reg & 0xfc));
    return host.configDataPort.read(reg & 3, size);
  };
  const cfgWrite = (reg: number, size: AccessSize, value: number) => {
    host.configAddressPort.write(0, 4, 0x80000000 | (3 << 11) | (reg & 0xfc));
    host.configDataPort.write(reg & 3, size, value);
  };
  cfgWrite(0x04, 2, 0x0006); // Linux: pci_enable_device() (memory) and pci_set_master()
  const bar = host.mmioWindow(MMIO_BASE);
  const common = {
    read: (off: number, size: AccessSize) => bar.read(off, size),
    write: (off: number, size: AccessSize, v: number) => bar.write(off, size, v),
  };
  /** Linux vp_modern_probe: walk the capability list for vendor caps (ID 0x09) by cfg_type. */
  const caps = () => {
    const found: { at: number; type: number; bar: number; offset: number; length: number; capLen: number }[] =
      [];
    for (let at = cfgRead(0x34, 1); at !== 0; at = cfgRead(at + 1, 1)) {
      if (cfgRead(at, 1) !== 0x09) continue;
      found.push({
        at,
        capLen: cfgRead(at + 2, 1),
        type: cfgRead(at + 3, 1),
        bar: cfgRead(at + 4, 1),
        offset: cfgRead(at + 8, 4),
        length: cfgRead(at + 12, 4),
      });
    }
    return found;
  };
  /** 3.1.1 steps 1-6 with `features` = [lo, hi] words. */
  const negotiate = (features: [number, number]) => {
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, 0);
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, ACKNOWLEDGE);
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, ACKNOWLEDGE | DRIVER);
    for (const sel of [0, 1]) {
      common.write(VIRTIO_PCI_COMMON_GFSELECT, 4, sel);
      common.write(VIRTIO_PCI_COMMON_GF, 4, features[sel]);
    }
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, ACKNOWLEDGE | DRIVER | FEATURES_OK);
    return common.read(VIRTIO_PCI_COMMON_STATUS, 1);
  };
  const setupQueue = (index: number, size: number) => {
    const layout = ringLayout(RING, size);
    common.write(VIRTIO_PCI_COMMON_Q_SELECT, 2, index);
    common.write(VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
    common.write(VIRTIO_PCI_COMMON_Q_DESCLO, 4, layout.desc);
    common.write(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, layout.avail);
    common.write(VIRTIO_PCI_COMMON_Q_USEDLO, 4, layout.used);
    common.write(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    return new SplitRingDriver(mem, layout);
  };
  const notify = (queue: number, offset = 0x3000 + 4 * queue) => bar.write(offset, 2, queue);
  return { host, fn, mem, intx, cfgRead, cfgWrite, common, caps, negotiate, setupQueue, notify, bar };
}

describe('virtio PCI discovery (4.1.2, 4.1.4)', () => {
  it('identifies as a modern-only device: 1AF4:1040+ID, revision 1, subsystem >= 0x40', () => {
    const { cfgRead } = setup('rng');
    expect(cfgRead(0x00, 4)).toBe(0x10441af4); // virtio-rng is device ID 4
    expect(cfgRead(0x08, 1)).toBe(1);
    expect(cfgRead(0x2e, 2)).toBeGreaterThanOrEqual(0x40);
    expect(cfgRead(0x3d, 1)).toBe(1); // INTA#
    expect(setup('blk').cfgRead(0x00, 4)).toBe(0x10421af4);
  });

  it('announces common, ISR, device, notify and PCI-cfg structures as vendor capabilities', () => {
    const { caps, cfgRead } = setup('rng');
    const found = caps();
    expect(found.map((c) => c.type)).toEqual([1, 3, 4, 2, 5]);
    expect(found.map((c) => c.capLen)).toEqual([16, 16, 16, 20, 20]);
    expect(found.every((c) => c.bar === 0)).toBe(true);
    const common = found[0];
    expect(common.length).toBeGreaterThanOrEqual(0x38); // sizeof(struct virtio_pci_common_cfg)
    const notify = found[3];
    const multiplier = cfgRead(notify.at + 16, 4);
    expect(multiplier % 2 === 0 && (multiplier & (multiplier - 1)) === 0).toBe(true); // even power of 2
    // 4.1.4.4.1: cap.length >= queue_notify_off * notify_off_multiplier + 2 for every queue
    expect(notify.length).toBeGreaterThanOrEqual(0 * multiplier + 2);
  });

  it('its BAR sizes as 16 KiB of 32-bit memory', () => {
    const { cfgRead, cfgWrite } = setup('rng');
    cfgWrite(0x10, 4, 0xffffffff);
    expect(cfgRead(0x10, 4)).toBe(0xffffc000);
  });
});

describe('device initialization (3.1.1) and operation', () => {
  it('negotiates VERSION_1, sets up a queue, runs a request and interrupts through INTx + ISR', () => {
    const { common, negotiate, setupQueue, notify, mem, intx, bar, fn } = setup('rng');
    common.write(VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
    expect(common.read(VIRTIO_PCI_COMMON_DF, 4) & 1).toBe(1); // VIRTIO_F_VERSION_1 = bit 32
    common.write(VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
    expect(common.read(VIRTIO_PCI_COMMON_DF, 4)).toBe((1 << 28) | (1 << 29)); // INDIRECT_DESC, EVENT_IDX
    expect(negotiate([0, 1]) & FEATURES_OK).toBe(FEATURES_OK);
    expect(common.read(VIRTIO_PCI_COMMON_NUMQ, 2)).toBe(1);
    expect(common.read(VIRTIO_PCI_COMMON_MSIX, 2)).toBe(0xffff); // VIRTIO_MSI_NO_VECTOR
    const q = setupQueue(0, 16);
    expect(common.read(VIRTIO_PCI_COMMON_Q_NOFF, 2)).toBe(0);
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
    const head = q.add([{ addr: BUF, len: 8, write: true }]);
    notify(0);
    expect(q.usedAll()).toEqual([{ id: head, len: 8 }]);
    expect(mem.bytes[BUF]).toBe(0x5a);
    expect(intx.level).toBe(true);
    expect(bar.read(0x1000, 1)).toBe(1); // ISR: queue interrupt
    expect(intx.level).toBe(false); // reading ISR deasserts
    expect(bar.read(0x1000, 1)).toBe(0);
    expect(fn.metrics.snapshot()).toEqual({});
  });

  it('buffers made available before DRIVER_OK are served when DRIVER_OK is set', () => {
    const { common, negotiate, setupQueue, notify } = setup('rng');
    negotiate([0, 1]);
    const q = setupQueue(0, 16);
    q.add([{ addr: BUF, len: 4, write: true }]);
    notify(0);
    expect(q.usedIdx()).toBe(0);
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
    expect(q.usedIdx()).toBe(1);
  });

  it('writing 0 to device_status resets: queue disabled, ISR clear, INTx released (2.4)', () => {
    const { common, negotiate, setupQueue, notify, intx, bar } = setup('rng');
    negotiate([0, 1]);
    const q = setupQueue(0, 16);
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
    q.add([{ addr: BUF, len: 4, write: true }]);
    notify(0);
    expect(intx.level).toBe(true);
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, 0);
    expect(intx.level).toBe(false);
    expect(common.read(VIRTIO_PCI_COMMON_STATUS, 1)).toBe(0);
    expect(common.read(VIRTIO_PCI_COMMON_Q_ENABLE, 2)).toBe(0);
    expect(common.read(VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(64); // back to the maximum
    expect(bar.read(0x1000, 1)).toBe(0);
  });

  it('the PCI configuration access capability reaches the BAR (4.1.4.9)', () => {
    const { caps, cfgRead, cfgWrite, fn } = setup('rng');
    const cap = caps().find((c) => c.type === 5);
    if (cap === undefined) throw new Error('no VIRTIO_PCI_CAP_PCI_CFG');
    cfgWrite(cap.at + 4, 1, 0); // bar
    cfgWrite(cap.at + 8, 4, VIRTIO_PCI_COMMON_NUMQ); // offset
    cfgWrite(cap.at + 12, 4, 2); // length
    expect(cfgRead(cap.at + 16, 2)).toBe(1); // num_queues through pci_cfg_data
    cfgWrite(cap.at + 8, 4, VIRTIO_PCI_COMMON_STATUS);
    cfgWrite(cap.at + 12, 4, 1);
    cfgWrite(cap.at + 16, 1, ACKNOWLEDGE);
    expect(fn.status).toBe(ACKNOWLEDGE);
    cfgWrite(cap.at + 8, 4, 0x13); // unaligned for length 2
    cfgWrite(cap.at + 12, 4, 2);
    cfgRead(cap.at + 16, 2);
    cfgWrite(cap.at + 12, 4, 3); // length 3
    cfgRead(cap.at + 16, 4);
    expect(fn.metrics.count('pci-cfg-bad-access')).toBe(2);
  });
});

describe('driver errors on the transport are counted, never thrown', () => {
  it('FEATURES_OK stays clear without VERSION_1 or with a feature not offered (2.2.2)', () => {
    const { negotiate, fn } = setup('rng');
    expect(negotiate([0, 0]) & FEATURES_OK).toBe(0);
    expect(negotiate([1 << 0, 1]) & FEATURES_OK).toBe(0);
    expect(negotiate([1 << 28, 1]) & FEATURES_OK).toBe(FEATURES_OK);
    expect(fn.metrics.count('features-rejected')).toBe(2);
  });

  it('a field accessed with the wrong width reads 0 and ignores writes (4.1.3.1)', () => {
    const { common, fn } = setup('rng');
    expect(common.read(VIRTIO_PCI_COMMON_NUMQ, 4)).toBe(0);
    common.write(VIRTIO_PCI_COMMON_STATUS, 2, ACKNOWLEDGE);
    expect(common.read(VIRTIO_PCI_COMMON_STATUS, 1)).toBe(0);
    common.write(VIRTIO_PCI_COMMON_NUMQ, 2, 5); // read-only
    expect(fn.metrics.count('common-cfg-bad-access')).toBe(3);
  });

  it('queue_select beyond num_queues reads queue_size 0', () => {
    const { common } = setup('rng');
    common.write(VIRTIO_PCI_COMMON_Q_SELECT, 2, 7);
    expect(common.read(VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(0);
  });

  it('an invalid queue size keeps the queue disabled and sets DEVICE_NEEDS_RESET', () => {
    const { common, negotiate, fn } = setup('rng');
    negotiate([0, 1]);
    common.write(VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    common.write(VIRTIO_PCI_COMMON_Q_SIZE, 2, 12);
    common.write(VIRTIO_PCI_COMMON_Q_DESCLO, 4, RING);
    common.write(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    expect(common.read(VIRTIO_PCI_COMMON_Q_ENABLE, 2)).toBe(0);
    expect(common.read(VIRTIO_PCI_COMMON_STATUS, 1) & NEEDS_RESET).toBe(NEEDS_RESET);
    expect(fn.metrics.last).toEqual({ kind: 'queue-invalid-size', queue: 0, size: 12 });
  });

  it('queue configuration writes after queue_enable, and queue_enable = 0, are ignored', () => {
    const { common, negotiate, setupQueue, fn } = setup('rng');
    negotiate([0, 1]);
    setupQueue(0, 16);
    common.write(VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
    common.write(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
    expect(common.read(VIRTIO_PCI_COMMON_Q_SIZE, 2)).toBe(16);
    expect(common.read(VIRTIO_PCI_COMMON_Q_ENABLE, 2)).toBe(1);
    expect(fn.metrics.snapshot()).toEqual({ 'queue-config-while-enabled': 1, 'queue-enable-zero': 1 });
  });

  it('a notification for a queue that does not exist, or off its address, is counted', () => {
    const { notify, fn } = setup('rng');
    notify(5);
    notify(0, 0x3002);
    expect(fn.metrics.snapshot()).toEqual({ 'notify-bad-queue': 1, 'notify-misaligned': 1 });
  });

  it('no DMA while bus mastering is disabled in the command register (PCI 3.0, 6.2.2)', () => {
    const { common, negotiate, setupQueue, notify, fn, cfgWrite } = setup('rng');
    negotiate([0, 1]);
    const q = setupQueue(0, 16);
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
    cfgWrite(0x04, 2, 0x0002); // memory decode on, bus master off
    q.add([{ addr: BUF, len: 4, write: true }]);
    notify(0);
    expect(q.usedIdx()).toBe(0);
    expect(fn.metrics.count('dma-without-bus-master')).toBe(1);
    cfgWrite(0x04, 2, 0x0006);
    notify(0);
    expect(q.usedIdx()).toBe(1);
  });

  it('a broken available ring asks for a reset with a configuration interrupt (2.1.2)', () => {
    const { common, negotiate, setupQueue, notify, intx, bar } = setup('rng');
    negotiate([0, 1]);
    const q = setupQueue(0, 16);
    common.write(VIRTIO_PCI_COMMON_STATUS, 1, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
    q.setAvailIdx(100);
    notify(0);
    expect(common.read(VIRTIO_PCI_COMMON_STATUS, 1) & NEEDS_RESET).toBe(NEEDS_RESET);
    expect(intx.level).toBe(true);
    expect(bar.read(0x1000, 1)).toBe(2); // ISR: configuration change
  });
});
