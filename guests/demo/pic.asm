; pic.asm: the two 8259A interrupt controllers of the PC/AT.
;
; Intel "8259A Programmable Interrupt Controller" datasheet (order 231468),
; sections "Initialization Command Words" and "Operation Command Words".
; The BIOS leaves IRQ 0-7 on vectors 8-15, which protected mode uses for CPU
; exceptions (#DF, #GP, #PF...), so the pair is moved to 0x20-0x2f.

%include "demo.inc"

global pic_init, pic_eoi, pic_is_spurious

PIC1_CMD        equ 0x20
PIC1_DATA       equ 0x21
PIC2_CMD        equ 0xa0
PIC2_DATA       equ 0xa1

ICW1_INIT       equ 0x10        ; D4 = 1 marks ICW1
ICW1_ICW4       equ 0x01        ; IC4: an ICW4 follows. SNGL = 0 (cascade),
                                ; LTIM = 0 (edge triggered, as on the AT)
ICW3_MASTER     equ 1 << 2      ; master: a slave hangs on IR2
ICW3_SLAVE      equ 2           ; slave: its cascade identity is 2
ICW4_8086       equ 0x01        ; uPM = 1: 8086 mode; AEOI = 0: normal EOI

OCW2_EOI        equ 0x20        ; non-specific end of interrupt
OCW3_READ_ISR   equ 0x0b        ; next read of the command port returns ISR

; Only IRQ 4 (COM1) and IRQ 2 (the cascade, needed for IRQ 8-15 to reach the
; CPU) are unmasked; a 1 bit in OCW1 masks the line.
PIC1_MASK       equ 0xff & ~((1 << 2) | (1 << IRQ_COM1))
PIC2_MASK       equ 0xff

section .text

; io_delay: a write to the unused POST port 0x80, as Linux's outb_p does,
; gives an ISA-era 8259A its recovery time between command writes.
%macro io_delay 0
    out 0x80, al
%endmacro

; pic_init: run the full ICW1-ICW4 sequence on both chips, then mask. ICW1
; clears the mask register, but EFLAGS.IF is 0 here, so nothing is delivered
; before OCW1 restores the masks.
pic_init:
    push eax
    mov al, ICW1_INIT | ICW1_ICW4
    out PIC1_CMD, al
    io_delay
    out PIC2_CMD, al
    io_delay
    mov al, PIC_MASTER_VECTOR       ; ICW2: vector of IR0 (low 3 bits 0)
    out PIC1_DATA, al
    io_delay
    mov al, PIC_SLAVE_VECTOR
    out PIC2_DATA, al
    io_delay
    mov al, ICW3_MASTER
    out PIC1_DATA, al
    io_delay
    mov al, ICW3_SLAVE
    out PIC2_DATA, al
    io_delay
    mov al, ICW4_8086
    out PIC1_DATA, al
    io_delay
    out PIC2_DATA, al
    io_delay
    mov al, PIC1_MASK               ; OCW1
    out PIC1_DATA, al
    mov al, PIC2_MASK
    out PIC2_DATA, al
    pop eax
    ret

; pic_eoi: EAX = IRQ number (0-15). An IRQ from the slave was in service on
; both chips (the master saw it on IR2), so both need an EOI.
pic_eoi:
    push eax
    cmp eax, 8
    mov al, OCW2_EOI
    jb .master
    out PIC2_CMD, al
.master:
    out PIC1_CMD, al
    pop eax
    ret

; pic_is_spurious: EAX = IRQ number; CF = 1 if it was spurious. When a
; request goes away before the INTA cycle the 8259A answers with its IR7
; vector but sets no ISR bit (datasheet, "Interrupt Sequence"), so for IRQ 7
; and 15 the ISR bit tells a real interrupt from a spurious one.
pic_is_spurious:
    push eax
    cmp eax, 7
    je .master
    cmp eax, 15
    je .slave
    clc
    jmp .done
.master:
    mov al, OCW3_READ_ISR
    out PIC1_CMD, al
    in al, PIC1_CMD
    jmp .test
.slave:
    mov al, OCW3_READ_ISR
    out PIC2_CMD, al
    in al, PIC2_CMD
.test:
    test al, 0x80                   ; CF = 0 from TEST
    jnz .done
    stc
.done:
    pop eax
    ret
