; regs.asm: the regs command. Shows the registers as the loader handed them
; over (the multiboot contract, §3.2) next to their values now, then the
; multiboot information.

%include "demo.inc"

extern entry_state, mbi_print_info
extern print_str, print_char, print_hex32, print_hex16, print_nl

global cmd_regs

section .text

cmd_regs:
    ; Take the snapshot first, before this code changes anything. ESP is
    ; the caller's (before the CALL pushed the return address).
    mov [now_state + snap.eax], eax
    mov [now_state + snap.ebx], ebx
    mov [now_state + snap.ecx], ecx
    mov [now_state + snap.edx], edx
    mov [now_state + snap.esi], esi
    mov [now_state + snap.edi], edi
    mov [now_state + snap.ebp], ebp
    lea eax, [esp + 4]
    mov [now_state + snap.esp], eax
    mov [now_state + snap.cs], cs
    mov [now_state + snap.ds], ds
    mov [now_state + snap.ss], ss
    pushfd
    pop dword [now_state + snap.eflags]
    mov eax, cr0
    mov [now_state + snap.cr0], eax

    mov esi, msg_at_entry
    mov ebx, entry_state
    call print_snap
    mov esi, msg_now
    mov ebx, now_state
    call print_snap
    jmp mbi_print_info

; print_snap: ESI = 10-column label, EBX = snap. Three lines of name=value,
; driven by the fields table below.
print_snap:
    pushad
    call print_str
    mov edi, fields
.field:
    cmp byte [edi], 0
    je .done
    mov esi, edi                    ; " eax=0x" and the like
    call print_str
    movzx eax, byte [edi + FIELD_OFFSET]
    add eax, ebx
    cmp byte [edi + FIELD_WIDTH], 2
    je .word
    mov eax, [eax]
    call print_hex32
    jmp .after
.word:
    mov ax, [eax]
    call print_hex16
.after:
    test byte [edi + FIELD_NEWLINE], 1
    jz .next
    call print_nl
    cmp byte [edi + FIELD_SIZE], 0  ; more lines follow: indent them
    je .next
    mov esi, msg_indent
    call print_str
.next:
    add edi, FIELD_SIZE
    jmp .field
.done:
    popad
    ret

section .rodata
msg_at_entry:   db "at entry:", 0
msg_now:        db "now:     ", 0
msg_indent:     db "         ", 0

; fields: name (NUL-padded), offset in snap, width in bytes, end of line.
FIELD_OFFSET    equ 12
FIELD_WIDTH     equ 13
FIELD_NEWLINE   equ 14
FIELD_SIZE      equ 16
%macro FIELD 4
%%start: db %1, 0
    times FIELD_OFFSET - ($ - %%start) db 0
    db %2, %3, %4, 0
%endmacro
fields:
    FIELD " eax=0x",    snap.eax,    4, 0
    FIELD " ebx=0x",    snap.ebx,    4, 0
    FIELD " ecx=0x",    snap.ecx,    4, 0
    FIELD " edx=0x",    snap.edx,    4, 1
    FIELD " esi=0x",    snap.esi,    4, 0
    FIELD " edi=0x",    snap.edi,    4, 0
    FIELD " ebp=0x",    snap.ebp,    4, 0
    FIELD " esp=0x",    snap.esp,    4, 1
    FIELD " eflags=0x", snap.eflags, 4, 0
    FIELD " cr0=0x",    snap.cr0,    4, 0
    FIELD " cs=0x",     snap.cs,     2, 0
    FIELD " ds=0x",     snap.ds,     2, 0
    FIELD " ss=0x",     snap.ss,     2, 1
    db 0

section .bss
alignb 4
now_state:  resb snap_size
