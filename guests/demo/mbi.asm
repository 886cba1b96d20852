; mbi.asm: the multiboot information structure (Multiboot spec §3.3).
;
; Paging is off and segments are flat, so the MBI's physical addresses are
; usable as pointers directly.

%include "demo.inc"
%include "multiboot.inc"

extern print_str, print_char, print_hex32, print_dec32, print_nl

global mbi_init, mbi_ptr, mbi_print_cmdline, mbi_print_info

MBI_STRING_MAX equ 256          ; a garbage pointer must not print forever

section .text

; mbi_init: EAX = entry EAX, EBX = entry EBX. Only a loader that put the magic
; in EAX promised that EBX points at an MBI (§3.2).
mbi_init:
    xor ecx, ecx
    cmp eax, MULTIBOOT_BOOTLOADER_MAGIC
    jne .store
    mov ecx, ebx
.store:
    mov [mbi_ptr], ecx
    ret

; mbi_print_cmdline: `"the command line"` or `(none)`, no newline.
mbi_print_cmdline:
    push eax
    push esi
    mov esi, msg_none
    mov eax, [mbi_ptr]
    test eax, eax
    jz .plain
    test dword [eax + MBI_FLAGS], MULTIBOOT_INFO_CMDLINE
    jz .plain
    mov esi, [eax + MBI_CMDLINE]
    call print_quoted
    jmp .done
.plain:
    call print_str
.done:
    pop esi
    pop eax
    ret

; mbi_print_info: flags, memory sizes, command line and loader name, each on
; its own line; used by the regs command.
mbi_print_info:
    pushad
    mov ebx, [mbi_ptr]
    test ebx, ebx
    jnz .have
    mov esi, msg_no_mbi
    call print_str
    jmp .done
.have:
    mov esi, msg_mbi_at
    call print_str
    mov eax, ebx
    call print_hex32
    mov esi, msg_flags
    call print_str
    mov eax, [ebx + MBI_FLAGS]
    call print_hex32
    call print_nl

    test dword [ebx + MBI_FLAGS], MULTIBOOT_INFO_MEMORY
    jz .no_mem
    mov esi, msg_mem_lower
    call print_str
    mov eax, [ebx + MBI_MEM_LOWER]
    call print_dec32
    mov esi, msg_mem_upper
    call print_str
    mov eax, [ebx + MBI_MEM_UPPER]
    call print_dec32
    mov esi, msg_kib
    call print_str
.no_mem:
    mov esi, msg_cmdline
    call print_str
    call mbi_print_cmdline
    call print_nl

    test dword [ebx + MBI_FLAGS], MULTIBOOT_INFO_BOOT_LOADER_NAME
    jz .done
    mov esi, msg_loader
    call print_str
    mov esi, [ebx + MBI_BOOT_LOADER_NAME]
    call print_quoted
    call print_nl
.done:
    popad
    ret

; print_quoted: ESI = C string, printed in double quotes, at most
; MBI_STRING_MAX bytes.
print_quoted:
    pushad
    mov al, '"'
    call print_char
    mov ecx, MBI_STRING_MAX
.next:
    mov al, [esi]
    test al, al
    jz .end
    call print_char
    inc esi
    dec ecx
    jnz .next
.end:
    mov al, '"'
    call print_char
    popad
    ret

section .rodata
msg_none:       db "(none)", 0
msg_no_mbi:     db `multiboot: no boot information (EAX had no magic)\n`, 0
msg_mbi_at:     db "multiboot: info at 0x", 0
msg_flags:      db " flags=0x", 0
msg_mem_lower:  db "  mem_lower=", 0
msg_mem_upper:  db " KiB mem_upper=", 0
msg_kib:        db ` KiB\n`, 0
msg_cmdline:    db "  cmdline: ", 0
msg_loader:     db "  loader: ", 0

section .bss
alignb 4
mbi_ptr:        resd 1          ; 0 if not booted by a multiboot loader
