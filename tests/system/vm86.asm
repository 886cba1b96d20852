; vm86.asm: virtual-8086 mode with CR4.VME = 0. Entry by IRET with EFLAGS.VM = 1, address
; formation (segment * 16 + offset), IOPL-sensitive instructions (INT n, CLI, PUSHF, IRET) raising
; #GP(0) at IOPL < 3, INT n through the IDT at IOPL 3 with the 9-dword frame and DS/ES/FS/GS
; nulled in the handler, IRET back to virtual-8086 mode, and IN checking the I/O permission
; bitmap whatever the IOPL. SDM Vol. 3A chapter 20 (20.2.7 sensitive instructions, 20.2.8 I/O,
; 20.3.1.1 handling an interrupt in a protected-mode handler, Figure 20-2).
%include "sys.inc"

V86_SEG     equ 0x2000                  ; the snippet runs at linear 0x20000
V86_BASE    equ V86_SEG * 16
V86_SP      equ 0xfff0
VEC_V86_INT equ 0x60                    ; a handler that IRETs back to virtual-8086 mode
VEC_V86_EXIT equ 0x61                   ; a handler that ends the virtual-8086 excursion
V86_ES      equ 0x1111
V86_FS      equ 0x3333
V86_GS      equ 0x4444
%define OFF(label) ((label) - v86_start)

    section .text
test_main:
    mov esi, v86_start
    mov edi, V86_BASE
    mov ecx, v86_end - v86_start
    rep movsb
    mov eax, VEC_V86_INT
    mov ebx, v86_int_handler
    mov cx, KCODE
    mov dl, ACC_INTGATE32 | DPL3
    call set_idt_gate
    mov eax, VEC_V86_EXIT
    mov ebx, v86_exit_handler
    call set_idt_gate

    ; ---- IOPL 0: INT n is #GP(0) with CR4.VME = 0 (20.2.7), the frame is Figure 20-2's
    TRY .int_gp
    mov eax, OFF(v86_int21)
    xor edx, edx
    call enter_v86
    CLEAR_TRY
.int_gp:
    CHECK_EQ "IOPL 0: INT n in v86 mode: #GP", [exc_vector], 13
    CHECK_EQ "IOPL 0: INT n: error code 0", [exc_error], 0
    CHECK_EQ "#GP frame: EIP = the INT's offset", [exc_frame + 8], OFF(v86_int21)
    CHECK_EQ "#GP frame: CS = the v86 segment", [exc_frame + 12], V86_SEG
    mov eax, [exc_frame + 16]
    and eax, EFLAGS_VM
    CHECK_EQ "#GP frame: EFLAGS.VM = 1", eax, EFLAGS_VM
    CHECK_EQ "#GP frame: SS", [exc_frame + 24], V86_SEG
    CHECK_EQ "#GP frame: ES", [exc_frame + 28], V86_ES
    CHECK_EQ "#GP frame: DS", [exc_frame + 32], V86_SEG
    CHECK_EQ "#GP frame: FS", [exc_frame + 36], V86_FS
    CHECK_EQ "#GP frame: GS", [exc_frame + 40], V86_GS

    TRY .cli_gp
    mov eax, OFF(v86_cli)
    xor edx, edx
    call enter_v86
    CLEAR_TRY
.cli_gp:
    CHECK_EQ "IOPL 0: CLI in v86 mode: #GP", [exc_vector], 13
    TRY .pushf_gp
    mov eax, OFF(v86_pushf)
    xor edx, edx
    call enter_v86
    CLEAR_TRY
.pushf_gp:
    CHECK_EQ "IOPL 0: PUSHF in v86 mode: #GP", [exc_vector], 13
    TRY .iret_gp
    mov eax, OFF(v86_iret)
    xor edx, edx
    call enter_v86
    CLEAR_TRY
.iret_gp:
    CHECK_EQ "IOPL 0: IRET in v86 mode: #GP", [exc_vector], 13
    CHECK_EQ "IOPL 0: IRET: saved EIP is the IRET", [exc_frame + 8], OFF(v86_iret)

    ; ---- IOPL 3: INT n goes through the IDT to ring 0 and IRET returns to v86 mode
    mov dword [V86_BASE + OFF(v86_data)], 0xbeef
    TRY .iopl3
    mov eax, OFF(v86_iopl3)
    mov edx, EFLAGS_IOPL3
    call enter_v86
    CLEAR_TRY
.iopl3:
    CHECK_EQ "IOPL 3: no exception on the way", [exc_vector], -1
    CHECK_EQ "INT from v86: handler sees DS = 0", [h_ds], 0
    CHECK_EQ "INT from v86: handler sees ES = 0", [h_es], 0
    CHECK_EQ "INT from v86: handler sees FS = 0", [h_fs], 0
    CHECK_EQ "INT from v86: handler sees GS = 0", [h_gs], 0
    CHECK_EQ "INT from v86: frame EIP follows the INT", [h_frame], OFF(v86_after_int)
    CHECK_EQ "INT from v86: frame ES", [h_frame + 20], V86_ES
    CHECK_EQ "INT from v86: frame GS", [h_frame + 32], V86_GS
    CHECK_EQ "INT from v86: handler ESP = ESP0 - 36", [h_esp], exc_stack_top - 36
    CHECK_EQ "v86 read at DS:offset = linear DS * 16 + offset", [x_eax], 0xbeef
    mov eax, [x_ebx]
    and eax, EFLAGS_IF | EFLAGS_IOPL3
    CHECK_EQ "IOPL 3: CLI clears IF, PUSHF shows IOPL 3", eax, EFLAGS_IOPL3
    CHECK_EQ "IRET from v86 handler: back in v86 mode (exit frame VM)", [x_vm], EFLAGS_VM

    ; ---- IN in v86 mode checks the I/O bitmap, not IOPL (20.2.8.1): no bitmap, #GP(0)
    TRY .in_gp
    mov eax, OFF(v86_in)
    mov edx, EFLAGS_IOPL3
    call enter_v86
    CLEAR_TRY
.in_gp:
    CHECK_EQ "IOPL 3: IN in v86 mode without an I/O bitmap: #GP", [exc_vector], 13
    ret

; enter_v86: EAX = IP in the snippet, EDX = IOPL bits. IRET with VM = 1 (Vol. 2A IRET,
; RETURN-TO-VIRTUAL-8086-MODE). Returns when the snippet raises VEC_V86_EXIT.
enter_v86:
    pushad
    mov [v86_return_esp], esp
    push dword V86_GS
    push dword V86_FS
    push dword V86_SEG                  ; DS
    push dword V86_ES
    push dword V86_SEG                  ; SS
    push dword V86_SP
    lea ecx, [edx + EFLAGS_VM + 2]
    push ecx
    push dword V86_SEG                  ; CS
    push eax
    iret

; Interrupt gate from v86 mode: DS, ES, FS, GS are null here (20.3.1.1); use SS (= SS0).
v86_int_handler:
    mov [ss:h_esp], esp
    push eax
    mov ax, ds
    movzx eax, ax
    mov [ss:h_ds], eax
    mov ax, es
    movzx eax, ax
    mov [ss:h_es], eax
    mov ax, fs
    movzx eax, ax
    mov [ss:h_fs], eax
    mov ax, gs
    movzx eax, ax
    mov [ss:h_gs], eax
    push ecx
    xor ecx, ecx
.copy:
    mov eax, [ss:esp + 8 + ecx * 4]
    mov [ss:h_frame + ecx * 4], eax
    inc ecx
    cmp ecx, 9
    jb .copy
    pop ecx
    pop eax
    iret

v86_exit_handler:
    mov [ss:x_eax], eax
    mov [ss:x_ebx], ebx
    mov eax, [esp + 8]
    and eax, EFLAGS_VM
    mov [ss:x_vm], eax
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov esp, [v86_return_esp]
    popad
    ret

; ---- the virtual-8086 snippet, copied to V86_BASE
    bits 16
v86_start:
v86_int21:
    int 0x21
    jmp $
v86_cli:
    cli
    jmp $
v86_pushf:
    pushf
    jmp $
v86_iret:
    iret
    jmp $
v86_iopl3:
    xor eax, eax
    mov ax, [OFF(v86_data)]
    int VEC_V86_INT
v86_after_int:
    cli
    pushf
    pop bx
    int VEC_V86_EXIT
v86_in:
    in al, 0x80
    int VEC_V86_EXIT
v86_data:
    dd 0
v86_end:
    bits 32

    section .bss
v86_return_esp: resd 1
h_esp:      resd 1
h_ds:       resd 1
h_es:       resd 1
h_fs:       resd 1
h_gs:       resd 1
h_frame:    resd 9
x_eax:      resd 1
x_ebx:      resd 1
x_vm:       resd 1

%include "sys-end.inc"
