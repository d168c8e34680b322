#!/bin/bash
# run.sh - build tw_stats for each kernel users run, boot each in a VM and
# run the selftests (check) or the demonstration (demo) inside.
#
# The host's own kernel cannot load modules, so everything that loads the
# module runs in QEMU (boot.sh).  kernel.sh fetches and caches each
# kernel (6.12 and 7.3 build in a Debian trixie chroot); kbuild.sh builds
# the module for it in a copy of the tree under .cache.
#
# Usage: run.sh check | demo
# Env:   KERNELS      the kernels, default "6.1 6.12 7.3" (demo: the first)
#        TWS_ACCEL, TWS_SMP, TWS_MEM, TWS_TIMEOUT: see boot.sh
# Exit:  check: 0 when every test on every kernel passed.  One line per
#        kernel, then the sum as the last line: "N passed, N failed".
set -eu

mode=${1:-check}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache="$top/.cache"
kernels=${KERNELS:-6.1 6.12 7.3}
case $mode in
check) ;;
demo) kernels=${kernels%% *} ;;
*) echo "usage: run.sh check|demo" >&2; exit 2 ;;
esac

"$here/deps.sh"
"$here/framework.sh" "$cache"
make -s -C "$top/selftests" KSFT_DIR="$cache/kselftest" OUTPUT="$cache" all
make -s -C "$top/tools/twstat" B="$cache/twstat" static

passed=0
failed=0
skipped=0
lines=()
status=0

# host_check DESC CMD...: a test of the tree itself, run on the host.
host_check() {
	local desc=$1

	shift
	if "$@" >"$cache/host-check.log" 2>&1; then
		echo "ok - host: $desc"
		passed=$((passed + 1))
	else
		sed 's/^/# /' "$cache/host-check.log"
		echo "not ok - host: $desc"
		failed=$((failed + 1))
		status=1
	fi
}

# host_tap DESC CMD...: a command that ends with "N passed, N failed";
# its counts are added, its failures shown.
host_tap() {
	local desc=$1 line p f

	shift
	"$@" >"$cache/host-check.log" 2>&1
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$cache/host-check.log" |
		tail -n 1)
	read -r p _ f _ <<<"${line//,/}"
	if [ -z "$line" ]; then
		p=0
		f=1
	fi
	grep '^not ok' "$cache/host-check.log" | sed 's/^/# /'
	echo "# host: $desc: ${p} passed, ${f} failed"
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || status=1
}

if [ "$mode" = check ]; then
	host_check "checkpatch.pl --no-tree is quiet on module/ and tools/" \
		make -s -C "$top" style
	host_check "dkms build against the host's 6.1 headers" \
		"$here/dkms.sh"
	host_tap "twstat parser and CLI tests on fixtures (ASan+UBSan)" \
		make -s -C "$top/tools/twstat" B="$cache/twstat" test
	host_check "twstat parser fuzzed for ${TWS_FUZZ_SECONDS:-30} s" \
		make -s -C "$top/tools/twstat" B="$cache/twstat" fuzz \
		FUZZ_SECONDS="${TWS_FUZZ_SECONDS:-30}"
	host_check "twstat.8 renders without warnings" \
		groff -man -Tutf8 -ww -z "$top/tools/twstat.8"
	lines+=("host: $passed passed, $failed failed")
fi

# run_one SERIES: build, stage, boot; leaves the console in $log.
run_one() {
	local series=$1 build stage KVER VMLINUZ MODROOT KDIR CHROOT

	local vars

	vars=$("$here/kernel.sh" "$series") || return 1
	eval "$vars"
	build="$cache/build-$series"
	rm -rf "$build"
	mkdir -p "$build/module"
	# Sources only: a .ko left by a host build must never stand in.
	cp "$top/Kbuild" "$build/"
	cp "$top"/module/Kbuild "$top"/module/*.[ch] "$build/module/"
	echo "== building tw_stats.ko for $KVER"
	# Our own bar: W=1 is quiet, or nothing is tested.
	"$here/kbuild.sh" "$series" "$build" 2>&1 | tee "$build/build.log"
	[ "${PIPESTATUS[0]}" = 0 ] && [ -f "$build/module/tw_stats.ko" ] ||
		return 1
	if grep -q 'warning:' "$build/build.log"; then
		echo "run.sh: the module builds with warnings on $KVER" >&2
		return 1
	fi

	stage="$cache/stage-$series"
	rm -rf "$stage"
	mkdir -p "$stage/selftests/vm" "$stage/kselftest"
	cp "$build/module/tw_stats.ko" "$stage/"
	cp "$top"/selftests/*.sh "$top/selftests/TESTS" \
		"$top/selftests/settings" "$cache/tw_gen" "$stage/selftests/"
	cp "$cache/twstat/twstat-static" "$stage/selftests/twstat"
	cp "$here/guest.sh" "$stage/selftests/vm/"
	cp -r "$cache/kselftest/kselftest/." "$stage/kselftest/"
	TWS_KVER=$KVER TWS_MODROOT=$MODROOT \
		"$here/mkinitramfs.sh" "$stage" "$cache/initrd-$series.gz"

	echo "== booting Debian $KVER (${TWS_ACCEL:-tcg}), log in $log"
	TWS_LOG="$log" "$here/boot.sh" "$VMLINUZ" "$cache/initrd-$series.gz" \
		/tws/selftests/vm/guest.sh "$mode"
}

for series in $kernels; do
	log="$cache/$mode-$series.log"
	rm -f "$log"
	set +e
	(run_one "$series")
	rc=$?
	set -e
	[ "$mode" = demo ] && exit $rc
	line=""
	[ -f "$log" ] && line=$("$here/tap-summary.sh" <"$log" | tail -n 1)
	if [ -z "$line" ]; then
		line="0 passed, 1 failed"
	fi
	read -r p _ f _ s _ <<<"${line//,/}"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + ${s:-0}))
	[ $rc -eq 0 ] && [ "${f:-1}" -eq 0 ] || status=1
	lines+=("$series: $line")
done

for l in "${lines[@]}"; do
	echo "== $l"
done
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
exit $status
