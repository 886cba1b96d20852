; main.asm: the benchmark guest's entry point and driver.
;
; Multiboot v1 (spec 0.6.96 §3.2): we get flat 32-bit segments, CR0.PE = 1,
; paging and interrupts off, and nothing else we rely on (ESP and DF are
; undefined). The driver walks bench_table (workloads.asm) and brackets each
; workload with a line on COM1, which the host timestamps:
;
;   BENCH <name> BEGIN
;   BENCH <name> END <checksum, 8 hex digits>
;   ...
;   BENCH DONE
;
; then ends the run through isa-debug-exit with value 0 (QEMU and wasmkvm
; exit with status 1; v86 stops at the port write as well).

    cpu 486

%include "multiboot.inc"
%include "uart16550.inc"
%include "print.inc"
%include "debug_exit.inc"

MULTIBOOT_HEADER MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO

extern bench_table, bench_count

global _start

STACK_SIZE      equ 65536           ; fib(32) recurses 32 deep; plenty

; bench_table entry layout (workloads.asm)
BENCH_NAME      equ 0
BENCH_FN        equ 4
BENCH_ARG       equ 8
BENCH_SIZE      equ 12

section .text
_start:
    mov esp, stack_top
    push dword 0                    ; EFLAGS: IF = 0, DF = 0 (cdecl wants DF
    popfd                           ; clear at every call)
    call serial_init
    mov ebx, bench_table
    mov edi, [bench_count]
.workload:
    mov esi, msg_bench
    call print_str
    mov esi, [ebx + BENCH_NAME]
    call print_str
    mov esi, msg_begin
    call print_str
    ; Nothing but the call between the BEGIN line's last byte and the END
    ; line's first byte, so the host's timestamps bracket the workload.
    push dword [ebx + BENCH_ARG]
    call [ebx + BENCH_FN]
    add esp, 4
    mov ecx, eax
    mov esi, msg_bench
    call print_str
    mov esi, [ebx + BENCH_NAME]
    call print_str
    mov esi, msg_end
    call print_str
    mov eax, ecx
    call print_hex32
    call print_nl
    add ebx, BENCH_SIZE
    dec edi
    jnz .workload
    mov esi, msg_done
    call print_str
    xor eax, eax
    call debug_exit
    jmp halt_forever                ; no isa-debug-exit device: stop here

section .rodata
msg_bench:      db "BENCH ", 0
msg_begin:      db ` BEGIN\n`, 0
msg_end:        db " END ", 0
msg_done:       db `BENCH DONE\n`, 0

section .stack nobits alloc noexec write align=16
    resb STACK_SIZE
stack_top:
