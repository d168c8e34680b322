#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unload and reload while connections churn on every CPU, with its figure
# printed; afterwards tw_count equals sockstat and the identity holds.
# 100 cycles (TWS_STRESS_RELOADS), divided by TWS_STRESS_SCALE as in
# tw_stress.sh.

source "$(dirname "$0")/lib.sh"
stress_setup
RELOADS=$((${TWS_STRESS_RELOADS:-100} / scale))
stop="$TMPDIR/tws-reload-stop.$$"
rm -f "$stop"

load_module || die "insmod failed"
new_ns ns

churner() {
	until [ -e "$stop" ]; do
		in_ns "$ns" "$TW_BENCH" churn -n 200 -c server -a 127.0.0.1 \
			-p 5100 -j "$ncpu" >/dev/null 2>&1
	done
}
churner &
tws_pids+=($!)
reloads=0
for i in $(seq "$RELOADS"); do
	unload_module || break
	load_module || break
	in_ns "$ns" cat /proc/tw_sockets >/dev/null
	reloads=$((reloads + 1))
done
touch "$stop"
wait
rm -f "$stop"
echo "# $reloads unload/reload cycles under churn"
check_eq "$RELOADS reloads under churn" "$RELOADS" "$reloads"
# TIME_WAITs of the first reloads expire meanwhile: identity() retries
# until a read falls between two batches of expiries.
check "then entered - ended_* = tw_count = sockstat tw" \
	wait_until 75 identity "$ns"
wait_until 75 rows_agree "$ns" TIME_WAIT
check_eq "and the rows are ss's" "$tws_ss" "$tws_rows"
echo "# tw_count $(field "$ns" tw_count), sockstat $(sockstat_tw "$ns")," \
	"entered $(field "$ns" entered), ended $(field "$ns" ended)," \
	"corrections $(field "$ns" reconciled)"

finish
