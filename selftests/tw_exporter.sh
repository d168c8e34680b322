#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The metrics as Prometheus gets them: twstat-textfile (what the
# twstat-textfile service runs) writes `twstat --prometheus --all-netns`
# into a directory that Debian's own prometheus-node-exporter reads with
# its textfile collector, and what its /metrics serves is compared with
# /proc/tw_stats.  node_exporter scrapes while the file is rewritten and
# connections churn: no scrape may see half a file.  Without the module,
# the file says twstat_up 0 and nothing else.  Every metric that the
# alerting rules and the Grafana dashboard of contrib/ name must be in
# that /metrics.
#
# Needs prometheus-node-exporter beside this script (run.sh puts Debian's
# there for the kernels that run this test) or in TWS_NODE_EXPORTER.

source "$(dirname "$0")/lib.sh"
stress_setup

NODE_EXPORTER=${TWS_NODE_EXPORTER:-$TWS_SELF/prometheus-node-exporter}
TEXTFILE=${TWS_TEXTFILE:-$TWS_SELF/twstat-textfile}
TWSTAT=${TWSTAT:-$TWS_SELF/twstat}
SCRAPES=${TWS_EXPORTER_SCRAPES:-40}
if [ ! -x "$NODE_EXPORTER" ] || [ ! -x "$TEXTFILE" ]; then
	echo "# no prometheus-node-exporter or twstat-textfile here"
	exit $ksft_skip
fi
dir="$TMPDIR/tws-textfile.$$"
metrics="$TMPDIR/tws-metrics.$$"
stop="$TMPDIR/tws-exporter-stop.$$"
rm -rf "$dir" "$stop"
mkdir -p "$dir"

writer() {	# writer [DIR]: one run of the service's program
	TWSTAT="$TWSTAT" TWSTAT_TEXTFILE_DIR="${1:-$dir}" "$TEXTFILE"
}

scrape() {	# scrape: /metrics into $metrics
	wget -q -O "$metrics" http://127.0.0.1:9100/metrics 2>/dev/null
}

# sample NAME [LABEL=VALUE...]: the value of the one series of NAME in
# $metrics that has these labels, whatever their order.
sample() {
	local name=$1

	shift
	awk -v name="$name" -v want="$*" '
	index($0, name "{") == 1 || $1 == name {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) {
			split(w[i], kv, "=")
			if (index($0, kv[1] "=\"" kv[2] "\"") == 0)
				next
		}
		print $NF
		exit
	}' "$metrics"
}

# norm: our samples (twstat_*), one a line, labels sorted by name.
norm() {
	awk '/^twstat_/ {
		i = index($0, "{")
		if (!i) { print; next }
		j = index($0, "} ")
		name = substr($0, 1, i - 1)
		n = split(substr($0, i + 1, j - i - 2), l, "\",")
		for (a = 2; a <= n; a++) {
			x = l[a]
			for (b = a - 1; b >= 1 && l[b] > x; b--)
				l[b + 1] = l[b]
			l[b + 1] = x
		}
		s = ""
		for (a = 1; a <= n; a++)
			s = s (a > 1 ? "\"," : "") l[a]
		print name "{" s "\"} " substr($0, j + 2)
	}' "$@" | sort
}

# 1. What the service's program says when it cannot do its job.
unload_module
out=$(writer /nonexistent 2>&1)
check "no directory: twstat-textfile fails" [ $? -ne 0 ]
check "and names it" grep -q /nonexistent <<<"$out"
check "no module: twstat-textfile fails" eval '! writer 2>/dev/null'
check_eq "and its file says twstat_up 0, and nothing else" "twstat_up 0" \
	"$(grep -v '^#' "$dir/tw_stats.prom")"

# 2. A namespace whose destination has all its ports held.
load_module || die "insmod failed"
new_ns ns "40000 40009"
listen "$ns" 7000
in_ns "$ns" "$TW_GEN" pairs --no-listen -n 10 -p 7000 >/dev/null ||
	die "tw_gen"
wait_until 5 counts_settled "$ns" 10 || die "10 TIME_WAITs"
check "twstat-textfile writes the file" writer
"$NODE_EXPORTER" --web.listen-address=127.0.0.1:9100 \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$dir" >"$TMPDIR/tws-ne.$$" 2>&1 &
tws_pids+=($!)
wait_until 30 scrape || {
	sed 's/^/# node_exporter: /' "$TMPDIR/tws-ne.$$"
	die "node_exporter does not serve /metrics"
}
echo "# five lines of /metrics:"
grep -m 5 '^twstat_.*netns="'"$(inum "$ns")"'"' "$metrics" | sed 's/^/#   /'
# The rules and the dashboard (contrib/) name only metrics that exist.
names=$(cat "$TWS_SELF"/contrib/* "$TWS_SELF"/../contrib/*/* 2>/dev/null |
	grep -oE '(twstat|node_textfile)_[a-z0-9_]+' | sort -u)
check "the alerting rules and the dashboard are here" [ -n "$names" ]
check_eq "every metric they name is in /metrics" "" \
	"$(for m in $names; do grep -qE "^$m[{ ]" "$metrics" || echo "$m"; done)"
check_eq "node_exporter read the file without error" 0 \
	"$(sample node_textfile_scrape_error)"
check_eq "twstat_up 1" 1 "$(sample twstat_up)"
check_eq "/metrics serves every sample of the file, unchanged" \
	"$(norm "$dir/tw_stats.prom")" "$(norm "$metrics")"
n=$(inum "$ns")
for pair in tw_count:twstat_time_wait_sockets \
	entered:twstat_entered_total ports_usable:twstat_ports_usable \
	connect_failed:twstat_connect_failed_total \
	held_max_pressure:twstat_destination_held_ratio; do
	key=${pair%%:*}
	want=$(field "$ns" "$key")
	# Ratios are fractions in Prometheus, percents in /proc.
	[ "$key" != held_max_pressure ] ||
		want=$(awk -v p="$want" 'BEGIN { print p / 100 }')
	check_eq "${pair#*:} is /proc/tw_stats's $key" "$want" \
		"$(sample "${pair#*:}" netns="$n")"
done
check_eq "the destination's held ports are its held column" \
	"$(in_ns "$ns" awk '/^local / { for (i = 1; i <= NF; i++) c[$i] = i
		t = 1; next } t && !NF { exit }
		t && $2 == "127.0.0.1:7000" { print $c["held"]; exit }' \
		/proc/tw_stats)" \
	"$(sample twstat_destination_held_ports netns="$n" \
		remote=127.0.0.1:7000)"

# 3. Scrapes while the file is rewritten and connections churn.
new_ns busy
in_ns "$busy" "$TW_BENCH" churn -n 1000000 -c client -a 127.0.0.1 \
	-p 6000 -j "$ncpu" >/dev/null 2>&1 &
tws_pids+=($!)
(until [ -e "$stop" ]; do writer || exit 1; done) &
wpid=$!
tws_pids+=($wpid)
want=$(grep -c '^twstat_time_wait_sockets{' "$metrics")
bad=0
for i in $(seq "$SCRAPES"); do
	if ! scrape || [ "$(sample node_textfile_scrape_error)" != 0 ] ||
		[ "$(sample twstat_up)" != 1 ] ||
		[ "$(grep -c '^twstat_time_wait_sockets{' "$metrics")" -lt \
			"$want" ]; then
		bad=$((bad + 1))
	fi
done
touch "$stop"
check "the writer kept writing beside the scrapes" wait "$wpid"
check_eq "$SCRAPES scrapes beside it, each whole and error-free" 0 "$bad"

# 4. The module gone: the next run says so.
killall tw_bench 2>/dev/null
wait_until 10 eval '! pidof tw_bench >/dev/null'
check "rmmod" unload_module
writer 2>/dev/null
scrape
check_eq "after rmmod, /metrics says twstat_up 0" 0 "$(sample twstat_up)"
check_eq "and serves none of the module's numbers" 0 \
	"$(grep -c '^twstat_time_wait_sockets' "$metrics")"
rm -rf "$dir" "$metrics" "$stop" "$TMPDIR/tws-ne.$$"

finish
