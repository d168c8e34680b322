# SPDX-License-Identifier: GPL-2.0
# lib.sh - what every tw_stats selftest shares: KTAP output, waits with a
# deadline, throw-away network namespaces, loading the module, and the
# kernel's own views (sockstat, ss, nstat) that our numbers must equal.
#
# Each test works in namespaces of its own, because TIME_WAIT outlives a
# test by 60 s and sockstat counts per namespace: a fresh namespace starts
# at zero whatever ran before.

ksft_skip=4
TMPDIR=${TMPDIR:-/tmp}
TWS_SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TW_GEN=${TW_GEN:-$TWS_SELF/tw_gen}
if [ -z "${TWS_KO:-}" ]; then
	for TWS_KO in "$TWS_SELF/../module/tw_stats.ko" /tws/tw_stats.ko; do
		[ -f "$TWS_KO" ] && break
	done
fi

tws_n=0
tws_failed=0
# An extended regex of kernel messages that finish() lets pass, for the
# one test whose point is to cause them (tw_missed.sh: "hits missed").
tws_dmesg_allow=""
tws_namespaces=()
tws_pids=()

echo "TAP version 13"

ok() {
	tws_n=$((tws_n + 1))
	echo "ok $tws_n $*"
}

not_ok() {
	tws_n=$((tws_n + 1))
	tws_failed=$((tws_failed + 1))
	echo "not ok $tws_n $*"
}

skip() {
	tws_n=$((tws_n + 1))
	echo "ok $tws_n $* # SKIP"
}

# check DESC CMD...: one test point from a command's status.
check() {
	local desc=$1

	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# check_eq DESC WANT GOT
check_eq() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		if [[ "$2$3" == *$'\n'* ]]; then
			# Lists: only what differs ("<" wanted, ">" got).
			echo "# $1: differs ($(wc -l <<<"$2") wanted," \
				"$(wc -l <<<"$3") got):"
			echo "$2" >"$TMPDIR/tws-want.$$"
			echo "$3" >"$TMPDIR/tws-got.$$"
			diff "$TMPDIR/tws-want.$$" "$TMPDIR/tws-got.$$" |
				grep '^[<>]' | head -n 40 | sed 's/^/# /'
			rm -f "$TMPDIR/tws-want.$$" "$TMPDIR/tws-got.$$"
		else
			echo "# $1: want '$2', got '$3'"
		fi
		not_ok "$1"
	fi
}

# wait_until SECONDS CMD...: poll CMD until it succeeds; fail at the deadline.
wait_until() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

die() {
	echo "# $*"
	echo "Bail out! $*"
	exit 1
}

tws_cleanup() {
	local ns pid

	for pid in "${tws_pids[@]}"; do
		pkill -TERM -P "$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${tws_pids[@]}"; do
		wait "$pid" 2>/dev/null
	done
	tws_pids=()
	for ns in "${tws_namespaces[@]}"; do
		# Whatever still runs there would outlive the test otherwise.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	tws_namespaces=()
	unload_module
}

# finish: the dmesg check, the plan and the exit status.
finish() {
	local new

	tws_cleanup
	trap - EXIT
	module_loaded && not_ok "module unloads"
	# Lockups and stalls too: a reader that holds off interrupts or the
	# close path for too long shows there, the soft lockup as a BUG, the
	# RCU stall only as an INFO.
	new=$(dmesg | tail -n +$((tws_dmesg_mark + 1)) |
	      grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t|list_(add|del) corruption|tw_stats: .*missed|KASAN|locking dependency|lock state|ODEBUG|memory leak|soft lockup|hard LOCKUP|rcu: INFO|self-detected stall|detected stalls on CPU|blocked for more than' |
	      grep -Ev "${tws_dmesg_allow:-^$}")
	if [ -n "$new" ]; then
		echo "$new" | sed 's/^/# dmesg: /'
		not_ok "dmesg has no new WARN/BUG/Oops, lockup or stall"
	else
		ok "dmesg has no new WARN/BUG/Oops, lockup or stall"
	fi
	# What each test costs the suite's time budget (CI's hour).
	echo "# $(basename "$0") took $SECONDS s"
	echo "1..$tws_n"
	[ $tws_failed -eq 0 ]
	exit $?
}

# new_ns VAR [RANGE]: a namespace with lo up, and ip_local_port_range
# RANGE ("LOW HIGH") if given, removed when the test ends.
new_ns() {
	local name="tws-$RANDOM$RANDOM"

	ip netns add "$name" || die "ip netns add $name"
	ip -n "$name" link set lo up
	# Room for every TIME_WAIT a test makes, and no port reuse unless the
	# test asks: counts must not depend on how fast the VM runs.
	ip netns exec "$name" sysctl -qw net.ipv4.tcp_max_tw_buckets=262144
	ip netns exec "$name" sysctl -qw net.ipv4.tcp_tw_reuse=0
	tws_namespaces+=("$name")
	[ -z "${2:-}" ] || ip netns exec "$name" \
		sysctl -qw net.ipv4.ip_local_port_range="$2" ||
		die "ip_local_port_range $2 refused"
	printf -v "$1" '%s' "$name"
}

in_ns() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

# bg_ns NS CMD...: CMD in the background in NS, stopped when the test ends.
# ip execs CMD, so the pid is CMD's own and a signal reaches it.
bg_ns() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@" &
	tws_pids+=($!)
}

# bg_listen NS ARGS...: "tw_gen listen ARGS..." in the background in NS
# until it listens (with --hold, once it holds its connections); its pid
# is the last of tws_pids.  What it said is shown if it does not.
bg_listen() {
	local ns=$1 out="$TMPDIR/tws-listen.$$" rc=0

	shift
	bg_ns "$ns" "$TW_GEN" listen "$@" >"$out" 2>&1
	wait_until 20 grep -q listening "$out" || {
		sed 's/^/# tw_gen listen: /' "$out"
		rc=1
	}
	rm -f "$out"
	return $rc
}

# listen NS PORT: a tw_gen listener in NS that closes after its peer, up
# before this returns, stopped when the test ends.
listen() {
	local out="$TMPDIR/tws-listen.$$.$2"

	bg_ns "$1" "$TW_GEN" listen -p "$2" >"$out"
	wait_until 5 grep -q listening "$out" || die "no listener on $2"
	rm -f "$out"
}

module_loaded() {
	[ -d /sys/module/tw_stats ]
}

load_module() {
	module_loaded && return 0
	insmod "$TWS_KO" "$@" || return 1
	wait_until 5 test -e /proc/tw_stats
}

unload_module() {
	module_loaded || return 0
	rmmod tw_stats || return 1
	wait_until 5 eval '! module_loaded'
}

# field NS NAME: a "name value" line of /proc/tw_stats as NS sees it.
field() {
	in_ns "$1" awk -v k="$2" '$1 == k { print $2; exit }' /proc/tw_stats
}

# inum NS: the inode number that names NS in the all-namespace view.
inum() {
	in_ns "$1" readlink /proc/self/ns/net | tr -dc 0-9
}

# all_view FILE: FILE read after writing "all" to the same descriptor.
all_view() {
	{ echo all >&3 && cat <&3; } 3<>"$1"
}

# departed KEY: a key of the block dead namespaces left in the all view.
departed() {
	all_view /proc/tw_stats | awk -v k="$1" '
		$1 == "netns" { on = $2 == "departed" } on && $1 == k { print $2 }'
}

# dests NS: the destination rows of NS's /proc/tw_stats.
dests() {
	in_ns "$1" awk '/^local / { t = 1; next } t && !NF { exit } t' \
		/proc/tw_stats
}

# sock_cols NS NAME...: columns NAME... (found by the header) of each row
# of NS's /proc/tw_sockets.
sock_cols() {
	local ns=$1
	shift
	in_ns "$ns" awk -v want="$*" 'NR == 1 { n = split(want, w, " ")
			for (i = 1; i <= NF; i++) c[$i] = i; next }
		{ l = $(c[w[1]]); for (i = 2; i <= n; i++) l = l " " $(c[w[i]])
		  print l }' /proc/tw_sockets
}

# sockets_width NS: where /proc/tw_sockets' "remote" column starts, less
# one, if every row's remote address starts there too (else nothing).
sockets_width() {
	in_ns "$1" awk 'NR == 1 { w = index($0, " remote") ; next }
		substr($0, w, 1) != " " || substr($0, w + 1, 1) == " " {
			print "# misaligned:", $0; bad = 1 }
		END { if (!bad) print w - 1 }' /proc/tw_sockets
}

# dest_col NS REMOTE NAME: column NAME (found by the header) of NS's
# destination row to REMOTE.
dest_col() {
	in_ns "$1" awk -v r="$2" -v c="$3" '/^local / {
			for (i = 1; i <= NF; i++) if ($i == c) col = i; next }
		col && !NF { exit }
		col && $2 == r { print $col }' /proc/tw_stats
}

# life NS CAUSE [FILE]: "RANGE COUNT" lines of the lifetime histogram
# column CAUSE, non-zero buckets only.
life() {
	in_ns "$1" awk -v c="$2" '/^lifetime_ms / {
			for (i = 2; i <= NF; i++) if ($i == c) col = i; next }
		col && !NF { exit }
		col && $col > 0 { print $1, $col }' "${3:-/proc/tw_stats}"
}

sockstat_tw() {
	in_ns "$1" awk '$1 == "TCP:" {
		for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' \
		/proc/net/sockstat
}

# nstat_get NS COUNTER: an absolute TcpExt counter of NS.
nstat_get() {
	in_ns "$1" nstat -asz "$2" | awk -v k="$2" '$1 == k { print $2 }'
}

# rows NS [STATE]: "local remote" of our rows, sorted.
rows() {
	in_ns "$1" awk -v s="${2:-}" 'NR > 1 && (s == "" || $3 == s) {
		print $1, $2 }' /proc/tw_sockets | sort
}

# ss_rows NS STATE: the same pairs as ss lists them (state time-wait or
# fin-wait-2).
ss_rows() {
	in_ns "$1" ss -Htan state "$2" | awk '{ print $(NF - 1), $NF }' | sort
}

# rows_agree NS STATE: our rows in STATE (TIME_WAIT, FIN_WAIT2) are ss's,
# read just before and just after them, as identity does; leaves what
# each said in tws_ss and tws_rows for check_eq.
rows_agree() {
	local state=${2//_/-}

	tws_ss=$(ss_rows "$1" "${state,,}")
	tws_rows=$(rows "$1" "$2")
	[ "$tws_rows" == "$tws_ss" ] &&
		[ "$(ss_rows "$1" "${state,,}")" == "$tws_ss" ]
}

# live_by_ends: reads one namespace's block of /proc/tw_stats on stdin;
# prints entered - (the sum of ended_*) when tw_count and ended agree with
# it, nothing otherwise.
live_by_ends() {
	awk '$1 == "entered" { e = $2 } $1 == "tw_count" { c = $2 }
		$1 == "ended" { n = $2 } $1 ~ /^ended_/ { s += $2 }
		END { if (e != "" && n == s && c == e - s) print e - s }'
}

# identity [NS]: entered - (the sum of ended_*) is what the kernel holds,
# sockstat's tw, and /proc/tw_stats says so in tw_count and ended.
# Without NS: the departed block, where nothing is held.
# TIME_WAITs may expire while it reads: sockstat is read just before and
# just after /proc/tw_stats, and a read that straddles an expiry fails
# (callers retry), since it proves nothing either way.
identity() {
	local before

	if [ $# -gt 0 ]; then
		before=$(sockstat_tw "$1")
		[ "$(in_ns "$1" cat /proc/tw_stats | live_by_ends)" == \
			"$before" ] && [ "$(sockstat_tw "$1")" == "$before" ]
	else
		[ "$(all_view /proc/tw_stats | awk '$1 == "netns" {
			on = $2 == "departed" } on' | live_by_ends)" == 0 ]
	fi
}

# counts_settled NS N: tw_count, sockstat and the kernel agree on N.
counts_settled() {
	[ "$(sockstat_tw "$1")" == "$2" ] && [ "$(field "$1" tw_count)" == "$2" ]
}

# stress_setup: what the stress tests share.  Reads the figures run.sh
# chose for this kernel (stress.env), needs tw_bench, and sets scale
# (TWS_STRESS_SCALE, the divisor of the figures, 1 by default) and ncpu.
stress_setup() {
	[ -r "$TWS_SELF/stress.env" ] && source "$TWS_SELF/stress.env"
	TW_BENCH=${TW_BENCH:-$TWS_SELF/tw_bench}
	if [ ! -x "$TW_BENCH" ]; then
		echo "# no tw_bench (make -C selftests)"
		exit $ksft_skip
	fi
	scale=${TWS_STRESS_SCALE:-1}
	ncpu=$(nproc)
}

tws_dmesg_mark=$(dmesg | wc -l)
trap tws_cleanup EXIT

[ "$(id -u)" == 0 ] || { echo "# needs root"; exit $ksft_skip; }
[ -f "$TWS_KO" ] || { echo "# no tw_stats.ko (build it first)"; exit $ksft_skip; }
[ -x "$TW_GEN" ] || { echo "# no tw_gen (make -C selftests)"; exit $ksft_skip; }
