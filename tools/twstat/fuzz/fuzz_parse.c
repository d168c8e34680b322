// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for parse.c: every input goes through both file
 * parsers and the address parser.  They must return (0 or -1 with a
 * message), never crash, leak or read out of bounds.  Whatever parses is
 * then handed to every view in every format, once alone and once as the
 * second of two samples, because a file can be well formed and still
 * hold numbers no kernel writes (ports beyond 65535, counters near
 * 2^64).  Run by `make fuzz FUZZ_SECONDS=N`, seeded from tests/fixtures.
 */

#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "parse.h"
#include "twstat.h"

#define FUZZ_ROWS	4096

/* Check what a row claims, and keep some for the sockets view. */
static int fuzz_row(void *ctx, const struct tw_sock *s)
{
	struct tw_sample *t = ctx;

	if (s->lport > 65535 || s->rport > 65535 || s->role >= TW_ROLE_MAX ||
	    s->laddr.family != s->raddr.family)
		abort();
	t->total_rows++;
	if (t->nrows < FUZZ_ROWS) {
		t->rows[t->nrows].s = *s;
		t->rows[t->nrows].idx = t->nrows;
		t->nrows++;
	}
	return 0;
}

static void fuzz_views(const struct tw_sample *cur,
		       const struct tw_sample *prev, unsigned char seed)
{
	static FILE *null;
	struct tw_opts o = {
		.top_n = 1 + seed % 12,
		.threshold = seed % 101,
		.rport = -1, .lport = -1, .state = -1, .role = -1,
	};

	if (!null)
		null = fopen("/dev/null", "w");
	if (!null)
		abort();
	for (o.format = TW_TEXT; o.format <= TW_JSON; o.format++) {
		tw_summary(null, &o, cur, prev);
		tw_top(null, &o, cur, prev);
		tw_sockets(null, &o, cur, prev);
		tw_advise(null, &o, cur, prev);
	}
	tw_prometheus(null, &o, cur);
}

static void fuzz_stats(const struct tw_stats *st)
{
	unsigned int i, j;

	for (i = 0; i < st->nns; i++) {
		const struct tw_ns *ns = &st->ns[i];

		if (ns->ndest > TW_MAX_DESTS || ns->nbuckets > TW_MAX_BUCKETS ||
		    ns->ncauses > TW_MAX_CAUSES || !ns->nbuckets)
			abort();
		for (j = 0; j < ns->ndest; j++)
			if (ns->dest[j].rport > 65535)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const struct tw_limits lim = { 100000, 1000, TW_MAX_DESTS };
	static struct tw_row rows[FUZZ_ROWS];
	struct tw_sample cur = { .stats_path = "fuzz", .rows = rows,
				 .mono = 1 };
	struct tw_sample prev = { .stats_path = "fuzz" };
	struct tw_error err;
	struct tw_addr a;
	unsigned int port;
	char addr[80];
	bool parsed;
	FILE *f;

	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	parsed = !tw_parse_stats(f, &lim, &cur.st, &err);
	if (parsed)
		fuzz_stats(&cur.st);
	else if (!err.msg[0])
		abort();
	fclose(f);

	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (tw_parse_sockets(f, &lim, &cur.sockets_all, fuzz_row, &cur,
			      &err) && !err.msg[0])
		abort();
	fclose(f);

	if (parsed) {
		f = fmemopen((void *)data, size, "r");
		if (f && !tw_parse_stats(f, &lim, &prev.st, &err)) {
			fuzz_views(&cur, NULL, size ? data[0] : 0);
			fuzz_views(&cur, &prev, size ? data[size - 1] : 0);
			tw_stats_free(&prev.st);
		}
		if (f)
			fclose(f);
		tw_stats_free(&cur.st);
	}

	if (size < sizeof(addr)) {
		memcpy(addr, data, size);
		addr[size] = '\0';
		tw_parse_addr(addr, &a, NULL);
		tw_parse_addr(addr, &a, &port);
	}
	return 0;
}
