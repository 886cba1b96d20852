; shell.asm: the line editor and command dispatch of the serial shell.

%include "demo.inc"

extern serial_getc, print_char, print_str, print_nl
extern cmd_help, cmd_echo, cmd_exit, cmd_fault, cmd_cpuid, cmd_regs

global shell_run, commands, skip_spaces

LINE_MAX    equ 120             ; bytes of a command line, NUL excluded

; COMMAND name, handler, help: one `command` entry (demo.inc).
%macro COMMAND 3
    [section .rodata]
%%name: db %1, 0
%%help: db %3, 0
    [section .data]
    dd %%name, %2, %%help
    __SECT__
%endmacro

section .data
align 4
commands:                       ; ends with a zero name
    COMMAND "help",  cmd_help,  `  help        list the commands\n`
    COMMAND "cpuid", cmd_cpuid, `  cpuid       CPU vendor, family/model/stepping, feature bits\n`
    COMMAND "regs",  cmd_regs,  `  regs        registers at entry and now, multiboot info\n`
    COMMAND "echo",  cmd_echo,  `  echo ARGS   print ARGS\n`
    COMMAND "exit",  cmd_exit,  `  exit [N]    write N (default 0) to isa-debug-exit: status (N<<1)|1\n`
    COMMAND "fault", cmd_fault, `  fault       divide by zero, to show the exception handler\n`
    dd 0, 0, 0

section .text

; shell_run: prompt, read, run, forever.
shell_run:
    mov esi, msg_prompt
    call print_str
    call read_line
    call run_line
    jmp shell_run

; read_line: edit a line into line_buf until CR or LF, NUL-terminate it.
; Printable ASCII is echoed; BS (0x08) and DEL (0x7f, what most terminals
; send for Backspace) erase; ^C abandons the line; other bytes are ignored.
; The LF of a CR LF pair is swallowed so that it does not end a second line.
read_line:
    pushad
    xor ebx, ebx                    ; EBX = length
.key:
    call serial_getc
    mov ah, [last_was_cr]
    mov byte [last_was_cr], 0
    cmp al, 13
    je .cr
    cmp al, 10
    je .lf
    cmp al, 0x08
    je .erase
    cmp al, 0x7f
    je .erase
    cmp al, 0x03
    je .cancel
    cmp al, ' '
    jb .key
    cmp al, '~'
    ja .key
    cmp ebx, LINE_MAX
    jae .full
    mov [line_buf + ebx], al
    inc ebx
    call print_char                 ; echo
    jmp .key
.full:
    mov al, 0x07                    ; BEL: the line is full
    call print_char
    jmp .key
.erase:
    test ebx, ebx
    jz .key
    dec ebx
    mov esi, msg_erase
    call print_str
    jmp .key
.cancel:
    mov esi, msg_cancel
    call print_str
    xor ebx, ebx
    jmp .end
.cr:
    mov byte [last_was_cr], 1
    jmp .enter
.lf:
    test ah, ah
    jnz .key
.enter:
    call print_nl
.end:
    mov byte [line_buf + ebx], 0
    popad
    ret

; run_line: split line_buf into the command word and its arguments, then
; call the matching handler.
run_line:
    mov esi, line_buf
    call skip_spaces
    cmp byte [esi], 0
    je .empty
    mov edi, esi                    ; find the end of the command word
.word:
    mov al, [edi]
    test al, al
    jz .args
    cmp al, ' '
    je .split
    inc edi
    jmp .word
.split:
    mov byte [edi], 0               ; the word is now a C string
    inc edi
.args:
    xchg esi, edi                   ; ESI = arguments, EDI = word
    call skip_spaces
    mov ebx, commands
.lookup:
    mov edx, [ebx + command.name]
    test edx, edx
    jz .unknown
    call strings_equal              ; EDX vs EDI
    je .found
    add ebx, command_size
    jmp .lookup
.found:
    jmp [ebx + command.handler]     ; tail call: it returns to shell_run
.unknown:
    mov esi, msg_unknown
    call print_str
    mov esi, edi
    call print_str
    mov esi, msg_try_help
    call print_str
.empty:
    ret

; strings_equal: ZF = 1 if the C strings at EDX and EDI are equal.
strings_equal:
    push eax
    push edx
    push edi
.next:
    mov al, [edx]
    cmp al, [edi]
    jne .done                       ; ZF = 0
    test al, al
    jz .done                        ; ZF = 1: both ended
    inc edx
    inc edi
    jmp .next
.done:
    pop edi
    pop edx
    pop eax
    ret

; skip_spaces: advance ESI past spaces.
skip_spaces:
    cmp byte [esi], ' '
    jne .done
    inc esi
    jmp skip_spaces
.done:
    ret

section .rodata
msg_prompt:     db "wasmkvm> ", 0
msg_erase:      db 8, " ", 8, 0     ; back, blank the cell, back again
msg_cancel:     db `^C\n`, 0
msg_unknown:    db "unknown command: ", 0
msg_try_help:   db ` (try help)\n`, 0

section .bss
line_buf:       resb LINE_MAX + 1
last_was_cr:    resb 1
