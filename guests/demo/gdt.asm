; gdt.asm: our own flat GDT. Multiboot §3.2 leaves GDTR possibly invalid, so
; no segment register may be (re)loaded before this runs.

%include "demo.inc"

global gdt_init

section .rodata
align 8
; Segment descriptors, SDM Vol. 3A §3.4.5 "Segment Descriptors": base 0,
; limit 0xfffff with G = 1 (4 GiB), D/B = 1 (32-bit), P = 1, DPL = 0, S = 1.
; The type nibbles are 0xb (code, execute/read, accessed) and 0x3 (data,
; read/write, accessed): with the accessed bit preset the CPU has no reason
; to write the descriptor when a selector is loaded (§3.4.5.1).
gdt:
    dq 0                        ; 0x00: the null descriptor
    dq 0x00cf9b000000ffff       ; 0x08: KERNEL_CS
    dq 0x00cf93000000ffff       ; 0x10: KERNEL_DS
gdt_end:

gdt_desc:
    dw gdt_end - gdt - 1        ; limit: size - 1 (§3.5.1)
    dd gdt

section .text
gdt_init:
    push eax
    lgdt [gdt_desc]
    ; Only a far transfer loads CS, so jump to the next instruction.
    jmp KERNEL_CS:.reload_cs
.reload_cs:
    mov ax, KERNEL_DS
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax                  ; same flat base: ESP stays valid
    pop eax
    ret
