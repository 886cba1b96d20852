; main.asm: the benchmark guest's entry point and driver.
;
; Multiboot v1 (spec 0.6.96 §3.2): we get flat 32-bit segments, CR0.PE = 1,
; paging and interrupts off, and nothing else we rely on (ESP and DF are
; undefined). The driver walks bench_table (workloads.asm) and brackets each
; workload with a line on COM1, which the host timestamps:
;
;   BENCH <name> BEGIN <kind: int or float>
;   BENCH <name> END <checksum, 8 hex digits>
;   ...
;   BENCH DONE
;
; then ends the run through isa-debug-exit with value 0 (QEMU and wasmkvm
; exit with status 1; v86 stops at the port write as well).
;
; Before the first workload the FPU and SSE are made usable (SDM Vol. 3A
; 13.1.3, 13.1.4): CR0.EM = 0 and CR0.TS = 0 (no #UD / #NM), CR0.MP = 1,
; CR0.NE = 1 (native x87 error reporting), CR4.OSFXSR = 1 (SSE instructions
; allowed), CR4.OSXMMEXCPT = 1, then FNINIT. MXCSR keeps its reset value
; 1F80H: all SIMD exceptions masked, round to nearest.

    cpu 686

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
BENCH_KIND      equ 12
BENCH_SIZE      equ 16

CR0_MP          equ 1 << 1
CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR0_NE          equ 1 << 5
CR4_OSFXSR      equ 1 << 9
CR4_OSXMMEXCPT  equ 1 << 10

section .text
_start:
    mov esp, stack_top
    push dword 0                    ; EFLAGS: IF = 0, DF = 0 (cdecl wants DF
    popfd                           ; clear at every call)
    mov eax, cr0
    and eax, ~(CR0_EM | CR0_TS)
    or eax, CR0_MP | CR0_NE
    mov cr0, eax
    mov eax, cr4
    or eax, CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, eax
    fninit
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
    mov esi, [ebx + BENCH_KIND]
    call print_str
    call print_nl
    ; Nothing but the call between the BEGIN line's last byte and the END
    ; line's first byte, so the host's timestamps bracket the workload. The
    ; i386 System V ABI wants ESP + 4 16-byte aligned at the callee's entry
    ; (GCC's SSE code keeps aligned doubles on the stack): stack_top is, so
    ; 12 bytes of padding and the argument make 16.
    sub esp, 12
    push dword [ebx + BENCH_ARG]
    call [ebx + BENCH_FN]
    add esp, 16
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
msg_begin:      db " BEGIN ", 0
msg_end:        db " END ", 0
msg_done:       db `BENCH DONE\n`, 0

section .stack nobits alloc noexec write align=16
    resb STACK_SIZE
stack_top:
