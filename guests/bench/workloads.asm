; workloads.asm: the benchmark workloads, shared by the guest and the native run.
;
; Assembled twice from this one source: into the multiboot guest
; (guests/bench/build.sh -> bench/guests/bench.elf, driven by main.asm) and
; into a Linux i386 object that bench/native/driver.c links against and times
; on the host CPU. Both drivers walk bench_table, so names, arguments and
; iteration counts live here only.
;
; Each workload is `uint32_t fn(uint32_t arg)` with the System V i386 (cdecl)
; convention: argument on the stack, result in EAX, EBX/ESI/EDI/EBP preserved,
; EFLAGS.DF clear on entry and on return. Each one initialises every byte of
; guest memory it reads, so a run is deterministic whatever the loader left in
; .bss, and returns a checksum that the host compares across all runs. A
; checksum never mixes in an address (the two builds link the buffers at
; different places), only values and offsets.
;
; Only the i486 integer instruction set (`cpu 486` makes NASM enforce it): no
; x87, no MMX/SSE, no CMOV, no CPUID. Only absolute addresses, so the native
; link must be -no-pie.
;
; The float workloads (matmul, fft) are C, guests/bench/float.c, compiled once
; for SSE2 and once for the x87 (guests/bench/float-objects.sh); this table
; lists them too, so both drivers run integer and float workloads alike. The
; `kind` of each entry says which geometric mean of the report it joins.

    cpu 486
    bits 32

global bench_table, bench_count
global bench_sieve, bench_crc32, bench_string, bench_fib, bench_list, bench_dispatch
extern bench_matmul_sse2, bench_fft_sse2, bench_matmul_x87, bench_fft_x87

; bench_table entry: NUL-terminated name, function, argument, NUL-terminated
; kind ("int" or "float").
struc bench
    .name       resd 1
    .fn         resd 1
    .arg        resd 1
    .kind       resd 1
endstruc

; Sizes and iteration counts, tuned so that each workload takes 10-40 ms on
; the host CPU and 100-600 ms in v86 (2 cores, AMD EPYC, idle; bench/README.md).
SIEVE_N         equ 1000000         ; flags, one byte per number below N
SIEVE_REPS      equ 10
CRC_LEN         equ 65536           ; bytes hashed per pass
CRC_REPS        equ 48
STR_LEN         equ 65536           ; bytes per string buffer (power of two)
STR_REPS        equ 320
FIB_N           equ 32              ; fib(32): 7,049,155 calls
LIST_NODES      equ 16384           ; 16-byte nodes, 256 KiB: L2-sized, so the
                                    ; native figure is not DRAM latency
LIST_REPS       equ 512
DISPATCH_ITERS  equ 2500000         ; bytecode loop iterations, 8 ops each
MATMUL_REPS     equ 160             ; 64 x 64 double products
FFT_REPS        equ 300             ; 1024-point forward + inverse pairs
; The x87 variants do less: they were sized when wasmkvm ran every x87
; instruction in a TypeScript helper. The common forms now run in Wasm
; (jit/emit/x87-runtime.ts), about 200-340x the host; the counts stay so
; that figures remain comparable across sessions (bench/README.md).
MATMUL_X87_REPS equ 4
FFT_X87_REPS    equ 8

XORSHIFT_SEED   equ 0x2545f491
CRC32_POLY      equ 0xedb88320      ; reflected IEEE 802.3 polynomial

; XORSHIFT32 reg, tmp: Marsaglia's xorshift32 (13, 17, 5) step on reg.
%macro XORSHIFT32 2
    mov %2, %1
    shl %2, 13
    xor %1, %2
    mov %2, %1
    shr %2, 17
    xor %1, %2
    mov %2, %1
    shl %2, 5
    xor %1, %2
%endmacro

    [section .rodata]
name_sieve:     db "sieve", 0
name_crc32:     db "crc32", 0
name_string:    db "string", 0
name_fib:       db "fib", 0
name_list:      db "list", 0
name_dispatch:  db "dispatch", 0
name_matmul_sse2: db "matmul-sse2", 0
name_fft_sse2:  db "fft-sse2", 0
name_matmul_x87: db "matmul-x87", 0
name_fft_x87:   db "fft-x87", 0
kind_int:       db "int", 0
kind_float:     db "float", 0

align 4
bench_table:
    dd name_sieve,       bench_sieve,       SIEVE_REPS,     kind_int
    dd name_crc32,       bench_crc32,       CRC_REPS,       kind_int
    dd name_string,      bench_string,      STR_REPS,       kind_int
    dd name_fib,         bench_fib,         FIB_N,          kind_int
    dd name_list,        bench_list,        LIST_REPS,      kind_int
    dd name_dispatch,    bench_dispatch,    DISPATCH_ITERS, kind_int
    dd name_matmul_sse2, bench_matmul_sse2, MATMUL_REPS,    kind_float
    dd name_fft_sse2,    bench_fft_sse2,    FFT_REPS,       kind_float
    dd name_matmul_x87,  bench_matmul_x87,  MATMUL_X87_REPS, kind_float
    dd name_fft_x87,     bench_fft_x87,     FFT_X87_REPS,   kind_float
bench_table_end:
bench_count:    dd (bench_table_end - bench_table) / bench_size

    [section .text]

; ---------------------------------------------------------------------------
; sieve(reps): sieve of Eratosthenes over [0, SIEVE_N), byte flags, `reps`
; times. Per pass: REP STOSD fill, the marking loops, then a branch-free
; count and sum of the primes. Returns a mix of every pass's count and sum.
bench_sieve:
    push ebx
    push esi
    push edi
    push ebp
    mov ebp, [esp + 20]             ; reps
    xor esi, esi                    ; checksum
.pass:
    mov edi, sieve_flags
    mov ecx, SIEVE_N / 4
    mov eax, 0x01010101
    rep stosd
    mov word [sieve_flags], 0       ; 0 and 1 are not prime
    mov ebx, 2                      ; i
.outer:
    mov eax, ebx
    mul eax                         ; EAX = i * i (EDX clobbered)
    cmp eax, SIEVE_N
    jae .count
    cmp byte [sieve_flags + ebx], 0
    je .next
.mark:                              ; for j = i * i; j < N; j += i
    mov byte [sieve_flags + eax], 0
    add eax, ebx
    cmp eax, SIEVE_N
    jb .mark
.next:
    inc ebx
    jmp .outer
.count:
    xor ecx, ecx                    ; n
    xor edx, edx                    ; sum of primes (mod 2^32)
    xor edi, edi                    ; count of primes
.count_loop:
    movzx eax, byte [sieve_flags + ecx]
    add edi, eax
    neg eax                         ; 0 or all ones
    and eax, ecx
    add edx, eax
    inc ecx
    cmp ecx, SIEVE_N
    jb .count_loop
    rol esi, 7
    xor esi, edx
    add esi, edi
    dec ebp
    jnz .pass
    mov eax, esi
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret

; ---------------------------------------------------------------------------
; crc32(reps): bitwise (table-less) CRC-32 of a CRC_LEN-byte xorshift buffer,
; `reps` passes, each seeded with the previous CRC. Eight branch-free shift and
; conditional-XOR steps per byte, the way compilers emit the bitwise loop.
bench_crc32:
    push ebx
    push esi
    push edi
    push ebp
    mov ebp, [esp + 20]             ; reps
    mov edi, crc_buf                ; fill the buffer
    mov eax, XORSHIFT_SEED
    mov ecx, CRC_LEN / 4
.fill:
    XORSHIFT32 eax, edx
    stosd
    dec ecx
    jnz .fill
    xor eax, eax                    ; CRC of the previous pass
.pass:
    not eax                         ; initial value ~crc
    mov esi, crc_buf
    mov ecx, CRC_LEN
.byte:
    movzx edx, byte [esi]
    xor eax, edx
%rep 8
    mov edx, eax
    shr eax, 1
    and edx, 1
    neg edx
    and edx, CRC32_POLY
    xor eax, edx
%endrep
    inc esi
    dec ecx
    jnz .byte
    not eax                         ; final XOR
    dec ebp
    jnz .pass
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret

; ---------------------------------------------------------------------------
; string(reps): the string instructions. Per pass r: REP STOSD a pattern into
; A, REP MOVSD A to B, flip one byte of B, REPE CMPSB finds it, REP MOVSB an
; unaligned overlapping copy inside A, LODSB/STOSB transform of 4 KiB,
; REPNE SCASB for a planted NUL. Positions come from xorshift.
bench_string:
    push ebx
    push esi
    push edi
    push ebp
    mov ebp, [esp + 20]             ; reps
    mov ebx, XORSHIFT_SEED          ; random state
    xor edx, edx                    ; checksum
.pass:
    XORSHIFT32 ebx, eax
    mov eax, ebx                    ; fill A with a pattern
    or eax, 0x01010101              ; no NUL bytes, so REPNE SCASB finds ours
    mov edi, str_a
    mov ecx, STR_LEN / 4
    rep stosd
    mov esi, str_a                  ; B = A
    mov edi, str_b
    mov ecx, STR_LEN / 4
    rep movsd
    mov eax, ebx                    ; flip B[p]
    and eax, STR_LEN - 1
    xor byte [str_b + eax], 0x5a
    mov esi, str_a                  ; compare: stops just past B[p]
    mov edi, str_b
    mov ecx, STR_LEN
    repe cmpsb
    add edx, ecx                    ; STR_LEN - p - 1
    mov eax, esi                    ; offsets, never addresses: the guest and
    sub eax, str_a                  ; the native build link A differently
    add edx, eax
    mov esi, str_a + 1              ; A[3 ..] = A[1 ..], forwards, overlapping
    mov edi, str_a + 3
    mov ecx, STR_LEN - 8
    rep movsb
    mov esi, str_b                  ; A[0 .. 4K) = B[i] + i (mod 256), bytewise
    mov edi, str_a
    mov ecx, 4096
.transform:
    lodsb
    add al, cl
    stosb
    dec ecx
    jnz .transform
    mov eax, ebx                    ; plant a NUL in A past 4 KiB and find it
    shr eax, 16
    and eax, STR_LEN - 1
    or eax, 4096
    mov byte [str_a + eax], 0
    mov edi, str_a + 4096
    mov ecx, STR_LEN - 4096
    xor al, al
    repne scasb
    add edx, ecx
    mov eax, edi
    sub eax, str_a
    add edx, eax
    mov eax, [str_a]                ; mix the transformed head in
    xor edx, eax
    mov eax, [str_a + 4092]
    rol edx, 3
    add edx, eax
    dec ebp
    jnz .pass
    mov eax, edx
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret

; ---------------------------------------------------------------------------
; fib(n): naive recursive Fibonacci with EBP frames and stack arguments, so
; the work is CALL, RET, PUSH, POP and stack loads. Returns fib(n) mod 2^32.
bench_fib:
    push ebp
    mov ebp, esp
    push ebx
    mov eax, [ebp + 8]
    cmp eax, 2
    jb .done                        ; fib(0) = 0, fib(1) = 1
    dec eax
    push eax
    call bench_fib
    mov ebx, eax
    mov eax, [ebp + 8]
    sub eax, 2
    mov [esp], eax                  ; reuse the argument slot
    call bench_fib
    add esp, 4
    add eax, ebx
.done:
    pop ebx
    pop ebp
    ret

; ---------------------------------------------------------------------------
; list(reps): pointer chasing. LIST_NODES 16-byte nodes {next, value, visits,
; pad} are linked into one cycle in a random order (Fisher-Yates shuffle with
; xorshift and MUL), then walked `reps` times around, each step a dependent
; load, a multiply-mix and a read-modify-write of the node.
bench_list:
    push ebx
    push esi
    push edi
    push ebp
    mov ecx, LIST_NODES             ; perm[i] = i
    xor eax, eax
    mov edi, list_perm
.init:
    stosd
    inc eax
    dec ecx
    jnz .init
    mov ebx, XORSHIFT_SEED
    mov ecx, LIST_NODES - 1         ; i = n-1 .. 1: swap perm[i], perm[rand % (i+1)]
.shuffle:
    XORSHIFT32 ebx, eax
    mov eax, ebx
    lea esi, [ecx + 1]
    mul esi                         ; EDX = floor(rand * (i+1) / 2^32)
    mov eax, [list_perm + ecx * 4]
    mov esi, [list_perm + edx * 4]
    mov [list_perm + ecx * 4], esi
    mov [list_perm + edx * 4], eax
    dec ecx
    jnz .shuffle
    xor ecx, ecx                    ; node[perm[i]].next = &node[perm[i+1]]
.link:
    mov eax, [list_perm + ecx * 4]
    shl eax, 4
    add eax, list_nodes
    lea edx, [ecx + 1]
    and edx, LIST_NODES - 1         ; the last one closes the cycle
    mov edx, [list_perm + edx * 4]
    shl edx, 4
    add edx, list_nodes
    mov [eax], edx
    XORSHIFT32 ebx, esi
    mov [eax + 4], ebx
    mov dword [eax + 8], 0
    mov dword [eax + 12], ecx
    inc ecx
    cmp ecx, LIST_NODES
    jb .link
    mov ecx, [esp + 20]             ; reps
    mov esi, list_nodes             ; node 0
    xor eax, eax                    ; checksum
.lap:
    mov edx, LIST_NODES
.step:
    mov esi, [esi]                  ; p = p->next
    imul eax, eax, 33
    xor eax, [esi + 4]
    add [esi + 8], eax              ; p->visits += h
    dec edx
    jnz .step
    dec ecx
    jnz .lap
    add eax, [esi + 8]
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret

; ---------------------------------------------------------------------------
; dispatch(iters): a bytecode interpreter, one indirect JMP through a table
; per bytecode op, registers in memory. The program (dispatch_program) runs a
; loop of 8 ops `iters` times; returns r1 ^ r2 ^ r3.
;
; Encoding: 4 bytes per op: opcode, rd, rs/imm8, pad.
OP_HALT     equ 0
OP_MOVI     equ 1                   ; rd = sign-extended imm8
OP_ADD      equ 2                   ; rd += rs
OP_XOR      equ 3                   ; rd ^= rs
OP_ROL      equ 4                   ; rd = rol(rd, imm8)
OP_DEC      equ 5                   ; rd -= 1
OP_JNZ      equ 6                   ; if rd != 0: pc += imm8 ops (from the next op)
OP_MUL      equ 7                   ; rd *= rs (low 32 bits)
OP_OR       equ 8                   ; rd |= rs

bench_dispatch:
    push ebx
    push esi
    push edi
    push ebp
    mov edi, dispatch_regs          ; r0 = iters, r1..r7 = 0
    mov eax, [esp + 20]
    stosd
    xor eax, eax
    mov ecx, 7
    rep stosd
    mov esi, dispatch_program       ; pc
    mov ebp, dispatch_regs
.next:
    movzx eax, byte [esi]           ; opcode
    movzx ebx, byte [esi + 1]       ; rd
    movsx ecx, byte [esi + 2]       ; rs or imm8
    add esi, 4
    jmp [dispatch_ops + eax * 4]
.op_movi:
    mov [ebp + ebx * 4], ecx
    jmp .next
.op_add:
    mov eax, [ebp + ecx * 4]
    add [ebp + ebx * 4], eax
    jmp .next
.op_xor:
    mov eax, [ebp + ecx * 4]
    xor [ebp + ebx * 4], eax
    jmp .next
.op_rol:
    rol dword [ebp + ebx * 4], cl
    jmp .next
.op_dec:
    dec dword [ebp + ebx * 4]
    jmp .next
.op_jnz:
    cmp dword [ebp + ebx * 4], 0
    je .next
    lea esi, [esi + ecx * 4]
    jmp .next
.op_mul:
    mov eax, [ebp + ebx * 4]
    imul eax, [ebp + ecx * 4]
    mov [ebp + ebx * 4], eax
    jmp .next
.op_or:
    mov eax, [ebp + ecx * 4]
    or [ebp + ebx * 4], eax
    jmp .next
.op_halt:
    mov eax, [ebp + 4]
    xor eax, [ebp + 8]
    xor eax, [ebp + 12]
    pop ebp
    pop edi
    pop esi
    pop ebx
    ret

    [section .rodata]
align 4
dispatch_ops:
    dd bench_dispatch.op_halt, bench_dispatch.op_movi, bench_dispatch.op_add
    dd bench_dispatch.op_xor, bench_dispatch.op_rol, bench_dispatch.op_dec
    dd bench_dispatch.op_jnz, bench_dispatch.op_mul, bench_dispatch.op_or

; OP rd, rs/imm8
%macro OP 3
    db %1, %2, %3, 0
%endmacro
dispatch_program:
    OP OP_MOVI, 1, 1                ; r1 = 1
    OP OP_MOVI, 2, 7                ; r2 = 7
    OP OP_MOVI, 4, 1                ; r4 = 1 (keeps r1 odd)
.loop:
    OP OP_ADD, 1, 0                 ; r1 += r0
    OP OP_XOR, 2, 1                 ; r2 ^= r1
    OP OP_ROL, 2, 5                 ; r2 = rol(r2, 5)
    OP OP_OR, 1, 4                  ; r1 |= 1
    OP OP_MUL, 1, 2                 ; r1 *= r2
    OP OP_ADD, 3, 2                 ; r3 += r2
    OP OP_DEC, 0, 0                 ; r0 -= 1
    OP OP_JNZ, 0, (.loop - $ - 4) // 4   ; signed division
    OP OP_HALT, 0, 0

    [section .bss]
alignb 16
sieve_flags:    resb (SIEVE_N + 15) & ~15
crc_buf:        resb CRC_LEN
str_a:          resb STR_LEN
str_b:          resb STR_LEN
list_nodes:     resb LIST_NODES * 16
list_perm:      resd LIST_NODES
dispatch_regs:  resd 8

    __SECT__
