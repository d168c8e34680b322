// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/tw_stats, /proc/tw_sockets and /proc/tw_failures: formatting
 * only.  Data is copied out of the table under its locks and printed with
 * none held.
 *
 * A reader sees the network namespace it opened the file in.  A reader
 * that opened it in the initial namespace with CAP_NET_ADMIN there may
 * write "all" to the open file before reading to see every namespace;
 * each block or row then names its namespace by the inode number that
 * `readlink /proc/PID/ns/net` shows.  "own" switches back.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "tw_format.h"
#include "tw_stats.h"

#define TWS_ROWS	16

struct tws_reader {
	struct net *net;		/* held: the opener's namespace */
	struct pid_namespace *pidns;	/* held: the opener's */
	enum tws_scope scope;
	/* /proc/tw_sockets iteration */
	unsigned int bucket, skip;
	struct tws_row rows[TWS_ROWS];
	unsigned int n, i;
	loff_t pos;			/* of rows[i] */
	int width;			/* of an address; 0 before the header */
};

/*
 * Addresses are padded to the widest one the view can print: an IPv4
 * one ("255.255.255.255:65535") unless an IPv6 minisocket lives there.
 * One born between the header and its row may overrun it; a space still
 * follows.
 */
#define TWS_WIDTH_V4	21
#define TWS_WIDTH_V6	47

static void tws_addr(char *buf, size_t len, const struct tws_dkey *k,
		     const struct in6_addr *a, int port)
{
	if (k->family == AF_INET && port >= 0)
		snprintf(buf, len, "%pI4:%d", &a->s6_addr32[3], port);
	else if (k->family == AF_INET)
		snprintf(buf, len, "%pI4", &a->s6_addr32[3]);
	else if (port >= 0)
		snprintf(buf, len, "[%pI6c]:%d", a, port);
	else
		snprintf(buf, len, "%pI6c", a);
}

/* --- /proc/tw_stats --------------------------------------------------- */

/* @n of @usable ports, in percent with one decimal; "-" for none. */
static void tws_show_pct(struct seq_file *m, const char *fmt, u64 n,
			 unsigned int usable)
{
	char buf[16];
	unsigned int permille;

	if (!usable) {
		strscpy(buf, "-", sizeof(buf));
	} else {
		permille = DIV_ROUND_CLOSEST_ULL(n * 1000, usable);
		snprintf(buf, sizeof(buf), "%u.%u%%", permille / 10,
			 permille % 10);
	}
	seq_printf(m, fmt, buf);
}

/* The names are tw_format.h's, shared with twstat. */
static const char *const tws_keys[TWF_K_MAX] = { TWF_KEY_NAMES };
static const char *const tws_cause_names[] = { TWF_CAUSE_NAMES };
static const char *const tws_role_names[] = { TWF_ROLE_NAMES };
static const char *const tws_dcols[] = { TWF_DEST_COLS };
static const char *const tws_scols[] = { TWF_SOCK_COLS };
static const char *const tws_fcols[] = { TWF_FAIL_COLS };

/* The module's enums and the format's lists name the same things. */
static_assert(ARRAY_SIZE(tws_cause_names) == TWS_END_MAX);
static_assert(ARRAY_SIZE(tws_role_names) == TWS_ROLE_MAX);
static_assert(TWF_K_ENDED_OTHER - TWF_K_ENDED_TIMER + 1 == TWS_END_MAX);
static_assert(TWF_K_ROLE_OTHER - TWF_K_ROLE_CLIENT + 1 == TWS_ROLE_MAX);

/* Columns' widths, negative for left-aligned (seq_printf's "%-*s"). */
static const int tws_dwidth[] = { -39, -47, 8, 8, 8, 8, 8, 13, 8, 8 };
static const int tws_fwidth[] = { 14, 10, 8, 8, -39, -47, 0 };

static_assert(ARRAY_SIZE(tws_dwidth) == ARRAY_SIZE(tws_dcols));
static_assert(ARRAY_SIZE(tws_fwidth) == ARRAY_SIZE(tws_fcols));

static void tws_header(struct seq_file *m, const char *const *names,
		       const int *width, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		seq_printf(m, "%s%*s", i ? " " : "", width[i], names[i]);
	seq_putc(m, '\n');
}

static void tws_key(struct seq_file *m, enum twf_key k, u64 val)
{
	seq_printf(m, "%-22s %llu\n", tws_keys[k], val);
}

/* Sysctls and ports, which are ints in the kernel. */
static void tws_keyd(struct seq_file *m, enum twf_key k, int val)
{
	seq_printf(m, "%-22s %d\n", tws_keys[k], val);
}

static void tws_show_totals(struct seq_file *m, const struct tws_counters *c)
{
	tws_key(m, TWF_K_ENTERED, c->entered);
	tws_key(m, TWF_K_ENDED, tws_ended(c));
	tws_key(m, TWF_K_UNTRACKED, c->untracked);
	tws_key(m, TWF_K_OVERFLOW, c->overflow);
}

static void tws_show_ends(struct seq_file *m, const struct tws_counters *c)
{
	int i;

	for (i = 0; i < TWS_END_MAX; i++)
		tws_key(m, TWF_K_ENDED_TIMER + i, c->ended[i]);
	tws_key(m, TWF_K_REARMED, c->rearmed);
	tws_key(m, TWF_K_FIN_WAIT2_TO_TIME_WAIT, c->fw2_to_tw);
}

/* One line per power-of-two bucket of milliseconds, a column per cause. */
static void tws_show_life(struct seq_file *m, const struct tws_lifetimes *l)
{
	char range[24];
	int b, i;

	seq_printf(m, "\n%-15s", TWF_LIFETIME);
	for (i = 0; i < TWS_END_MAX; i++)
		seq_printf(m, " %10s", tws_cause_names[i]);
	seq_putc(m, '\n');
	for (b = 0; b < TWS_LIFE_BUCKETS; b++) {
		if (b < 2)
			snprintf(range, sizeof(range), "%d", b);
		else if (b < TWS_LIFE_BUCKETS - 1)
			snprintf(range, sizeof(range), "%u-%u", 1U << (b - 1),
				 (1U << b) - 1);
		else
			snprintf(range, sizeof(range), "%u-", 1U << (b - 1));
		seq_printf(m, "%-15s", range);
		for (i = 0; i < TWS_END_MAX; i++)
			seq_printf(m, " %10llu", l->n[i][b]);
		seq_putc(m, '\n');
	}
}

static void tws_show_net(struct seq_file *m, const struct tws_summary *s)
{
	unsigned int usable = s->ports_usable, i;
	char local[64], remote[64];

	tws_key(m, TWF_K_TW_COUNT, s->live);
	tws_key(m, TWF_K_TW_FIN_WAIT2, s->fw2);
	tws_show_totals(m, &s->sum);
	tws_key(m, TWF_K_REUSE_ELIGIBLE, s->eligible);
	tws_keyd(m, TWF_K_PORT_LOW, s->port_low);
	tws_keyd(m, TWF_K_PORT_HIGH, s->port_high);
	tws_key(m, TWF_K_PORTS_RESERVED, s->ports_reserved);
	tws_keyd(m, TWF_K_TCP_TW_REUSE, s->reuse);
	tws_keyd(m, TWF_K_TCP_TIMESTAMPS, s->timestamps);
	tws_keyd(m, TWF_K_TCP_MAX_TW_BUCKETS, s->max_tw_buckets);
	if (TWS_HAVE_REUSE_DELAY)
		tws_key(m, TWF_K_TCP_TW_REUSE_DELAY_MS, s->reuse_delay_ms);
	tws_show_ends(m, &s->sum);
	tws_key(m, TWF_K_TW_MEMORY_BYTES, s->tw_memory);
	tws_key(m, TWF_K_TABLE_MEMORY_BYTES, s->table_memory);
	for (i = 0; i < TWS_ROLE_MAX; i++)
		tws_key(m, TWF_K_ROLE_CLIENT + i, s->role[i]);
	tws_key(m, TWF_K_PROBE_MISSED, s->probe_missed);
	tws_key(m, TWF_K_EVENTS_DROPPED, s->events_dropped);
	tws_key(m, TWF_K_RECONCILED, s->sum.reconciled);
	tws_key(m, TWF_K_CONNECT_FAILED, s->sum.connect_failed);
	tws_key(m, TWF_K_CONNECT_FAILED_DROPPED, s->fails_dropped);
	tws_key(m, TWF_K_PORTS_BOUND, s->ports_bound);
	tws_key(m, TWF_K_PORTS_USABLE, usable);
	seq_printf(m, "%-22s ", tws_keys[TWF_K_HELD_MAX_PRESSURE]);
	tws_show_pct(m, "%s\n", s->held_max, usable);
	tws_key(m, TWF_K_HELD_UNRANKED, s->held_left_out);

	seq_putc(m, '\n');
	tws_header(m, tws_dcols, tws_dwidth, ARRAY_SIZE(tws_dcols));
	for (i = 0; i < s->ntop; i++) {
		const struct tws_top *t = &s->top[i];

		tws_addr(local, sizeof(local), &t->dkey, &t->dkey.saddr, -1);
		tws_addr(remote, sizeof(remote), &t->dkey, &t->dkey.daddr,
			 ntohs(t->dkey.dport));
		seq_printf(m, "%-39s %-47s %8u %8u %8u", local, remote,
			   t->count, t->eligible, usable);
		tws_show_pct(m, " %8s", t->in_range, usable);
		seq_printf(m, " %8u", t->held);
		tws_show_pct(m, " %13s", t->held, usable);
		seq_printf(m, " %8llu %8u\n", t->failed, t->in_range);
	}
	tws_show_life(m, &s->life);
}

/*
 * What the namespaces that died since load left behind, and the memory
 * the module holds in all, which only this view may show.
 */
static void tws_show_departed(struct seq_file *m, struct tws_summary *s)
{
	unsigned int n = tws_departed(&s->sum, &s->life);

	seq_printf(m, "\n%-22s %s\n", TWF_NETNS, TWF_DEPARTED);
	tws_key(m, TWF_K_NAMESPACES, n);
	tws_show_totals(m, &s->sum);
	tws_show_ends(m, &s->sum);
	tws_key(m, TWF_K_RECONCILED, s->sum.reconciled);
	tws_key(m, TWF_K_CONNECT_FAILED, s->sum.connect_failed);
	tws_key(m, TWF_K_MODULE_MEMORY_BYTES, tws_table_memory());
	tws_show_life(m, &s->life);
}

/*
 * The table is brought up to date and copied under its mutex, which no
 * close path takes; the own view formats after releasing it.
 */
static int tws_stats_show(struct seq_file *m, void *v)
{
	struct tws_reader *r = m->private;
	struct tws_net *cursor = NULL;
	struct tws_summary *s;
	struct tws_held h;
	bool first = true, ok;
	int err;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	/* Who holds the ports: from the kernel's hashes, before the mutex. */
	err = tws_held_collect(r->scope == TWS_SCOPE_OWN ? r->net : NULL, &h);
	if (err) {
		tws_held_free(&h);
		kfree(s);
		return err;
	}
	tws_lock();
	tws_sync(true);
	if (r->scope == TWS_SCOPE_OWN) {
		ok = tws_summarize(r->net, NULL, &h, s);
		tws_unlock();
		tws_held_free(&h);
		if (ok)
			tws_show_net(m, s);
		kfree(s);
		return ok ? 0 : -ENOENT;
	}
	while (tws_summarize(NULL, &cursor, &h, s)) {
		seq_printf(m, "%s%-22s %u\n", first ? "" : "\n", TWF_NETNS,
			   s->netns);
		tws_show_net(m, s);
		first = false;
	}
	tws_show_departed(m, s);
	tws_unlock();
	tws_held_free(&h);
	kfree(s);
	return 0;
}

/* --- /proc/tw_sockets ------------------------------------------------- */

static struct tws_row *tws_fill(struct tws_reader *r)
{
	const struct net *only = r->scope == TWS_SCOPE_OWN ? r->net : NULL;

	while (r->i == r->n) {
		if (r->bucket >= tws_buckets())
			return NULL;
		tws_lock();
		if (!r->bucket && !r->skip)
			tws_sync(true);
		r->n = tws_rows(r->bucket, r->skip, only, r->rows, TWS_ROWS);
		tws_unlock();
		r->i = 0;
		if (r->n < TWS_ROWS) {
			r->bucket++;
			r->skip = 0;
		} else {
			r->skip += r->n;
		}
	}
	return &r->rows[r->i];
}

static void tws_rewind(struct tws_reader *r)
{
	r->bucket = 0;
	r->skip = 0;
	r->n = 0;
	r->i = 0;
	r->pos = 1;
}

static void *tws_sockets_start(struct seq_file *m, loff_t *pos)
{
	struct tws_reader *r = m->private;
	struct tws_row *row;

	if (!*pos)
		return SEQ_START_TOKEN;
	if (*pos < r->pos)
		tws_rewind(r);
	for (row = tws_fill(r); row && r->pos < *pos; row = tws_fill(r)) {
		r->i++;
		r->pos++;
	}
	return row;
}

static void *tws_sockets_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct tws_reader *r = m->private;

	++*pos;
	if (v == SEQ_START_TOKEN) {
		tws_rewind(r);
	} else {
		r->i++;
		r->pos++;
	}
	return tws_fill(r);
}

static void tws_sockets_stop(struct seq_file *m, void *v)
{
}

static int tws_sockets_show(struct seq_file *m, void *v)
{
	struct tws_reader *r = m->private;
	const struct tws_row *row = v;
	unsigned long now = jiffies;
	int sw[] = { 0, 0, -9, 8, 10, 5, 6, 0 };
	char local[64], remote[64];
	int w;
	long left;

	BUILD_BUG_ON(ARRAY_SIZE(sw) != ARRAY_SIZE(tws_scols));
	if (v == SEQ_START_TOKEN) {
		tws_lock();
		tws_sync(true);
		r->width = tws_any_v6(r->scope == TWS_SCOPE_OWN ? r->net :
				      NULL) ? TWS_WIDTH_V6 : TWS_WIDTH_V4;
		tws_unlock();
		if (r->scope == TWS_SCOPE_ALL)
			seq_printf(m, "%-10s ", TWF_NETNS);
		sw[0] = sw[1] = -r->width;
		tws_header(m, tws_scols, sw, ARRAY_SIZE(tws_scols));
		return 0;
	}
	w = r->width ?: TWS_WIDTH_V6;
	tws_addr(local, sizeof(local), &row->dkey, &row->dkey.saddr,
		 row->lport);
	tws_addr(remote, sizeof(remote), &row->dkey, &row->dkey.daddr,
		 ntohs(row->dkey.dport));
	left = (long)(row->expires - now);
	if (r->scope == TWS_SCOPE_ALL)
		seq_printf(m, "%-10u ", row->netns);
	seq_printf(m, "%-*s %-*s %-9s %8u %10u %5s %6u %s\n", w, local,
		   w, remote,
		   row->substate == TCP_FIN_WAIT2 ? TWF_FIN_WAIT2 : TWF_TIME_WAIT,
		   jiffies_to_msecs(now - row->born),
		   left > 0 ? jiffies_to_msecs(left) : 0,
		   row->eligible ? "yes" : "no", row->rearms,
		   tws_role_names[row->role]);
	return 0;
}

static const struct seq_operations tws_sockets_ops = {
	.start	= tws_sockets_start,
	.next	= tws_sockets_next,
	.stop	= tws_sockets_stop,
	.show	= tws_sockets_show,
};

/* --- /proc/tw_failures ------------------------------------------------ */

/* A process name, one token: what is not printable or is a blank, '?'. */
static void tws_show_comm(struct seq_file *m, const char *comm)
{
	char buf[TASK_COMM_LEN];
	int i;

	for (i = 0; i < TASK_COMM_LEN - 1 && comm[i]; i++)
		buf[i] = comm[i] > ' ' && comm[i] < 0x7f ? comm[i] : '?';
	buf[i] = '\0';
	seq_printf(m, "%s\n", i ? buf : "?");
}

static void tws_show_fails(struct seq_file *m, const struct tws_reader *r,
			   const struct tws_fail_view *v)
{
	u64 now = ktime_get_real_ns();
	char local[64], remote[64], pid[12];
	unsigned int i;

	for (i = 0; i < v->n; i++) {
		const struct tws_fail_row *f = &v->rows[i];

		tws_addr(local, sizeof(local), &f->dkey, &f->dkey.saddr, -1);
		tws_addr(remote, sizeof(remote), &f->dkey, &f->dkey.daddr,
			 ntohs(f->dkey.dport));
		if (f->pid)
			snprintf(pid, sizeof(pid), "%d", f->pid);
		else
			strscpy(pid, "-", sizeof(pid));
		if (r->scope == TWS_SCOPE_ALL)
			seq_printf(m, "%-10u ", v->netns);
		seq_printf(m, "%10llu.%03llu %10llu %8u %8s %-39s %-47s ",
			   div_u64(f->time, NSEC_PER_SEC),
			   div_u64(f->time % NSEC_PER_SEC, NSEC_PER_MSEC),
			   now > f->time ? div_u64(now - f->time,
						   NSEC_PER_MSEC) : 0,
			   f->count, pid, local, remote);
		tws_show_comm(m, f->comm);
	}
}

/* Copied under the table's mutex, formatted with none held. */
static int tws_failures_show(struct seq_file *m, void *v)
{
	struct tws_reader *r = m->private;
	struct tws_net *cursor = NULL;
	struct tws_fail_view *f;

	f = kmalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	if (r->scope == TWS_SCOPE_ALL)
		seq_printf(m, "%-10s ", TWF_NETNS);
	tws_header(m, tws_fcols, tws_fwidth, ARRAY_SIZE(tws_fcols));
	tws_lock();
	tws_sync(true);
	if (r->scope == TWS_SCOPE_OWN) {
		if (tws_fail_log(r->net, NULL, r->pidns, f)) {
			tws_unlock();
			tws_show_fails(m, r, f);
		} else {
			tws_unlock();
		}
		kfree(f);
		return 0;
	}
	/* Many namespaces: each is formatted as soon as it is copied. */
	while (tws_fail_log(NULL, &cursor, r->pidns, f))
		tws_show_fails(m, r, f);
	tws_unlock();
	kfree(f);
	return 0;
}

/* --- open, write, release --------------------------------------------- */

/* @show: a file read whole; NULL: /proc/tw_sockets. */
static int tws_open(struct file *file, int (*show)(struct seq_file *, void *))
{
	struct tws_reader *r;
	int err;

	if (!show) {
		r = __seq_open_private(file, &tws_sockets_ops, sizeof(*r));
		err = r ? 0 : -ENOMEM;
	} else {
		/*
		 * Room for a namespace's whole tw_stats at once: a show() that
		 * overflows the buffer is called again, walks and all.
		 */
		r = kzalloc(sizeof(*r), GFP_KERNEL);
		err = r ? single_open_size(file, show, r, 16 * PAGE_SIZE) :
			  -ENOMEM;
		if (err)
			kfree(r);
	}
	if (err)
		return err;
	r->net = get_net(current->nsproxy->net_ns);
	r->pidns = get_pid_ns(task_active_pid_ns(current));
	r->scope = TWS_SCOPE_OWN;
	return 0;
}

static int tws_stats_open(struct inode *inode, struct file *file)
{
	return tws_open(file, tws_stats_show);
}

static int tws_sockets_open(struct inode *inode, struct file *file)
{
	return tws_open(file, NULL);
}

static int tws_failures_open(struct inode *inode, struct file *file)
{
	return tws_open(file, tws_failures_show);
}

static int tws_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct tws_reader *r = m->private;

	put_net(r->net);
	put_pid_ns(r->pidns);
	if (m->op == &tws_sockets_ops)
		return seq_release_private(inode, file);
	kfree(r);
	return single_release(inode, file);
}

/*
 * "all" or "own", before the first read.  Under the seq_file's own lock,
 * which every read holds, so that a read running beside the write sees
 * one scope or the other and a write after it is refused.
 */
static ssize_t tws_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct tws_reader *r = m->private;
	enum tws_scope scope;
	char buf[8], *word;
	ssize_t err = len;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	word = strim(buf);
	if (!strcmp(word, "own"))
		scope = TWS_SCOPE_OWN;
	else if (!strcmp(word, "all"))
		scope = TWS_SCOPE_ALL;
	else
		return -EINVAL;
	if (scope == TWS_SCOPE_ALL &&
	    (r->net != &init_net ||
	     !file_ns_capable(file, &init_user_ns, CAP_NET_ADMIN)))
		return -EPERM;
	mutex_lock(&m->lock);
	if (m->index || m->count || m->read_pos)
		err = -EBUSY;
	else
		r->scope = scope;
	mutex_unlock(&m->lock);
	return err;
}

static const struct proc_ops tws_stats_fops = {
	.proc_open	= tws_stats_open,
	.proc_read	= seq_read,
	.proc_write	= tws_write,
	.proc_lseek	= seq_lseek,
	.proc_release	= tws_release,
};

static const struct proc_ops tws_sockets_fops = {
	.proc_open	= tws_sockets_open,
	.proc_read	= seq_read,
	.proc_write	= tws_write,
	.proc_lseek	= seq_lseek,
	.proc_release	= tws_release,
};

static const struct proc_ops tws_failures_fops = {
	.proc_open	= tws_failures_open,
	.proc_read	= seq_read,
	.proc_write	= tws_write,
	.proc_lseek	= seq_lseek,
	.proc_release	= tws_release,
};

static const struct {
	const char *name;
	const struct proc_ops *fops;
} tws_files[] = {
	{ "tw_stats", &tws_stats_fops },
	{ "tw_sockets", &tws_sockets_fops },
	{ "tw_failures", &tws_failures_fops },
};

void tws_proc_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(tws_files) - 1; i >= 0; i--)
		remove_proc_entry(tws_files[i].name, NULL);
}

int tws_proc_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(tws_files); i++) {
		if (!proc_create(tws_files[i].name, 0444, NULL,
				 tws_files[i].fops)) {
			while (--i >= 0)
				remove_proc_entry(tws_files[i].name, NULL);
			return -ENOMEM;
		}
	}
	return 0;
}
