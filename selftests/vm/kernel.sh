#!/bin/bash
# kernel.sh - prepare a Debian kernel series for building tw_stats and
# booting it in the test VM, and print where everything is.
#
# tw_stats is tested on the kernels users run (selftests/vm, and
# /work/shared/KERNEL-NOTES.md): 6.1 is this machine's own Debian 12 kernel;
# the others come from Debian 13 (trixie) and trixie-backports. Their
# headers want gcc-14 and glibc >= 2.38, so modules for them are built in a
# Debian trixie chroot (shared by all those series); their image and modules
# are unpacked under .cache for the VM. Everything is downloaded once and
# cached: a later run does no network access and takes well under a second.
#
# Series 6.1: the host's linux-image-amd64 and its headers (deps.sh,
#   kver.sh), built on the host.
# Any other series X.Y (6.12, 7.3 tested): the newest Debian package
#   linux-image-X.Y.N+debNN-amd64-unsigned or, for newer kernels,
#   linux-binary-unsigned-X.Y.N+debNN-amd64 (+ linux-base-, linux-modules-)
#   in trixie or trixie-backports main that also has linux-headers-;
#   the headers, their -common part and linux-kbuild- go into the chroot.
#   Packages come through a private apt state under .cache/apt (the host's
#   packages are untouched) from the Debian mirror of the host's own apt
#   sources, checked against the Debian archive keyring; the chroot is made
#   with debootstrap (installed on the host if missing).
#
# Usage: kernel.sh SERIES        e.g. eval "$(selftests/vm/kernel.sh 7.3)"
#   Prints, one per line, shell assignments (nothing else on stdout;
#   progress goes to stderr):
#     KVER     uname -r of the kernel
#     VMLINUZ  its bootable image (bzImage)
#     MODROOT  MODROOT/lib/modules/KVER holds its modules, with modules.dep
#              (mkinitramfs.sh: TWS_MODROOT=$MODROOT TWS_KVER=$KVER)
#     KDIR     its headers (make -C KDIR M=...); a path inside CHROOT if set
#     CHROOT   the chroot to build in (kbuild.sh), empty: build on the host
# Env:  TWS_KERNEL_REFRESH=1  look for a newer kernel of the series (network)
#       TWS_DEBIAN_MIRROR     Debian mirror URI (default: from the host's apt
#                             sources, the one serving the "debian" archive)
#       TWS_APT_KEYRING       keyring for the trixie suites (default
#                             /usr/share/keyrings/debian-archive-keyring.gpg)
# Files: .cache/kernels/SERIES/ (kver, debs/, root/ = MODROOT),
#        .cache/apt/ (private apt lists), .cache/trixie/ (the chroot;
#        made anew, once no kbuild.sh uses it, if its package list changes).
# Exit: 0 ready; 1 error (message on stderr); 2 usage. Run as root.
set -eu
shopt -s nullglob

prog=kernel.sh
exec 3>&1 1>&2	# stdout is for the assignments only

die() {
	echo "$prog: $*" >&2
	exit 1
}
say() {
	echo "$prog: $*" >&2
}

if [ $# -eq 1 ] && [ "$1" = debug ]; then
	# Not Debian's: a debug build of Debian's linux-source-6.1.
	exec 1>&3 3>&-
	exec "$(dirname "$0")/debugkernel.sh"
fi
if [ $# -ne 1 ] || [[ ! $1 =~ ^[0-9]+\.[0-9]+$ ]]; then
	echo "usage: $prog SERIES   (6.1, 6.12, 7.3..., or debug)" >&2
	exit 2
fi
series=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=$top/.cache

# put_vars KVER VMLINUZ MODROOT KDIR CHROOT: the output.
put_vars() {
	printf 'KVER=%q\nVMLINUZ=%q\nMODROOT=%q\nKDIR=%q\nCHROOT=%q\n' \
		"$@" >&3
}

if [ "$series" = 6.1 ]; then
	"$here/deps.sh"
	kver=$("$here/kver.sh")
	case $kver in
	6.1.*) ;;
	*) die "the host's newest kernel is $kver, not 6.1" ;;
	esac
	put_vars "$kver" "/boot/vmlinuz-$kver" / \
		"/lib/modules/$kver/build" ""
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot)"
kcache=$cache/kernels/$series

# Where a series comes from, and what builds for it: Debian 11's 5.10
# from bullseye, built with its gcc-10 in a bullseye chroot; the newer
# ones from trixie(-backports), built with gcc-14 in a trixie chroot.
# What the module build needs there: the headers' gcc, make, libc6-dev,
# what the kbuild tools link (libelf, libssl), pahole (BTF), bc, kmod,
# and perl for W=1's kernel-doc check (Pod::Usage is not in perl-base).
# A chroot made with another list is made anew.
case $series in
5.10)
	dist=bullseye
	suites="bullseye"
	kpat='5\.10\.0-[0-9]+-amd64'
	kgcc=gcc-10
	inc=gcc-10,make,libc6-dev,libelf1,libssl1.1,dwarves,bc,kmod,perl
	aptdir=$cache/apt-bullseye ;;
*)
	dist=trixie
	suites="trixie trixie-backports"
	kpat="${series//./\\.}\\.[0-9]+\\+deb[0-9]+-amd64"
	kgcc=gcc-14
	inc=gcc-14,make,libc6-dev,libelf1t64,libssl3t64,pahole,bc,kmod,perl
	aptdir=$cache/apt ;;
esac
chroot_dir=$cache/$dist
keyring=${TWS_APT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
mkdir -p "$kcache"

# One preparation at a time: the apt state and the chroot are shared.
exec 4>"$cache/kernels/.lock"
flock 4

# --- The Debian mirror and the private apt state

# find_mirror: print the URI of the host's Debian archive (not -security,
# not third-party): by the Release files' Origin and Label when the host's
# lists are there, else the entry for the host's own codename.
find_mirror() {
	local m codename
	if [ -n "${TWS_DEBIAN_MIRROR:-}" ]; then
		echo "$TWS_DEBIAN_MIRROR"
		return 0
	fi
	# shellcheck disable=SC2016	# apt's $(FIELD) syntax
	m=$(apt-get indextargets 'Identifier: Packages' \
		--format '$(TARGET_OF) $(ORIGIN) $(LABEL) $(REPO_URI)' \
		2>/dev/null | awk '$1 == "deb" && $2 == "Debian" &&
			$3 == "Debian" { print $4; exit }')
	if [ -z "$m" ]; then
		# shellcheck disable=SC1091
		codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
		# shellcheck disable=SC2016
		m=$(apt-get indextargets --no-release-info \
			--format '$(TARGET_OF) $(RELEASE) $(REPO_URI)' \
			2>/dev/null | awk -v c="$codename" '$1 == "deb" &&
				($2 == c || $2 == c "-updates") {
				print $3; exit }')
	fi
	[ -n "$m" ] || return 1
	echo "$m"
}

apt_opts=(
	-o "Dir::Etc::SourceList=$aptdir/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o Dir::Etc::Preferences=/dev/null
	-o Dir::Etc::PreferencesParts=/dev/null
	-o "Dir::State::Lists=$aptdir/lists"
	-o Dir::State::status=/dev/null
	-o "Dir::Cache=$aptdir/cache"
	-o APT::Architecture=amd64
	-o APT::Architectures=amd64
	-o Acquire::Languages=none
)
apt_updated=""
mirror=""

# apt_update [force]: write the private sources list and fetch its lists,
# unless they are there and younger than a day.
apt_update() {
	local list=$aptdir/sources.list
	if [ -z "$mirror" ]; then
		mirror=$(find_mirror) ||
			die "no Debian mirror in the host's apt sources" \
				"(set TWS_DEBIAN_MIRROR)"
	fi
	[ -r "$keyring" ] || die "keyring $keyring missing"
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	local want suite
	want=$(for suite in $suites; do
		printf 'deb [signed-by=%s] %s %s main\n' \
			"$keyring" "$mirror" "$suite"
	done)
	if [ "$(cat "$list" 2>/dev/null)" != "$want" ]; then
		echo "$want" >"$list"
		rm -f "$aptdir/lists/"*_Packages* "$aptdir/lists/"*Release* \
			"$aptdir/updated"
	fi
	if [ -z "${1:-}" ] && [ -e "$aptdir/updated" ] &&
		[ -n "$(find "$aptdir/updated" -mmin -1440)" ]; then
		return 0
	fi
	[ -z "$apt_updated" ] || return 0
	say "apt-get update ($suites from $mirror)"
	if ! apt-get "${apt_opts[@]}" -q update >"$aptdir/update.log" 2>&1 ||
		grep -q -E '^(W|E): .*(NO_PUBKEY|not signed|GPG|signature)' \
			"$aptdir/update.log"; then
		cat "$aptdir/update.log" >&2
		die "apt-get update failed; if the $dist signatures do not" \
			"verify, install a newer debian-archive-keyring or" \
			"point TWS_APT_KEYRING to one with the $dist keys"
	fi
	apt_updated=1
	touch "$aptdir/updated"
}

# apt_names REGEX: package names in the private lists matching REGEX.
apt_names() {
	apt-cache "${apt_opts[@]}" pkgnames 2>/dev/null | grep -E "$1" || :
}

# apt_depends PKG: the names PKG depends on (first of each alternative).
apt_depends() {
	apt-cache "${apt_opts[@]}" show --no-all-versions "$1" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed 's/^ *//; s/[ |(].*//'
}

# fetch DIR PKG...: download the .debs of PKGs into DIR unless there.
fetch() {
	local dir=$1 p f need=()
	shift
	mkdir -p "$dir"
	for p in "$@"; do
		f=("$dir/${p}_"*.deb)
		[ ${#f[@]} -gt 0 ] || need+=("$p")
	done
	[ ${#need[@]} -gt 0 ] || return 0
	apt_update
	say "downloading ${need[*]}"
	# apt drops privileges to _apt for downloads: let it write here.
	if id _apt >/dev/null 2>&1; then
		chown _apt "$dir"
	fi
	if ! (cd "$dir" && apt-get "${apt_opts[@]}" -q download \
		"${need[@]}" >/dev/null); then
		apt_update force
		(cd "$dir" && apt-get "${apt_opts[@]}" -q download \
			"${need[@]}" >/dev/null) || die "download failed"
	fi
}

# --- Which kernel

# newest_kver: the newest KVER of the series with an image and headers.
newest_kver() {
	local v=$kpat names k
	names=$(apt_names "^linux-(image-$v-unsigned|binary-unsigned-$v)$")
	for k in $(echo "$names" | sed -E \
		's/^linux-(image|binary-unsigned)-//; s/-unsigned$//' |
		sort -u -r -V); do
		if [ -n "$(apt_names "^linux-headers-${k//+/\\+}$")" ]; then
			echo "$k"
			return 0
		fi
	done
	return 1
}

kver=$(cat "$kcache/kver" 2>/dev/null) || kver=""
if [ -z "$kver" ] || [ -n "${TWS_KERNEL_REFRESH:-}" ]; then
	apt_update "${TWS_KERNEL_REFRESH:+force}"
	kver=$(newest_kver) ||
		die "no linux $series image with headers in $suites"
	say "$series: newest is $kver"
fi

# --- Image and modules (MODROOT)

root=$kcache/root
if [ "$(cat "$root/.tws-kver" 2>/dev/null)" != "$kver" ]; then
	apt_update
	if [ -n "$(apt_names "^linux-binary-unsigned-${kver//+/\\+}$")" ]
	then
		boot_pkgs=("linux-binary-unsigned-$kver" "linux-base-$kver"
			"linux-modules-$kver")
	else
		boot_pkgs=("linux-image-$kver-unsigned")
	fi
	fetch "$kcache/debs" "${boot_pkgs[@]}"
	say "unpacking ${boot_pkgs[*]}"
	rm -rf "$root.new"
	mkdir -p "$root.new"
	for p in "${boot_pkgs[@]}"; do
		dpkg-deb -x "$kcache/debs/${p}_"*.deb "$root.new"
	done
	# The packages use merged /usr; MODROOT/lib/modules must work.
	[ -e "$root.new/lib" ] || ln -s usr/lib "$root.new/lib"
	[ -d "$root.new/lib/modules/$kver/kernel" ] ||
		die "no modules in ${boot_pkgs[*]}"
	depmod -b "$root.new" "$kver" || die "depmod failed"
	echo "$kver" >"$root.new/.tws-kver"
	rm -rf "$root"
	mv "$root.new" "$root"
	# The unpacked tree is the cache; the big .debs are not needed.
	for p in "${boot_pkgs[@]}"; do
		rm -f "$kcache/debs/${p}_"*.deb
	done
fi
vmlinuz=""
for f in "$root/boot/vmlinuz-$kver" "$root/usr/lib/modules/$kver/vmlinuz" \
	"$root/usr/lib/modules/$kver/vmlinuz.unsigned"; do
	if [ -f "$f" ]; then
		vmlinuz=$f
		break
	fi
done
[ -n "$vmlinuz" ] || die "no vmlinuz for $kver under $root"
echo "$kver" >"$kcache/kver"

# --- The chroot of the series' Debian release

# mounted_under DIR: true if anything is mounted at or below DIR.
mounted_under() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { f = 1 }
		END { exit !f }' /proc/self/mounts
}

if [ "$(cat "$chroot_dir/.tws-ready" 2>/dev/null)" != "$inc" ]; then
	if ! command -v debootstrap >/dev/null; then
		say "installing debootstrap on the host"
		apt-get -qq update >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends debootstrap >/dev/null ||
			die "cannot install debootstrap"
	fi
	apt_update	# for the mirror
	tmp=$chroot_dir.tmp
	! mounted_under "$tmp" || die "something is mounted under $tmp"
	rm -rf --one-file-system "$tmp"
	log=$cache/$dist-debootstrap.log
	say "debootstrap $dist into $chroot_dir (log: $log)"
	# In a mount namespace of its own, so that no mount of its outlives it.
	if ! unshare -m --propagation private debootstrap --variant=minbase \
		--arch=amd64 --keyring="$keyring" --include="$inc" \
		"$dist" "$tmp" "$mirror" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "debootstrap failed"
	fi
	# /dev/null and friends as files of the chroot (no /dev mount needed).
	for n in null:1:3 zero:1:5 random:1:8 urandom:1:9; do
		IFS=: read -r name maj min <<<"$n"
		if [ ! -c "$tmp/dev/$name" ]; then
			rm -f "$tmp/dev/$name"
			mknod -m 666 "$tmp/dev/$name" c "$maj" "$min"
		fi
	done
	chroot "$tmp" "/usr/bin/x86_64-linux-gnu-$kgcc" --version >/dev/null ||
		die "$kgcc does not run in the chroot"
	echo "$inc" >"$tmp/.tws-ready"
	if [ -e "$chroot_dir" ]; then	# an older one: replace it
		! mounted_under "$chroot_dir" ||
			die "something is mounted under $chroot_dir"
		# kbuild.sh holds a shared lock while it builds in there.
		exec 5>>"$chroot_dir.lock"
		flock -x -n 5 || {
			say "waiting for the builds in $chroot_dir to end"
			flock -x 5
		}
		rm -rf --one-file-system "$chroot_dir.old"
		mv "$chroot_dir" "$chroot_dir.old"
		mv "$tmp" "$chroot_dir"
		rm -rf --one-file-system "$chroot_dir.old"
	else
		mv "$tmp" "$chroot_dir"
	fi
fi

# --- Headers in the chroot

kdir=/usr/src/linux-headers-$kver
if [ ! -e "$chroot_dir/.tws-headers-$kver" ]; then
	apt_update
	hdr_pkgs=("linux-headers-$kver")
	for p in $(apt_depends "linux-headers-$kver"); do
		case $p in
		linux-headers-*-common | linux-kbuild-*) hdr_pkgs+=("$p") ;;
		esac
	done
	[ ${#hdr_pkgs[@]} -ge 3 ] ||
		die "linux-headers-$kver: no -common or kbuild dependency"
	fetch "$kcache/debs" "${hdr_pkgs[@]}"
	say "unpacking ${hdr_pkgs[*]} into the chroot"
	# Through the chroot's merged /usr links (bullseye's headers still
	# ship /lib/modules): dpkg-deb -x would make /lib a directory.
	for p in "${hdr_pkgs[@]}"; do
		dpkg-deb --fsys-tarfile "$kcache/debs/${p}_"*.deb |
			tar -x --keep-directory-symlink -C "$chroot_dir" ||
			die "cannot unpack $p"
	done
	# The -amd64 part includes the -common Makefile and links scripts/
	# and tools/ to the kbuild package: all must resolve in the chroot.
	# shellcheck disable=SC2016	# expanded by the chroot's sh
	chroot "$chroot_dir" /bin/sh -e -c '
		test -f "$1/.config"
		test -f "$1/Module.symvers"
		test -f "$1/scripts/Kbuild.include"
		test -x "$1/scripts/mod/modpost"
		common=$(sed -n "s/^include \(.*\)\/Makefile$/\1/p" \
			"$1/Makefile")
		test -f "$common/Makefile"' sh "$kdir" ||
		die "$kdir is incomplete in the chroot"
	cc=$(sed -n 's/^CC = .*)\(gcc[-0-9]*\)$/\1/p' \
		"$chroot_dir$kdir/.kernelvariables")
	# bullseye's headers set it only when cross-building ($(...)).
	cross=$(sed -n 's/^override CROSS_COMPILE = \([^$]*\)$/\1/p' \
		"$chroot_dir$kdir/.kernelvariables")
	[ -z "$cc" ] || [ -x "$chroot_dir/usr/bin/$cross$cc" ] ||
		die "the headers want $cross$cc, not in the chroot"
	# What a module built there says it is for (its vermagic).
	got=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$chroot_dir$kdir/include/generated/utsrelease.h")
	[ "$got" = "$kver" ] ||
		die "$kdir is for '$got', not $kver"
	touch "$chroot_dir/.tws-headers-$kver"
fi

put_vars "$kver" "$vmlinuz" "$root" "$kdir" "$chroot_dir"
