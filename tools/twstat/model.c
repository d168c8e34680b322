// SPDX-License-Identifier: GPL-2.0
/*
 * The numbers derived from a sample rather than read from it: usable
 * ports, in-range counts, rates, growth, the ranking of destinations.
 * They live apart from the views so that each is computed once, the same
 * way for text, JSON, Prometheus and advise, which therefore never
 * disagree; nothing here prints but the one error a view's missing key
 * gives.
 *
 * /proc/tw_stats gives each destination's in_range count; a module older
 * than that column gives only the pressure = in_range / ports, from which
 * in_range = pressure * ports / 100 is exact while ports <= 1000 and off
 * by ports / 2000 at most beyond (the file has one decimal).  advise
 * reads /proc/tw_sockets anyway and counts instead.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "twstat.h"

int tw_need(const struct tw_sample *s, const struct tw_ns *ns,
	    uint64_t keys, const char *view)
{
	uint64_t miss = keys & ~ns->have;

	if (!miss)
		return 0;
	tw_err("%s:%lu: this block has no '%s', which %s needs",
	       s->stats_path, ns->line,
	       tw_key_name((enum twf_key)__builtin_ctzll(miss)), view);
	return -1;
}

/* tw_need() for every block; an interval adds the rate keys. */
int tw_need_all(const struct tw_sample *cur, const struct tw_sample *prev,
		uint64_t keys, uint64_t departed_keys, const char *view)
{
	unsigned int i;

	if (prev) {
		keys |= TW_RATE_KEYS;
		departed_keys |= TW_RATE_KEYS;
	}
	for (i = 0; i < cur->st.nns; i++) {
		const struct tw_ns *ns = &cur->st.ns[i];

		if (tw_need(cur, ns, ns->departed ? departed_keys : keys, view))
			return -1;
	}
	return 0;
}

static bool tw_same_block(const struct tw_ns *a, const struct tw_ns *b)
{
	return a->departed == b->departed && a->has_netns == b->has_netns &&
	       a->netns == b->netns;
}

/* The block of the previous sample that is the same namespace. */
const struct tw_ns *tw_prev_ns(const struct tw_sample *prev,
				const struct tw_sample *cur, unsigned int i)
{
	const struct tw_ns *c = &cur->st.ns[i];
	unsigned int j;

	if (!prev)
		return NULL;
	/* Namespaces keep their order from one read to the next. */
	if (i < prev->st.nns && tw_same_block(&prev->st.ns[i], c))
		return &prev->st.ns[i];
	for (j = 0; j < prev->st.nns; j++)
		if (tw_same_block(&prev->st.ns[j], c))
			return &prev->st.ns[j];
	return NULL;
}

void tw_rates(const struct tw_ns *cur, const struct tw_ns *prev,
	      double dt, struct tw_rates *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->dt = dt;
	if (!prev || dt <= 0 || (prev->have & TW_RATE_KEYS) != TW_RATE_KEYS ||
	    (cur->have & TW_RATE_KEYS) != TW_RATE_KEYS)
		return;
	/* Counters that went back mean the module was reloaded. */
	for (i = 0; i < TWF_K_MAX; i++)
		if ((TW_RATE_KEYS & TW_BIT(i)) && cur->val[i] < prev->val[i])
			return;
	r->entered = (double)(cur->val[TWF_K_ENTERED] -
			      prev->val[TWF_K_ENTERED]) / dt;
	r->ended = (double)(cur->val[TWF_K_ENDED] -
			    prev->val[TWF_K_ENDED]) / dt;
	for (i = 0; i < TW_CAUSES; i++)
		r->cause[i] = (double)(cur->val[TWF_K_ENDED_TIMER + i] -
				       prev->val[TWF_K_ENDED_TIMER + i]) / dt;
	r->ok = true;
}

/* Ports fit in 16 bits: a bogus file must not overflow the arithmetic. */
int64_t tw_port_key(const struct tw_ns *ns, enum twf_key k)
{
	return ns->val[k] > 65536 ? 65536 : (int64_t)ns->val[k];
}

int64_t tw_usable(const struct tw_ns *ns)
{
	int64_t n;

	/* The module's own figure, when it has one. */
	if (ns->have & TW_BIT(TWF_K_PORTS_USABLE))
		return tw_port_key(ns, TWF_K_PORTS_USABLE);
	if (~ns->have & (TW_BIT(TWF_K_PORT_LOW) | TW_BIT(TWF_K_PORT_HIGH)))
		return -1;
	n = tw_port_key(ns, TWF_K_PORT_HIGH) -
	    tw_port_key(ns, TWF_K_PORT_LOW) + 1;
	if (ns->have & TW_BIT(TWF_K_PORTS_RESERVED))
		n -= tw_port_key(ns, TWF_K_PORTS_RESERVED);
	return n > 0 ? n : 0;
}

static double tw_in_range(const struct tw_sample *s, unsigned int nsi,
			  unsigned int di)
{
	const struct tw_dest *d = &s->st.ns[nsi].dest[di];

	/* The module's count first, so that top and advise agree. */
	if (d->in_range >= 0)
		return (double)d->in_range;
	if (s->agg && s->agg[nsi])
		return (double)s->agg[nsi][di].in_range;
	if (d->pressure < 0)
		return -1;
	return round(d->pressure * (double)d->ports / 100);
}

static bool tw_same_dest(const struct tw_dest *a, const struct tw_dest *b)
{
	return a->rport == b->rport && !tw_addr_cmp(&a->local, &b->local) &&
	       !tw_addr_cmp(&a->remote, &b->remote);
}

/* Growth since the previous sample of the same destination, if any. */
static void tw_growth(const struct tw_sample *cur, const struct tw_sample *prev,
		      struct tw_hot *h)
{
	const struct tw_ns *pns = tw_prev_ns(prev, cur, h->nsi);
	double dt, pin, rate;
	unsigned int j;

	h->growth = NAN;
	h->eta = NAN;
	if (!pns)
		return;
	dt = cur->mono - prev->mono;
	for (j = 0; j < pns->ndest; j++)
		if (tw_same_dest(&pns->dest[j], h->d))
			break;
	if (j == pns->ndest || dt <= 0)
		return;
	h->growth = ((double)h->d->tw - (double)pns->dest[j].tw) / dt;
	pin = tw_in_range(prev, (unsigned int)(pns - prev->st.ns), j);
	if (h->in_range < 0 || pin < 0)
		return;
	rate = (h->in_range - pin) / dt;
	if (rate > 0)
		h->eta = fmax(0, (double)h->d->ports - h->in_range) / rate;
}

/* What a destination's ports are taken by: all states when known. */
double tw_taken(const struct tw_dest *d)
{
	return d->held >= 0 ? d->held_pressure : d->pressure;
}

/* connect()s failing there first, then the ports taken, then TIME_WAIT. */
static int tw_hot_cmp(const void *a, const void *b)
{
	const struct tw_hot *x = a, *y = b;

	if ((x->d->failed > 0) != (y->d->failed > 0))
		return x->d->failed > 0 ? -1 : 1;
	if (tw_taken(x->d) != tw_taken(y->d))
		return tw_taken(x->d) > tw_taken(y->d) ? -1 : 1;
	if (x->d->pressure != y->d->pressure)
		return x->d->pressure > y->d->pressure ? -1 : 1;
	if (x->d->tw != y->d->tw)
		return x->d->tw > y->d->tw ? -1 : 1;
	if (x->nsi != y->nsi)
		return x->nsi < y->nsi ? -1 : 1;
	return x->di < y->di ? -1 : x->di > y->di;
}

/*
 * The destinations of namespace nsi (all of them when nsi < 0), hottest
 * first.  Returns how many; *out is NULL when that is none or no memory.
 */
size_t tw_rank(const struct tw_sample *cur, const struct tw_sample *prev,
	       int nsi, struct tw_hot **out)
{
	struct tw_hot *h;
	size_t n = 0, k = 0;
	unsigned int i, j;

	*out = NULL;
	for (i = 0; i < cur->st.nns; i++)
		if (nsi < 0 || (unsigned int)nsi == i)
			n += cur->st.ns[i].ndest;
	if (!n)
		return 0;
	h = calloc(n, sizeof(*h));
	if (!h)
		return 0;
	for (i = 0; i < cur->st.nns; i++) {
		if (nsi >= 0 && (unsigned int)nsi != i)
			continue;
		for (j = 0; j < cur->st.ns[i].ndest; j++, k++) {
			h[k].nsi = i;
			h[k].di = j;
			h[k].ns = &cur->st.ns[i];
			h[k].d = &cur->st.ns[i].dest[j];
			h[k].in_range = tw_in_range(cur, i, j);
			tw_growth(cur, prev, &h[k]);
		}
	}
	qsort(h, n, sizeof(*h), tw_hot_cmp);
	*out = h;
	return n;
}

/* The latest failure of @ns's namespace, if /proc/tw_failures had one. */
const struct tw_fail *tw_last_fail(const struct tw_sample *s,
				    const struct tw_ns *ns)
{
	size_t i;

	for (i = 0; i < s->nlast; i++)
		if (s->last_fail[i].netns == (ns->has_netns ? ns->netns : 0))
			return &s->last_fail[i];
	return NULL;
}
