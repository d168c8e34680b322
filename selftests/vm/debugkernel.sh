#!/bin/bash
# debugkernel.sh - build, once, the debug kernel tw_stats is checked on,
# and print where it is, as kernel.sh does for Debian's kernels.
#
# Debian's linux-source-6.1 (the package, extracted under the cache),
# configured by "make allnoconfig" with debug.config forced: what the
# suite needs built in, KASAN, lockdep, atomic-sleep checks, kmemleak,
# timer object and list debugging, failslab, and nothing else, so that a
# fresh build takes minutes, not the better part of an hour.  The build
# is kept under CACHE/debug-kernel and made again only when debug.config,
# this script or the source package changes.  Nothing of the kernel is
# committed.
#
# Usage: debugkernel.sh [CACHE]     e.g. eval "$(debugkernel.sh .cache)"
#   Prints KVER, VMLINUZ, MODROOT (empty: everything is built in), KDIR
#   (the tree itself) and CHROOT (empty); progress goes to stderr.
# Env:   TWS_JOBS  make -j (default: nproc)
# Exit:  0 ready, 1 error.  Run as root the first time (apt-get).
set -eu

prog=debugkernel.sh
exec 3>&1 1>&2	# stdout is for the assignments only
die() {
	echo "$prog: $*" >&2
	exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
cache=$(mkdir -p "${1:-$here/../../.cache}" && cd "${1:-$here/../../.cache}" &&
	pwd)
dir=$cache/debug-kernel
src=$dir/linux-source-6.1
jobs=${TWS_JOBS:-$(nproc)}

tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1) || :
if [ -z "$tarball" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends linux-source-6.1 xz-utils >/dev/null
	tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
fi
"$here/deps.sh"

# What the build is made of: a new one of either means a new build.
stamp=$(cat "$here/debug.config" "$0" | sha256sum | cut -c1-16)
stamp="$stamp $(stat -c %s-%Y "$tarball")"
if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ] ||
	[ ! -f "$src/arch/x86/boot/bzImage" ]; then
	echo "$prog: building the debug kernel in $dir" \
		"(once; about 12 min on two cores)"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xf "$tarball" -C "$dir"
	make -s -C "$src" ARCH=x86_64 \
		KCONFIG_ALLCONFIG="$here/debug.config" allnoconfig
	# Every option asked for must have survived its dependencies.
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$here/debug.config" |
		while IFS= read -r l; do
			grep -qxF "$l" "$src/.config" || echo "$l"
		done)
	[ -z "$missing" ] || die "not in the final .config: $missing"
	make -s -C "$src" -j"$jobs" all \
		>"$dir/build.log" 2>&1 || {
		tail -n 30 "$dir/build.log" >&2
		die "kernel build failed (log: $dir/build.log)"
	}
	echo "$stamp" >"$dir/stamp"
fi

kver=$(make -s -C "$src" kernelrelease)
{
	echo "KVER=$kver"
	echo "VMLINUZ=$src/arch/x86/boot/bzImage"
	echo "MODROOT="
	echo "KDIR=$src"
	echo "CHROOT=''"
} >&3
