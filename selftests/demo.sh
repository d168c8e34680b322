#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh - what `make demo` shows inside the VM: the module loaded on a
# machine that is busy closing connections, and what it reports.

here=$(cd "$(dirname "$0")" && pwd)
ko=/tws/tw_stats.ko
gen=$here/tw_gen

show() {
	echo
	echo "# $*"
	"$@"
}

sysctl -qw net.ipv4.tcp_max_tw_buckets=100000
# Some TIME_WAIT exists before the module is loaded: it finds them.
"$gen" pairs -n 300 -p 8080
show insmod "$ko"
# A client that keeps connecting to one service, from a narrow port range.
sysctl -qw net.ipv4.ip_local_port_range="40000 40999"
"$gen" listen -p 9000 >/dev/null &
until ss -Hltn 'sport = :9000' | grep -q .; do sleep 0.1; done
"$gen" pairs --no-listen -n 800 -p 9000
# A server that closes first, over IPv6.
"$gen" pairs -n 50 -a ::1 -p 443 -c server
kill %1
show cat /proc/net/sockstat
show cat /proc/tw_stats
show sh -c 'head -n 8 /proc/tw_sockets'
show sh -c 'wc -l < /proc/tw_sockets'
if command -v twstat >/dev/null; then
	show twstat
fi
show rmmod tw_stats
