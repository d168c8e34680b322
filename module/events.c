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
 * the kernel's hash, and before every read of /proc.  It
 * applies the events of all CPUs in the order of their local_clock()
 * stamps.  When events were lost (a full ring) or probe hits missed (our
 * kprobes' nmissed moved), or the events themselves showed one missed,
 * it repairs the table from the kernel's own hash before anyone reads
 * it (tws_reconcile()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irq_work.h>
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

struct tws_ring {
	u32 head;			/* its CPU's */
	u64 dropped;			/* its CPU's */
	u32 tail ____cacheline_aligned;	/* the drain's */
	struct tws_ev ev[TWS_RING] ____cacheline_aligned;
};

static DEFINE_PER_CPU(struct tws_ring *, tws_rings);
static DEFINE_PER_CPU(struct irq_work, tws_kicks);
/*
 * One drain's events, sorted; those that wait for the next drain (at
 * most one ring's worth a CPU, as each waits once); room to sort one
 * address's incarnations.
 */
static struct tws_ev *tws_buf, *tws_carry;
static size_t tws_buf_len, tws_ncarry;
static unsigned int *tws_cls;
static struct workqueue_struct *tws_wq;
static struct delayed_work tws_dwork;
static bool tws_running;
static u64 tws_lost_seen;		/* missed + dropped at the last repair */

void tws_push(const struct tws_ev *ev)
{
	struct tws_ring *r = this_cpu_read(tws_rings);
	/* Pairs with the drain's release: its slots are copied out. */
	u32 head = r->head, used = head - smp_load_acquire(&r->tail);
	struct tws_ev *slot;

	if (used >= TWS_RING) {
		r->dropped++;
		return;
	}
	slot = &r->ev[head % TWS_RING];
	*slot = *ev;
	slot->t = local_clock();
	slot->now = jiffies;
	/* Pairs with the drain's acquire: the slot is written. */
	smp_store_release(&r->head, head + 1);
	if (used + 1 == TWS_RING / 4)
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
	       tws_buf_len * (sizeof(*tws_buf) * 3 / 2 + sizeof(*tws_cls));
}

/* Who an event is about: the incarnation, hashed. */
static u32 tws_ev_id(const struct tws_ev *ev)
{
	u32 h = jhash2((const u32 *)&ev->dkey, sizeof(ev->dkey) / sizeof(u32),
		       ev->lport);

	return jhash_2words(h, (u32)ev->netc, (u32)(ev->netc >> 32));
}

/* By address, then incarnation, then stamp. */
static int tws_ev_cmp(const void *a, const void *b)
{
	const struct tws_ev *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t;
}

/*
 * Apply what every CPU has logged so far, and what waited from the last
 * drain, address by address (table.c says in which order).
 */
static void tws_drain(void)
{
	size_t n = tws_ncarry, i, j;
	int cpu;

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
	for (i = 0; i < n; i++)
		tws_buf[i].id = tws_ev_id(&tws_buf[i]);
	sort(tws_buf, n, sizeof(*tws_buf), tws_ev_cmp, NULL);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && tws_buf[j].key == tws_buf[i].key; j++)
			;
		tws_apply_key(&tws_buf[i], j - i, tws_cls);
		cond_resched();
	}
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
 * Bring the table up to date; the caller holds tws_lock().  What waited
 * for its other half is applied by a second drain: its other half, if it
 * was logged before this call, is in the rings by now, and a reader
 * must not see the table a drain behind.
 */
void tws_sync(void)
{
	u64 lost = tws_probes_missed() + tws_events_dropped();

	tws_drain();
	if (tws_ncarry)
		tws_drain();
	if (lost == tws_lost_seen && !tws_dirty())
		return;
	tws_reconcile(false);
	tws_lost_seen = lost;
}

static void tws_work(struct work_struct *work)
{
	tws_lock();
	tws_sync();
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
	if (!tws_buf || !tws_carry || !tws_cls) {
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
	kvfree(tws_cls);
	kvfree(tws_carry);
	kvfree(tws_buf);
	tws_cls = NULL;
	tws_carry = NULL;
	tws_buf = NULL;
}
