# SPDX-License-Identifier: GPL-2.0
# lib.sh - the harness every tw_stats selftest sources: KTAP output, a
# check of dmesg at the end, throw-away network namespaces and the module
# loaded and unloaded; the readers it shares with the benchmark are in
# helpers.sh.  Sourcing it starts the test: it prints the TAP header, sets
# the cleanup trap and skips (exit 4) without root, module or tw_gen.
#
# Each test works in namespaces of its own, because TIME_WAIT outlives a
# test by 60 s and sockstat counts per namespace: a fresh namespace starts
# at zero whatever ran before.

TWS_SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$TWS_SELF/helpers.sh"
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
# A helper that ends the test (sock_cols) or a runner's timeout: clean up.
trap 'exit 1' TERM

[ "$(id -u)" == 0 ] || { echo "# needs root"; exit $ksft_skip; }
[ -f "$TWS_KO" ] || { echo "# no tw_stats.ko (build it first)"; exit $ksft_skip; }
[ -x "$TW_GEN" ] || { echo "# no tw_gen (make -C selftests)"; exit $ksft_skip; }
