/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The formats of /proc/tw_stats and /proc/tw_sockets, parsed into
 * structs.  Nothing here prints: every failure comes back as a
 * struct tws_error with the line it happened on, and the caller decides
 * what to say.  This is the part the fuzzer exercises (fuzz/).
 *
 * Both files are read line by line through a bounded reader, so a hostile
 * or broken file (a 100 MB line, binary data, millions of rows) costs at
 * most the limits in struct tws_limits and fails with a clear message.
 *
 * Forward compatibility follows the README: new tw_stats keys may appear
 * at the end of the key block and are skipped; a key this tool knows but
 * the file lacks is recorded as absent, and only a view that needs it
 * fails.  Tables may grow columns on the right.
 */
#ifndef _TWSTAT_PARSE_H
#define _TWSTAT_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "compiler.h"

/* The kernel's lines are under 200 bytes; this is room, not a target. */
#define TWS_LINE_MAX		1024
#define TWS_MAX_TOKENS		16
/* The module lists at most max_entries <= 16777216 minisockets. */
#define TWS_MAX_ROWS		16777216UL
#define TWS_MAX_NETNS		65536U
#define TWS_MAX_DESTS		1024U
#define TWS_MAX_BUCKETS		64U
#define TWS_MAX_CAUSES		8U
#define TWS_NAME_MAX		16

/* The keys of /proc/tw_stats this tool knows, in the file's order. */
enum tws_key {
	TWS_K_TW_COUNT,
	TWS_K_TW_FIN_WAIT2,
	TWS_K_ENTERED,
	TWS_K_ENDED,
	TWS_K_UNTRACKED,
	TWS_K_OVERFLOW,
	TWS_K_REUSE_ELIGIBLE,
	TWS_K_PORT_LOW,
	TWS_K_PORT_HIGH,
	TWS_K_PORTS_RESERVED,
	TWS_K_TCP_TW_REUSE,
	TWS_K_TCP_TIMESTAMPS,
	TWS_K_TCP_MAX_TW_BUCKETS,
	TWS_K_TCP_TW_REUSE_DELAY_MS,	/* 6.14+ only */
	TWS_K_ENDED_TIMER,		/* the ended_* keys stay contiguous */
	TWS_K_ENDED_REUSE,
	TWS_K_ENDED_SYN,
	TWS_K_ENDED_RST,
	TWS_K_ENDED_PURGE,
	TWS_K_ENDED_OTHER,
	TWS_K_REARMED,
	TWS_K_FIN_WAIT2_TO_TIME_WAIT,
	TWS_K_TW_MEMORY_BYTES,
	TWS_K_TABLE_MEMORY_BYTES,
	TWS_K_ROLE_CLIENT,		/* the role_* keys stay contiguous */
	TWS_K_ROLE_SERVER,
	TWS_K_ROLE_OTHER,
	TWS_K_CONNECT_FAILED,		/* modules with the failure hook */
	TWS_K_PORTS_BOUND,		/* with the held count */
	TWS_K_PORTS_USABLE,
	TWS_K_NAMESPACES,		/* the departed block only */
	TWS_K_MAX
};

#define TWS_BIT(k)		(1ULL << (k))
#define TWS_CAUSES		6	/* ended_timer .. ended_other */

enum tws_role {
	TWS_ROLE_CLIENT,
	TWS_ROLE_SERVER,
	TWS_ROLE_OTHER,
	TWS_ROLE_MAX
};

enum tws_state {
	TWS_TIME_WAIT,
	TWS_FIN_WAIT2,
};

struct tws_addr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char a[16];		/* network order; AF_INET uses 4 */
};

/* A row of the destination table in /proc/tw_stats. */
struct tws_dest {
	struct tws_addr local;
	struct tws_addr remote;
	unsigned int rport;
	uint64_t tw;
	uint64_t reusable;
	uint64_t ports;			/* usable ports of the range */
	double pressure;		/* percent; negative for "-" */
	/* Columns of newer modules: -1 when the file has none. */
	int64_t held;			/* ports held in any state */
	double held_pressure;		/* percent; negative for "-" */
	int64_t failed;			/* connect()s refused since load */
};

/* One bucket of the lifetime histogram: [lo, hi], hi UINT64_MAX open. */
struct tws_bucket {
	uint64_t lo, hi;
	uint64_t n[TWS_MAX_CAUSES];
};

/* One block of /proc/tw_stats: a namespace, or the departed ones. */
struct tws_ns {
	unsigned long line;		/* where the block starts */
	bool departed;			/* the "netns departed" block */
	bool has_netns;			/* from the all-namespace view */
	uint64_t netns;			/* inode, when has_netns */
	uint64_t have;			/* TWS_BIT(key) of the keys present */
	uint64_t val[TWS_K_MAX];
	struct tws_dest *dest;		/* busiest first, as the file says */
	unsigned int ndest;
	unsigned int ncauses;		/* lifetime columns */
	char cause[TWS_MAX_CAUSES][TWS_NAME_MAX];
	struct tws_bucket *bucket;
	unsigned int nbuckets;
};

struct tws_stats {
	bool all;			/* the all-namespace view */
	struct tws_ns *ns;		/* file order; departed last */
	unsigned int nns;
};

/* One row of /proc/tw_sockets. */
struct tws_sock {
	uint64_t netns;			/* 0 outside the all-namespace view */
	struct tws_addr laddr, raddr;
	unsigned int lport, rport;
	uint64_t age_ms;
	uint64_t expires_ms;
	uint64_t rearms;
	enum tws_state state;
	enum tws_role role;
	bool reuse;
};

struct tws_limits {
	unsigned long max_rows;		/* tw_sockets rows */
	unsigned int max_netns;		/* tw_stats blocks */
	unsigned int max_dests;		/* destination rows per block */
};

#define TWS_LIMITS_DEFAULT { TWS_MAX_ROWS, TWS_MAX_NETNS, TWS_MAX_DESTS }

struct tws_error {
	unsigned long line;		/* 0: not about one line */
	char msg[160];
};

/* One row of /proc/tw_failures. */
struct tws_fail {
	uint64_t netns;			/* 0 outside the all-namespace view */
	uint64_t time_ms;		/* since the epoch */
	uint64_t age_ms;
	uint64_t count;
	int64_t pid;			/* -1 for "-": not in our namespace */
	struct tws_addr local, remote;
	unsigned int rport;
	char comm[TWS_NAME_MAX + 1];
};

/* Called for every row; a non-zero return stops the parse with it. */
typedef int (*tws_sock_fn)(void *ctx, const struct tws_sock *s);
typedef int (*tws_fail_fn)(void *ctx, const struct tws_fail *f);

int tws_parse_stats(FILE *f, const struct tws_limits *lim,
		    struct tws_stats *st, struct tws_error *err);
void tws_stats_free(struct tws_stats *st);

int tws_parse_sockets(FILE *f, const struct tws_limits *lim, bool *all,
		      tws_sock_fn fn, void *ctx, struct tws_error *err);
int tws_parse_failures(FILE *f, bool *all, tws_fail_fn fn, void *ctx,
		       struct tws_error *err);

/*
 * "1.2.3.4", "::1", "[::1]" with port NULL; "1.2.3.4:80", "[::1]:80"
 * otherwise.  Returns 0 or -1.
 */
int tws_parse_addr(const char *s, struct tws_addr *a, unsigned int *port);
int tws_addr_cmp(const struct tws_addr *x, const struct tws_addr *y);
bool tws_addr_loopback(const struct tws_addr *a);

const char *tws_key_name(enum tws_key k);
const char *tws_role_name(enum tws_role r);
const char *tws_cause_name(int cause);	/* 0 .. TWS_CAUSES - 1 */

#endif /* _TWSTAT_PARSE_H */
