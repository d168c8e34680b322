// SPDX-License-Identifier: GPL-2.0
/*
 * What advise needs from /proc/tw_sockets: per destination of
 * /proc/tw_stats, how many of its rows there are, on which side, in the
 * port range, how old.  Counted while twstat.c reads the file, row by
 * row, because advise keeps none of the rows (there can be millions);
 * no other view counts, so this sits beside advise.c.
 */

#include <stdlib.h>

#include "twstat.h"

/* A destination of tw_stats, to find the rows of tw_sockets that are it. */
struct tw_dref {
	uint64_t netns;
	const struct tw_dest *d;
	struct tw_agg *agg;
	uint64_t lo, hi;		/* the port range of its namespace */
};

static int tw_dref_cmp(const void *a, const void *b)
{
	const struct tw_dref *x = a, *y = b;
	int c;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	c = tw_addr_cmp(&x->d->local, &y->d->local);
	if (!c)
		c = tw_addr_cmp(&x->d->remote, &y->d->remote);
	if (!c && x->d->rport != y->d->rport)
		c = x->d->rport < y->d->rport ? -1 : 1;
	return c;
}

/*
 * One struct tw_agg per destination, found by binary search.  On -1 (no
 * memory) the index is freed; what s->agg holds is tw_sample's to free.
 */
int tw_refs_init(struct tw_sample *s, struct tw_refs *r)
{
	unsigned int i, j;
	size_t n = 0;

	s->agg = calloc(s->st.nns, sizeof(*s->agg));
	for (i = 0; s->agg && i < s->st.nns; i++)
		n += s->st.ns[i].ndest;
	r->ref = calloc(n ? n : 1, sizeof(*r->ref));
	r->n = 0;
	if (!s->agg || !r->ref)
		goto fail;
	for (i = 0; i < s->st.nns; i++) {
		const struct tw_ns *ns = &s->st.ns[i];

		if (!ns->ndest)
			continue;
		s->agg[i] = calloc(ns->ndest, sizeof(**s->agg));
		if (!s->agg[i])
			goto fail;
		for (j = 0; j < ns->ndest; j++) {
			struct tw_dref *d = &r->ref[r->n++];

			s->agg[i][j].server_port = -1;
			d->netns = ns->netns;
			d->d = &ns->dest[j];
			d->agg = &s->agg[i][j];
			d->lo = ns->val[TWF_K_PORT_LOW];
			d->hi = ns->val[TWF_K_PORT_HIGH];
		}
	}
	qsort(r->ref, r->n, sizeof(*r->ref), tw_dref_cmp);
	return 0;
fail:
	tw_refs_free(r);
	return -1;
}

void tw_agg_count(const struct tw_refs *r, const struct tw_sock *k)
{
	struct tw_dest d = { .local = k->laddr, .remote = k->raddr,
			      .rport = k->rport };
	struct tw_dref key = { .netns = k->netns, .d = &d }, *ref;
	struct tw_agg *a;

	ref = bsearch(&key, r->ref, r->n, sizeof(*ref), tw_dref_cmp);
	if (!ref)
		return;
	a = ref->agg;
	a->rows++;
	a->role[k->role]++;
	if (k->lport >= ref->lo && k->lport <= ref->hi)
		a->in_range++;
	if (k->age_ms > a->max_age_ms)
		a->max_age_ms = k->age_ms;
	if (k->role == TW_ROLE_SERVER && a->server_port < 0)
		a->server_port = (int)k->lport;
}

void tw_refs_free(struct tw_refs *r)
{
	free(r->ref);
	r->ref = NULL;
	r->n = 0;
}
