# SPDX-License-Identifier: GPL-2.0
# helpers.sh - what the selftests and the benchmark's guest half share:
# waits with a deadline, commands in a namespace, and readers of our /proc
# files (columns found by their header's names) and of the kernel's own
# views (sockstat, ss, nstat) that our numbers must equal.  Sourcing it
# defines functions and defaults and does nothing else; lib.sh adds the
# test harness (KTAP, namespaces made and removed, the module loaded).
#
# A namespace argument NS may be empty: the caller's own namespace.

ksft_skip=4
TMPDIR=${TMPDIR:-/tmp}
TWS_SELF=${TWS_SELF:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
TW_GEN=${TW_GEN:-$TWS_SELF/tw_gen}

# wait_until SECONDS CMD...: poll CMD until it succeeds; fail at the deadline.
wait_until() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

in_ns() {
	local ns=$1

	shift
	if [ -z "$ns" ]; then
		"$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

module_loaded() {
	[ -d /sys/module/tw_stats ]
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
# A column the file lacks ends the calling script (from a $(...) too): a
# check that counts nothing must not pass for want of a column.
sock_cols() {
	local ns=$1 rc

	shift
	in_ns "$ns" awk -v want="$*" 'NR == 1 { n = split(want, w, " ")
			for (i = 1; i <= NF; i++) c[$i] = i
			for (i = 1; i <= n; i++) if (!(w[i] in c)) {
				print "# /proc/tw_sockets has no column " w[i] \
					>"/dev/stderr"
				exit 2 }
			next }
		{ l = $(c[w[1]]); for (i = 2; i <= n; i++) l = l " " $(c[w[i]])
		  print l }' /proc/tw_sockets
	rc=$?
	[ $rc -eq 2 ] && kill -TERM $$
	return $rc
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
