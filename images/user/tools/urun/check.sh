#!/bin/sh
# Runs the user programs under qemu-system-i386 on the urun harness (see
# urun.c) and checks their output. Skipped when QEMU is not installed.
# Usage: OUT=../build/images sh user/tools/urun/check.sh
OUT=${OUT:-../build/images}
QEMU=${QEMU:-qemu-system-i386}
U=$OUT/user
if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "user-qemu-check: $QEMU not installed, skipping"
    exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# One boot, one module per program run: "<file> <argv0> <args…>".
initrd=""
add() { initrd="${initrd:+$initrd,}$U/$1 $*"; }
add hello a bb '$(task-create)' '$(task-resume)'
add faulty null
add faulty text
add faulty kernel
add faulty badsys
add faulty badptr
add memhog 2x 2
add memhog 1 2 CORRUPT
add taskchurn 200
add buildmix 50
add portleak 3000
add compute 3
add slabinfo
add ulibtest
add hello still-running

timeout 120 "$QEMU" -m 1G -display none -monitor none -serial stdio -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -kernel "$OUT/user-tools/urun.elf" -initrd "$initrd" >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
pass=0 fail=0
# expect PATTERN: a line matching the (basic) regular expression
expect() {
    if grep -q -e "$1" "$TMP/out"; then pass=$((pass + 1)); else echo "FAIL: no line matches: $1"; fail=$((fail + 1)); fi
}
refuse() {
    if grep -q -e "$1" "$TMP/out"; then echo "FAIL: unexpected line: $(grep -e "$1" "$TMP/out" | head -1)"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
}
[ "$rc" = 1 ] || { echo "FAIL: qemu status $rc (want 1: urun exit 0)"; fail=$((fail + 1)); }
expect '^hello from user task 1: argc=3$'
expect '^  argv\[2\] = "bb"$'
expect '^\[urun\] task 1 exited with 0$'
expect '^faulty: about to read address 0x00000000$'
expect '^\[urun\] task 2 killed by exception, code -14$'
expect '^faulty: about to write into my own text'
expect '^\[urun\] task 3 killed by exception, code -14$'
expect '^faulty: about to read kernel address 0xc0000000$'
expect '^\[urun\] task 4 killed by exception, code -14$'
expect '^faulty: system call 999 returned kr=4 '
expect '^\[urun\] task 5 exited with 0$'
expect '^faulty: vm_allocate(addr pointer 0x10) returned kr=1 '
expect '^\[urun\] task 6 exited with 0$'
refuse 'faulty: survived'
expect '^memhog: verified 65536 KiB, 0 errors$'
expect '^\[urun\] task 7 exited with 0$'
expect '^memhog: MISMATCH pass 1 at 0x10001234 (byte 0x10001235): expected 0x8e376b8d found 0x8e372b8d$'
expect '^\[urun\] task 8 exited with 1$'
expect '^taskchurn: child 0 (task 1000) runs: arg 0x7a5c0000 found in \[esp+4\] (the frame spawn_task wrote; ESP as requested);'
expect '^taskchurn: terminated 0 still running, 200 had already exited$'
expect '^taskchurn: 200 tasks created$'
expect '^\[urun\] task 9 exited with 0$'
expect '^buildmix: 50 rounds, seed 0x6d616368$'
expect '^buildmix: 50 rounds: 281 vm_allocate, 281 vm_deallocate, 8180 pages touched, peak 5928 KiB, 116 ports, 12 tasks$'
expect '^buildmix: checksum 0xef1e66ce$'
expect '^\[urun\] task 10 exited with 0$'
expect '^portleak: 3000 ports$'
expect '^\[urun\] task 11 exited with 0$'
expect '^compute: result 0x32c52e81 after 3 million iterations$'
expect '^slabinfo: 3 caches, 48k memory, 12k reclaimable$'
expect '^\[urun\] task 13 exited with 0$'
expect '^ulibtest: [0-9]* checks, 0 failed$'
expect '^\[urun\] task 14 exited with 0$'
expect '^\[urun\] task 15 exited with 0$'
expect '^\[urun\] all tasks done$'
if [ "$fail" != 0 ] || [ -n "$VERBOSE" ]; then echo "--- console:"; cat "$TMP/out"; fi
echo "user-qemu-check: $pass passed, $fail failed"
[ "$fail" = 0 ]
