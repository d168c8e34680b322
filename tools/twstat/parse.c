// SPDX-License-Identifier: GPL-2.0
/*
 * Parser of /proc/tw_stats and /proc/tw_sockets (see parse.h and the
 * README for the formats).  Strict about structure, so that a truncated
 * or corrupted file is reported instead of half-understood, and tolerant
 * only where the README promises growth: keys at the end of the key
 * block, columns at the right of a table.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "parse.h"

static const char *const tws_key_names[TWS_K_MAX] = {
	[TWS_K_TW_COUNT]		= "tw_count",
	[TWS_K_TW_FIN_WAIT2]		= "tw_fin_wait2",
	[TWS_K_ENTERED]			= "entered",
	[TWS_K_ENDED]			= "ended",
	[TWS_K_UNTRACKED]		= "untracked",
	[TWS_K_OVERFLOW]		= "overflow",
	[TWS_K_REUSE_ELIGIBLE]		= "reuse_eligible",
	[TWS_K_PORT_LOW]		= "port_low",
	[TWS_K_PORT_HIGH]		= "port_high",
	[TWS_K_PORTS_RESERVED]		= "ports_reserved",
	[TWS_K_TCP_TW_REUSE]		= "tcp_tw_reuse",
	[TWS_K_TCP_TIMESTAMPS]		= "tcp_timestamps",
	[TWS_K_TCP_MAX_TW_BUCKETS]	= "tcp_max_tw_buckets",
	[TWS_K_TCP_TW_REUSE_DELAY_MS]	= "tcp_tw_reuse_delay_ms",
	[TWS_K_ENDED_TIMER]		= "ended_timer",
	[TWS_K_ENDED_REUSE]		= "ended_reuse",
	[TWS_K_ENDED_SYN]		= "ended_syn",
	[TWS_K_ENDED_RST]		= "ended_rst",
	[TWS_K_ENDED_PURGE]		= "ended_purge",
	[TWS_K_ENDED_OTHER]		= "ended_other",
	[TWS_K_REARMED]			= "rearmed",
	[TWS_K_FIN_WAIT2_TO_TIME_WAIT]	= "fin_wait2_to_time_wait",
	[TWS_K_TW_MEMORY_BYTES]		= "tw_memory_bytes",
	[TWS_K_TABLE_MEMORY_BYTES]	= "table_memory_bytes",
	[TWS_K_ROLE_CLIENT]		= "role_client",
	[TWS_K_ROLE_SERVER]		= "role_server",
	[TWS_K_ROLE_OTHER]		= "role_other",
	[TWS_K_CONNECT_FAILED]		= "connect_failed",
	[TWS_K_PORTS_BOUND]		= "ports_bound",
	[TWS_K_PORTS_USABLE]		= "ports_usable",
	[TWS_K_NAMESPACES]		= "namespaces",
};

static const char *const tws_role_names[TWS_ROLE_MAX] = {
	[TWS_ROLE_CLIENT]	= "client",
	[TWS_ROLE_SERVER]	= "server",
	[TWS_ROLE_OTHER]	= "other",
};

static const char *const tws_dest_cols[] = {
	"local", "remote", "tw", "reusable", "ports", "pressure",
};

/* Right of the known ones in newer modules; found by name. */
static const char *const tws_dest_more[] = {
	"held", "held_pressure", "failed",
};

static const char *const tws_fail_cols[] = {
	"time", "age_ms", "count", "pid", "local", "remote", "comm",
};

static const char *const tws_sock_cols[] = {
	"local", "remote", "state", "age_ms", "expires_ms", "reuse",
	"rearms", "role",
};

#define TWS_DEST_COLS		ARRAY_SIZE(tws_dest_cols)
#define TWS_SOCK_COLS		ARRAY_SIZE(tws_sock_cols)
#define TWS_FAIL_COLS		ARRAY_SIZE(tws_fail_cols)
#define TWS_DEST_MORE		ARRAY_SIZE(tws_dest_more)

const char *tws_key_name(enum tws_key k)
{
	return k < TWS_K_MAX ? tws_key_names[k] : "?";
}

const char *tws_role_name(enum tws_role r)
{
	return r < TWS_ROLE_MAX ? tws_role_names[r] : "?";
}

const char *tws_cause_name(int cause)
{
	if (cause < 0 || cause >= TWS_CAUSES)
		return "?";
	/* "ended_timer" -> "timer" */
	return tws_key_names[TWS_K_ENDED_TIMER + cause] + strlen("ended_");
}

/* --- errors and the line reader ---------------------------------------- */

static __printf(3, 4) int tws_fail(struct tws_error *err,
				   unsigned long line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

struct tws_lines {
	FILE *f;
	unsigned long no;		/* of the current line */
	char buf[TWS_LINE_MAX + 1];
	char *tok[TWS_MAX_TOKENS];
	unsigned int ntok;
};

static int tws_split(struct tws_lines *r, struct tws_error *err)
{
	char *p = r->buf;

	r->ntok = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		if (r->ntok == TWS_MAX_TOKENS)
			return tws_fail(err, r->no, "more than %d columns",
					TWS_MAX_TOKENS);
		r->tok[r->ntok++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/*
 * Reads and splits the next line: 1, 0 at the end of the file, -1 on
 * error.  Never reads more than TWS_LINE_MAX + 1 bytes of a line, so a
 * huge line fails early instead of being swallowed.
 */
static int tws_next(struct tws_lines *r, struct tws_error *err)
{
	size_t n = 0;
	int c;

	r->no++;
	while ((c = getc_unlocked(r->f)) != EOF) {
		if (c == '\n') {
			r->buf[n] = '\0';
			return tws_split(r, err) ? -1 : 1;
		}
		if (n == TWS_LINE_MAX)
			return tws_fail(err, r->no, "line longer than %d bytes",
					TWS_LINE_MAX);
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return tws_fail(err, r->no,
					"binary data (byte 0x%02x at column %zu)",
					c, n + 1);
		r->buf[n++] = (char)c;
	}
	if (ferror(r->f))
		return tws_fail(err, r->no, "read error: %s", strerror(errno));
	if (n)
		return tws_fail(err, r->no, "no newline at the end (truncated?)");
	r->ntok = 0;
	return 0;
}

/* Like tws_next(), where the end of the file means the file was cut. */
static int tws_more(struct tws_lines *r, struct tws_error *err,
		    const char *where)
{
	int rc = tws_next(r, err);

	if (!rc)
		return tws_fail(err, r->no, "unexpected end of file %s (truncated?)",
				where);
	return rc < 0 ? -1 : 0;
}

/* --- fields ------------------------------------------------------------ */

/* 0, or -1 for not a number, -2 for a number that does not fit. */
static int tws_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned int d = (unsigned char)*s - '0';

		if (d > 9)
			return -1;
		if (x > (UINT64_MAX - d) / 10)
			return -2;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int tws_number(struct tws_lines *r, const char *s, const char *what,
		      uint64_t *v, struct tws_error *err)
{
	switch (tws_u64(s, v)) {
	case 0:
		return 0;
	case -2:
		return tws_fail(err, r->no, "%s: number out of range: '%.32s'",
				what, s);
	default:
		return tws_fail(err, r->no, "%s: not a number: '%.32s'", what,
				s);
	}
}

static int tws_port(const char *s, unsigned int *port)
{
	uint64_t v;

	if (strlen(s) > 5 || tws_u64(s, &v) || v > 65535)
		return -1;
	*port = (unsigned int)v;
	return 0;
}

static int tws_pton(const char *s, size_t len, struct tws_addr *a)
{
	char buf[64];

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (!memchr(buf, ':', len)) {
		a->family = AF_INET;
		return inet_pton(AF_INET, buf, a->a) == 1 ? 0 : -1;
	}
	a->family = AF_INET6;
	return inet_pton(AF_INET6, buf, a->a) == 1 ? 0 : -1;
}

int tws_parse_addr(const char *s, struct tws_addr *a, unsigned int *port)
{
	const char *end, *colon;

	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || tws_pton(s + 1, end - s - 1, a) ||
		    a->family != AF_INET6)
			return -1;
		if (!port)
			return end[1] ? -1 : 0;
		return end[1] == ':' ? tws_port(end + 2, port) : -1;
	}
	if (!port)
		return tws_pton(s, strlen(s), a);
	/* Without brackets only IPv4 may carry a port. */
	colon = strchr(s, ':');
	if (!colon || strchr(colon + 1, ':'))
		return -1;
	if (tws_pton(s, colon - s, a) || a->family != AF_INET)
		return -1;
	return tws_port(colon + 1, port);
}

int tws_addr_cmp(const struct tws_addr *x, const struct tws_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, sizeof(x->a));
}

bool tws_addr_loopback(const struct tws_addr *a)
{
	static const unsigned char v6lo[16] = { [15] = 1 };
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET)
		return a->a[0] == 127;
	if (!memcmp(a->a, v6lo, sizeof(v6lo)))
		return true;
	return !memcmp(a->a, mapped, sizeof(mapped)) && a->a[12] == 127;
}

static int tws_addr_field(struct tws_lines *r, const char *s, bool port,
			  const char *what, struct tws_addr *a,
			  unsigned int *p, struct tws_error *err)
{
	if (tws_parse_addr(s, a, port ? p : NULL))
		return tws_fail(err, r->no, "%s: bad address: '%.64s'", what,
				s);
	return 0;
}

/* "58.0%" -> 58.0, "-" -> -1 */
static int tws_pressure(struct tws_lines *r, const char *s, double *pct,
			struct tws_error *err)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	const char *p = s;

	if (!strcmp(s, "-")) {
		*pct = -1;
		return 0;
	}
	for (; *p >= '0' && *p <= '9' && p - s < 9; p++)
		whole = whole * 10 + (uint64_t)(*p - '0');
	if (p == s)
		goto bad;
	if (*p == '.') {
		const char *q = ++p;

		for (; *p >= '0' && *p <= '9' && p - q < 6; p++) {
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		if (p == q)
			goto bad;
	}
	if (p[0] != '%' || p[1])
		goto bad;
	*pct = (double)whole + (double)frac / (double)scale;
	return 0;
bad:
	return tws_fail(err, r->no, "pressure: expected 'N.N%%' or '-', got '%.32s'",
			s);
}

static bool tws_blank(const struct tws_lines *r)
{
	return !r->ntok;
}

static int tws_columns(struct tws_lines *r, unsigned int want,
		       struct tws_error *err)
{
	if (r->ntok != want)
		return tws_fail(err, r->no, "expected %u columns, got %u", want,
				r->ntok);
	return 0;
}

/* A header starts with the known names; more columns may follow. */
static int tws_header(struct tws_lines *r, unsigned int off,
		      const char *const *names, unsigned int n,
		      const char *what, struct tws_error *err)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (off + i >= r->ntok || strcmp(r->tok[off + i], names[i]))
			return tws_fail(err, r->no,
					"missing %s header (expected '%s' in column %u)",
					what, names[i], off + i + 1);
	return 0;
}

/* --- /proc/tw_stats ---------------------------------------------------- */

static bool tws_key_syntax(const char *s)
{
	size_t n = 0;

	if (*s < 'a' || *s > 'z')
		return false;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return false;
	return n < 64;
}

static int tws_key_line(struct tws_lines *r, struct tws_ns *ns,
			struct tws_error *err)
{
	unsigned int k;

	if (r->ntok != 2 || !tws_key_syntax(r->tok[0]))
		return tws_fail(err, r->no, "expected 'name value', got '%.40s'",
				r->buf);
	if (!strcmp(r->tok[0], "netns"))
		return tws_fail(err, r->no, "'netns' inside a block (a block was cut?)");
	for (k = 0; k < TWS_K_MAX; k++)
		if (!strcmp(r->tok[0], tws_key_names[k]))
			break;
	if (k == TWS_K_MAX)
		return 0;		/* a newer module's key: skip */
	if (ns->have & TWS_BIT(k))
		return tws_fail(err, r->no, "duplicate key '%s'", r->tok[0]);
	if (tws_number(r, r->tok[1], r->tok[0], &ns->val[k], err))
		return -1;
	ns->have |= TWS_BIT(k);
	return 0;
}

/* From the first key line to the blank line after the last. */
static int tws_keys(struct tws_lines *r, struct tws_ns *ns,
		    struct tws_error *err)
{
	if (tws_blank(r))
		return tws_fail(err, r->no, "expected 'name value', got a blank line");
	while (!tws_blank(r)) {
		if (tws_key_line(r, ns, err) ||
		    tws_more(r, err, "in the key block"))
			return -1;
	}
	return 0;
}

/* Where each of tws_dest_more[] is in the header, 0 for nowhere. */
struct tws_dest_at {
	unsigned int col[TWS_DEST_MORE];
};

static int tws_dest_more_row(struct tws_lines *r, const struct tws_dest_at *at,
			     struct tws_dest *d, struct tws_error *err)
{
	uint64_t v;

	d->held = -1;
	d->held_pressure = -1;
	d->failed = -1;
	if (at->col[0]) {
		if (tws_number(r, r->tok[at->col[0]], "held", &v, err))
			return -1;
		d->held = (int64_t)(v > INT64_MAX ? INT64_MAX : v);
	}
	if (at->col[1] && tws_pressure(r, r->tok[at->col[1]],
				       &d->held_pressure, err))
		return -1;
	if (at->col[2]) {
		if (tws_number(r, r->tok[at->col[2]], "failed", &v, err))
			return -1;
		d->failed = (int64_t)(v > INT64_MAX ? INT64_MAX : v);
	}
	return 0;
}

static int tws_dest_row(struct tws_lines *r, unsigned int ncols,
			const struct tws_dest_at *at, struct tws_dest *d,
			struct tws_error *err)
{
	if (tws_columns(r, ncols, err) ||
	    tws_addr_field(r, r->tok[0], false, "local", &d->local, NULL,
			   err) ||
	    tws_addr_field(r, r->tok[1], true, "remote", &d->remote,
			   &d->rport, err) ||
	    tws_number(r, r->tok[2], "tw", &d->tw, err) ||
	    tws_number(r, r->tok[3], "reusable", &d->reusable, err) ||
	    tws_number(r, r->tok[4], "ports", &d->ports, err) ||
	    tws_pressure(r, r->tok[5], &d->pressure, err) ||
	    tws_dest_more_row(r, at, d, err))
		return -1;
	if (d->local.family != d->remote.family)
		return tws_fail(err, r->no, "local and remote of different families");
	return 0;
}

/*
 * Room for element @n of @size bytes in @arr of *@cap, doubling; at most
 * @max (@what names them).  Returns the array, or NULL with @err set and
 * @arr left to its owner.
 */
static void *tws_grow(struct tws_lines *r, void *arr, unsigned int n,
		      unsigned int *cap, unsigned int max, size_t size,
		      const char *what, struct tws_error *err)
{
	if (n == max) {
		tws_fail(err, r->no, "more than %u %s", max, what);
		return NULL;
	}
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	arr = realloc(arr, (size_t)*cap * size);
	if (!arr)
		tws_fail(err, r->no, "out of memory");
	return arr;
}

/* From the header to the blank line after the last row. */
static int tws_dests(struct tws_lines *r, const struct tws_limits *lim,
		     struct tws_ns *ns, struct tws_error *err)
{
	unsigned int ncols = r->ntok, cap = 0, i, j;
	struct tws_dest_at at = { { 0 } };

	if (tws_header(r, 0, tws_dest_cols, TWS_DEST_COLS, "destination",
		       err))
		return -1;
	for (i = TWS_DEST_COLS; i < ncols; i++)
		for (j = 0; j < TWS_DEST_MORE; j++)
			if (!strcmp(r->tok[i], tws_dest_more[j]) && !at.col[j])
				at.col[j] = i;
	if (tws_more(r, err, "in the destination table"))
		return -1;
	while (!tws_blank(r)) {
		struct tws_dest *d = tws_grow(r, ns->dest, ns->ndest, &cap,
					      lim->max_dests, sizeof(*d),
					      "destinations", err);

		if (!d)
			return -1;
		ns->dest = d;
		if (tws_dest_row(r, ncols, &at, &ns->dest[ns->ndest], err))
			return -1;
		ns->ndest++;
		if (tws_more(r, err, "in the destination table"))
			return -1;
	}
	return 0;
}

/* "0", "2-3", "131072-" */
static int tws_bucket_label(struct tws_lines *r, const char *s,
			    struct tws_bucket *b, struct tws_error *err)
{
	char lo[24];
	const char *dash = strchr(s, '-');
	size_t n = dash ? (size_t)(dash - s) : strlen(s);

	if (n >= sizeof(lo))
		goto bad;
	memcpy(lo, s, n);
	lo[n] = '\0';
	if (tws_u64(lo, &b->lo))
		goto bad;
	b->hi = b->lo;
	if (dash && !dash[1])
		b->hi = UINT64_MAX;
	else if (dash && (tws_u64(dash + 1, &b->hi) || b->hi < b->lo))
		goto bad;
	return 0;
bad:
	return tws_fail(err, r->no, "bad lifetime bucket '%.32s'", s);
}

static int tws_life_header(struct tws_lines *r, struct tws_ns *ns,
			   struct tws_error *err)
{
	unsigned int i;

	if (!r->ntok || strcmp(r->tok[0], "lifetime_ms"))
		return tws_fail(err, r->no, "missing lifetime header (expected 'lifetime_ms')");
	if (r->ntok < 2 || r->ntok > TWS_MAX_CAUSES + 1)
		return tws_fail(err, r->no, "lifetime header: %u causes, expected 1 to %u",
				r->ntok - 1, TWS_MAX_CAUSES);
	ns->ncauses = r->ntok - 1;
	for (i = 0; i < ns->ncauses; i++) {
		if (strlen(r->tok[i + 1]) >= TWS_NAME_MAX)
			return tws_fail(err, r->no, "lifetime header: name too long");
		strcpy(ns->cause[i], r->tok[i + 1]);
	}
	return 0;
}

static int tws_life_row(struct tws_lines *r, struct tws_ns *ns,
			struct tws_bucket *b, struct tws_error *err)
{
	unsigned int i;

	if (tws_columns(r, ns->ncauses + 1, err) ||
	    tws_bucket_label(r, r->tok[0], b, err))
		return -1;
	for (i = 0; i < ns->ncauses; i++)
		if (tws_number(r, r->tok[i + 1], ns->cause[i], &b->n[i], err))
			return -1;
	return 0;
}

/*
 * From the header to the blank line or end of file after the last row:
 * returns 1 at a blank line, 0 at the end of the file.
 */
static int tws_life(struct tws_lines *r, struct tws_ns *ns,
		    struct tws_error *err)
{
	struct tws_bucket *b;
	unsigned int cap = 0;
	int rc;

	if (tws_life_header(r, ns, err))
		return -1;
	for (;;) {
		rc = tws_next(r, err);
		if (rc < 0)
			return -1;
		if (!rc || tws_blank(r))
			break;
		b = tws_grow(r, ns->bucket, ns->nbuckets, &cap,
			     TWS_MAX_BUCKETS, sizeof(*b), "lifetime buckets",
			     err);
		if (!b)
			return -1;
		ns->bucket = b;
		memset(&ns->bucket[ns->nbuckets], 0, sizeof(*ns->bucket));
		if (tws_life_row(r, ns, &ns->bucket[ns->nbuckets], err))
			return -1;
		ns->nbuckets++;
	}
	if (!ns->nbuckets)
		return tws_fail(err, r->no, "lifetime table without rows (truncated?)");
	return rc;
}

static int tws_netns_line(struct tws_lines *r, struct tws_ns *ns,
			  struct tws_error *err)
{
	if (r->ntok != 2 || strcmp(r->tok[0], "netns"))
		return tws_fail(err, r->no, "expected 'netns INODE' or 'netns departed'");
	if (!strcmp(r->tok[1], "departed")) {
		ns->departed = true;
		return 0;
	}
	ns->has_netns = true;
	return tws_number(r, r->tok[1], "netns", &ns->netns, err);
}

static struct tws_ns *tws_new_ns(struct tws_stats *st, unsigned int *cap,
				 const struct tws_limits *lim,
				 struct tws_lines *r, struct tws_error *err)
{
	struct tws_ns *ns = tws_grow(r, st->ns, st->nns, cap, lim->max_netns,
				     sizeof(*ns), "namespace blocks", err);

	if (!ns)
		return NULL;
	st->ns = ns;
	ns = &st->ns[st->nns++];
	memset(ns, 0, sizeof(*ns));
	ns->line = r->no;
	return ns;
}

/* One block; returns 1 when another may follow (a blank line was read). */
static int tws_block(struct tws_lines *r, const struct tws_limits *lim,
		     struct tws_stats *st, unsigned int *cap,
		     struct tws_error *err)
{
	struct tws_ns *ns = tws_new_ns(st, cap, lim, r, err);

	if (!ns)
		return -1;
	if (st->all && (tws_netns_line(r, ns, err) ||
			tws_more(r, err, "after the netns line")))
		return -1;
	if (tws_keys(r, ns, err) || tws_more(r, err, "after the key block"))
		return -1;
	if (!ns->departed && (tws_dests(r, lim, ns, err) ||
			      tws_more(r, err, "before the lifetime table")))
		return -1;
	return tws_life(r, ns, err);
}

void tws_stats_free(struct tws_stats *st)
{
	unsigned int i;

	for (i = 0; i < st->nns; i++) {
		free(st->ns[i].dest);
		free(st->ns[i].bucket);
	}
	free(st->ns);
	memset(st, 0, sizeof(*st));
}

static int tws_stats_body(struct tws_lines *r, const struct tws_limits *lim,
			  struct tws_stats *st, struct tws_error *err)
{
	unsigned int cap = 0;
	int rc = tws_next(r, err);

	if (rc <= 0)
		return rc ? -1 : tws_fail(err, 1, "empty file");
	st->all = r->ntok && !strcmp(r->tok[0], "netns");
	for (;;) {
		rc = tws_block(r, lim, st, &cap, err);
		if (rc < 0)
			return -1;
		if (st->all && !st->ns[st->nns - 1].departed) {
			if (!rc)
				return tws_fail(err, r->no,
						"unexpected end of file before 'netns departed' (truncated?)");
			if (tws_more(r, err, "before 'netns departed'"))
				return -1;
			continue;
		}
		/* The own view, or the departed block: nothing may follow. */
		if (!rc)
			return 0;
		rc = tws_next(r, err);
		if (rc < 0)
			return -1;
		return tws_fail(err, r->no, rc ?
				"unexpected text after the lifetime table" :
				"blank line at the end of the file");
	}
}

int tws_parse_stats(FILE *f, const struct tws_limits *lim,
		    struct tws_stats *st, struct tws_error *err)
{
	struct tws_lines r = { .f = f };

	memset(st, 0, sizeof(*st));
	memset(err, 0, sizeof(*err));
	if (tws_stats_body(&r, lim, st, err)) {
		tws_stats_free(st);
		return -1;
	}
	return 0;
}

/* --- /proc/tw_sockets -------------------------------------------------- */

static int tws_state(struct tws_lines *r, const char *s, struct tws_sock *k,
		     struct tws_error *err)
{
	if (!strcmp(s, "TIME_WAIT"))
		k->state = TWS_TIME_WAIT;
	else if (!strcmp(s, "FIN_WAIT2"))
		k->state = TWS_FIN_WAIT2;
	else
		return tws_fail(err, r->no, "state: expected TIME_WAIT or FIN_WAIT2, got '%.32s'",
				s);
	return 0;
}

static int tws_role(struct tws_lines *r, const char *s, struct tws_sock *k,
		    struct tws_error *err)
{
	int i;

	for (i = 0; i < TWS_ROLE_MAX; i++) {
		if (!strcmp(s, tws_role_names[i])) {
			k->role = (enum tws_role)i;
			return 0;
		}
	}
	return tws_fail(err, r->no, "role: expected client, server or other, got '%.32s'",
			s);
}

static int tws_reuse(struct tws_lines *r, const char *s, struct tws_sock *k,
		     struct tws_error *err)
{
	if (strcmp(s, "yes") && strcmp(s, "no"))
		return tws_fail(err, r->no, "reuse: expected yes or no, got '%.32s'",
				s);
	k->reuse = s[0] == 'y';
	return 0;
}

static int tws_sock_row(struct tws_lines *r, unsigned int off,
			struct tws_sock *k, struct tws_error *err)
{
	char **t = r->tok + off;

	memset(k, 0, sizeof(*k));
	if (off && tws_number(r, r->tok[0], "netns", &k->netns, err))
		return -1;
	if (tws_addr_field(r, t[0], true, "local", &k->laddr, &k->lport,
			   err) ||
	    tws_addr_field(r, t[1], true, "remote", &k->raddr, &k->rport,
			   err) ||
	    tws_state(r, t[2], k, err) ||
	    tws_number(r, t[3], "age_ms", &k->age_ms, err) ||
	    tws_number(r, t[4], "expires_ms", &k->expires_ms, err) ||
	    tws_reuse(r, t[5], k, err) ||
	    tws_number(r, t[6], "rearms", &k->rearms, err) ||
	    tws_role(r, t[7], k, err))
		return -1;
	if (k->laddr.family != k->raddr.family)
		return tws_fail(err, r->no, "local and remote of different families");
	return 0;
}

/*
 * The header line of a table of rows (tw_sockets, tw_failures): its
 * known columns after an optional netns one.  *@off is 1 with netns.
 */
static int tws_table_head(struct tws_lines *r, const char *const *cols,
			  unsigned int n, const char *what, unsigned int *off,
			  bool *all, struct tws_error *err)
{
	int rc = tws_next(r, err);

	if (rc <= 0)
		return rc ? -1 : tws_fail(err, 1, "empty file (no header line)");
	*off = r->ntok && !strcmp(r->tok[0], "netns");
	*all = *off;
	return tws_header(r, *off, cols, n, what, err);
}

/* A row of such a table: not blank, not one too many, all its columns. */
static int tws_table_row(struct tws_lines *r, unsigned long rows,
			 unsigned long max, unsigned int ncols,
			 struct tws_error *err)
{
	if (tws_blank(r))
		return tws_fail(err, r->no, "blank line");
	if (rows == max)
		return tws_fail(err, r->no, "more than %lu rows", max);
	return tws_columns(r, ncols, err);
}

int tws_parse_sockets(FILE *f, const struct tws_limits *lim, bool *all,
		      tws_sock_fn fn, void *ctx, struct tws_error *err)
{
	struct tws_lines r = { .f = f };
	unsigned long rows = 0;
	unsigned int off, ncols;
	struct tws_sock k;
	int rc;

	memset(err, 0, sizeof(*err));
	if (tws_table_head(&r, tws_sock_cols, TWS_SOCK_COLS, "socket", &off,
			   all, err))
		return -1;
	ncols = r.ntok;
	while ((rc = tws_next(&r, err)) > 0) {
		if (tws_table_row(&r, rows, lim->max_rows, ncols, err) ||
		    tws_sock_row(&r, off, &k, err))
			return -1;
		rows++;
		rc = fn(ctx, &k);
		if (rc)
			return tws_fail(err, r.no, "%s", strerror(rc < 0 ? -rc : rc));
	}
	return rc;
}

/* --- /proc/tw_failures ------------------------------------------------- */

/* "1764612345.120": seconds since the epoch with milliseconds. */
static int tws_time_ms(struct tws_lines *r, const char *s, uint64_t *ms,
		       struct tws_error *err)
{
	const char *dot = strchr(s, '.');
	char sec[24];
	uint64_t a, b;

	if (!dot || dot == s || (size_t)(dot - s) >= sizeof(sec) ||
	    strlen(dot + 1) != 3)
		return tws_fail(err, r->no, "time: expected SECONDS.MMM, got '%.32s'",
				s);
	memcpy(sec, s, (size_t)(dot - s));
	sec[dot - s] = '\0';
	if (tws_u64(sec, &a) || tws_u64(dot + 1, &b) ||
	    a > UINT64_MAX / 1000 - 1)
		return tws_fail(err, r->no, "time: expected SECONDS.MMM, got '%.32s'",
				s);
	*ms = a * 1000 + b;
	return 0;
}

static int tws_fail_row(struct tws_lines *r, unsigned int off,
			struct tws_fail *k, struct tws_error *err)
{
	char **t = r->tok + off;
	uint64_t pid;

	memset(k, 0, sizeof(*k));
	if (off && tws_number(r, r->tok[0], "netns", &k->netns, err))
		return -1;
	if (tws_time_ms(r, t[0], &k->time_ms, err) ||
	    tws_number(r, t[1], "age_ms", &k->age_ms, err) ||
	    tws_number(r, t[2], "count", &k->count, err) ||
	    tws_addr_field(r, t[4], false, "local", &k->local, NULL, err) ||
	    tws_addr_field(r, t[5], true, "remote", &k->remote, &k->rport,
			   err))
		return -1;
	if (!strcmp(t[3], "-"))
		k->pid = -1;
	else if (tws_number(r, t[3], "pid", &pid, err))
		return -1;
	else if (pid > INT32_MAX)
		return tws_fail(err, r->no, "pid: %llu is not a pid",
				(unsigned long long)pid);
	else
		k->pid = (int64_t)pid;
	if (strlen(t[6]) > TWS_NAME_MAX)
		return tws_fail(err, r->no, "comm: longer than %d bytes",
				TWS_NAME_MAX);
	strcpy(k->comm, t[6]);
	if (k->local.family != k->remote.family)
		return tws_fail(err, r->no, "local and remote of different families");
	return 0;
}

int tws_parse_failures(FILE *f, bool *all, tws_fail_fn fn, void *ctx,
		       struct tws_error *err)
{
	struct tws_lines r = { .f = f };
	unsigned int off, ncols;
	unsigned long rows = 0;
	struct tws_fail k;
	int rc;

	memset(err, 0, sizeof(*err));
	if (tws_table_head(&r, tws_fail_cols, TWS_FAIL_COLS, "failure", &off,
			   all, err))
		return -1;
	ncols = r.ntok;
	while ((rc = tws_next(&r, err)) > 0) {
		/* 32 a namespace, as many namespaces as tw_stats may have. */
		if (tws_table_row(&r, rows, 32UL * TWS_MAX_NETNS, ncols, err) ||
		    tws_fail_row(&r, off, &k, err))
			return -1;
		rows++;
		rc = fn(ctx, &k);
		if (rc)
			return tws_fail(err, r.no, "%s", strerror(rc < 0 ? -rc : rc));
	}
	return rc;
}
