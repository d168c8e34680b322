#!/bin/sh
# guest.sh - the in-guest driver of the tw_stats test VM (run by init).
#
# "check" runs the test scripts named after it, or else those listed in
# /tws/selftests/TESTS (one per line, in order; blank lines and #-comments
# skipped), through kselftest's
# own runner.sh (/tws/kselftest/runner.sh, from linux-source-6.1), so the
# output is the usual KTAP: "TAP version 13", "1..N", each script's output
# prefixed by "# ", then "ok N selftests: tw_stats: NAME" (or "not ok ...",
# "# SKIP" for exit 4, "# TIMEOUT" after the timeout= of
# /tws/selftests/settings). "demo" runs /tws/selftests/demo.sh. "shell-cmd"
# runs the remaining arguments as a command, for debugging.
#
# Usage: guest.sh check [TEST...] | demo [ARGS...] | shell-cmd CMD [ARGS...]
# Env:   TWS_ROOT (default /tws)
# Exit:  check: 0 if every script passed or skipped, 1 if any failed or
#        did not report, 2 on setup errors; demo, shell-cmd: their status.
#        On failure, check also prints the kernel log since the tests
#        started, as "# dmesg: " lines.

root=${TWS_ROOT:-/tws}
export TWS_ROOT="$root"

usage() {
	echo "usage: guest.sh check [TEST...] | demo [ARGS...] |" \
		"shell-cmd CMD [ARGS...]" >&2
	exit 2
}

# run_script PATH ARGS...: run PATH, with sh if it is not executable.
run_script() {
	if [ -x "$1" ]; then
		"$@"
	else
		sh "$@"
	fi
}

check() {
	sel=$root/selftests
	list=$sel/TESTS
	runner=$root/kselftest/runner.sh
	for f in "$list" "$runner"; do
		if [ ! -r "$f" ]; then
			echo "guest.sh: missing $f" >&2
			return 2
		fi
	done
	if [ $# -gt 0 ]; then
		tests=$(printf '%s\n' "$@")
	else
		tests=$(sed -e 's/#.*//' -e 's/^[[:space:]]*//' \
			-e 's/[[:space:]]*$//' -e '/^$/d' "$list")
	fi
	if [ -z "$tests" ]; then
		echo "guest.sh: no tests listed in $list" >&2
		return 2
	fi

	# runner.sh names the collection after the directory relative to
	# BASE_DIR: lay out BASE_DIR/tw_stats -> /tws/selftests so that the
	# results read "selftests: tw_stats: NAME". It pipes the tests'
	# output through BASE_DIR/kselftest/prefix.pl when there is a
	# /usr/bin/perl: provide one if only runner.sh was staged.
	base=/tmp/kselftest
	rm -rf "$base"
	mkdir -p "$base/kselftest" || return 2
	for f in "$root"/kselftest/*; do
		ln -s "$f" "$base/kselftest/"
	done
	ln -s "$sel" "$base/tw_stats"
	if [ ! -e "$base/kselftest/prefix.pl" ]; then
		cat >"$base/kselftest/prefix.pl" <<'EOF'
#!/usr/bin/perl
# Prefix all lines with "# ", unbuffered, as kselftest's prefix.pl does.
$| = 1;
my $new = 1;
while (sysread(STDIN, my $c, 1)) {
	print "# " if $new;
	print $c;
	$new = $c eq "\n";
}
EOF
		chmod 755 "$base/kselftest/prefix.pl"
	fi
	BASE_DIR=$base
	export BASE_DIR
	# shellcheck disable=SC1090
	. "$runner"
	cd "$base/tw_stats" || return 2

	ktap=/tmp/tws-ktap.txt
	mark="tws: running tw_stats selftests"
	[ -w /dev/kmsg ] && echo "$mark" >/dev/kmsg
	# A debug kernel with kmemleak: only what the tests leak counts.
	leaks=/sys/kernel/debug/kmemleak
	[ -w "$leaks" ] && echo clear >"$leaks"
	# shellcheck disable=SC2086	# one word per test
	run_many $tests 2>&1 | tee "$ktap"
	cd /

	n=$(echo "$tests" | wc -l)
	if [ -w "$leaks" ]; then
		n=$((n + 1))
		# Twice: an object is reported once two scans agree.
		echo scan >"$leaks"
		echo scan >"$leaks"
		found=$(cat "$leaks")	# debugfs files have no size
		if [ -n "$found" ]; then
			echo "$found" | sed 's/^/# kmemleak: /' | head -n 100
			echo "not ok $n selftests: tw_stats: kmemleak scan" |
				tee -a "$ktap"
		else
			echo "ok $n selftests: tw_stats: kmemleak scan" |
				tee -a "$ktap"
		fi
	fi
	done_n=$(grep -Ec '^(not )?ok [0-9]+' "$ktap")
	if [ "$done_n" -ne "$n" ] || grep -q '^not ok ' "$ktap"; then
		# The kernel's messages since the tests started.
		echo "# dmesg:"
		dmesg | sed -n "/$mark/,\$p" | tail -n 300 |
			sed 's/^/# dmesg: /'
		return 1
	fi
	return 0
}

[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
check)
	check "$@" ;;
demo)
	run_script "$root/selftests/demo.sh" "$@" ;;
shell-cmd)
	[ $# -ge 1 ] || usage
	"$@" ;;
*)
	usage ;;
esac
