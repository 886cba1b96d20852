// The type 0 configuration header, after the PCI Local Bus Specification 3.0, section 6.1
// (Figure 6-1 "Type 00h Configuration Space Header") and 6.2. Names follow Linux
// include/uapi/linux/pci_regs.h so a reader can grep both.

/** Conventional PCI configuration space per function (6.1): 256 bytes. */
export const PCI_CONFIG_SPACE_SIZE = 256;

export const PCI_VENDOR_ID = 0x00; // 16 bits
export const PCI_DEVICE_ID = 0x02; // 16 bits
export const PCI_COMMAND = 0x04; // 16 bits
export const PCI_STATUS = 0x06; // 16 bits
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09; // programming interface; 0x0a subclass, 0x0b base class
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BIST = 0x0f;
export const PCI_BASE_ADDRESS_0 = 0x10; // six dword BARs, 0x10-0x27
export const PCI_CARDBUS_CIS = 0x28;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_CAPABILITY_LIST = 0x34;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;
export const PCI_MIN_GNT = 0x3e;
export const PCI_MAX_LAT = 0x3f;

/** Number of BARs in a type 0 header. */
export const PCI_NUM_BARS = 6;
/** First byte after the predefined header: capabilities live at 0x40-0xff (6.7). */
export const PCI_CAPABILITY_START = 0x40;

// Command register (6.2.2, Figure 6-2).
export const PCI_COMMAND_IO = 0x0001;
export const PCI_COMMAND_MEMORY = 0x0002;
export const PCI_COMMAND_MASTER = 0x0004;
export const PCI_COMMAND_SPECIAL = 0x0008;
export const PCI_COMMAND_INVALIDATE = 0x0010;
export const PCI_COMMAND_VGA_PALETTE = 0x0020;
export const PCI_COMMAND_PARITY = 0x0040;
export const PCI_COMMAND_SERR = 0x0100;
export const PCI_COMMAND_FAST_BACK = 0x0200;
export const PCI_COMMAND_INTX_DISABLE = 0x0400;

// Status register (6.2.3, Figure 6-3).
export const PCI_STATUS_INTERRUPT = 0x0008; // read-only: this function's INTx# is asserted
export const PCI_STATUS_CAP_LIST = 0x0010; // read-only: 0x34 points to a capability list
export const PCI_STATUS_PARITY = 0x0100; // master data parity error (RW1C)
export const PCI_STATUS_SIG_TARGET_ABORT = 0x0800; // RW1C
export const PCI_STATUS_REC_TARGET_ABORT = 0x1000; // RW1C
export const PCI_STATUS_REC_MASTER_ABORT = 0x2000; // RW1C
export const PCI_STATUS_SIG_SYSTEM_ERROR = 0x4000; // RW1C
export const PCI_STATUS_DETECTED_PARITY = 0x8000; // RW1C
/** The error bits software clears by writing 1 (6.2.3: "writes can only reset bits"). */
export const PCI_STATUS_W1C =
  PCI_STATUS_PARITY |
  PCI_STATUS_SIG_TARGET_ABORT |
  PCI_STATUS_REC_TARGET_ABORT |
  PCI_STATUS_REC_MASTER_ABORT |
  PCI_STATUS_SIG_SYSTEM_ERROR |
  PCI_STATUS_DETECTED_PARITY;

// Header type (6.2.1): bits 6:0 the layout, bit 7 a multi-function device.
export const PCI_HEADER_TYPE_NORMAL = 0x00;
export const PCI_HEADER_TYPE_MULTI_FUNCTION = 0x80;

// Base Address registers (6.2.5.1, Figures 6-4 and 6-5).
export const PCI_BASE_ADDRESS_SPACE_IO = 0x01; // bit 0: 1 = I/O space
export const PCI_BASE_ADDRESS_MEM_TYPE_32 = 0x00; // bits 2:1 = 00: anywhere in 32-bit space
export const PCI_BASE_ADDRESS_MEM_PREFETCH = 0x08; // bit 3
export const PCI_BASE_ADDRESS_IO_MASK = 0xfffffffc; // bits 31:2 hold the I/O address
export const PCI_BASE_ADDRESS_MEM_MASK = 0xfffffff0; // bits 31:4 hold the memory address
/** Smallest BARs the spec allows: 16 bytes of memory, 4 bytes of I/O (6.2.5.1). */
export const PCI_BAR_MIN_MEM_SIZE = 16;
export const PCI_BAR_MIN_IO_SIZE = 4;

// Interrupt pin (6.2.4): 0 = none, 1-4 = INTA#-INTD#.
export const PCI_INTERRUPT_PIN_NONE = 0;
export const PCI_INTERRUPT_PIN_A = 1;
export const PCI_INTERRUPT_PIN_D = 4;
/** Interrupt line value for "unknown or not connected" on x86 (6.2.4: 0xFF). */
export const PCI_INTERRUPT_LINE_UNKNOWN = 0xff;

// Capability IDs (PCI Code and ID Assignment Specification; Linux PCI_CAP_ID_*).
export const PCI_CAP_ID_PM = 0x01;
export const PCI_CAP_ID_MSI = 0x05;
export const PCI_CAP_ID_VNDR = 0x09;
export const PCI_CAP_ID_MSIX = 0x11;
export const PCI_CAP_LIST_ID = 0; // offset of the ID byte in a capability
export const PCI_CAP_LIST_NEXT = 1; // offset of the next pointer

// Class codes used here (PCI Code and ID Assignment Specification, Appendix D).
export const PCI_CLASS_BRIDGE_HOST = 0x060000;
export const PCI_CLASS_STORAGE_SCSI = 0x010000;
export const PCI_CLASS_COMMUNICATION_OTHER = 0x078000;
export const PCI_CLASS_OTHERS = 0xff0000;

export const PCI_VENDOR_ID_INTEL = 0x8086;
/** Red Hat / Qumranet: virtio devices and QEMU's default subsystem vendor. */
export const PCI_VENDOR_ID_REDHAT_QUMRANET = 0x1af4;
/** QEMU's default subsystem ID (hw/pci/pci.h PCI_SUBDEVICE_ID_QEMU). */
export const PCI_SUBDEVICE_ID_QEMU = 0x1100;

// Configuration mechanism #1 (3.2.2.3.2): CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at 0xCFC.
export const PCI_CONFIG_ADDRESS_PORT = 0xcf8;
export const PCI_CONFIG_DATA_PORT = 0xcfc;
export const PCI_CONFIG_ENABLE = 0x80000000; // bit 31
/** Bits software can set in CONFIG_ADDRESS: 31 and 23:2 (30:24 reserved, 1:0 read as 0). */
export const PCI_CONFIG_ADDRESS_MASK = 0x80fffffc;

/** Devices per bus and functions per device (3.2.2.3.2: 5-bit device, 3-bit function). */
export const PCI_DEVICES_PER_BUS = 32;
export const PCI_FUNCTIONS_PER_DEVICE = 8;
