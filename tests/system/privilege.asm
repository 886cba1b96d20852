; privilege.asm: privilege transitions. A call gate from ring 3 to ring 0 with parameter copy
; and the stack switch, far RET to the outer ring, IRET to ring 3, conforming code, the data
; segment registers nulled on a return to an outer ring, and the checks that refuse a
; transfer: gate DPL, a direct call to more privileged code, CLI and IN at CPL 3, LAR/VERR/VERW.
; SDM Vol. 3A 5.8 (calling procedures, call gates, Figure 5-13 stack switch), 5.8.6 (returning),
; 5.10 (LAR, VERR, VERW); Vol. 2A CALL, RET, IRET.
%include "sys.inc"

GATE3_SEL   equ FREE_SEL + 0x00         ; call gate DPL 3 -> KCODE:gate_target, 2 parameters
GATE0_SEL   equ FREE_SEL + 0x08         ; call gate DPL 0 -> KCODE:gate_target
CONF_SEL    equ FREE_SEL + 0x10         ; conforming code, DPL 0
GATE_DS_SEL equ FREE_SEL + 0x18         ; call gate DPL 3 -> KCODE:gate_loads_kdata
ACC_CONFORMING0 equ 0x9e                ; present, DPL 0, code, conforming, readable
EFLAGS_ZF   equ 1 << 6

    section .text
test_main:
    mov edi, gdt + GATE3_SEL
    mov ebx, gate_target
    mov cx, KCODE
    mov dx, (2 << 8) | ACC_CALLGATE32 | DPL3
    call set_gate
    mov edi, gdt + GATE0_SEL
    mov dx, ACC_CALLGATE32
    call set_gate
    mov edi, gdt + GATE_DS_SEL
    mov ebx, gate_loads_kdata
    mov dx, ACC_CALLGATE32 | DPL3
    call set_gate
    mov eax, CONF_SEL
    xor ebx, ebx
    mov ecx, 0xfffff
    mov dx, (FLAGS_32 << 8) | ACC_CONFORMING0
    call set_gdt_entry

    ; ---- call gate to ring 0 with 2 parameters (Figure 5-13), RETF 8 back to ring 3
    mov eax, user_call_gate
    call call_user
    CHECK_EQ "call gate: CS in the procedure", [g_cs], KCODE
    CHECK_EQ "call gate: SS = SS0 from the TSS", [g_ss], KDATA
    CHECK_EQ "call gate: ESP = ESP0 - 24", [g_esp], exc_stack_top - 24
    CHECK_EQ "call gate: new stack [0] = return EIP", [g_frame], user_call_gate.ret
    CHECK_EQ "call gate: new stack [1] = caller CS", [g_frame + 4], UCODE
    CHECK_EQ "call gate: new stack [2] = last parameter pushed", [g_frame + 8], 0x2222
    CHECK_EQ "call gate: new stack [3] = first parameter pushed", [g_frame + 12], 0x1111
    CHECK_EQ "call gate: new stack [4] = caller ESP", [g_frame + 16], user_stack_top - 8
    CHECK_EQ "call gate: new stack [5] = caller SS", [g_frame + 20], UDATA
    CHECK_EQ "RETF 8 to ring 3: CS", eax, UCODE
    CHECK_EQ "RETF 8 to ring 3: caller ESP past the parameters", ecx, user_stack_top
    CHECK_EQ "RETF to ring 3 keeps a DPL-3 DS", edx, UDATA

    ; ---- RETF to ring 3 nulls a DS that holds a DPL-0 data segment (Vol. 2A RET)
    mov eax, user_retf_nulls_ds
    call call_user
    CHECK_EQ "RETF to ring 3: DPL-0 DS becomes null", eax, 0

    ; ---- IRET to ring 3 nulls DS too; a later access through it is #GP(0) (Vol. 2A IRET;
    ; Vol. 3A 5.4.1: a memory access through a null selector). QEMU 7.2 TCG nulls the selector
    ; but lets the access through; Bochs faults, as the SDM says.
    mov dword [r_ds], -1
    TRY .iret_ds
    call iret_with_kernel_ds
    CLEAR_TRY
.iret_ds:
    CHECK_EQ "IRET to ring 3: CS.RPL = 3", [r_cs], UCODE
    CHECK_EQ "IRET to ring 3: DPL-0 DS becomes null", [r_ds], 0
    CHECK_EQ "access through the null DS: #GP", [exc_vector], 13
    CHECK_EQ "access through the null DS: error code 0", [exc_error], 0

    ; ---- conforming code: CPL stays 3, no stack switch (5.8.1.2)
    mov eax, user_conforming
    call call_user
    CHECK_EQ "conforming code: CS = selector with RPL = CPL 3", eax, CONF_SEL | 3
    CHECK_EQ "conforming code: same stack", ecx, user_stack_top - 8

    ; ---- refused transfers
    TRY .direct
    mov eax, user_call_kcode
    call call_user
    CLEAR_TRY
.direct:
    CHECK_EQ "CALL from ring 3 to non-conforming DPL-0 code: #GP", [exc_vector], 13
    CHECK_EQ "CALL to DPL-0 code from ring 3: error code = the code selector", [exc_error], KCODE
    TRY .gate0
    mov eax, user_call_gate0
    call call_user
    CLEAR_TRY
.gate0:
    CHECK_EQ "CALL from ring 3 through a DPL-0 gate: #GP", [exc_vector], 13
    CHECK_EQ "CALL through a DPL-0 gate from ring 3: error code = the gate selector", [exc_error], GATE0_SEL
    TRY .cli
    mov eax, user_cli
    call call_user
    CLEAR_TRY
.cli:
    CHECK_EQ "CLI at CPL 3 with IOPL 0: #GP", [exc_vector], 13
    CHECK_EQ "CLI at CPL 3: error code 0", [exc_error], 0
    TRY .in
    mov eax, user_in
    call call_user
    CLEAR_TRY
.in:
    CHECK_EQ "IN at CPL 3, IOPL 0, no I/O bitmap: #GP", [exc_vector], 13

    ; ---- LAR, VERR, VERW at CPL 3 (5.10)
    mov eax, user_lar
    call call_user
    CHECK_EQ "LAR of a DPL-0 segment at CPL 3: ZF = 0", eax, 0
    CHECK_EQ "LAR of the ring-3 data segment: access rights", ecx, 0x00c0f300
    CHECK_EQ "VERW of ring-3 data, VERR of ring-3 code: ZF = 1; VERW of code: ZF = 0", edx, 0b110
    ret

; ---- ring-0 side
gate_target:
    mov [g_esp], esp
    mov ax, cs
    movzx eax, ax
    mov [g_cs], eax
    mov ax, ss
    movzx eax, ax
    mov [g_ss], eax
    xor ecx, ecx
.copy:
    mov eax, [esp + ecx * 4]
    mov [g_frame + ecx * 4], eax
    inc ecx
    cmp ecx, 6
    jb .copy
    retf 8

; Like call_user, but DS keeps KDATA across the IRET to user_after_iret.
iret_with_kernel_ds:
    pushad
    mov [user_return_esp], esp
    push dword UDATA
    push dword user_stack_top
    push dword 2
    push dword UCODE
    push dword user_after_iret
    iret

gate_loads_kdata:
    mov ax, KDATA
    mov ds, ax
    retf

; ---- ring-3 side
user_call_gate:
    push dword 0x1111
    push dword 0x2222
    call GATE3_SEL:0
.ret:
    mov ax, cs
    movzx eax, ax
    mov ecx, esp
    mov dx, ds
    movzx edx, dx
    int VEC_RETURN

user_retf_nulls_ds:
    call GATE_DS_SEL:0
    mov ax, ds
    movzx eax, ax
    mov cx, UDATA
    mov ds, cx
    int VEC_RETURN

user_after_iret:
    mov ax, cs
    movzx eax, ax
    mov [ss:r_cs], eax
    mov ax, ds
    movzx eax, ax
    mov [ss:r_ds], eax
    mov eax, [0x100000]
    int VEC_RETURN

user_conforming:
    call CONF_SEL:conforming_code
    int VEC_RETURN
conforming_code:
    mov ax, cs
    movzx eax, ax
    mov ecx, esp
    retf

user_call_kcode:
    call KCODE:gate_target
    int VEC_RETURN

user_call_gate0:
    call GATE0_SEL:0
    int VEC_RETURN

user_cli:
    cli
    int VEC_RETURN

user_in:
    in al, 0x80
    int VEC_RETURN

user_lar:
    xor edx, edx
    mov cx, KDATA
    lar eax, cx
    pushfd
    pop eax
    and eax, EFLAGS_ZF
    mov bx, UDATA
    lar ecx, bx
    and ecx, 0x00f0ff00                 ; Vol. 2A LAR: "masked by 00FxFF00H", bits 19:16 undefined
    verw bx
    setz dl
    shl edx, 1
    mov bx, UCODE
    verr bx
    setz bl
    or dl, bl
    shl edx, 1
    mov bx, UCODE
    verw bx
    setz bl
    or dl, bl
    int VEC_RETURN

    section .bss
g_cs:       resd 1
g_ss:       resd 1
g_esp:      resd 1
g_frame:    resd 6
r_cs:       resd 1
r_ds:       resd 1

%include "sys-end.inc"
