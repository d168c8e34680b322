// SPDX-License-Identifier: GPL-2.0
/*
 * The table of live TIME_WAIT minisockets and the per-destination and
 * per-namespace aggregates kept beside it.  Only events.c (draining the
 * probes' rings) and walk.c (reading the kernel's hash) change it, and
 * only in process context: every change and every read holds tws_mutex,
 * which the TCP close path never takes.  Nothing here runs with
 * interrupts or BHs off.
 *
 * Why this shape (measured against the previous one, which updated the
 * table from the probe handlers under three spinlocks with interrupts
 * off): the handlers now cost a copy into a per-CPU ring, and whatever
 * goes wrong on the close path (a probe hit missed because another
 * kprobe ran on that CPU, a full ring) is mended here from the kernel's
 * own established hash, the ground truth (tws_reconcile_*()).  The
 * table keeps only what the kernel does not: when the module first saw
 * each minisocket, its re-arms, its role, and counts by destination so
 * that /proc/tw_stats never walks the sockets.
 *
 * The other shape weighed, counters alone on the close path and every
 * per-socket and per-destination figure derived at read time from the
 * kernel's hash, cannot say how a minisocket ended or how often it was
 * re-armed (only the close path sees that), and would make each read of
 * /proc/tw_stats a walk of every socket.  Measured (make bench on 6.1,
 * BENCHMARKS.md): /proc/tw_stats takes 2 ms at 200,000 sockets from
 * 50,000 peers, where `cat /proc/net/tcp` takes 1.5 s; a loopback
 * connect/accept/close costs about 2.1% more with the drain included
 * (bpftrace's map of the same sockets 1.6%, the five probes' hits alone
 * 0.45%), and about as much as bpftrace's map once as many TIME_WAITs
 * die as are born.
 *
 * Entries are found by the minisocket's address, an opaque key never
 * dereferenced here.  Each hangs on its destination (namespace, local
 * address, remote address and port), oldest stamp first; destinations
 * sit in per-namespace "ranks", one per distinct count and highest first;
 * a count changes by one at a time, so moving a destination to its
 * neighbouring rank is O(1) and the ten busiest are always at the front.
 *
 * Memory: at most max_entries entries in all and netns_max_entries per
 * namespace; the namespaces other than the initial one share what the
 * initial one's own limit leaves, so no tenant can take its tracking.
 * Minisockets beyond a limit are counted as untracked.  Destinations and
 * ranks are at most one each per entry.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/memcontrol.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/tcp.h>
#include <net/transp_v6.h>

#include "compat.h"
#include "tw_stats.h"

/*
 * Counts that reuse eligibility is derived from.  Before 6.14 a
 * minisocket whose peer sent timestamps becomes reusable in the second
 * after its last timestamp; those stamped in the latest second seen are
 * kept apart so that the answer at read time is exact without a walk.
 */
struct tws_agg {
	unsigned int count;		/* minisockets */
	unsigned int role[TWS_ROLE_MAX];
	unsigned int fw2;		/* of which FIN_WAIT2 */
	unsigned int cand[2];		/* reusable but for age, [loopback] */
	unsigned int young[2];		/* of cand, stamped in young_sec */
	int young_sec;
};

/*
 * One per tracked minisocket, so every byte counts: 64 bytes on 64-bit.
 * The chain is singly linked (a lookup walks it anyway), the namespace is
 * the destination's, and times are the low 32 bits of jiffies, plenty
 * for something that lives a minute per re-arm.  The remote port is kept
 * here because a server side's destination does not have it.
 */
struct tws_entry {
	struct tws_entry *next;		/* tws_ehash chain */
	struct list_head dnode;		/* tws_dest.entries, oldest first */
	const void *key;
	struct tws_dest *dest;
	u32 expires;			/* jiffies */
	u32 born;			/* jiffies */
	u32 stamp;			/* see tws_stamp() */
	u16 lport;
	__be16 dport;
	u8 rearms;			/* saturates */
	u8 fw2:1;			/* substate FIN_WAIT2, not TIME_WAIT */
	u8 ts:1;			/* the peer sent timestamps */
	u8 loopback:1;
	u8 role:2;
	u8 gen:1;			/* tws_gen when last seen in the hash */
	u8 walked:1;			/* added by the walk, birth not seen */
	u8 mended:1;			/* a re-arm counted by the walk */
};

struct tws_rank {
	struct list_head node;		/* tws_net.ranks or tws_net.spare */
	struct list_head dests;		/* tws_dest.rnode */
	unsigned int count;
};

struct tws_dest {
	struct hlist_node hnode;	/* tws_dhash chain */
	struct tws_dkey key;
	struct tws_net *tn;
	struct list_head entries;
	struct list_head rnode;
	struct tws_rank *rank;
	struct tws_agg agg;
	unsigned int in_range;		/* entries with lport in range_* */
	int range_lo, range_hi;		/* the port range in_range is for */
};

/* Per network namespace, from its creation to its exit. */
struct tws_net {
	struct hlist_node hnode;	/* tws_nhash, by cookie */
	struct list_head node;		/* tws_nlist */
	struct net *net;		/* alive while we are listed */
	u64 cookie;
	struct list_head ranks;		/* struct tws_rank, highest first */
	struct list_head spare;		/* unused struct tws_rank */
	struct tws_agg agg;
	struct tws_counters c;
	struct tws_lifetimes life;
	unsigned long overflow_base;	/* TCPTimeWaitOverflow at init */
	unsigned int nr_entries, nr_dests;
	u64 v6;				/* live tcpv6_prot ones */
	struct mem_cgroup *memcg;	/* its creator's, charged for it */
	u64 excess;			/* above the kernel's count, last walk */
	struct tws_fails *fails;	/* from its first failure */
};

static DEFINE_MUTEX(tws_mutex);
static struct tws_limits tws_lim;
static struct tws_entry **tws_ehash;
static struct hlist_head *tws_dhash;
static unsigned int tws_hash_bits;
static DEFINE_HASHTABLE(tws_nhash, 8);
static LIST_HEAD(tws_nlist);
static struct tws_net *tws_init_tn;
/*
 * Caches of our own, not kmalloc's, which the whole kernel shares: so
 * that failslab can fail every allocation of the table, and only ours.
 */
static struct kmem_cache *tws_entry_cache, *tws_dest_cache, *tws_rank_cache;
static struct kmem_cache *tws_log_cache;	/* connect() failures */

/*
 * A namespace's connect() failures: the latest, and the count since load
 * of the TWS_FAIL_DESTS destinations that failed most.
 */
#define TWS_FAIL_DESTS	64

struct tws_fail_dest {
	struct tws_dkey key;
	u64 count;
};

struct tws_fails {
	struct tws_fail log[TWS_FAIL_LOG];
	struct tws_fail_dest dest[TWS_FAIL_DESTS];
	unsigned int nlog, next, ndest;
};
static unsigned int tws_nr_entries;
static u8 tws_gen;
static bool tws_loaded;			/* the load-time walk is done */
static bool tws_need_walk;		/* an event showed a missed one */

/*
 * The last entries taken for ghosts, so that a late end is not counted
 * twice (tws_ghost_claim()).
 */
#define TWS_GHOSTS	256
static struct tws_ghost {
	const void *key;
	u64 netc;
	struct tws_dkey dkey;
	u16 lport;
	u8 cause;
} tws_ghosts[TWS_GHOSTS];
static unsigned int tws_nghosts;

/*
 * What the namespaces that died since load left: their counts, their last
 * minisockets as purged.  Only the all-namespace view shows it.
 */
static struct tws_counters tws_gone;
static struct tws_lifetimes tws_gone_life;
static unsigned int tws_gone_nets;

void tws_lock(void)
{
	mutex_lock(&tws_mutex);
}

void tws_unlock(void)
{
	mutex_unlock(&tws_mutex);
}

static unsigned int tws_ehashfn(const void *key)
{
	return hash_ptr(key, tws_hash_bits);
}

static unsigned int tws_dhashfn(const struct tws_net *tn,
				const struct tws_dkey *k)
{
	u32 h = jhash2((const u32 *)k, sizeof(*k) / sizeof(u32),
		       hash_ptr(tn, 32));

	return hash_32(h, tws_hash_bits - 2);
}

/* --- aggregates ------------------------------------------------------- */

static bool tws_candidate(const struct tws_entry *e)
{
	if (TWS_FW2_NEVER_REUSED && e->fw2)
		return false;
	return e->ts;
}

static void tws_agg_add(struct tws_agg *a, const struct tws_entry *e)
{
	a->count++;
	a->role[e->role]++;
	a->fw2 += e->fw2;
	if (!tws_candidate(e))
		return;
	a->cand[e->loopback]++;
	if (TWS_HAVE_REUSE_DELAY)
		return;
	if ((int)e->stamp - a->young_sec > 0) {
		a->young_sec = e->stamp;
		a->young[0] = 0;
		a->young[1] = 0;
	}
	if ((int)e->stamp == a->young_sec)
		a->young[e->loopback]++;
}

static void tws_agg_sub(struct tws_agg *a, const struct tws_entry *e)
{
	a->count--;
	a->role[e->role]--;
	a->fw2 -= e->fw2;
	if (!tws_candidate(e))
		return;
	a->cand[e->loopback]--;
	if (!TWS_HAVE_REUSE_DELAY && (int)e->stamp == a->young_sec)
		a->young[e->loopback]--;
}

/*
 * Candidates of @d too young to be taken over, [loopback].  From 6.14 the
 * young ones are a run at the tail of the destination's list (oldest
 * stamp first): the walk stops at the first old enough.
 */
static void tws_dest_young(const struct tws_dest *d, u32 now, u32 delay,
			   unsigned int young[2])
{
	const struct tws_entry *e;

	list_for_each_entry_reverse(e, &d->entries, dnode) {
		if (time_after32(now, e->stamp + delay))
			break;
		if (tws_candidate(e))
			young[e->loopback]++;
	}
}

/* What tcp_twsk_unique() would grant a connect() now: of @d, or all. */
static unsigned int tws_eligible(const struct tws_net *tn,
				 const struct tws_dest *d)
{
	const struct tws_agg *a = d ? &d->agg : &tn->agg;
	int reuse = tws_sysctl_tw_reuse(tn->net);
	unsigned int young[2] = { 0, 0 }, n = 0;
	int lb;

	if (!reuse)
		return 0;
	if (TWS_HAVE_REUSE_DELAY) {
		u32 now = tws_now_ms(), delay = tws_reuse_delay_ms(tn->net);
		const struct tws_rank *r;
		const struct tws_dest *it;

		if (d) {
			tws_dest_young(d, now, delay, young);
		} else {
			list_for_each_entry(r, &tn->ranks, node)
				list_for_each_entry(it, &r->dests, rnode)
					tws_dest_young(it, now, delay, young);
		}
	} else if (a->young_sec == (int)ktime_get_seconds()) {
		young[0] = a->young[0];
		young[1] = a->young[1];
	}
	for (lb = reuse == 2; lb < 2; lb++)
		n += a->cand[lb] - young[lb];
	return n;
}

static bool tws_entry_eligible(const struct tws_entry *e, int reuse)
{
	if (!tws_candidate(e) || !reuse || (reuse == 2 && !e->loopback))
		return false;
	if (TWS_HAVE_REUSE_DELAY)
		return time_after32(tws_now_ms(), e->stamp +
				    tws_reuse_delay_ms(e->dest->tn->net));
	return time_after32((u32)ktime_get_seconds(), e->stamp);
}

/* --- ranks ------------------------------------------------------------ */

/*
 * Move @d to the rank for count @to, one away from its current count.
 * A spare rank is always at hand: there are as many ranks as destinations,
 * and a destination alone in its rank just relabels it.
 */
static void tws_rank_move(struct tws_net *tn, struct tws_dest *d,
			  unsigned int to)
{
	struct tws_rank *cur = d->rank, *nb = NULL, *r;

	if (!cur) {
		if (!list_empty(&tn->ranks))
			nb = list_last_entry(&tn->ranks, struct tws_rank, node);
	} else if (to > cur->count) {
		if (cur->node.prev != &tn->ranks)
			nb = list_prev_entry(cur, node);
	} else if (cur->node.next != &tn->ranks) {
		nb = list_next_entry(cur, node);
	}

	if (to && nb && nb->count == to) {
		r = nb;
	} else if (to && cur && list_is_singular(&cur->dests)) {
		cur->count = to;
		return;
	} else if (to) {
		r = list_first_entry(&tn->spare, struct tws_rank, node);
		r->count = to;
		if (!cur)
			list_move_tail(&r->node, &tn->ranks);
		else if (to > cur->count)
			list_move_tail(&r->node, &cur->node);
		else
			list_move(&r->node, &cur->node);
	} else {
		r = NULL;
	}

	if (cur)
		list_del(&d->rnode);
	d->rank = r;
	if (r)
		list_add_tail(&d->rnode, &r->dests);
	if (cur && list_empty(&cur->dests))
		list_move(&cur->node, &tn->spare);
}

/* --- destinations ----------------------------------------------------- */

/* Word by word: the kernel's memcmp() goes byte by byte. */
static bool tws_dkey_eq(const struct tws_dkey *a, const struct tws_dkey *b)
{
	const u32 *x = (const u32 *)a, *y = (const u32 *)b;
	unsigned int i;

	for (i = 0; i < sizeof(*a) / sizeof(u32); i++)
		if (x[i] != y[i])
			return false;
	return true;
}

static struct tws_dest *tws_dest_find(struct hlist_head *head,
				      const struct tws_net *tn,
				      const struct tws_dkey *k)
{
	struct tws_dest *d;

	hlist_for_each_entry(d, head, hnode)
		if (d->tn == tn && tws_dkey_eq(&d->key, k))
			return d;
	return NULL;
}

static bool tws_in(const struct tws_dest *d, u16 port)
{
	return port >= d->range_lo && port <= d->range_hi;
}

/* --- entries ---------------------------------------------------------- */

/* Where the link to @key's entry is, NULL if it has none. */
static struct tws_entry **tws_find(const void *key)
{
	struct tws_entry **pp;

	for (pp = &tws_ehash[tws_ehashfn(key)]; *pp; pp = &(*pp)->next)
		if ((*pp)->key == key)
			return pp;
	return NULL;
}

/*
 * What reuse eligibility ages from: before 6.14 the peer's last timestamp
 * (tw_ts_recent_stamp, seconds), since then the entry into TIME_WAIT
 * (tw_entry_stamp, milliseconds).  The event carries the right one.
 */
static void tws_set_fields(struct tws_entry *e, const struct tws_ev *ev)
{
	e->fw2 = !!(ev->flags & TWS_EVF_FW2);
	e->ts = !!(ev->flags & TWS_EVF_TS);
	e->stamp = ev->stamp;
}

/*
 * The table of a namespace made after load is charged to the memory
 * cgroup of the task that made it (a container's), wherever the drain
 * runs: a tenant's tracking is its own memory, limited with the rest of
 * it.  Those that existed at load are nobody's to charge.
 */
static void *tws_alloc(const struct tws_net *tn, struct kmem_cache *c,
		       gfp_t gfp)
{
	struct mem_cgroup *old = NULL;
	void *p;

	gfp |= GFP_KERNEL | __GFP_NOWARN;
	if (tn->memcg) {
		old = tws_set_memcg(tn->memcg);
		gfp |= __GFP_ACCOUNT;
	}
	p = kmem_cache_alloc(c, gfp);
	if (tn->memcg)
		tws_set_memcg(old);
	return p;
}

/* Room for one more entry of @tn: see the limits at the top. */
static bool tws_room(const struct tws_net *tn)
{
	unsigned int others;

	if (tn->nr_entries >= tws_lim.netns_max_entries ||
	    tws_nr_entries >= tws_lim.max_entries)
		return false;
	if (tn == tws_init_tn)
		return true;
	others = tws_nr_entries - (tws_init_tn ? tws_init_tn->nr_entries : 0);
	return others < tws_lim.max_entries - tws_lim.netns_max_entries;
}

/* The destination of @ev in @tn, made if need be; NULL without memory. */
static struct tws_dest *tws_dest_get(struct tws_net *tn,
				     const struct tws_dkey *k)
{
	struct hlist_head *head = &tws_dhash[tws_dhashfn(tn, k)];
	struct tws_dest *d = tws_dest_find(head, tn, k);
	struct tws_rank *r;
	int lo, hi;

	if (d)
		return d;
	d = tws_alloc(tn, tws_dest_cache, __GFP_ZERO);
	r = tws_alloc(tn, tws_rank_cache, __GFP_ZERO);
	if (!d || !r) {
		/* kmem_cache_free() takes no NULL, unlike kfree(). */
		if (r)
			kmem_cache_free(tws_rank_cache, r);
		if (d)
			kmem_cache_free(tws_dest_cache, d);
		return NULL;
	}
	d->key = *k;
	d->tn = tn;
	INIT_LIST_HEAD(&d->entries);
	INIT_LIST_HEAD(&r->dests);
	inet_get_local_port_range(tn->net, &lo, &hi);
	d->range_lo = lo;
	d->range_hi = hi;
	hlist_add_head(&d->hnode, head);
	/* A rank for each destination: tws_rank_move() never allocates. */
	list_add(&r->node, &tn->spare);
	tn->nr_dests++;
	return d;
}

static void tws_link(struct tws_entry *e)
{
	struct tws_dest *d = e->dest;
	struct tws_net *tn = d->tn;

	list_add_tail(&e->dnode, &d->entries);
	tws_agg_add(&d->agg, e);
	tws_agg_add(&tn->agg, e);
	if (tws_in(d, e->lport))
		d->in_range++;
	tws_rank_move(tn, d, d->agg.count);
}

/* Unlink @e from its destination, and free the destination when empty. */
static void tws_unlink(struct tws_entry *e)
{
	struct tws_dest *d = e->dest;
	struct tws_net *tn = d->tn;
	struct tws_rank *r;

	list_del(&e->dnode);
	tws_agg_sub(&d->agg, e);
	tws_agg_sub(&tn->agg, e);
	if (tws_in(d, e->lport))
		d->in_range--;
	tws_rank_move(tn, d, d->agg.count);
	if (d->agg.count)
		return;
	hlist_del(&d->hnode);
	r = list_first_entry(&tn->spare, struct tws_rank, node);
	list_del(&r->node);
	kmem_cache_free(tws_rank_cache, r);
	kmem_cache_free(tws_dest_cache, d);
	tn->nr_dests--;
}

/*
 * Re-read what may change while a minisocket lives: its substate, its
 * stamp, its timer.  The entry moves to its destination's tail when its
 * stamp moves, which keeps that list in stamp order.
 */
static void tws_update(struct tws_entry *e, const struct tws_ev *ev)
{
	struct tws_dest *d = e->dest;
	struct tws_net *tn = d->tn;

	/* Most are as the table has them: a repair walks them all. */
	if (e->expires == ev->expires && e->stamp == ev->stamp &&
	    e->fw2 == !!(ev->flags & TWS_EVF_FW2) &&
	    e->ts == !!(ev->flags & TWS_EVF_TS))
		return;
	tws_agg_sub(&d->agg, e);
	tws_agg_sub(&tn->agg, e);
	if (e->stamp != ev->stamp && TWS_HAVE_REUSE_DELAY)
		list_move_tail(&e->dnode, &d->entries);
	tws_set_fields(e, ev);
	tws_agg_add(&d->agg, e);
	tws_agg_add(&tn->agg, e);
	e->expires = ev->expires;
}

static unsigned int tws_life_bucket(u32 born, u32 now)
{
	return min_t(unsigned int, fls(jiffies_to_msecs(now - born)),
		     TWS_LIFE_BUCKETS - 1);
}

/* Stop tracking @e (at *@pp): it ended at @now for @cause. */
static void tws_remove(struct tws_entry **pp, int cause, u32 now)
{
	struct tws_entry *e = *pp;
	struct tws_net *tn = e->dest->tn;

	*pp = e->next;
	tws_unlink(e);
	tn->life.n[cause][tws_life_bucket(e->born, now)]++;
	tn->c.ended[cause]++;
	tn->nr_entries--;
	tws_nr_entries--;
	kmem_cache_free(tws_entry_cache, e);
}

/*
 * An entry whose end was never seen: its probe hit was missed.  Its
 * timer says how it most likely ended.
 */
static void tws_ghost(struct tws_entry **pp, u32 now)
{
	struct tws_entry *e = *pp;
	struct tws_net *tn = e->dest->tn;
	struct tws_ghost *g = &tws_ghosts[tws_nghosts++ % TWS_GHOSTS];

	g->key = e->key;
	g->netc = tn->cookie;
	g->dkey = e->dest->key;
	g->dkey.dport = e->dport;
	g->lport = e->lport;
	g->cause = !time_before32(now, e->expires) ? TWS_END_TIMER :
						     TWS_END_OTHER;
	tn->c.reconciled++;
	tws_remove(pp, g->cause, now);
}

/*
 * An end whose minisocket was taken for a ghost after all: its event was
 * only late (in a ring not drained when the table was repaired).  The
 * guessed cause gives way to the real one, and it is no correction.
 * @who is the minisocket as its end saw it, or NULL when only the
 * address is known (tws_apply_timer_end()).
 */
static bool tws_ghost_claim(struct tws_net *tn, const void *key,
			    const struct tws_ev *who, int cause)
{
	struct tws_ghost *g;

	for (g = tws_ghosts; g < tws_ghosts + TWS_GHOSTS; g++) {
		if (g->key != key || g->netc != tn->cookie)
			continue;
		if (who && (g->lport != who->lport ||
			    memcmp(&g->dkey, &who->dkey, sizeof(g->dkey))))
			continue;
		g->key = NULL;
		tn->c.ended[g->cause]--;
		tn->c.ended[cause]++;
		tn->c.reconciled--;
		return true;
	}
	return false;
}

/* Does @e stand for the minisocket @ev saw, or for an earlier one? */
static bool tws_same(const struct tws_entry *e, const struct tws_ev *ev)
{
	const struct tws_dkey *k = &e->dest->key;

	return e->dest->tn->cookie == ev->netc && e->lport == ev->lport &&
	       e->dport == ev->dkey.dport && k->family == ev->dkey.family &&
	       ipv6_addr_equal(&k->saddr, &ev->dkey.saddr) &&
	       ipv6_addr_equal(&k->daddr, &ev->dkey.daddr);
}

/*
 * Start tracking, if there is room, a minisocket, and counting it unless
 * it was counted already (@counted: one untracked so far).
 */
static struct tws_entry *tws_new(struct tws_net *tn, const struct tws_ev *ev,
				 u32 born, bool counted)
{
	struct tws_dkey k = ev->dkey;
	struct tws_entry *e = NULL;
	unsigned int b;

	if (!counted) {
		tn->c.entered++;
		tn->v6 += !!(ev->flags & TWS_EVF_V6);
	}
	if (tws_room(tn))
		e = tws_alloc(tn, tws_entry_cache, 0);
	if (!e)
		goto untracked;
	e->key = ev->key;
	e->expires = ev->expires;
	e->born = born;
	e->lport = ev->lport;
	e->dport = ev->dkey.dport;
	e->loopback = !!(ev->flags & TWS_EVF_LOOP);
	e->rearms = 0;
	e->role = ev->role < TWS_ROLE_MAX ? ev->role : tws_role(tn->net, ev);
	e->gen = tws_gen;
	e->walked = 0;
	e->mended = 0;
	tws_set_fields(e, ev);
	/*
	 * A server side's remote port is the peer's ephemeral one: its
	 * minisockets gather under port 0, one destination per peer address.
	 */
	if (e->role == TWS_ROLE_SERVER)
		k.dport = 0;
	e->dest = tws_dest_get(tn, &k);
	if (!e->dest) {
		kmem_cache_free(tws_entry_cache, e);
		goto untracked;
	}
	tws_link(e);
	b = tws_ehashfn(e->key);
	e->next = tws_ehash[b];
	tws_ehash[b] = e;
	tn->nr_entries++;
	tws_nr_entries++;
	return e;

untracked:
	if (!counted)
		tn->c.untracked++;
	return NULL;
}

u64 tws_ended(const struct tws_counters *c)
{
	u64 ended = 0;
	int i;

	for (i = 0; i < TWS_END_MAX; i++)
		ended += c->ended[i];
	return ended;
}

/* Minisockets counted but not in the table; never below 0. */
static u64 tws_untracked_live(const struct tws_net *tn)
{
	u64 ended = tws_ended(&tn->c);

	if (tn->c.entered < ended + tn->nr_entries)
		return 0;
	return tn->c.entered - ended - tn->nr_entries;
}

static void tws_born(struct tws_net *tn, const struct tws_ev *ev)
{
	struct tws_entry **pp = tws_find(ev->key);

	if (pp && (*pp)->walked && tws_same(*pp, ev) &&
	    !time_after32(ev->expires, (*pp)->expires)) {
		/* The walk got there first: now its birth is known. */
		(*pp)->walked = 0;
		(*pp)->born = ev->now;
		tws_update(*pp, ev);
		return;
	}
	if (pp) {
		tws_ghost(pp, ev->now);
		tws_need_walk = true;
	}
	tws_new(tn, ev, ev->now, false);
}

/*
 * A re-arm restarts the timer from now, a round trip at least after the
 * last arm (the peer's FIN again), far more than the few jiffies that may
 * pass between a probe's reading of jiffies and the kernel's mod_timer().
 */
#define TWS_REARM_SLACK	(HZ / 50)

/*
 * The move from FIN_WAIT2 restarts the timer too, but it has a key of its
 * own; `rearmed` and an entry's `rearms` both count only restarts in
 * TIME_WAIT, so that the rows add up to at most the summary.
 */
static void tws_count_rearm(struct tws_net *tn, struct tws_entry *e,
			    bool fw2)
{
	if (fw2)
		return;
	if (e->fw2) {
		tn->c.fw2_to_tw++;
		return;
	}
	tn->c.rearmed++;
	if (e->rearms < U8_MAX)
		e->rearms++;
}

static void tws_rearm(struct tws_net *tn, const struct tws_ev *ev)
{
	struct tws_entry **pp = tws_find(ev->key);
	struct tws_entry *e;

	if (!pp)
		return;
	e = *pp;
	/* The walk saw its timer restarted and counted it already. */
	if (!e->mended ||
	    time_after32((u32)ev->expires, e->expires + TWS_REARM_SLACK))
		tws_count_rearm(tn, e, ev->flags & TWS_EVF_FW2);
	e->mended = 0;
	tws_update(e, ev);
}

/*
 * The walk sees a timer restarted, or the move from FIN_WAIT2 to
 * TIME_WAIT, that no re-arm of ours has applied: its hit was missed, or
 * its event is still in a ring, which the mark keeps from counting it
 * again.  A move may shift the timer by no more than the peer's FIN took
 * (tcp_fin_timeout is TCP_TIMEWAIT_LEN by default), so the substate
 * tells it, not the timer; its re-arm, done or under way, restarts the
 * timer from now at the latest, which is what the entry keeps until the
 * event or the next walk says exactly.
 */
static void tws_mend_rearm(struct tws_net *tn, struct tws_entry *e,
			   struct tws_ev *ev)
{
	bool moved = time_after32((u32)ev->expires,
				  e->expires + TWS_REARM_SLACK);

	/* Nothing re-arms a FIN_WAIT2 one but its move. */
	if (ev->flags & TWS_EVF_FW2)
		return;
	if (e->fw2) {
		if (!moved)
			ev->expires = ev->now + TCP_TIMEWAIT_LEN;
	} else if (!moved) {
		return;
	}
	tws_count_rearm(tn, e, false);
	tn->c.reconciled++;
	e->mended = 1;
}

static void tws_kill(struct tws_net *tn, const struct tws_ev *ev)
{
	struct tws_entry **pp = tws_find(ev->key);

	if (tn->v6 && (ev->flags & TWS_EVF_V6))
		tn->v6--;
	if (pp && tws_same(*pp, ev)) {
		tws_remove(pp, ev->cause, ev->now);
		return;
	}
	if (!tws_untracked_live(tn)) {
		/*
		 * Nothing untracked lives: one never seen born, from before
		 * the load-time walk, or whose birth was missed.
		 */
		tn->c.entered++;
		if (tws_loaded)
			tws_need_walk = true;
	}
	tn->c.ended[ev->cause]++;
}

/*
 * A timer's end that found its CPU's ring full (events.c): only the
 * address is known.  The entry there ended if its timer was due; if it
 * was not, it is a successor at the same address whose birth came
 * first, and the minisocket that ended was taken for a ghost already or
 * never tracked: the repair settles it.
 */
void tws_apply_timer_end(u64 netc, const void *key, u32 now, bool v6)
{
	struct tws_net *tn = tws_net_find(netc);
	struct tws_entry **pp;

	if (!tn)
		return;
	if (tn->v6 && v6)
		tn->v6--;
	pp = tws_find(key);
	if (pp && (*pp)->dest->tn == tn &&
	    !time_before32(now, (*pp)->expires)) {
		tws_remove(pp, TWS_END_TIMER, now);
		return;
	}
	/* A ghost at that address, if any, is the one. */
	if (tws_ghost_claim(tn, key, NULL, TWS_END_TIMER))
		return;
	if (tws_untracked_live(tn)) {
		tn->c.ended[TWS_END_TIMER]++;
		return;
	}
	if (tws_loaded)
		tws_need_walk = true;
}

/*
 * @n births (@v6 of them IPv6) in @netc's namespace whose events were
 * dropped: counted, and untracked until the repair finds those still
 * alive.  Before the load's walk has ended none is counted here: the walk
 * counts the live ones it meets, and the repair that the drop forces
 * (events_dropped moved) those born behind it.
 */
void tws_apply_lost_births(u64 netc, u32 n, u32 v6)
{
	struct tws_net *tn = tws_net_find(netc);

	if (!tn || !tws_loaded)
		return;
	tn->c.entered += n;
	tn->v6 += v6;
	tws_need_walk = true;
}

/* The walk found a minisocket in the kernel's hash. */
static void tws_seen(struct tws_net *tn, const struct tws_ev *ev,
		     bool loading)
{
	struct tws_entry **pp = tws_find(ev->key);
	struct tws_entry *e;
	bool counted;
	u32 born;

	/*
	 * One not in the table whose timer is not pending is being born
	 * (its birth is in a ring, or the next walk sees it armed) or
	 * ending: its timer says nothing to start an entry from.
	 */
	if (!pp && (ev->flags & TWS_EVF_UNARMED))
		return;
	if (pp && tws_same(*pp, ev)) {
		struct tws_ev now = *ev;

		(*pp)->gen = tws_gen;
		/* Being armed or ending: its timer says nothing yet. */
		if (ev->flags & TWS_EVF_UNARMED)
			return;
		tws_mend_rearm(tn, *pp, &now);
		tws_update(*pp, &now);
		return;
	}
	if (pp)
		tws_ghost(pp, ev->now);
	/*
	 * Not in the table: found at load, or missed at birth, or one
	 * counted as untracked at its birth (or whose birth was dropped and
	 * counted, tws_lost_apply()), which it is taken to be while any such
	 * lives; then it is not counted again.
	 */
	if (!loading && !tws_untracked_live(tn))
		tws_lost_apply();
	counted = !loading && tws_untracked_live(tn);
	/* Its timer tells its age, unless a segment re-armed it since. */
	born = ev->expires - TCP_TIMEWAIT_LEN;
	if (time_after32(born, ev->now))
		born = ev->now;
	e = tws_new(tn, ev, born, counted);
	if (e && !counted)
		e->walked = 1;
}

/* What the walk saw: the probes' events go through tws_apply_key(). */
void tws_apply_seen(const struct tws_ev *ev, bool loading)
{
	struct tws_entry **pp;
	struct tws_net *tn;

	/*
	 * One the walk could not hold: it may be freed, its namespace's
	 * storage too, so only its address was kept; an entry there stays.
	 */
	if (ev->flags & TWS_EVF_KEYONLY) {
		pp = tws_find(ev->key);
		if (pp)
			(*pp)->gen = tws_gen;
		return;
	}
	tn = tws_net_find(ev->netc);
	if (tn)
		tws_seen(tn, ev, loading);
}

/* --- one minisocket address's events ------------------------------------ */

/*
 * The events of one drain come from every CPU, stamped by local_clock(),
 * which is only roughly in step across CPUs (a tick apart where the TSC
 * is not trusted, as under emulation).  So the order between CPUs is not
 * taken from the stamps alone: each address's events are split into
 * incarnations (one namespace, address pair and ports each: slabs hand
 * a freed minisocket's memory to the next one at once), and each
 * incarnation's events are applied in the only order that can be true:
 * born, re-armed, killed, born again...  A re-arm goes with the latest
 * birth before it.  What cannot be placed yet, because the other half
 * is in a ring not drained yet, waits for the next drain, once.
 */

static unsigned int tws_next_of(struct tws_ev *const *c, unsigned int n,
				unsigned int i, u8 type)
{
	while (i < n && c[i]->type != type)
		i++;
	return i;
}

/* Where the incarnation run starting at @i ends. */
static unsigned int tws_run_end(struct tws_ev *const *g, unsigned int m,
				unsigned int i)
{
	unsigned int j = i + 1;

	while (j < m && g[j]->id == g[i]->id && tws_ev_same(g[j], g[i]))
		j++;
	return j;
}

static bool tws_may_wait(struct tws_ev *const *c, unsigned int n)
{
	unsigned int i;

	if (!tws_loaded)
		return false;
	for (i = 0; i < n; i++)
		if (c[i]->flags & TWS_EVF_CARRIED)
			return false;
	return true;
}

/* One incarnation's events @c, in stamp order. */
static void tws_apply_class(struct tws_ev **c, unsigned int n)
{
	struct tws_entry **pp = tws_find(c[0]->key);
	struct tws_net *tn = tws_net_find(c[0]->netc);
	unsigned int b, k, r = 0, i;
	bool alive = pp && tws_same(*pp, c[0]), own;

	if (!tn)
		return;
	b = tws_next_of(c, n, 0, TWS_EV_BORN);
	k = tws_next_of(c, n, 0, TWS_EV_KILL);
	/*
	 * The walk found it before its birth was drained: that birth is
	 * the first, unless it is of the next one at the same address and
	 * ports (a SYN reopened it), whose timer runs out later than any
	 * timer the walk can have seen.
	 */
	own = alive && (*pp)->walked && b < n &&
	      !time_after32(c[b]->expires, (*pp)->expires);
	/*
	 * Another one still lives at this address, or this one and a birth
	 * comes again: an end is to come, from a ring not drained yet.
	 */
	if (pp && b < n && !own && (!alive || k == n) &&
	    tws_may_wait(c, n)) {
		for (i = 0; i < n; i++)
			c[i]->flags |= TWS_EVF_WAIT;
		return;
	}
	if (own) {
		tws_born(tn, c[b]);
		b = tws_next_of(c, n, b + 1, TWS_EV_BORN);
	}
	for (;;) {
		if (alive) {
			u64 until = b < n ? c[b]->t : U64_MAX;

			for (; r < n; r++)
				if (c[r]->type == TWS_EV_REARM && c[r]->t < until)
					tws_rearm(tn, c[r]);
				else if (c[r]->type == TWS_EV_REARM)
					break;
			if (k < n) {
				tws_kill(tn, c[k]);
				k = tws_next_of(c, n, k + 1, TWS_EV_KILL);
				alive = false;
			} else if (b < n) {
				/* Its end was missed: tws_born() says so. */
				tws_born(tn, c[b]);
				b = tws_next_of(c, n, b + 1, TWS_EV_BORN);
			} else {
				break;
			}
		} else if (b < n) {
			tws_born(tn, c[b]);
			b = tws_next_of(c, n, b + 1, TWS_EV_BORN);
			alive = true;
		} else if (k < n) {
			/*
			 * An end with no birth: of a ghost after all, or
			 * with its birth in a ring not drained yet.
			 */
			if (!tws_ghost_claim(tn, c[k]->key, c[k], c[k]->cause)) {
				if (!tws_untracked_live(tn) &&
				    tws_may_wait(&c[k], 1))
					c[k]->flags |= TWS_EVF_WAIT;
				else
					tws_kill(tn, c[k]);
			}
			k = tws_next_of(c, n, k + 1, TWS_EV_KILL);
		} else {
			break;
		}
	}
	/*
	 * Re-arms left over: with no birth before them, their birth may be
	 * in a ring not drained yet, and the entry would keep FIN_WAIT2.
	 */
	for (; r < n; r++) {
		if (c[r]->type != TWS_EV_REARM)
			continue;
		pp = tws_find(c[r]->key);
		if ((!pp || !tws_same(*pp, c[r])) && tws_may_wait(&c[r], 1))
			c[r]->flags |= TWS_EVF_WAIT;
		else
			tws_rearm(tn, c[r]);
	}
}

struct tws_cls_ctx {
	struct tws_ev *const *g;
	const struct tws_entry *live;	/* the address's entry, or NULL */
};

/* The live entry's incarnation first, then by first stamp. */
static int tws_cls_cmp(const void *a, const void *b, const void *priv)
{
	const struct tws_cls_ctx *x = priv;
	const struct tws_ev *ea = x->g[*(const unsigned int *)a];
	const struct tws_ev *eb = x->g[*(const unsigned int *)b];
	bool la = x->live && tws_same(x->live, ea);
	bool lb = x->live && tws_same(x->live, eb);

	if (la != lb)
		return la ? -1 : 1;
	return ea->t < eb->t ? -1 : ea->t > eb->t;
}

/*
 * The events @g of one minisocket address, ordered by incarnation (equal
 * ->id) then stamp; @cls is room for @m indices.
 */
void tws_apply_key(struct tws_ev **g, unsigned int m, unsigned int *cls)
{
	struct tws_entry **pp = tws_find(g[0]->key);
	struct tws_cls_ctx ctx = { .g = g, .live = pp ? *pp : NULL };
	unsigned int ncls = 0, i, end;

	for (i = 0; i < m; i++)
		if (!i || g[i]->id != g[i - 1]->id ||
		    !tws_ev_same(g[i], g[i - 1]))
			cls[ncls++] = i;
	if (ncls == 1) {
		tws_apply_class(g, m);
		return;
	}
	sort_r(cls, ncls, sizeof(*cls), tws_cls_cmp, NULL, &ctx);
	for (i = 0; i < ncls; i++) {
		end = tws_run_end(g, m, cls[i]);
		tws_apply_class(&g[cls[i]], end - cls[i]);
	}
}

/* --- repair ----------------------------------------------------------- */

bool tws_dirty(void)
{
	return tws_need_walk;
}

/* From now on, an entry the walk sees is marked with the new generation. */
void tws_reconcile_begin(void)
{
	tws_gen ^= 1;
}

/*
 * The kernel's own count of a namespace's minisockets, both families and
 * substates: what /proc/net/sockstat prints as tw.
 */
static u64 tws_kernel_count(const struct tws_net *tn)
{
	return tws_kernel_tw_count(tn->net);
}

/*
 * After a walk and a drain of what happened during it: an entry the walk
 * did not see, and whose end no event reported, is a ghost; an entry the
 * walk added and no birth event claimed was missed at birth.  A count
 * above the kernel's is ends of untracked ones that were missed.  The
 * kernel's count mostly runs ahead of ours (a birth or an end whose event
 * is not drained yet), but from 6.11 a birth is logged just before the
 * kernel counts it: an excess is only taken off once two walks in a row
 * have seen it, and it makes the next sync walk again.
 */
void tws_reconcile_end(bool loading)
{
	struct tws_entry **pp;
	struct tws_net *tn;
	bool again = false;
	u32 now = jiffies;
	unsigned int b;
	u64 live, kernel, excess, fix;

	for (b = 0; b < tws_buckets(); b++) {
		pp = &tws_ehash[b];
		while (*pp) {
			struct tws_entry *e = *pp;

			if (e->gen != tws_gen) {
				tws_ghost(pp, now);
				continue;
			}
			if (e->walked && !loading)
				e->dest->tn->c.reconciled++;
			e->walked = 0;
			pp = &e->next;
		}
		if (!(b & 1023))
			cond_resched();
	}
	list_for_each_entry(tn, &tws_nlist, node) {
		live = tws_untracked_live(tn) + tn->nr_entries;
		kernel = tws_kernel_count(tn);
		excess = live > kernel ? live - kernel : 0;
		fix = min(excess, tn->excess);
		tn->c.ended[TWS_END_OTHER] += fix;
		tn->c.reconciled += fix;
		tn->excess = excess - fix;
		again |= tn->excess != 0;
		tn->v6 = min(tn->v6, kernel);
	}
	tws_need_walk = again;
	tws_loaded = true;
}

/* --- readers ---------------------------------------------------------- */

unsigned int tws_buckets(void)
{
	return 1U << tws_hash_bits;
}

/* Whether namespace @only (NULL: any) holds an IPv6 minisocket now. */
bool tws_any_v6(const struct net *only)
{
	const struct tws_net *tn;

	list_for_each_entry(tn, &tws_nlist, node)
		if ((!only || tn->net == only) && tn->v6)
			return true;
	return false;
}

/*
 * Copy up to @max rows of bucket @b, after skipping @skip, of namespace
 * @only (NULL: all).  Returns how many were copied.
 */
unsigned int tws_rows(unsigned int b, unsigned int skip,
		      const struct net *only, struct tws_row *rows,
		      unsigned int max)
{
	const struct tws_entry *e;
	unsigned long now = jiffies;
	unsigned int n = 0;

	for (e = tws_ehash[b]; e; e = e->next) {
		const struct net *net = e->dest->tn->net;

		if (only && net != only)
			continue;
		if (skip) {
			skip--;
			continue;
		}
		if (n == max)
			break;
		rows[n].dkey = e->dest->key;
		rows[n].dkey.dport = e->dport;
		rows[n].netns = net->ns.inum;
		rows[n].expires = now + (s32)(e->expires - (u32)now);
		rows[n].born = now - (u32)((u32)now - e->born);
		rows[n].lport = e->lport;
		rows[n].substate = e->fw2 ? TCP_FIN_WAIT2 : TCP_TIME_WAIT;
		rows[n].rearms = e->rearms;
		rows[n].role = e->role;
		rows[n].eligible = tws_entry_eligible(e,
					tws_sysctl_tw_reuse(net));
		n++;
	}
	return n;
}

static unsigned int tws_count_in_range(struct tws_dest *d, int lo, int hi)
{
	const struct tws_entry *e;

	if (d->range_lo != lo || d->range_hi != hi) {
		/* The range was changed: count again, once. */
		d->range_lo = lo;
		d->range_hi = hi;
		d->in_range = 0;
		list_for_each_entry(e, &d->entries, dnode)
			d->in_range += tws_in(d, e->lport);
	}
	return d->in_range;
}

static void tws_add_counters(struct tws_counters *to,
			     const struct tws_counters *c)
{
	int i;

	to->entered += c->entered;
	for (i = 0; i < TWS_END_MAX; i++)
		to->ended[i] += c->ended[i];
	to->untracked += c->untracked;
	to->rearmed += c->rearmed;
	to->fw2_to_tw += c->fw2_to_tw;
	to->overflow += c->overflow;
	to->reconciled += c->reconciled;
	to->connect_failed += c->connect_failed;
}

static void tws_add_life(struct tws_lifetimes *to,
			 const struct tws_lifetimes *l)
{
	int i, b;

	for (i = 0; i < TWS_END_MAX; i++)
		for (b = 0; b < TWS_LIFE_BUCKETS; b++)
			to->n[i][b] += l->n[i][b];
}

/*
 * TcpExtTCPTimeWaitOverflow: tcp_time_wait() got no minisocket.  Summed
 * here as snmp_fold_field() does, which later kernels no longer export.
 */
static unsigned long tws_mib_overflow(struct net *net)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(net->mib.net_statistics, cpu)
				 ->mibs[LINUX_MIB_TCPTIMEWAITOVERFLOW]);
	return sum;
}

/* The memory of @tn's entries, destinations and ranks, and of @tn. */
static u64 tws_net_memory(const struct tws_net *tn)
{
	return (u64)tn->nr_entries * kmem_cache_size(tws_entry_cache) +
	       (u64)tn->nr_dests * (kmem_cache_size(tws_dest_cache) +
				    kmem_cache_size(tws_rank_cache)) +
	       ksize(tn) +
	       (tn->fails ? kmem_cache_size(tws_log_cache) : 0);
}

/* Ours in all: every namespace's, the hash tables, the event rings. */
u64 tws_table_memory(void)
{
	const struct tws_net *tn;
	u64 sum = (sizeof(*tws_ehash) + sizeof(*tws_dhash) / 4) *
		  tws_buckets() + tws_events_memory() + tws_fails_memory();

	list_for_each_entry(tn, &tws_nlist, node)
		sum += tws_net_memory(tn);
	return sum;
}

/* The failures to @k since load (since it was among the most). */
static u64 tws_fails_to(const struct tws_net *tn, const struct tws_dkey *k)
{
	const struct tws_fail_dest *d;

	if (!tn->fails)
		return 0;
	for (d = tn->fails->dest; d < tn->fails->dest + tn->fails->ndest; d++)
		if (tws_dkey_eq(&d->key, k))
			return d->count;
	return 0;
}

/* Most ports held first, then most minisockets. */
static int tws_top_cmp(const void *a, const void *b)
{
	const struct tws_top *x = a, *y = b;

	if (x->held != y->held)
		return x->held > y->held ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return 0;
}

/* A candidate line for the destination table, unless it is one already. */
static void tws_top_add(struct tws_net *tn, const struct tws_held *h,
			struct tws_summary *out, const struct tws_dkey *k,
			int last)
{
	struct tws_dest *d;
	struct tws_top *t;
	unsigned int i;

	for (i = 0; i < out->ntop; i++)
		if (tws_dkey_eq(&out->top[i].dkey, k))
			return;
	if (out->ntop == ARRAY_SIZE(out->top))
		return;
	t = &out->top[out->ntop++];
	memset(t, 0, sizeof(*t));
	t->dkey = *k;
	t->held = tws_held_of(h, tn->cookie, k);
	t->failed = tws_fails_to(tn, k);
	d = tws_dest_find(&tws_dhash[tws_dhashfn(tn, k)], tn, k);
	if (!d)
		return;
	t->count = d->agg.count;
	t->eligible = tws_eligible(tn, d);
	t->in_range = tws_count_in_range(d, out->port_low, last);
}

static void tws_summarize_tn(struct tws_net *tn, const struct tws_held *h,
			     struct tws_summary *out)
{
	struct net *net = tn->net;
	u64 size4 = kmem_cache_size(tcp_prot.twsk_prot->twsk_slab);
	const struct tws_held_dest *held[TWS_TOP];
	const struct tws_rank *r;
	unsigned int i, n;
	struct tws_dest *d;
	int port, last;

	memset(out, 0, sizeof(*out));
	out->netns = net->ns.inum;
	out->sum = tn->c;
	out->sum.overflow = tws_mib_overflow(net) - tn->overflow_base;
	out->life = tn->life;
	out->live = tn->c.entered - tws_ended(&tn->c);
	out->tw_memory = out->live * size4;
#if IS_ENABLED(CONFIG_IPV6)
	out->tw_memory += tn->v6 *
		(kmem_cache_size(tcpv6_prot.twsk_prot->twsk_slab) - size4);
#endif
	out->table_memory = tws_net_memory(tn);
	out->probe_missed = tws_probes_missed();
	out->events_dropped = tws_events_dropped();
	out->fails_dropped = tws_fails_dropped();
	inet_get_local_port_range(net, &out->port_low, &out->port_high);
	/*
	 * connect() searches an even number of ports (__inet_hash_connect()
	 * rounds the count down): an odd-sized range never hands out its
	 * last port.
	 */
	tws_port_span(net, &out->port_low, &last);
	for (port = out->port_low; port <= last; port++)
		out->ports_reserved += inet_is_local_reserved_port(net, port);
	out->ports_bound = tws_bound_in(h, net, out->port_low, last);
	out->ports_usable = last - out->port_low + 1 - out->ports_reserved -
			    out->ports_bound;
	out->held_left_out = h->left_out;
	out->reuse = tws_sysctl_tw_reuse(net);
	out->timestamps = tws_sysctl_timestamps(net);
	out->max_tw_buckets = tws_max_tw_buckets(net);
	out->reuse_delay_ms = tws_reuse_delay_ms(net);

	memcpy(out->role, tn->agg.role, sizeof(out->role));
	out->fw2 = tn->agg.fw2;
	out->eligible = tws_eligible(tn, NULL);

	/*
	 * The destinations holding the most ports, and those with the most
	 * minisockets: every one of the first is ranked above any that holds
	 * fewer, whatever its minisockets.
	 */
	n = tws_held_top(h, tn->cookie, held, ARRAY_SIZE(held));
	out->held_max = n ? held[0]->held : 0;
	for (i = 0; i < n; i++)
		tws_top_add(tn, h, out, &held[i]->key, last);
	i = 0;
	list_for_each_entry(r, &tn->ranks, node) {
		list_for_each_entry(d, &r->dests, rnode) {
			if (i++ == ARRAY_SIZE(held))
				goto ranked;
			tws_top_add(tn, h, out, &d->key, last);
		}
	}
ranked:
	sort(out->top, out->ntop, sizeof(out->top[0]), tws_top_cmp, NULL);
	out->ntop = min_t(unsigned int, out->ntop, TWS_TOP);
}

/*
 * @net's namespace, or with @net NULL the namespace after *@cursor (the
 * first when it is NULL), which it then names.  NULL when there is none.
 */
static struct tws_net *tws_net_step(const struct net *net,
				    struct tws_net **cursor)
{
	struct tws_net *tn;

	if (net)
		return tws_net_find(tws_netc(net));
	tn = *cursor ? list_next_entry(*cursor, node) :
		       list_first_entry(&tws_nlist, struct tws_net, node);
	if (list_entry_is_head(tn, &tws_nlist, node))
		tn = NULL;
	*cursor = tn;
	return tn;
}

/* The summary of a namespace (tws_net_step()); false when there is none. */
bool tws_summarize(const struct net *net, struct tws_net **cursor,
		   const struct tws_held *h, struct tws_summary *out)
{
	struct tws_net *tn = tws_net_step(net, cursor);

	if (!tn)
		return false;
	tws_summarize_tn(tn, h, out);
	return true;
}

/* --- connect() failures ------------------------------------------------ */

/* A destination's count: a new one takes the place of the fewest. */
static void tws_fail_count(struct tws_fails *fs, const struct tws_dkey *k)
{
	struct tws_fail_dest *least = NULL, *d;

	for (d = fs->dest; d < fs->dest + fs->ndest; d++) {
		if (tws_dkey_eq(&d->key, k)) {
			d->count++;
			return;
		}
		if (!least || d->count < least->count)
			least = d;
	}
	d = fs->ndest < TWS_FAIL_DESTS ? &fs->dest[fs->ndest++] : least;
	d->key = *k;
	d->count = 1;
}

/*
 * A failure the drain hands over, with its pid: counted in its
 * namespace and for its destination, and kept in its log, where one more
 * of the same caller to the same address as the latest adds to that line
 * instead.  The log is made at the first failure, charged like the rest
 * of the namespace's.
 */
void tws_apply_fail(struct tws_fail *f)
{
	struct tws_net *tn = tws_net_find(f->netc);
	struct tws_fail *last;
	struct tws_fails *fs;

	if (!tn)
		goto drop;
	tn->c.connect_failed++;
	if (!tn->fails)
		tn->fails = tws_alloc(tn, tws_log_cache, __GFP_ZERO);
	fs = tn->fails;
	if (!fs)
		goto drop;
	tws_fail_count(fs, &f->dkey);
	last = fs->nlog ? &fs->log[(fs->next + TWS_FAIL_LOG - 1) %
				  TWS_FAIL_LOG] : NULL;
	if (last && last->pid == f->pid &&
	    tws_dkey_eq(&last->dkey, &f->dkey)) {
		last->count++;
		last->time = f->time;
		goto drop;
	}
	last = &fs->log[fs->next];
	if (fs->nlog == TWS_FAIL_LOG)
		put_pid(last->pid);
	else
		fs->nlog++;
	*last = *f;
	fs->next = (fs->next + 1) % TWS_FAIL_LOG;
	return;
drop:
	put_pid(f->pid);
}

static void tws_fails_free(struct tws_net *tn)
{
	unsigned int i;

	if (!tn->fails)
		return;
	for (i = 0; i < tn->fails->nlog; i++)
		put_pid(tn->fails->log[i].pid);
	kmem_cache_free(tws_log_cache, tn->fails);
	tn->fails = NULL;
}

/*
 * The failures a namespace kept (tws_net_step()), oldest first, their
 * pids as @pidns sees them (0: not at all).  False when there is none.
 */
bool tws_fail_log(const struct net *net, struct tws_net **cursor,
		  struct pid_namespace *pidns, struct tws_fail_view *out)
{
	struct tws_net *tn = tws_net_step(net, cursor);
	unsigned int i;

	if (!tn)
		return false;
	out->netns = tn->net->ns.inum;
	out->n = tn->fails ? tn->fails->nlog : 0;
	for (i = 0; i < out->n; i++) {
		const struct tws_fail *f = &tn->fails->log[(tn->fails->next +
			TWS_FAIL_LOG - out->n + i) % TWS_FAIL_LOG];
		struct tws_fail_row *row = &out->rows[i];

		row->dkey = f->dkey;
		row->time = f->time;
		row->count = f->count;
		row->pid = pid_nr_ns(f->pid, pidns);
		memcpy(row->comm, f->comm, sizeof(row->comm));
	}
	return true;
}

/* What dead namespaces left; returns how many there were. */
unsigned int tws_departed(struct tws_counters *sum,
			  struct tws_lifetimes *life)
{
	*sum = tws_gone;
	*life = tws_gone_life;
	return tws_gone_nets;
}

/* --- namespaces ------------------------------------------------------- */

struct tws_net *tws_net_find(u64 cookie)
{
	struct tws_net *tn;

	hash_for_each_possible(tws_nhash, tn, hnode, cookie)
		if (tn->cookie == cookie)
			return tn;
	return NULL;
}

int tws_net_add(struct net *net)
{
	struct tws_net *tn = kzalloc(sizeof(*tn), GFP_KERNEL_ACCOUNT);

	if (!tn)
		return -ENOMEM;
	tn->net = net;
	tn->cookie = tws_netc(net);
	INIT_LIST_HEAD(&tn->ranks);
	INIT_LIST_HEAD(&tn->spare);
	tn->overflow_base = tws_mib_overflow(net);
	/* Made now, by current: see tws_alloc(). */
	if (tws_loaded && current->mm)
		tn->memcg = get_mem_cgroup_from_mm(current->mm);
	hash_add(tws_nhash, &tn->hnode, tn->cookie);
	list_add_tail(&tn->node, &tws_nlist);
	if (net_eq(net, &init_net))
		tws_init_tn = tn;
	return 0;
}

/*
 * @net is exiting.  TCP purges its minisockets only after this runs
 * (tcp_sk_exit_batch()), and nobody can read a dead namespace: its
 * entries are dropped here, its live minisockets counted as purged, and
 * its numbers go to the departed totals.  Events about it that come
 * later find no namespace and are dropped.  Bounded: one pass over its
 * own destinations.
 */
void tws_net_del(struct net *net)
{
	struct tws_net *tn = tws_net_find(tws_netc(net));
	struct tws_counters sum;
	struct tws_rank *r, *tmp;
	unsigned int n = 0;

	if (!tn)
		return;
	while ((r = list_first_entry_or_null(&tn->ranks, struct tws_rank,
					     node))) {
		struct tws_dest *d = list_first_entry(&r->dests,
						      struct tws_dest, rnode);
		struct tws_entry *e = list_first_entry(&d->entries,
						       struct tws_entry, dnode);

		tws_remove(tws_find(e->key), TWS_END_PURGE, jiffies);
		if (!(++n & 1023))
			cond_resched();
	}
	list_for_each_entry_safe(r, tmp, &tn->spare, node)
		kmem_cache_free(tws_rank_cache, r);

	sum = tn->c;
	sum.overflow = tws_mib_overflow(net) - tn->overflow_base;
	sum.ended[TWS_END_PURGE] += tws_untracked_live(tn);
	tws_add_counters(&tws_gone, &sum);
	tws_add_life(&tws_gone_life, &tn->life);
	tws_gone_nets++;

	hash_del(&tn->hnode);
	list_del(&tn->node);
	if (tws_init_tn == tn)
		tws_init_tn = NULL;
	tws_fails_free(tn);
	mem_cgroup_put(tn->memcg);
	kfree(tn);
}

/* --- set-up ----------------------------------------------------------- */

int tws_table_init(const struct tws_limits *lim)
{
	size_t n;

	BUILD_BUG_ON(sizeof(struct tws_dkey) % sizeof(u32));
	BUILD_BUG_ON(sizeof(struct tws_entry) > 8 * sizeof(void *));

	tws_lim = *lim;
	/*
	 * Four entries a chain when full: walking a short chain costs less
	 * than the bytes a socket another doubling would add.  Destinations
	 * are fewer (a server side's gather per peer address): a quarter of
	 * that.
	 */
	tws_hash_bits = clamp(ilog2(lim->max_entries | 1) - 2, 8, 22);
	n = (size_t)1 << tws_hash_bits;
	tws_ehash = kvcalloc(n, sizeof(*tws_ehash), GFP_KERNEL);
	tws_dhash = kvcalloc(n / 4, sizeof(*tws_dhash), GFP_KERNEL);
	tws_entry_cache = KMEM_CACHE(tws_entry, 0);
	tws_dest_cache = KMEM_CACHE(tws_dest, 0);
	tws_rank_cache = KMEM_CACHE(tws_rank, 0);
	tws_log_cache = kmem_cache_create("tws_fail_log",
					  sizeof(struct tws_fails), 0, 0, NULL);
	if (!tws_ehash || !tws_dhash || !tws_entry_cache || !tws_dest_cache ||
	    !tws_rank_cache || !tws_log_cache) {
		tws_table_exit();
		return -ENOMEM;
	}
	return 0;
}

/* After every namespace has been deleted from the table. */
void tws_table_exit(void)
{
	kmem_cache_destroy(tws_log_cache);
	kmem_cache_destroy(tws_rank_cache);
	kmem_cache_destroy(tws_dest_cache);
	kmem_cache_destroy(tws_entry_cache);
	kvfree(tws_dhash);
	kvfree(tws_ehash);
	tws_log_cache = NULL;
	tws_rank_cache = NULL;
	tws_dest_cache = NULL;
	tws_entry_cache = NULL;
	tws_ehash = NULL;
	tws_dhash = NULL;
}
