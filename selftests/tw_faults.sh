#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Injected allocation failures: with failslab failing a share of the
# module's entry allocations while connections churn, what could not be
# tracked is counted as untracked, the counts stay exact, and nothing
# crashes, warns or leaks.  Needs a kernel with CONFIG_FAILSLAB and
# CONFIG_FAULT_INJECTION_DEBUG_FS (make check-debug); Debian's kernels
# have neither, and skip.

source "$(dirname "$0")/lib.sh"

fs=/sys/kernel/debug/failslab
if [ ! -d "$fs" ]; then
	echo "# no $fs: this kernel has no failslab"
	exit $ksft_skip
fi

load_module || die "insmod failed"
slab=/sys/kernel/slab/tws_entry
# A merged cache is shared: failing it would fail other allocations too.
if [ -L "$slab" ] || [ ! -e "$slab/failslab" ]; then
	echo "# tws_entry is merged with other caches: boot with slab_nomerge"
	exit $ksft_skip
fi

restore() {
	echo 0 >"$fs/probability"
	echo 0 >"$slab/failslab"
}
new_ns ns

# Only our cache, one allocation in four, however many, quietly.
echo Y >"$fs/cache-filter"
echo 1 >"$slab/failslab"
echo 25 >"$fs/probability"
echo 1 >"$fs/interval"
echo -1 >"$fs/times"
echo 0 >"$fs/verbose"
echo 0 >"$fs/space"

for port in $(seq 5000 5019); do
	in_ns "$ns" "$TW_GEN" pairs -n 50 -p "$port" -c server ||
		{ restore; die "tw_gen"; }
done
restore
echo "# failslab failed the entry allocations of $(field "$ns" untracked)" \
	"of $(field "$ns" entered) minisockets"

check "some allocations failed and were counted as untracked" \
	test "$(field "$ns" untracked)" -gt 0
check_eq "every minisocket entered" 1000 "$(field "$ns" entered)"
check "tw_count equals sockstat" counts_settled "$ns" 1000
check "entered - ended_* = tw_count = sockstat tw" identity "$ns"
check_eq "rows are the tracked ones" \
	$((1000 - $(field "$ns" untracked))) \
	"$(in_ns "$ns" awk 'NR > 1' /proc/tw_sockets | wc -l)"

finish
