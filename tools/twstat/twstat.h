/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What twstat.c (options, reading, the watch loop), model.c (the numbers
 * derived from a sample), views.c (summary, top, sockets), prometheus.c,
 * advise.c and advise_agg.c share.  A view gets the current sample and,
 * when watching, the previous one; it writes into memory and returns -1
 * after saying why on stderr, in which case nothing of that sample
 * reaches stdout.
 */
#ifndef _TWSTAT_H
#define _TWSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "output.h"
#include "parse.h"

#define TWSTAT_VERSION	"0.1"

enum tw_view {
	TW_SUMMARY,
	TW_TOP,
	TW_SOCKETS,
	TW_ADVISE,
};

enum tw_format {
	TW_TEXT,
	TW_JSON,
	TW_PROM,
};

enum tw_sort {
	TW_SORT_FILE,
	TW_SORT_AGE,			/* oldest first */
	TW_SORT_LEFT,			/* least time left first */
};

/* Columns a text table may have (-o). */
#define TW_MAX_FIELDS	16

struct tw_opts {
	enum tw_view view;
	enum tw_format format;
	const char *proc_dir;
	bool all_netns;
	double interval;		/* seconds; 0 for one sample */
	unsigned long count;		/* samples; 0 for no end */
	unsigned int top_n;
	double threshold;		/* advise: percent */
	/* sockets filters: family 0 or -1 when not given */
	struct tw_addr raddr;
	int rport, lport, state, role;
	enum tw_sort sort;
	const char *fields;		/* -o: NULL for the view's own */
	bool no_header;			/* -H */
	bool verbose;			/* -v */
};

/* What /proc/tw_sockets says about one destination of /proc/tw_stats. */
struct tw_agg {
	uint64_t rows;
	uint64_t in_range;		/* local port within the range */
	uint64_t role[TW_ROLE_MAX];
	uint64_t max_age_ms;
	int server_port;		/* a listener's port, or -1 */
};

struct tw_row {
	struct tw_sock s;
	size_t idx;			/* file order */
};

/* Who lives in a network namespace (procs.c). */
#define TW_OWNER_PIDS	3

struct tw_owner {
	uint64_t netns;
	unsigned int npids;		/* processes found in it */
	unsigned int nkept;
	int pid[TW_OWNER_PIDS];		/* the lowest */
	char comm[TW_OWNER_PIDS][17];
	char runtime[16];		/* "docker", ...; "" for none */
	char id[65];			/* container ID or machine name */
	char pod[48];			/* a Kubernetes pod's UID */
};

struct tw_owners {
	bool scanned;			/* the live /proc was read */
	struct tw_owner *o;
	size_t n;
};

int tw_owners_scan(struct tw_owners *ow, const char *proc);
const struct tw_owner *tw_owner_of(const struct tw_owners *ow, uint64_t netns);
void tw_owners_free(struct tw_owners *ow);
void tw_cgroup_parse(const char *path, struct tw_owner *o);

struct tw_sample {
	const char *stats_path;
	struct tw_stats st;
	double mono;			/* seconds, CLOCK_MONOTONIC */
	double wall;			/* seconds, CLOCK_REALTIME */
	bool watch;			/* one of a series (INTERVAL given) */
	bool sockets_all;		/* tw_sockets had the netns column */
	struct tw_row *rows;		/* sockets: rows that passed filters */
	size_t nrows, cap;
	size_t total_rows;
	struct tw_agg **agg;		/* advise: agg[ns][dest], or NULL */
	struct tw_fail *last_fail;	/* summary: the latest of each netns */
	size_t nlast;
	struct tw_owners owners;	/* --all-netns on the live /proc */
};

/* A destination of some namespace, with what is derived from it. */
struct tw_hot {
	unsigned int nsi, di;
	const struct tw_ns *ns;
	const struct tw_dest *d;
	double in_range;		/* -1 when unknown */
	double growth;			/* tw per second, NaN unknown */
	double eta;			/* seconds until full, NaN none */
};

struct tw_rates {
	bool ok;
	double dt;
	double entered, ended;
	double cause[TW_CAUSES];
};

/* model.c */
#define TW_RATE_KEYS	(TW_BIT(TWF_K_ENTERED) | TW_BIT(TWF_K_ENDED) | \
			 (((1ULL << TW_CAUSES) - 1) << TWF_K_ENDED_TIMER))
int tw_need(const struct tw_sample *s, const struct tw_ns *ns,
	    uint64_t keys, const char *view);
int tw_need_all(const struct tw_sample *cur, const struct tw_sample *prev,
		uint64_t keys, uint64_t departed_keys, const char *view);
const struct tw_ns *tw_prev_ns(const struct tw_sample *prev,
				const struct tw_sample *cur, unsigned int i);
void tw_rates(const struct tw_ns *cur, const struct tw_ns *prev,
	      double dt, struct tw_rates *r);
int64_t tw_port_key(const struct tw_ns *ns, enum twf_key k);
int64_t tw_usable(const struct tw_ns *ns);
double tw_taken(const struct tw_dest *d);
size_t tw_rank(const struct tw_sample *cur, const struct tw_sample *prev,
	       int nsi, struct tw_hot **out);
const struct tw_fail *tw_last_fail(const struct tw_sample *s,
				    const struct tw_ns *ns);

/* views.c */
void tw_text_rates(FILE *f, const struct tw_rates *r);
void tw_json_rates(struct tw_json *j, const char *key,
		   const struct tw_rates *r);
void tw_json_netns(struct tw_json *j, const struct tw_sample *s,
		   const struct tw_ns *ns);
void tw_text_netns(FILE *f, const struct tw_sample *s, const struct tw_ns *ns,
		   bool first);
int tw_summary(FILE *f, const struct tw_opts *o, const struct tw_sample *cur,
	       const struct tw_sample *prev);
int tw_top(FILE *f, const struct tw_opts *o, const struct tw_sample *cur,
	   const struct tw_sample *prev);
int tw_sockets(FILE *f, const struct tw_opts *o, const struct tw_sample *cur,
	       const struct tw_sample *prev);
int tw_fields_check(enum tw_view view, const char *fields, char *bad,
		    size_t badlen, char *list, size_t listlen);

/* prometheus.c */
int tw_prometheus(FILE *f, const struct tw_opts *o,
		  const struct tw_sample *cur);

/* advise.c */
int tw_advise(FILE *f, const struct tw_opts *o, const struct tw_sample *cur,
	      const struct tw_sample *prev);

/*
 * advise_agg.c: advise keeps none of the rows of /proc/tw_sockets; each
 * is counted into its destination's struct tw_agg (s->agg) as it is read.
 */
struct tw_dref;

struct tw_refs {
	struct tw_dref *ref;		/* sorted, for bsearch() */
	size_t n;
};

int tw_refs_init(struct tw_sample *s, struct tw_refs *r);
void tw_agg_count(const struct tw_refs *r, const struct tw_sock *k);
void tw_refs_free(struct tw_refs *r);

#endif /* _TWSTAT_H */
