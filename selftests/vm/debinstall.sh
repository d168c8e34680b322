#!/bin/bash
# debinstall.sh - the Debian packages (make deb-lint: built, and lintian
# finds nothing) as a user meets them, on Debian 13 and Debian 12, each
# in a throwaway copy (an overlay dropped at the end): of the trixie
# chroot, and of the Debian 12 host itself.  apt-get install builds the
# module by DKMS for the kernel whose headers are there (6.12; the
# host's 6.1), headers of a second kernel (7.3) arriving afterwards get
# a build of their own through the hook their package runs, twstat and
# its service's program run, and a purge leaves nothing of ours behind.
# The modules DKMS built are kept in .cache/deb/dkms/KVER/ for a boot to
# load (tw_package.sh).
#
# The headers are unpacked in the chroot, not installed as packages, so
# the second kernel's arrival is played as its package's postinst plays
# it: its build link appears and /etc/kernel/header_postinst.d runs.
#
# Usage: debinstall.sh      Output: TAP lines, then "N passed, N failed".
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache="$top/.cache"
work="$cache/debroot"
root="$work/merged"
passed=0
failed=0

check() {	# check DESC CMD...
	local desc=$1

	shift
	if "$@"; then
		echo "ok - $desc"
		passed=$((passed + 1))
	else
		echo "not ok - $desc"
		failed=$((failed + 1))
	fi
}

# A process the packages' scripts started in the chroot may still hold
# it for a moment after apt-get returns: its unmount is retried for 10 s,
# then done lazily.
cleanup() {
	local i

	umount "$root/proc" 2>/dev/null || :
	for i in $(seq 50); do
		mountpoint -q "$root" || break
		umount "$root" 2>/dev/null || sleep 0.2
	done
	! mountpoint -q "$root" || umount -l "$root"
	rm -rf --one-file-system "$work"
}

in_root() {
	chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

installed_for() {	# installed_for KVER: dkms says tw_stats is built there
	in_root dkms status tw_stats | grep -q ", $1, [^:]*: installed"
}

# Whatever of ours is left in the chroot, one path a line.
leftovers() {
	(cd "$root" && ls -d usr/src/tw_stats-* var/lib/dkms/tw_stats \
		lib/modules/*/updates/dkms/tw_stats.ko* usr/bin/twstat \
		usr/share/man/man8/twstat.8* usr/share/doc/twstat \
		usr/share/doc/tw-stats-dkms usr/libexec/twstat \
		usr/lib/systemd/system/twstat-textfile.* \
		etc/systemd/system/*/twstat-textfile.* \
		usr/lib/modules-load.d/tw_stats.conf etc/default/twstat \
		2>/dev/null) || :
}

# The units as installed, checked by the host's systemd-analyze (the
# chroot has no systemd) in a scratch root that has them, their program
# and systemd's own targets.
units_verify() {
	local v="$work/verify" u=usr/lib/systemd/system rc=0

	rm -rf "$v"
	mkdir -p "$v/$u" "$v/usr/libexec"
	cp /lib/systemd/system/*.target "$v/$u/"
	cp "$root/$u"/twstat-textfile.* "$v/$u/" || return 1
	cp -r "$root/usr/libexec/twstat" "$v/usr/libexec/" || return 1
	ln -s usr/lib "$v/lib"
	systemd-analyze verify --man=no --root="$v" \
		"$v/$u/twstat-textfile.service" "$v/$u/twstat-textfile.timer" ||
		rc=1
	rm -rf "$v"
	return $rc
}

eval "$("$here/kernel.sh" 6.12)"
k1=$KVER
eval "$("$here/kernel.sh" 7.3)"
k2=$KVER
# Built once, here: lintian's verdict is the first check.
check "make deb: lintian finds no error or warning" \
	eval 'make -s -C "$top" deb-lint >"$cache/deb.log" 2>&1'
if ! ls "$cache"/deb/tw-stats-dkms_*.deb "$cache"/deb/twstat_*.deb \
	>/dev/null 2>&1; then
	tail -n 20 "$cache/deb.log" | sed 's/^/# /'
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
fi
[ "$failed" -eq 0 ] || tail -n 20 "$cache/deb.log" | sed 's/^/# /'

# round NAME LOWER K1 [K2]: the packages installed on an overlay of
# LOWER (a Debian system), built by DKMS for K1, then for K2 when its
# headers arrive, used, purged; the overlay dropped.  With dkms_only
# set, the module's package alone: twstat is built for Debian 12's glibc.
dkms_only=""
round() {
	local name=$1 lower=$2 k1=$3 k2=${4:-} d debs=() left
	local pkgs=(tw-stats-dkms twstat)

	[ -z "$dkms_only" ] || pkgs=(tw-stats-dkms)

	cleanup
	mkdir -p "$work/up" "$work/work" "$root"
	mount -t overlay overlay \
		-o "lowerdir=$lower,upperdir=$work/up,workdir=$work/work" "$root"
	mount -t proc proc "$root/proc"
	# /dev and friends as files (the host's /dev is a mount of its own).
	for d in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
		IFS=: read -r n ma mi <<<"$d"
		[ -c "$root/dev/$n" ] ||
			{ rm -f "$root/dev/$n"; mknod -m 666 "$root/dev/$n" c "$ma" "$mi"; }
	done
	# dkms's <(...) needs /dev/fd.
	[ -e "$root/dev/fd" ] || ln -s /proc/self/fd "$root/dev/fd"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || :
	mkdir -p "$root/tmp/debs"
	for d in "${pkgs[@]}"; do
		d=$(echo "$cache/deb/${d}_"*.deb)
		cp "$d" "$root/tmp/debs/"
		debs+=("/tmp/debs/${d##*/}")
	done
	# The second kernel's headers are not there yet.
	[ -z "$k2" ] ||
		mv "$root/lib/modules/$k2/build" "$root/lib/modules/$k2/build.later"

	# The host's own lists are those deps.sh installed with.
	[ "$lower" = / ] ||
		in_root apt-get update -q >>"$cache/debinstall.log" 2>&1 || :
	check "$name: apt-get install of ${pkgs[*]}" eval \
		'in_root apt-get install -y -q --no-install-recommends \
		"${debs[@]}" >>"$cache/debinstall.log" 2>&1'
	check "$name: dkms built tw_stats for $k1" installed_for "$k1"
	check "$name: the module is for $k1 (modinfo vermagic)" eval \
		'modinfo -F vermagic \
		"$root/lib/modules/$k1/updates/dkms/tw_stats.ko" |
		grep -q "^$k1 "'
	check "$name: tw_stats is loaded at boot (modules-load.d)" \
		grep -qx tw_stats "$root/usr/lib/modules-load.d/tw_stats.conf"
	[ -n "$dkms_only" ] || twstat_checks "$name"
	if [ -n "$k2" ]; then
		check "$name: not for $k2, which has no headers yet" \
			eval '! installed_for "$k2"'
		mv "$root/lib/modules/$k2/build.later" \
			"$root/lib/modules/$k2/build"
		check "$name: headers of $k2 arriving run dkms's hook" eval \
			'in_root run-parts --arg="$k2" \
			/etc/kernel/header_postinst.d >>"$cache/debinstall.log" 2>&1'
		check "$name: dkms built tw_stats for $k2 too" installed_for "$k2"
	fi

	for k in "$k1" $k2; do
		rm -rf "$cache/deb/dkms/$k"
		mkdir -p "$cache/deb/dkms/$k"
		cp "$root/lib/modules/$k/updates/dkms/tw_stats.ko"* \
			"$cache/deb/dkms/$k/" 2>/dev/null || :
	done

	check "$name: apt-get purge" eval \
		'in_root apt-get purge -y -q "${pkgs[@]}" \
		>>"$cache/debinstall.log" 2>&1'
	left=$(leftovers)
	[ -z "$left" ] || echo "$left" | sed 's/^/# left: /'
	check "$name: the purge leaves nothing of ours" test -z "$left"
	cleanup
}

# twstat_checks NAME: the tool's package, installed in the round.
twstat_checks() {
	check "$1: twstat runs" \
		eval 'in_root twstat --version | grep -q "^twstat "'
	check "$1: the service and timer pass systemd-analyze verify" \
		units_verify
	# No module here: the program must say so in its file, and fail.
	mkdir -p "$root/tmp/textfile"
	check "$1: twstat-textfile, no module: fails, says twstat_up 0" \
		eval '! in_root env TWSTAT_TEXTFILE_DIR=/tmp/textfile \
			/usr/libexec/twstat/twstat-textfile 2>/dev/null &&
		grep -qx "twstat_up 0" "$root/tmp/textfile/tw_stats.prom"'
}

trap cleanup EXIT
rm -rf "$cache/deb/dkms" "$cache/debinstall.log"
# Debian 13, whose chroot builds 6.12 and 7.3 (kernel.sh).
round trixie "$cache/trixie" "$k1" "$k2"
# Debian 12: the host itself, whose 6.1 headers deps.sh installs, under
# an overlay that takes every change.  Only the root file system: the
# overlay has none of the host's other mounts.
k0=$("$here/kver.sh")
round bookworm / "$k0"
# Debian 11, whose chroot builds 5.10 (kernel.sh): DKMS builds the module
# there too.
vars=$("$here/kernel.sh" 5.10) || exit 1
eval "$vars"
dkms_only=1
round bullseye "$cache/bullseye" "$KVER"

[ "$failed" -eq 0 ] || sed 's/^/# /' "$cache/debinstall.log" | tail -n 30
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
