#!/usr/bin/env bash
# Boot public/guests/demo.elf under QEMU and drive its shell over COM1.
# Not part of npm test: it needs qemu-system-i386 (Debian: qemu-system-x86).
#
#   guests/demo/check-qemu.sh            run all checks, print the session
#   QEMU_CPU=qemu32 guests/demo/check-qemu.sh    another CPU model (default 486)
#
# Checks: a typed-ahead session (help, cpuid, regs, echo, exit 3 -> status 7),
# line editing, the exception path (fault -> status 129), a long paste,
# the same under -nographic (QEMU's mux chardev), exit without the
# debug-exit device, and an interactive session that also measures how much
# CPU the idle guest costs QEMU (it should sleep in HLT).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
elf="$(cd "$here/../.." && pwd)/public/guests/demo.elf"
qemu="${QEMU:-qemu-system-i386}"
cpu="${QEMU_CPU:-486}"

command -v "$qemu" >/dev/null || { echo "check-qemu: $qemu not found (apt-get install qemu-system-x86)" >&2; exit 2; }
[[ -f "$elf" ]] || { echo "check-qemu: $elf missing; run guests/demo/build.sh" >&2; exit 2; }

tmp="$(mktemp -d)"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

base=(-kernel "$elf" -append "check-qemu" -cpu "$cpu" -m 32
      -display none -serial stdio -monitor none -no-reboot)
debug_exit=(-device isa-debug-exit,iobase=0xf4,iosize=0x04)

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# expect NAME FILE REGEX...: every extended regex matches some line of FILE.
expect() {
    local name="$1" file="$2" re missing=0
    shift 2
    for re in "$@"; do
        if ! tr -d '\r' <"$file" | grep -Eq -- "$re"; then
            echo "     $name: no line matches: $re"
            missing=1
        fi
    done
    return $missing
}

# session NAME INPUT STATUS [QEMU ARGS...]: pipe INPUT (printf format) into
# the guest all at once, before it has booted, so it exercises type-ahead;
# expect exit status STATUS. The transcript is left in $tmp/NAME.txt.
session() {
    local name="$1" input="$2" want="$3" status
    shift 3
    set +e
    printf "$input" | timeout 20 "$qemu" "${base[@]}" "$@" >"$tmp/$name.txt" 2>&1
    status=${PIPESTATUS[1]}
    set -e
    if [[ "$status" != "$want" ]]; then
        echo "     $name: exit status $status, expected $want"
        return 1
    fi
}

# 1. The demo session.
if session main 'help\rcpuid\rregs\recho hello, world\rexit 3\r' 7 "${debug_exit[@]}" &&
   expect main "$tmp/main.txt" \
       '^wasmkvm demo guest .*cmdline: ".*check-qemu"$' \
       '^  help +list the commands$' '^  fault ' \
       '^vendor: [A-Za-z ]{12}  max leaf: 0x[0-9a-f]{8}$' \
       '^family [0-9]+ model [0-9]+ stepping [0-9]+ \(leaf 1 eax=0x[0-9a-f]{8}\)$' \
       '^features edx=0x[0-9a-f]{8} ecx=0x[0-9a-f]{8}$' \
       '^at entry: eax=0x2badb002 ebx=0x[0-9a-f]{8}' \
       '^now: +eax=0x' 'cr0=0x[0-9a-f]{8} cs=0x0008 ds=0x0010 ss=0x0010$' \
       '^  mem_lower=[0-9]+ KiB mem_upper=[0-9]+ KiB$' \
       '^  cmdline: ".*check-qemu"$' \
       '^hello, world$' '^wasmkvm> exit 3$'; then
    pass "session: help, cpuid, regs, echo, exit 3 -> status 7"
else
    fail "session: help, cpuid, regs, echo, exit 3 -> status 7"
fi
echo "---- transcript (QEMU -cpu $cpu) ----"
tr -d '\r' <"$tmp/main.txt"
echo "---- end of transcript ----"

# 2. Line editing: BS and DEL, LF and CR LF line ends (one line each), ^C,
# unknown commands, bad exit arguments, spaces around the exit value.
if session edit 'ecxo\x7f\x08\x08cho edited\recho lf\necho crlf\r\necho gone\x03bogus\rexit 12x\rexit 99999999999\rexit  42  \r' 85 "${debug_exit[@]}" &&
   expect edit "$tmp/edit.txt" '^edited$' '^lf$' '^crlf$' '\^C$' \
       '^unknown command: bogus \(try help\)$' \
       '^exit: not a decimal number: 12x$' '^exit: not a decimal number: 99999999999$' &&
   [[ $(tr -d '\r' <"$tmp/edit.txt" | grep -c '^wasmkvm> $') == 0 ]]; then
    pass "line editing, CR/LF/CRLF, ^C, unknown command, exit 42 -> status 85"
else
    fail "line editing, CR/LF/CRLF, ^C, unknown command, exit 42 -> status 85"
    tr -d '\r' <"$tmp/edit.txt"
fi

# 3. The exception path: #DE is vector 0, so debug-exit gets 0x40 and QEMU
# exits with (0x40 << 1) | 1 = 129.
if session fault 'fault\r' 129 "${debug_exit[@]}" &&
   expect fault "$tmp/fault.txt" '^exception 0 at EIP=0x[0-9a-f]{8} error code=0x00000000 \(#DE\)$'; then
    pass "fault: exception 0 reported, status 129"
else
    fail "fault: exception 0 reported, status 129"
    tr -d '\r' <"$tmp/fault.txt"
fi

# 4. A long paste (3 KiB, commands in between): nothing may be lost while
# the guest is busy printing; the UART and the host hold back what the
# ring cannot take (serial.asm, serial_irq).
{
    for i in $(seq 1 60); do
        printf 'echo line %03d abcdefghijklmnopqrstuvwxyz0123456789\\r' "$i"
        ((i % 10)) || printf 'cpuid\\rregs\\rhelp\\r'
    done
    printf 'exit 3\\r'
} >"$tmp/paste.in"
if session paste "$(cat "$tmp/paste.in")" 7 "${debug_exit[@]}" &&
   [[ $(tr -d '\r' <"$tmp/paste.txt" | grep -cE '^line [0-9]{3} abcdefghijklmnopqrstuvwxyz0123456789$') == 60 ]] &&
   ! grep -q unknown "$tmp/paste.txt"; then
    pass "long paste: 60 echo lines and 18 commands, nothing lost"
else
    fail "long paste: 60 echo lines and 18 commands, nothing lost"
fi

# 5. -nographic, as in the README: serial goes through QEMU's mux chardev,
# which forwards held-back input only when the guest reads RBR, and SeaBIOS
# runs a serial console that switches the FIFO on before the guest runs,
# clearing the first typed-ahead byte (hence the leading CR to lose).
set +e
printf '\rhelp\rexit 3\r' | timeout 20 "$qemu" -kernel "$elf" -append check-qemu -cpu "$cpu" -m 32 \
    -nographic -no-reboot "${debug_exit[@]}" >"$tmp/mux.txt" 2>&1
status=${PIPESTATUS[1]}
set -e
if [[ "$status" == 7 ]] && expect mux "$tmp/mux.txt" '^  fault ' '^wasmkvm> exit 3$'; then
    pass "-nographic (mux chardev): typed-ahead help, exit 3 -> status 7"
else
    fail "-nographic (mux chardev): typed-ahead help, exit 3 -> status 7 (got $status)"
    tr -d '\r' <"$tmp/mux.txt" | tail -20
fi

# wait_for FILE REGEX SECONDS: poll until FILE has a matching line.
wait_for() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        tr -d '\r' <"$1" | grep -Eq -- "$2" && return 0
        sleep 0.1
    done
    return 1
}

# 6. exit without an isa-debug-exit device: the guest says so and halts.
: >"$tmp/nodev.txt"
printf 'exit 5\r' | "$qemu" "${base[@]}" >"$tmp/nodev.txt" 2>&1 &
pid=$!
pids+=("$pid")
if wait_for "$tmp/nodev.txt" '^exit: no isa-debug-exit device at port 0xf4; halting' 20 &&
   kill -0 "$pid" 2>/dev/null; then
    pass "exit without isa-debug-exit: message, then halted"
else
    fail "exit without isa-debug-exit: message, then halted"
    tr -d '\r' <"$tmp/nodev.txt"
fi
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true

# 7. Interactive: wait for the prompt, measure QEMU's CPU time while the guest
# idles, then type a command a byte at a time, as a person would.
mkfifo "$tmp/in"
: >"$tmp/live.txt"
"$qemu" "${base[@]}" "${debug_exit[@]}" <"$tmp/in" >"$tmp/live.txt" 2>&1 &
pid=$!
pids+=("$pid")
exec 3>"$tmp/in"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ok=1
if wait_for "$tmp/live.txt" '^wasmkvm> $' 20; then
    t0=$(ticks "$pid")
    sleep 2
    t1=$(ticks "$pid")
    hz=$(getconf CLK_TCK)
    idle_pct=$(( (t1 - t0) * 100 / (2 * hz) ))
    echo "     idle guest: QEMU used ${idle_pct}% of one CPU over 2 s"
    (( idle_pct < 50 )) || { echo "     idle: the guest does not seem to sleep in HLT"; ok=0; }
    for c in e c h o ' ' l i v e $'\r'; do printf '%s' "$c" >&3; sleep 0.05; done
    wait_for "$tmp/live.txt" '^live$' 10 || { echo "     live: no echo output"; ok=0; }
    printf 'exit 0\r' >&3
    set +e
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    wait "$pid"
    status=$?
    set -e
    [[ "$status" == 1 ]] || { echo "     live: exit status $status, expected 1"; ok=0; }
else
    echo "     live: no prompt"
    ok=0
fi
exec 3>&-
if ((ok)); then
    pass "interactive: idle in HLT, typed command, exit 0 -> status 1"
else
    fail "interactive: idle in HLT, typed command, exit 0 -> status 1"
    tr -d '\r' <"$tmp/live.txt"
fi

echo "check-qemu: $passed passed, $failed failed"
((failed == 0))
