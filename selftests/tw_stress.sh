#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stress, with its figures printed: TIME_WAIT lifecycles on every CPU
# while readers read our files and sysctls change under them; namespaces
# that die with live TIME_WAITs.  Afterwards the counts are exact: every
# lifecycle entered and ended, tw_count equals sockstat, the dead
# namespaces left no entry.  Reloads under churn are tw_reload.sh's.
#
# The figures are divided by TWS_STRESS_SCALE: run.sh sets it to 1 on
# Debian's 6.1 LTS, to 10 on the other kernels to keep the suite short.

source "$(dirname "$0")/lib.sh"
stress_setup
LIFECYCLES=$((${TWS_STRESS_LIFECYCLES:-200000} / scale / ncpu * ncpu))
NAMESPACES=$((${TWS_STRESS_NAMESPACES:-1000} / scale))
stop="$TMPDIR/tws-stress-stop.$$"
rm -f "$stop"

# Room for every TIME_WAIT that can be alive at once, in the kernel and
# in the table: nothing may overflow or go untracked.
room=$((LIFECYCLES > 262144 ? LIFECYCLES : 262144))
load_module max_entries=$((room * 2)) netns_max_entries=$room ||
	die "insmod failed"
new_ns ns
in_ns "$ns" sysctl -qw net.ipv4.tcp_max_tw_buckets=$room

# reader OUT: read everything, all views, until told to stop; OUT gets
# the number of reads.
reader() {
	local n=0

	until [ -e "$stop" ]; do
		in_ns "$ns" cat /proc/tw_stats /proc/tw_sockets \
			/proc/tw_failures >/dev/null
		all_view /proc/tw_sockets >/dev/null
		n=$((n + 3))
	done 2>/dev/null
	echo "$n" >"$1"
}

# flipper OUT: change the sysctls tw_stats reads, until told to stop.
flipper() {
	local n=0 v lo

	until [ -e "$stop" ]; do
		for v in 0 1 2; do
			in_ns "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=$v
			lo=$((20000 + v))
			in_ns "$ns" sysctl -qw \
				net.ipv4.ip_local_port_range="$lo 60999"
			n=$((n + 2))
		done
	done
	echo "$n" >"$1"
}

# 1. Lifecycles.  The server closes first: its TIME_WAITs hold nothing the
# clients need, and a client port that comes round again reopens one
# with its SYN, so they end both ways.
reader "$TMPDIR/tws-r1.$$" &
tws_pids+=($!)
reader "$TMPDIR/tws-r2.$$" &
tws_pids+=($!)
flipper "$TMPDIR/tws-f.$$" &
tws_pids+=($!)
start=$SECONDS
in_ns "$ns" "$TW_BENCH" churn -n $((LIFECYCLES / ncpu)) -c server \
	-a 127.0.0.1 -p 5000 -j "$ncpu" >/dev/null || die "churn failed"
made=$((SECONDS - start))
touch "$stop"
wait
reads=$(($(cat "$TMPDIR/tws-r1.$$") + $(cat "$TMPDIR/tws-r2.$$")))
flips=$(cat "$TMPDIR/tws-f.$$")
rm -f "$stop" "$TMPDIR"/tws-[rf]*."$$"
echo "# $LIFECYCLES lifecycles on $ncpu CPUs in $made s, $reads reads," \
	"$flips sysctl changes"
check_eq "every lifecycle entered" "$LIFECYCLES" "$(field "$ns" entered)"
check "all ended within TCP_TIMEWAIT_LEN" \
	wait_until 75 counts_settled "$ns" 0
check_eq "every lifecycle ended" "$LIFECYCLES" "$(field "$ns" ended)"
check "entered - ended_* = tw_count = sockstat tw" \
	wait_until 10 identity "$ns"
check_eq "none untracked, none overflowed" "0 0" \
	"$(field "$ns" untracked) $(field "$ns" overflow)"
echo "# ended: timer $(field "$ns" ended_timer)," \
	"syn $(field "$ns" ended_syn), other $(field "$ns" ended_other)"
echo "# probe hits missed $(field "$ns" probe_missed), events dropped" \
	"$(field "$ns" events_dropped), corrections $(field "$ns" reconciled)"

# 2. Namespaces that die with live TIME_WAITs.
gone0=$(departed namespaces)
start=$SECONDS
failed=0
for i in $(seq "$NAMESPACES"); do
	# One namespace a CPU at a time; each dies with its process.
	[ "$(jobs -rp | wc -l)" -lt "$ncpu" ] || wait -n || failed=1
	unshare -n bash -c 'ip link set lo up && "$1" pairs -n 2 -p 9000' \
		_ "$TW_GEN" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do
	wait -n || failed=1
done
check_eq "$NAMESPACES namespaces each made 2 TIME_WAITs" 0 "$failed"
echo "# $NAMESPACES namespaces made TIME_WAITs and died in" \
	"$((SECONDS - start)) s"
check "all $NAMESPACES counted as departed" wait_until 120 eval \
	'[ "$(departed namespaces)" -ge $((gone0 + NAMESPACES)) ]'
live="$TMPDIR/tws-live.$$"
{
	readlink /proc/self/ns/net | tr -dc 0-9
	echo
	ip netns list | while read -r n _; do inum "$n"; echo; done
} >"$live"
check_eq "no entry of a dead namespace is left" "" \
	"$(all_view /proc/tw_sockets | awk 'NR > 1 { print $1 }' | sort -u |
		grep -vxFf "$live")"
rm -f "$live"
check "the departed block adds up" identity

finish
