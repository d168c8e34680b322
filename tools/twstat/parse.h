/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The formats of /proc/tw_stats and /proc/tw_sockets, parsed into
 * structs.  Nothing here prints: every failure comes back as a
 * struct tw_error with the line it happened on, and the caller decides
 * what to say.  This is the part the fuzzer exercises (fuzz/).
 *
 * Both files are read line by line through a bounded reader, so a hostile
 * or broken file (a 100 MB line, binary data, millions of rows) costs at
 * most the limits in struct tw_limits and fails with a clear message.
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
#include "tw_format.h"

/* The kernel's lines are under 200 bytes; this is room, not a target. */
#define TW_LINE_MAX		1024
#define TW_MAX_TOKENS		16
/* The module lists at most max_entries <= 16777216 minisockets. */
#define TW_MAX_ROWS		16777216UL
#define TW_MAX_NETNS		65536U
#define TW_MAX_DESTS		1024U
#define TW_MAX_BUCKETS		64U
#define TW_MAX_CAUSES		8U
#define TW_NAME_MAX		16

/* The keys of /proc/tw_stats: enum twf_key of tw_format.h. */
#define TW_BIT(k)		(1ULL << (k))
#define TW_CAUSES		6	/* ended_timer .. ended_other */

enum tw_role {
	TW_ROLE_CLIENT,
	TW_ROLE_SERVER,
	TW_ROLE_OTHER,
	TW_ROLE_MAX
};

enum tw_state {
	TW_TIME_WAIT,
	TW_FIN_WAIT2,
};

struct tw_addr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char a[16];		/* network order; AF_INET uses 4 */
};

/* A row of the destination table in /proc/tw_stats. */
struct tw_dest {
	struct tw_addr local;
	struct tw_addr remote;
	unsigned int rport;
	uint64_t tw;
	uint64_t reusable;
	uint64_t ports;			/* usable ports of the range */
	double pressure;		/* percent; negative for "-" */
	/* Columns of newer modules: -1 when the file has none. */
	int64_t held;			/* ports held in any state */
	double held_pressure;		/* percent; negative for "-" */
	int64_t failed;			/* connect()s refused since load */
	int64_t in_range;		/* of tw, those in the usable range */
};

/* One bucket of the lifetime histogram: [lo, hi], hi UINT64_MAX open. */
struct tw_bucket {
	uint64_t lo, hi;
	uint64_t n[TW_MAX_CAUSES];
};

/* One block of /proc/tw_stats: a namespace, or the departed ones. */
struct tw_ns {
	unsigned long line;		/* where the block starts */
	bool departed;			/* the "netns departed" block */
	bool has_netns;			/* from the all-namespace view */
	uint64_t netns;			/* inode, when has_netns */
	uint64_t have;			/* TW_BIT(key) of the keys present */
	uint64_t val[TWF_K_MAX];
	struct tw_dest *dest;		/* busiest first, as the file says */
	unsigned int ndest;
	unsigned int ncauses;		/* lifetime columns */
	char cause[TW_MAX_CAUSES][TW_NAME_MAX];
	struct tw_bucket *bucket;
	unsigned int nbuckets;
};

struct tw_stats {
	bool all;			/* the all-namespace view */
	struct tw_ns *ns;		/* file order; departed last */
	unsigned int nns;
};

/* One row of /proc/tw_sockets. */
struct tw_sock {
	uint64_t netns;			/* 0 outside the all-namespace view */
	struct tw_addr laddr, raddr;
	unsigned int lport, rport;
	uint64_t age_ms;
	uint64_t expires_ms;
	uint64_t rearms;
	enum tw_state state;
	enum tw_role role;
	bool reuse;
};

struct tw_limits {
	unsigned long max_rows;		/* tw_sockets rows */
	unsigned int max_netns;		/* tw_stats blocks */
	unsigned int max_dests;		/* destination rows per block */
};

#define TW_LIMITS_DEFAULT { TW_MAX_ROWS, TW_MAX_NETNS, TW_MAX_DESTS }

struct tw_error {
	unsigned long line;		/* 0: not about one line */
	char msg[160];
};

/* One row of /proc/tw_failures. */
struct tw_fail {
	uint64_t netns;			/* 0 outside the all-namespace view */
	uint64_t time_ms;		/* since the epoch */
	uint64_t age_ms;
	uint64_t count;
	int64_t pid;			/* -1 for "-": not in our namespace */
	struct tw_addr local, remote;
	unsigned int rport;
	char comm[TW_NAME_MAX + 1];
};

/* Called for every row; a non-zero return stops the parse with it. */
typedef int (*tw_sock_fn)(void *ctx, const struct tw_sock *s);
typedef int (*tw_fail_fn)(void *ctx, const struct tw_fail *f);

/*
 * What a file has that this twstat does not know (@what: "key",
 * "destination column", "socket column", "failure column"), passed over;
 * for -v.  NULL (the default) says nothing.
 */
typedef void (*tw_note_fn)(const char *what, const char *name);
void tw_parse_notes(tw_note_fn fn);

int tw_parse_stats(FILE *f, const struct tw_limits *lim,
		    struct tw_stats *st, struct tw_error *err);
void tw_stats_free(struct tw_stats *st);

int tw_parse_sockets(FILE *f, const struct tw_limits *lim, bool *all,
		      tw_sock_fn fn, void *ctx, struct tw_error *err);
int tw_parse_failures(FILE *f, bool *all, tw_fail_fn fn, void *ctx,
		       struct tw_error *err);

/*
 * "1.2.3.4", "::1", "[::1]" with port NULL; "1.2.3.4:80", "[::1]:80"
 * otherwise.  Returns 0 or -1.
 */
int tw_parse_addr(const char *s, struct tw_addr *a, unsigned int *port);
int tw_addr_cmp(const struct tw_addr *x, const struct tw_addr *y);
bool tw_addr_loopback(const struct tw_addr *a);

const char *tw_key_name(enum twf_key k);
const char *tw_role_name(enum tw_role r);
const char *tw_cause_name(int cause);	/* 0 .. TW_CAUSES - 1 */

#endif /* _TWSTAT_PARSE_H */
