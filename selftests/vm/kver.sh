#!/bin/sh
# kver.sh - print the version of the kernel the test VM boots.
#
# The host's running kernel is irrelevant (it cannot load modules); what
# matters is the newest installed Debian image that also has its headers, so
# that the module is built for exactly the kernel boot.sh starts.
#
# Usage: kver.sh   -> prints e.g. 6.1.0-56-amd64; exit 1 if there is none.
# Then: VMLINUZ=/boot/vmlinuz-$KVER, KDIR=/lib/modules/$KVER/build.
set -eu

for v in $(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-//p' | sort -rV); do
	if [ -e "/lib/modules/$v/build/Makefile" ]; then
		echo "$v"
		exit 0
	fi
done
echo "kver.sh: no /boot/vmlinuz-V with /lib/modules/V/build" \
	"(run deps.sh)" >&2
exit 1
