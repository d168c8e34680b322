// SPDX-License-Identifier: GPL-2.0
/*
 * The summary, top and sockets views, in text and JSON.  What they show
 * beyond the files' own numbers is derived once in model.c and only laid
 * out here, so that text and JSON never disagree.
 */

#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "twstat.h"

#define TW_ENDED_KEYS	(((1ULL << TW_CAUSES) - 1) << TWF_K_ENDED_TIMER)
/* What older modules lack is shown when it is there. */
#define TW_NEWER_KEYS	(TW_BIT(TWF_K_TCP_TW_REUSE_DELAY_MS) | \
			 (TW_BIT(TWF_K_HELD_UNRANKED + 1) - \
			  TW_BIT(TWF_K_PROBE_MISSED)))
/* All of a 6.1 block: what the summary needs. */
#define TW_SUMMARY_KEYS	(((1ULL << TWF_K_MAX) - 1) & ~TW_NEWER_KEYS & \
			 ~TW_BIT(TWF_K_NAMESPACES) & \
			 ~TW_BIT(TWF_K_MODULE_MEMORY_BYTES))
#define TW_DEPARTED_KEYS (TW_BIT(TWF_K_NAMESPACES) | \
			  TW_BIT(TWF_K_ENTERED) | TW_BIT(TWF_K_ENDED) | \
			  TW_ENDED_KEYS)
#define TW_SUMMARY_TOP	5

static double tw_dt(const struct tw_sample *cur, const struct tw_sample *prev)
{
	return prev ? cur->mono - prev->mono : 0;
}

/* --- pieces shared by the views ---------------------------------------- */

/* Who lives in it, after "netns N": its container, pod, processes. */
static void tw_text_owner(FILE *f, const struct tw_sample *s,
			  const struct tw_ns *ns)
{
	const struct tw_owner *o = tw_owner_of(&s->owners, ns->netns);
	unsigned int k;

	if (!o) {
		fprintf(f, ": no process left");
		return;
	}
	if (o->runtime[0])
		fprintf(f, ": %s %.12s", o->runtime, o->id);
	if (o->pod[0])
		fprintf(f, "%s pod %s", o->runtime[0] ? "," : ":", o->pod);
	fprintf(f, "%s %u process%s", o->runtime[0] || o->pod[0] ? "," : ":",
		o->npids, o->npids == 1 ? "" : "es");
	for (k = 0; k < o->nkept; k++)
		fprintf(f, "%s%d %s", k ? ", " : " (", o->pid[k], o->comm[k]);
	fprintf(f, "%s)", o->npids > o->nkept ? ", ..." : "");
}

void tw_text_netns(FILE *f, const struct tw_sample *s, const struct tw_ns *ns,
		   bool first)
{
	if (!first)
		fputc('\n', f);
	if (ns->departed) {
		fprintf(f, "netns departed\n");
	} else if (ns->has_netns) {
		fprintf(f, "netns %llu", (unsigned long long)ns->netns);
		if (s->owners.scanned)
			tw_text_owner(f, s, ns);
		fputc('\n', f);
	}
}

static void tw_json_owner(struct tw_json *j, const struct tw_sample *s,
			  const struct tw_ns *ns)
{
	const struct tw_owner *o = tw_owner_of(&s->owners, ns->netns);
	unsigned int k;

	tw_json_u64(j, "processes", o ? o->npids : 0);
	tw_json_open(j, "first_processes", '[');
	for (k = 0; o && k < o->nkept; k++) {
		tw_json_open(j, NULL, '{');
		tw_json_u64(j, "pid", (uint64_t)o->pid[k]);
		tw_json_str(j, "comm", o->comm[k]);
		tw_json_close(j, '}');
	}
	tw_json_close(j, ']');
	if (o && o->runtime[0]) {
		tw_json_open(j, "container", '{');
		tw_json_str(j, "runtime", o->runtime);
		tw_json_str(j, "id", o->id);
		tw_json_close(j, '}');
	} else {
		tw_json_null(j, "container");
	}
	if (o && o->pod[0])
		tw_json_str(j, "pod_uid", o->pod);
	else
		tw_json_null(j, "pod_uid");
}

void tw_json_netns(struct tw_json *j, const struct tw_sample *s,
		   const struct tw_ns *ns)
{
	if (ns->departed) {
		tw_json_str(j, "netns", "departed");
	} else if (ns->has_netns) {
		tw_json_u64(j, "netns", ns->netns);
		if (s->owners.scanned)
			tw_json_owner(j, s, ns);
	} else {
		tw_json_null(j, "netns");
	}
}

void tw_text_rates(FILE *f, const struct tw_rates *r)
{
	char text[512], num[32];
	size_t len;
	int i;

	if (!r->ok) {
		tw_field(f, "rates", "- (no earlier sample of it, or its counters went back: module reloaded?)");
		return;
	}
	len = (size_t)snprintf(text, sizeof(text), "entered %s,",
			       tw_fmt_rate(num, sizeof(num), r->entered));
	len += (size_t)snprintf(text + len, sizeof(text) - len, " ended %s:",
				tw_fmt_rate(num, sizeof(num), r->ended));
	for (i = 0; i < TW_CAUSES && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					" %s %s%s", tw_cause_name(i),
					tw_fmt_rate(num, sizeof(num),
						    r->cause[i]),
					i < TW_CAUSES - 1 ? "," : "");
	tw_field(f, "rates", "%s", text);
}

void tw_json_rates(struct tw_json *j, const char *key,
		   const struct tw_rates *r)
{
	int i;

	if (!r->ok) {
		tw_json_null(j, key);
		return;
	}
	tw_json_open(j, key, '{');
	tw_json_num(j, "interval_s", r->dt);
	tw_json_num(j, "entered_per_s", r->entered);
	tw_json_num(j, "ended_per_s", r->ended);
	tw_json_open(j, "ended_per_s_by_cause", '{');
	for (i = 0; i < TW_CAUSES; i++)
		tw_json_num(j, tw_cause_name(i), r->cause[i]);
	tw_json_close(j, '}');
	tw_json_close(j, '}');
}

/* The rates of every block, for the views that are not per namespace. */
static void tw_all_rates(FILE *f, struct tw_json *j,
			 const struct tw_sample *cur,
			 const struct tw_sample *prev)
{
	struct tw_rates r;
	unsigned int i;

	if (!prev)
		return;
	if (j)
		tw_json_open(j, "rates", '[');
	for (i = 0; i < cur->st.nns; i++) {
		const struct tw_ns *ns = &cur->st.ns[i];

		tw_rates(ns, tw_prev_ns(prev, cur, i), tw_dt(cur, prev), &r);
		if (j) {
			tw_json_open(j, NULL, '{');
			tw_json_netns(j, cur, ns);
			tw_json_rates(j, "rates", &r);
			tw_json_close(j, '}');
			continue;
		}
		if (ns->departed)
			fprintf(f, "netns departed\n");
		else if (ns->has_netns)
			fprintf(f, "netns %llu\n",
				(unsigned long long)ns->netns);
		tw_text_rates(f, &r);
	}
	if (j)
		tw_json_close(j, ']');
	else
		fputc('\n', f);
}

static void tw_json_head(struct tw_json *j, const char *view,
			 const struct tw_sample *cur,
			 const struct tw_sample *prev)
{
	tw_json_str(j, "view", view);
	if (cur->watch)
		tw_json_fixed(j, "timestamp", cur->wall, 6);
	if (prev)
		tw_json_fixed(j, "interval_s", tw_dt(cur, prev), 3);
}

/* --- destination tables ------------------------------------------------ */

enum tw_dcol {
	TW_DC_NETNS,
	TW_DC_LOCAL,
	TW_DC_REMOTE,
	TW_DC_TW,
	TW_DC_REUSABLE,
	TW_DC_PORTS,
	TW_DC_IN_RANGE,
	TW_DC_PRESSURE,
	TW_DC_HELD,
	TW_DC_HELD_PRESSURE,
	TW_DC_FAILED,
	TW_DC_BAR,
	TW_DC_GROWTH,
	TW_DC_ETA,
	TW_DC_MAX
};

/*
 * Named as in JSON, one token each, units in the name: a header has as
 * many fields as a row, and -o takes these names.
 */
static const struct tw_col tw_dcols[TW_DC_MAX] = {
	[TW_DC_NETNS]		= { "netns", true },
	[TW_DC_LOCAL]		= { "local", true },
	[TW_DC_REMOTE]		= { "remote", true },
	[TW_DC_TW]		= { "tw", false },
	[TW_DC_REUSABLE]	= { "reusable", false },
	[TW_DC_PORTS]		= { "ports", false },
	[TW_DC_IN_RANGE]	= { "in_range", false },
	[TW_DC_PRESSURE]	= { "pressure_pct", false },
	[TW_DC_HELD]		= { "held", false },
	[TW_DC_HELD_PRESSURE]	= { "held_pressure_pct", false },
	[TW_DC_FAILED]		= { "failed", false },
	[TW_DC_BAR]		= { "bar", true },
	[TW_DC_GROWTH]		= { "growth_per_s", false },
	[TW_DC_ETA]		= { "seconds_to_full", false },
};

struct tw_dtable {
	const struct tw_hot *h;
	enum tw_dcol col[TW_MAX_FIELDS];
	unsigned int ncol;
	bool header;
};

/* A count a module may not have: "-" when the file had none. */
static void tw_fmt_int(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

static void tw_dcell(const void *ctx, size_t row, unsigned int c, char *buf,
		     size_t len)
{
	const struct tw_dtable *t = ctx;
	const struct tw_hot *h = &t->h[row];

	switch (t->col[c]) {
	case TW_DC_NETNS:
		if (h->ns->has_netns)
			snprintf(buf, len, "%llu",
				 (unsigned long long)h->ns->netns);
		else
			snprintf(buf, len, "-");
		break;
	case TW_DC_LOCAL:
		tw_fmt_addr(buf, len, &h->d->local, -1);
		break;
	case TW_DC_REMOTE:
		tw_fmt_addr(buf, len, &h->d->remote, (int)h->d->rport);
		break;
	case TW_DC_TW:
		snprintf(buf, len, "%llu", (unsigned long long)h->d->tw);
		break;
	case TW_DC_REUSABLE:
		snprintf(buf, len, "%llu", (unsigned long long)h->d->reusable);
		break;
	case TW_DC_PORTS:
		snprintf(buf, len, "%llu", (unsigned long long)h->d->ports);
		break;
	case TW_DC_IN_RANGE:
		if (h->in_range < 0)
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%.0f", h->in_range);
		break;
	case TW_DC_PRESSURE:
		tw_fmt_num(buf, len, h->d->pressure, false);
		break;
	case TW_DC_HELD:
		tw_fmt_int(buf, len, h->d->held);
		break;
	case TW_DC_HELD_PRESSURE:
		tw_fmt_num(buf, len, h->d->held_pressure, false);
		break;
	case TW_DC_FAILED:
		tw_fmt_int(buf, len, h->d->failed);
		break;
	case TW_DC_BAR:
		if (tw_taken(h->d) >= 0)
			tw_fmt_bar(buf, len, tw_taken(h->d));
		else
			snprintf(buf, len, "-");
		break;
	case TW_DC_GROWTH:
		tw_fmt_num(buf, len, h->growth, true);
		break;
	case TW_DC_ETA:
		tw_fmt_num(buf, len, h->eta, false);
		break;
	default:
		*buf = '\0';
	}
}

static void tw_dtable_add(struct tw_dtable *t, enum tw_dcol c)
{
	if (t->ncol < TW_MAX_FIELDS)
		t->col[t->ncol++] = c;
}

/* The index of @name in @cols, -1 if none. */
static int tw_col_find(const struct tw_col *cols, unsigned int n,
		       const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strlen(cols[i].name) == len &&
		    !strncmp(cols[i].name, name, len))
			return (int)i;
	return -1;
}

/*
 * -o: the columns named in @fields, in its order, into @col; returns how
 * many, or -1 with the first unknown name in @bad.
 */
static int tw_col_pick(const char *fields, const struct tw_col *cols,
		       unsigned int ncols, unsigned int *col, char *bad,
		       size_t badlen)
{
	const char *p = fields, *end;
	unsigned int n = 0;
	int c;

	/* Every name between commas counts: "tw," has an empty second. */
	for (;;) {
		end = p + strcspn(p, ",");
		if (n == TW_MAX_FIELDS) {
			snprintf(bad, badlen, "(more than %u)", TW_MAX_FIELDS);
			return -1;
		}
		c = tw_col_find(cols, ncols, p, (size_t)(end - p));
		if (c < 0) {
			snprintf(bad, badlen, "%.*s", (int)(end - p), p);
			return -1;
		}
		col[n++] = (unsigned int)c;
		if (!*end)
			return (int)n;
		p = end + 1;
	}
}

/* -o for top; tw_fields_check() has checked the names. */
static void tw_dtable_fields(struct tw_dtable *t, const char *fields)
{
	unsigned int col[TW_MAX_FIELDS];
	char bad[TW_CELL_MAX];
	int n, i;

	n = tw_col_pick(fields, tw_dcols, TW_DC_MAX, col, bad, sizeof(bad));
	for (i = 0; i < n; i++)
		tw_dtable_add(t, (enum tw_dcol)col[i]);
}

static void tw_dtable_print(FILE *f, const char *indent, struct tw_dtable *t,
			    size_t n)
{
	struct tw_col cols[TW_MAX_FIELDS];
	unsigned int i;

	for (i = 0; i < t->ncol; i++)
		cols[i] = tw_dcols[t->col[i]];
	tw_table(f, indent, cols, t->ncol, n, tw_dcell, t, t->header);
}

static void tw_json_dest(struct tw_json *j, const struct tw_hot *h,
			 bool watch)
{
	char a[TW_CELL_MAX];

	tw_json_open(j, NULL, '{');
	if (h->ns->has_netns)
		tw_json_u64(j, "netns", h->ns->netns);
	tw_json_str(j, "local", tw_fmt_addr(a, sizeof(a), &h->d->local, -1));
	tw_json_str(j, "remote", tw_fmt_addr(a, sizeof(a), &h->d->remote,
					     (int)h->d->rport));
	tw_json_u64(j, "tw", h->d->tw);
	tw_json_u64(j, "reusable", h->d->reusable);
	tw_json_u64(j, "ports", h->d->ports);
	if (h->in_range < 0)
		tw_json_null(j, "in_range");
	else
		tw_json_num(j, "in_range", h->in_range);
	if (h->d->pressure < 0)
		tw_json_null(j, "pressure_pct");
	else
		tw_json_num(j, "pressure_pct", h->d->pressure);
	if (h->d->held >= 0) {
		tw_json_u64(j, "held", (uint64_t)h->d->held);
		if (h->d->held_pressure < 0)
			tw_json_null(j, "held_pressure_pct");
		else
			tw_json_num(j, "held_pressure_pct",
				    h->d->held_pressure);
	}
	if (h->d->failed >= 0)
		tw_json_u64(j, "failed", (uint64_t)h->d->failed);
	if (watch) {
		tw_json_num(j, "growth_per_s", h->growth);
		tw_json_num(j, "seconds_to_full", h->eta);
	}
	tw_json_close(j, '}');
}

/* The columns of newer modules, when the file has them. */
static void tw_dtable_more(struct tw_dtable *t, const struct tw_hot *h,
			   size_t n)
{
	if (!n || h[0].d->held < 0)
		return;
	tw_dtable_add(t, TW_DC_HELD);
	tw_dtable_add(t, TW_DC_HELD_PRESSURE);
	if (h[0].d->failed >= 0)
		tw_dtable_add(t, TW_DC_FAILED);
}

/* --- summary ----------------------------------------------------------- */

static const char *tw_reuse_word(uint64_t v)
{
	switch (v) {
	case 0:
		return "off";
	case 1:
		return "on";
	case 2:
		return "loopback only";
	default:
		return "unknown value";
	}
}

static void tw_text_ends(FILE *f, const struct tw_ns *ns)
{
	const uint64_t *v = ns->val;
	char text[256];
	size_t len = 0;
	int i;

	for (i = 0; i < TW_CAUSES && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s%s %llu", i ? ", " : "",
					tw_cause_name(i),
					(unsigned long long)v[TWF_K_ENDED_TIMER + i]);
	tw_field(f, "", "%s", text);
}

static void tw_fmt_span(char *buf, size_t len, const struct tw_bucket *k)
{
	if (k->hi == UINT64_MAX)
		snprintf(buf, len, "over %.1f s", (double)k->lo / 1000);
	else if (k->hi < 1000 && k->lo == k->hi)
		snprintf(buf, len, "%llu ms", (unsigned long long)k->lo);
	else if (k->hi < 1000)
		snprintf(buf, len, "%llu-%llu ms", (unsigned long long)k->lo,
			 (unsigned long long)k->hi);
	else
		snprintf(buf, len, "%.1f-%.1f s", (double)k->lo / 1000,
			 (double)(k->hi + 1) / 1000);
}

/*
 * How long they really lasted: per cause, the lifetime bucket holding the
 * median of the tracked minisockets that ended that way.
 */
static void tw_text_life(FILE *f, const struct tw_ns *ns)
{
	uint64_t total, seen;
	char text[256], span[48];
	size_t len = 0;
	unsigned int b, c;

	for (c = 0; c < ns->ncauses && len < sizeof(text); c++) {
		total = 0;
		for (b = 0; b < ns->nbuckets; b++)
			total += ns->bucket[b].n[c];
		if (!total)
			continue;
		seen = 0;
		for (b = 0; b < ns->nbuckets - 1; b++) {
			seen += ns->bucket[b].n[c];
			if (2 * seen >= total)
				break;
		}
		tw_fmt_span(span, sizeof(span), &ns->bucket[b]);
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s%s %s", len ? ", " : "",
					ns->cause[c], span);
	}
	if (len)
		tw_field(f, "", "median lifetime: %s", text);
}

/* "connect()": the failures for want of a port, and the latest. */
static void tw_text_fails(FILE *f, const struct tw_ns *ns,
			  const struct tw_fail *last)
{
	char when[32], to[TW_CELL_MAX], pid[24];

	if (!(ns->have & TW_BIT(TWF_K_CONNECT_FAILED)))
		return;
	tw_field(f, "connect()", "%llu refused for want of a local port since load",
		 (unsigned long long)ns->val[TWF_K_CONNECT_FAILED]);
	if (!last)
		return;
	tw_fmt_secs(when, sizeof(when), (double)last->age_ms / 1000);
	if (last->pid < 0)
		snprintf(pid, sizeof(pid), "pid not visible here");
	else
		snprintf(pid, sizeof(pid), "pid %lld", (long long)last->pid);
	tw_field(f, "", "last failure %s ago: %s (%s) to %s%s", when,
		 last->comm, pid,
		 tw_fmt_addr(to, sizeof(to), &last->remote, (int)last->rport),
		 last->count > 1 ? " (the last of a run)" : "");
}

static void tw_text_ns(FILE *f, const struct tw_ns *ns,
		       const struct tw_hot *h, size_t nh,
		       const struct tw_rates *r, const struct tw_fail *last)
{
	const uint64_t *v = ns->val;
	uint64_t count = v[TWF_K_TW_COUNT], max = v[TWF_K_TCP_MAX_TW_BUCKETS];
	int64_t usable = tw_usable(ns);
	char b1[32], b2[32], b3[32];
	struct tw_dtable t = { .h = h, .header = true };

	tw_field(f, "TIME-WAIT", "%llu sockets (%llu in FIN-WAIT-2), %s%s%s%s",
		 (unsigned long long)count,
		 (unsigned long long)v[TWF_K_TW_FIN_WAIT2],
		 tw_fmt_bytes(b1, sizeof(b1), v[TWF_K_TW_MEMORY_BYTES]),
		 count ? " (" : "",
		 count ? tw_fmt_bytes(b2, sizeof(b2),
				      v[TWF_K_TW_MEMORY_BYTES] / count) : "",
		 count ? " each)" : "");
	tw_field(f, "", "limit %llu (tcp_max_tw_buckets), %s used, %llu overflowed",
		 (unsigned long long)max,
		 tw_fmt_pct(b3, sizeof(b3), max ? 100.0 * (double)count /
			    (double)max : -1),
		 (unsigned long long)v[TWF_K_OVERFLOW]);
	tw_field(f, "ended", "%llu of %llu entered since load",
		 (unsigned long long)v[TWF_K_ENDED],
		 (unsigned long long)v[TWF_K_ENTERED]);
	tw_text_ends(f, ns);
	tw_field(f, "", "%llu rearmed, %llu FIN-WAIT-2 to TIME-WAIT, %llu untracked",
		 (unsigned long long)v[TWF_K_REARMED],
		 (unsigned long long)v[TWF_K_FIN_WAIT2_TO_TIME_WAIT],
		 (unsigned long long)v[TWF_K_UNTRACKED]);
	tw_text_life(f, ns);
	if (r)
		tw_text_rates(f, r);
	tw_field(f, "roles", "%llu client, %llu server, %llu other",
		 (unsigned long long)v[TWF_K_ROLE_CLIENT],
		 (unsigned long long)v[TWF_K_ROLE_SERVER],
		 (unsigned long long)v[TWF_K_ROLE_OTHER]);
	tw_field(f, "ports", "%llu-%llu: %lld usable ports (%llu reserved)",
		 (unsigned long long)v[TWF_K_PORT_LOW],
		 (unsigned long long)v[TWF_K_PORT_HIGH], (long long)usable,
		 (unsigned long long)v[TWF_K_PORTS_RESERVED]);
	tw_text_fails(f, ns, last);
	if (nh && h[0].in_range > 0)
		tw_field(f, "", "busiest destination %s holds %.0f of them (%s)",
			 tw_fmt_addr(b1, sizeof(b1), &h[0].d->remote,
				     (int)h[0].d->rport),
			 h[0].in_range,
			 tw_fmt_pct(b2, sizeof(b2), h[0].d->pressure));
	else
		tw_field(f, "", "no destination holds any of them");
	tw_field(f, "tcp_tw_reuse", "%llu (%s): %llu sockets reusable now",
		 (unsigned long long)v[TWF_K_TCP_TW_REUSE],
		 tw_reuse_word(v[TWF_K_TCP_TW_REUSE]),
		 (unsigned long long)v[TWF_K_REUSE_ELIGIBLE]);
	if (ns->have & TW_BIT(TWF_K_TCP_TW_REUSE_DELAY_MS))
		tw_field(f, "", "tcp_timestamps %llu, tcp_tw_reuse_delay %llu ms",
			 (unsigned long long)v[TWF_K_TCP_TIMESTAMPS],
			 (unsigned long long)v[TWF_K_TCP_TW_REUSE_DELAY_MS]);
	else
		tw_field(f, "", "tcp_timestamps %llu",
			 (unsigned long long)v[TWF_K_TCP_TIMESTAMPS]);
	tw_field(f, "module", "%s of table memory for this namespace",
		 tw_fmt_bytes(b1, sizeof(b1), v[TWF_K_TABLE_MEMORY_BYTES]));
	if (!nh)
		return;
	fprintf(f, "\nhottest destinations\n");
	tw_dtable_add(&t, TW_DC_LOCAL);
	tw_dtable_add(&t, TW_DC_REMOTE);
	tw_dtable_add(&t, TW_DC_TW);
	tw_dtable_add(&t, TW_DC_REUSABLE);
	tw_dtable_add(&t, TW_DC_PRESSURE);
	tw_dtable_more(&t, h, nh);
	tw_dtable_add(&t, TW_DC_BAR);
	tw_dtable_print(f, "", &t, nh < TW_SUMMARY_TOP ? nh : TW_SUMMARY_TOP);
}

static void tw_text_departed(FILE *f, const struct tw_ns *ns,
			     const struct tw_rates *r)
{
	const uint64_t *v = ns->val;

	tw_field(f, "departed", "%llu namespaces since load: %llu entered, %llu ended",
		 (unsigned long long)v[TWF_K_NAMESPACES],
		 (unsigned long long)v[TWF_K_ENTERED],
		 (unsigned long long)v[TWF_K_ENDED]);
	tw_text_ends(f, ns);
	tw_text_life(f, ns);
	if (r)
		tw_text_rates(f, r);
}

static void tw_json_life(struct tw_json *j, const struct tw_ns *ns)
{
	unsigned int b, c;

	tw_json_open(j, "lifetimes_ms", '[');
	for (b = 0; b < ns->nbuckets; b++) {
		const struct tw_bucket *k = &ns->bucket[b];

		tw_json_open(j, NULL, '{');
		tw_json_u64(j, "from", k->lo);
		if (k->hi == UINT64_MAX)
			tw_json_null(j, "to");
		else
			tw_json_u64(j, "to", k->hi);
		for (c = 0; c < ns->ncauses; c++)
			tw_json_u64(j, ns->cause[c], k->n[c]);
		tw_json_close(j, '}');
	}
	tw_json_close(j, ']');
}

static void tw_json_fail(struct tw_json *j, const struct tw_fail *last)
{
	char to[TW_CELL_MAX];

	if (!last)
		return;
	tw_json_open(j, "last_failure", '{');
	tw_json_u64(j, "time_ms", last->time_ms);
	tw_json_u64(j, "age_ms", last->age_ms);
	tw_json_u64(j, "count", last->count);
	if (last->pid < 0)
		tw_json_null(j, "pid");
	else
		tw_json_u64(j, "pid", (uint64_t)last->pid);
	tw_json_str(j, "comm", last->comm);
	tw_json_str(j, "local", tw_fmt_addr(to, sizeof(to), &last->local, -1));
	tw_json_str(j, "remote", tw_fmt_addr(to, sizeof(to), &last->remote,
					     (int)last->rport));
	tw_json_close(j, '}');
}

static void tw_json_ns(struct tw_json *j, const struct tw_sample *cur,
		       const struct tw_sample *prev, unsigned int i)
{
	const struct tw_ns *ns = &cur->st.ns[i];
	struct tw_hot *h;
	struct tw_rates r;
	size_t n, k;
	int key;

	tw_json_open(j, NULL, '{');
	tw_json_netns(j, cur, ns);
	for (key = 0; key < TWF_K_MAX; key++)
		if (ns->have & TW_BIT(key))
			tw_json_u64(j, tw_key_name((enum twf_key)key),
				    ns->val[key]);
	if (!ns->departed && tw_usable(ns) >= 0 &&
	    !(ns->have & TW_BIT(TWF_K_PORTS_USABLE)))
		tw_json_u64(j, "ports_usable", (uint64_t)tw_usable(ns));
	if (prev) {
		tw_rates(ns, tw_prev_ns(prev, cur, i), tw_dt(cur, prev), &r);
		tw_json_rates(j, "rates", &r);
	}
	tw_json_fail(j, tw_last_fail(cur, ns));
	if (!ns->departed) {
		n = tw_rank(cur, prev, (int)i, &h);
		tw_json_open(j, "destinations", '[');
		for (k = 0; k < n; k++)
			tw_json_dest(j, &h[k], prev);
		tw_json_close(j, ']');
		free(h);
	}
	tw_json_life(j, ns);
	tw_json_close(j, '}');
}

int tw_summary(FILE *f, const struct tw_opts *o, const struct tw_sample *cur,
	       const struct tw_sample *prev)
{
	struct tw_json j;
	struct tw_rates r;
	struct tw_hot *h;
	unsigned int i;
	size_t n;

	if (tw_need_all(cur, prev, TW_SUMMARY_KEYS, TW_DEPARTED_KEYS,
			"the summary"))
		return -1;
	if (o->format == TW_JSON) {
		tw_json_begin(&j, f, !cur->watch);
		tw_json_open(&j, NULL, '{');
		tw_json_head(&j, "summary", cur, prev);
		tw_json_open(&j, "namespaces", '[');
		for (i = 0; i < cur->st.nns; i++)
			tw_json_ns(&j, cur, prev, i);
		tw_json_close(&j, ']');
		tw_json_close(&j, '}');
		tw_json_end(&j);
		return 0;
	}
	for (i = 0; i < cur->st.nns; i++) {
		const struct tw_ns *ns = &cur->st.ns[i];

		tw_text_netns(f, cur, ns, !i);
		tw_rates(ns, tw_prev_ns(prev, cur, i), tw_dt(cur, prev), &r);
		if (ns->departed) {
			tw_text_departed(f, ns, prev ? &r : NULL);
			continue;
		}
		n = tw_rank(cur, prev, (int)i, &h);
		tw_text_ns(f, ns, h, n, prev ? &r : NULL,
			   tw_last_fail(cur, ns));
		free(h);
	}
	return 0;
}

/* --- top --------------------------------------------------------------- */

int tw_top(FILE *f, const struct tw_opts *o, const struct tw_sample *cur,
	   const struct tw_sample *prev)
{
	struct tw_dtable t = { 0 };
	struct tw_hot *h;
	struct tw_json j;
	size_t n, k;

	if (tw_need_all(cur, prev, 0, 0, "top"))
		return -1;
	n = tw_rank(cur, prev, -1, &h);
	if (n > o->top_n)
		n = o->top_n;
	if (o->format == TW_JSON) {
		tw_json_begin(&j, f, !cur->watch);
		tw_json_open(&j, NULL, '{');
		tw_json_head(&j, "top", cur, prev);
		tw_all_rates(f, &j, cur, prev);
		tw_json_open(&j, "destinations", '[');
		for (k = 0; k < n; k++)
			tw_json_dest(&j, &h[k], prev);
		tw_json_close(&j, ']');
		tw_json_close(&j, '}');
		tw_json_end(&j);
		free(h);
		return 0;
	}
	tw_all_rates(f, NULL, cur, prev);
	t.h = h;
	t.header = !o->no_header;
	if (o->fields) {
		tw_dtable_fields(&t, o->fields);
		goto print;
	}
	if (cur->st.all)
		tw_dtable_add(&t, TW_DC_NETNS);
	tw_dtable_add(&t, TW_DC_LOCAL);
	tw_dtable_add(&t, TW_DC_REMOTE);
	tw_dtable_add(&t, TW_DC_TW);
	tw_dtable_add(&t, TW_DC_REUSABLE);
	tw_dtable_add(&t, TW_DC_PORTS);
	tw_dtable_add(&t, TW_DC_IN_RANGE);
	tw_dtable_add(&t, TW_DC_PRESSURE);
	tw_dtable_more(&t, h, n);
	if (prev) {
		tw_dtable_add(&t, TW_DC_GROWTH);
		tw_dtable_add(&t, TW_DC_ETA);
	}
	tw_dtable_add(&t, TW_DC_BAR);
print:
	tw_dtable_print(f, "", &t, n);
	free(h);
	return 0;
}

/* --- sockets ----------------------------------------------------------- */

enum tw_scol {
	TW_SC_NETNS,
	TW_SC_LOCAL,
	TW_SC_REMOTE,
	TW_SC_STATE,
	TW_SC_AGE,
	TW_SC_LEFT,
	TW_SC_REUSE,
	TW_SC_REARMS,
	TW_SC_ROLE,
	TW_SC_MAX
};

/* As in /proc/tw_sockets and JSON. */
static const struct tw_col tw_scols[TW_SC_MAX] = {
	[TW_SC_NETNS]	= { "netns", true },
	[TW_SC_LOCAL]	= { "local", true },
	[TW_SC_REMOTE]	= { "remote", true },
	[TW_SC_STATE]	= { "state", true },
	[TW_SC_AGE]	= { "age_ms", false },
	[TW_SC_LEFT]	= { "expires_ms", false },
	[TW_SC_REUSE]	= { "reuse", true },
	[TW_SC_REARMS]	= { "rearms", false },
	[TW_SC_ROLE]	= { "role", true },
};

struct tw_stable {
	const struct tw_sample *s;
	unsigned int col[TW_MAX_FIELDS];
	unsigned int ncol;
};

/* ss's spelling; the /proc files keep the kernel's. */
static const char *tw_state_name(enum tw_state s)
{
	return s == TW_FIN_WAIT2 ? "FIN-WAIT-2" : "TIME-WAIT";
}

static void tw_scell(const void *ctx, size_t row, unsigned int c, char *buf,
		     size_t len)
{
	const struct tw_stable *t = ctx;
	const struct tw_sock *k = &t->s->rows[row].s;

	switch (t->col[c]) {
	case TW_SC_NETNS:
		if (t->s->sockets_all)
			snprintf(buf, len, "%llu",
				 (unsigned long long)k->netns);
		else
			snprintf(buf, len, "-");
		break;
	case TW_SC_LOCAL:
		tw_fmt_addr(buf, len, &k->laddr, (int)k->lport);
		break;
	case TW_SC_REMOTE:
		tw_fmt_addr(buf, len, &k->raddr, (int)k->rport);
		break;
	case TW_SC_STATE:
		snprintf(buf, len, "%s", tw_state_name(k->state));
		break;
	case TW_SC_AGE:
		snprintf(buf, len, "%llu", (unsigned long long)k->age_ms);
		break;
	case TW_SC_LEFT:
		snprintf(buf, len, "%llu", (unsigned long long)k->expires_ms);
		break;
	case TW_SC_REUSE:
		snprintf(buf, len, "%s", k->reuse ? "yes" : "no");
		break;
	case TW_SC_REARMS:
		snprintf(buf, len, "%llu", (unsigned long long)k->rearms);
		break;
	case TW_SC_ROLE:
		snprintf(buf, len, "%s", tw_role_name(k->role));
		break;
	default:
		*buf = '\0';
	}
}

static void tw_json_sock(struct tw_json *j, const struct tw_sock *k,
			 bool all)
{
	char a[TW_CELL_MAX];

	tw_json_open(j, NULL, '{');
	if (all)
		tw_json_u64(j, "netns", k->netns);
	tw_json_str(j, "local", tw_fmt_addr(a, sizeof(a), &k->laddr,
					    (int)k->lport));
	tw_json_str(j, "remote", tw_fmt_addr(a, sizeof(a), &k->raddr,
					     (int)k->rport));
	tw_json_str(j, "state", tw_state_name(k->state));
	tw_json_u64(j, "age_ms", k->age_ms);
	tw_json_u64(j, "expires_ms", k->expires_ms);
	tw_json_bool(j, "reuse", k->reuse);
	tw_json_u64(j, "rearms", k->rearms);
	tw_json_str(j, "role", tw_role_name(k->role));
	tw_json_close(j, '}');
}

static void tw_stable_print(FILE *f, const struct tw_opts *o,
			    const struct tw_sample *cur)
{
	struct tw_stable t = { .s = cur };
	struct tw_col cols[TW_MAX_FIELDS];
	char bad[TW_CELL_MAX];
	unsigned int c;
	int n;

	if (o->fields) {
		n = tw_col_pick(o->fields, tw_scols, TW_SC_MAX, t.col, bad,
				sizeof(bad));
		t.ncol = n > 0 ? (unsigned int)n : 0;
	} else {
		/* The netns column only in the all-namespace view. */
		for (c = cur->sockets_all ? 0 : 1; c < TW_SC_MAX; c++)
			t.col[t.ncol++] = c;
	}
	for (c = 0; c < t.ncol; c++)
		cols[c] = tw_scols[t.col[c]];
	tw_table(f, "", cols, t.ncol, cur->nrows, tw_scell, &t,
		 !o->no_header);
}

/*
 * -o FIELD,...: 0 when every name is a column of @view's table, else -1
 * with the first unknown one in @bad and the known ones in @list.
 */
int tw_fields_check(enum tw_view view, const char *fields, char *bad,
		    size_t badlen, char *list, size_t listlen)
{
	const struct tw_col *cols = view == TW_TOP ? tw_dcols : tw_scols;
	unsigned int n = view == TW_TOP ? TW_DC_MAX : TW_SC_MAX, i;
	unsigned int col[TW_MAX_FIELDS];
	size_t len = 0;

	if (tw_col_pick(fields, cols, n, col, bad, badlen) > 0)
		return 0;
	for (i = 0; i < n && len < listlen; i++)
		len += (size_t)snprintf(list + len, listlen - len, "%s%s",
					i ? "," : "", cols[i].name);
	return -1;
}

int tw_sockets(FILE *f, const struct tw_opts *o, const struct tw_sample *cur,
	       const struct tw_sample *prev)
{
	struct tw_json j;
	size_t k;

	if (tw_need_all(cur, prev, 0, 0, "sockets"))
		return -1;
	if (o->format == TW_JSON) {
		tw_json_begin(&j, f, !cur->watch);
		tw_json_open(&j, NULL, '{');
		tw_json_head(&j, "sockets", cur, prev);
		tw_all_rates(f, &j, cur, prev);
		tw_json_u64(&j, "total", cur->total_rows);
		tw_json_open(&j, "sockets", '[');
		for (k = 0; k < cur->nrows; k++)
			tw_json_sock(&j, &cur->rows[k].s, cur->sockets_all);
		tw_json_close(&j, ']');
		tw_json_close(&j, '}');
		tw_json_end(&j);
		return 0;
	}
	tw_all_rates(f, NULL, cur, prev);
	tw_stable_print(f, o, cur);
	return 0;
}
