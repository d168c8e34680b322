// SPDX-License-Identifier: GPL-2.0
/*
 * From the probes to the table: one ring of events per CPU.
 *
 * A probe handler may run in any context a kprobe can, on every CPU that
 * closes connections.  All it does here is copy an event into its own
 * CPU's ring: no lock, no allocation, no atomic or cache line shared with
 * another CPU (the drain's tail is read, on a line of its own).  Kprobe
 * handlers never nest on a CPU (a hit while one runs is missed and
 * counted in nmissed instead), so each ring has one writer, its CPU, and
 * one reader, the drain, which holds the table's mutex.
 *
 * The drain runs in process context, from a high-priority workqueue so
 * that busy tasks do not starve it: every second, as soon as a ring is a
 * quarter full (an irq_work kicks it), between the batches of a walk of
 * the kernel's hash, and before every read of /proc.  It gathers the
 * events of all CPUs address by address and applies each address's in
 * the order of their local_clock() stamps.  When events were lost (a
 * full ring) or probe hits missed (our kprobes' nmissed moved), or the
 * events themselves showed one missed, it repairs the table from the
 * kernel's own hash before anyone reads it (tws_reconcile()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/irq_work.h>
#include <linux/log2.h>
#include <linux/jhash.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "tw_stats.h"

/*
 * Events a CPU may make between two drains: at one a second that is a
 * few hundred connections a second even if the half-full kick were
 * never heard, and far more with it.  Beyond it, events are dropped,
 * counted, and the table repaired.
 */
#define TWS_RING	1024

/*
 * The timer ends at once every minisocket born in a span of about 2 s
 * (60 s timers fire in batches 512 jiffies apart at HZ=250), in one
 * softirq that no drain can interrupt on that CPU: a busy CPU's ring
 * overflows at each batch.  Such an end needs only its address to be
 * applied (the entry there, if its timer was due), so those that find
 * the ring full are kept apart in 24 bytes instead of being dropped.
 */
#define TWS_ENDS	2048

struct tws_end {
	const void *key;
	u64 netc;
	u32 now;			/* jiffies */
	bool v6;
};

/*
 * A birth dropped costs its row until the repair walks the kernel's hash,
 * but a minisocket born and ended while its CPU's ring stayed full (a
 * drain starved of CPU, and a SYN ending it at once) is in no hash to
 * walk: its count is kept here, by namespace, so that `entered` never
 * misses it.  Four namespaces a CPU between two drains is plenty; a
 * fifth's birth is dropped whole.
 */
#define TWS_LOST	4

/* Its CPU's; the slot is free when the drain has taken every birth. */
struct tws_lost {
	u64 netc;
	u32 births;
	u32 v6;				/* of those, tcpv6_prot ones */
};

struct tws_ring {
	u32 head;			/* its CPU's */
	u32 ehead;			/* its CPU's */
	u64 dropped;			/* its CPU's */
	struct tws_lost lost[TWS_LOST];
	u32 tail ____cacheline_aligned;	/* the drain's */
	u32 etail;			/* the drain's */
	u32 taken[TWS_LOST];		/* the drain's: births of lost[] */
	u32 v6_taken[TWS_LOST];		/* the drain's */
	struct tws_ev ev[TWS_RING] ____cacheline_aligned;
	struct tws_end ends[TWS_ENDS];
};

static DEFINE_PER_CPU(struct tws_ring *, tws_rings);
static DEFINE_PER_CPU(struct irq_work, tws_kicks);
/*
 * One drain's events, sorted; those that wait for the next drain (at
 * most one ring's worth a CPU, as each waits once); room to sort one
 * address's incarnations.
 */
static struct tws_ev *tws_buf, *tws_carry;
static size_t tws_buf_len, tws_ncarry, tws_nslots;
static unsigned int *tws_cls;
/* Grouping a drain's events by address (tws_group_apply()). */
static struct tws_ev **tws_grp;
static u32 *tws_next, *tws_heads, *tws_slot;
static struct workqueue_struct *tws_wq;
static struct delayed_work tws_dwork;
static bool tws_running;
static u64 tws_lost_seen;		/* missed + dropped at the last repair */
static unsigned long tws_repaired;	/* jiffies of the last repair */

/* A birth that found @r full: counted for its namespace if there is room. */
static void tws_keep_birth(struct tws_ring *r, u64 netc, bool v6)
{
	struct tws_lost *l, *free = NULL;
	unsigned int i;

	for (i = 0; i < TWS_LOST; i++) {
		l = &r->lost[i];
		if (l->netc == netc)
			goto count;
		/* Pairs with the drain's release: its births are applied. */
		if (!free && l->births == smp_load_acquire(&r->taken[i]))
			free = l;
	}
	if (!free)
		return;
	l = free;
	WRITE_ONCE(l->netc, netc);
count:
	WRITE_ONCE(l->v6, l->v6 + v6);
	/* Pairs with the drain's acquire: netc and v6 are written. */
	smp_store_release(&l->births, l->births + 1);
}

/*
 * Hand the births kept apart to their namespaces; tws_lock() is held.
 * Before a walk counts a minisocket it did not know as new, too: its
 * birth may be one of them.
 */
void tws_lost_apply(void)
{
	struct tws_lost *l;
	unsigned int i;
	int cpu;
	u32 n, v6;

	/*
	 * A walk that found a minisocket hashed must see the count its
	 * birth left: the hash insertion came after it.
	 */
	smp_rmb();
	for_each_possible_cpu(cpu) {
		struct tws_ring *r = per_cpu(tws_rings, cpu);

		for (i = 0; i < TWS_LOST; i++) {
			l = &r->lost[i];
			/* Pairs with tws_keep_birth()'s release. */
			n = smp_load_acquire(&l->births);
			if (n == r->taken[i])
				continue;
			v6 = READ_ONCE(l->v6);
			tws_apply_lost_births(READ_ONCE(l->netc),
					      n - r->taken[i],
					      v6 - r->v6_taken[i]);
			r->v6_taken[i] = v6;
			/* Applied: the CPU may give the slot away. */
			smp_store_release(&r->taken[i], n);
		}
	}
}

/*
 * @ev found @r full: kept if it is a timer's end there is room for; a
 * birth's count is kept.
 */
static void tws_push_end(struct tws_ring *r, const struct tws_ev *ev)
{
	/* Pairs with the drain's release: its slots are applied. */
	u32 head = r->ehead, used = head - smp_load_acquire(&r->etail);
	struct tws_end *end;

	if (ev->type != TWS_EV_KILL || ev->cause != TWS_END_TIMER ||
	    used >= TWS_ENDS) {
		r->dropped++;
		if (ev->type == TWS_EV_BORN)
			tws_keep_birth(r, ev->netc, ev->flags & TWS_EVF_V6);
		return;
	}
	end = &r->ends[head % TWS_ENDS];
	end->key = ev->key;
	end->netc = ev->netc;
	end->now = jiffies;
	end->v6 = ev->flags & TWS_EVF_V6;
	/* Pairs with the drain's acquire: the slot is written. */
	smp_store_release(&r->ehead, head + 1);
}

void tws_push(const struct tws_ev *ev)
{
	struct tws_ring *r = this_cpu_read(tws_rings);
	/* Pairs with the drain's release: its slots are copied out. */
	u32 head = r->head, used = head - smp_load_acquire(&r->tail);
	struct tws_ev *slot;

	if (used >= TWS_RING) {
		tws_push_end(r, ev);
		return;
	}
	slot = &r->ev[head % TWS_RING];
	*slot = *ev;
	slot->t = local_clock();
	slot->now = jiffies;
	/* Pairs with the drain's acquire: the slot is written. */
	smp_store_release(&r->head, head + 1);
	if (used + 1 == TWS_RING / 4)
		tws_kick_drain();
}

/* Drain soon: a ring of this CPU's is filling. */
void tws_kick_drain(void)
{
	irq_work_queue(this_cpu_ptr(&tws_kicks));
}

u64 tws_events_dropped(void)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(tws_rings, cpu)->dropped);
	return sum;
}

u64 tws_events_memory(void)
{
	return num_possible_cpus() * (u64)sizeof(struct tws_ring) +
	       tws_buf_len * (sizeof(*tws_buf) * 3 / 2 + sizeof(*tws_cls) +
			      sizeof(*tws_grp) + sizeof(*tws_next) +
			      sizeof(*tws_heads)) +
	       tws_nslots * sizeof(*tws_slot);
}

/* Who an event is about: the incarnation, hashed. */
static u32 tws_ev_id(const struct tws_ev *ev)
{
	u32 h = jhash2((const u32 *)&ev->dkey, sizeof(ev->dkey) / sizeof(u32),
		       ev->lport);

	return jhash_2words(h, (u32)ev->netc, (u32)(ev->netc >> 32));
}

static bool tws_ev_before(const struct tws_ev *x, const struct tws_ev *y)
{
	return x->id != y->id ? x->id < y->id : x->t < y->t;
}

static int tws_ev_cmp(const void *a, const void *b)
{
	const struct tws_ev *x = *(struct tws_ev *const *)a;
	const struct tws_ev *y = *(struct tws_ev *const *)b;

	return tws_ev_before(x, y) ? -1 : tws_ev_before(y, x);
}

/*
 * Up to this many events at one address, the incarnations are told apart
 * by comparing them and ordered by insertion: that is nearly always all
 * (a birth and its re-arm, an end).
 */
#define TWS_FEW		8

/*
 * Order the @m events @g of one address by incarnation (->id), then
 * stamp.
 */
static void tws_order(struct tws_ev **g, unsigned int m)
{
	unsigned int i, j, ncls = 0;
	struct tws_ev *x;

	if (m > TWS_FEW) {
		for (i = 0; i < m; i++)
			g[i]->id = tws_ev_id(g[i]);
		sort(g, m, sizeof(*g), tws_ev_cmp, NULL);
		return;
	}
	for (i = 0; i < m; i++) {
		for (j = 0; j < i && !tws_ev_same(g[j], g[i]); j++)
			;
		g[i]->id = j < i ? g[j]->id : ncls++;
	}
	for (i = 1; i < m; i++) {
		x = g[i];
		for (j = i; j && tws_ev_before(x, g[j - 1]); j--)
			g[j] = g[j - 1];
		g[j] = x;
	}
}

/*
 * Gather the @n events of tws_buf address by address into tws_grp, and
 * apply each address's.  A sort of the whole drain cost more than all
 * the rest of it together (measured): an open-addressed table from an
 * address to its latest event, each event linked to the one before at
 * the same address, does it in O(n).
 */
static void tws_group_apply(size_t n)
{
	unsigned int bits, mask, h, nh = 0, i, m, pos = 0;
	const void *key;

	if (!n)
		return;
	bits = ilog2(roundup_pow_of_two(2 * n));
	mask = (1U << bits) - 1;
	memset(tws_slot, 0, (mask + 1) * sizeof(*tws_slot));
	for (i = 0; i < n; i++) {
		key = tws_buf[i].key;
		h = hash_ptr(key, bits);
		while (tws_slot[h] && tws_buf[tws_slot[h] - 1].key != key)
			h = (h + 1) & mask;
		if (!tws_slot[h])
			tws_heads[nh++] = h;
		tws_next[i] = tws_slot[h];
		tws_slot[h] = i + 1;
	}
	for (h = 0; h < nh; h++) {
		m = 0;
		for (i = tws_slot[tws_heads[h]]; i; i = tws_next[i - 1])
			tws_grp[pos + m++] = &tws_buf[i - 1];
		tws_order(&tws_grp[pos], m);
		tws_apply_key(&tws_grp[pos], m, tws_cls);
		pos += m;
		cond_resched();
	}
}

/*
 * Apply what every CPU has logged so far, and what waited from the last
 * drain, address by address (table.c says in which order).
 */
static void tws_drain(void)
{
	size_t n = tws_ncarry, i;
	int cpu;

	/*
	 * Births kept apart before any event.  An end of theirs in a ring
	 * finds them counted, or, logged on another CPU after this read,
	 * waits a drain for its birth (tws_may_wait()).
	 */
	tws_lost_apply();
	/*
	 * The timer's ends kept apart first: each is of a minisocket born
	 * seconds ago at least, whose birth and re-arms were drained long
	 * since, so what the rings hold about its address came after its
	 * end (a successor's).
	 */
	for_each_possible_cpu(cpu) {
		struct tws_ring *r = per_cpu(tws_rings, cpu);
		/* Pairs with tws_push_end()'s release. */
		u32 tail = r->etail, head = smp_load_acquire(&r->ehead);

		for (; tail != head; tail++) {
			const struct tws_end *end = &r->ends[tail % TWS_ENDS];

			tws_apply_timer_end(end->netc, end->key, end->now,
					    end->v6);
		}
		/* Applied: the CPU may fill them again. */
		smp_store_release(&r->etail, tail);
	}
	tws_fails_drain();
	memcpy(tws_buf, tws_carry, n * sizeof(*tws_buf));
	tws_ncarry = 0;
	for_each_possible_cpu(cpu) {
		struct tws_ring *r = per_cpu(tws_rings, cpu);
		/* Pairs with tws_push()'s release: slots up to head are full. */
		u32 tail = r->tail, head = smp_load_acquire(&r->head);

		for (; tail != head; tail++)
			tws_buf[n++] = r->ev[tail % TWS_RING];
		/* The slots are copied: the CPU may fill them again. */
		smp_store_release(&r->tail, tail);
	}
	tws_group_apply(n);
	for (i = 0; i < n; i++) {
		if (!(tws_buf[i].flags & TWS_EVF_WAIT))
			continue;
		tws_carry[tws_ncarry] = tws_buf[i];
		tws_carry[tws_ncarry].flags &= ~TWS_EVF_WAIT;
		tws_carry[tws_ncarry++].flags |= TWS_EVF_CARRIED;
	}
}

/*
 * Walk the kernel's hash: the entries it does not see are ghosts, the
 * minisockets it finds that we lack are added.  What happens during the
 * walk is drained before the verdict, so an end under way is not taken
 * for a ghost.
 */
static void tws_reconcile(bool loading)
{
	tws_reconcile_begin();
	tws_walk(loading, tws_drain);
	tws_drain();
	tws_reconcile_end(loading);
}

/*
 * How long a repair may wait when nobody reads: a walk costs in
 * proportion to every minisocket in the kernel's hash, and a busy
 * server's rings can overflow every 2 s, when the timer ends at once all
 * the minisockets born in such a span (at HZ=250, 60 s timers fire in
 * batches 512 jiffies apart).  A reader never waits for it.
 */
#define TWS_REPAIR_DELAY	(5 * HZ)

/*
 * Bring the table up to date; the caller holds tws_lock().  What waited
 * for its other half is applied by a second drain: its other half, if it
 * was logged before this call, is in the rings by now, and a reader
 * must not see the table a drain behind.  When anything was lost, the
 * table is repaired before a @reader sees it, and at most
 * TWS_REPAIR_DELAY later otherwise.
 */
void tws_sync(bool reader)
{
	u64 lost = tws_probes_missed() + tws_events_dropped();

	tws_drain();
	if (tws_ncarry)
		tws_drain();
	if (lost == tws_lost_seen && !tws_dirty())
		return;
	if (!reader && time_before(jiffies, tws_repaired + TWS_REPAIR_DELAY))
		return;
	tws_reconcile(false);
	tws_lost_seen = lost;
	tws_repaired = jiffies;
}

static void tws_work(struct work_struct *work)
{
	tws_lock();
	tws_sync(false);
	tws_unlock();
	if (READ_ONCE(tws_running))
		queue_delayed_work(tws_wq, &tws_dwork, HZ);
}

static void tws_kick(struct irq_work *w)
{
	if (READ_ONCE(tws_running))
		mod_delayed_work(tws_wq, &tws_dwork, 0);
}

/*
 * Once the probes are armed: take in what the kernel already holds, then
 * drain every second.
 */
void tws_events_start(void)
{
	tws_lock();
	tws_lost_seen = tws_probes_missed() + tws_events_dropped();
	tws_drain();
	tws_reconcile(true);
	tws_repaired = jiffies;
	tws_unlock();
	WRITE_ONCE(tws_running, true);
	queue_delayed_work(tws_wq, &tws_dwork, HZ);
}

/* Once the probes are disarmed: nothing will push any more. */
void tws_events_stop(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		irq_work_sync(per_cpu_ptr(&tws_kicks, cpu));
	WRITE_ONCE(tws_running, false);
	cancel_delayed_work_sync(&tws_dwork);
}

int tws_events_init(void)
{
	int cpu;

	INIT_DELAYED_WORK(&tws_dwork, tws_work);
	tws_wq = alloc_workqueue("tw_stats", WQ_UNBOUND | WQ_HIGHPRI, 1);
	if (!tws_wq)
		return -ENOMEM;
	tws_buf_len = (size_t)num_possible_cpus() * TWS_RING * 2;
	tws_buf = kvmalloc_array(tws_buf_len, sizeof(*tws_buf), GFP_KERNEL);
	tws_carry = kvmalloc_array(tws_buf_len / 2, sizeof(*tws_carry),
				   GFP_KERNEL);
	tws_cls = kvmalloc_array(tws_buf_len, sizeof(*tws_cls), GFP_KERNEL);
	tws_grp = kvmalloc_array(tws_buf_len, sizeof(*tws_grp), GFP_KERNEL);
	tws_next = kvmalloc_array(tws_buf_len, sizeof(*tws_next), GFP_KERNEL);
	tws_heads = kvmalloc_array(tws_buf_len, sizeof(*tws_heads), GFP_KERNEL);
	/* Twice the events, a power of two: see tws_group_apply(). */
	tws_nslots = roundup_pow_of_two(2 * tws_buf_len);
	tws_slot = kvmalloc_array(tws_nslots, sizeof(*tws_slot), GFP_KERNEL);
	if (!tws_buf || !tws_carry || !tws_cls || !tws_grp || !tws_next ||
	    !tws_heads || !tws_slot) {
		tws_events_exit();
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		struct tws_ring *r = kvzalloc_node(sizeof(*r), GFP_KERNEL,
						   cpu_to_node(cpu));

		if (!r) {
			tws_events_exit();
			return -ENOMEM;
		}
		per_cpu(tws_rings, cpu) = r;
		init_irq_work(per_cpu_ptr(&tws_kicks, cpu), tws_kick);
	}
	return 0;
}

void tws_events_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		kvfree(per_cpu(tws_rings, cpu));
		per_cpu(tws_rings, cpu) = NULL;
	}
	if (tws_wq)
		destroy_workqueue(tws_wq);
	tws_wq = NULL;
	kvfree(tws_slot);
	kvfree(tws_heads);
	kvfree(tws_next);
	kvfree(tws_grp);
	kvfree(tws_cls);
	kvfree(tws_carry);
	kvfree(tws_buf);
	tws_slot = NULL;
	tws_heads = NULL;
	tws_next = NULL;
	tws_grp = NULL;
	tws_cls = NULL;
	tws_carry = NULL;
	tws_buf = NULL;
}
