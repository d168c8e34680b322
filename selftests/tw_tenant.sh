#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tenants cannot crowd out the host.  netns_max_entries bounds the
# minisockets each network namespace has tracked one by one; the
# namespaces other than the initial one together get at most
# max_entries - netns_max_entries, so the initial one always has room for
# netns_max_entries of its own.  Here, with max_entries=3000 and
# netns_max_entries=1000, unprivileged users in user and network
# namespaces of their own fill their limits: tenant A makes 1500
# TIME_WAITs and has 1000 listed, B the same, C then none; beyond a limit
# they are still counted (entered, untracked).  Then 800 new TIME_WAITs
# of the initial namespace itself are every one listed, and a tenant's
# table_memory_bytes is its own, not the host's.

source "$(dirname "$0")/lib.sh"

MAX=3000
NETNS_MAX=1000
TW_BENCH=${TW_BENCH:-$TWS_SELF/tw_bench}
if [ ! -x "$TW_BENCH" ]; then
	echo "# no tw_bench (make -C selftests)"
	exit $ksft_skip
fi
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if ! "${nobody[@]}" unshare -Urn true 2>/dev/null; then
	echo "# unprivileged user namespaces are disabled here"
	exit $ksft_skip
fi

unload_module || die "cannot unload"

# 1. A bad value is refused with a line that names it, whatever the order
# of the parameters.
i=0
for p in "netns_max_entries=0" \
	"max_entries=$MAX netns_max_entries=$((MAX + 1))" \
	"netns_max_entries=$((MAX + 1)) max_entries=$MAX"; do
	i=$((i + 1))
	v=${p#*netns_max_entries=}
	v=${v%% *}
	mark="tws: tenant parameter, case $i"
	echo "$mark" >/dev/kmsg
	# shellcheck disable=SC2086	# the parameters are words
	if insmod "$TWS_KO" $p 2>/dev/null; then
		not_ok "'$p' is refused"
		unload_module
		continue
	fi
	ok "'$p' is refused"
	# Not the kernel's own "unknown parameter" or "invalid for
	# parameter" lines: ours, which says what is wanted.
	check "'$p': a line of ours names netns_max_entries and $v" test \
		"$(dmesg | sed -n "/$mark\$/,\$p" | grep 'tw_stats' |
			grep -Eiv 'unknown parameter|invalid for parameter' |
			grep -cE "netns_max_entries.*\\<$v\\>")" -ge 1
	check "'$p': nothing left behind" eval \
		'! module_loaded && [ ! -e /proc/tw_stats ]'
done

# 2. The limits.  Whatever the initial namespace holds at load is taken
# in and counts against its netns_max_entries: leave room for its 800.
init_tw() {
	awk '$1 == "TCP:" { for (i = 2; i < NF; i++)
		if ($i == "tw") print $(i + 1) }' /proc/net/sockstat
}
wait_until 75 eval '[ "$(init_tw)" -le $((NETNS_MAX - 800)) ]' ||
	die "the initial namespace keeps $(init_tw) TIME_WAITs"
[ "$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" -ge $NETNS_MAX ] ||
	die "the initial namespace's tcp_max_tw_buckets is below $NETNS_MAX"
load_module max_entries=$MAX netns_max_entries=$NETNS_MAX ||
	die "insmod max_entries=$MAX netns_max_entries=$NETNS_MAX failed"
# Namespaces of earlier tests may still be dying: none of theirs counts.
init_inum=$(readlink /proc/self/ns/net | tr -dc 0-9)
check "no other namespace's minisocket is tracked" wait_until 30 eval \
	'[ -z "$(all_view /proc/tw_sockets |
		awk -v i="$init_inum" "NR > 1 && \$1 != i")" ]'

# tenant NAME COUNT CMD...: CMD run by nobody in a user and a network
# namespace of its own, with lo up, room for its TIME_WAITs and no port
# reuse.  Once sockstat shows the COUNT TIME_WAITs it makes, that
# namespace's own view is saved in $dir/NAME.1.* (stats, sockets,
# sockstat, ss), and again in $dir/NAME.2.* once $dir/NAME.again appears;
# the namespace lives until then.  Returns once the first is saved; fails
# if CMD did.  tw_bench makes the TIME_WAITs: it waits for nothing, where
# tw_gen gives its sockets 10 s, which a busy host's emulator outruns.
dir=$(mktemp -d "$TMPDIR/tws-tenant.XXXXXX")
chmod 777 "$dir"
trap 'rm -rf "$dir"; tws_cleanup' EXIT
export -f wait_until
tenant_sh='
	p=$1
	n=$2
	shift 2
	tw() {
		awk "\$1 == \"TCP:\" { for (i = 2; i < NF; i++)
			if (\$i == \"tw\") print \$(i + 1) }" /proc/net/sockstat
	}
	save() {
		cat /proc/tw_stats >"$p.$1.stats" &&
		cat /proc/tw_sockets >"$p.$1.sockets" &&
		cat /proc/net/sockstat >"$p.$1.sockstat" &&
		ss -Htan state time-wait >"$p.$1.ss"
	}
	ip link set lo up
	echo 0 >/proc/sys/net/ipv4/tcp_tw_reuse
	# Raised if a user namespace may; the default is plenty on 1 GB.
	echo 262144 >/proc/sys/net/ipv4/tcp_max_tw_buckets 2>/dev/null
	"$@" >"$p.out" 2>&1
	st=$?
	# The kernel may not make all n (an RST for a pair: once, 1,499 of
	# 1,500 on 6.12): all but 1%, the same in two reads in a row; the
	# checks then hold the module to what the kernel saw.
	hi=0
	last=-1
	seen() {
		t=$(tw)
		[ "$t" -le "$hi" ] || hi=$t
		[ "$t" -ge $((n - n / 100)) ] && [ "$t" == "$last" ]
		r=$?
		last=$t
		return $r
	}
	if [ $st -eq 0 ] && ! wait_until 60 seen; then
		echo "sockstat tw $(tw), not $n, for 60 s (at most $hi);" \
			"tcp_tw_reuse $(cat /proc/sys/net/ipv4/tcp_tw_reuse)," \
			"tcp_max_tw_buckets" \
			"$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets);" \
			"$(grep -o "TCPTimeWaitOverflow" /proc/net/netstat >/dev/null &&
			awk "/^TcpExt:/ { if (!h) { split(\$0, k); h = 1 }
				else for (i = 2; i <= NF; i++)
				if (k[i] == \"TCPTimeWaitOverflow\")
				print \"overflow\", \$i }" /proc/net/netstat)" \
			>>"$p.out"
		st=1
	fi
	if [ $st -eq 0 ] && ! save 1 2>>"$p.out"; then
		echo "could not save its view" >>"$p.out"
		st=1
	fi
	echo $st >"$p.made"
	wait_until 300 test -e "$p.again" && save 2
	echo $? >"$p.done"
'
tenant() {
	local name=$1

	shift
	"${nobody[@]}" unshare -Urn bash -c "$tenant_sh" _ "$dir/$name" "$@" &
	tws_pids+=($!)
	# The debug kernel beside other VMs took minutes over a fill.
	wait_until 600 test -s "$dir/$name.made" &&
		[ "$(cat "$dir/$name.made")" == 0 ] && return
	sed 's/^/# /' "$dir/$name.out" 2>/dev/null
	return 1
}

# again NAME: NAME's view saved a second time.
again() {
	touch "$dir/$1.again"
	wait_until 60 test -s "$dir/$1.done" &&
		[ "$(cat "$dir/$1.done")" == 0 ]
}

kv() {	# kv SAVED KEY: a "name value" line of a saved /proc/tw_stats
	awk -v k="$2" '$1 == k { print $2; exit }' "$1.stats"
}

nrows() {	# nrows SAVED: the rows of a saved /proc/tw_sockets
	awk 'NR > 1' "$1.sockets" | wc -l
}

# identity_of SAVED: entered - ended_* = tw_count = sockstat tw, saved.
identity_of() {
	[ "$(live_by_ends <"$1.stats")" == "$(awk '$1 == "TCP:" {
		for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' \
		"$1.sockstat")" ]
}

# foreign_of SAVED: the rows saved that are none of the TIME_WAITs ss saw.
foreign_of() {
	awk 'FILENAME == ARGV[1] { ss[$(NF - 1) " " $NF]; next }
		FNR > 1 && !(($1 " " $2) in ss) { n++ }
		END { print n + 0 }' "$1.ss" "$1.sockets"
}

# tenant_checks NAME MADE TRACKED: what NAME's own view must say.
tenant_checks() {
	local s=$dir/$1.1 got entered ended

	got=$(awk '$1 == "TCP:" { for (i = 2; i < NF; i++)
		if ($i == "tw") print $(i + 1) }' "$s.sockstat")
	entered=$(kv "$s" entered)
	ended=$(kv "$s" ended)
	[ "$got" == "$2" ] ||
		echo "# tenant $1: the kernel made $got TIME_WAITs of $2"
	check "tenant $1: entered $entered, between the kernel's $got and $2" \
		test "$entered" -ge "$got" -a "$entered" -le "$2"
	check_eq "tenant $1: $((entered - $3)) untracked" $((entered - $3)) \
		"$(kv "$s" untracked)"
	# One that ended early may have been a tracked one.
	if [ "$ended" == 0 ]; then
		check_eq "tenant $1: $3 rows" "$3" "$(nrows "$s")"
	else
		check "tenant $1: $3 rows at most ($ended ended)" \
			test "$(nrows "$s")" -le "$3"
	fi
	check_eq "tenant $1: each row is one of its TIME_WAITs" 0 \
		"$(foreign_of "$s")"
	check "tenant $1: entered - ended_* = tw_count = sockstat tw" \
		identity_of "$s"
}

# The tenants' entries live 60 s from the first: until then nothing of
# theirs has ended, and the limits are full.
t0=$SECONDS
fresh() {
	[ $((SECONDS - t0)) -lt 59 ]
}

# 3. Tenant A: one destination, 1500 client-side TIME_WAITs.
tenant A 1500 "$TW_BENCH" fill -n 1500 -a 127.0.0.1 -p 7000 ||
	die "tenant A: no 1500 TIME_WAITs"
tenant_checks A 1500 $NETNS_MAX

# 4. Tenant B: 1500 server-side TIME_WAITs, each from a peer address of
# its own (so 1000 destinations tracked); with A's, the tenants hold
# max_entries - netns_max_entries.
tenant B 1500 "$TW_BENCH" peers -n 1500 -a 127.0.0.1 -p 7100 \
	-s 127.2.0.1 || die "tenant B: no 1500 TIME_WAITs"
tenant_checks B 1500 $NETNS_MAX

# 5. Tenant C: the tenants' share is full, nothing is tracked.
tenant C 100 "$TW_BENCH" fill -n 100 -a 127.0.0.1 -p 7200 ||
	die "tenant C: no 100 TIME_WAITs"
if fresh; then
	tenant_checks C 100 0
else
	skip "tenant C: too slow, A's first minisockets may have ended"
fi

# 6. The initial namespace itself: 800 new server-side TIME_WAITs on
# addresses of this test's own, each from a peer address of its own.
u0=$(awk '$1 == "untracked" { print $2 }' /proc/tw_stats)
e0=$(awk '$1 == "entered" { print $2 }' /proc/tw_stats)
"$TW_BENCH" peers -n 800 -a 127.77.0.1 -p 7300 -s 127.78.0.1 \
	>/dev/null || die "tw_bench peers failed in the initial namespace"
mine_ss() {
	ss -Htan state time-wait | awk '$(NF - 1) == "127.77.0.1:7300" {
		print $(NF - 1), $NF }'
}
mine_rows() {
	awk 'NR > 1 && $1 == "127.77.0.1:7300" { print $1, $2 }' \
		/proc/tw_sockets
}
check "initial: ss lists its 800" \
	wait_until 60 eval '[ "$(mine_ss | wc -l)" == 800 ]'
fresh && echo "# the tenants' share was full throughout"
check_eq "initial: 800 entered" 800 \
	$(($(awk '$1 == "entered" { print $2 }' /proc/tw_stats) - e0))
check_eq "initial: untracked did not grow" "$u0" \
	"$(awk '$1 == "untracked" { print $2 }' /proc/tw_stats)"
# Nothing of it expires for 60 s: ss and our rows are read at leisure.
check_eq "initial: each of them is listed, and nothing else there" \
	"800 800" "$(awk 'FILENAME == ARGV[1] { r[$0]; n++; next }
		$0 in r { both++ } END { print both + 0, n + 0 }' \
		<(mine_rows) <(mine_ss))"
if fresh; then
	check_eq "all namespaces: the tenants hold $((MAX - NETNS_MAX)) rows" \
		$((MAX - NETNS_MAX)) "$(all_view /proc/tw_sockets |
			awk -v i="$init_inum" 'NR > 1 && $1 != i' | wc -l)"
else
	skip "all namespaces: too slow, A's first minisockets may have ended"
fi

# 7. A's table_memory_bytes, read now in its own view, is its own.  A
# has 1000 entries to one destination: at 64 bytes an entry today (and
# some 200 more for a destination), allow four times that, 256 bytes an
# entry, plus 64 KiB for the namespace's own state and hash tables:
# 321,536 bytes.  The host-wide figure is well above it: B's 1000 entries
# and the initial namespace's 800, each with a destination of its own,
# take some 260 bytes each today, about 470 KB.  (Today's module, which
# ignores netns_max_entries and prints the host-wide figure, shows about
# 500 KB here: A's 1500 and B's 1500.)
again A || die "tenant A: no second view"
check "tenant A: table_memory_bytes is its own (< 1000 * 256 + 64 KiB)" \
	test "$(kv "$dir/A.2" table_memory_bytes)" -lt \
	$((NETNS_MAX * 256 + 65536))
echo "# table_memory_bytes: A $(kv "$dir/A.2" table_memory_bytes)," \
	"initial $(awk '$1 == "table_memory_bytes" { print $2 }' \
		/proc/tw_stats); A still lists $(nrows "$dir/A.2")"

# 8. A tenant's table is its own memory: charged to the memory cgroup of
# whoever made its namespace, so a container's limit covers it.  Tenant
# D, in a cgroup of its own, makes 4,000 TIME_WAITs to one destination:
# 256,000 bytes of entries at 64 bytes each.  Unloading the module frees
# them, and the cgroup's slab goes down by at least 70% of that (its
# statistics lag by a few pages per CPU; forks of the tenant's waiting
# loop add or take a few KB; it lives on until then, so nothing of its
# namespace is freed).  A module that charged nobody shows no drop.
N_D=4000
if [ -e /sys/kernel/debug/kmemleak ]; then
	# On the debug kernel D made its TIME_WAITs (1,500 in 17 s) but
	# never saw them all in its own sockstat; why is not known yet.
	skip "tenant D: not on the debug kernel yet"
	rm -rf "$dir"
	finish
fi
cg=/sys/fs/cgroup
if grep -qw cgroup2 /proc/filesystems &&
	! grep -q " $cg cgroup2 " /proc/mounts; then
	mount -t cgroup2 none "$cg" 2>/dev/null
fi
if ! grep -qw memory "$cg/cgroup.controllers" 2>/dev/null; then
	skip "tenant D: this kernel has no cgroup2 memory controller"
	rm -rf "$dir"
	finish
fi
echo +memory >"$cg/cgroup.subtree_control" ||
	die "cannot enable the memory controller below $cg"
cgd=$cg/tws-tenant-D
mkdir -p "$cgd" || die "cannot make $cgd"
trap 'rm -rf "$dir"; tws_cleanup; rmdir "$cgd" 2>/dev/null' EXIT
slab_of() {
	awk '$1 == "slab_unreclaimable" { print $2 }' "$cgd/memory.stat"
}
unload_module || die "cannot unload before tenant D"
load_module max_entries=$((4 * N_D)) netns_max_entries=$N_D ||
	die "insmod max_entries=$((4 * N_D)) netns_max_entries=$N_D failed"
echo "$BASHPID" >"$cgd/cgroup.procs" ||
	die "cannot move into $cgd"
tenant D $N_D "$TW_BENCH" fill -n $N_D -a 127.0.0.1 -p 7400 ||
	die "tenant D: no $N_D TIME_WAITs"
echo "$BASHPID" >"$cg/cgroup.procs" || die "cannot leave $cgd"
check_eq "tenant D: its $N_D are listed" $N_D "$(nrows "$dir/D.1")"
s1=$(slab_of)
unload_module || die "cannot unload with tenant D's table"
want=$((N_D * 64 * 7 / 10))
check "tenant D: the unload frees >= $want bytes of its cgroup's slab" \
	wait_until 10 eval '[ $((s1 - $(slab_of))) -ge $want ]'
echo "# tenant D's cgroup: slab_unreclaimable $s1 with the table," \
	"$(slab_of) without"
# D lived until now, so that nothing of its namespace was freed.
touch "$dir/D.again"

rm -rf "$dir"
finish
