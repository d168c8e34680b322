#!/bin/sh
# mkinitramfs.sh - build the gzip'd newc initramfs the test VM boots.
#
# The host kernel cannot load modules, so the tests run in a QEMU guest whose
# whole userland is this initramfs: busybox-static for the basics, the real
# iproute2 tools (ip, ss, nstat), coreutils' timeout (kselftest's runner
# needs --foreground and exit code 124), perl-base (for the runner's
# prefix.pl, unbuffered), dash as /bin/sh and bash (so test scripts run as
# on the host: busybox's sh would run its own "ip" applet instead of
# iproute2's), kmod, a few host kernel modules (veth...), every
# library these and the staged binaries need, selftests/vm/init as /init
# and STAGE_DIR as /tws. The guest uses Debian's merged-/usr layout, so host
# paths (as ldd prints them) are valid in the guest too.
#
# Usage: mkinitramfs.sh STAGE_DIR OUT.cpio.gz
#   STAGE_DIR is what guest.sh expects under /tws: selftests/ (the test
#   scripts, TESTS, settings, vm/), kselftest/runner.sh, bin/ (first in the
#   guest's PATH), and e.g. the module's .ko.
# Env:   TWS_KVER        kernel version for the modules (default: kver.sh)
#        TWS_MODROOT     take them from TWS_MODROOT/lib/modules/TWS_KVER
#                        (default /: the host's; kernel.sh prints MODROOT)
#        TWS_KMODS       host modules to add, with their dependencies
#                        (default "veth dummy sch_netem"; "" for none)
#        TWS_EXTRA_BINS  more host programs to add (names or paths)
#        TWS_DKMS_KO     a directory of modules DKMS built for TWS_KVER
#                        (debinstall.sh), installed as DKMS installs
#                        them, in updates/dkms/, for modprobe
# Exit:  0 built, 1 error, 2 usage. Run as root (for /dev/console).
set -eu

prog=mkinitramfs.sh
die() {
	echo "$prog: $*" >&2
	exit 1
}

if [ $# -ne 2 ] || [ ! -d "$1" ]; then
	echo "usage: $prog STAGE_DIR OUT.cpio.gz" >&2
	exit 2
fi
stage=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

command -v cpio >/dev/null || die "cpio missing (run deps.sh)"
command -v gzip >/dev/null || die "gzip missing"
[ -r "$here/init" ] || die "$here/init missing"

root=$(mktemp -d "${TMPDIR:-/tmp}/tws-initramfs.XXXXXX")
# Paths of the copied ELF files, for the ldd pass at the end.
elfs=$root.elfs
trap 'rm -rf "$root" "$elfs"' EXIT
trap 'exit 1' INT TERM
: >"$elfs"

# Merged /usr, as on Debian 12: /bin, /sbin, /lib, /lib64 point into /usr.
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64"
for d in bin sbin lib lib64; do
	ln -s "usr/$d" "$root/$d"
done
mkdir -p "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/run" \
	"$root/root" "$root/etc" "$root/var/tmp" "$root/mnt" "$root/tws" \
	"$root/usr/local/bin"
chmod 1777 "$root/tmp" "$root/var/tmp"
ln -s ../run "$root/var/run"
# The kernel opens /dev/console for /init before devtmpfs is mounted.
if ! mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null; then
	echo "$prog: warning: cannot mknod /dev/console (not root?);" \
		"init output starts after devtmpfs is mounted" >&2
fi
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || :

# put HOSTPATH: copy a host file to the same guest path, keeping symlinks
# (and copying what they point to).
put() {
	p=$1
	case $p in /*) ;; *) die "put: not absolute: $p" ;; esac
	if [ -L "$root$p" ] || [ -e "$root$p" ]; then
		return 0
	fi
	[ -L "$p" ] || [ -e "$p" ] || die "missing on host: $p"
	mkdir -p "$root$(dirname "$p")"
	if [ -L "$p" ]; then
		t=$(readlink "$p")
		ln -s "$t" "$root$p"
		case $t in
		/*) put "$t" ;;
		*) put "$(dirname "$p")/$t" ;;
		esac
	else
		cp -p "$p" "$root$p"
		echo "$p" >>"$elfs"
	fi
}

# find_bin NAME: print the host path of program NAME (or NAME if a path).
find_bin() {
	case $1 in
	/*)
		[ -e "$1" ] && echo "$1" && return 0
		return 1 ;;
	esac
	for d in /usr/sbin /usr/bin /sbin /bin /usr/local/sbin \
		/usr/local/bin; do
		if [ -x "$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}

# add_bin NAME...: copy programs, plus their other host names (ip lives in
# both /usr/bin and /usr/sbin on Debian 12).
add_bin() {
	for n in "$@"; do
		p=$(find_bin "$n") || die "program not found on host: $n"
		put "$p"
		b=$(basename "$p")
		for d in /usr/sbin /usr/bin; do
			if [ -x "$d/$b" ] && [ "$d/$b" != "$p" ]; then
				put "$d/$b"
			fi
		done
	done
}

# add_opt_bin NAME...: like add_bin, silently skipping missing programs.
add_opt_bin() {
	for n in "$@"; do
		if find_bin "$n" >/dev/null; then
			add_bin "$n"
		fi
	done
}

# busybox-static: Debian's is /bin/busybox (= /usr/bin/busybox).
bb=$(find_bin busybox) || die "busybox missing (run deps.sh)"
mkdir -p "$root/usr/bin"
cp -p "$bb" "$root/usr/bin/busybox"
echo "$bb" >>"$elfs"

add_bin ip ss nstat timeout
# util-linux's, for tests that drop privileges into a user namespace.
add_opt_bin unshare setpriv chrt
add_opt_bin bash kmod insmod rmmod lsmod modprobe modinfo depmod
# perl-base (Essential on Debian): kselftest's runner.sh then prefixes the
# tests' output with its prefix.pl, unbuffered, as on a Debian host (busybox
# sed, its fallback, holds a test's output back until the test ends).
if [ -x /usr/bin/perl ]; then
	add_bin /usr/bin/perl
	pdir=$(dirname "$(/usr/bin/perl -e \
		'require strict; print $INC{"strict.pm"}')")
	mkdir -p "$root$pdir"
	cp -a "$pdir/." "$root$pdir/"
	find "$root$pdir" -name '*.so' >>"$elfs"
fi
if find_bin dash >/dev/null; then
	add_bin dash
	ln -s dash "$root/usr/bin/sh"
fi
if [ -n "${TWS_EXTRA_BINS:-}" ]; then
	# shellcheck disable=SC2086	# a list of names
	add_bin $TWS_EXTRA_BINS
fi

# Busybox applets for everything else; never shadow a real program.
"$root/usr/bin/busybox" --list-full | while read -r a; do
	n=$(basename "$a")
	if [ -e "$root/usr/bin/$n" ] || [ -L "$root/usr/bin/$n" ] ||
		[ -e "$root/usr/sbin/$n" ] || [ -L "$root/usr/sbin/$n" ]; then
		continue
	fi
	mkdir -p "$root/$(dirname "$a")"
	ln -s /usr/bin/busybox "$root/$a"
done

# Host kernel modules (for modprobe/request_module in the guest).
kver=${TWS_KVER:-}
if [ -z "$kver" ]; then
	kver=$(sh "$here/kver.sh" 2>/dev/null) || kver=""
fi
kmods=${TWS_KMODS-veth dummy sch_netem}
# $modroot: "" for the host's modules, else the other root (no trailing /).
modroot=$(printf '%s' "${TWS_MODROOT:-/}" | sed 's:/*$::')
msrc=$modroot/lib/modules/$kver	# where they are on the host
if [ -n "$kver" ] && [ -d "$msrc" ]; then
	mdir=/lib/modules/$kver	# where they go in the guest
	mkdir -p "$root$mdir"
	if [ -n "$modroot" ] && [ ! -e "$msrc/modules.dep" ]; then
		depmod -b "$modroot" "$kver" || die "depmod -b $modroot failed"
	fi
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		if [ -e "$msrc/$f" ]; then
			cp -p "$msrc/$f" "$root$mdir/"
		fi
	done
	for m in $kmods; do
		deps=$(modprobe ${modroot:+-d "$modroot"} -S "$kver" \
			--show-depends "$m" 2>/dev/null) || {
			echo "$prog: warning: no module $m for $kver" >&2
			continue
		}
		echo "$deps" | while read -r w f _; do
			if [ "$w" = insmod ]; then
				case $f in
				"$msrc"/*) g=$mdir/${f#"$msrc"/} ;;
				*) g=$f ;;
				esac
				mkdir -p "$root$(dirname "$g")"
				cp -p "$f" "$root$g"
			fi
		done
	done
	if [ -n "${TWS_DKMS_KO:-}" ]; then
		mkdir -p "$root$mdir/updates/dkms"
		cp -p "$TWS_DKMS_KO"/*.ko* "$root$mdir/updates/dkms/" ||
			die "no module in $TWS_DKMS_KO"
	fi
	depmod -b "$root" "$kver" 2>/dev/null ||
		echo "$prog: warning: depmod failed" >&2
elif [ -n "$kmods" ]; then
	echo "$prog: warning: no kernel modules added (no kernel" \
		"version; set TWS_KVER)" >&2
fi

# The guest's PID 1 and the staged test tree.
cp "$here/init" "$root/init"
chmod 755 "$root/init"
cp -a "$stage/." "$root/tws/"

# Libraries of every copied program and of every ELF in the stage.
find "$root/tws" -type f -perm -u+x >>"$elfs"
sort -u "$elfs" | while read -r f; do
	[ -f "$f" ] || continue
	ldd "$f" 2>/dev/null | while read -r a b c _; do
		case $a in
		/*) put "$a" ;;
		*)
			if [ "$b" = "=>" ]; then
				case $c in /*) put "$c" ;; esac
			fi ;;
		esac
	done
done

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
echo 'hosts: files' >"$root/etc/nsswitch.conf"
echo tws-vm >"$root/etc/hostname"
for f in /etc/services /etc/protocols; do
	if [ -r "$f" ]; then
		cp -p "$f" "$root$f"
	fi
done

mkdir -p "$(dirname "$out")"
(
	cd "$root"
	find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet
) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
