; commands.asm: the small shell commands (help, echo, exit, fault).
; cpuid and regs have files of their own.

%include "demo.inc"

extern print_str, print_nl, print_dec32
extern debug_exit, halt_forever
extern commands

global cmd_help, cmd_echo, cmd_exit, cmd_fault

section .text

cmd_help:
    mov esi, msg_commands
    call print_str
    mov ebx, commands
.next:
    cmp dword [ebx + command.name], 0
    je .done
    mov esi, [ebx + command.help]
    call print_str
    add ebx, command_size
    jmp .next
.done:
    ret

cmd_echo:
    call print_str
    jmp print_nl

; exit [N]: QEMU's isa-debug-exit turns the value into the process status
; (N << 1) | 1 (hw/misc/debugexit.c); without the device we get here again.
cmd_exit:
    xor eax, eax
    cmp byte [esi], 0
    je .write
    call parse_decimal
    jc .bad
.write:
    call debug_exit
    mov esi, msg_no_device
    call print_str
    jmp halt_forever
.bad:
    push esi
    mov esi, msg_bad_number
    call print_str
    pop esi
    call print_str
    jmp print_nl

; fault: raise #DE (vector 0) on purpose, to show the exception path.
cmd_fault:
    mov esi, msg_fault
    call print_str
    xor edx, edx
    xor eax, eax
    xor ecx, ecx
    div ecx                         ; the faulting instruction
    ret                             ; not reached: exc_common halts

; parse_decimal: ESI = digits, optionally followed by spaces; EAX = value,
; CF = 1 if there are no digits, something else follows, or it overflows.
parse_decimal:
    push ebx
    push ecx
    push edx
    push esi
    xor eax, eax
    mov ebx, 10
    movzx ecx, byte [esi]
    sub ecx, '0'
    cmp ecx, 9
    ja .bad                         ; unsigned: also catches bytes below '0'
.digit:
    mul ebx                         ; EDX:EAX = EAX * 10
    jc .bad                         ; CF = OF = 1: the product needs EDX
    add eax, ecx
    jc .bad
    inc esi
    movzx ecx, byte [esi]
    sub ecx, '0'
    cmp ecx, 9
    jbe .digit
.trailing:
    mov cl, [esi]
    cmp cl, ' '
    jne .end
    inc esi
    jmp .trailing
.end:
    test cl, cl
    jnz .bad
    clc
    jmp .out
.bad:
    stc
.out:
    pop esi
    pop edx
    pop ecx
    pop ebx
    ret

section .rodata
msg_commands:   db `commands:\n`, 0
msg_no_device:  db `exit: no isa-debug-exit device at port 0xf4; halting with interrupts off\n`, 0
msg_bad_number: db "exit: not a decimal number: ", 0
msg_fault:      db `fault: dividing by zero\n`, 0
