; tasks.asm: hardware task switching. JMP and CALL to a TSS, CALL through a task gate in the
; GDT, INT through a task gate in the IDT, IRET with NT = 1; busy bits, the back link, NT,
; CR0.TS, the registers saved in the old TSS and loaded from the new one; JMP to a busy TSS
; and IRET to a task that is not busy. SDM Vol. 3A chapter 7 (7.3 task switching, 7.4 task
; linking, Table 7-2 busy flag and NT), Vol. 2A IRET, JMP, CALL.
%include "sys.inc"

TSS_B_SEL   equ FREE_SEL + 0x00
TSS_C_SEL   equ FREE_SEL + 0x08
GATE_C_SEL  equ FREE_SEL + 0x10         ; a task gate in the GDT for TSS C
TSS_D_SEL   equ FREE_SEL + 0x18         ; the double-fault task
SMALL_SS    equ FREE_SEL + 0x20         ; ring-0 data, limit 0xfff: a stack to overflow
VEC_TASK    equ 0x50                    ; an IDT task gate for TSS C
TYPE_TSS_AVAILABLE equ 0x9
TYPE_TSS_BUSY      equ 0xb
CR0_TS      equ 1 << 3
; 32-bit TSS fields (Figure 7-2)
TSS_LINK    equ 0
TSS_CR3     equ 28
TSS_EIP     equ 32
TSS_EFLAGS  equ 36
TSS_EBX     equ 52
TSS_ESP     equ 56
TSS_ESI     equ 64
TSS_SS      equ 80
TSS_ES      equ 72
TSS_IOPB    equ 102

; TSS_TYPE reg, selector: reg = the type field of the selector's GDT descriptor.
%macro TSS_TYPE 2
    movzx %1, byte [gdt + (%2) + 5]
    and %1, 0x0f
%endmacro

    section .text
; init_tss: EDI = TSS, EAX = EIP, EDX = ESP. Flat ring-0 segments, EFLAGS = 2, CR3 = CR3.
init_tss:
    push ecx
    mov [edi + TSS_EIP], eax
    mov [edi + TSS_ESP], edx
    mov dword [edi + TSS_EFLAGS], 2
    mov ecx, cr3
    mov [edi + TSS_CR3], ecx
    mov dword [edi + TSS_ES], KDATA
    mov dword [edi + TSS_ES + 4], KCODE
    mov dword [edi + TSS_ES + 8], KDATA
    mov dword [edi + TSS_ES + 12], KDATA
    mov dword [edi + TSS_ES + 16], KDATA
    mov dword [edi + TSS_ES + 20], KDATA
    mov word [edi + TSS_IOPB], 104
    pop ecx
    ret

test_main:
    mov edi, tss_b
    mov eax, task_b
    mov edx, task_b_stack
    call init_tss
    mov dword [tss_b + TSS_EBX], 0xb0b0
    mov edi, tss_c
    mov eax, task_c
    mov edx, task_c_stack
    call init_tss
    mov dword [tss_c + TSS_ESI], 0xc0de
    mov eax, TSS_B_SEL
    mov ebx, tss_b
    mov ecx, 103
    mov dx, ACC_TSS32
    call set_gdt_entry
    mov eax, TSS_C_SEL
    mov ebx, tss_c
    call set_gdt_entry
    mov edi, gdt + GATE_C_SEL
    xor ebx, ebx
    mov cx, TSS_C_SEL
    mov dx, ACC_TASKGATE
    call set_gate
    mov eax, VEC_TASK
    mov dl, ACC_TASKGATE
    call set_idt_gate

    ; ---- JMP to a TSS (7.3; Table 7-2: old task not busy, new busy, NT unchanged, no link)
    clts
    mov ebx, 0x1234
    jmp TSS_B_SEL:0
.from_b:
    CHECK_EQ "JMP to TSS: TR in the new task", [t_tr], TSS_B_SEL
    CHECK_EQ "JMP to TSS: CR0.TS set by the switch", [t_cr0_ts], CR0_TS
    CHECK_EQ "JMP to TSS: new task's EBX from its TSS", [t_reg], 0xb0b0
    CHECK_EQ "JMP to TSS: NT clear in the new task", [t_nt], 0
    CHECK_EQ "JMP to TSS: new TSS busy", [t_new_type], TYPE_TSS_BUSY
    CHECK_EQ "JMP to TSS: old TSS available", [t_old_type], TYPE_TSS_AVAILABLE
    CHECK_EQ "JMP to TSS: no back link written", [tss_b + TSS_LINK], 0
    CHECK_EQ "JMP to TSS: old EBX saved in the old TSS", [main_tss + TSS_EBX], 0x1234
    CHECK_EQ "JMP to TSS: old EIP saved = next instruction", [main_tss + TSS_EIP], .from_b
    str ax
    movzx eax, ax
    CHECK_EQ "JMP back: TR is the first task again", eax, TSS_SEL
    TSS_TYPE eax, TSS_B_SEL
    CHECK_EQ "JMP back: the other TSS is available again", eax, TYPE_TSS_AVAILABLE

    ; ---- CALL to a TSS, then IRET (7.4: NT = 1, link = old TR, old task stays busy)
    call TSS_C_SEL:0
    CHECK_EQ "CALL to TSS: TR in the new task", [t_tr], TSS_C_SEL
    CHECK_EQ "CALL to TSS: NT set in the new task", [t_nt], EFLAGS_NT
    CHECK_EQ "CALL to TSS: back link = old TR", [t_link], TSS_SEL
    CHECK_EQ "CALL to TSS: old TSS stays busy", [t_old_type], TYPE_TSS_BUSY
    CHECK_EQ "CALL to TSS: new task's ESI from its TSS", [t_reg], 0xc0de
    TSS_TYPE eax, TSS_C_SEL
    CHECK_EQ "IRET from the nested task: its TSS available", eax, TYPE_TSS_AVAILABLE
    pushfd
    pop eax
    and eax, EFLAGS_NT
    CHECK_EQ "IRET from the nested task: NT clear again", eax, 0

    ; ---- CALL through a task gate in the GDT
    mov dword [t_tr], 0
    call GATE_C_SEL:0
    CHECK_EQ "CALL task gate: TR in the new task", [t_tr], TSS_C_SEL
    CHECK_EQ "CALL task gate: back link = old TR", [t_link], TSS_SEL
    CHECK_EQ "CALL task gate: NT set", [t_nt], EFLAGS_NT

    ; ---- INT through a task gate in the IDT
    mov dword [t_tr], 0
    int VEC_TASK
    CHECK_EQ "INT task gate: TR in the new task", [t_tr], TSS_C_SEL
    CHECK_EQ "INT task gate: back link = old TR", [t_link], TSS_SEL
    CHECK_EQ "INT task gate: NT set", [t_nt], EFLAGS_NT
    CHECK_EQ "INT task gate: old TSS stays busy", [t_old_type], TYPE_TSS_BUSY

    ; ---- JMP to a busy TSS (the current one): #GP(selector) (Vol. 2A JMP)
    TRY .busy
    jmp TSS_SEL:0
    CLEAR_TRY
.busy:
    CHECK_EQ "JMP to a busy TSS: #GP", [exc_vector], 13
    CHECK_EQ "JMP to a busy TSS: error code = selector", [exc_error], TSS_SEL

    ; ---- IRET with NT = 1 to a task that is not busy: #TS(link) (Vol. 2A IRET)
    mov word [main_tss + TSS_LINK], TSS_B_SEL
    TRY .not_busy
    pushfd
    or dword [esp], EFLAGS_NT
    popfd
    iret
    CLEAR_TRY
.not_busy:
    mov word [main_tss + TSS_LINK], 0
    CHECK_EQ "IRET to a task that is not busy: #TS", [exc_vector], 10
    CHECK_EQ "IRET to a task that is not busy: error code = link", [exc_error], TSS_B_SEL

    ; ---- #DF through a task gate (6.15, Interrupt 8): a push past SS's limit raises #SS,
    ; whose delivery on the same stack faults again (contributory twice: #DF, Table 6-5);
    ; the task gate gives the handler its own stack, and the error code 0 is pushed there.
    ; The handler task then points the faulting task's saved state at .df_back and IRETs.
    mov edi, tss_d
    mov eax, task_df
    mov edx, task_d_stack
    call init_tss
    mov eax, TSS_D_SEL
    mov ebx, tss_d
    mov ecx, 103
    mov dx, ACC_TSS32
    call set_gdt_entry
    mov eax, SMALL_SS
    xor ebx, ebx
    mov ecx, 0xfff
    mov dx, (0x4 << 8) | ACC_DATA0
    call set_gdt_entry
    mov eax, 8
    xor ebx, ebx
    mov cx, TSS_D_SEL
    mov dl, ACC_TASKGATE
    call set_idt_gate
    mov [saved_esp], esp
    mov dword [d_tr], 0
    mov dword [d_err], -1
    ; QEMU 7.2 TCG does not check SS's limit on the push, so no fault happens there and these
    ; checks fail; Bochs faults as the SDM says (5.3, 6.15).
    mov ax, SMALL_SS
    mov ss, ax
    mov esp, 0x2000
    push eax
.df_back:
    mov ax, KDATA
    mov ss, ax
    mov esp, [saved_esp]
    mov eax, 8
    mov ebx, [exc_stub_table + 8 * 4]
    mov cx, KCODE
    mov dl, ACC_INTGATE32
    call set_idt_gate
    CHECK_EQ "#DF task gate: TR in the handler task", [d_tr], TSS_D_SEL
    CHECK_EQ "#DF task gate: error code 0 on the new task's stack", [d_err], 0
    CHECK_EQ "#DF task gate: back link = the faulting task", [d_link], TSS_SEL
    CHECK_EQ "#DF task gate: faulting task's saved SS", [d_saved_ss], SMALL_SS
    ret

; record_task: the state a task sees right after the switch. EAX = the register to keep.
record_task:
    mov [t_reg], eax
    str ax
    movzx eax, ax
    mov [t_tr], eax
    mov eax, cr0
    and eax, CR0_TS
    mov [t_cr0_ts], eax
    pushfd
    pop eax
    and eax, EFLAGS_NT
    mov [t_nt], eax
    TSS_TYPE eax, TSS_SEL
    mov [t_old_type], eax
    mov eax, [t_tr]
    movzx eax, byte [gdt + eax + 5]
    and eax, 0x0f
    mov [t_new_type], eax
    ret

; Task B, entered by JMP: records, then JMPs back. Its TSS then holds the EIP after that JMP.
task_b:
    mov eax, ebx
    call record_task
    jmp TSS_SEL:0
    jmp task_b

; Task C, entered by CALL or INT: records, then IRET returns to the caller (NT = 1).
task_c:
    mov eax, esi
    call record_task
    movzx eax, word [tss_c + TSS_LINK]
    mov [t_link], eax
    iret
    jmp task_c

; The double-fault task: records, repairs the faulting task's saved SS:ESP and EIP, IRETs.
task_df:
    pop eax
    mov [d_err], eax
    str ax
    movzx eax, ax
    mov [d_tr], eax
    movzx eax, word [tss_d + TSS_LINK]
    mov [d_link], eax
    mov eax, [main_tss + TSS_SS]
    mov [d_saved_ss], eax
    mov dword [main_tss + TSS_EIP], test_main.df_back
    mov dword [main_tss + TSS_SS], KDATA
    mov eax, [saved_esp]
    mov [main_tss + TSS_ESP], eax
    iret
    jmp task_df

    section .bss
    alignb 16
tss_d:      resb 104
saved_esp:  resd 1
d_tr:       resd 1
d_err:      resd 1
d_link:     resd 1
d_saved_ss: resd 1
tss_b:      resb 104
tss_c:      resb 104
t_tr:       resd 1
t_cr0_ts:   resd 1
t_reg:      resd 1
t_nt:       resd 1
t_old_type: resd 1
t_new_type: resd 1
t_link:     resd 1
            resb 1024
task_b_stack:
            resb 1024
task_c_stack:
            resb 1024
task_d_stack:

%include "sys-end.inc"
