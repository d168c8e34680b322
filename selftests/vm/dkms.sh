#!/bin/bash
# dkms.sh - `dkms build` of this tree against the host's 6.1 headers, the
# way a Debian user installs tw_stats, in a private dkms tree so that the
# host's /var/lib/dkms and /usr/src stay untouched.
#
# Usage: dkms.sh       Exit: dkms's status.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache="$top/.cache/dkms"

command -v dkms >/dev/null || DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends dkms >/dev/null
kver=$("$here/kver.sh")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
rm -rf "$cache"
mkdir -p "$cache/src/tw_stats-$ver" "$cache/tree"
cp -r "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$top/module" \
	"$cache/src/tw_stats-$ver/"
dkms build --sourcetree "$cache/src" --dkmstree "$cache/tree" \
	-m tw_stats -v "$ver" -k "$kver"
find "$cache/tree" -name 'tw_stats.ko*' | grep -q .
