#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# reload_control.sh - the in-guest half of selftests/control/run.sh: load
# and unload one module N times while connections churn on every vCPU,
# the churn of selftests/tw_reload.sh (tw_bench in a namespace of its own,
# one job a CPU).  Nothing else is done between a load and its unload,
# whatever the module: tw_stats and the control (tw_control.ko) go
# through the same loop.
#
# Usage: reload_control.sh [-d SECONDS] MODULE.ko N [INSMOD_ARG...]
#   -d: stay loaded SECONDS (e.g. 0.5) before each unload, probes armed
# Prints "RELOAD-CONTROL start ...", one "RELOAD-CONTROL cycle K S.SS"
# line per completed load and unload (K from 1, S.SS seconds since the
# start), then "RELOAD-CONTROL done completed=K of N".  A guest that dies
# meanwhile prints no more: the host takes the last cycle line.
# Exit:  0 all N cycles done, 1 a load or unload failed, 2 usage.
set -u

dwell=""
if [ "${1:-}" = -d ] && [[ ${2:-} =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
	dwell=$2
	shift 2
fi
if [ $# -lt 2 ] || [ ! -f "$1" ] || [[ ! $2 =~ ^[0-9]+$ ]]; then
	echo "usage: reload_control.sh [-d SECONDS] MODULE.ko N" \
		"[INSMOD_ARG...]" >&2
	exit 2
fi
ko=$1
n=$2
shift 2
name=$(basename "$ko" .ko)
here=$(cd "$(dirname "$0")" && pwd)
twb=$here/tw_bench
ns=twc-churn
stop=/tmp/twc-stop.$$
ncpu=$(nproc)

say() {
	echo "RELOAD-CONTROL $*"
}

# wait_until SECONDS CMD...: poll CMD until it succeeds, or fail.
wait_until() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.1
	done
}

loaded() {
	[ -d "/sys/module/$name" ]
}

sockstat_tw() {
	ip netns exec "$ns" sed -n 's/^TCP: .* tw \([0-9]*\).*/\1/p' \
		/proc/net/sockstat
}

have_tw() {
	[ "$(sockstat_tw)" -gt 0 ] 2>/dev/null
}

churner=""
cleanup() {
	touch "$stop"
	[ -z "$churner" ] || wait "$churner"
	rm -f "$stop"
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT

ip netns add "$ns" || exit 1
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_max_tw_buckets=262144
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=0
rm -f "$stop"
(
	until [ -e "$stop" ]; do
		ip netns exec "$ns" "$twb" churn -n 200 -c server \
			-a 127.0.0.1 -p 5100 -j "$ncpu" >/dev/null 2>&1
	done
) &
churner=$!
wait_until 30 have_tw ||
	{ echo "reload_control.sh: no TIME_WAIT after 30 s of churn" >&2; exit 1; }

say "start module=$name args=${*:-none} n=$n dwell=${dwell:-0} cpus=$ncpu" \
	"kernel=$(uname -r) tw=$(sockstat_tw)"
read -r start _ </proc/uptime
done_n=0
for k in $(seq "$n"); do
	if ! insmod "$ko" "$@"; then
		say "failed at cycle $k: insmod"
		break
	fi
	[ -z "$dwell" ] || sleep "$dwell"
	if ! rmmod "$name" || ! wait_until 5 eval '! loaded'; then
		say "failed at cycle $k: rmmod"
		break
	fi
	done_n=$k
	say "cycle $k $(awk -v b="$start" '{ printf "%.2f", $1 - b }' \
		/proc/uptime)"
done
say "done completed=$done_n of $n tw=$(sockstat_tw)"
[ "$done_n" -eq "$n" ]
