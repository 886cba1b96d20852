; exceptions.asm: vectors, error codes, saved EIP (fault vs trap), segment limit and type
; checks, and the double fault. SDM Vol. 3A chapter 6 (6.13 error code, 6.15 per vector),
; 3.4.5.1 (segment types), 5.3 (limit checking).
%include "sys.inc"

SEL_NP      equ FREE_SEL + 0x00         ; data segment, P = 0
SEL_RO      equ FREE_SEL + 0x08         ; read-only data
SEL_SMALL   equ FREE_SEL + 0x10         ; data, byte granular, limit 0xfff
SEL_DOWN    equ FREE_SEL + 0x18         ; expand-down data, limit 0xfff, B = 1
SEL_USTACK  equ FREE_SEL + 0x20         ; DPL 3 data, limit 0xfff: a small ring-3 stack
ACC_RO      equ 0x90                    ; present, DPL 0, read-only data
ACC_DOWN    equ 0x96                    ; present, DPL 0, read/write, expand-down

    section .text
test_main:
    mov eax, SEL_NP
    xor ebx, ebx
    mov ecx, 0xfffff
    mov dx, (FLAGS_32 << 8) | (ACC_DATA0 & 0x7f)
    call set_gdt_entry
    mov eax, SEL_RO
    mov dx, (FLAGS_32 << 8) | ACC_RO
    call set_gdt_entry
    mov eax, SEL_SMALL
    mov ecx, 0xfff
    mov dx, (0x4 << 8) | ACC_DATA0      ; G = 0, B = 1
    call set_gdt_entry
    mov eax, SEL_DOWN
    mov dx, (0x4 << 8) | ACC_DOWN
    call set_gdt_entry
    mov eax, SEL_USTACK
    mov dx, (0x4 << 8) | ACC_DATA3
    call set_gdt_entry

    ; #DE is a fault: the saved EIP is the DIV's (6.15, Interrupt 0).
    TRY .de
    xor ecx, ecx
.div:
    div ecx
    CLEAR_TRY
.de:
    CHECK_EQ "#DE vector", [exc_vector], 0
    CHECK_EQ "#DE saved EIP is the DIV", [exc_eip], .div

    ; #UD from UD2, a fault.
    TRY .ud
.ud2:
    ud2
    CLEAR_TRY
.ud:
    CHECK_EQ "#UD vector", [exc_vector], 6
    CHECK_EQ "#UD saved EIP is the UD2", [exc_eip], .ud2

    ; INT3 is a trap: the saved EIP follows it (6.15, Interrupt 3).
    TRY .bp
    int3
.after_int3:
    CLEAR_TRY
.bp:
    CHECK_EQ "#BP vector", [exc_vector], 3
    CHECK_EQ "#BP saved EIP follows INT3", [exc_eip], .after_int3

    ; INTO with OF = 1 traps to vector 4.
    TRY .of
    mov al, 0x7f
    add al, 1                           ; OF = 1
    into
.after_into:
    CLEAR_TRY
.of:
    CHECK_EQ "#OF vector", [exc_vector], 4
    CHECK_EQ "#OF saved EIP follows INTO", [exc_eip], .after_into

    ; Single step (17.3.1.4): TF set by POPF traps after the instruction that follows it,
    ; with DR6.BS set; the handler's EFLAGS has TF clear (interrupt gate, 6.12.1.3).
    xor eax, eax
    mov dr6, eax
    TRY .db
    pushfd
    or dword [esp], 1 << 8
    popfd
    nop
.after_nop:
    nop
    CLEAR_TRY
.db:
    CHECK_EQ "single step: #DB", [exc_vector], 1
    CHECK_EQ "single step: saved EIP follows the instruction after POPF", [exc_eip], .after_nop
    mov eax, dr6
    and eax, 1 << 14
    CHECK_EQ "single step: DR6.BS", eax, 1 << 14

    ; BOUND out of range: #BR, a fault.
    TRY .br
    mov eax, 10
.bound:
    bound eax, [bounds]
    CLEAR_TRY
.br:
    CHECK_EQ "#BR vector", [exc_vector], 5
    CHECK_EQ "#BR saved EIP is the BOUND", [exc_eip], .bound

    ; MOV DS with an index past the GDT limit: #GP(selector) (6.13: index, TI = 0, EXT = 0).
    TRY .gp_sel
    mov ax, 0x1230
    mov ds, ax
    CLEAR_TRY
.gp_sel:
    CHECK_EQ "#GP for a selector past the GDT limit", [exc_vector], 13
    CHECK_EQ "#GP error code is the selector", [exc_error], 0x1230

    ; A not-present data segment: #NP(selector) (3.4.5: P flag; MOV to DS checks it).
    TRY .np
    mov ax, SEL_NP
    mov ds, ax
    CLEAR_TRY
.np:
    CHECK_EQ "#NP for a not-present data segment", [exc_vector], 11
    CHECK_EQ "#NP error code is the selector", [exc_error], SEL_NP

    ; Writing through a read-only data segment: #GP(0). QEMU 7.2 TCG checks neither segment
    ; types nor limits on data accesses, so this and the limit, expand-down and #SS checks
    ; below fail there; Bochs agrees with the SDM (5.3, 5.4.1), which decides.
    mov ax, SEL_RO
    mov es, ax
    TRY .ro
    mov dword [es:0x200000], 1
    CLEAR_TRY
.ro:
    CHECK_EQ "#GP on a write to a read-only segment", [exc_vector], 13
    CHECK_EQ "#GP(0) error code", [exc_error], 0
    mov ax, KDATA
    mov es, ax

    ; Limit 0xfff: a dword at 0xffc is inside, at 0xffe it crosses the limit (5.3).
    mov ax, SEL_SMALL
    mov es, ax
    TRY .lim_ok
    mov eax, [es:0xffc]
    CLEAR_TRY
.lim_ok:
    CHECK_EQ "dword read ending at the limit", [exc_vector], -1
    TRY .lim
    mov eax, [es:0xffe]
    CLEAR_TRY
.lim:
    CHECK_EQ "dword read crossing the limit: #GP", [exc_vector], 13
    CHECK_EQ "limit #GP error code", [exc_error], 0

    ; Expand-down, limit 0xfff, B = 1: valid offsets are 0x1000-0xffffffff (3.4.5.1).
    mov ax, SEL_DOWN
    mov es, ax
    TRY .down_ok
    mov eax, [es:0x100000]
    CLEAR_TRY
.down_ok:
    CHECK_EQ "expand-down read above the limit", [exc_vector], -1
    TRY .down
    mov eax, [es:0x800]
    CLEAR_TRY
.down:
    CHECK_EQ "expand-down read at or below the limit: #GP", [exc_vector], 13
    mov ax, KDATA
    mov es, ax

    ; INT n through a not-present interrupt gate: #NP with IDT = 1, EXT = 0 (6.13). The type
    ; is checked first: an all-zero entry is not a gate and gives #GP (INT n pseudocode).
    mov eax, 0x40
    mov ebx, .never
    mov cx, KCODE
    mov dl, ACC_INTGATE32 & 0x7f
    call set_idt_gate
    TRY .int_np
    int 0x40
    CLEAR_TRY
.int_np:
    CHECK_EQ "INT to a not-present gate: #NP", [exc_vector], 11
    CHECK_EQ "#NP error code = vector * 8 + IDT", [exc_error], 0x40 * 8 + 2

    ; INT n from CPL 3 to a DPL 0 gate: #GP(vector * 8 + 2) (6.12.1.1).
    mov eax, 0x41
    mov ebx, .never
    mov cx, KCODE
    mov dl, ACC_INTGATE32
    call set_idt_gate
    TRY .int_dpl
    mov eax, user_int41
    call call_user
    CLEAR_TRY
.int_dpl:
    CHECK_EQ "INT from CPL 3 to a DPL 0 gate: #GP", [exc_vector], 13
    CHECK_EQ "#GP error code = vector * 8 + IDT", [exc_error], 0x41 * 8 + 2
    CHECK_EQ "the frame's CS is the ring-3 CS", [exc_frame + 12], UCODE

    ; A ring-3 push past a small stack segment's limit: #SS(0), delivered on the ring-0 stack.
    TRY .ss
    mov eax, user_small_stack
    call call_user
    CLEAR_TRY
.ss:
    CHECK_EQ "push past the stack limit: #SS", [exc_vector], 12
    CHECK_EQ "#SS error code 0", [exc_error], 0
    CHECK_EQ "#SS frame SS is the faulting stack", [exc_frame + 24], SEL_USTACK | 3

    ; #GP while the #GP gate is not present: the #NP that follows is contributory too, so
    ; the processor raises #DF with error code 0 (6.15, Interrupt 8, Table 6-5).
    and byte [idt + 13 * 8 + 5], 0x7f
    TRY .df
    mov ax, 0x1230
    mov ds, ax
    CLEAR_TRY
.df:
    or byte [idt + 13 * 8 + 5], 0x80
    CHECK_EQ "#GP then #NP: #DF", [exc_vector], 8
    CHECK_EQ "#DF error code 0", [exc_error], 0
    ret
.never:
    jmp .never

    bits 32
user_int41:
    int 0x41
    int VEC_RETURN

user_small_stack:
    mov ax, SEL_USTACK | 3
    mov ss, ax
    mov esp, 0x2000
    push eax
    int VEC_RETURN

    section .data
bounds: dd 0, 5

%include "sys-end.inc"
