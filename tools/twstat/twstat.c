// SPDX-License-Identifier: GPL-2.0
/*
 * twstat: who is eating my ports?  Reads /proc/tw_stats and
 * /proc/tw_sockets of the tw_stats module and shows TIME_WAIT by
 * destination, with advice.
 *
 * USAGE: twstat [OPTIONS] [summary|top|sockets|advise] [INTERVAL [COUNT]]
 *
 * EXAMPLES:
 *     twstat                    # one-screen summary
 *     twstat top 1              # destinations by pressure, every second
 *     twstat sockets --rport 443 --sort age
 *     twstat advise             # what would relieve the hot ones
 *     twstat -j top 5 12        # JSON lines, every 5 s for a minute
 *     twstat --prometheus > /var/lib/node_exporter/tw.prom.$$ && mv ...
 *
 * Each sample is read whole, checked, and formatted in memory before any
 * of it is written, so that a broken file never leaves half a report on
 * stdout.  Exit status: 0; 1 when the files cannot be read or the output
 * written; 2 on bad usage.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "parse.h"
#include "twstat.h"

#define TW_PROC_SUPER_MAGIC	0x9fa0
#define TW_EXIT_FAIL		1	/* module not loaded, a file unreadable */
#define TW_EXIT_USAGE		2

static const char tw_usage_text[] =
"Usage: twstat [OPTIONS] [summary|top|sockets|advise] [INTERVAL [COUNT]]\n";

static const char tw_help_text[] =
"Show TCP TIME_WAIT sockets by destination, from the tw_stats module.\n"
"\n"
"Views:\n"
"  summary (default)  counts, memory, ends, port range, hottest destinations\n"
"  top                destinations ranked by port pressure\n"
"  sockets            one line per TIME_WAIT socket\n"
"  advise             what would relieve each hot destination\n"
"\n"
"INTERVAL repeats every INTERVAL seconds (COUNT samples, else until\n"
"interrupted): the first at once, then each with rates per second; top\n"
"then adds growth and the time until a destination runs out of ports.\n"
"\n"
"Options:\n"
"  -j, --json          JSON; one compact document per line when repeating\n"
"      --prometheus    summary and destination gauges in the Prometheus\n"
"                      text format (node_exporter textfile collector)\n"
"      --all-netns     every network namespace (needs CAP_NET_ADMIN)\n"
"      --proc-dir DIR  read DIR/tw_stats and DIR/tw_sockets (default /proc)\n"
"  -n, --top N         top: show N destinations (default 10)\n"
"      --threshold PCT advise: pressure that counts as hot (default 50)\n"
"  sockets filters:\n"
"      --raddr ADDR    remote address\n"
"      --rport PORT    remote port\n"
"      --lport PORT    local port\n"
"      --state S       time-wait or fin-wait-2\n"
"      --role R        client, server or other\n"
"      --sort KEY      age (oldest first) or left (least time left first)\n"
"  top and sockets tables:\n"
"  -H, --no-header     no header line\n"
"  -o, --output F,...  these columns, in this order (their header names)\n"
"  -v, --verbose       say what the files have that this twstat does not\n"
"                      know (passed over) or lacks (an older module)\n"
"  -h, --help          this help\n"
"      --version       print the version\n"
"\n"
"Examples:\n"
"  twstat\n"
"  twstat top 1\n"
"  twstat sockets --rport 443 --sort age\n"
"  twstat advise --threshold 80\n"
"  twstat -j top 5 12\n"
"  twstat --prometheus > tw.prom.tmp && mv tw.prom.tmp tw.prom\n"
"\n"
"Exit status: 0 on success, 1 when the module's files cannot be read\n"
"(not loaded, unreadable, malformed) or written, 2 on bad usage.\n"
"See twstat(8).\n";

enum {
	TW_OPT_VERSION = 256,
	TW_OPT_PROM,
	TW_OPT_ALL,
	TW_OPT_PROC,
	TW_OPT_THRESHOLD,
	TW_OPT_RADDR,
	TW_OPT_RPORT,
	TW_OPT_LPORT,
	TW_OPT_STATE,
	TW_OPT_ROLE,
	TW_OPT_SORT,
};

static const struct option tw_longopts[] = {
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, TW_OPT_VERSION },
	{ "json",	no_argument,		NULL, 'j' },
	{ "prometheus",	no_argument,		NULL, TW_OPT_PROM },
	{ "all-netns",	no_argument,		NULL, TW_OPT_ALL },
	{ "proc-dir",	required_argument,	NULL, TW_OPT_PROC },
	{ "top",	required_argument,	NULL, 'n' },
	{ "threshold",	required_argument,	NULL, TW_OPT_THRESHOLD },
	{ "raddr",	required_argument,	NULL, TW_OPT_RADDR },
	{ "rport",	required_argument,	NULL, TW_OPT_RPORT },
	{ "lport",	required_argument,	NULL, TW_OPT_LPORT },
	{ "state",	required_argument,	NULL, TW_OPT_STATE },
	{ "role",	required_argument,	NULL, TW_OPT_ROLE },
	{ "sort",	required_argument,	NULL, TW_OPT_SORT },
	{ "no-header",	no_argument,		NULL, 'H' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ NULL,		0,			NULL, 0 },
};

static __printf(1, 2) __noreturn void tw_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("twstat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%sTry 'twstat --help' for more.\n", tw_usage_text);
	exit(TW_EXIT_USAGE);
}

/* --- options ----------------------------------------------------------- */

static unsigned long tw_ulong(const char *s, unsigned long max,
			      const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *s == '+' || v > max)
		tw_usage("%s: expected a whole number up to %lu, got '%s'",
			 what, max, s);
	return v;
}

static double tw_double(const char *s, double lo, double hi, const char *what)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		tw_usage("%s: expected a number from %g to %g, got '%s'",
			 what, lo, hi, s);
	return v;
}

/* @s as an index of @words; a bad value is refused with the list. */
static int tw_word(const char *s, const char *const *words, int n,
		   const char *what)
{
	char list[128] = "";
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, words[i]))
			return i;
	for (i = 0; i < n && len < sizeof(list); i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%s",
				i ? ", " : "", words[i]);
	tw_usage("%s: unknown value '%s' (one of: %s)", what, s, list);
}

static const char *const tw_views[] = {
	[TW_SUMMARY]	= "summary",
	[TW_TOP]	= "top",
	[TW_SOCKETS]	= "sockets",
	[TW_ADVISE]	= "advise",
};

/* ss's spelling; "fin-wait2", the first one, is still taken. */
static const char *const tw_states[] = { "time-wait", "fin-wait-2" };
static const char *const tw_roles[] = { "client", "server", "other" };
static const char *const tw_sorts[] = { "file", "age", "left" };

/* Options that only one view takes, and whether they were given. */
struct tw_given {
	bool top_n, threshold, filter, table;
};

static void tw_option(int c, struct tw_opts *o, struct tw_given *g)
{
	switch (c) {
	case 'h':
		fputs(tw_usage_text, stdout);
		fputs(tw_help_text, stdout);
		exit(0);
	case TW_OPT_VERSION:
		printf("twstat %s\n", TWSTAT_VERSION);
		exit(0);
	case 'j':
	case TW_OPT_PROM:
		if (o->format != TW_TEXT &&
		    o->format != (c == 'j' ? TW_JSON : TW_PROM))
			tw_usage("-j and --prometheus exclude each other");
		o->format = c == 'j' ? TW_JSON : TW_PROM;
		break;
	case TW_OPT_ALL:
		o->all_netns = true;
		break;
	case TW_OPT_PROC:
		o->proc_dir = optarg;
		break;
	case 'n':
		o->top_n = (unsigned int)tw_ulong(optarg, 1000000, "-n");
		if (!o->top_n)
			tw_usage("-n: expected at least 1");
		g->top_n = true;
		break;
	case TW_OPT_THRESHOLD:
		o->threshold = tw_double(optarg, 0, 1000, "--threshold");
		g->threshold = true;
		break;
	case TW_OPT_RADDR:
		if (tw_parse_addr(optarg, &o->raddr, NULL))
			tw_usage("--raddr: not an IPv4 or IPv6 address: '%s'",
				 optarg);
		g->filter = true;
		break;
	case TW_OPT_RPORT:
		o->rport = (int)tw_ulong(optarg, 65535, "--rport");
		g->filter = true;
		break;
	case TW_OPT_LPORT:
		o->lport = (int)tw_ulong(optarg, 65535, "--lport");
		g->filter = true;
		break;
	case TW_OPT_STATE:
		o->state = !strcmp(optarg, "fin-wait2") ? 1 :
			   tw_word(optarg, tw_states, 2, "--state");
		g->filter = true;
		break;
	case TW_OPT_ROLE:
		o->role = tw_word(optarg, tw_roles, 3, "--role");
		g->filter = true;
		break;
	case TW_OPT_SORT:
		o->sort = (enum tw_sort)tw_word(optarg, tw_sorts, 3, "--sort");
		g->filter = true;
		break;
	case 'H':
		o->no_header = true;
		g->table = true;
		break;
	case 'o':
		o->fields = optarg;
		g->table = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	default:
		tw_usage("unknown option");
	}
}

static bool tw_numeric(const char *s)
{
	return (*s >= '0' && *s <= '9') || *s == '.';
}

static void tw_positional(int argc, char **argv, struct tw_opts *o)
{
	int i = optind;

	if (i < argc && !tw_numeric(argv[i]))
		o->view = (enum tw_view)tw_word(argv[i++], tw_views, 4,
						"view");
	if (i < argc)
		o->interval = tw_double(argv[i++], 0.001, 86400, "interval");
	if (i < argc) {
		o->count = tw_ulong(argv[i++], ULONG_MAX, "count");
		if (!o->count)
			tw_usage("count: expected at least 1");
	}
	if (i < argc)
		tw_usage("unexpected argument '%s'", argv[i]);
}

static void tw_check(const struct tw_opts *o, const struct tw_given *g)
{
	char bad[64], list[256];

	if (g->top_n && o->view != TW_TOP)
		tw_usage("-n goes with 'top'");
	if (g->threshold && o->view != TW_ADVISE)
		tw_usage("--threshold goes with 'advise'");
	if (g->filter && o->view != TW_SOCKETS)
		tw_usage("socket filters and --sort go with 'sockets'");
	if (g->table && ((o->view != TW_TOP && o->view != TW_SOCKETS) ||
			 o->format != TW_TEXT))
		tw_usage("-H and -o shape the text tables of 'top' and 'sockets'");
	if (o->fields && tw_fields_check(o->view, o->fields, bad, sizeof(bad),
					 list, sizeof(list)))
		tw_usage("-o: %s%s%s (%s has: %s)",
			 *bad == '(' ? "too many fields " :
			 *bad ? "unknown field '" : "an empty field name",
			 bad, *bad && *bad != '(' ? "'" : "",
			 o->view == TW_TOP ? "top" : "sockets", list);
	if (o->format == TW_PROM && o->view != TW_SUMMARY &&
	    o->view != TW_TOP)
		tw_usage("--prometheus writes the summary and the destinations; it goes with no view or 'top'");
	if (o->format == TW_PROM && g->top_n)
		tw_usage("-n does not change --prometheus: it writes the 10 destinations the module ranks first in each namespace");
	if (o->format == TW_PROM && o->interval > 0)
		tw_usage("--prometheus takes no interval: run it from a timer and rename its output into place");
}

static void tw_parse_args(int argc, char **argv, struct tw_opts *o)
{
	struct tw_given g = { false };
	int c;

	memset(o, 0, sizeof(*o));
	o->proc_dir = "/proc";
	o->top_n = 10;
	o->threshold = 50;
	o->rport = -1;
	o->lport = -1;
	o->state = -1;
	o->role = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hjn:Ho:v", tw_longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			tw_usage("unknown option or missing value: '%s'",
				 argv[optind - 1]);
		tw_option(c, o, &g);
	}
	tw_positional(argc, argv, o);
	tw_check(o, &g);
}

/* --- reading ----------------------------------------------------------- */

struct tw_paths {
	char stats[PATH_MAX];
	char sockets[PATH_MAX];
	char failures[PATH_MAX];
};

static void tw_open_error(const struct tw_opts *o, const char *path, int e)
{
	if (e == ENOENT && !strcmp(o->proc_dir, "/proc"))
		tw_err("%s: %s: the tw_stats module is not loaded; load it with 'modprobe tw_stats' or 'insmod tw_stats.ko'",
		       path, strerror(e));
	else
		tw_err("%s: %s", path, strerror(e));
}

/* The all-namespace view is asked for by writing "all" before reading. */
static int tw_open_all(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), e;

	if (fd < 0) {
		e = errno;
		tw_err("%s: %s%s", path, strerror(e),
		       e == EACCES || e == EPERM ?
		       ": --all-netns needs root (CAP_NET_ADMIN in the initial network namespace)" : "");
		return -1;
	}
	if (write(fd, "all", 3) != 3) {
		e = errno;
		tw_err("%s: writing 'all': %s%s", path, strerror(e),
		       e == EPERM ? ": --all-netns needs CAP_NET_ADMIN in the initial network namespace" :
		       e == EINVAL ? ": this tw_stats module has no all-namespace view" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static bool tw_on_procfs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) && sfs.f_type == TW_PROC_SUPER_MAGIC;
}

/*
 * Only a file of procfs is asked for "all": a fixture directory given
 * with --proc-dir holds the view it holds, and is never written to.
 */
static FILE *tw_open(const struct tw_opts *o, const char *path)
{
	struct statfs sfs;
	FILE *f;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tw_open_error(o, path, errno);
		return NULL;
	}
	if (o->all_netns && !fstatfs(fd, &sfs) &&
	    sfs.f_type == TW_PROC_SUPER_MAGIC) {
		close(fd);
		fd = tw_open_all(path);
		if (fd < 0)
			return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		tw_err("%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

static void tw_parse_error(const char *path, const struct tw_error *err)
{
	if (err->line)
		tw_err("%s:%lu: %s", path, err->line, err->msg);
	else
		tw_err("%s: %s", path, err->msg);
}

struct tw_collect {
	const struct tw_opts *o;
	struct tw_sample *s;
	struct tw_refs refs;		/* advise */
};

static bool tw_match(const struct tw_opts *o, const struct tw_sock *k)
{
	return (!o->raddr.family || !tw_addr_cmp(&o->raddr, &k->raddr)) &&
	       (o->rport < 0 || (unsigned int)o->rport == k->rport) &&
	       (o->lport < 0 || (unsigned int)o->lport == k->lport) &&
	       (o->state < 0 || o->state == (int)k->state) &&
	       (o->role < 0 || o->role == (int)k->role);
}

static int tw_keep(struct tw_sample *s, const struct tw_sock *k)
{
	if (s->nrows == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct tw_row *r = realloc(s->rows, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		s->rows = r;
		s->cap = cap;
	}
	s->rows[s->nrows].s = *k;
	s->rows[s->nrows].idx = s->nrows;
	s->nrows++;
	return 0;
}

static int tw_collect_row(void *ctx, const struct tw_sock *k)
{
	struct tw_collect *c = ctx;

	c->s->total_rows++;
	if (c->o->view == TW_SOCKETS)
		return tw_match(c->o, k) ? tw_keep(c->s, k) : 0;
	tw_agg_count(&c->refs, k);
	return 0;
}

static int tw_row_cmp(const void *a, const void *b)
{
	const struct tw_row *x = a, *y = b;

	if (x->s.age_ms != y->s.age_ms)
		return x->s.age_ms > y->s.age_ms ? -1 : 1;
	return x->idx < y->idx ? -1 : 1;
}

static int tw_left_cmp(const void *a, const void *b)
{
	const struct tw_row *x = a, *y = b;

	if (x->s.expires_ms != y->s.expires_ms)
		return x->s.expires_ms < y->s.expires_ms ? -1 : 1;
	return x->idx < y->idx ? -1 : 1;
}

static int tw_read_sockets(const struct tw_opts *o, const char *path,
			   struct tw_sample *s)
{
	const struct tw_limits lim = TW_LIMITS_DEFAULT;
	struct tw_collect c = { .o = o, .s = s };
	struct tw_error err;
	FILE *f;
	int rc;

	if (o->view == TW_ADVISE && tw_refs_init(s, &c.refs)) {
		tw_err("out of memory");
		return -1;
	}
	f = tw_open(o, path);
	if (!f) {
		tw_refs_free(&c.refs);
		return -1;
	}
	rc = tw_parse_sockets(f, &lim, &s->sockets_all, tw_collect_row, &c,
			       &err);
	fclose(f);
	tw_refs_free(&c.refs);
	if (rc) {
		tw_parse_error(path, &err);
		return -1;
	}
	if (o->sort != TW_SORT_FILE)
		qsort(s->rows, s->nrows, sizeof(*s->rows),
		      o->sort == TW_SORT_AGE ? tw_row_cmp : tw_left_cmp);
	return 0;
}

/* Keep the latest failure of each namespace. */
static int tw_collect_fail(void *ctx, const struct tw_fail *f)
{
	struct tw_sample *s = ctx;
	struct tw_fail *n;
	size_t i;

	for (i = 0; i < s->nlast; i++)
		if (s->last_fail[i].netns == f->netns)
			break;
	if (i == s->nlast) {
		n = realloc(s->last_fail, (s->nlast + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->last_fail = n;
		s->nlast++;
	} else if (s->last_fail[i].time_ms > f->time_ms) {
		return 0;
	}
	s->last_fail[i] = *f;
	return 0;
}

/* A module without the failure hook has no such file: nothing to say. */
static int tw_read_failures(const struct tw_opts *o, const char *path,
			    struct tw_sample *s)
{
	struct tw_error err;
	bool all;
	FILE *f;
	int rc;

	if (access(path, F_OK) && errno == ENOENT)
		return 0;
	f = tw_open(o, path);
	if (!f)
		return -1;
	rc = tw_parse_failures(f, &all, tw_collect_fail, s, &err);
	fclose(f);
	if (rc) {
		tw_parse_error(path, &err);
		return -1;
	}
	return 0;
}

static double tw_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tw_sample_free(struct tw_sample *s)
{
	unsigned int i;

	if (s->agg)
		for (i = 0; i < s->st.nns; i++)
			free(s->agg[i]);
	free(s->agg);
	free(s->rows);
	free(s->last_fail);
	tw_owners_free(&s->owners);
	tw_stats_free(&s->st);
	memset(s, 0, sizeof(*s));
}

/*
 * -v: what a newer module wrote that this twstat passes over, and what an
 * older one lacks; each once, on stderr.
 */
static void tw_verbose_note(const char *what, const char *name)
{
	static char seen[64][80];
	static unsigned int nseen;
	char id[80];
	unsigned int i;

	snprintf(id, sizeof(id), "%s %s", what, name);
	for (i = 0; i < nseen; i++)
		if (!strcmp(seen[i], id))
			return;
	if (nseen < 64)
		strcpy(seen[nseen++], id);
	if (!strncmp(what, "absent", 6))
		tw_err("%s '%s': not in the file (an older module or kernel)",
		       what, name);
	else
		tw_err("%s '%s': unknown to this twstat, passed over", what,
		       name);
}

static void tw_note_absent(const struct tw_stats *st)
{
	unsigned int k;

	if (!st->nns || st->ns[0].departed)
		return;
	for (k = 0; k < TWF_K_MAX; k++)
		if (!(st->ns[0].have & TW_BIT(k)) && k != TWF_K_NAMESPACES &&
		    k != TWF_K_MODULE_MEMORY_BYTES &&
		    k != TWF_K_HELD_MAX_PRESSURE)
			tw_verbose_note("absent key", tw_key_name(k));
}

static int tw_read(const struct tw_opts *o, const struct tw_paths *p,
		   struct tw_sample *s)
{
	const struct tw_limits lim = TW_LIMITS_DEFAULT;
	struct tw_error err;
	FILE *f;
	int rc;

	memset(s, 0, sizeof(*s));
	s->stats_path = p->stats;
	f = tw_open(o, p->stats);
	if (!f)
		return -1;
	rc = tw_parse_stats(f, &lim, &s->st, &err);
	fclose(f);
	/* The counters are as of now: rates divide by the time between. */
	s->mono = tw_now(CLOCK_MONOTONIC);
	s->wall = tw_now(CLOCK_REALTIME);
	s->watch = o->interval > 0;
	if (rc) {
		tw_parse_error(p->stats, &err);
		return -1;
	}
	if (o->verbose)
		tw_note_absent(&s->st);
	if ((o->view == TW_SOCKETS || o->view == TW_ADVISE) &&
	    tw_read_sockets(o, p->sockets, s)) {
		tw_sample_free(s);
		return -1;
	}
	if (o->view == TW_SUMMARY && tw_read_failures(o, p->failures, s)) {
		tw_sample_free(s);
		return -1;
	}
	/* Who lives in each namespace: only a live /proc has processes. */
	if (o->all_netns && tw_on_procfs(p->stats) &&
	    tw_owners_scan(&s->owners, o->proc_dir)) {
		tw_err("%s: cannot read the processes: %s", o->proc_dir,
		       strerror(errno));
		tw_sample_free(s);
		return -1;
	}
	return 0;
}

/* --- output ------------------------------------------------------------ */

static int tw_render(FILE *f, const struct tw_opts *o,
		     const struct tw_sample *cur, const struct tw_sample *prev)
{
	char when[32];
	time_t t;

	if (o->format == TW_PROM)
		return tw_prometheus(f, o, cur);
	if (cur->watch && o->format == TW_TEXT) {
		t = (time_t)cur->wall;
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
		fprintf(f, "%s\n", when);
	}
	switch (o->view) {
	case TW_TOP:
		return tw_top(f, o, cur, prev);
	case TW_SOCKETS:
		return tw_sockets(f, o, cur, prev);
	case TW_ADVISE:
		return tw_advise(f, o, cur, prev);
	default:
		return tw_summary(f, o, cur, prev);
	}
}

/* Formats one sample in memory, then writes it whole or not at all. */
static int tw_emit(const struct tw_opts *o, const struct tw_sample *cur,
		   const struct tw_sample *prev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int rc;

	m = open_memstream(&buf, &len);
	if (!m) {
		tw_err("out of memory");
		return -1;
	}
	rc = tw_render(m, o, cur, prev);
	if (cur->watch && o->format == TW_TEXT && !rc)
		fputc('\n', m);
	if (fclose(m) && !rc) {
		tw_err("out of memory");
		rc = -1;
	}
	if (!rc && (fwrite(buf, 1, len, stdout) != len || fflush(stdout))) {
		tw_err("write error: %s", strerror(errno));
		rc = -1;
	}
	free(buf);
	return rc;
}

static void tw_sleep_until(double t)
{
	struct timespec ts = {
		.tv_sec = (time_t)t,
		.tv_nsec = (long)((t - floor(t)) * 1e9),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static int tw_watch(const struct tw_opts *o, const struct tw_paths *p,
		    struct tw_sample *s)
{
	double next = s[0].mono;
	unsigned long n;
	int i = 0;

	/* The first sample at once; rates and growth from the second. */
	if (tw_emit(o, &s[0], NULL))
		return -1;
	for (n = 1; !o->count || n < o->count; n++) {
		i ^= 1;
		/* A read slower than the interval delays, never bunches. */
		next = fmax(next + o->interval, tw_now(CLOCK_MONOTONIC));
		tw_sleep_until(next);
		if (tw_read(o, p, &s[i]))
			return -1;
		if (tw_emit(o, &s[i], &s[i ^ 1]))
			return -1;
		tw_sample_free(&s[i ^ 1]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tw_sample s[2] = { { 0 } };
	struct tw_paths p;
	struct tw_opts o;
	int rc;

	tw_parse_args(argc, argv, &o);
	if (o.verbose)
		tw_parse_notes(tw_verbose_note);
	if ((size_t)snprintf(p.stats, sizeof(p.stats), "%s/tw_stats",
			     o.proc_dir) >= sizeof(p.stats) ||
	    (size_t)snprintf(p.sockets, sizeof(p.sockets), "%s/tw_sockets",
			     o.proc_dir) >= sizeof(p.sockets) ||
	    (size_t)snprintf(p.failures, sizeof(p.failures), "%s/tw_failures",
			     o.proc_dir) >= sizeof(p.failures))
		tw_usage("--proc-dir: path too long");
	if (tw_read(&o, &p, &s[0]))
		return TW_EXIT_FAIL;
	if (o.interval > 0)
		rc = tw_watch(&o, &p, s);
	else
		rc = tw_emit(&o, &s[0], NULL);
	tw_sample_free(&s[0]);
	tw_sample_free(&s[1]);
	return rc ? TW_EXIT_FAIL : 0;
}
