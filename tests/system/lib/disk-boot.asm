; disk-boot.asm: a hard-disk boot sector for emulators without a multiboot loader (Bochs 2.7
; dropped load32bitOSImage). The system test kernel follows it on the disk image, starting at
; LBA 1. The BIOS loads this sector at 0000:7C00 with DL = the boot drive; it reads
; KERNEL_SECTORS sectors with INT 13h AH=42h (EDD extended read) to 1000:0000, enables A20,
; enters 32-bit protected mode with flat segments, clears the kernel's area (its bss is not on
; the disk), copies the kernel to 1 MiB and jumps to its first byte (a JMP to its entry).
; That is the state Multiboot promises (§3.2) minus EAX/EBX, which the kernels do not use.

KERNEL_SECTORS  equ 127                 ; the most one EDD request may ask for on every BIOS
BUFFER_SEG      equ 0x1000
KERNEL_ADDR     equ 0x100000
CLEAR_BYTES     equ 0x200000            ; kernel image, bss and page tables fit below 3 MiB

    bits 16
    org 0x7c00
boot:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    mov si, dap
    mov ah, 0x42
    int 0x13
    jc .fail
    in al, 0x92                         ; "fast A20" (System Control Port A, bit 1)
    or al, 2
    and al, 0xfe                        ; bit 0 would reset the machine
    out 0x92, al
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm
.fail:
    mov si, msg_fail
.print:
    lodsb
    test al, al
    jz .halt
    mov dx, 0x3f8
    out dx, al
    jmp .print
.halt:
    hlt
    jmp .halt

    bits 32
pm:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x7c00
    cld
    mov edi, KERNEL_ADDR
    mov ecx, CLEAR_BYTES / 4
    xor eax, eax
    rep stosd
    mov esi, BUFFER_SEG * 16
    mov edi, KERNEL_ADDR
    mov ecx, KERNEL_SECTORS * 512 / 4
    rep movsd
    jmp 0x08:KERNEL_ADDR

msg_fail: db "disk-boot: INT 13h read failed", 13, 10, 0

    align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff               ; 0x08 flat 32-bit code
    dq 0x00cf92000000ffff               ; 0x10 flat 32-bit data
gdt_desc:
    dw 3 * 8 - 1
    dd gdt

dap:                                    ; EDD disk address packet
    db 0x10, 0
    dw KERNEL_SECTORS
    dw 0, BUFFER_SEG
    dq 1

    times 510 - ($ - $$) db 0
    dw 0xaa55
