#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hostile input.  Bad module parameters are refused with one clear line
# and leave nothing behind; writes, seeks and odd read sizes on our files
# get an error or a consistent answer, never a torn line, even while the
# table changes under the reader; an unprivileged user in a user and
# network namespace of its own sees only its own sockets and cannot reach
# the all-namespace view.

source "$(dirname "$0")/lib.sh"

unload_module || die "cannot unload"

i=0
for p in 0 -1 abc 16777217 "" 99999999999999999999 1k; do
	i=$((i + 1))
	mark="tws: hostile parameter, case $i"
	echo "$mark" >/dev/kmsg
	if insmod "$TWS_KO" "max_entries=$p" 2>/dev/null; then
		not_ok "max_entries='$p' is refused"
		unload_module
		continue
	fi
	msgs=$(dmesg | sed -n "/$mark\$/,\$p" | grep 'tw_stats')
	check_eq "max_entries='$p': refused, one line says what is wanted" \
		1 "$(grep -c "max_entries=$p: want a whole number from 1" \
			<<<"$msgs")"
	check_eq "max_entries='$p': nothing else of ours in dmesg" "" \
		"$(grep -v "max_entries=$p: want" <<<"$msgs" |
			grep -v 'invalid for parameter\|taint')"
	check "max_entries='$p': nothing left behind" eval \
		'! module_loaded && [ ! -e /proc/tw_stats ] &&
		 [ ! -e /proc/tw_sockets ]'
done

load_module || die "insmod failed"
new_ns ns
in_ns "$ns" "$TW_GEN" pairs -n 40 -p 5000 || die "tw_gen"
wait_until 5 counts_settled "$ns" 40 || die "40 TIME_WAITs"

# write_err FILE FORMAT CMD...: what one printf FORMAT to FILE, opened
# read-write by CMD (e.g. in_ns NS), gets: "ok", EINVAL or EPERM.
write_err() {
	local f=$1 fmt=$2 err

	shift 2
	err=$("$@" bash -c '{ printf "$2" >&3; } 3<>"$1"' _ "$f" "$fmt" \
		2>&1) && { echo ok; return; }
	case $err in
	*"Invalid argument"*) echo EINVAL ;;
	*"not permitted"*) echo EPERM ;;
	*) echo "$err" ;;
	esac
}

long=$(printf 'a%.0s' $(seq 4096))
for f in /proc/tw_stats /proc/tw_sockets /proc/tw_failures; do
	check_eq "$f: a 4 KiB write is refused" EINVAL \
		"$(write_err "$f" "$long" in_ns "$ns")"
	check_eq "$f: a NUL inside a word is refused" EINVAL \
		"$(write_err "$f" 'al\0l' in_ns "$ns")"
	check_eq "$f: an unknown word is refused" EINVAL \
		"$(write_err "$f" 'everything' in_ns "$ns")"
	check_eq "$f: 'all' inside a namespace is refused" EPERM \
		"$(write_err "$f" 'all' in_ns "$ns")"
	check_eq "$f: 'all' in the initial one without CAP_NET_ADMIN" EPERM \
		"$(write_err "$f" 'all' setpriv --bounding-set=-net_admin \
			--inh-caps=-net_admin)"
	check_eq "$f: 'own' is taken" ok "$(write_err "$f" 'own' in_ns "$ns")"
done
check "a write after reading is refused (a view cannot change midway)" \
	in_ns "$ns" bash -c '{ head -c 10 <&3 >/dev/null;
		! echo own >&3; } 3<>/proc/tw_sockets 2>/dev/null'

# Reads of any size and from any offset give the same bytes.  Ages and
# reuse eligibility move with time: retry until two reads meet.
same_stats() {	# same_stats BS
	[ "$(in_ns "$ns" cat /proc/tw_stats)" == \
	  "$(in_ns "$ns" dd if=/proc/tw_stats bs="$1" 2>/dev/null)" ]
}
for bs in 1 7 4096; do
	check "tw_stats read $bs bytes at a time is the whole" \
		wait_until 5 same_stats "$bs"
done
cols() {
	awk '{ print $1, $2, $3 }'
}
check_eq "tw_sockets read 1 byte at a time is the whole" \
	"$(in_ns "$ns" cat /proc/tw_sockets | cols)" \
	"$(in_ns "$ns" dd if=/proc/tw_sockets bs=1 2>/dev/null | cols)"
# The line cut at byte 200 is left out: its cut moves with the ages.
check_eq "tw_sockets from byte 200 on is the tail of the whole" \
	"$(in_ns "$ns" cat /proc/tw_sockets | tail -c +201 | tail -n +2 |
		cols)" \
	"$(in_ns "$ns" dd if=/proc/tw_sockets bs=1 skip=200 2>/dev/null |
		tail -n +2 | cols)"

# whole_rows: stdin is /proc/tw_sockets; fails on any line not whole.
whole_rows() {
	awk 'NR == 1 { if ($1 != "local" || NF != 8) bad++; next }
	     NF != 8 || $1 !~ /:[0-9]+$/ || $2 !~ /:[0-9]+$/ ||
	     $3 !~ /^(TIME_WAIT|FIN_WAIT2)$/ || $4 !~ /^[0-9]+$/ ||
	     $5 !~ /^[0-9]+$/ || $6 !~ /^(yes|no)$/ || $7 !~ /^[0-9]+$/ ||
	     $8 !~ /^(client|server|other)$/ { bad++; print "# torn: " $0 }
	     END { exit bad > 0 }'
}

# While sockets come and go, every line read is whole, at any read size.
stop="$TMPDIR/tws-hostile-stop.$$"
rm -f "$stop"
churn() {
	local port=6000

	until [ -e "$stop" ]; do
		in_ns "$ns" "$TW_GEN" pairs -n 50 -p "$port" -c server \
			2>/dev/null
		port=$((port + 1))
	done
}
churn &
tws_pids+=($!)
torn=0
reads=0
# Small reads stop after 30 kB (a slow emulator makes a syscall a byte
# costly), the line they cut there left out.  Twenty rounds on Debian's
# 6.1, five elsewhere (stress.env), more until the churn has added 90.
stress_setup
rounds=$((20 / scale > 5 ? 20 / scale : 5))
for i in $(seq 20); do
	[ "$i" -le "$rounds" ] || [ "$(field "$ns" entered)" -le 90 ] || break
	for bs in 1 5 4096; do
		reads=$((reads + 1))
		in_ns "$ns" dd if=/proc/tw_sockets bs=$bs \
			count=$((30000 / bs)) 2>/dev/null | head -n -1 |
			whole_rows || torn=$((torn + 1))
	done
	reads=$((reads + 1))
	in_ns "$ns" cat /proc/tw_sockets | whole_rows || torn=$((torn + 1))
done
touch "$stop"
wait
check "the table changed during those reads" \
	test "$(field "$ns" entered)" -gt 90
check_eq "$reads reads during churn, no torn or malformed line" 0 "$torn"

# An unprivileged user in its own user and network namespace.
new_ns other
in_ns "$other" "$TW_GEN" pairs -n 6 -p 7000 || die "tw_gen"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if "${nobody[@]}" unshare -Urn true 2>/dev/null; then
	out=$("${nobody[@]}" unshare -Urn bash -c '
		ip link set lo up
		"$1" pairs -n 3 -p 7100 || exit 1
		awk "\$1 == \"tw_count\" { print \"count\", \$2 }" \
			/proc/tw_stats
		awk "NR > 1 { n++ } END { print \"rows\", n + 0 }" \
			/proc/tw_sockets
		awk "NR > 1 && \$2 !~ /:7100\$/ { n++ }
		     END { print \"foreign\", n + 0 }" /proc/tw_sockets
		{ echo all >&3; } 3<>/proc/tw_sockets 2>/dev/null &&
			echo "all allowed"
		{ echo all >&3; } 3<>/proc/tw_stats 2>/dev/null &&
			echo "all allowed"
		exit 0' _ "$TW_GEN")
	check_eq "unprivileged: its tw_count is its own 3" "count 3" \
		"$(grep '^count' <<<"$out")"
	check_eq "unprivileged: its own 3 rows" "rows 3" \
		"$(grep '^rows' <<<"$out")"
	check_eq "unprivileged: nobody else's rows" "foreign 0" \
		"$(grep '^foreign' <<<"$out")"
	check_eq "unprivileged: the all-namespace view is refused" "" \
		"$(grep 'all allowed' <<<"$out")"
else
	skip "unprivileged user namespaces are disabled here"
fi

finish
