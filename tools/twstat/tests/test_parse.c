// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of parse.c on the fixtures in tests/fixtures/: the real
 * captures parse to the numbers they show, every broken file fails with
 * the right line and no leak, and the limits hold against inputs far
 * larger than anything the module writes (made up on the fly, so that
 * the repository does not carry 100 MB of test data).
 *
 * Prints "ok - ..." / "not ok - ..." lines; tests/run.sh numbers them.
 * Usage: test_parse FIXTURE_DIR [LABEL]
 */

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "parse.h"
#include "twstat.h"

/* Keeps the last row of a file. */
static int keep_last(void *ctx, const struct tw_fail *f)
{
	*(struct tw_fail *)ctx = *f;
	return 0;
}

/* Keys of modules newer than the captured fixtures. */
/* Keys after 6.1's capture: probe_missed to held_unranked. */
#define NEWER	(TW_BIT(TWF_K_HELD_UNRANKED + 1) - TW_BIT(TWF_K_PROBE_MISSED))

static const char *dir;
static const char *label = "parse";
static int failed;

static __printf(2, 3) void check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s%s: ", cond ? "ok - " : "not ok - ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		failed++;
}

static FILE *fixture(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f) {
		printf("# cannot open %s\n", path);
		exit(1);
	}
	return f;
}

struct rows {
	unsigned long n, server, fin_wait2, netns;
	struct tw_sock first;
};

static int count_row(void *ctx, const struct tw_sock *s)
{
	struct rows *r = ctx;

	if (!r->n)
		r->first = *s;
	r->n++;
	r->server += s->role == TW_ROLE_SERVER;
	r->fin_wait2 += s->state == TW_FIN_WAIT2;
	r->netns += s->netns != 0;
	return 0;
}

static int parse_stats(FILE *f, const struct tw_limits *lim,
		       struct tw_stats *st, struct tw_error *err)
{
	int rc = tw_parse_stats(f, lim, st, err);

	fclose(f);
	return rc;
}

static int parse_sockets(FILE *f, const struct tw_limits *lim, bool *all,
			 struct rows *r, struct tw_error *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = tw_parse_sockets(f, lim, all, count_row, r, err);
	fclose(f);
	return rc;
}

static const struct tw_limits lim = TW_LIMITS_DEFAULT;

/* --- the valid fixtures ------------------------------------------------ */

static void test_stats_61(void)
{
	struct tw_stats st;
	struct tw_error err;
	const struct tw_ns *ns;
	const struct tw_dest *d;
	char a[64];
	int rc;

	rc = parse_stats(fixture("6.1/tw_stats"), &lim, &st, &err);
	check(!rc, "6.1/tw_stats parses (%lu: %s)", err.line, err.msg);
	if (rc)
		return;
	ns = &st.ns[0];
	d = &ns->dest[0];
	check(st.nns == 1 && !st.all && !ns->has_netns && !ns->departed,
	      "6.1/tw_stats is one own-namespace block");
	check(ns->val[TWF_K_TW_COUNT] == 41 &&
	      ns->val[TWF_K_TW_MEMORY_BYTES] == 10824 &&
	      ns->val[TWF_K_ROLE_SERVER] == 4 &&
	      ns->val[TWF_K_PORT_HIGH] == 40049,
	      "6.1/tw_stats values");
	check(!(ns->have & (TW_BIT(TWF_K_TCP_TW_REUSE_DELAY_MS) | NEWER)) &&
	      !(ns->have & TW_BIT(TWF_K_NAMESPACES)) &&
	      (ns->have | TW_BIT(TWF_K_TCP_TW_REUSE_DELAY_MS) | NEWER |
	       TW_BIT(TWF_K_NAMESPACES) |
	       TW_BIT(TWF_K_MODULE_MEMORY_BYTES)) == (1ULL << TWF_K_MAX) - 1,
	      "6.1/tw_stats has every 6.1 key and no 6.14 key");
	inet_ntop(AF_INET, d->remote.a, a, sizeof(a));
	check(ns->ndest == 7 && d->tw == 29 && d->reusable == 29 &&
	      d->ports == 50 && d->pressure > 57.99 && d->pressure < 58.01 &&
	      d->rport == 5000 && !strcmp(a, "127.0.0.1"),
	      "6.1/tw_stats destinations");
	check(ns->dest[1].remote.family == AF_INET6 &&
	      ns->dest[2].local.a[10] == 0xff,
	      "6.1/tw_stats IPv6 and v4-mapped destinations");
	check(ns->nbuckets == 19 && ns->ncauses == 6 &&
	      !strcmp(ns->cause[1], "reuse") && ns->bucket[12].lo == 2048 &&
	      ns->bucket[12].hi == 4095 && ns->bucket[12].n[1] == 1 &&
	      ns->bucket[18].hi == UINT64_MAX,
	      "6.1/tw_stats lifetime histogram");
	tw_stats_free(&st);
}

static void test_stats_614(void)
{
	struct tw_stats st;
	struct tw_error err;
	int rc;

	rc = parse_stats(fixture("6.14/tw_stats"), &lim, &st, &err);
	check(!rc, "6.14/tw_stats parses (%lu: %s)", err.line, err.msg);
	if (rc)
		return;
	check((st.ns[0].have & TW_BIT(TWF_K_TCP_TW_REUSE_DELAY_MS)) &&
	      st.ns[0].val[TWF_K_TCP_TW_REUSE_DELAY_MS] == 1000,
	      "6.14/tw_stats has tcp_tw_reuse_delay_ms");
	check(st.ns[0].val[TWF_K_ROLE_OTHER] == 0 && st.ns[0].ndest == 7,
	      "6.14/tw_stats skips the unknown key after the known ones");
	tw_stats_free(&st);
}

static void test_stats_all(void)
{
	struct tw_stats st;
	struct tw_error err;
	int rc;

	rc = parse_stats(fixture("all/tw_stats"), &lim, &st, &err);
	check(!rc, "all/tw_stats parses (%lu: %s)", err.line, err.msg);
	if (!rc) {
		check(st.all && st.nns == 2 && st.ns[0].has_netns &&
		      st.ns[0].netns == 4026531840ULL && st.ns[1].departed &&
		      st.ns[1].val[TWF_K_NAMESPACES] == 0 &&
		      !st.ns[1].ndest && st.ns[1].nbuckets == 19 &&
		      st.ns[1].line == 59,
		      "all/tw_stats: one namespace and the departed block");
		tw_stats_free(&st);
	}
	rc = parse_stats(fixture("all2/tw_stats"), &lim, &st, &err);
	check(!rc, "all2/tw_stats parses (%lu: %s)", err.line, err.msg);
	if (!rc) {
		check(st.nns == 3 && st.ns[1].netns == 4026532561ULL &&
		      st.ns[1].ndest == 10 && st.ns[2].departed &&
		      st.ns[2].val[TWF_K_NAMESPACES] == 2 &&
		      st.ns[2].val[TWF_K_ENDED_PURGE] == 20,
		      "all2/tw_stats: two namespaces and the departed block");
		tw_stats_free(&st);
	}
}

static void test_sockets(void)
{
	struct tw_error err;
	struct rows r;
	bool all;
	int rc;

	rc = parse_sockets(fixture("6.1/tw_sockets"), &lim, &all, &r, &err);
	check(!rc && !all && r.n == 41 && r.server == 4 &&
	      r.first.lport == 40012 && r.first.rport == 5000 &&
	      r.first.age_ms == 2316 && r.first.expires_ms == 57704 &&
	      r.first.reuse && r.first.rearms == 1 &&
	      r.first.role == TW_ROLE_CLIENT && !r.netns,
	      "6.1/tw_sockets: 41 rows, as tw_stats counts, 4 server side");
	rc = parse_sockets(fixture("6.14/tw_sockets"), &lim, &all, &r, &err);
	check(!rc && r.n == 110 && r.fin_wait2 == 2 && r.server == 20,
	      "6.14/tw_sockets: 110 rows, 2 in FIN_WAIT2");
	rc = parse_sockets(fixture("all/tw_sockets"), &lim, &all, &r, &err);
	check(!rc && all && r.n == 4 && r.netns == 4 &&
	      r.first.netns == 4026531840ULL,
	      "all/tw_sockets: the netns column");
	rc = parse_sockets(fixture("all2/tw_sockets"), &lim, &all, &r, &err);
	check(!rc && all && r.n == 233, "all2/tw_sockets: 233 rows");
}

/* --- broken files ------------------------------------------------------ */

struct bad {
	const char *file;
	bool sockets;
	unsigned long line;
	const char *msg;
};

static const struct bad bad[] = {
	{ "stats-truncated-keys", false, 11, "end of file in the key block" },
	{ "stats-truncated-dests", false, 31, "in the destination table" },
	{ "stats-no-newline", false, 56, "no newline" },
	{ "stats-no-dest-header", false, 28, "missing destination header" },
	{ "stats-life-columns", false, 47, "expected 7 columns, got 6" },
	{ "stats-dest-columns", false, 29, "expected 6 columns, got 5" },
	{ "stats-overflow", false, 1, "number out of range" },
	{ "stats-not-number", false, 3, "not a number" },
	{ "stats-duplicate-key", false, 5, "duplicate key 'tw_count'" },
	{ "stats-bad-pressure", false, 29, "pressure" },
	{ "stats-bad-addr", false, 30, "local: bad address" },
	{ "stats-all-no-departed", false, 58, "before 'netns departed'" },
	{ "stats-trailing", false, 57, "expected 7 columns" },
	{ "stats-empty", false, 1, "empty file" },
	{ "stats-garbage", false, 2, "expected 'name value'" },
	{ "sockets-no-header", true, 1, "missing socket header" },
	{ "sockets-columns", true, 3, "expected 8 columns, got 7" },
	{ "sockets-overflow", true, 4, "age_ms: number out of range" },
	{ "sockets-bad-state", true, 5, "state" },
	{ "sockets-bad-role", true, 6, "role" },
	{ "sockets-bad-port", true, 7, "local: bad address" },
	{ "sockets-family-mix", true, 8, "different families" },
	{ "sockets-blank-line", true, 9, "blank line" },
	{ "sockets-empty", true, 1, "empty file" },
};

static void test_bad(void)
{
	struct tw_stats st;
	struct tw_error err;
	char name[128];
	struct rows r;
	unsigned int i;
	bool all;
	int rc;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(name, sizeof(name), "bad/%s", bad[i].file);
		if (bad[i].sockets)
			rc = parse_sockets(fixture(name), &lim, &all, &r, &err);
		else
			rc = parse_stats(fixture(name), &lim, &st, &err);
		check(rc && err.line == bad[i].line &&
		      strstr(err.msg, bad[i].msg),
		      "%s fails at line %lu: %s", name, err.line, err.msg);
		if (!rc && !bad[i].sockets)
			tw_stats_free(&st);
	}
}

static void test_bytes(const char *what, const char *data, size_t len,
		       bool sockets, unsigned long line, const char *msg)
{
	struct tw_stats st;
	struct tw_error err;
	struct rows r;
	bool all;
	FILE *f = fmemopen((void *)data, len, "r");
	int rc;

	if (sockets)
		rc = parse_sockets(f, &lim, &all, &r, &err);
	else
		rc = parse_stats(f, &lim, &st, &err);
	check(rc && err.line == line && strstr(err.msg, msg),
	      "%s fails at line %lu: %s", what, err.line, err.msg);
	if (!rc && !sockets)
		tw_stats_free(&st);
}

static void test_binary(void)
{
	static const char nul[] = "tw_count 4\0001\n";
	static const char high[] = "local remote state\xff\n";
	static const char crlf[] = "tw_count 41\r\n";

	test_bytes("a NUL byte", nul, sizeof(nul) - 1, false, 1,
		   "binary data (byte 0x00 at column 11)");
	test_bytes("a byte 0xff", high, sizeof(high) - 1, true, 1,
		   "binary data (byte 0xff");
	test_bytes("CRLF line ends", crlf, sizeof(crlf) - 1, false, 1,
		   "binary data (byte 0x0d");
}

/* --- made-up large inputs ---------------------------------------------- */

/* A stream of a header and then the same row, or of one byte, for ever. */
struct gen {
	const char *head, *row;
	size_t size, pos;		/* bytes to give, given */
	size_t hpos, rpos;
};

static ssize_t gen_read(void *cookie, char *buf, size_t len)
{
	struct gen *g = cookie;
	size_t n = 0;

	while (n < len && g->pos < g->size) {
		if (g->head[g->hpos]) {
			buf[n++] = g->head[g->hpos++];
		} else {
			buf[n++] = g->row[g->rpos++];
			if (!g->row[g->rpos])
				g->rpos = 0;
		}
		g->pos++;
	}
	return (ssize_t)n;
}

static FILE *gen_open(struct gen *g)
{
	cookie_io_functions_t io = { .read = gen_read };

	return fopencookie(g, "r", io);
}

static void test_long_line(void)
{
	struct gen g = { .head = "", .row = "a", .size = 100UL << 20 };
	struct tw_stats st;
	struct tw_error err;
	int rc;

	rc = parse_stats(gen_open(&g), &lim, &st, &err);
	check(rc && err.line == 1 && strstr(err.msg, "longer than 1024") &&
	      g.pos < (1UL << 20),
	      "a 100 MB line fails after reading %zu bytes: %s", g.pos,
	      err.msg);
}

static void test_many_rows(void)
{
	struct gen g = {
		.head = "local remote state age_ms expires_ms reuse rearms role\n",
		.row = "10.0.0.1:40000 10.0.0.2:80 TIME_WAIT 1 2 no 0 client\n",
		.size = 64UL << 20,
	};
	struct tw_limits small = lim;
	struct tw_error err;
	struct rows r;
	bool all;
	int rc;

	small.max_rows = 1000;
	rc = parse_sockets(gen_open(&g), &small, &all, &r, &err);
	check(rc && err.line == 1002 && r.n == 1000 &&
	      strstr(err.msg, "more than 1000 rows"),
	      "rows beyond the limit fail at line %lu: %s", err.line,
	      err.msg);
}

static void test_limits(void)
{
	struct tw_limits small = lim;
	struct tw_stats st;
	struct tw_error err;
	int rc;

	small.max_netns = 2;
	rc = parse_stats(fixture("all2/tw_stats"), &small, &st, &err);
	check(rc && strstr(err.msg, "more than 2 namespace blocks"),
	      "namespace blocks beyond the limit fail at line %lu: %s",
	      err.line, err.msg);
	small = lim;
	small.max_dests = 5;
	rc = parse_stats(fixture("6.1/tw_stats"), &small, &st, &err);
	check(rc && err.line == 34 && strstr(err.msg, "more than 5"),
	      "destinations beyond the limit fail at line %lu: %s",
	      err.line, err.msg);
}

/* Printable noise with short lines: must fail, never crash. */
static void test_noise(void)
{
	static const char alphabet[] = "0123456789abcdef:.[]-% _\n\n\n";
	size_t n = 1 << 20, i;
	unsigned int x = 12345;
	struct tw_stats st;
	struct tw_error err;
	struct rows r;
	char *buf = malloc(n);
	bool all;
	int rc1, rc2;

	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
	}
	rc1 = parse_stats(fmemopen(buf, n, "r"), &lim, &st, &err);
	rc2 = parse_sockets(fmemopen(buf, n, "r"), &lim, &all, &r, &err);
	check(rc1 && rc2, "1 MB of noise fails in both parsers");
	free(buf);
}

static void test_header_only(void)
{
	static const char head[] =
		"netns local remote state age_ms expires_ms reuse rearms role extra\n";
	struct tw_error err;
	struct rows r;
	bool all;
	int rc;

	rc = parse_sockets(fmemopen((void *)head, sizeof(head) - 1, "r"), &lim,
			   &all, &r, &err);
	check(!rc && all && !r.n,
	      "a header alone is an empty listing; a new column is allowed");
}

/* --- addresses --------------------------------------------------------- */

static void test_addr(void)
{
	static const struct {
		const char *s;
		bool port;
		int ok;
		unsigned int want;
	} addrs[] = {
		{ "1.2.3.4", false, 1, 0 },
		{ "::1", false, 1, 0 },
		{ "[::1]", false, 1, 0 },
		{ "1.2.3.4:80", true, 1, 80 },
		{ "[::1]:65535", true, 1, 65535 },
		{ "[::ffff:127.0.0.1]:5003", true, 1, 5003 },
		{ "1.2.3.4:", true, 0, 0 },
		{ "1.2.3.4:65536", true, 0, 0 },
		{ "1.2.3.4:+80", true, 0, 0 },
		{ "1.2.3.4:80x", true, 0, 0 },
		{ "::1:80", true, 0, 0 },
		{ "[1.2.3.4]:80", true, 0, 0 },
		{ "[::1]", true, 0, 0 },
		{ "[::1]x", false, 0, 0 },
		{ "1.2.3", false, 0, 0 },
		{ "", false, 0, 0 },
		{ "[", false, 0, 0 },
		{ "[]:1", true, 0, 0 },
	};
	struct tw_addr a, b;
	unsigned int i, port;
	bool good = true;

	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		int rc;

		port = 0;
		rc = tw_parse_addr(addrs[i].s, &a,
				    addrs[i].port ? &port : NULL);
		if ((rc == 0) != addrs[i].ok || (!rc && port != addrs[i].want)) {
			printf("# address '%s': rc %d port %u\n", addrs[i].s,
			       rc, port);
			good = false;
		}
	}
	check(good, "addresses with and without ports");
	tw_parse_addr("127.0.0.2", &a, NULL);
	tw_parse_addr("[::ffff:127.0.0.1]", &b, NULL);
	check(tw_addr_loopback(&a) && tw_addr_loopback(&b) &&
	      !tw_parse_addr("10.0.0.1", &a, NULL) &&
	      !tw_addr_loopback(&a), "loopback addresses");
}

/* The new files of newer modules: held columns, /proc/tw_failures. */
static void test_held(void)
{
	struct tw_stats st;
	struct tw_error err;
	const struct tw_dest *d;
	char path[512];
	bool all = true;
	struct tw_fail last = { 0 };
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/held/tw_stats", dir);
	f = fopen(path, "r");
	rc = f ? tw_parse_stats(f, &lim, &st, &err) : -1;
	if (f)
		fclose(f);
	check(!rc, "held/tw_stats parses");
	if (rc)
		return;
	d = &st.ns[0].dest[0];
	check(st.ns[0].val[TWF_K_CONNECT_FAILED] == 41 &&
	      st.ns[0].val[TWF_K_PORTS_USABLE] == 8 &&
	      st.ns[0].val[TWF_K_PORTS_BOUND] == 1,
	      "held/tw_stats: connect_failed, ports_usable, ports_bound");
	check(d->held == 8 && d->held_pressure == 100.0 && d->failed == 41 &&
	      st.ns[0].dest[2].held == 0,
	      "held/tw_stats: held, held_pressure and failed columns");
	tw_stats_free(&st);

	snprintf(path, sizeof(path), "%s/6.1/tw_stats", dir);
	f = fopen(path, "r");
	rc = f ? tw_parse_stats(f, &lim, &st, &err) : -1;
	if (f)
		fclose(f);
	check(!rc && st.ns[0].dest[0].held == -1 &&
	      st.ns[0].dest[0].failed == -1,
	      "6.1/tw_stats: no held or failed column, said absent");
	if (!rc)
		tw_stats_free(&st);

	snprintf(path, sizeof(path), "%s/held/tw_failures", dir);
	f = fopen(path, "r");
	rc = f ? tw_parse_failures(f, &all, keep_last, &last, &err) : -1;
	if (f)
		fclose(f);
	check(!rc && !all && last.time_ms == 1764612344300ULL &&
	      last.age_ms == 3820 && last.count == 40 && last.pid == 1234 &&
	      !strcmp(last.comm, "curl") && last.rport == 5000,
	      "held/tw_failures: the rows, the last one's fields");
}

static void cgroup_case(const char *path, const char *runtime,
			const char *id, const char *pod)
{
	struct tw_owner o;
	char what[256];

	memset(&o, 0, sizeof(o));
	tw_cgroup_parse(path, &o);
	snprintf(what, sizeof(what), "cgroup %.200s", path);
	check(!strcmp(o.runtime, runtime) && !strcmp(o.id, id) &&
	      !strcmp(o.pod, pod), "%s", what);
}

#define HEX64	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_cgroups(void)
{
	cgroup_case("/system.slice/docker-" HEX64 ".scope", "docker", HEX64,
		    "");
	cgroup_case("/docker/" HEX64, "docker", HEX64, "");
	cgroup_case("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1c2d3e4f_0a1b_4c5d_8e9f_001122334455.slice/cri-containerd-"
		    HEX64 ".scope", "containerd", HEX64,
		    "1c2d3e4f-0a1b-4c5d-8e9f-001122334455");
	cgroup_case("/kubepods/burstable/pod1c2d3e4f-0a1b-4c5d-8e9f-001122334455/"
		    HEX64, "cri", HEX64,
		    "1c2d3e4f-0a1b-4c5d-8e9f-001122334455");
	cgroup_case("/machine.slice/systemd-nspawn@web.service/payload",
		    "systemd-nspawn", "web", "");
	cgroup_case("/machine.slice/machine-web.scope", "systemd-nspawn",
		    "web", "");
	cgroup_case("/user.slice/user-1000.slice/session-3.scope", "", "", "");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_parse FIXTURE_DIR [LABEL]\n");
		return 2;
	}
	dir = argv[1];
	if (argc > 2)
		label = argv[2];
	test_stats_61();
	test_stats_614();
	test_stats_all();
	test_sockets();
	test_bad();
	test_binary();
	test_long_line();
	test_many_rows();
	test_limits();
	test_noise();
	test_header_only();
	test_addr();
	test_held();
	test_cgroups();
	return failed ? 1 : 0;
}
