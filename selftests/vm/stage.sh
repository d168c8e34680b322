# SPDX-License-Identifier: GPL-2.0
# stage.sh - what the selftests (vm/run.sh) and the benchmark
# (bench/run.sh) do alike before a boot: build tw_stats.ko for a kernel
# series, quietly, and stage it with the guest's scripts and programs.
# Sourced; defines functions only.  The caller sets top and cache.

vm=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# stage_tools: what every boot needs built on the host first: the
# packages, the kselftest runner, tw_gen and tw_bench, a static twstat.
stage_tools() {
	"$vm/deps.sh"
	"$vm/framework.sh" "$cache"
	make -s -C "$top/selftests" KSFT_DIR="$cache/kselftest" \
		OUTPUT="$cache" all
	make -s -C "$top/tools/twstat" B="$cache/twstat" static
}

# build_ko SERIES BUILD: tw_stats.ko for SERIES in BUILD/module, from the
# sources only (a .ko left by a host build must never stand in), with W=1
# quiet: our own bar, or nothing is tested.
build_ko() {
	local series=$1 build=$2

	rm -rf "$build"
	mkdir -p "$build/module"
	cp "$top/Kbuild" "$build/"
	cp "$top"/module/Kbuild "$top"/module/*.[ch] "$build/module/"
	"$vm/kbuild.sh" "$series" "$build" 2>&1 | tee "$build/build.log"
	[ "${PIPESTATUS[0]}" = 0 ] && [ -f "$build/module/tw_stats.ko" ] ||
		return 1
	if grep -q 'warning:' "$build/build.log"; then
		echo "tw_stats.ko builds with warnings for $series" >&2
		return 1
	fi
}

# stage_base KO STAGE: the module, the selftests' scripts and programs,
# twstat, the guest's init half and the kselftest runner, in STAGE (the
# initramfs's /tws).
stage_base() {
	local ko=$1 stage=$2

	rm -rf "$stage"
	mkdir -p "$stage/selftests/vm" "$stage/kselftest"
	cp "$ko" "$stage/"
	cp "$top"/selftests/*.sh "$top/selftests/TESTS" \
		"$top/selftests/settings" "$cache/tw_gen" "$cache/tw_bench" \
		"$stage/selftests/"
	cp "$cache/twstat/twstat-static" "$stage/selftests/twstat"
	cp "$vm/guest.sh" "$stage/selftests/vm/"
	cp -r "$cache/kselftest/kselftest/." "$stage/kselftest/"
}
