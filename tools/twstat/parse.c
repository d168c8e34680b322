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

/* The names are the module's own (module/tw_format.h). */
static const char *const tw_key_names[TWF_K_MAX] = { TWF_KEY_NAMES };
static const char *const tw_role_names[TW_ROLE_MAX] = { TWF_ROLE_NAMES };
static const char *const tw_dest_cols[] = { TWF_DEST_COLS };
static const char *const tw_fail_cols[] = { TWF_FAIL_COLS };
static const char *const tw_sock_cols[] = { TWF_SOCK_COLS };

/*
 * Every module has the first TW_DEST_COLS columns; those right of them
 * (tw_dest_more) came later and are found by name.
 */
#define TW_DEST_COLS		6
#define tw_dest_more		(tw_dest_cols + TW_DEST_COLS)
#define TW_DEST_MORE		(ARRAY_SIZE(tw_dest_cols) - TW_DEST_COLS)
#define TW_SOCK_COLS		ARRAY_SIZE(tw_sock_cols)
#define TW_FAIL_COLS		ARRAY_SIZE(tw_fail_cols)

const char *tw_key_name(enum twf_key k)
{
	return k < TWF_K_MAX ? tw_key_names[k] : "?";
}

const char *tw_role_name(enum tw_role r)
{
	return r < TW_ROLE_MAX ? tw_role_names[r] : "?";
}

const char *tw_cause_name(int cause)
{
	if (cause < 0 || cause >= TW_CAUSES)
		return "?";
	/* "ended_timer" -> "timer" */
	return tw_key_names[TWF_K_ENDED_TIMER + cause] + strlen("ended_");
}

static tw_note_fn tw_note;

void tw_parse_notes(tw_note_fn fn)
{
	tw_note = fn;
}

/* --- errors and the line reader ---------------------------------------- */

static __printf(3, 4) int tw_fail(struct tw_error *err,
				   unsigned long line, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

struct tw_lines {
	FILE *f;
	unsigned long no;		/* of the current line */
	char buf[TW_LINE_MAX + 1];
	char *tok[TW_MAX_TOKENS];
	unsigned int ntok;
};

static int tw_split(struct tw_lines *r, struct tw_error *err)
{
	char *p = r->buf;

	r->ntok = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		if (r->ntok == TW_MAX_TOKENS)
			return tw_fail(err, r->no, "more than %d columns",
					TW_MAX_TOKENS);
		r->tok[r->ntok++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/*
 * Reads and splits the next line: 1, 0 at the end of the file, -1 on
 * error.  Never reads more than TW_LINE_MAX + 1 bytes of a line, so a
 * huge line fails early instead of being swallowed.
 */
static int tw_next(struct tw_lines *r, struct tw_error *err)
{
	size_t n = 0;
	int c;

	r->no++;
	while ((c = getc_unlocked(r->f)) != EOF) {
		if (c == '\n') {
			r->buf[n] = '\0';
			return tw_split(r, err) ? -1 : 1;
		}
		if (n == TW_LINE_MAX)
			return tw_fail(err, r->no, "line longer than %d bytes",
					TW_LINE_MAX);
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return tw_fail(err, r->no,
					"binary data (byte 0x%02x at column %zu)",
					c, n + 1);
		r->buf[n++] = (char)c;
	}
	if (ferror(r->f))
		return tw_fail(err, r->no, "read error: %s", strerror(errno));
	if (n)
		return tw_fail(err, r->no, "no newline at the end (truncated?)");
	r->ntok = 0;
	return 0;
}

/* Like tw_next(), where the end of the file means the file was cut. */
static int tw_more(struct tw_lines *r, struct tw_error *err,
		    const char *where)
{
	int rc = tw_next(r, err);

	if (!rc)
		return tw_fail(err, r->no, "unexpected end of file %s (truncated?)",
				where);
	return rc < 0 ? -1 : 0;
}

/* --- fields ------------------------------------------------------------ */

/* 0, or -1 for not a number, -2 for a number that does not fit. */
static int tw_u64(const char *s, uint64_t *v)
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

static int tw_number(struct tw_lines *r, const char *s, const char *what,
		      uint64_t *v, struct tw_error *err)
{
	switch (tw_u64(s, v)) {
	case 0:
		return 0;
	case -2:
		return tw_fail(err, r->no, "%s: number out of range: '%.32s'",
				what, s);
	default:
		return tw_fail(err, r->no, "%s: not a number: '%.32s'", what,
				s);
	}
}

static int tw_port(const char *s, unsigned int *port)
{
	uint64_t v;

	if (strlen(s) > 5 || tw_u64(s, &v) || v > 65535)
		return -1;
	*port = (unsigned int)v;
	return 0;
}

static int tw_pton(const char *s, size_t len, struct tw_addr *a)
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

int tw_parse_addr(const char *s, struct tw_addr *a, unsigned int *port)
{
	const char *end, *colon;

	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || tw_pton(s + 1, end - s - 1, a) ||
		    a->family != AF_INET6)
			return -1;
		if (!port)
			return end[1] ? -1 : 0;
		return end[1] == ':' ? tw_port(end + 2, port) : -1;
	}
	if (!port)
		return tw_pton(s, strlen(s), a);
	/* Without brackets only IPv4 may carry a port. */
	colon = strchr(s, ':');
	if (!colon || strchr(colon + 1, ':'))
		return -1;
	if (tw_pton(s, colon - s, a) || a->family != AF_INET)
		return -1;
	return tw_port(colon + 1, port);
}

int tw_addr_cmp(const struct tw_addr *x, const struct tw_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, sizeof(x->a));
}

bool tw_addr_loopback(const struct tw_addr *a)
{
	static const unsigned char v6lo[16] = { [15] = 1 };
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET)
		return a->a[0] == 127;
	if (!memcmp(a->a, v6lo, sizeof(v6lo)))
		return true;
	return !memcmp(a->a, mapped, sizeof(mapped)) && a->a[12] == 127;
}

static int tw_addr_field(struct tw_lines *r, const char *s, bool port,
			  const char *what, struct tw_addr *a,
			  unsigned int *p, struct tw_error *err)
{
	if (tw_parse_addr(s, a, port ? p : NULL))
		return tw_fail(err, r->no, "%s: bad address: '%.64s'", what,
				s);
	return 0;
}

/* "58.0%" -> 58.0, "-" -> -1 */
static int tw_pressure(struct tw_lines *r, const char *s, double *pct,
			struct tw_error *err)
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
	return tw_fail(err, r->no, "pressure: expected 'N.N%%' or '-', got '%.32s'",
			s);
}

static bool tw_blank(const struct tw_lines *r)
{
	return !r->ntok;
}

static int tw_columns(struct tw_lines *r, unsigned int want,
		       struct tw_error *err)
{
	if (r->ntok != want)
		return tw_fail(err, r->no, "expected %u columns, got %u", want,
				r->ntok);
	return 0;
}

/* Header columns from @from on that none of @known names. */
static void tw_note_cols(const struct tw_lines *r, unsigned int from,
			 const char *const *known, unsigned int n,
			 const char *what)
{
	unsigned int i, j;

	for (i = from; tw_note && i < r->ntok; i++) {
		for (j = 0; j < n && strcmp(r->tok[i], known[j]); j++)
			;
		if (j == n)
			tw_note(what, r->tok[i]);
	}
}

/* A header starts with the known names; more columns may follow. */
static int tw_header(struct tw_lines *r, unsigned int off,
		      const char *const *names, unsigned int n,
		      const char *what, struct tw_error *err)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (off + i >= r->ntok || strcmp(r->tok[off + i], names[i]))
			return tw_fail(err, r->no,
					"missing %s header (expected '%s' in column %u)",
					what, names[i], off + i + 1);
	return 0;
}

/* --- /proc/tw_stats ---------------------------------------------------- */

static bool tw_key_syntax(const char *s)
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

static int tw_key_line(struct tw_lines *r, struct tw_ns *ns,
			struct tw_error *err)
{
	unsigned int k;

	if (r->ntok != 2 || !tw_key_syntax(r->tok[0]))
		return tw_fail(err, r->no, "expected 'name value', got '%.40s'",
				r->buf);
	if (!strcmp(r->tok[0], TWF_NETNS))
		return tw_fail(err, r->no, "'netns' inside a block (a block was cut?)");
	for (k = 0; k < TWF_K_MAX; k++)
		if (!strcmp(r->tok[0], tw_key_names[k]))
			break;
	if (k == TWF_K_MAX && tw_note)
		tw_note("key", r->tok[0]);
	/* A newer module's key; a percentage twstat takes from the table. */
	if (k == TWF_K_MAX || k == TWF_K_HELD_MAX_PRESSURE)
		return 0;
	if (ns->have & TW_BIT(k))
		return tw_fail(err, r->no, "duplicate key '%s'", r->tok[0]);
	if (tw_number(r, r->tok[1], r->tok[0], &ns->val[k], err))
		return -1;
	ns->have |= TW_BIT(k);
	return 0;
}

/* From the first key line to the blank line after the last. */
static int tw_keys(struct tw_lines *r, struct tw_ns *ns,
		    struct tw_error *err)
{
	if (tw_blank(r))
		return tw_fail(err, r->no, "expected 'name value', got a blank line");
	while (!tw_blank(r)) {
		if (tw_key_line(r, ns, err) ||
		    tw_more(r, err, "in the key block"))
			return -1;
	}
	return 0;
}

/* Where each of tw_dest_more[] is in the header, 0 for nowhere. */
struct tw_dest_at {
	unsigned int col[TW_DEST_MORE];
};

static int tw_dest_more_row(struct tw_lines *r, const struct tw_dest_at *at,
			     struct tw_dest *d, struct tw_error *err)
{
	uint64_t v;

	d->held = -1;
	d->held_pressure = -1;
	d->failed = -1;
	d->in_range = -1;
	if (at->col[0]) {
		if (tw_number(r, r->tok[at->col[0]], "held", &v, err))
			return -1;
		d->held = (int64_t)(v > INT64_MAX ? INT64_MAX : v);
	}
	if (at->col[1] && tw_pressure(r, r->tok[at->col[1]],
				       &d->held_pressure, err))
		return -1;
	if (at->col[2]) {
		if (tw_number(r, r->tok[at->col[2]], "failed", &v, err))
			return -1;
		d->failed = (int64_t)(v > INT64_MAX ? INT64_MAX : v);
	}
	if (at->col[3]) {
		if (tw_number(r, r->tok[at->col[3]], "in_range", &v, err))
			return -1;
		d->in_range = (int64_t)(v > INT64_MAX ? INT64_MAX : v);
	}
	return 0;
}

static int tw_dest_row(struct tw_lines *r, unsigned int ncols,
			const struct tw_dest_at *at, struct tw_dest *d,
			struct tw_error *err)
{
	if (tw_columns(r, ncols, err) ||
	    tw_addr_field(r, r->tok[0], false, "local", &d->local, NULL,
			   err) ||
	    tw_addr_field(r, r->tok[1], true, "remote", &d->remote,
			   &d->rport, err) ||
	    tw_number(r, r->tok[2], "tw", &d->tw, err) ||
	    tw_number(r, r->tok[3], "reusable", &d->reusable, err) ||
	    tw_number(r, r->tok[4], "ports", &d->ports, err) ||
	    tw_pressure(r, r->tok[5], &d->pressure, err) ||
	    tw_dest_more_row(r, at, d, err))
		return -1;
	if (d->local.family != d->remote.family)
		return tw_fail(err, r->no, "local and remote of different families");
	return 0;
}

/*
 * Room for element @n of @size bytes in @arr of *@cap, doubling; at most
 * @max (@what names them).  Returns the array, or NULL with @err set and
 * @arr left to its owner.
 */
static void *tw_grow(struct tw_lines *r, void *arr, unsigned int n,
		      unsigned int *cap, unsigned int max, size_t size,
		      const char *what, struct tw_error *err)
{
	if (n == max) {
		tw_fail(err, r->no, "more than %u %s", max, what);
		return NULL;
	}
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	arr = realloc(arr, (size_t)*cap * size);
	if (!arr)
		tw_fail(err, r->no, "out of memory");
	return arr;
}

/* From the header to the blank line after the last row. */
static int tw_dests(struct tw_lines *r, const struct tw_limits *lim,
		     struct tw_ns *ns, struct tw_error *err)
{
	unsigned int ncols = r->ntok, cap = 0, i, j;
	struct tw_dest_at at = { { 0 } };

	if (tw_header(r, 0, tw_dest_cols, TW_DEST_COLS, "destination",
		       err))
		return -1;
	for (i = TW_DEST_COLS; i < ncols; i++)
		for (j = 0; j < TW_DEST_MORE; j++)
			if (!strcmp(r->tok[i], tw_dest_more[j]) && !at.col[j])
				at.col[j] = i;
	tw_note_cols(r, TW_DEST_COLS, tw_dest_more, TW_DEST_MORE,
		     "destination column");
	for (j = 0; tw_note && j < TW_DEST_MORE; j++)
		if (!at.col[j])
			tw_note("absent destination column", tw_dest_more[j]);
	if (tw_more(r, err, "in the destination table"))
		return -1;
	while (!tw_blank(r)) {
		struct tw_dest *d = tw_grow(r, ns->dest, ns->ndest, &cap,
					      lim->max_dests, sizeof(*d),
					      "destinations", err);

		if (!d)
			return -1;
		ns->dest = d;
		if (tw_dest_row(r, ncols, &at, &ns->dest[ns->ndest], err))
			return -1;
		ns->ndest++;
		if (tw_more(r, err, "in the destination table"))
			return -1;
	}
	return 0;
}

/* "0", "2-3", "131072-" */
static int tw_bucket_label(struct tw_lines *r, const char *s,
			    struct tw_bucket *b, struct tw_error *err)
{
	char lo[24];
	const char *dash = strchr(s, '-');
	size_t n = dash ? (size_t)(dash - s) : strlen(s);

	if (n >= sizeof(lo))
		goto bad;
	memcpy(lo, s, n);
	lo[n] = '\0';
	if (tw_u64(lo, &b->lo))
		goto bad;
	b->hi = b->lo;
	if (dash && !dash[1])
		b->hi = UINT64_MAX;
	else if (dash && (tw_u64(dash + 1, &b->hi) || b->hi < b->lo))
		goto bad;
	return 0;
bad:
	return tw_fail(err, r->no, "bad lifetime bucket '%.32s'", s);
}

static int tw_life_header(struct tw_lines *r, struct tw_ns *ns,
			   struct tw_error *err)
{
	unsigned int i;

	if (!r->ntok || strcmp(r->tok[0], TWF_LIFETIME))
		return tw_fail(err, r->no, "missing lifetime header (expected '" TWF_LIFETIME "')");
	if (r->ntok < 2 || r->ntok > TW_MAX_CAUSES + 1)
		return tw_fail(err, r->no, "lifetime header: %u causes, expected 1 to %u",
				r->ntok - 1, TW_MAX_CAUSES);
	ns->ncauses = r->ntok - 1;
	for (i = 0; i < ns->ncauses; i++) {
		if (strlen(r->tok[i + 1]) >= TW_NAME_MAX)
			return tw_fail(err, r->no, "lifetime header: name too long");
		strcpy(ns->cause[i], r->tok[i + 1]);
	}
	return 0;
}

static int tw_life_row(struct tw_lines *r, struct tw_ns *ns,
			struct tw_bucket *b, struct tw_error *err)
{
	unsigned int i;

	if (tw_columns(r, ns->ncauses + 1, err) ||
	    tw_bucket_label(r, r->tok[0], b, err))
		return -1;
	for (i = 0; i < ns->ncauses; i++)
		if (tw_number(r, r->tok[i + 1], ns->cause[i], &b->n[i], err))
			return -1;
	return 0;
}

/*
 * From the header to the blank line or end of file after the last row:
 * returns 1 at a blank line, 0 at the end of the file.
 */
static int tw_life(struct tw_lines *r, struct tw_ns *ns,
		    struct tw_error *err)
{
	struct tw_bucket *b;
	unsigned int cap = 0;
	int rc;

	if (tw_life_header(r, ns, err))
		return -1;
	for (;;) {
		rc = tw_next(r, err);
		if (rc < 0)
			return -1;
		if (!rc || tw_blank(r))
			break;
		b = tw_grow(r, ns->bucket, ns->nbuckets, &cap,
			     TW_MAX_BUCKETS, sizeof(*b), "lifetime buckets",
			     err);
		if (!b)
			return -1;
		ns->bucket = b;
		memset(&ns->bucket[ns->nbuckets], 0, sizeof(*ns->bucket));
		if (tw_life_row(r, ns, &ns->bucket[ns->nbuckets], err))
			return -1;
		ns->nbuckets++;
	}
	if (!ns->nbuckets)
		return tw_fail(err, r->no, "lifetime table without rows (truncated?)");
	return rc;
}

static int tw_netns_line(struct tw_lines *r, struct tw_ns *ns,
			  struct tw_error *err)
{
	if (r->ntok != 2 || strcmp(r->tok[0], TWF_NETNS))
		return tw_fail(err, r->no, "expected 'netns INODE' or 'netns departed'");
	if (!strcmp(r->tok[1], TWF_DEPARTED)) {
		ns->departed = true;
		return 0;
	}
	ns->has_netns = true;
	return tw_number(r, r->tok[1], "netns", &ns->netns, err);
}

static struct tw_ns *tw_new_ns(struct tw_stats *st, unsigned int *cap,
				 const struct tw_limits *lim,
				 struct tw_lines *r, struct tw_error *err)
{
	struct tw_ns *ns = tw_grow(r, st->ns, st->nns, cap, lim->max_netns,
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
static int tw_block(struct tw_lines *r, const struct tw_limits *lim,
		     struct tw_stats *st, unsigned int *cap,
		     struct tw_error *err)
{
	struct tw_ns *ns = tw_new_ns(st, cap, lim, r, err);

	if (!ns)
		return -1;
	if (st->all && (tw_netns_line(r, ns, err) ||
			tw_more(r, err, "after the netns line")))
		return -1;
	if (tw_keys(r, ns, err) || tw_more(r, err, "after the key block"))
		return -1;
	if (!ns->departed && (tw_dests(r, lim, ns, err) ||
			      tw_more(r, err, "before the lifetime table")))
		return -1;
	return tw_life(r, ns, err);
}

void tw_stats_free(struct tw_stats *st)
{
	unsigned int i;

	for (i = 0; i < st->nns; i++) {
		free(st->ns[i].dest);
		free(st->ns[i].bucket);
	}
	free(st->ns);
	memset(st, 0, sizeof(*st));
}

static int tw_stats_body(struct tw_lines *r, const struct tw_limits *lim,
			  struct tw_stats *st, struct tw_error *err)
{
	unsigned int cap = 0;
	int rc = tw_next(r, err);

	if (rc <= 0)
		return rc ? -1 : tw_fail(err, 1, "empty file");
	st->all = r->ntok && !strcmp(r->tok[0], TWF_NETNS);
	for (;;) {
		rc = tw_block(r, lim, st, &cap, err);
		if (rc < 0)
			return -1;
		if (st->all && !st->ns[st->nns - 1].departed) {
			if (!rc)
				return tw_fail(err, r->no,
						"unexpected end of file before 'netns departed' (truncated?)");
			if (tw_more(r, err, "before 'netns departed'"))
				return -1;
			continue;
		}
		/* The own view, or the departed block: nothing may follow. */
		if (!rc)
			return 0;
		rc = tw_next(r, err);
		if (rc < 0)
			return -1;
		return tw_fail(err, r->no, rc ?
				"unexpected text after the lifetime table" :
				"blank line at the end of the file");
	}
}

int tw_parse_stats(FILE *f, const struct tw_limits *lim,
		    struct tw_stats *st, struct tw_error *err)
{
	struct tw_lines r = { .f = f };

	memset(st, 0, sizeof(*st));
	memset(err, 0, sizeof(*err));
	if (tw_stats_body(&r, lim, st, err)) {
		tw_stats_free(st);
		return -1;
	}
	return 0;
}

/* --- /proc/tw_sockets -------------------------------------------------- */

static int tw_state(struct tw_lines *r, const char *s, struct tw_sock *k,
		     struct tw_error *err)
{
	if (!strcmp(s, TWF_TIME_WAIT))
		k->state = TW_TIME_WAIT;
	else if (!strcmp(s, TWF_FIN_WAIT2))
		k->state = TW_FIN_WAIT2;
	else
		return tw_fail(err, r->no, "state: expected TIME_WAIT or FIN_WAIT2, got '%.32s'",
				s);
	return 0;
}

static int tw_role(struct tw_lines *r, const char *s, struct tw_sock *k,
		    struct tw_error *err)
{
	int i;

	for (i = 0; i < TW_ROLE_MAX; i++) {
		if (!strcmp(s, tw_role_names[i])) {
			k->role = (enum tw_role)i;
			return 0;
		}
	}
	return tw_fail(err, r->no, "role: expected client, server or other, got '%.32s'",
			s);
}

static int tw_reuse(struct tw_lines *r, const char *s, struct tw_sock *k,
		     struct tw_error *err)
{
	if (strcmp(s, "yes") && strcmp(s, "no"))
		return tw_fail(err, r->no, "reuse: expected yes or no, got '%.32s'",
				s);
	k->reuse = s[0] == 'y';
	return 0;
}

static int tw_sock_row(struct tw_lines *r, unsigned int off,
			struct tw_sock *k, struct tw_error *err)
{
	char **t = r->tok + off;

	memset(k, 0, sizeof(*k));
	if (off && tw_number(r, r->tok[0], "netns", &k->netns, err))
		return -1;
	if (tw_addr_field(r, t[0], true, "local", &k->laddr, &k->lport,
			   err) ||
	    tw_addr_field(r, t[1], true, "remote", &k->raddr, &k->rport,
			   err) ||
	    tw_state(r, t[2], k, err) ||
	    tw_number(r, t[3], "age_ms", &k->age_ms, err) ||
	    tw_number(r, t[4], "expires_ms", &k->expires_ms, err) ||
	    tw_reuse(r, t[5], k, err) ||
	    tw_number(r, t[6], "rearms", &k->rearms, err) ||
	    tw_role(r, t[7], k, err))
		return -1;
	if (k->laddr.family != k->raddr.family)
		return tw_fail(err, r->no, "local and remote of different families");
	return 0;
}

/*
 * The header line of a table of rows (tw_sockets, tw_failures): its
 * known columns after an optional netns one.  *@off is 1 with netns.
 */
static int tw_table_head(struct tw_lines *r, const char *const *cols,
			  unsigned int n, const char *what, unsigned int *off,
			  bool *all, struct tw_error *err)
{
	int rc = tw_next(r, err);

	if (rc <= 0)
		return rc ? -1 : tw_fail(err, 1, "empty file (no header line)");
	*off = r->ntok && !strcmp(r->tok[0], TWF_NETNS);
	*all = *off;
	return tw_header(r, *off, cols, n, what, err);
}

/* A row of such a table: not blank, not one too many, all its columns. */
static int tw_table_row(struct tw_lines *r, unsigned long rows,
			 unsigned long max, unsigned int ncols,
			 struct tw_error *err)
{
	if (tw_blank(r))
		return tw_fail(err, r->no, "blank line");
	if (rows == max)
		return tw_fail(err, r->no, "more than %lu rows", max);
	return tw_columns(r, ncols, err);
}

int tw_parse_sockets(FILE *f, const struct tw_limits *lim, bool *all,
		      tw_sock_fn fn, void *ctx, struct tw_error *err)
{
	struct tw_lines r = { .f = f };
	unsigned long rows = 0;
	unsigned int off, ncols;
	struct tw_sock k;
	int rc;

	memset(err, 0, sizeof(*err));
	if (tw_table_head(&r, tw_sock_cols, TW_SOCK_COLS, "socket", &off,
			   all, err))
		return -1;
	tw_note_cols(&r, off + TW_SOCK_COLS, NULL, 0, "socket column");
	ncols = r.ntok;
	while ((rc = tw_next(&r, err)) > 0) {
		if (tw_table_row(&r, rows, lim->max_rows, ncols, err) ||
		    tw_sock_row(&r, off, &k, err))
			return -1;
		rows++;
		rc = fn(ctx, &k);
		if (rc)
			return tw_fail(err, r.no, "%s", strerror(rc < 0 ? -rc : rc));
	}
	return rc;
}

/* --- /proc/tw_failures ------------------------------------------------- */

/* "1764612345.120": seconds since the epoch with milliseconds. */
static int tw_time_ms(struct tw_lines *r, const char *s, uint64_t *ms,
		       struct tw_error *err)
{
	const char *dot = strchr(s, '.');
	char sec[24];
	uint64_t a, b;

	if (!dot || dot == s || (size_t)(dot - s) >= sizeof(sec) ||
	    strlen(dot + 1) != 3)
		return tw_fail(err, r->no, "time: expected SECONDS.MMM, got '%.32s'",
				s);
	memcpy(sec, s, (size_t)(dot - s));
	sec[dot - s] = '\0';
	if (tw_u64(sec, &a) || tw_u64(dot + 1, &b) ||
	    a > UINT64_MAX / 1000 - 1)
		return tw_fail(err, r->no, "time: expected SECONDS.MMM, got '%.32s'",
				s);
	*ms = a * 1000 + b;
	return 0;
}

static int tw_fail_row(struct tw_lines *r, unsigned int off,
			struct tw_fail *k, struct tw_error *err)
{
	char **t = r->tok + off;
	uint64_t pid;

	memset(k, 0, sizeof(*k));
	if (off && tw_number(r, r->tok[0], "netns", &k->netns, err))
		return -1;
	if (tw_time_ms(r, t[0], &k->time_ms, err) ||
	    tw_number(r, t[1], "age_ms", &k->age_ms, err) ||
	    tw_number(r, t[2], "count", &k->count, err) ||
	    tw_addr_field(r, t[4], false, "local", &k->local, NULL, err) ||
	    tw_addr_field(r, t[5], true, "remote", &k->remote, &k->rport,
			   err))
		return -1;
	if (!strcmp(t[3], "-"))
		k->pid = -1;
	else if (tw_number(r, t[3], "pid", &pid, err))
		return -1;
	else if (pid > INT32_MAX)
		return tw_fail(err, r->no, "pid: %llu is not a pid",
				(unsigned long long)pid);
	else
		k->pid = (int64_t)pid;
	if (strlen(t[6]) > TW_NAME_MAX)
		return tw_fail(err, r->no, "comm: longer than %d bytes",
				TW_NAME_MAX);
	strcpy(k->comm, t[6]);
	if (k->local.family != k->remote.family)
		return tw_fail(err, r->no, "local and remote of different families");
	return 0;
}

int tw_parse_failures(FILE *f, bool *all, tw_fail_fn fn, void *ctx,
		       struct tw_error *err)
{
	struct tw_lines r = { .f = f };
	unsigned int off, ncols;
	unsigned long rows = 0;
	struct tw_fail k;
	int rc;

	memset(err, 0, sizeof(*err));
	if (tw_table_head(&r, tw_fail_cols, TW_FAIL_COLS, "failure", &off,
			   all, err))
		return -1;
	tw_note_cols(&r, off + TW_FAIL_COLS, NULL, 0, "failure column");
	ncols = r.ntok;
	while ((rc = tw_next(&r, err)) > 0) {
		/* 32 a namespace, as many namespaces as tw_stats may have. */
		if (tw_table_row(&r, rows, 32UL * TW_MAX_NETNS, ncols, err) ||
		    tw_fail_row(&r, off, &k, err))
			return -1;
		rows++;
		rc = fn(ctx, &k);
		if (rc)
			return tw_fail(err, r.no, "%s", strerror(rc < 0 ? -rc : rc));
	}
	return rc;
}
