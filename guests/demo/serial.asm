; serial.asm: the COM1 console. Output is polled (uart16550.inc); input
; arrives by interrupt into a ring buffer that serial_getc sleeps on.

%include "demo.inc"
%include "uart16550.inc"        ; serial_init and serial_putc live here

global serial_setup, serial_irq, serial_getc

RX_DRAIN_MAX    equ 256         ; bytes per drain, in case LSR.DR never clears
%ifndef RX_RING_MASK
RX_RING_MASK    equ 255         ; ring size - 1; a power of two up to 256,
%endif                          ; as the indices are bytes

section .text

; serial_setup: called once, with EFLAGS.IF = 0, after pic_init.
serial_setup:
    push eax
    push edx
    call serial_fifo_on
    call serial_init                ; also ends loopback (MCR = DTR|RTS|OUT2)
    ; Receive interrupts on. With data in the FIFO (at least the NUL from
    ; serial_fifo_on), INTR rises now, the 8259A latches the edge, and the
    ; IRQ arrives at the first STI (PC16550D, "Interrupt Enable Register").
    mov dx, SERIAL_BASE + UART_IER
    mov al, UART_IER_RDI
    out dx, al
    pop edx
    pop eax
    ret

; serial_fifo_on: switch the FIFOs on without losing input typed before boot.
;
; With the FIFO off, one byte can wait in RBR while the host holds the rest
; back, and switching FIFO mode on clears RBR (PC16550D, FCR bit 0). So read
; that byte first. A plain RBR read would invite the next byte at once (QEMU's
; serial_ioport_read calls qemu_chr_fe_accept_input, and its mux chardev,
; used by -nographic, then delivers synchronously), to be cleared by the
; switch. In loopback mode SIN is disconnected (PC16550D, "Modem Control
; Register", bit 4) and QEMU skips that call; the FIFO goes on before
; loopback goes off. Last, a NUL sent to ourselves in loopback leaves the
; FIFO non-empty, so the first IRQ reads RBR outside loopback and the host
; resumes delivery; the shell ignores the NUL. A UART model must hold input
; back in loopback, not drop it (vm-superio's enqueue_raw_bytes accepts 0
; bytes then).
serial_fifo_on:
    pushad
    mov dx, SERIAL_BASE + UART_LSR
    in al, dx
    cmp al, 0xff                    ; nothing decodes the port: no UART
    je .done
    mov dx, SERIAL_BASE + UART_LCR
    mov al, UART_LCR_WLEN8          ; DLAB = 0: offset 0 is RBR/THR
    out dx, al
    mov dx, SERIAL_BASE + UART_MCR
    mov al, UART_MCR_LOOP
    out dx, al
    mov dx, SERIAL_BASE + UART_LSR
    in al, dx
    test al, UART_LSR_DR
    jz .fifo
    mov dx, SERIAL_BASE + UART_RX
    in al, dx
    call rx_put
.fifo:
    mov dx, SERIAL_BASE + UART_FCR
    mov al, UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_1
    out dx, al
    mov dx, SERIAL_BASE + UART_TX
    xor al, al
    out dx, al
    ; On hardware the byte takes a character time to come round; wait for it
    ; (bounded like serial_putc) so that it is not sent out once loopback ends.
    mov dx, SERIAL_BASE + UART_LSR
    mov ecx, 0x10000
.wait:
    in al, dx
    test al, UART_LSR_DR
    jnz .done
    dec ecx
    jnz .wait
.done:
    popad
    ret

; serial_irq: IRQ 4 handler body (idt.asm sends the EOI). Reading RBR until
; LSR.DR clears empties the FIFO, which ends both the received-data and the
; character-timeout interrupt (PC16550D, "FIFO Interrupt Mode Operation").
;
; If the ring fills up first, the rest stays in the UART: RDI is masked so
; the line goes quiet, the host holds back what does not fit in the FIFO,
; and serial_getc unmasks RDI once it has made room. Input is slowed down,
; never dropped.
serial_irq:
    pushad
    mov ecx, RX_DRAIN_MAX
.next:
    mov bl, [rx_head]
    inc bl
    and bl, RX_RING_MASK
    cmp bl, [rx_tail]
    je .throttle
    mov dx, SERIAL_BASE + UART_LSR
    in al, dx
    cmp al, 0xff                    ; nothing decodes the port: no UART
    je .done
    test al, UART_LSR_DR
    jz .done
    mov dx, SERIAL_BASE + UART_RX
    in al, dx
    call rx_put
    dec ecx
    jnz .next
    jmp .done
.throttle:
    mov byte [rx_throttled], 1
    mov dx, SERIAL_BASE + UART_IER
    xor al, al
    out dx, al
.done:
    popad
    ret

; rx_put: AL = received byte, appended to the ring, or counted in rx_dropped
; if the ring is full (serial_irq checks first; this is the safety net). Runs
; with IF = 0 (IRQ handler or boot), the single producer; serial_getc is the
; single consumer. Each index has one writer, and one slot stays free so
; that head == tail means empty.
rx_put:
    push ebx
    movzx ebx, byte [rx_head]
    mov [rx_ring + ebx], al
    inc bl
    and bl, RX_RING_MASK
    cmp bl, [rx_tail]
    je .full                        ; drop the byte, keep what is queued
    mov [rx_head], bl
    pop ebx
    ret
.full:
    inc dword [rx_dropped]
    pop ebx
    ret

; serial_getc: returns the next received byte in AL (EAX zero extended),
; sleeping while there is none. The empty check runs with IF = 0, and STI
; delays interrupts until after the next instruction (SDM Vol. 2B, STI), so
; an IRQ arriving after the check wakes the HLT instead of slipping in
; before it: the race-free "sti; hlt" idiom. An idle guest thus sits in HLT.
serial_getc:
    push ebx
    push edx
.check:
    cli
    movzx ebx, byte [rx_tail]
    cmp bl, [rx_head]
    jne .take
    sti
    hlt
    jmp .check
.take:
    movzx eax, byte [rx_ring + ebx]
    inc bl
    and bl, RX_RING_MASK
    mov [rx_tail], bl
    cmp byte [rx_throttled], 0
    je .done
    ; There is room again: unmask RDI. With data still in the FIFO the UART
    ; raises INTR at once, and the IRQ comes right after the STI below.
    mov byte [rx_throttled], 0
    push eax
    mov dx, SERIAL_BASE + UART_IER
    mov al, UART_IER_RDI
    out dx, al
    pop eax
.done:
    sti
    pop edx
    pop ebx
    ret

section .bss
rx_ring:      resb RX_RING_MASK + 1
rx_head:      resb 1            ; next free slot; written by producers only
rx_tail:      resb 1            ; next unread byte; written by serial_getc only
rx_throttled: resb 1            ; RDI masked because the ring was full
alignb 4
rx_dropped:   resd 1            ; bytes lost to a full ring (should stay 0)
