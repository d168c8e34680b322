#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the tests of twstat and prints TAP: one "ok N - ..." or
# "not ok N - ..." line per test, then "N passed, N failed".  Exits 1 if
# any failed.  A test program that dies without saying "not ok" (a
# sanitizer report, a crash) counts as one failure.
#
# Usage: tests/run.sh BUILD_DIR    (make test runs it)
set -u
cd "$(dirname "$0")/.." || exit 1
B=${1:-build}

n=0
pass=0
fail=0

run() {
	local name=$1 out rc line before=$fail
	shift
	out=$("$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok - "*)
			n=$((n + 1)); pass=$((pass + 1))
			echo "ok $n - ${line#ok - }" ;;
		"not ok - "*)
			n=$((n + 1)); fail=$((fail + 1))
			echo "not ok $n - ${line#not ok - }" ;;
		"") ;;
		"#"*)
			echo "$line" ;;
		*)
			echo "# $line" ;;
		esac
	done <<<"$out"
	if [ "$rc" -ne 0 ] && [ "$fail" -eq "$before" ]; then
		n=$((n + 1)); fail=$((fail + 1))
		echo "not ok $n - $name exited with status $rc"
	fi
}

echo "TAP version 13"
run "parser tests" "$B/test_parse" tests/fixtures parse
run "parser tests (ASan+UBSan)" "$B/test_parse-asan" tests/fixtures asan
run "CLI tests (ASan+UBSan)" tests/cli.sh "$B/twstat-asan"
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
