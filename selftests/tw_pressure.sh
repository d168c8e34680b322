#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Port pressure: with ip_local_port_range narrowed to 10 ports and 10
# TIME_WAITs to one destination, that destination is at 100% and the
# kernel's next connect() there fails with EADDRNOTAVAIL.

source "$(dirname "$0")/lib.sh"

new_ns ns "40000 40009"
in_ns "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=0
load_module || die "insmod failed"
listen "$ns" 7000

in_ns "$ns" "$TW_GEN" pairs --no-listen -n 10 -p 7000 || die "tw_gen"
check "10 TIME_WAITs to one destination" wait_until 5 counts_settled "$ns" 10
check_eq "port range shown" "40000 40009" \
	"$(field "$ns" port_low) $(field "$ns" port_high)"
check_eq "its row counts 10" 10 "$(dest_col "$ns" 127.0.0.1:7000 tw)"
check_eq "10 usable ports" 10 "$(dest_col "$ns" 127.0.0.1:7000 ports)"
check_eq "pressure 100%" "100.0%" "$(dest_col "$ns" 127.0.0.1:7000 pressure)"
check_eq "in_range, the count behind it, 10" 10 \
	"$(dest_col "$ns" 127.0.0.1:7000 in_range)"
check_eq "the kernel agrees: connect() fails" EADDRNOTAVAIL \
	"$(in_ns "$ns" "$TW_GEN" connect -a 127.0.0.1 -p 7000)"

# Reserved ports leave the usable count.
new_ns rs "41000 41009"
in_ns "$rs" sysctl -qw net.ipv4.ip_local_reserved_ports="41003,41007"
in_ns "$rs" sysctl -qw net.ipv4.tcp_tw_reuse=0
listen "$rs" 7001
in_ns "$rs" "$TW_GEN" pairs --no-listen -n 4 -p 7001 || die "tw_gen"
check_eq "reserved ports counted" 2 "$(field "$rs" ports_reserved)"
check_eq "usable is range minus reserved" 8 \
	"$(dest_col "$rs" 127.0.0.1:7001 ports)"
check_eq "pressure 4 of 8" "50.0%" "$(dest_col "$rs" 127.0.0.1:7001 pressure)"
check_eq "in_range 4" 4 "$(dest_col "$rs" 127.0.0.1:7001 in_range)"
in_ns "$rs" "$TW_GEN" pairs --no-listen -n 4 -p 7001 || die "tw_gen"
check_eq "pressure 8 of 8" "100.0%" "$(dest_col "$rs" 127.0.0.1:7001 pressure)"
check_eq "and connect() fails there too" EADDRNOTAVAIL \
	"$(in_ns "$rs" "$TW_GEN" connect -a 127.0.0.1 -p 7001)"

# An odd-sized range: connect() never uses its last port.
in_ns "$rs" sysctl -qw net.ipv4.ip_local_port_range="41000 41010"
check_eq "odd range: still 8 usable" 8 "$(dest_col "$rs" 127.0.0.1:7001 ports)"

# A changed range is taken into account at the next read.
in_ns "$rs" sysctl -qw net.ipv4.ip_local_port_range="41000 41019"
check_eq "widened range: 8 of 18" "44.4%" \
	"$(dest_col "$rs" 127.0.0.1:7001 pressure)"
check_eq "in_range still 8" 8 "$(dest_col "$rs" 127.0.0.1:7001 in_range)"

# tcp_max_tw_buckets reached: tcp_time_wait() gets no minisocket.
new_ns ov
in_ns "$ov" sysctl -qw net.ipv4.tcp_max_tw_buckets=5
in_ns "$ov" "$TW_GEN" pairs -n 5 -p 7002 || die "tw_gen"
# These never reach TIME_WAIT: tw_gen waits for them, then gives up.
in_ns "$ov" "$TW_GEN" pairs -n 3 -p 7003 2>/dev/null
check_eq "overflow counts the closes that got no minisocket" 3 \
	"$(field "$ov" overflow)"
check_eq "as TcpExtTCPTimeWaitOverflow does" \
	"$(nstat_get "$ov" TcpExtTCPTimeWaitOverflow)" "$(field "$ov" overflow)"
check "tw_count stays at the limit" counts_settled "$ov" 5

finish
