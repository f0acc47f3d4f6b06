#!/bin/sh
# Boots every test kernel under qemu-system-i386 and checks console output
# and exit status. QEMU's isa-debug-exit reports (V << 1) | 1 where mach86
# reports V & 0xFF; a triple fault with -no-reboot makes QEMU exit 0; halt
# and loop never exit, so they are run with a short timeout (status 124).
# Usage: OUT=../build/images sh tools/qemu-check.sh
OUT=${OUT:-../build/images}
QEMU=${QEMU:-qemu-system-i386}
if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "qemu-check: $QEMU not installed, skipping"
    exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

# run NAME FILE EXPECTED_STATUS EXPECTED_OUTPUT TIMEOUT [qemu args...]
run() {
    name=$1 file=$2 want_rc=$3 want_out=$4 secs=$5
    shift 5
    timeout "$secs" "$QEMU" -display none -monitor none -serial stdio \
        -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -kernel "$file" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    rc=$?
    printf '%s' "$want_out" >"$TMP/want"
    if [ "$rc" = "$want_rc" ] && cmp -s "$TMP/out" "$TMP/want"; then
        echo "ok   $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: status $rc (want $want_rc)"
        echo "--- got:"; cat "$TMP/out"; echo "--- want:"; cat "$TMP/want"
        fail=$((fail + 1))
    fi
}

nl='
'
run hello     "$OUT/hello.elf"     1   "Hello from mach86!$nl" 20
run aout      "$OUT/aout.bin"      1   "Hello from an a.out kludge kernel!$nl" 20
run exitcode  "$OUT/exitcode.elf"  85  "exiting with 42$nl" 20
run exitcode7 "$OUT/exitcode.elf"  15  "exiting with 7$nl" 20 -append "code=7"
run spin1000  "$OUT/spin.elf"      1   "spin iters=1000${nl}spin done acc=0xd9070cd5$nl" 20 -append "iters=1000"
run spin      "$OUT/spin.elf"      1   "spin iters=400000000${nl}spin done acc=0x2c72f5d4$nl" 120
run pagetest  "$OUT/pagetest.elf"  1   "pagetest ok$nl" 20
run noidt     "$OUT/noidt.elf"     0   "about to fault$nl" 20
run triple    "$OUT/triple.elf"    0   "about to triple fault$nl" 20
run halt      "$OUT/halt.elf"      124 "halting$nl" 3
run loop      "$OUT/loop.elf"      124 "looping forever$nl" 3

# mbinfo: its output depends on the loader, so check the invariant lines.
printf 'ABCDEFGHIJ' >"$TMP/m1"
printf '\001\002xy' >"$TMP/m2"
timeout 20 "$QEMU" -display none -monitor none -serial stdio -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$OUT/mbinfo.elf" \
    -append "foo=1 bar" -initrd "$TMP/m1 first arg,$TMP/m2" \
    >"$TMP/mb" 2>"$TMP/err" </dev/null
rc=$?
ok=1
[ "$rc" = 1 ] || ok=0
for want in "magic=0x2badb002" "mods_count=2" "loader='qemu'" "bss_clear=yes" "mbinfo done"; do
    grep -qxF "$want" "$TMP/mb" || ok=0
done
grep -q "^cmdline='.*foo=1 bar'\$" "$TMP/mb" || ok=0
grep -q "^mod\[0\] .* size=10 string='$TMP/m1 first arg' head='ABCDEFGH' sum=0x000002b7\$" "$TMP/mb" || ok=0
grep -q "^mod\[1\] .* size=4 string='$TMP/m2' head='..xy' sum=0x000000f4\$" "$TMP/mb" || ok=0
grep -q "^mmap base=0x0000000000100000 len=0x[0-9a-f]\{16\} type=1\$" "$TMP/mb" || ok=0
if [ $ok = 1 ]; then
    echo "ok   mbinfo"
    pass=$((pass + 1))
else
    echo "FAIL mbinfo: status $rc"; cat "$TMP/mb"
    fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
