// The host bridge at 00:00.0, identified as QEMU's i440FX PMC (Intel 82441FX, device
// 0x1237, revision 2; hw/pci-host/i440fx.c). Linux's conf1 probe (arch/x86/pci/direct.c
// pci_sanity_check) accepts mechanism #1 once it finds a host bridge class or an Intel
// vendor ID on bus 0, so this function is what makes the PCI bus visible.
//
// Only the type 0 header is modelled. The 82441FX's chipset registers (PAM shadowing at
// 0x59-0x5f, SMRAM at 0x72) configure BIOS memory that a direct-boot machine does not
// have; they read 0 and ignore writes.

import { PciFunction } from './function.ts';
import {
  PCI_CLASS_BRIDGE_HOST,
  PCI_SUBDEVICE_ID_QEMU,
  PCI_VENDOR_ID_INTEL,
  PCI_VENDOR_ID_REDHAT_QUMRANET,
} from './regs.ts';

/** Intel 82441FX PCI and Memory Controller (Linux PCI_DEVICE_ID_INTEL_82441). */
export const PCI_DEVICE_ID_INTEL_82441 = 0x1237;
/** The revision QEMU reports for its i440FX. */
export const I440FX_REVISION = 0x02;

export class I440fxHostBridge extends PciFunction {
  constructor() {
    super({
      vendorId: PCI_VENDOR_ID_INTEL,
      deviceId: PCI_DEVICE_ID_INTEL_82441,
      revision: I440FX_REVISION,
      classCode: PCI_CLASS_BRIDGE_HOST,
      subsystemVendorId: PCI_VENDOR_ID_REDHAT_QUMRANET,
      subsystemId: PCI_SUBDEVICE_ID_QEMU,
    });
  }
}
