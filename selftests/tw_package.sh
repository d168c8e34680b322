#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module as the Debian package installs it: on the host, debinstall.sh
# installed tw-stats-dkms on Debian 13 (a chroot) and Debian 12 (the
# host), where DKMS built it for this kernel; run.sh put that build where
# DKMS puts it, in updates/dkms/.
# modprobe finds and loads it, it answers, and it unloads.  Skipped on a
# kernel the package test made no build for.

source "$(dirname "$0")/lib.sh"

dir=/lib/modules/$(uname -r)/updates/dkms
if ! ls "$dir"/tw_stats.ko* >/dev/null 2>&1; then
	echo "# no DKMS build of the package for $(uname -r)"
	exit "$ksft_skip"
fi
check_eq "modprobe finds DKMS's build" "$dir" \
	"$(dirname "$(modinfo -n tw_stats)")"
check "modprobe tw_stats loads it" modprobe tw_stats
check "it answers in /proc/tw_stats" \
	wait_until 5 grep -q '^tw_count ' /proc/tw_stats
new_ns ns
in_ns "$ns" "$TW_GEN" pairs -n 5 -p 5000 || die "tw_gen"
check "it counts what the kernel counts" \
	wait_until 10 counts_settled "$ns" 5
check "modprobe -r unloads it" modprobe -r tw_stats

finish
