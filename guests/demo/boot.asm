; boot.asm: the multiboot header and the entry point.
;
; Multiboot spec 0.6.96 §3.2 "Machine state" is all we may assume at _start:
; EAX = 0x2BADB002, EBX = physical address of the boot information, CS/DS/..
; flat 32-bit segments, CR0.PE = 1 and CR0.PG = 0, EFLAGS.IF = 0 and VM = 0
; (every other flag undefined, DF included), ESP undefined, GDTR possibly
; invalid (so no segment register may be reloaded before gdt_init), IDTR
; undefined (so interrupts stay off until idt_init).

%include "demo.inc"
%include "multiboot.inc"
%include "debug_exit.inc"       ; debug_exit and halt_forever live here

MULTIBOOT_HEADER MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO

extern __bss_start, __bss_end
extern gdt_init, idt_init, pic_init, serial_setup, shell_run
extern mbi_init, mbi_print_cmdline
extern print_str, print_hex32

global _start, entry_state

STACK_SIZE equ 16384

section .text
_start:
    ; Record the entry state with plain MOVs: there is no stack yet, and
    ; MOV changes no flag, so the EFLAGS read below is still the loader's.
    mov [entry_state + snap.eax], eax
    mov [entry_state + snap.ebx], ebx
    mov [entry_state + snap.ecx], ecx
    mov [entry_state + snap.edx], edx
    mov [entry_state + snap.esi], esi
    mov [entry_state + snap.edi], edi
    mov [entry_state + snap.ebp], ebp
    mov [entry_state + snap.esp], esp
    mov [entry_state + snap.cs], cs
    mov [entry_state + snap.ds], ds
    mov [entry_state + snap.ss], ss
    mov esp, stack_top
    pushfd
    pop dword [entry_state + snap.eflags]
    mov eax, cr0
    mov [entry_state + snap.cr0], eax

    ; Known EFLAGS: IF = 0 (still no IDT), DF = 0 for the string instructions
    ; below, AC/NT/TF = 0. Bit 1 is reserved and reads as 1 whatever we push.
    push dword 0
    popfd

    ; .bss is the zero-filled tail of the data segment (p_memsz > p_filesz,
    ; System V ABI, "Program Header"), which the loader must clear. Check that
    ; it did, and tell the user if not, since wasmkvm's loader is under test
    ; here too; then clear it anyway so the demo still runs.
    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    repe scasd                      ; ECX > 0: the ring buffer alone is 256 B
    je .bss_clean
    mov byte [bss_was_dirty], 1
.bss_clean:
    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    shr ecx, 2
    rep stosd

    mov eax, [entry_state + snap.eax]
    mov ebx, [entry_state + snap.ebx]
    call mbi_init                   ; keeps EBX only if EAX is the magic
    call gdt_init
    call idt_init
    call pic_init
    call serial_setup               ; UART on, receive interrupt enabled

    mov esi, msg_banner
    call print_str
    call mbi_print_cmdline
    mov esi, msg_help_hint
    call print_str

    cmp dword [entry_state + snap.eax], MULTIBOOT_BOOTLOADER_MAGIC
    je .magic_ok
    mov esi, msg_no_magic
    call print_str
    mov eax, [entry_state + snap.eax]
    call print_hex32
    mov esi, msg_no_magic_end
    call print_str
.magic_ok:
    cmp byte [bss_was_dirty], 0
    je .bss_ok
    mov esi, msg_bss_dirty
    call print_str
.bss_ok:
    jmp shell_run                   ; never returns

section .rodata
msg_banner:       db `\nwasmkvm demo guest (multiboot v1, i486 integer ISA), cmdline: `, 0
msg_help_hint:    db `\ntype 'help' for the commands\n`, 0
msg_no_magic:     db `warning: EAX was 0x`, 0
msg_no_magic_end: db `, not the multiboot magic 0x2badb002; ignoring EBX\n`, 0
msg_bss_dirty:    db `warning: .bss was not zero at entry (loader did not clear p_memsz - p_filesz)\n`, 0

section .data
align 4
entry_state:    times snap_size db 0    ; in .data: .bss is checked, then wiped
bss_was_dirty:  db 0

section .stack nobits alloc noexec write align=16
    resb STACK_SIZE
stack_top:
