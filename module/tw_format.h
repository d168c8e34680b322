/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names of /proc/tw_stats, /proc/tw_sockets and /proc/tw_failures,
 * written once: the module prints them, twstat parses by them
 * (tools/twstat includes this file), and tools/twstat/tests/mkfixtures.py
 * reads them from here.  The files are an interface (README): a name is
 * never changed or reused, and what is new goes at the end of its list.
 *
 * Lists are initializers, for an array of the size its user needs:
 *	static const char *const names[TWF_K_MAX] = { TWF_KEY_NAMES };
 * Plain C, no header needed.
 */
#ifndef _TW_FORMAT_H
#define _TW_FORMAT_H

/* A namespace's key block of /proc/tw_stats, in file order. */
enum twf_key {
	TWF_K_TW_COUNT,
	TWF_K_TW_FIN_WAIT2,
	TWF_K_ENTERED,
	TWF_K_ENDED,
	TWF_K_UNTRACKED,
	TWF_K_OVERFLOW,
	TWF_K_REUSE_ELIGIBLE,
	TWF_K_PORT_LOW,
	TWF_K_PORT_HIGH,
	TWF_K_PORTS_RESERVED,
	TWF_K_TCP_TW_REUSE,
	TWF_K_TCP_TIMESTAMPS,
	TWF_K_TCP_MAX_TW_BUCKETS,
	TWF_K_TCP_TW_REUSE_DELAY_MS,
	TWF_K_ENDED_TIMER,
	TWF_K_ENDED_REUSE,
	TWF_K_ENDED_SYN,
	TWF_K_ENDED_RST,
	TWF_K_ENDED_PURGE,
	TWF_K_ENDED_OTHER,
	TWF_K_REARMED,
	TWF_K_FIN_WAIT2_TO_TIME_WAIT,
	TWF_K_TW_MEMORY_BYTES,
	TWF_K_TABLE_MEMORY_BYTES,
	TWF_K_ROLE_CLIENT,
	TWF_K_ROLE_SERVER,
	TWF_K_ROLE_OTHER,
	TWF_K_PROBE_MISSED,
	TWF_K_EVENTS_DROPPED,
	TWF_K_RECONCILED,
	TWF_K_CONNECT_FAILED,
	TWF_K_CONNECT_FAILED_DROPPED,
	TWF_K_PORTS_BOUND,
	TWF_K_PORTS_USABLE,
	TWF_K_HELD_MAX_PRESSURE,
	TWF_K_HELD_UNRANKED,
	/* the all view's departed block only */
	TWF_K_NAMESPACES,
	TWF_K_MODULE_MEMORY_BYTES,
	TWF_K_MAX
};

#define TWF_KEY_NAMES						\
	[TWF_K_TW_COUNT] = "tw_count",				\
	[TWF_K_TW_FIN_WAIT2] = "tw_fin_wait2",			\
	[TWF_K_ENTERED] = "entered",				\
	[TWF_K_ENDED] = "ended",				\
	[TWF_K_UNTRACKED] = "untracked",			\
	[TWF_K_OVERFLOW] = "overflow",				\
	[TWF_K_REUSE_ELIGIBLE] = "reuse_eligible",		\
	[TWF_K_PORT_LOW] = "port_low",				\
	[TWF_K_PORT_HIGH] = "port_high",			\
	[TWF_K_PORTS_RESERVED] = "ports_reserved",		\
	[TWF_K_TCP_TW_REUSE] = "tcp_tw_reuse",			\
	[TWF_K_TCP_TIMESTAMPS] = "tcp_timestamps",		\
	[TWF_K_TCP_MAX_TW_BUCKETS] = "tcp_max_tw_buckets",	\
	[TWF_K_TCP_TW_REUSE_DELAY_MS] = "tcp_tw_reuse_delay_ms",	\
	[TWF_K_ENDED_TIMER] = "ended_timer",			\
	[TWF_K_ENDED_REUSE] = "ended_reuse",			\
	[TWF_K_ENDED_SYN] = "ended_syn",			\
	[TWF_K_ENDED_RST] = "ended_rst",			\
	[TWF_K_ENDED_PURGE] = "ended_purge",			\
	[TWF_K_ENDED_OTHER] = "ended_other",			\
	[TWF_K_REARMED] = "rearmed",				\
	[TWF_K_FIN_WAIT2_TO_TIME_WAIT] = "fin_wait2_to_time_wait",	\
	[TWF_K_TW_MEMORY_BYTES] = "tw_memory_bytes",		\
	[TWF_K_TABLE_MEMORY_BYTES] = "table_memory_bytes",	\
	[TWF_K_ROLE_CLIENT] = "role_client",			\
	[TWF_K_ROLE_SERVER] = "role_server",			\
	[TWF_K_ROLE_OTHER] = "role_other",			\
	[TWF_K_PROBE_MISSED] = "probe_missed",			\
	[TWF_K_EVENTS_DROPPED] = "events_dropped",		\
	[TWF_K_RECONCILED] = "reconciled",			\
	[TWF_K_CONNECT_FAILED] = "connect_failed",		\
	[TWF_K_CONNECT_FAILED_DROPPED] = "connect_failed_dropped",	\
	[TWF_K_PORTS_BOUND] = "ports_bound",			\
	[TWF_K_PORTS_USABLE] = "ports_usable",			\
	[TWF_K_HELD_MAX_PRESSURE] = "held_max_pressure",	\
	[TWF_K_HELD_UNRANKED] = "held_unranked",		\
	[TWF_K_NAMESPACES] = "namespaces",			\
	[TWF_K_MODULE_MEMORY_BYTES] = "module_memory_bytes"

/* How a minisocket ended: ended_<cause> keys, lifetime columns. */
#define TWF_CAUSE_NAMES	"timer", "reuse", "syn", "rst", "purge", "other"

/* Which side closed first: role_<role> keys, the role column. */
#define TWF_ROLE_NAMES	"client", "server", "other"

/* The destination table of /proc/tw_stats. */
#define TWF_DEST_COLS	\
	"local", "remote", "tw", "reusable", "ports", "pressure", \
	"held", "held_pressure", "failed", "in_range"

/* /proc/tw_sockets, after the netns column of the all view. */
#define TWF_SOCK_COLS	\
	"local", "remote", "state", "age_ms", "expires_ms", "reuse", \
	"rearms", "role"

/* /proc/tw_failures, after the netns column of the all view. */
#define TWF_FAIL_COLS	\
	"time", "age_ms", "count", "pid", "local", "remote", "comm"

#define TWF_NETNS		"netns"		/* first key or column */
#define TWF_DEPARTED		"departed"	/* "netns departed" */
#define TWF_LIFETIME		"lifetime_ms"	/* the lifetime table */
#define TWF_TIME_WAIT		"TIME_WAIT"	/* sockets' states */
#define TWF_FIN_WAIT2		"FIN_WAIT2"

#endif /* _TW_FORMAT_H */
