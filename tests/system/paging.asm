; paging.asm: 32-bit paging (4 KiB and 4 MiB pages) and PAE paging with NX: accessed and
; dirty bits, #PF error codes and CR2, CR0.WP, U/S, reserved bits, INVLPG. SDM Vol. 3A
; chapter 4: 4.3 (32-bit paging), 4.4 (PAE), 4.6 (access rights), 4.7 (page-fault
; exceptions), 4.8 (accessed and dirty flags), 4.10.4.1 (INVLPG).
%include "sys.inc"

PTE_P       equ 1 << 0
PTE_W       equ 1 << 1
PTE_U       equ 1 << 2
PTE_A       equ 1 << 5
PTE_D       equ 1 << 6
PTE_PS      equ 1 << 7
PF_P        equ 1 << 0                  ; #PF error code bits (4.7)
PF_W        equ 1 << 1
PF_U        equ 1 << 2
PF_RSVD     equ 1 << 3
PF_ID       equ 1 << 4
CR0_PG      equ 1 << 31
CR0_WP      equ 1 << 16
CR4_PSE     equ 1 << 4
CR4_PAE     equ 1 << 5
MSR_EFER    equ 0xc0000080
EFER_NXE    equ 1 << 11

TEST_VA     equ 0x800000                ; the 4 KiB-mapped window, both modes
FRAME_A     equ 0x300000                ; physical frames behind it
FRAME_B     equ 0x301000
PSE_ALIAS   equ 0xc00000                ; a 4 MiB page aliasing 0x400000
RSVD_VA     equ 0x1400000               ; a 4 MiB page with a reserved bit set

    section .text
test_main:
    mov dword [FRAME_A], 0x11111111
    mov dword [FRAME_B], 0xbbbbbbbb
    call paging32
    call paging_pae
    ret

disable_paging:
    mov eax, cr0
    and eax, ~(CR0_PG | CR0_WP)
    mov cr0, eax
    mov eax, cr4
    and eax, ~(CR4_PSE | CR4_PAE)
    mov cr4, eax
    ret

; ---- 32-bit paging ------------------------------------------------------------------------
paging32:
    mov dword [pd + 0 * 4], 0x000000 | PTE_P | PTE_W | PTE_U | PTE_PS
    mov dword [pd + 1 * 4], 0x400000 | PTE_P | PTE_W | PTE_U | PTE_PS
    mov dword [pd + 2 * 4], pt + (PTE_P | PTE_W | PTE_U)
    mov dword [pd + 3 * 4], 0x400000 | PTE_P | PTE_W | PTE_U | PTE_PS
    ; Table 4-4: bit 21 of a PDE that maps a 4 MiB page is reserved.
    mov dword [pd + 5 * 4], 0x400000 | PTE_P | PTE_W | PTE_U | PTE_PS | (1 << 21)
    mov dword [pt + 0 * 4], FRAME_A | PTE_P | PTE_W | PTE_U     ; TEST_VA
    mov dword [pt + 1 * 4], 0                                   ; + 0x1000: not present
    mov dword [pt + 2 * 4], FRAME_B | PTE_P                     ; + 0x2000: supervisor, read-only
    mov dword [pt + 3 * 4], FRAME_B | PTE_P | PTE_U             ; + 0x3000: user, read-only
    mov dword [pt + 4 * 4], FRAME_A | PTE_P | PTE_W             ; + 0x4000: supervisor, writable
    mov eax, cr4
    or eax, CR4_PSE
    mov cr4, eax
    mov eax, pd
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax

    ; 4.8: a read sets A in the PDE and the PTE, not D.
    mov eax, [TEST_VA]
    CHECK_EQ "32-bit: read through the PTE", eax, 0x11111111
    mov eax, [pt]
    and eax, PTE_A | PTE_D
    CHECK_EQ "32-bit: a read sets PTE.A, not PTE.D", eax, PTE_A
    mov eax, [pd + 2 * 4]
    and eax, PTE_A
    CHECK_EQ "32-bit: a read sets PDE.A", eax, PTE_A
    mov dword [TEST_VA], 0x22222222
    mov eax, [pt]
    and eax, PTE_D
    CHECK_EQ "32-bit: a write sets PTE.D", eax, PTE_D
    CHECK_EQ "32-bit: the write reached the frame", [FRAME_A], 0x22222222

    ; 4.7: not present.
    TRY .np_read
    mov eax, [TEST_VA + 0x1000]
    CLEAR_TRY
.np_read:
    CHECK_EQ "32-bit: read of a not-present page: #PF", [exc_vector], 14
    CHECK_EQ "32-bit: not-present read error code 0", [exc_error], 0
    CHECK_EQ "32-bit: CR2 = the faulting address", [exc_cr2], TEST_VA + 0x1000
    TRY .np_write
    mov dword [TEST_VA + 0x1004], 1
    CLEAR_TRY
.np_write:
    CHECK_EQ "32-bit: not-present write error code W", [exc_error], PF_W
    CHECK_EQ "32-bit: CR2 of the write", [exc_cr2], TEST_VA + 0x1004

    ; 4.6: supervisor writes to read-only pages succeed with CR0.WP = 0, fault with WP = 1.
    TRY .wp0
    mov dword [TEST_VA + 0x2000], 0x44444444
    CLEAR_TRY
.wp0:
    CHECK_EQ "32-bit: WP = 0: supervisor write to a read-only page", [exc_vector], -1
    CHECK_EQ "32-bit: WP = 0: the write happened", [FRAME_B], 0x44444444
    mov eax, cr0
    or eax, CR0_WP
    mov cr0, eax
    TRY .wp1
    mov dword [TEST_VA + 0x2000], 0x55555555
    CLEAR_TRY
.wp1:
    CHECK_EQ "32-bit: WP = 1: supervisor write to a read-only page: #PF", [exc_vector], 14
    CHECK_EQ "32-bit: WP = 1: error code P|W", [exc_error], PF_P | PF_W
    CHECK_EQ "32-bit: WP = 1: nothing written", [FRAME_B], 0x44444444

    ; 4.6: user accesses to supervisor pages, and user writes to read-only pages.
    TRY .u_read
    mov eax, user_read_supervisor
    call call_user
    CLEAR_TRY
.u_read:
    CHECK_EQ "32-bit: user read of a supervisor page: error P|U", [exc_error], PF_P | PF_U
    CHECK_EQ "32-bit: user read: CR2", [exc_cr2], TEST_VA + 0x4000
    TRY .u_write
    mov eax, user_write_supervisor
    call call_user
    CLEAR_TRY
.u_write:
    CHECK_EQ "32-bit: user write to a supervisor page: error P|W|U", [exc_error], PF_P | PF_W | PF_U
    TRY .u_ro
    mov eax, user_write_readonly
    call call_user
    CLEAR_TRY
.u_ro:
    CHECK_EQ "32-bit: user write to a read-only user page: error P|W|U", [exc_error], PF_P | PF_W | PF_U
    TRY .u_ok
    mov eax, user_read_readonly
    call call_user
    CLEAR_TRY
.u_ok:
    CHECK_EQ "32-bit: user read of a read-only user page", [exc_vector], -1
    CHECK_EQ "32-bit: user read value", eax, 0x44444444

    ; 4 MiB pages: A and D live in the PDE (Table 4-4).
    mov dword [PSE_ALIAS + 0x10], 0x66666666
    mov eax, [pd + 3 * 4]
    and eax, PTE_A | PTE_D
    CHECK_EQ "32-bit: a write through a 4 MiB page sets PDE.A and PDE.D", eax, PTE_A | PTE_D
    CHECK_EQ "32-bit: the 4 MiB alias reached 0x400010", [0x400010], 0x66666666
    ; QEMU 7.2 TCG reports RSVD without P here and below; 4.7: "P = 1: the fault was caused
    ; by a page-level protection violation" and RSVD faults are such (Bochs sets P too).
    TRY .rsvd
    mov eax, [RSVD_VA]
    CLEAR_TRY
.rsvd:
    CHECK_EQ "32-bit: reserved PDE bit 21: #PF", [exc_vector], 14
    CHECK_EQ "32-bit: reserved bit: error code P|RSVD", [exc_error], PF_P | PF_RSVD

    ; 4.10.4.1: after the PTE changes, INVLPG makes the new translation visible, and the
    ; next access sets A in the new PTE.
    mov dword [pt], FRAME_B | PTE_P | PTE_W | PTE_U
    invlpg [TEST_VA]
    mov eax, [TEST_VA]
    CHECK_EQ "32-bit: after INVLPG the new frame is read", eax, 0x44444444
    mov eax, [pt]
    and eax, PTE_A
    CHECK_EQ "32-bit: the new PTE gets A", eax, PTE_A
    call disable_paging
    ret

user_read_supervisor:
    mov eax, [TEST_VA + 0x4000]
    int VEC_RETURN
user_write_supervisor:
    mov dword [TEST_VA + 0x4000], 1
    int VEC_RETURN
user_write_readonly:
    mov dword [TEST_VA + 0x3000], 1
    int VEC_RETURN
user_read_readonly:
    mov eax, [TEST_VA + 0x3000]
    int VEC_RETURN

; ---- PAE paging -------------------------------------------------------------------------
paging_pae:
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 20                   ; CPUID.80000001H:EDX.NX
    jnz .has_nx
    CHECK_EQ "PAE: CPUID reports NX", 0, 1
    ret
.has_nx:
    mov byte [FRAME_A], 0xc3            ; RET, for the fetch from an XD page
    mov dword [FRAME_A + 4], 0x77777777
    ; 4.4.1: a PDPTE has P, PWT, PCD only; bits 2:1 are reserved.
    mov dword [pdpt], pd_pae + PTE_P
    mov dword [pd_pae + 0 * 8], 0x000000 | PTE_P | PTE_W | PTE_U | PTE_PS
    mov dword [pd_pae + 1 * 8], 0x200000 | PTE_P | PTE_W | PTE_U | PTE_PS
    mov dword [pd_pae + 2 * 8], 0x400000 | PTE_P | PTE_W | PTE_U | PTE_PS
    mov dword [pd_pae + 3 * 8], 0x600000 | PTE_P | PTE_W | PTE_U | PTE_PS
    mov dword [pd_pae + 4 * 8], pt_pae + (PTE_P | PTE_W | PTE_U)
    mov dword [pt_pae + 0 * 8], FRAME_A | PTE_P | PTE_W | PTE_U ; TEST_VA: XD
    mov dword [pt_pae + 0 * 8 + 4], 0x80000000
    mov dword [pt_pae + 1 * 8], FRAME_A | PTE_P | PTE_W | PTE_U ; + 0x1000: bit 51 reserved
    mov dword [pt_pae + 1 * 8 + 4], 1 << (51 - 32)
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_NXE
    wrmsr
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, pdpt
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax

    ; 2 MiB pages: a read sets A, a write sets D, in the PDE (Table 4-9).
    mov eax, [0x200010]
    mov eax, [pd_pae + 1 * 8]
    and eax, PTE_A | PTE_D
    CHECK_EQ "PAE: a read through a 2 MiB page sets A only", eax, PTE_A
    mov dword [0x200010], 1
    mov eax, [pd_pae + 1 * 8]
    and eax, PTE_D
    CHECK_EQ "PAE: a write through a 2 MiB page sets D", eax, PTE_D

    ; 4.6.2: XD forbids fetches, not reads.
    TRY .xd_read
    mov eax, [TEST_VA + 4]
    CLEAR_TRY
.xd_read:
    CHECK_EQ "PAE: read of an XD page", [exc_vector], -1
    CHECK_EQ "PAE: read value", eax, 0x77777777
    TRY .xd_fetch
    call TEST_VA
    CLEAR_TRY
.xd_fetch:
    CHECK_EQ "PAE: fetch from an XD page: #PF", [exc_vector], 14
    CHECK_EQ "PAE: fetch error code P|I/D", [exc_error], PF_P | PF_ID
    CHECK_EQ "PAE: fetch CR2", [exc_cr2], TEST_VA
    CHECK_EQ "PAE: fetch saved EIP", [exc_eip], TEST_VA
    TRY .rsvd
    mov eax, [TEST_VA + 0x1000]
    CLEAR_TRY
.rsvd:
    CHECK_EQ "PAE: PTE bit 51 set: error code P|RSVD", [exc_error], PF_P | PF_RSVD

    ; 4.4.2 / Table 4-11: with EFER.NXE = 0, bit 63 is reserved.
    mov ecx, MSR_EFER
    rdmsr
    and eax, ~EFER_NXE
    wrmsr
    mov eax, cr3
    mov cr3, eax
    TRY .nxe0
    mov eax, [TEST_VA + 4]
    CLEAR_TRY
.nxe0:
    CHECK_EQ "PAE: XD set with NXE = 0: error code P|RSVD", [exc_error], PF_P | PF_RSVD
    call disable_paging
    ret

    section .bss
    alignb 4096
pd:     resb 4096
pt:     resb 4096
pd_pae: resb 4096
pt_pae: resb 4096
pdpt:   resb 32

%include "sys-end.inc"
