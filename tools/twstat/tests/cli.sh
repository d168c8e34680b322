#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the twstat command on the fixtures, without the module: every
# view in text, JSON and Prometheus against tests/expected/, the filters,
# watch mode on a directory whose files change between samples, and
# every error path with its exit status.  Prints "ok - ..." lines for
# tests/run.sh.
#
# Usage: tests/cli.sh TWSTAT           run the tests
#        tests/cli.sh TWSTAT golden    rewrite tests/expected/
set -u
cd "$(dirname "$0")/.." || exit 1
T=$1
MODE=${2:-test}
F=tests/fixtures
E=tests/expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
have_python=0
python3 -c 'import json' 2>/dev/null && have_python=1

check() {
	if [ "$1" -eq 0 ]; then
		echo "ok - cli: $2"
	else
		echo "not ok - cli: $2"
	fi
}

skip() {
	echo "ok - cli: $1 # SKIP $2"
}

tw() {
	"$T" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# The case: what failed and why, as TAP comments.
show() {
	sed 's/^/# stdout: /' "$tmp/out" | head -20
	sed 's/^/# stderr: /' "$tmp/err" | head -20
}

json_ok() {
	python3 -m json.tool "$1" >/dev/null 2>&1
}

# --- golden outputs -----------------------------------------------------

cases() {
	local d
	for d in 6.1 6.14 all all2 held; do
		echo "$d summary.txt"
		echo "$d summary.json -j"
		echo "$d top.txt top"
		echo "$d top.json -j top"
		echo "$d sockets.txt sockets"
		echo "$d sockets.json -j sockets"
		echo "$d advise.txt advise"
		echo "$d advise.json -j advise"
		echo "$d prom --prometheus"
	done
	echo "6.1 top-n3.txt top -n 3"
	echo "6.1 top-n50.txt top -n 50"
	echo "6.1 advise-t60.txt advise --threshold 60"
	echo "6.1 sockets-rport.txt sockets --rport 5000 --sort left"
	echo "6.14 sockets-fw2.txt sockets --state fin-wait-2"
	echo "6.14 sockets-raddr.json -j sockets --raddr ::1 --sort age"
	echo "all2 sockets-role.txt sockets --role client"
	echo "all2 advise-t0.txt advise --threshold 0"
}

golden() {
	local d name args
	mkdir -p "$E"
	while read -r d name args; do
		# shellcheck disable=SC2086
		"$T" --proc-dir "$F/$d" $args >"$E/$d.$name" || exit 1
	done < <(cases)
	echo "wrote $(cases | wc -l) files to $E"
	exit 0
}

test_golden() {
	local d name args
	while read -r d name args; do
		# shellcheck disable=SC2086
		tw --proc-dir "$F/$d" $args
		if [ "$rc" -ne 0 ] || ! cmp -s "$tmp/out" "$E/$d.$name"; then
			check 1 "twstat $args on $d matches $E/$d.$name"
			show
			diff "$E/$d.$name" "$tmp/out" | head -20 | sed 's/^/# /'
			continue
		fi
		check 0 "twstat $args on $d matches $E/$d.$name"
		case $name in
		*.json)
			if [ "$have_python" = 1 ]; then
				json_ok "$tmp/out"
				check $? "twstat $args on $d is valid JSON"
			fi ;;
		esac
	done < <(cases)
}

# --- formats ------------------------------------------------------------

# Every line a comment or a sample; families once, before their samples.
prom_ok() {
	awk '
	/^# HELP twstat_[a-z0-9_]+ ./ { next }
	/^# TYPE twstat_[a-z0-9_]+ (gauge|counter)$/ {
		if ($3 in seen) exit 1
		seen[$3] = 1; fam = $3; next
	}
	/^twstat_[a-z0-9_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$/ {
		name = $1; sub(/\{.*/, "", name)
		if (name != fam) exit 1
		n++; next
	}
	{ exit 1 }
	END { exit n ? 0 : 1 }' "$1"
}

# PROMTOOL (Prometheus's own linter, run.sh fetches Debian's) judges
# the same outputs when it is set.
test_prometheus() {
	local d
	for d in 6.1 6.14 all2 held; do
		tw --proc-dir "$F/$d" --prometheus
		prom_ok "$tmp/out"
		check $? "--prometheus on $d is the text exposition format"
		[ -n "${PROMTOOL:-}" ] || continue
		"$PROMTOOL" check metrics <"$tmp/out" >"$tmp/promtool" 2>&1
		check $? "promtool check metrics accepts --prometheus on $d"
		sed 's/^/# promtool: /' "$tmp/promtool"
	done
	grep -q '^twstat_ended_total{netns="departed",cause="purge"} 20$' \
		"$E/all2.prom"
	check $? "--prometheus labels blocks by netns, the departed one too"
}

# --- filters and options ------------------------------------------------

rows() {
	tail -n +2 "$tmp/out" | grep -c .
}

test_filters() {
	tw --proc-dir "$F/6.1" sockets --rport 5000
	check $(($(rows) != 29)) "sockets --rport 5000: 29 rows"
	tw --proc-dir "$F/6.1" sockets --role server
	check $(($(rows) != 4)) "sockets --role server: 4 rows"
	tw --proc-dir "$F/6.1" sockets --lport 5002 --raddr 127.0.0.1
	check $(($(rows) != 4)) "sockets --lport 5002 --raddr 127.0.0.1: 4 rows"
	tw --proc-dir "$F/6.14" sockets --raddr '[::1]' --state time-wait
	check $(($(rows) != 30)) "sockets --raddr [::1] --state time-wait: 30 rows"
	# The first spelling, fin-wait2, is still taken.
	tw --proc-dir "$F/6.14" sockets --state fin-wait2 --role client
	check $(($(rows) != 0)) "sockets with no match: the header alone"
	tw --proc-dir "$F/6.1" sockets --sort age
	tail -n +2 "$tmp/out" | awk 'NR > 1 && $4 > last { exit 1 } { last = $4 }'
	check $? "sockets --sort age: oldest first"
	tw --proc-dir "$F/6.1" sockets --sort left
	tail -n +2 "$tmp/out" | awk 'NR > 1 && $6 < last { exit 1 } { last = $6 }'
	check $? "sockets --sort left: least time left first"
	tw --proc-dir "$F/6.1" top -n 3
	check $(($(rows) != 3)) "top -n 3: 3 destinations"
	tw --proc-dir "$F/6.1" top -n 50
	check $(($(rows) != 7)) "top -n 50: the 7 the file has"
	tw --version
	[ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = "twstat 0.1" ]
	check $? "--version prints 'twstat 0.1'"
	tw --help
	[ "$rc" = 0 ] && grep -q '^Usage: twstat' "$tmp/out" &&
		grep -q '^Examples:' "$tmp/out"
	check $? "--help: usage and examples on stdout"
}

# Tables that pipe: a header has as many fields as each row, -H drops it,
# -o picks columns by their header names; what cannot apply is refused.
test_tables() {
	local d v
	for d in 6.1 all2 held; do
		for v in top sockets; do
			tw --proc-dir "$F/$d" $v
			awk 'NR == 1 { n = NF } NF != n { exit 1 }' "$tmp/out"
			check $? "$v on $d: header and rows have as many fields"
		done
	done
	# No usable port: every cell still a token, the bar '-'.
	mkdir -p "$tmp/zero"
	cp "$F/held/tw_sockets" "$tmp/zero/"
	awk '/^ports_usable/ { $2 = 0 } /^held_max_pressure/ { $2 = "-" }
	/^local / { d = 1; print; next } d && !NF { d = 0 }
	d { $5 = 0; $6 = "-"; $8 = "-" } { print }' "$F/held/tw_stats" \
		>"$tmp/zero/tw_stats"
	tw --proc-dir "$tmp/zero" top
	[ "$rc" = 0 ] && awk 'NR == 1 { n = NF } NF != n || (NR > 1 &&
		$NF != "-") { exit 1 }' "$tmp/out"
	check $? "top with no usable port: as many fields, the bar '-'"
	tw --proc-dir "$F/6.1" top -o tw,
	check $(($rc != 2)) "-o tw, (an empty name): refused (exit 2)"
	tw --proc-dir "$F/6.1" -H sockets --rport 5000
	[ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 29 ] &&
		! grep -q '^local' "$tmp/out"
	check $? "sockets -H: the 29 rows, no header"
	tw --proc-dir "$F/held" top -o remote,held_pressure_pct,failed
	[ "$rc" = 0 ] && [ "$(head -1 "$tmp/out" | tr -s ' ')" = \
		"remote held_pressure_pct failed" ] &&
		grep -Eq '^127\.0\.0\.1:5000 +100\.0 +41$' "$tmp/out"
	check $? "top -o remote,held_pressure_pct,failed: those, in that order"
	tw --proc-dir "$F/6.1" top -o remote,held
	[ "$rc" = 0 ] && grep -Eq '^127\.0\.0\.1:5000 +-$' "$tmp/out"
	check $? "top -o held on a module without it: '-'"
	tw --proc-dir "$F/6.1" -H -o state,age_ms sockets --sort age
	[ "$rc" = 0 ] && awk 'NF != 2 || $1 !~ /^(TIME-WAIT|FIN-WAIT-2)$/ ||
		(NR > 1 && $2 > last) { exit 1 } { last = $2 }' "$tmp/out"
	check $? "sockets -H -o state,age_ms: ss's state names, ages in ms"
	tw --proc-dir "$F/6.1" sockets -o local,age
	[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] &&
		grep -q "unknown field 'age'.*age_ms" "$tmp/err"
	check $? "-o with an unknown field: exit 2, the known ones listed"
	tw --proc-dir "$F/6.1" -j top -o remote
	check $(($rc != 2)) "-o with -j: refused (exit 2)"
	tw --proc-dir "$F/6.1" -H
	check $(($rc != 2)) "-H with the summary: refused (exit 2)"
}

# A newer module's in_range is taken as it is, not recomputed from the
# rounded pressure (12.3% of 28,232 would give 3,473); a column to its
# right that this twstat does not know is passed over.
test_in_range() {
	local d=$tmp/in_range
	mkdir -p "$d"
	cp "$F/held/tw_sockets" "$d/"
	awk '/^ports_usable/ { $2 = 28232 }
	/^local / { dests = 1; print $0 " newcol"; next }
	dests && NF == 0 { dests = 0 }
	dests && $2 == "127.0.0.1:5000" { $5 = 28232; $6 = "12.3%"; $10 = 3471 }
	dests { print $0 " x"; next }
	{ print }' "$F/held/tw_stats" >"$d/tw_stats"
	tw --proc-dir "$d" -j top
	if [ "$have_python" = 1 ]; then
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["destinations"]
assert [x["in_range"] for x in d] == [3471, 6, 0], d
' "$tmp/out"
		check $? "top: in_range is the module's column"
	else
		skip "top: in_range is the module's column" "no python3"
	fi
	tw --proc-dir "$d" top
	[ "$rc" = 0 ] && grep -q '127.0.0.1:5000 .* 3471 ' "$tmp/out" &&
		[ ! -s "$tmp/err" ]
	check $? "top text: the module's in_range, an unknown column ignored"
	tw --proc-dir "$d" -v top
	[ "$rc" = 0 ] && [ "$(grep -c "destination column 'newcol': unknown" \
		"$tmp/err")" = 1 ]
	check $? "top -v: the unknown column named, once"
	tw --proc-dir "$F/6.1" -v sockets
	[ "$rc" = 0 ] && grep -q "absent destination column 'held'" \
		"$tmp/err" && grep -q "absent key 'ports_usable'" "$tmp/err"
	check $? "-v on an older module's files: what they lack, named"
}

test_all_netns() {
	local before after
	before=$(md5sum "$F"/all/*)
	tw --proc-dir "$F/all" --all-netns top
	after=$(md5sum "$F"/all/*)
	[ "$rc" = 0 ] && cmp -s "$tmp/out" "$E/all.top.txt" &&
		[ "$before" = "$after" ]
	check $? "--all-netns on a fixture reads it and never writes it"
	tw --proc-dir "$F/all" --all-netns
	grep -q '^netns 4026531840$' "$tmp/out" &&
		grep -q '^netns departed$' "$tmp/out"
	check $? "--all-netns: one summary per namespace and the departed"
}

# --- errors -------------------------------------------------------------

# want_rc stderr_pattern description -- twstat arguments
expect_fail() {
	local want=$1 pat=$2 desc=$3
	shift 4
	tw "$@"
	if [ "$rc" = "$want" ] && [ ! -s "$tmp/out" ] &&
	   grep -q -- "$pat" "$tmp/err"; then
		check 0 "$desc (exit $want)"
	else
		check 1 "$desc (exit $want, got $rc)"
		show
	fi
}

test_usage() {
	local u='Usage: twstat'
	expect_fail 2 "$u" "unknown view" -- bogus
	expect_fail 2 "$u" "unknown option" -- --bogus
	expect_fail 2 "$u" "-n without a value" -- top -n
	expect_fail 2 "$u" "-n with sockets" -- sockets -n 3
	expect_fail 2 "$u" "--threshold with the summary" -- --threshold 50
	expect_fail 2 "$u" "a socket filter with top" -- top --rport 80
	expect_fail 2 "$u" "interval 0" -- 0
	expect_fail 2 "$u" "count 0" -- 1 0
	expect_fail 2 "$u" "a third number" -- top 1 2 3
	expect_fail 2 "$u" "-j and --prometheus" -- -j --prometheus
	expect_fail 2 "$u" "--prometheus with an interval" -- --prometheus 1
	expect_fail 2 "$u" "--prometheus with advise" -- --prometheus advise
	expect_fail 2 "$u" "--raddr that is no address" -- sockets --raddr 1.2.3
	expect_fail 2 "one of: time-wait, fin-wait-2" \
		"--state unknown: the accepted values listed" -- \
		sockets --state closed
	expect_fail 2 "$u" "-n with --prometheus, which it does not change" \
		-- --prometheus top -n 3
	expect_fail 2 "$u" "--rport out of range" -- sockets --rport 65536
	expect_fail 2 "$u" "--threshold not a number" -- advise --threshold x
}

test_errors() {
	local d b
	if [ ! -e /proc/tw_stats ]; then
		expect_fail 1 "modprobe tw_stats" \
			"module not loaded: says how to load it" --
	else
		skip "module not loaded" "the module is loaded here"
	fi
	expect_fail 1 "$tmp/none/tw_stats: No such file" \
		"--proc-dir without tw_stats" -- --proc-dir "$tmp/none"
	d=$tmp/nosockets
	mkdir -p "$d" && cp "$F/6.1/tw_stats" "$d/"
	expect_fail 1 "$d/tw_sockets: No such file" \
		"tw_sockets missing for sockets" -- --proc-dir "$d" sockets
	tw --proc-dir "$d" top
	check "$rc" "top does not need tw_sockets"
	d=$tmp/dir
	mkdir -p "$d/tw_stats"
	expect_fail 1 "tw_stats:1: read error" "an unreadable tw_stats" \
		-- --proc-dir "$d"
	for b in "$F"/bad/stats-*; do
		d=$tmp/${b##*/}
		mkdir -p "$d" && cp "$b" "$d/tw_stats" &&
			cp "$F/6.1/tw_sockets" "$d/"
		expect_fail 1 "^twstat: $d/tw_stats:[0-9]*: " \
			"malformed ${b##*/}: file and line, nothing on stdout" \
			-- --proc-dir "$d" advise
	done
	for b in "$F"/bad/sockets-*; do
		d=$tmp/${b##*/}
		mkdir -p "$d" && cp "$b" "$d/tw_sockets" &&
			cp "$F/6.1/tw_stats" "$d/"
		expect_fail 1 "^twstat: $d/tw_sockets:[0-9]*: " \
			"malformed ${b##*/}: file and line, nothing on stdout" \
			-- --proc-dir "$d" -j sockets
	done
	d=$tmp/noportlow
	mkdir -p "$d" && cp "$F/6.1/tw_sockets" "$d/" &&
		grep -v '^port_low ' "$F/6.1/tw_stats" >"$d/tw_stats"
	expect_fail 1 "tw_stats:1: this block has no 'port_low'" \
		"a key the summary needs is missing" -- --proc-dir "$d"
	tw --proc-dir "$d" sockets
	check "$rc" "a key the sockets view does not need may be missing"
	if [ -e /dev/full ]; then
		"$T" --proc-dir "$F/6.1" >/dev/full 2>"$tmp/err"
		[ $? = 1 ] && grep -q 'write error' "$tmp/err"
		check $? "a failed write to stdout is an error (exit 1)"
	fi
}

# --- watch mode ---------------------------------------------------------

# DIR ENTERED ENDED DEST_TW: counters and 127.0.0.1:5000 grow, atomically.
bump() {
	awk -v de="$2" -v dt="$3" -v dd="$4" '
	$1 == "entered" { printf "%-22s %d\n", $1, $2 + de; next }
	$1 == "ended" || $1 == "ended_timer" {
		printf "%-22s %d\n", $1, $2 + dt; next
	}
	$1 == "tw_count" { printf "%-22s %d\n", $1, $2 + de - dt; next }
	$1 == "127.0.0.1" && $2 == "127.0.0.1:5000" {
		tw = $3 + dd
		printf "%-39s %-47s %8d %8d %8d %5.1f%%\n", $1, $2, tw, tw, \
			$5, 100 * tw / $5
		next
	}
	{ print }' "$1/tw_stats" >"$1/tw_stats.new" &&
		mv "$1/tw_stats.new" "$1/tw_stats"
}

# Samples at 0 (kept back), 1 and 2 s; the files change at 0.5 and 1.5 s.
watch() {
	local w=$tmp/watch pid
	rm -rf "$w" && mkdir -p "$w" && cp "$F"/6.1/tw_* "$w/"
	"$T" --proc-dir "$w" "$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 0.5
	bump "$w" 10 4 5
	sleep 1
	bump "$w" 20 8 5
	wait "$pid"
	rc=$?
}

test_watch() {
	local w=$tmp/watch pid
	watch -j top 1 3
	[ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 3 ]
	check $? "-j top 1 3: three JSON lines"
	if [ "$have_python" = 1 ]; then
		python3 - "$tmp/out" <<-'EOF'
		import json, sys
		docs = [json.loads(l) for l in open(sys.argv[1])]
		# The first at once, with its time and no rates.
		assert "rates" not in docs[0] and "interval_s" not in docs[0]
		assert "growth_per_s" not in docs[0]["destinations"][0]
		for doc, entered in zip(docs[1:], (10, 20)):
		    r = doc["rates"][0]["rates"]
		    assert abs(r["entered_per_s"] - entered) < entered * 0.25, r
		    d = doc["destinations"][0]
		    assert d["remote"] == "127.0.0.1:5000", d
		    assert 3.5 < d["growth_per_s"] < 6.5, d
		    left = 50 - d["in_range"]
		    assert abs(d["seconds_to_full"] - left / 5) < 1.5, d
		# Each line its own time, to the microsecond: 1 s apart.
		t = [d["timestamp"] for d in docs]
		assert 0.5 < t[1] - t[0] < 1.5 and 0.5 < t[2] - t[1] < 1.5, t
		assert 0.5 < docs[1]["interval_s"] < 1.5, docs[1]
		EOF
		check $? "watch: rates, growth and time to full from the deltas"
	else
		skip "watch: rates from the deltas" "no python3"
	fi
	watch top 1 2
	[ "$rc" = 0 ] && [ "$(grep -c '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$' \
		"$tmp/out")" = 2 ] &&
		grep -q 'growth_per_s  seconds_to_full' "$tmp/out" &&
		grep -q '^rates  *entered [0-9.]*/s, ended [0-9.]*/s: timer' \
			"$tmp/out" &&
		grep -q '127.0.0.1:5000 .* +[3-6]\.[0-9]  *[0-9.]*  *\[' \
			"$tmp/out"
	res=$?
	check $res "top 1 2: timestamps, rates, growth and time to full"
	[ $res = 0 ] || show
	watch 1 3
	[ "$rc" = 0 ] && [ "$(grep -c '^rates ' "$tmp/out")" = 2 ] &&
		[ "$(grep -c '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]$' \
			"$tmp/out")" = 3 ]
	check $? "summary 1 3: three samples, a rates line from the second"
	for v in sockets advise; do
		tw --proc-dir "$F/6.1" -j $v 0.2 2
		[ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 2 ]
		check $? "-j $v 0.2 2: two JSON lines"
		if [ "$have_python" = 1 ]; then
			while read -r line; do
				echo "$line" | python3 -m json.tool >/dev/null ||
					exit 1
			done <"$tmp/out"
			check $? "-j $v 0.2 2: each line is JSON"
		fi
	done
	# The third sample meets a cut file: the first two stay, nothing
	# after.
	rm -rf "$w" && mkdir -p "$w" && cp "$F"/6.1/tw_* "$w/"
	"$T" --proc-dir "$w" -j 1 3 >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 1.5
	head -10 "$F/6.1/tw_stats" >"$w/new" && mv "$w/new" "$w/tw_stats"
	wait "$pid"
	rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <"$tmp/out")" = 2 ] &&
		grep -q "tw_stats:11: unexpected end of file" "$tmp/err"
	check $? "watch: a file cut between samples stops it (exit 1)"
}

[ "$MODE" = golden ] && golden
test_golden
test_prometheus
test_filters
test_tables
test_in_range
test_all_netns
test_usage
test_errors
test_watch
exit 0
