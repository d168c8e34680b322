#!/bin/sh
# deps.sh - install what building tw_stats and booting the test VM needs.
#
# CI starts on a fresh Debian machine, so the VM harness must bring its own
# tools. Each package is installed with apt-get only when the command or file
# it provides is missing; when everything is present this prints nothing and
# touches nothing. Also makes sure the headers of the newest installed
# kernel image are there (the module must be built for the kernel we boot).
#
# Usage: deps.sh            (as root; exits non-zero if apt-get fails)
set -eu

missing=""

need() {	# need PACKAGE TEST-ARGS...: queue PACKAGE unless test holds
	pkg=$1
	shift
	"$@" || missing="$missing $pkg"
}

have_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			[ -x "/usr/sbin/$c" ] || [ -x "/sbin/$c" ] || return 1
	done
}

have_pkg() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
		grep -q 'install ok installed'
}

need qemu-system-x86 have_cmd qemu-system-x86_64
need busybox-static have_pkg busybox-static
need cpio have_cmd cpio
need kmod have_cmd kmod modprobe depmod insmod
need iproute2 have_cmd ip ss nstat
need gcc have_cmd gcc
need make have_cmd make
need libc6-dev test -e /usr/include/stdio.h
need clang have_cmd clang
need groff-base have_cmd groff
need python3 have_cmd python3
# The packages' systemd units are verified (debinstall.sh).
need systemd have_cmd systemd-analyze
# contrib/kubernetes is linted, having no cluster to run on.
need yamllint have_cmd yamllint
need linux-image-amd64 have_pkg linux-image-amd64
need linux-headers-amd64 have_pkg linux-headers-amd64
# The debug kernel's build (debugkernel.sh).
need bc have_cmd bc
need flex have_cmd flex
need bison have_cmd bison
need libelf-dev test -e /usr/include/libelf.h
need libssl-dev test -e /usr/include/openssl/ssl.h

updated=""
apt_install() {
	if [ -z "$updated" ]; then
		apt-get update -qq >/dev/null
		updated=1
	fi
	echo "deps.sh: installing:$*" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "$@" >/dev/null
}

if [ -n "$missing" ]; then
	# shellcheck disable=SC2086	# word splitting wanted
	apt_install $missing
fi

# The headers must match the kernel that boot.sh boots: the newest
# /boot/vmlinuz-*. The metapackages can drift apart when only one of them
# was installed earlier, so install the matching headers if needed.
kver=$(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-//p' | sort -V | tail -n 1)
if [ -n "$kver" ] && [ ! -e "/lib/modules/$kver/build/Makefile" ]; then
	apt_install "linux-headers-$kver"
fi

# libFuzzer (twstat's parser) ships apart from clang, versioned like it.
rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)
if [ ! -e "$rt" ]; then
	apt_install "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
fi
