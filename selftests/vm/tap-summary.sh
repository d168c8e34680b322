#!/bin/sh
# tap-summary.sh - one "N passed, N failed[, N skipped]" line for a
# kselftest run, so CI and people see per-subtest totals, not per-script.
#
# Reads the KTAP of kselftest's runner.sh on stdin (other console lines are
# ignored). A test script's own results appear prefixed by "# " ("# ok 3
# x", "# not ok 4 y", "# ok 5 z # SKIP why"); they are what is counted. A
# script that printed none counts as its top-level "ok N selftests: ..." /
# "not ok N ..." line. A top-level "not ok" of a script none of whose
# subtests failed (it exited non-zero, or timed out) is one more failure,
# and so is each test the "1..N" plan announced that never reported (the
# VM died). "ok ... # SKIP" (any case) counts as skipped.
#
# Usage: tap-summary.sh [-e] < ktap.txt
#   -e  also copy the input to stdout, line by line, before the summary
# Exit: 0 if nothing failed and at least one test passed, else 1 (2: usage)
set -eu

echo_input=0
case ${1-} in
-e) echo_input=1 ;;
'') ;;
*)
	echo "usage: tap-summary.sh [-e] < ktap.txt" >&2
	exit 2 ;;
esac

# mawk (Debian's awk) reads its input in blocks unless told otherwise.
interactive=""
if [ "$echo_input" = 1 ] && awk -W version 2>&1 | grep -q mawk; then
	interactive="-W interactive"
fi

# shellcheck disable=SC2086	# $interactive: zero or two words
exec awk $interactive -v echo_input="$echo_input" '
function kind(s) {	# s: a result line without prefix; p, f or s
	if (tolower(s) ~ /^(not )?ok [0-9]+[^#]*# *skip/)
		return "s"
	return (s ~ /^not /) ? "f" : "p"
}
function add(k) {
	if (k == "p") passed++
	else if (k == "f") failed++
	else skipped++
}
{
	gsub(/\r/, "")
	if (echo_input) {
		print
		fflush()
	}
}
/^# (not )?ok [0-9]+([ \t]|$)/ {
	k = kind(substr($0, 3))
	add(k)
	sub_n++
	if (k == "f") sub_failed++
	next
}
/^(not )?ok [0-9]+([ \t]|$)/ {
	k = kind($0)
	if (sub_n == 0)
		add(k)
	else if (k == "f" && sub_failed == 0)
		failed++
	results++
	sub_n = 0
	sub_failed = 0
	next
}
/^1\.\.[0-9]+/ {
	plan += substr($0, 4) + 0
}
END {
	if (results < plan) {
		printf "tap-summary: %d of %d tests never reported\n",
			plan - results, plan > "/dev/stderr"
		failed += plan - results
	}
	line = sprintf("%d passed, %d failed", passed, failed)
	if (skipped > 0)
		line = line sprintf(", %d skipped", skipped)
	print line
	exit (failed == 0 && passed > 0) ? 0 : 1
}'
