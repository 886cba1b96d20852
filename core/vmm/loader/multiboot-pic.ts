// The 8259A state a multiboot kernel finds under `qemu -kernel`: SeaBIOS has programmed
// both PICs (src/hw/pic.c pic_reset) before QEMU's multiboot option ROM runs, so IRQ 0-7
// arrive at vectors 0x08-0x0f and IRQ 8-15 at 0x70-0x77, the IBM PC/AT assignment that
// real-mode code such as kvm-unit-tests' realmode.flat relies on (its IRQ 11 handler sits
// at IVT entry 0x73). wasmkvm has no BIOS, so the boot path sends the same initialization
// command words (Intel 8259A data sheet, "Initialization Command Words").
//
// The mask differs from SeaBIOS's (which unmasks only what it has handlers for): with no
// BIOS there is no INT 08h handler, while the 8254 counts from reset as QEMU's does, so
// IRQ 0 is masked and every other line keeps the unmasked state ICW1 leaves.

export const PIC_MASTER_CMD = 0x20;
export const PIC_MASTER_DATA = 0x21;
export const PIC_SLAVE_CMD = 0xa0;
export const PIC_SLAVE_DATA = 0xa1;

/** ICW1: bit 4 marks ICW1, bit 0 (IC4) says an ICW4 follows; edge triggered, cascade mode. */
const ICW1_INIT_WITH_ICW4 = 0x11;
/** ICW2: the PC/AT vector bases. */
export const BIOS_MASTER_VECTOR_BASE = 0x08;
export const BIOS_SLAVE_VECTOR_BASE = 0x70;
/** ICW3: the master has a slave on IR2; the slave's cascade identity is 2. */
const ICW3_MASTER_SLAVE_ON_IR2 = 1 << 2;
const ICW3_SLAVE_ID = 2;
/** ICW4: 8086/8088 mode, normal EOI. */
const ICW4_8086 = 0x01;
/** OCW1 (IMR) of the master: IRQ 0, the 8254 timer, masked. */
export const MULTIBOOT_MASTER_IMR = 1 << 0;
export const MULTIBOOT_SLAVE_IMR = 0;

/** The byte writes, in SeaBIOS's order, that leave the PICs as a multiboot kernel finds them. */
export const MULTIBOOT_PIC_INIT: readonly { readonly port: number; readonly value: number }[] = [
  { port: PIC_MASTER_CMD, value: ICW1_INIT_WITH_ICW4 },
  { port: PIC_SLAVE_CMD, value: ICW1_INIT_WITH_ICW4 },
  { port: PIC_MASTER_DATA, value: BIOS_MASTER_VECTOR_BASE },
  { port: PIC_SLAVE_DATA, value: BIOS_SLAVE_VECTOR_BASE },
  { port: PIC_MASTER_DATA, value: ICW3_MASTER_SLAVE_ON_IR2 },
  { port: PIC_SLAVE_DATA, value: ICW3_SLAVE_ID },
  { port: PIC_MASTER_DATA, value: ICW4_8086 },
  { port: PIC_SLAVE_DATA, value: ICW4_8086 },
  { port: PIC_MASTER_DATA, value: MULTIBOOT_MASTER_IMR },
  { port: PIC_SLAVE_DATA, value: MULTIBOOT_SLAVE_IMR },
];
