; idt.asm: the IDT, the CPU exception handlers and the IRQ entry points.
;
; SDM Vol. 3A chapter 6 "Interrupt and Exception Handling": §6.10 (IDT),
; §6.11 (IDT descriptors), §6.12 (what the CPU pushes), §6.13 (error code),
; Table 6-1 (the vectors). Vectors 0-31 get exception handlers, 0x20-0x2f
; (the remapped PICs) IRQ handlers; every other gate is left not present, so
; a stray INT n shows up as exception 11 (#NP) with the vector in its error
; code instead of vanishing.

%include "demo.inc"

extern print_str, print_char, print_dec32, print_hex32, print_nl
extern debug_exit, halt_forever
extern pic_eoi, pic_is_spurious, serial_irq

global idt_init

IDT_ENTRIES     equ 256
GATE_INT32      equ 0x8e        ; P = 1, DPL = 0, type 1110: 32-bit interrupt
                                ; gate (clears IF on entry)

; The CPU pushes an error code for these vectors only (§6.13, Table 6-1);
; the stubs push a dummy 0 for the others so one frame layout fits all.
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text

%assign v 0
%rep 32
exc_stub_ %+ v:
%if !HAS_ERROR_CODE(v)
    push dword 0
%endif
    push dword v
    jmp exc_common
%assign v v + 1
%endrep

%assign i 0
%rep 16
irq_stub_ %+ i:
    push dword i
    jmp irq_common
%assign i i + 1
%endrep

; idt_init: fill the gates from the stub tables and load IDTR.
idt_init:
    pushad
    xor ecx, ecx
.exception:
    mov eax, [exc_stubs + ecx * 4]
    call set_gate
    inc ecx
    cmp ecx, 32
    jb .exception
    xor ebx, ebx
.irq:
    mov eax, [irq_stubs + ebx * 4]
    lea ecx, [ebx + PIC_MASTER_VECTOR]
    call set_gate
    inc ebx
    cmp ebx, 16
    jb .irq
    lidt [idt_desc]
    popad
    ret

; set_gate: ECX = vector, EAX = handler. The handler's address is split
; around the selector and attributes (§6.11, Figure 6-2), which is why this
; happens at run time rather than in a table the linker could fill.
set_gate:
    push eax
    push edi
    lea edi, [idt + ecx * 8]
    mov [edi], ax
    mov word [edi + 2], KERNEL_CS
    mov byte [edi + 4], 0
    mov byte [edi + 5], GATE_INT32
    shr eax, 16
    mov [edi + 6], ax
    pop edi
    pop eax
    ret

; exc_common: the stack holds vector, error code, then the CPU's EIP, CS,
; EFLAGS (no ESP/SS: no privilege change, §6.12.1). Report and stop: the
; demo has nothing to recover, and a test wants the run to end visibly.
exc_common:
    cld
    mov esi, msg_exception
    call print_str
    mov eax, [esp]
    call print_dec32
    mov esi, msg_at_eip
    call print_str
    mov eax, [esp + 8]
    call print_hex32
    mov esi, msg_error_code
    call print_str
    mov eax, [esp + 4]
    call print_hex32
    mov al, ' '
    call print_char
    mov al, '('
    call print_char
    mov eax, [esp]
    lea esi, [eax * 4 + eax]        ; names are 5 bytes apart
    add esi, exc_names
    call print_str
    mov al, ')'
    call print_char
    cmp dword [esp], 14             ; #PF: CR2 holds the faulting address
    jne .no_cr2
    mov esi, msg_cr2
    call print_str
    mov eax, cr2
    call print_hex32
.no_cr2:
    call print_nl
    mov eax, [esp]
    add eax, EXIT_EXCEPTION_BASE
    call debug_exit
    mov esi, msg_no_exit
    call print_str
    jmp halt_forever

; irq_common: the stack holds the IRQ number, then EIP, CS, EFLAGS.
irq_common:
    pushad
    cld
    mov eax, [esp + 32]             ; above the 8 registers of PUSHAD
    call pic_is_spurious
    jc .spurious
    cmp eax, IRQ_COM1
    jne .unexpected
    call serial_irq
    jmp .eoi
.unexpected:                        ; a masked line cannot get here; say so
    mov esi, msg_unexpected_irq
    call print_str
    call print_dec32
    call print_nl
.eoi:
    call pic_eoi
    jmp .out
.spurious:
    ; No ISR bit was set, so no EOI for the chip that raised it; but a
    ; spurious IRQ 15 did pass the master's IR2, which is in service.
    cmp eax, 15
    jne .out
    mov eax, 2
    call pic_eoi
.out:
    popad
    add esp, 4                      ; the IRQ number
    iretd

section .rodata
align 4
exc_stubs:
%assign v 0
%rep 32
    dd exc_stub_ %+ v
%assign v v + 1
%endrep
irq_stubs:
%assign i 0
%rep 16
    dd irq_stub_ %+ i
%assign i i + 1
%endrep

idt_desc:
    dw IDT_ENTRIES * 8 - 1
    dd idt

; Mnemonics from Table 6-1, 5 bytes each (NUL padded); "-" is reserved.
%macro EXC_NAME 1
%%name: db %1
    times 5 - ($ - %%name) db 0
%endmacro
exc_names:
    EXC_NAME "#DE"
    EXC_NAME "#DB"
    EXC_NAME "NMI"
    EXC_NAME "#BP"
    EXC_NAME "#OF"
    EXC_NAME "#BR"
    EXC_NAME "#UD"
    EXC_NAME "#NM"
    EXC_NAME "#DF"
    EXC_NAME "CSO"                  ; 9: coprocessor segment overrun (i386)
    EXC_NAME "#TS"
    EXC_NAME "#NP"
    EXC_NAME "#SS"
    EXC_NAME "#GP"
    EXC_NAME "#PF"
    EXC_NAME "-"
    EXC_NAME "#MF"
    EXC_NAME "#AC"
    EXC_NAME "#MC"
    EXC_NAME "#XM"
    EXC_NAME "#VE"
    EXC_NAME "#CP"
%rep 6
    EXC_NAME "-"                    ; 22-27
%endrep
    EXC_NAME "#HV"
    EXC_NAME "#VC"
    EXC_NAME "#SX"
    EXC_NAME "-"

msg_exception:      db `\nexception `, 0
msg_at_eip:         db " at EIP=0x", 0
msg_error_code:     db " error code=0x", 0
msg_cr2:            db " cr2=0x", 0
msg_no_exit:        db `no isa-debug-exit device at port 0xf4; halted\n`, 0
msg_unexpected_irq: db `\nunexpected irq `, 0

section .bss
alignb 8
idt:    resq IDT_ENTRIES
