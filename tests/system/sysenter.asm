; sysenter.asm: SYSENTER and SYSEXIT (SDM Vol. 2B SYSENTER, SYSEXIT): the selectors derived
; from IA32_SYSENTER_CS, EIP and ESP from the MSRs and from EDX/ECX, IF cleared by SYSENTER,
; DS left alone by both, and the #GP(0) cases: SYSENTER or SYSEXIT with IA32_SYSENTER_CS = 0,
; SYSEXIT at CPL 3.
%include "sys.inc"

MSR_SYSENTER_CS  equ 0x174
MSR_SYSENTER_ESP equ 0x175
MSR_SYSENTER_EIP equ 0x176

    section .text
; wrmsr_lo: ECX = MSR, EAX = low half, high half 0.
wrmsr_lo:
    push edx
    xor edx, edx
    wrmsr
    pop edx
    ret

test_main:
    mov ecx, MSR_SYSENTER_CS
    xor eax, eax
    call wrmsr_lo
    TRY .enter0
    sysenter
    CLEAR_TRY
.enter0:
    CHECK_EQ "SYSENTER with IA32_SYSENTER_CS = 0: #GP", [exc_vector], 13
    CHECK_EQ "SYSENTER with IA32_SYSENTER_CS = 0: error code 0", [exc_error], 0
    TRY .exit0
    sysexit
    CLEAR_TRY
.exit0:
    CHECK_EQ "SYSEXIT with IA32_SYSENTER_CS = 0: #GP", [exc_vector], 13

    ; SYSEXIT: CS = IA32_SYSENTER_CS + 16 | 3, SS = + 24 | 3 (our UCODE, UDATA), EIP = EDX,
    ; ESP = ECX; SYSENTER: CS = IA32_SYSENTER_CS, SS = + 8, EIP and ESP from the MSRs.
    mov ecx, MSR_SYSENTER_CS
    mov eax, KCODE
    call wrmsr_lo
    mov ecx, MSR_SYSENTER_ESP
    mov eax, sysenter_stack
    call wrmsr_lo
    mov ecx, MSR_SYSENTER_EIP
    mov eax, sysenter_entry
    call wrmsr_lo
    pushad
    mov [se_return_esp], esp
    mov edx, user_code
    mov ecx, user_stack_top - 16
    sti                                 ; both PICs are masked: only SYSENTER clears IF here
    sysexit
.back:
    CHECK_EQ "SYSEXIT: CS = IA32_SYSENTER_CS + 16, RPL 3", [u_cs], UCODE
    CHECK_EQ "SYSEXIT: SS = IA32_SYSENTER_CS + 24, RPL 3", [u_ss], UDATA
    CHECK_EQ "SYSEXIT: ESP = ECX", [u_esp], user_stack_top - 16
    CHECK_EQ "SYSEXIT: DS unchanged", [u_ds], KDATA
    CHECK_EQ "SYSENTER: CS = IA32_SYSENTER_CS", [k_cs], KCODE
    CHECK_EQ "SYSENTER: SS = IA32_SYSENTER_CS + 8", [k_ss], KDATA
    CHECK_EQ "SYSENTER: ESP = IA32_SYSENTER_ESP", [k_esp], sysenter_stack
    CHECK_EQ "SYSENTER: IF cleared", [k_if], 0
    CHECK_EQ "SYSENTER: DS unchanged", [k_ds], KDATA

    TRY .exit3
    mov eax, user_sysexit
    call call_user
    CLEAR_TRY
.exit3:
    CHECK_EQ "SYSEXIT at CPL 3: #GP", [exc_vector], 13
    CHECK_EQ "SYSEXIT at CPL 3: error code 0", [exc_error], 0
    ret

; Ring 3, reached by SYSEXIT with DS = KDATA still loaded (a DPL-0 segment, usable: the
; checks happen when a segment register is loaded, not when it is used).
user_code:
    mov ax, cs
    movzx eax, ax
    mov [u_cs], eax
    mov ax, ss
    movzx eax, ax
    mov [u_ss], eax
    mov [u_esp], esp
    mov ax, ds
    movzx eax, ax
    mov [u_ds], eax
    sysenter

sysenter_entry:
    pushfd
    pop eax
    and eax, EFLAGS_IF
    mov [k_if], eax
    mov ax, cs
    movzx eax, ax
    mov [k_cs], eax
    mov ax, ss
    movzx eax, ax
    mov [k_ss], eax
    mov [k_esp], esp
    mov ax, ds
    movzx eax, ax
    mov [k_ds], eax
    mov esp, [se_return_esp]
    popad
    jmp test_main.back

user_sysexit:
    sysexit
    int VEC_RETURN

    section .bss
se_return_esp: resd 1
u_cs:   resd 1
u_ss:   resd 1
u_esp:  resd 1
u_ds:   resd 1
k_cs:   resd 1
k_ss:   resd 1
k_esp:  resd 1
k_if:   resd 1
k_ds:   resd 1
    alignb 16
        resb 1024
sysenter_stack:

%include "sys-end.inc"
