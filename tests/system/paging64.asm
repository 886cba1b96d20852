; paging64.asm: 4-level paging in IA-32e mode. Accessed bits at every level, the dirty bit,
; #PF error codes and CR2 through a 64-bit IDT, XD on a fetch, a reserved bit (PS in a PML4E),
; and the canonical-address checks: #GP(0) for a data reference, #SS(0) for a stack one.
; The 64-bit part only records; after it leaves IA-32e mode again the 32-bit side checks.
; SDM Vol. 3A 4.5 (4-level paging, Tables 4-14 to 4-20), 4.7, 4.8, 9.8.5 (initializing and
; leaving IA-32e mode), 6.14 (64-bit IDT, frames); Vol. 1 3.3.7.1 (canonical addresses).
%include "sys.inc"

CODE64_SEL  equ FREE_SEL
PTE_P       equ 1 << 0
PTE_W       equ 1 << 1
PTE_A       equ 1 << 5
PTE_D       equ 1 << 6
PTE_PS      equ 1 << 7
PF_P        equ 1 << 0
PF_W        equ 1 << 1
PF_RSVD     equ 1 << 3
PF_ID       equ 1 << 4
CR0_PG      equ 1 << 31
CR4_PAE     equ 1 << 5
MSR_EFER    equ 0xc0000080
EFER_LME    equ 1 << 8
EFER_NXE    equ 1 << 11
TEST_VA     equ 0x800000                ; PT-mapped: + 0 present (XD), + 0x1000 not present
FRAME_A     equ 0x300000
RSVD_VA     equ 0x8000000000            ; PML4 entry 1 has PS set: reserved (Table 4-14)
NON_CANONICAL equ 0x0000800000000000

    section .text
test_main:
    mov eax, CODE64_SEL
    xor ebx, ebx
    mov ecx, 0xfffff
    mov dx, (0xa << 8) | ACC_CODE0      ; G = 1, L = 1, D = 0 (3.4.5, 5.2.1)
    call set_gdt_entry
    mov byte [FRAME_A], 0xc3            ; RET, for the fetch from the XD page
    mov dword [FRAME_A + 8], 0x5a5a5a5a
    ; identity map 0-8 MiB with 2 MiB pages, except 8-10 MiB through a page table
    mov dword [pml4], pdpt + (PTE_P | PTE_W)
    mov dword [pml4 + 8], pdpt + (PTE_P | PTE_W | PTE_PS)
    mov dword [pdpt], pd + (PTE_P | PTE_W)
    mov dword [pd + 0 * 8], 0x000000 | PTE_P | PTE_W | PTE_PS
    mov dword [pd + 1 * 8], 0x200000 | PTE_P | PTE_W | PTE_PS
    mov dword [pd + 2 * 8], 0x400000 | PTE_P | PTE_W | PTE_PS
    mov dword [pd + 3 * 8], 0x600000 | PTE_P | PTE_W | PTE_PS
    mov dword [pd + 4 * 8], pt + (PTE_P | PTE_W)
    mov dword [pt], FRAME_A | PTE_P | PTE_W
    mov dword [pt + 4], 0x80000000      ; XD
    call build_idt64

    ; 9.8.5: PAE, CR3, EFER.LME (and NXE), then CR0.PG activates IA-32e mode.
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    mov ecx, MSR_EFER
    rdmsr
    mov [efer_in_long_mode], eax
    jmp CODE64_SEL:long_mode

back_in_compat:                         ; 32-bit code segment, IA-32e mode still active
    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax                        ; 9.8.5.4: paging off deactivates IA-32e mode
    mov ecx, MSR_EFER
    rdmsr
    and eax, ~(EFER_LME | EFER_NXE)
    wrmsr
    mov eax, cr4
    and eax, ~CR4_PAE
    mov cr4, eax
    lidt [idt_desc]
    mov ax, KDATA
    mov ss, ax
    mov esp, [saved_esp32]

    mov eax, [efer_in_long_mode]
    and eax, 1 << 10
    CHECK_EQ "EFER.LMA = 1 after CR0.PG with LME", eax, 1 << 10
    CHECK_EQ "4-level: read through the PTE", [r_value], 0x5a5a5a5a
    mov eax, [r_pml4e]
    and eax, PTE_A
    CHECK_EQ "4-level: a read sets PML4E.A", eax, PTE_A
    mov eax, [r_pdpte]
    and eax, PTE_A
    CHECK_EQ "4-level: a read sets PDPTE.A", eax, PTE_A
    mov eax, [r_pde]
    and eax, PTE_A
    CHECK_EQ "4-level: a read sets PDE.A", eax, PTE_A
    mov eax, [r_pte]
    and eax, PTE_A | PTE_D
    CHECK_EQ "4-level: a read sets PTE.A, not D", eax, PTE_A
    mov eax, [w_pte]
    and eax, PTE_D
    CHECK_EQ "4-level: a write sets PTE.D", eax, PTE_D
    CHECK_EQ "4-level: not present: #PF", [np_vec], 14
    CHECK_EQ "4-level: not-present write: error code W", [np_err], PF_W
    CHECK_EQ "4-level: CR2 low half", [np_cr2], TEST_VA + 0x1008
    CHECK_EQ "4-level: CR2 high half", [np_cr2 + 4], 0
    CHECK_EQ "4-level: fetch from XD page: #PF", [xd_vec], 14
    CHECK_EQ "4-level: fetch: error code P|I/D", [xd_err], PF_P | PF_ID
    CHECK_EQ "4-level: fetch: saved RIP = the page", [xd_rip], TEST_VA
    CHECK_EQ "4-level: PS in a PML4E: error code P|RSVD", [rsvd_err], PF_P | PF_RSVD
    CHECK_EQ "4-level: PS in a PML4E: CR2 high half", [rsvd_cr2 + 4], RSVD_VA >> 32
    CHECK_EQ "non-canonical data reference: #GP", [nc_vec], 13
    CHECK_EQ "non-canonical data reference: error code 0", [nc_err], 0
    CHECK_EQ "non-canonical stack reference: #SS", [ncs_vec], 12
    CHECK_EQ "non-canonical stack reference: error code 0", [ncs_err], 0
    ret

build_idt64:
    pushad
    xor eax, eax
.next:
    mov ebx, [exc64_table + eax * 4]
    mov edi, eax
    shl edi, 4
    add edi, idt64
    mov [edi], bx                       ; offset 15:0
    mov word [edi + 2], CODE64_SEL
    mov word [edi + 4], 0x8e00          ; IST 0, present 64-bit interrupt gate
    shr ebx, 16
    mov [edi + 6], bx                   ; offset 31:16; 63:32 and reserved stay 0
    inc eax
    cmp eax, 32
    jb .next
    ; #SS from a non-canonical RSP cannot be delivered on that stack: IST1 (6.14.5), which a
    ; 64-bit TSS keeps at offset 0x24 (Figure 8-11). The current TSS is only read for it here.
    ; #GP and #DF get it too, so an emulator that raises #GP there still reports it.
    mov byte [idt64 + 12 * 16 + 4], 1
    mov byte [idt64 + 13 * 16 + 4], 1
    mov byte [idt64 + 8 * 16 + 4], 1
    mov dword [main_tss + 0x24], ist_stack
    mov dword [main_tss + 0x28], 0
    popad
    ret

    bits 64
; TRY64 label: a fault continues at `label` with this RSP, the frame in x_*.
%macro TRY64 1
    mov qword [x_vec], -1
    mov [resume_rsp], rsp
    mov rax, %1
    mov [resume_rip], rax
%endmacro

long_mode:
    mov [saved_esp32], esp
    mov ax, KDATA
    mov ss, ax
    lidt [idt64_desc]
    mov eax, [TEST_VA + 8]
    mov [r_value], eax
    mov rax, [pml4]
    mov [r_pml4e], rax
    mov rax, [pdpt]
    mov [r_pdpte], rax
    mov rax, [pd + 4 * 8]
    mov [r_pde], rax
    mov rax, [pt]
    mov [r_pte], rax
    mov dword [TEST_VA + 8], 1
    mov rax, [pt]
    mov [w_pte], rax

    TRY64 .np
    mov dword [TEST_VA + 0x1008], 1
.np:
    mov eax, [x_vec]
    mov [np_vec], eax
    mov eax, [x_err]
    mov [np_err], eax
    mov rax, [x_cr2]
    mov [np_cr2], rax

    TRY64 .xd
    mov rax, TEST_VA
    call rax
.xd:
    mov eax, [x_vec]
    mov [xd_vec], eax
    mov eax, [x_err]
    mov [xd_err], eax
    mov eax, [x_rip]
    mov [xd_rip], eax

    TRY64 .rsvd
    mov rax, RSVD_VA
    mov eax, [rax]
.rsvd:
    mov eax, [x_err]
    mov [rsvd_err], eax
    mov rax, [x_cr2]
    mov [rsvd_cr2], rax

    TRY64 .nc
    mov rax, NON_CANONICAL
    mov eax, [rax]
.nc:
    mov eax, [x_vec]
    mov [nc_vec], eax
    mov eax, [x_err]
    mov [nc_err], eax

    ; QEMU 7.2 TCG raises #GP here; SDM Vol. 3A 6.15 (Interrupt 12): a non-canonical address
    ; in a reference through SS (here RSP) is #SS(0). Bochs agrees.
    TRY64 .ncs
    mov rbx, rsp
    mov rsp, NON_CANONICAL + 0x100
    push rax
.ncs:
    mov eax, [x_vec]
    mov [ncs_vec], eax
    mov eax, [x_err]
    mov [ncs_err], eax

    ; 9.8.5.4: back to a 32-bit code segment (compatibility mode) before paging goes off.
    push qword KCODE
    mov rax, back_in_compat
    push rax
    retfq

; 64-bit exception stubs: vector and error code (0 where the CPU pushes none) on top of the
; 64-bit frame (6.14.2: RIP, CS, RFLAGS, RSP, SS always).
%macro EXC64_STUB 1
exc64_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21
%else
    push qword 0
%endif
    push qword %1
    jmp exc64_common
%endmacro
%assign v 0
%rep 32
EXC64_STUB v
%assign v v + 1
%endrep

exc64_common:
    mov rax, [rsp]
    mov [x_vec], rax
    mov rax, [rsp + 8]
    mov [x_err], rax
    mov rax, [rsp + 16]
    mov [x_rip], rax
    mov rax, cr2
    mov [x_cr2], rax
    mov ax, KDATA
    mov ss, ax
    mov rsp, [resume_rsp]
    jmp [resume_rip]
    bits 32

exc64_table:
%assign v 0
%rep 32
    dd exc64_ %+ v
%assign v v + 1
%endrep

idt64_desc:
    dw 32 * 16 - 1
    dd idt64, 0

    section .bss
    alignb 4096
pml4:       resb 4096
pdpt:       resb 4096
pd:         resb 4096
pt:         resb 4096
idt64:      resb 32 * 16
    alignb 8
resume_rsp: resq 1
resume_rip: resq 1
x_vec:      resq 1
x_err:      resq 1
x_rip:      resq 1
x_cr2:      resq 1
saved_esp32: resd 1
efer_in_long_mode: resd 1
r_value:    resd 1
r_pml4e:    resq 1
r_pdpte:    resq 1
r_pde:      resq 1
r_pte:      resq 1
w_pte:      resq 1
np_vec:     resd 1
np_err:     resd 1
np_cr2:     resq 1
xd_vec:     resd 1
xd_err:     resd 1
xd_rip:     resd 1
rsvd_err:   resd 1
rsvd_cr2:   resq 1
nc_vec:     resd 1
nc_err:     resd 1
ncs_vec:    resd 1
ncs_err:    resd 1
    alignb 16
            resb 1024
ist_stack:

%include "sys-end.inc"
