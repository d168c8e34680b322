#!/bin/bash
# kbuild.sh - build the out-of-tree module at SRC_DIR for a kernel series.
#
# tw_stats is built for each kernel the VM boots (kernel.sh SERIES says
# where its headers are). 6.1 builds on the host; 6.12, 7.3... build in
# kernel.sh's Debian trixie chroot (gcc-14, glibc >= 2.38): SRC_DIR is
# bind-mounted at the same path inside it, so compiler messages name the
# real files, and /proc is mounted there (objtool reads it). Those mounts
# live in a mount namespace of this build only (unshare), so nothing is
# left mounted even if the build is killed; they are also unmounted on exit.
# The build output (W=1 warnings included) goes to stdout/stderr as is.
#
# Usage: kbuild.sh SERIES SRC_DIR [MAKE_ARG...]
#   SRC_DIR holds the module's Kbuild (e.g. a copy of the repo's Kbuild and
#   module/); runs make -C KDIR M=SRC_DIR W=1 -jN [MAKE_ARG...] modules,
#   which leaves e.g. SRC_DIR/module/tw_stats.ko.  MAKE_ARG: e.g. -s, V=1.
# Env:   TWS_JOBS  make -j (default: nproc)
#        and kernel.sh's (TWS_KERNEL_REFRESH...)
# Exit:  make's status: 0 built, non-zero if the build failed; 1 when the
#        kernel cannot be prepared or mounting fails; 2 usage. Run as root
#        for the chroot series.
set -eu

prog=kbuild.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}

# Second stage: in the private mount namespace (see the end of the file).
if [ -n "${TWS_KBUILD_NS:-}" ]; then
	unset TWS_KBUILD_NS
	src=$1
	shift
	made=""
	# shellcheck disable=SC2317	# run by the trap
	cleanup() {
		umount "$CHROOT/proc" 2>/dev/null || :
		umount "$CHROOT$src" 2>/dev/null || :
		[ -z "$made" ] || rmdir "$CHROOT$src" 2>/dev/null || :
	}
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
	if [ ! -d "$CHROOT$src" ]; then
		mkdir -p "$CHROOT$src"
		made=1
	fi
	mount --bind "$src" "$CHROOT$src" || die "cannot bind-mount $src"
	mount -t proc proc "$CHROOT/proc" || die "cannot mount /proc"
	set +e
	chroot "$CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 TERM="${TERM:-dumb}" \
		make -C "$KDIR" M="$src" W=1 -j"$TWS_JOBS" "$@" modules
	rc=$?
	set -e
	exit $rc
fi

if [ $# -lt 2 ] || [[ ! $1 =~ ^([0-9]+\.[0-9]+|debug)$ ]]; then
	echo "usage: $prog SERIES SRC_DIR [MAKE_ARG...]" >&2
	exit 2
fi
series=$1
[ -d "$2" ] || die "no directory $2"
src=$(cd "$2" && pwd -P)
shift 2
[ -e "$src/Kbuild" ] || [ -e "$src/Makefile" ] ||
	die "no Kbuild or Makefile in $src"
here=$(cd "$(dirname "$0")" && pwd)
TWS_JOBS=${TWS_JOBS:-$(nproc)}

vars=$("$here/kernel.sh" "$series") || die "kernel.sh $series failed"
KVER="" KDIR="" CHROOT=""
eval "$vars"
echo "$prog: building $src for $KVER${CHROOT:+ (in $CHROOT)}" >&2

if [ -z "$CHROOT" ]; then
	exec make -C "$KDIR" M="$src" W=1 -j"$TWS_JOBS" "$@" modules
fi

[ "$(id -u)" -eq 0 ] || die "run as root (chroot, mount)"
case $src in
/) die "SRC_DIR must not be /" ;;
"$CHROOT" | "$CHROOT"/*) die "SRC_DIR must be outside $CHROOT" ;;
esac
# Keep kernel.sh from replacing the chroot while we build in it.
exec 5>>"$CHROOT.lock"
flock -s 5
export CHROOT KDIR TWS_JOBS
TWS_KBUILD_NS=1 exec unshare -m --propagation private \
	"$BASH" "$0" "$src" "$@"
