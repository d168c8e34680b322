#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The drain starved.  The probes only log; a kworker applies what they
# logged, and a per-CPU ring holds what waits for it.  On a server whose
# CPUs real-time tasks keep busy, that kworker runs in the scraps of time
# the scheduler leaves (5% by default), the rings fill and events are
# dropped, as on a slow CI machine once in tw_stress.sh.  A drop may
# cost a row for a while, never a count: the table is repaired from the
# kernel's hash, and a minisocket whose birth and end were both dropped,
# which no repair can see, must still be counted.
#
# A churn at real-time priority, four jobs a CPU so that one is ready
# while another waits for its peer, server side first, through 200
# client ports, so that each port's next SYN ends the TIME_WAIT its last
# connection left: many minisockets are born and end while the drain
# waits.  Every count must then be exact.
#
# Where the churn itself waits for the starved CPU time, nothing is
# dropped and the test proves nothing: it says so and skips.  Up to 6.1
# at least, a CPU's softirqs wait for its ksoftirqd (a normal task) once
# that is woken, and the churn then runs no faster than the drain.

source "$(dirname "$0")/lib.sh"
stress_setup
JOBS=$((4 * ncpu))
LIFECYCLES=$((${TWS_STARVED_LIFECYCLES:-6000} / JOBS * JOBS))

if ! command -v chrt >/dev/null; then
	echo "# no chrt (util-linux)"
	exit $ksft_skip
fi

load_module || die "insmod failed"
new_ns ns "40000 40199"

start=$SECONDS
in_ns "$ns" chrt -f 10 "$TW_BENCH" churn -n $((LIFECYCLES / JOBS)) \
	-c server -a 127.0.0.1 -p 5000 -j "$JOBS" >/dev/null ||
	die "churn failed"
echo "# $LIFECYCLES lifecycles at real-time priority on $ncpu CPUs in" \
	"$((SECONDS - start)) s"
dropped=$(field "$ns" events_dropped)
echo "# events dropped $dropped, ended by SYN $(field "$ns" ended_syn)," \
	"corrections $(field "$ns" reconciled)"
if [ "${dropped:-0}" -eq 0 ]; then
	echo "# the drain kept up: this kernel let it run"
	tws_cleanup
	exit $ksft_skip
fi
check_eq "every lifecycle entered" "$LIFECYCLES" "$(field "$ns" entered)"
check "entered - ended_* = tw_count = sockstat tw" \
	wait_until 10 identity "$ns"
check "rows equal ss" wait_until 10 rows_agree "$ns" TIME_WAIT
check_eq "nothing untracked" 0 "$(field "$ns" untracked)"

finish
