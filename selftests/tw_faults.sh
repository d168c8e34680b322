#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Injected allocation failures: with failslab failing a share of the
# module's entry allocations while connections churn, what could not be
# tracked is counted as untracked, the counts stay exact, and nothing
# crashes, warns or leaks.  Needs a kernel with CONFIG_FAILSLAB and
# CONFIG_FAULT_INJECTION_DEBUG_FS, and our cache marked for it at boot
# with slub_debug=A,tws_entry (the debug kernel's boot, see run.sh): on
# the kernels we run, /sys/kernel/slab/*/failslab is read-only.  Debian's
# kernels have no failslab, and skip.

source "$(dirname "$0")/lib.sh"

fs=/sys/kernel/debug/failslab
if [ ! -d "$fs" ]; then
	echo "# no $fs: this kernel has no failslab"
	exit $ksft_skip
fi

load_module || die "insmod failed"
slab=/sys/kernel/slab/tws_entry
# A merged cache would fail other allocations too; slub_debug's mark also
# keeps it apart.
if [ -L "$slab" ] || [ "$(cat "$slab/failslab" 2>/dev/null)" != 1 ]; then
	echo "# tws_entry is not marked for failslab:" \
		"boot with slub_debug=A,tws_entry"
	exit $ksft_skip
fi

restore() {
	echo 0 >"$fs/probability"
}
new_ns ns

# Only marked caches (ours), one allocation in four, however many,
# quietly.
echo Y >"$fs/cache-filter"
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
