#!/bin/bash
# run.sh - build tw_stats for the kernel the VM boots, boot it and run the
# selftests (check) or the demonstration (demo) inside.
#
# The host's own kernel cannot load modules, so everything that loads the
# module runs in QEMU (selftests/vm/boot.sh).  The module is built in a
# copy of the tree under .cache so that the host's build stays its own.
#
# Usage: run.sh check | demo
# Env:   TWS_ACCEL, TWS_SMP, TWS_MEM, TWS_TIMEOUT: see boot.sh
# Exit:  check: 0 when every test passed; its last line is
#        "N passed, N failed[, N skipped]".
set -eu

mode=${1:-check}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache="$top/.cache"
case $mode in
check|demo) ;;
*) echo "usage: run.sh check|demo" >&2; exit 2 ;;
esac

"$here/deps.sh"
"$here/framework.sh" "$cache"
kver=$("$here/kver.sh")
kdir=/lib/modules/$kver/build

build="$cache/build-$kver"
rm -rf "$build"
mkdir -p "$build"
cp -r "$top/Kbuild" "$top/module" "$build/"
echo "== building tw_stats.ko for $kver"
# Our own bar: W=1 and checkpatch are quiet, or nothing is tested.
make -s -C "$kdir" M="$build" W=1 modules 2>&1 | tee "$build/build.log"
if grep -q 'warning:' "$build/build.log"; then
	echo "run.sh: the module builds with warnings (W=1)" >&2
	exit 1
fi
make -s -C "$top" style
make -s -C "$top/selftests" KSFT_DIR="$cache/kselftest" OUTPUT="$build" all

stage="$cache/stage-$kver"
rm -rf "$stage"
mkdir -p "$stage/selftests/vm" "$stage/kselftest"
cp "$build/module/tw_stats.ko" "$stage/"
cp "$top"/selftests/*.sh "$top/selftests/TESTS" "$top/selftests/settings" \
	"$stage/selftests/"
cp "$build/tw_gen" "$stage/selftests/"
cp "$here/guest.sh" "$stage/selftests/vm/"
cp -r "$cache/kselftest/kselftest/." "$stage/kselftest/"
"$here/mkinitramfs.sh" "$stage" "$cache/initrd-$kver.gz"

log="$cache/$mode-$kver.log"
echo "== booting Debian $kver (${TWS_ACCEL:-tcg}), log in $log"
set +e
TWS_LOG="$log" "$here/boot.sh" "/boot/vmlinuz-$kver" \
	"$cache/initrd-$kver.gz" /tws/selftests/vm/guest.sh "$mode"
rc=$?
set -e
[ "$mode" = demo ] && exit $rc
set +e
line=$("$here/tap-summary.sh" <"$log" | tail -1)
summary=$?
set -e
echo "== $kver: $line"
echo "$line"
[ $rc -eq 0 ] && [ $summary -eq 0 ]
