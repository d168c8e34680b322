// SPDX-License-Identifier: GPL-2.0
/*
 * --prometheus: the keys of /proc/tw_stats and the destinations as
 * metrics for node_exporter's textfile collector.  It is not a view like
 * the others: no text and JSON pair, no previous sample (Prometheus
 * computes the rates from the counters), and its metric names and help
 * texts are an interface that dashboards and alerts are written against,
 * so they are kept together here where a change to one is seen.
 */

#include "output.h"
#include "twstat.h"

struct tw_metric {
	enum twf_key key;
	const char *name;
	const char *type;
	const char *help;
	double scale;
};

static const struct tw_metric tw_metrics[] = {
	{ TWF_K_TW_COUNT, "twstat_time_wait_sockets", "gauge",
	  "Live TIME_WAIT minisockets, both substates (sockstat tw).", 1 },
	{ TWF_K_TW_FIN_WAIT2, "twstat_fin_wait2_sockets", "gauge",
	  "Of those, minisockets in substate FIN_WAIT2.", 1 },
	{ TWF_K_ENTERED, "twstat_entered_total", "counter",
	  "Minisockets created since the module was loaded, plus those found at load.",
	  1 },
	{ TWF_K_UNTRACKED, "twstat_untracked_total", "counter",
	  "Minisockets created while the module's table was full: counted, not listed.",
	  1 },
	{ TWF_K_OVERFLOW, "twstat_overflow_total", "counter",
	  "TIME_WAIT entries refused: tcp_max_tw_buckets reached or no memory.",
	  1 },
	{ TWF_K_REARMED, "twstat_rearmed_total", "counter",
	  "Times a TIME_WAIT timer restarted because of a segment from the peer.",
	  1 },
	{ TWF_K_FIN_WAIT2_TO_TIME_WAIT, "twstat_fin_wait2_to_time_wait_total",
	  "counter", "Minisockets that moved from FIN_WAIT2 to TIME_WAIT.", 1 },
	{ TWF_K_REUSE_ELIGIBLE, "twstat_reuse_eligible_sockets", "gauge",
	  "Minisockets a connect() could take over now through tcp_tw_reuse.",
	  1 },
	{ TWF_K_PORT_LOW, "twstat_port_range_low", "gauge",
	  "Low end of net.ipv4.ip_local_port_range.", 1 },
	{ TWF_K_PORT_HIGH, "twstat_port_range_high", "gauge",
	  "High end of net.ipv4.ip_local_port_range.", 1 },
	{ TWF_K_PORTS_RESERVED, "twstat_ports_reserved", "gauge",
	  "Ports of the range in net.ipv4.ip_local_reserved_ports.", 1 },
	{ TWF_K_TCP_TW_REUSE, "twstat_tcp_tw_reuse", "gauge",
	  "net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only.", 1 },
	{ TWF_K_TCP_TIMESTAMPS, "twstat_tcp_timestamps", "gauge",
	  "net.ipv4.tcp_timestamps.", 1 },
	{ TWF_K_TCP_MAX_TW_BUCKETS, "twstat_tcp_max_tw_buckets", "gauge",
	  "net.ipv4.tcp_max_tw_buckets.", 1 },
	{ TWF_K_TCP_TW_REUSE_DELAY_MS, "twstat_tcp_tw_reuse_delay_seconds",
	  "gauge", "net.ipv4.tcp_tw_reuse_delay (Linux 6.14 and later).",
	  0.001 },
	{ TWF_K_TW_MEMORY_BYTES, "twstat_time_wait_memory_bytes", "gauge",
	  "Memory of the live minisockets.", 1 },
	{ TWF_K_TABLE_MEMORY_BYTES, "twstat_table_memory_bytes", "gauge",
	  "Memory the tw_stats module holds, all namespaces.", 1 },
	{ TWF_K_CONNECT_FAILED, "twstat_connect_failed_total", "counter",
	  "TCP connect()s refused because no local port was free (EADDRNOTAVAIL).",
	  1 },
	{ TWF_K_PORTS_BOUND, "twstat_ports_bound", "gauge",
	  "Ports of the range taken by bind() or listen(), which connect() skips.",
	  1 },
	{ TWF_K_NAMESPACES, "twstat_departed_namespaces_total", "counter",
	  "Network namespaces that died since the module was loaded.", 1 },
};

#define TW_NMETRICS	ARRAY_SIZE(tw_metrics)

/* Labels: netns when the file has blocks, then the caller's pairs. */
static void tw_prom_labels(const struct tw_ns *ns, char *buf, size_t len,
			   const char **l, const char *k1, const char *v1,
			   const char *k2, const char *v2)
{
	int n = 0;

	if (ns->departed || ns->has_netns) {
		snprintf(buf, len, "%llu", (unsigned long long)ns->netns);
		l[n++] = "netns";
		l[n++] = ns->departed ? "departed" : buf;
	}
	l[n++] = k1;
	l[n++] = v1;
	l[n++] = k2;
	l[n++] = v2;
	l[n] = NULL;
}

static void tw_prom_keys(FILE *f, const struct tw_sample *cur)
{
	const char *l[8];
	char buf[32];
	unsigned int m, i;
	bool head;

	for (m = 0; m < TW_NMETRICS; m++) {
		const struct tw_metric *t = &tw_metrics[m];

		head = false;
		for (i = 0; i < cur->st.nns; i++) {
			const struct tw_ns *ns = &cur->st.ns[i];

			if (!(ns->have & TW_BIT(t->key)))
				continue;
			if (!head)
				tw_prom_family(f, t->name, t->type, t->help);
			head = true;
			tw_prom_labels(ns, buf, sizeof(buf), l, NULL, NULL,
				       NULL, NULL);
			tw_prom_sample(f, t->name,
				       (double)ns->val[t->key] * t->scale, l);
		}
	}
}

/* A family with one label over keys first .. first + n - 1. */
static void tw_prom_split(FILE *f, const struct tw_sample *cur,
			  const char *name, const char *type,
			  const char *help, const char *label,
			  enum twf_key first, int n,
			  const char *(*value)(int))
{
	const char *l[8];
	char buf[32];
	unsigned int i;
	bool head = false;
	int c;

	for (i = 0; i < cur->st.nns; i++) {
		const struct tw_ns *ns = &cur->st.ns[i];

		for (c = 0; c < n; c++) {
			if (!(ns->have & TW_BIT(first + c)))
				continue;
			if (!head)
				tw_prom_family(f, name, type, help);
			head = true;
			tw_prom_labels(ns, buf, sizeof(buf), l, label,
				       value(c), NULL, NULL);
			tw_prom_sample(f, name, (double)ns->val[first + c], l);
		}
	}
}

static const char *tw_role_label(int r)
{
	return tw_role_name((enum tw_role)r);
}

static void tw_prom_usable(FILE *f, const struct tw_sample *cur)
{
	const char *l[8];
	char buf[32];
	unsigned int i;
	bool head = false;

	for (i = 0; i < cur->st.nns; i++) {
		const struct tw_ns *ns = &cur->st.ns[i];

		if (ns->departed || tw_usable(ns) < 0)
			continue;
		if (!head)
			tw_prom_family(f, "twstat_ports_usable", "gauge",
				       "Ports of the range not reserved.");
		head = true;
		tw_prom_labels(ns, buf, sizeof(buf), l, NULL, NULL, NULL, NULL);
		tw_prom_sample(f, "twstat_ports_usable",
			       (double)tw_usable(ns), l);
	}
}

enum tw_dmetric {
	TW_DM_TW,
	TW_DM_REUSABLE,
	TW_DM_PRESSURE,
	TW_DM_HELD,
	TW_DM_HELD_PRESSURE,
	TW_DM_FAILED,
	TW_DM_MAX
};

static const struct tw_metric tw_dmetrics[TW_DM_MAX] = {
	[TW_DM_TW] = { 0, "twstat_destination_time_wait_sockets", "gauge",
		       "Minisockets to a destination (the 10 busiest).", 1 },
	[TW_DM_REUSABLE] = { 0, "twstat_destination_reusable_sockets",
			     "gauge",
			     "Of those, minisockets a connect() could take over now.",
			     1 },
	[TW_DM_PRESSURE] = { 0, "twstat_destination_pressure_ratio", "gauge",
			     "Minisockets to a destination with a local port in the range, over the usable ports.",
			     0.01 },
	[TW_DM_HELD] = { 0, "twstat_destination_held_ports", "gauge",
			 "Usable local ports held by a destination's sockets, in any state.",
			 1 },
	[TW_DM_HELD_PRESSURE] = { 0, "twstat_destination_held_ratio", "gauge",
				  "Held ports over the usable ports: at 1 the next connect() there fails.",
				  0.01 },
	[TW_DM_FAILED] = { 0, "twstat_destination_connect_failed_total",
			   "counter",
			   "connect()s to a destination refused for want of a local port.",
			   1 },
};

static double tw_dmetric(const struct tw_dest *d, enum tw_dmetric m)
{
	switch (m) {
	case TW_DM_TW:
		return (double)d->tw;
	case TW_DM_REUSABLE:
		return (double)d->reusable;
	case TW_DM_PRESSURE:
		return d->pressure;
	case TW_DM_HELD:
		return (double)d->held;
	case TW_DM_HELD_PRESSURE:
		return d->held < 0 ? -1 : d->held_pressure;
	case TW_DM_FAILED:
		return (double)d->failed;
	default:
		return -1;
	}
}

static void tw_prom_dests(FILE *f, const struct tw_sample *cur)
{
	char buf[32], local[TW_CELL_MAX], remote[TW_CELL_MAX];
	const char *l[8];
	unsigned int m, i, k;
	double v;

	for (m = 0; m < TW_DM_MAX; m++) {
		const struct tw_metric *t = &tw_dmetrics[m];
		bool head = false;

		for (i = 0; i < cur->st.nns; i++) {
			const struct tw_ns *ns = &cur->st.ns[i];

			for (k = 0; k < ns->ndest; k++) {
				const struct tw_dest *d = &ns->dest[k];

				v = tw_dmetric(d, m);
				if (v < 0)
					continue;
				if (!head)
					tw_prom_family(f, t->name, t->type,
						       t->help);
				head = true;
				tw_fmt_addr(local, sizeof(local), &d->local, -1);
				tw_fmt_addr(remote, sizeof(remote), &d->remote,
					    (int)d->rport);
				tw_prom_labels(ns, buf, sizeof(buf), l, "local",
					       local, "remote", remote);
				tw_prom_sample(f, t->name, v * t->scale, l);
			}
		}
	}
}

/* One series a namespace: what lives in it, as labels to join on. */
static void tw_prom_owners(FILE *f, const struct tw_sample *cur)
{
	const char *l[12];
	char netns[32];
	unsigned int i;
	int n;

	if (!cur->owners.scanned)
		return;
	tw_prom_family(f, "twstat_netns_info", "gauge",
		       "A network namespace and what lives in it: its container runtime and ID, its Kubernetes pod, its first process.");
	for (i = 0; i < cur->st.nns; i++) {
		const struct tw_ns *ns = &cur->st.ns[i];
		const struct tw_owner *o;

		if (ns->departed || !ns->has_netns)
			continue;
		o = tw_owner_of(&cur->owners, ns->netns);
		snprintf(netns, sizeof(netns), "%llu",
			 (unsigned long long)ns->netns);
		n = 0;
		l[n++] = "netns";
		l[n++] = netns;
		l[n++] = "runtime";
		l[n++] = o ? o->runtime : "";
		l[n++] = "container";
		l[n++] = o ? o->id : "";
		l[n++] = "pod";
		l[n++] = o ? o->pod : "";
		l[n++] = "comm";
		l[n++] = o && o->nkept ? o->comm[0] : "";
		l[n] = NULL;
		tw_prom_sample(f, "twstat_netns_info", 1, l);
	}
}

int tw_prometheus(FILE *f, const struct tw_opts *o,
		  const struct tw_sample *cur)
{
	(void)o;
	tw_prom_owners(f, cur);
	tw_prom_keys(f, cur);
	tw_prom_usable(f, cur);
	tw_prom_split(f, cur, "twstat_ended_total", "counter",
		      "Minisockets gone since load, by cause.", "cause",
		      TWF_K_ENDED_TIMER, TW_CAUSES, tw_cause_name);
	tw_prom_split(f, cur, "twstat_role_sockets", "gauge",
		      "Live tracked minisockets by side: client, server, other.",
		      "role", TWF_K_ROLE_CLIENT, TW_ROLE_MAX, tw_role_label);
	tw_prom_dests(f, cur);
	return 0;
}
