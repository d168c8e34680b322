// SPDX-License-Identifier: GPL-2.0
/*
 * twstat advise: what would relieve each hot destination, in words, with
 * the sysctl lines to apply.  It never changes a setting: the person
 * reading it decides, because every remedy has a cost this tool cannot
 * see (a service on a port the wider range would hand out, memory for a
 * bigger TIME_WAIT table, a peer that cannot keep connections open).
 *
 * The rules, from the kernel (see the README, "Reuse eligibility"):
 * tcp_tw_reuse only lets connect() take over a TIME_WAIT port on the
 * client side, only when the peer sent TCP timestamps, and only after
 * the age rule (1 s after the peer's last timestamp before Linux 6.14,
 * tcp_tw_reuse_delay ms after entry since).  A server-side TIME_WAIT sits
 * on the listener's port, which connect() never picks; reuse cannot help
 * there, and neither can the port range.
 */

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "twstat.h"

#define TW_ADVISE_KEYS	(TW_BIT(TWF_K_TW_COUNT) | TW_BIT(TWF_K_OVERFLOW) | \
			 TW_BIT(TWF_K_PORT_LOW) | TW_BIT(TWF_K_PORT_HIGH) | \
			 TW_BIT(TWF_K_PORTS_RESERVED) | \
			 TW_BIT(TWF_K_TCP_TW_REUSE) | \
			 TW_BIT(TWF_K_TCP_TIMESTAMPS) | \
			 TW_BIT(TWF_K_TCP_MAX_TW_BUCKETS) | \
			 TW_BIT(TWF_K_ENDED_REUSE) | \
			 TW_BIT(TWF_K_TW_MEMORY_BYTES) | \
			 TW_BIT(TWF_K_ROLE_CLIENT) | \
			 TW_BIT(TWF_K_ROLE_SERVER) | TW_BIT(TWF_K_ROLE_OTHER))
#define TW_ITEMS	8
#define TW_PORT_FLOOR	1024
#define TW_PORT_TOP	65535

struct tw_item {
	char text[640];
	char cmd[160];			/* empty when none */
};

/* One hot destination, or the TIME_WAIT table as a whole (h NULL). */
struct tw_finding {
	const struct tw_hot *h;
	const struct tw_agg *agg;
	const char *side;
	char title[384];
	struct tw_item item[TW_ITEMS];
	unsigned int n;
};

static __printf(3, 4) void tw_say(struct tw_finding *fd, const char *cmd,
				  const char *fmt, ...)
{
	struct tw_item *it;
	va_list ap;

	if (fd->n == TW_ITEMS)
		return;
	it = &fd->item[fd->n++];
	va_start(ap, fmt);
	vsnprintf(it->text, sizeof(it->text), fmt, ap);
	va_end(ap);
	snprintf(it->cmd, sizeof(it->cmd), "%s", cmd ? cmd : "");
}

static unsigned long long tw_v(const struct tw_ns *ns, enum twf_key k)
{
	return (unsigned long long)ns->val[k];
}

/* The age rule of this kernel, told by the key only 6.14+ has. */
static uint64_t tw_age_rule(const struct tw_ns *ns, char *buf, size_t len)
{
	if (ns->have & TW_BIT(TWF_K_TCP_TW_REUSE_DELAY_MS)) {
		snprintf(buf, len, "once it has been in TIME_WAIT for %llu ms (tcp_tw_reuse_delay, Linux 6.14 and later)",
			 tw_v(ns, TWF_K_TCP_TW_REUSE_DELAY_MS));
		return ns->val[TWF_K_TCP_TW_REUSE_DELAY_MS];
	}
	snprintf(buf, len, "once the peer's last timestamp is 1 s old (the rule before Linux 6.14)");
	return 1000;
}

static void tw_reuse_off(struct tw_finding *fd, const struct tw_ns *ns,
			 const char *remote, const char *rule)
{
	if (ns->val[TWF_K_TCP_TW_REUSE] == 2)
		tw_say(fd, "sysctl -w net.ipv4.tcp_tw_reuse=1",
		       "tcp_tw_reuse is 2, loopback only, and %s is not loopback. Setting it to 1 lets connect() take over a TIME_WAIT port to it instead of failing with EADDRNOTAVAIL, if the peer sends TCP timestamps, %s:",
		       remote, rule);
	else
		tw_say(fd, "sysctl -w net.ipv4.tcp_tw_reuse=1",
		       "tcp_tw_reuse is off (%llu). Turning it on lets connect() take over a TIME_WAIT port to %s instead of failing with EADDRNOTAVAIL, if the peer sends TCP timestamps, %s:",
		       tw_v(ns, TWF_K_TCP_TW_REUSE), remote, rule);
}

static void tw_reuse_on(struct tw_finding *fd, const struct tw_ns *ns,
			const char *remote, const char *rule,
			uint64_t rule_ms)
{
	const struct tw_hot *h = fd->h;

	if (h->d->reusable) {
		tw_say(fd, NULL,
		       "tcp_tw_reuse is on (%llu) and works here: %llu of the %llu sockets are reusable now, so connect() takes one over instead of failing with EADDRNOTAVAIL (%llu taken over in this namespace since load). It keeps up while sockets become reusable, %s, faster than new connections come.",
		       tw_v(ns, TWF_K_TCP_TW_REUSE),
		       (unsigned long long)h->d->reusable,
		       (unsigned long long)h->d->tw,
		       tw_v(ns, TWF_K_ENDED_REUSE), rule);
		return;
	}
	if (fd->agg->rows && fd->agg->max_age_ms < rule_ms) {
		tw_say(fd, NULL,
		       "tcp_tw_reuse is on (%llu), but none of these sockets is reusable yet: a socket becomes reusable %s, and connections come faster than that.",
		       tw_v(ns, TWF_K_TCP_TW_REUSE), rule);
		return;
	}
	tw_say(fd, NULL,
	       "tcp_tw_reuse is on (%llu), but none of these sockets is reusable: %s does not send TCP timestamps, which reuse needs. Enabling them there (net.ipv4.tcp_timestamps=1 on a Linux peer) would let reuse work.",
	       tw_v(ns, TWF_K_TCP_TW_REUSE), remote);
}

static void tw_range(struct tw_finding *fd, const struct tw_ns *ns)
{
	unsigned long long lo = tw_v(ns, TWF_K_PORT_LOW);
	unsigned long long hi = tw_v(ns, TWF_K_PORT_HIGH);
	long long now = (long long)tw_usable(ns);
	long long wide = TW_PORT_TOP - TW_PORT_FLOOR + 1 -
			 tw_port_key(ns, TWF_K_PORTS_RESERVED);
	char cmd[160];

	if (lo <= TW_PORT_FLOOR && hi >= TW_PORT_TOP) {
		tw_say(fd, NULL,
		       "The ephemeral port range %llu-%llu is as wide as it sensibly goes.",
		       lo, hi);
		return;
	}
	snprintf(cmd, sizeof(cmd),
		 "sysctl -w net.ipv4.ip_local_port_range=\"%d %d\"",
		 TW_PORT_FLOOR, TW_PORT_TOP);
	tw_say(fd, cmd,
	       "Widening the ephemeral port range from %llu-%llu (%lld usable ports) to %d-%d (about %lld) would relieve it. Reserve the ports your own services listen on first (net.ipv4.ip_local_reserved_ports), or outgoing connections may take them:",
	       lo, hi, now, TW_PORT_FLOOR, TW_PORT_TOP, wide);
}

static void tw_client(struct tw_finding *fd, const struct tw_ns *ns,
		      const char *remote)
{
	uint64_t reuse = ns->val[TWF_K_TCP_TW_REUSE], rule_ms;
	bool loop = tw_addr_loopback(&fd->h->d->remote);
	char rule[160];

	rule_ms = tw_age_rule(ns, rule, sizeof(rule));
	if (reuse != 1 && !(reuse == 2 && loop)) {
		tw_reuse_off(fd, ns, remote, rule);
		if (!ns->val[TWF_K_TCP_TIMESTAMPS])
			tw_say(fd, "sysctl -w net.ipv4.tcp_timestamps=1",
			       "It also needs TCP timestamps, which are off here:");
	} else if (!ns->val[TWF_K_TCP_TIMESTAMPS]) {
		tw_say(fd, "sysctl -w net.ipv4.tcp_timestamps=1",
		       "tcp_tw_reuse is on, but TCP timestamps are off here, so it cannot take any socket over:");
	} else {
		tw_reuse_on(fd, ns, remote, rule, rule_ms);
	}
	tw_range(fd, ns);
	tw_say(fd, NULL,
	       "What lasts is fewer new connections to %s: keep-alive or a connection pool. More destination addresses or ports also spread the load, as each remote address and port has its own set of local ports.",
	       remote);
}

static void tw_server(struct tw_finding *fd, const struct tw_ns *ns)
{
	const struct tw_agg *a = fd->agg;
	unsigned long long lo = tw_v(ns, TWF_K_PORT_LOW);
	unsigned long long hi = tw_v(ns, TWF_K_PORT_HIGH);
	char cmd[160];
	int port = a->server_port;

	tw_say(fd, NULL,
	       "%llu of its %llu sockets are on the server side: this host closed first, and they sit on the listener's port %d, which connect() never picks. tcp_tw_reuse cannot help them.",
	       (unsigned long long)a->role[TW_ROLE_SERVER],
	       (unsigned long long)a->rows, port);
	if (port >= 0 && (unsigned long long)port >= lo &&
	    (unsigned long long)port <= hi) {
		snprintf(cmd, sizeof(cmd),
			 "sysctl -w net.ipv4.ip_local_reserved_ports=%d", port);
		tw_say(fd, cmd,
		       "Port %d lies inside the ephemeral range %llu-%llu, which is why they count against it: move the service out of the range, or reserve the port (this replaces the reserved list; add any ports already in it):",
		       port, lo, hi);
	}
	tw_say(fd, NULL,
	       "The fix is connection reuse: keep-alive or a connection pool on the clients, or letting the client close first so that the TIME_WAIT lands there.");
}

static void tw_other(struct tw_finding *fd)
{
	tw_say(fd, NULL,
	       "%llu of its %llu sockets are from connections bound to a fixed local port before connect(). The kernel ignores tcp_tw_reuse for a port fixed by bind(), and the range does not apply: let connect() pick the port (IP_BIND_ADDRESS_NO_PORT when the source address must be set), or reuse connections.",
	       (unsigned long long)fd->agg->role[TW_ROLE_OTHER],
	       (unsigned long long)fd->agg->rows);
}

static void tw_growth_note(struct tw_finding *fd)
{
	char g[32], e[32];

	if (isnan(fd->h->growth))
		return;
	tw_fmt_rate(g, sizeof(g), fd->h->growth);
	if (!isnan(fd->h->eta))
		tw_say(fd, NULL, "It grows by %s; at this rate its ports run out in %s.",
		       g, tw_fmt_secs(e, sizeof(e), fd->h->eta));
	else if (fd->h->growth > 0)
		tw_say(fd, NULL, "It grows by %s.", g);
	else
		tw_say(fd, NULL, "It is not growing now (%s).", g);
}

static void tw_dest_finding(struct tw_finding *fd, const struct tw_ns *ns)
{
	const struct tw_hot *h = fd->h;
	const struct tw_agg *a = fd->agg;
	char local[TW_ADDR_MAX], remote[TW_ADDR_MAX], pct[16];

	tw_fmt_addr(local, sizeof(local), &h->d->local, -1);
	tw_fmt_addr(remote, sizeof(remote), &h->d->remote, (int)h->d->rport);
	fd->side = "client";
	if (a->role[TW_ROLE_SERVER] > a->role[TW_ROLE_CLIENT] +
					a->role[TW_ROLE_OTHER])
		fd->side = "server";
	else if (a->role[TW_ROLE_OTHER] > a->role[TW_ROLE_CLIENT] +
					     a->role[TW_ROLE_SERVER])
		fd->side = "other";
	if (h->d->held >= 0)
		snprintf(fd->title, sizeof(fd->title),
			 "%s -> %s: %lld of %llu ports held (%s), %.0f by TIME_WAIT, %s side",
			 local, remote, (long long)h->d->held,
			 (unsigned long long)h->d->ports,
			 tw_fmt_pct(pct, sizeof(pct), h->d->held_pressure),
			 h->in_range, fd->side);
	else
		snprintf(fd->title, sizeof(fd->title),
			 "%s -> %s: %.0f of %llu ports held by TIME_WAIT (%s), %s side",
			 local, remote, h->in_range,
			 (unsigned long long)h->d->ports,
			 tw_fmt_pct(pct, sizeof(pct), h->d->pressure), fd->side);
	if (h->d->failed > 0)
		tw_say(fd, NULL,
		       "%lld connect()s to it failed for want of a local port since load (EADDRNOTAVAIL): this destination is out of ports now or was.",
		       (long long)h->d->failed);
	if (h->d->held >= 0 && h->in_range >= 0 &&
	    (double)h->d->held > h->in_range)
		tw_say(fd, NULL,
		       "%.0f of the ports are held by sockets not in TIME_WAIT (open, connecting or closing), which tcp_tw_reuse cannot free: reuse connections (a pool, keep-alive), spread them over more destination addresses or ports, or widen ip_local_port_range.",
		       (double)h->d->held - h->in_range);
	tw_growth_note(fd);
	if (!a->rows)
		tw_say(fd, NULL,
		       "/proc/tw_sockets lists none of them any more (they ended between the two reads); taking them for the client side.");
	if (!strcmp(fd->side, "server"))
		tw_server(fd, ns);
	else if (!strcmp(fd->side, "other"))
		tw_other(fd);
	else
		tw_client(fd, ns, remote);
}

static void tw_table_finding(struct tw_finding *fd, const struct tw_ns *ns,
			     double fill)
{
	unsigned long long count = tw_v(ns, TWF_K_TW_COUNT);
	unsigned long long max = tw_v(ns, TWF_K_TCP_MAX_TW_BUCKETS);
	unsigned long long server = tw_v(ns, TWF_K_ROLE_SERVER);
	unsigned long long other = tw_v(ns, TWF_K_ROLE_CLIENT) +
				   tw_v(ns, TWF_K_ROLE_OTHER);
	uint64_t each = count ? ns->val[TWF_K_TW_MEMORY_BYTES] / count : 0;
	char pct[16], b1[32], b2[32], cmd[160];

	fd->side = server > other ? "server" : "client";
	snprintf(fd->title, sizeof(fd->title),
		 "TIME_WAIT table: %llu of %llu sockets (%s of tcp_max_tw_buckets), %llu overflowed since load",
		 count, max, tw_fmt_pct(pct, sizeof(pct), fill),
		 tw_v(ns, TWF_K_OVERFLOW));
	if (ns->val[TWF_K_OVERFLOW])
		tw_say(fd, NULL,
		       "%llu connections since load closed without TIME_WAIT because the table was full; the kernel logs \"TCP: time wait bucket table overflow\". They lose TIME_WAIT's protection against old duplicate segments.",
		       tw_v(ns, TWF_K_OVERFLOW));
	if (server > other)
		tw_say(fd, NULL,
		       "Most of them (%llu) are on the server side: this host closes first. tcp_tw_reuse cannot help those; keep-alive, connection pooling on the clients, or letting the clients close first is the fix.",
		       server);
	else
		tw_say(fd, NULL,
		       "Most of them (%llu) are on the client side: keep-alive or a connection pool makes fewer of them.",
		       other);
	snprintf(cmd, sizeof(cmd), "sysctl -w net.ipv4.tcp_max_tw_buckets=%llu",
		 max ? 2 * max : 262144ULL);
	tw_say(fd, cmd,
	       "A larger table costs about %s per socket here (%s more at twice the limit):",
	       tw_fmt_bytes(b1, sizeof(b1), each),
	       tw_fmt_bytes(b2, sizeof(b2), each * (max ? max : 262144ULL)));
}

/* Counts from /proc/tw_sockets; zeros when it had none of them. */
static const struct tw_agg *tw_agg_of(const struct tw_sample *cur,
				      const struct tw_hot *h)
{
	static const struct tw_agg none = { .server_port = -1 };

	if (!cur->agg || !cur->agg[h->nsi])
		return &none;
	return &cur->agg[h->nsi][h->di];
}

/* Findings of one namespace; returns how many, *quiet says why none. */
static size_t tw_findings(const struct tw_opts *o, const struct tw_sample *cur,
			  const struct tw_hot *h, size_t nh,
			  const struct tw_ns *ns, struct tw_finding *fd,
			  char *quiet, size_t qlen)
{
	double max = (double)ns->val[TWF_K_TCP_MAX_TW_BUCKETS];
	double fill = max > 0 ? 100.0 * (double)ns->val[TWF_K_TW_COUNT] /
				max : -1;
	char a[TW_CELL_MAX], p1[16], p2[16], p3[16];
	size_t n = 0, i;

	/* Ranked failing first, then by the ports taken (tw_rank()). */
	for (i = 0; i < nh && (h[i].d->failed > 0 ||
			       tw_taken(h[i].d) >= o->threshold); i++) {
		memset(&fd[n], 0, sizeof(fd[n]));
		fd[n].h = &h[i];
		fd[n].agg = tw_agg_of(cur, &h[i]);
		tw_dest_finding(&fd[n++], ns);
	}
	if (fill >= o->threshold || ns->val[TWF_K_OVERFLOW]) {
		memset(&fd[n], 0, sizeof(fd[n]));
		tw_table_finding(&fd[n++], ns, fill);
	}
	if (n)
		return n;
	if (nh && h[0].in_range >= 0)
		snprintf(quiet, qlen,
			 "Nothing is hot: the busiest destination, %s, holds %.0f of %llu ports (%s), below the %s threshold; the TIME_WAIT table is %s full (%llu of %llu sockets).",
			 tw_fmt_addr(a, sizeof(a), &h[0].d->remote,
				     (int)h[0].d->rport), h[0].in_range,
			 (unsigned long long)h[0].d->ports,
			 tw_fmt_pct(p1, sizeof(p1), h[0].d->pressure),
			 tw_fmt_pct(p2, sizeof(p2), o->threshold),
			 tw_fmt_pct(p3, sizeof(p3), fill),
			 tw_v(ns, TWF_K_TW_COUNT), (unsigned long long)max);
	else
		snprintf(quiet, qlen,
			 "Nothing is hot: no destination holds ports in the range; the TIME_WAIT table is %s full (%llu of %llu sockets).",
			 tw_fmt_pct(p3, sizeof(p3), fill),
			 tw_v(ns, TWF_K_TW_COUNT), (unsigned long long)max);
	return 0;
}

static void tw_text_finding(FILE *f, const struct tw_finding *fd)
{
	unsigned int i;

	fprintf(f, "%s\n", fd->title);
	for (i = 0; i < fd->n; i++) {
		tw_wrap(f, "  - ", "    ", fd->item[i].text);
		if (fd->item[i].cmd[0])
			fprintf(f, "      %s\n", fd->item[i].cmd);
	}
}

static void tw_json_finding(struct tw_json *j, const struct tw_finding *fd)
{
	char a[TW_CELL_MAX];
	unsigned int i;

	tw_json_open(j, NULL, '{');
	tw_json_str(j, "kind", fd->h ? "destination" : "table");
	tw_json_str(j, "title", fd->title);
	tw_json_str(j, "side", fd->side);
	if (fd->h) {
		tw_json_str(j, "local", tw_fmt_addr(a, sizeof(a),
						    &fd->h->d->local, -1));
		tw_json_str(j, "remote", tw_fmt_addr(a, sizeof(a),
						     &fd->h->d->remote,
						     (int)fd->h->d->rport));
		tw_json_u64(j, "tw", fd->h->d->tw);
		tw_json_u64(j, "reusable", fd->h->d->reusable);
		tw_json_u64(j, "ports", fd->h->d->ports);
		tw_json_num(j, "in_range", fd->h->in_range);
		tw_json_num(j, "pressure_pct", fd->h->d->pressure);
	}
	/* Each piece of advice with its own command, null when none. */
	tw_json_open(j, "advice", '[');
	for (i = 0; i < fd->n; i++) {
		tw_json_open(j, NULL, '{');
		tw_json_str(j, "text", fd->item[i].text);
		if (fd->item[i].cmd[0])
			tw_json_str(j, "command", fd->item[i].cmd);
		else
			tw_json_null(j, "command");
		tw_json_close(j, '}');
	}
	tw_json_close(j, ']');
	tw_json_close(j, '}');
}

/* One namespace: its findings in text or JSON; returns commands given. */
static int tw_advise_ns(FILE *f, struct tw_json *j, const struct tw_opts *o,
			const struct tw_sample *cur,
			const struct tw_sample *prev, unsigned int i)
{
	const struct tw_ns *ns = &cur->st.ns[i];
	struct tw_finding *fd;
	struct tw_hot *h;
	char quiet[512];
	size_t nh, n, k;
	int cmds = 0;

	nh = tw_rank(cur, prev, (int)i, &h);
	fd = calloc(nh + 1, sizeof(*fd));
	if (!fd) {
		free(h);
		return -1;
	}
	n = tw_findings(o, cur, h, nh, ns, fd, quiet, sizeof(quiet));
	for (k = 0; k < n; k++) {
		unsigned int m;

		for (m = 0; m < fd[k].n; m++)
			cmds += !!fd[k].item[m].cmd[0];
	}
	if (j) {
		tw_json_open(j, NULL, '{');
		tw_json_netns(j, cur, ns);
		if (prev) {
			struct tw_rates r;

			tw_rates(ns, tw_prev_ns(prev, cur, i),
				 cur->mono - prev->mono, &r);
			tw_json_rates(j, "rates", &r);
		}
		tw_json_bool(j, "hot", n);
		if (!n)
			tw_json_str(j, "summary", quiet);
		tw_json_open(j, "findings", '[');
		for (k = 0; k < n; k++)
			tw_json_finding(j, &fd[k]);
		tw_json_close(j, ']');
		tw_json_close(j, '}');
	} else {
		if (!n)
			tw_wrap(f, "", "", quiet);
		for (k = 0; k < n; k++) {
			if (k)
				fputc('\n', f);
			tw_text_finding(f, &fd[k]);
		}
	}
	free(fd);
	free(h);
	return cmds;
}

int tw_advise(FILE *f, const struct tw_opts *o, const struct tw_sample *cur,
	      const struct tw_sample *prev)
{
	struct tw_json j, *jp = NULL;
	unsigned int i;
	int rc, cmds = 0;
	bool first = true;

	for (i = 0; i < cur->st.nns; i++) {
		const struct tw_ns *ns = &cur->st.ns[i];

		if (!ns->departed &&
		    tw_need(cur, ns, TW_ADVISE_KEYS |
			    (prev ? TW_RATE_KEYS : 0), "advise"))
			return -1;
	}
	if (o->format == TW_JSON) {
		jp = &j;
		tw_json_begin(jp, f, !cur->watch);
		tw_json_open(jp, NULL, '{');
		tw_json_str(jp, "view", "advise");
		if (cur->watch)
			tw_json_fixed(jp, "timestamp", cur->wall, 6);
		if (prev)
			tw_json_fixed(jp, "interval_s",
				      cur->mono - prev->mono, 3);
		tw_json_num(jp, "threshold_pct", o->threshold);
		tw_json_open(jp, "namespaces", '[');
	}
	for (i = 0; i < cur->st.nns; i++) {
		const struct tw_ns *ns = &cur->st.ns[i];
		struct tw_rates r;

		if (ns->departed)
			continue;
		if (!jp) {
			tw_text_netns(f, cur, ns, first);
			if (prev) {
				tw_rates(ns, tw_prev_ns(prev, cur, i),
					 cur->mono - prev->mono, &r);
				tw_text_rates(f, &r);
			}
		}
		first = false;
		rc = tw_advise_ns(f, jp, o, cur, prev, i);
		if (rc < 0) {
			tw_err("out of memory");
			return -1;
		}
		cmds += rc;
	}
	if (jp) {
		tw_json_close(jp, ']');
		tw_json_close(jp, '}');
		tw_json_end(jp);
	} else if (cmds) {
		fprintf(f, "\n");
		tw_wrap(f, "", "",
			cur->st.all ? "twstat changed nothing. sysctl -w applies a setting to the namespace it runs in (enter one with nsenter --net=/proc/PID/ns/net) until reboot; /etc/sysctl.d/ keeps it." :
			"twstat changed nothing. sysctl -w applies a setting until reboot; a file in /etc/sysctl.d/ keeps it.");
	}
	return 0;
}
