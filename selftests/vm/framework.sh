#!/bin/sh
# framework.sh - extract what we use of the kernel tree from Debian's
# linux-source-6.1 package into CACHE (default .cache): the kselftest
# framework (lib.mk, kselftest/runner.sh, kselftest.h) and checkpatch.pl.
# Nothing of it is committed; a second run finds it in place.
#
# Usage: framework.sh [CACHE]
set -eu

cache=${1:-$(dirname "$0")/../../.cache}
mkdir -p "$cache"
ksft="$cache/kselftest"
lin="$cache/linux"
[ -f "$ksft/kselftest_harness.h" ] && [ -f "$lin/scripts/checkpatch.pl" ] && exit 0

tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1)
if [ -z "$tarball" ]; then
	[ -n "$(find /var/lib/apt/lists -name '*Packages*' 2>/dev/null)" ] ||
		apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends linux-source-6.1 xz-utils >/dev/null
	tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -1)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
top=linux-source-6.1
tar -xf "$tarball" -C "$tmp" \
	"$top/tools/testing/selftests/lib.mk" \
	"$top/tools/testing/selftests/kselftest" \
	"$top/tools/testing/selftests/kselftest.h" \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/scripts/checkpatch.pl" \
	"$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch"
rm -rf "$ksft" "$lin"
mkdir -p "$ksft" "$lin/scripts"
cp -r "$tmp/$top/tools/testing/selftests/." "$ksft/"
cp "$tmp/$top/scripts/checkpatch.pl" "$tmp/$top/scripts/spelling.txt" \
	"$tmp/$top/scripts/const_structs.checkpatch" "$lin/scripts/"
