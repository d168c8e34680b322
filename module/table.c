// SPDX-License-Identifier: GPL-2.0
/*
 * The table of live TIME_WAIT minisockets and the per-destination
 * aggregates kept beside it.  This file holds every lock of tw_stats.
 *
 * Entries are found by the minisocket's identity (its address, used as an
 * opaque key and never printed): inet_twsk_kill() hands us nothing else,
 * and it cannot be confused while the minisocket lives, which is exactly
 * as long as the entry does.  Each entry also hangs on its destination
 * (namespace, local address, remote address and port), whose counts are
 * updated as entries come and go, so that /proc/tw_stats never walks the
 * sockets.  Destinations sit in per-namespace "ranks", one per distinct
 * count and highest first; a count changes by one at a time, so moving a
 * destination to its neighbouring rank is O(1) and the ten busiest are
 * always at the front.
 *
 * Locks, always taken in this order, all with interrupts off because a
 * kprobe handler may run in any context:
 *   tws_elocks[]   entry hash chains and entry fields
 *   tws_dlocks[]   destination hash chains
 *   tws_net.lock   a namespace's destinations, ranks and aggregates
 *
 * Memory: at most max_entries entries; destinations and ranks are at most
 * one each per entry.  Minisockets beyond that are counted as untracked.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <net/transp_v6.h>

#include "compat.h"
#include "tw_stats.h"

#define TWS_NLOCKS	1024

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
};

struct tws_rank {
	struct list_head node;		/* tws_net.ranks or tws_net.spare */
	struct list_head dests;		/* tws_dest.rnode */
	unsigned int count;
};

struct tws_dest {
	struct hlist_node hnode;	/* tws_dhash chain */
	struct tws_dkey key;
	struct net *net;
	struct list_head entries;
	struct list_head rnode;
	struct tws_rank *rank;
	struct tws_agg agg;
	unsigned int in_range;		/* entries with lport in range_* */
	int range_lo, range_hi;		/* the port range in_range is for */
};

static struct tws_entry **tws_ehash;
static struct hlist_head *tws_dhash;
static unsigned int tws_hash_bits;
static spinlock_t tws_elocks[TWS_NLOCKS], tws_dlocks[TWS_NLOCKS];
/*
 * Caches of our own, not kmalloc's, which the whole kernel shares: so
 * that failslab can fail every allocation of the close path, and only
 * ours.
 */
static struct kmem_cache *tws_entry_cache, *tws_dest_cache, *tws_rank_cache;
static atomic_t tws_nr_entries = ATOMIC_INIT(0);
static atomic_t tws_nr_dests = ATOMIC_INIT(0);
static atomic_t tws_nr_nets = ATOMIC_INIT(0);

/*
 * What the namespaces that died since load left: their counts, their last
 * minisockets as purged.  Only the all-namespace view shows it.
 */
static DEFINE_SPINLOCK(tws_departed_lock);
static struct tws_counters tws_gone;
static struct tws_lifetimes tws_gone_life;
static unsigned int tws_gone_nets;

/*
 * Ends seen during the load-time walk with no entry to end.  If the walk
 * then adds that minisocket (a ghost, see walk.c), this says why it ended.
 */
#define TWS_PENDING	1024
static DEFINE_SPINLOCK(tws_pending_lock);
static struct {
	const void *key;
	enum tws_cause cause;
} tws_pending[TWS_PENDING];
static unsigned int tws_npending;

static unsigned int tws_ehashfn(const void *key)
{
	return hash_ptr(key, tws_hash_bits);
}

static spinlock_t *tws_elock(unsigned int b)
{
	return &tws_elocks[b & (TWS_NLOCKS - 1)];
}

static unsigned int tws_dhashfn(const struct net *net,
				const struct tws_dkey *k)
{
	u32 h = jhash2((const u32 *)k, sizeof(*k) / sizeof(u32),
		       hash_ptr(net, 32));

	return hash_32(h, tws_hash_bits - 2);
}

static bool tws_is_v6(const struct inet_timewait_sock *tw)
{
	return tw->tw_prot != &tcp_prot;
}

static bool tws_is_tcp(const struct inet_timewait_sock *tw)
{
	if (tw->tw_prot == &tcp_prot)
		return true;
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_prot == &tcpv6_prot)
		return true;
#endif
	return false;
}

/* tcp_twsk_unique()'s notion of loopback, for tcp_tw_reuse=2. */
static bool tws_tw_loopback(const struct inet_timewait_sock *tw)
{
	if (tw->tw_bound_dev_if == LOOPBACK_IFINDEX)
		return true;
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6)
		return ipv6_addr_loopback(&tw->tw_v6_daddr) ||
		       ipv6_addr_v4mapped_loopback(&tw->tw_v6_daddr) ||
		       ipv6_addr_loopback(&tw->tw_v6_rcv_saddr) ||
		       ipv6_addr_v4mapped_loopback(&tw->tw_v6_rcv_saddr);
#endif
	return ipv4_is_loopback(tw->tw_daddr) ||
	       ipv4_is_loopback(tw->tw_rcv_saddr);
}

void tws_snap_tw(struct tws_snap *s, const struct inet_timewait_sock *tw)
{
	memset(s, 0, sizeof(*s));
	s->net = twsk_net(tw);
	s->key = tw;
	s->dkey.family = tw->tw_family;
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6) {
		s->dkey.saddr = tw->tw_v6_rcv_saddr;
		s->dkey.daddr = tw->tw_v6_daddr;
	} else
#endif
	{
		ipv6_addr_set_v4mapped(tw->tw_rcv_saddr, &s->dkey.saddr);
		ipv6_addr_set_v4mapped(tw->tw_daddr, &s->dkey.daddr);
	}
	s->dkey.dport = tw->tw_dport;
	s->lport = tw->tw_num;
	s->substate = READ_ONCE(tw->tw_substate);
	s->ts_stamp = READ_ONCE(tcp_twsk((const struct sock *)tw)->tw_ts_recent_stamp);
	s->entry_ms = tws_tw_entry_ms(tw);
	s->loopback = tws_tw_loopback(tw);
	s->v6 = tws_is_v6(tw);
	s->born = jiffies;
}

/*
 * The issue of roles is only which side can ever reuse its port: a
 * listener on the local port makes it the accepting side.  Called where
 * the minisocket is born or found, under no lock but the caller's.
 */
u8 tws_role(const struct inet_timewait_sock *tw)
{
	struct net *net = twsk_net(tw);
	u16 lport = tw->tw_num;
	bool listener;
	int lo, hi;

	rcu_read_lock();
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&tw->tw_v6_rcv_saddr))
		listener = tws_listener6(net, &tw->tw_v6_rcv_saddr, lport,
					 &tw->tw_v6_daddr, tw->tw_dport,
					 tw->tw_bound_dev_if);
	else
#endif
		listener = tws_listener4(net, tw->tw_rcv_saddr, lport,
					 tw->tw_daddr, tw->tw_dport,
					 tw->tw_bound_dev_if);
	rcu_read_unlock();
	if (listener)
		return TWS_ROLE_SERVER;
	inet_get_local_port_range(net, &lo, &hi);
	return lport >= lo && lport <= hi ? TWS_ROLE_CLIENT : TWS_ROLE_OTHER;
}

/* --- aggregates ------------------------------------------------------- */

/*
 * What reuse eligibility ages from: before 6.14 the peer's last timestamp
 * (tw_ts_recent_stamp, seconds), since then the entry into TIME_WAIT
 * (tw_entry_stamp, milliseconds).
 */
static u32 tws_stamp(const struct tws_snap *s)
{
	return TWS_HAVE_REUSE_DELAY ? s->entry_ms : s->ts_stamp;
}

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

/* Candidates too young to be taken over, [loopback]. */
static void tws_young(const struct tws_agg *a, const struct tws_dest *d,
		      const struct tws_net *tn, struct net *net,
		      unsigned int young[2])
{
#if TWS_HAVE_REUSE_DELAY
	u32 now = tws_now_ms(), delay = tws_reuse_delay_ms(net);
	const struct tws_dest *it;
	const struct tws_rank *r;
	const struct tws_entry *e;

	young[0] = 0;
	young[1] = 0;
	/*
	 * Entries hang on their destination oldest first, so the young ones
	 * are a run at the tail: the walk stops at the first old enough.
	 */
	list_for_each_entry(r, &tn->ranks, node) {
		list_for_each_entry(it, &r->dests, rnode) {
			if (d && it != d)
				continue;
			list_for_each_entry_reverse(e, &it->entries, dnode) {
				if (time_after32(now, e->stamp + delay))
					break;
				if (tws_candidate(e))
					young[e->loopback]++;
			}
		}
	}
#else
	bool now = a->young_sec == (int)ktime_get_seconds();

	young[0] = now ? a->young[0] : 0;
	young[1] = now ? a->young[1] : 0;
#endif
}

/* What tcp_twsk_unique() would grant a connect() right now. */
static unsigned int tws_eligible(const struct tws_agg *a,
				 const struct tws_dest *d,
				 const struct tws_net *tn, struct net *net)
{
	int reuse = tws_sysctl_tw_reuse(net);
	unsigned int young[2], n = 0;
	int lb;

	if (!reuse)
		return 0;
	tws_young(a, d, tn, net, young);
	for (lb = reuse == 2; lb < 2; lb++)
		n += a->cand[lb] - young[lb];
	return n;
}

static bool tws_entry_eligible(const struct tws_entry *e, int reuse)
{
	if (!tws_candidate(e) || !reuse || (reuse == 2 && !e->loopback))
		return false;
	if (TWS_HAVE_REUSE_DELAY)
		return time_after32(tws_now_ms(),
				    e->stamp + tws_reuse_delay_ms(e->dest->net));
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
				      const struct net *net,
				      const struct tws_dkey *k)
{
	struct tws_dest *d;

	hlist_for_each_entry(d, head, hnode)
		if (d->net == net && tws_dkey_eq(&d->key, k))
			return d;
	return NULL;
}

static bool tws_in(const struct tws_dest *d, u16 port)
{
	return port >= d->range_lo && port <= d->range_hi;
}

/* Either may be NULL. */
static void tws_free_dest(struct tws_dest *d, struct tws_rank *r)
{
	if (d)
		kmem_cache_free(tws_dest_cache, d);
	if (r)
		kmem_cache_free(tws_rank_cache, r);
}

/* Link @e into its destination, creating it; tws_dlocks[] held. */
static int tws_link(struct tws_net *tn, struct net *net,
		    struct hlist_head *dhead, struct tws_entry *e,
		    const struct tws_dkey *k)
{
	struct tws_dest *d = tws_dest_find(dhead, net, k);
	struct tws_rank *spare = NULL;
	int lo, hi;

	if (!d) {
		d = kmem_cache_zalloc(tws_dest_cache, GFP_ATOMIC);
		spare = kmem_cache_zalloc(tws_rank_cache, GFP_ATOMIC);
		if (!d || !spare) {
			tws_free_dest(d, spare);
			return -ENOMEM;
		}
		d->key = *k;
		d->net = net;
		INIT_LIST_HEAD(&d->entries);
		INIT_LIST_HEAD(&spare->dests);
		inet_get_local_port_range(net, &lo, &hi);
		d->range_lo = lo;
		d->range_hi = hi;
	}

	spin_lock(&tn->lock);
	if (tn->dead) {
		spin_unlock(&tn->lock);
		if (spare)
			tws_free_dest(d, spare);
		return -ENOENT;
	}
	if (spare) {
		hlist_add_head(&d->hnode, dhead);
		list_add(&spare->node, &tn->spare);
		atomic_inc(&tws_nr_dests);
	}
	e->dest = d;
	list_add_tail(&e->dnode, &d->entries);
	tws_agg_add(&d->agg, e);
	tws_agg_add(&tn->agg, e);
	if (tws_in(d, e->lport))
		d->in_range++;
	tws_rank_move(tn, d, d->agg.count);
	spin_unlock(&tn->lock);
	return 0;
}

static unsigned int tws_life_bucket(u32 born)
{
	return min_t(unsigned int, fls(jiffies_to_msecs((u32)jiffies - born)),
		     TWS_LIFE_BUCKETS - 1);
}

/*
 * Unlink @e from its destination, freeing it when empty, and file its
 * lifetime under @cause unless that is negative.
 */
static void tws_unlink(struct tws_net *tn, struct tws_entry *e, int cause)
{
	struct tws_dest *d = e->dest;
	spinlock_t *dl = &tws_dlocks[tws_dhashfn(d->net, &d->key) &
				     (TWS_NLOCKS - 1)];
	struct tws_rank *spare = NULL;

	spin_lock(dl);
	spin_lock(&tn->lock);
	list_del(&e->dnode);
	tws_agg_sub(&d->agg, e);
	tws_agg_sub(&tn->agg, e);
	if (tws_in(d, e->lport))
		d->in_range--;
	tws_rank_move(tn, d, d->agg.count);
	if (cause >= 0)
		tn->life.n[cause][tws_life_bucket(e->born)]++;
	if (!d->agg.count) {
		hlist_del(&d->hnode);
		spare = list_first_entry(&tn->spare, struct tws_rank, node);
		list_del(&spare->node);
	} else {
		d = NULL;
	}
	spin_unlock(&tn->lock);
	spin_unlock(dl);
	if (d) {
		atomic_dec(&tws_nr_dests);
		tws_free_dest(d, spare);
	}
}

/* --- entries ---------------------------------------------------------- */

/*
 * A namespace's counters are freed when it exits, one grace period after
 * it is marked dead: count only inside a read-side section that saw it
 * alive.
 */
#define tws_add(tn, field, n)						\
	do {								\
		rcu_read_lock();					\
		if (!READ_ONCE((tn)->dead))				\
			this_cpu_add((tn)->pc->field, n);		\
		rcu_read_unlock();					\
	} while (0)
#define tws_inc(tn, field)	tws_add(tn, field, 1)

/* Where the link to @key's entry is in chain @b, NULL if it has none. */
static struct tws_entry **tws_find(unsigned int b, const void *key)
{
	struct tws_entry **pp;

	for (pp = &tws_ehash[b]; *pp; pp = &(*pp)->next)
		if ((*pp)->key == key)
			return pp;
	return NULL;
}

static void tws_free_entry(struct tws_entry *e)
{
	kmem_cache_free(tws_entry_cache, e);
	atomic_dec(&tws_nr_entries);
}

/*
 * Start tracking a minisocket.  With @dedup (the load-time walk) one
 * already known is left alone.  Returns 0 when tracked, 1 when only
 * counted (untracked), -EEXIST or -ENOENT (namespace gone) when neither.
 */
int tws_insert(const struct tws_snap *s, bool dedup)
{
	struct tws_net *tn = tws_pernet(s->net);
	struct tws_dkey k = s->dkey;
	unsigned int b, db;
	struct tws_entry *e;
	unsigned long flags;
	int err;

	if (!tn || READ_ONCE(tn->dead))
		return -ENOENT;

	if (atomic_inc_return(&tws_nr_entries) > tws_max_entries) {
		atomic_dec(&tws_nr_entries);
		e = NULL;
	} else {
		e = kmem_cache_alloc(tws_entry_cache, GFP_ATOMIC);
		if (!e)
			atomic_dec(&tws_nr_entries);
	}
	if (!e)
		goto untracked;

	e->key = s->key;
	e->expires = s->expires;
	e->born = s->born;
	e->stamp = tws_stamp(s);
	e->ts = s->ts_stamp != 0;
	e->lport = s->lport;
	e->dport = s->dkey.dport;
	e->fw2 = s->substate == TCP_FIN_WAIT2;
	e->loopback = s->loopback;
	e->rearms = 0;
	e->role = s->role;

	/*
	 * A server side's remote port is the peer's ephemeral one: its
	 * minisockets gather under port 0, one destination per peer address.
	 */
	if (s->role == TWS_ROLE_SERVER)
		k.dport = 0;
	b = tws_ehashfn(s->key);
	db = tws_dhashfn(s->net, &k);
	spin_lock_irqsave(tws_elock(b), flags);
	if (dedup && tws_find(b, s->key)) {
		spin_unlock_irqrestore(tws_elock(b), flags);
		tws_free_entry(e);
		return -EEXIST;
	}
	spin_lock(&tws_dlocks[db & (TWS_NLOCKS - 1)]);
	err = tws_link(tn, s->net, &tws_dhash[db], e, &k);
	spin_unlock(&tws_dlocks[db & (TWS_NLOCKS - 1)]);
	if (!err) {
		e->next = tws_ehash[b];
		tws_ehash[b] = e;
	}
	spin_unlock_irqrestore(tws_elock(b), flags);
	if (err) {
		tws_free_entry(e);
		if (err == -ENOENT)
			return err;
		goto untracked;
	}
	err = 0;
	goto count;

untracked:
	err = 1;
count:
	rcu_read_lock();
	if (!READ_ONCE(tn->dead)) {
		this_cpu_inc(tn->pc->entered);
		this_cpu_add(tn->pc->untracked, err);
		this_cpu_add(tn->pc->v6, s->v6);
	}
	rcu_read_unlock();
	return err;
}

/*
 * A segment re-armed the timer (@rearm), or the load-time walk reads a
 * minisocket again: its snapshot may predate a re-arm that found no entry
 * yet.  The substate or timestamp may have moved; the expiry only moves
 * forward.
 */
static void tws_update(const struct inet_timewait_sock *tw,
		       unsigned long expires, bool rearm)
{
	unsigned int b = tws_ehashfn(tw);
	struct tws_entry **pp, *e;
	struct tws_net *tn;
	unsigned long flags;
	struct tws_snap s;

	spin_lock_irqsave(tws_elock(b), flags);
	pp = tws_find(b, tw);
	if (pp) {
		e = *pp;
		tws_snap_tw(&s, tw);
		tn = tws_pernet(e->dest->net);
		if (rearm && e->fw2 && s.substate == TCP_TIME_WAIT)
			tws_inc(tn, fw2_to_tw);
		else if (rearm && s.substate == TCP_TIME_WAIT)
			tws_inc(tn, rearmed);
		if (rearm && e->rearms < U8_MAX)
			e->rearms++;
		spin_lock(&tn->lock);
		tws_agg_sub(&e->dest->agg, e);
		tws_agg_sub(&tn->agg, e);
		e->fw2 = s.substate == TCP_FIN_WAIT2;
		e->ts = s.ts_stamp != 0;
		if (e->stamp != tws_stamp(&s)) {
			/* Restamped: keep the destination's list in age order. */
			e->stamp = tws_stamp(&s);
			if (TWS_HAVE_REUSE_DELAY)
				list_move_tail(&e->dnode, &e->dest->entries);
		}
		tws_agg_add(&e->dest->agg, e);
		tws_agg_add(&tn->agg, e);
		spin_unlock(&tn->lock);
		if (time_after32(expires, e->expires))
			e->expires = expires;
	}
	spin_unlock_irqrestore(tws_elock(b), flags);
}

void tws_rearm(const struct inet_timewait_sock *tw, unsigned long expires)
{
	tws_update(tw, expires, true);
}

void tws_refresh(const struct inet_timewait_sock *tw)
{
	tws_update(tw, READ_ONCE(tw->tw_timer.expires), false);
}

static struct tws_entry *tws_take(const void *key, const struct net *net,
				  bool (*cond)(const void *key), int cause)
{
	unsigned int b = tws_ehashfn(key);
	struct tws_entry **pp, *e = NULL;
	unsigned long flags;

	spin_lock_irqsave(tws_elock(b), flags);
	pp = tws_find(b, key);
	if (pp && (*pp)->dest->net == net && (!cond || cond(key))) {
		e = *pp;
		*pp = e->next;
		tws_unlink(tws_pernet(net), e, cause);
	}
	spin_unlock_irqrestore(tws_elock(b), flags);
	return e;
}

static void tws_pend(const void *key, enum tws_cause cause)
{
	unsigned long flags;

	spin_lock_irqsave(&tws_pending_lock, flags);
	if (tws_npending < TWS_PENDING) {
		tws_pending[tws_npending].key = key;
		tws_pending[tws_npending].cause = cause;
		tws_npending++;
	}
	spin_unlock_irqrestore(&tws_pending_lock, flags);
}

/* The latest end seen for @key during the walk; OTHER if it overflowed. */
static enum tws_cause tws_pended(const void *key)
{
	enum tws_cause cause = TWS_END_OTHER;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&tws_pending_lock, flags);
	for (i = tws_npending; i--; ) {
		if (tws_pending[i].key == key) {
			cause = tws_pending[i].cause;
			break;
		}
	}
	spin_unlock_irqrestore(&tws_pending_lock, flags);
	return cause;
}

void tws_walk_done(void)
{
	unsigned long flags;

	spin_lock_irqsave(&tws_pending_lock, flags);
	tws_npending = 0;
	spin_unlock_irqrestore(&tws_pending_lock, flags);
}

static void tws_count_end(struct tws_net *tn,
			  const struct inet_timewait_sock *tw,
			  enum tws_cause cause)
{
	rcu_read_lock();
	if (!READ_ONCE(tn->dead)) {
		this_cpu_inc(tn->pc->ended[cause]);
		this_cpu_sub(tn->pc->v6, (u64)tws_is_v6(tw));
	}
	rcu_read_unlock();
}

/* inet_twsk_kill(): the one place every minisocket ends. */
void tws_end(const struct inet_timewait_sock *tw, enum tws_cause cause)
{
	struct net *net = twsk_net(tw);
	struct tws_net *tn = tws_pernet(net);
	struct tws_entry *e;

	if (!tn)
		return;
	e = tws_take(tw, net, NULL, cause);
	if (e) {
		tws_free_entry(e);
	} else if (READ_ONCE(tws_loading)) {
		/*
		 * One that existed before load and died before the walk
		 * reached it, or one the walk is about to add as a ghost.
		 */
		tws_pend(tw, cause);
		return;
	} else if (READ_ONCE(tn->dead) || !tws_is_tcp(tw)) {
		/* A dying namespace's (counted as purged), or DCCP's. */
		return;
	}
	tws_count_end(tn, tw, cause);
}

static bool tws_unhashed(const void *key)
{
	const struct inet_timewait_sock *tw = key;

	return hlist_nulls_unhashed(&tw->tw_node);
}

/*
 * After the walk: an entry whose minisocket is no longer in the
 * established hash was killed while the walk held it, before the probe
 * could see the entry.  The caller holds a reference on @tw.
 */
bool tws_drop_ghost(const struct inet_timewait_sock *tw)
{
	struct tws_net *tn = tws_pernet(twsk_net(tw));
	enum tws_cause cause = tws_pended(tw);
	struct tws_entry *e = tws_take(tw, twsk_net(tw), tws_unhashed, cause);

	if (!e)
		return false;
	tws_free_entry(e);
	tws_count_end(tn, tw, cause);
	return true;
}

/* --- readers ---------------------------------------------------------- */

unsigned int tws_buckets(void)
{
	return 1U << tws_hash_bits;
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
	unsigned long flags;
	unsigned int n = 0;
	unsigned long now;

	spin_lock_irqsave(tws_elock(b), flags);
	now = jiffies;
	for (e = tws_ehash[b]; e; e = e->next) {
		if (only && e->dest->net != only)
			continue;
		if (skip) {
			skip--;
			continue;
		}
		if (n == max)
			break;
		/* The namespace lives as long as its entries: read it here. */
		rows[n].dkey = e->dest->key;
		rows[n].dkey.dport = e->dport;
		rows[n].netns = e->dest->net->ns.inum;
		rows[n].expires = now + (s32)(e->expires - (u32)now);
		rows[n].born = now - (u32)((u32)now - e->born);
		rows[n].lport = e->lport;
		rows[n].substate = e->fw2 ? TCP_FIN_WAIT2 : TCP_TIME_WAIT;
		rows[n].rearms = e->rearms;
		rows[n].role = e->role;
		rows[n].eligible = tws_entry_eligible(e,
					tws_sysctl_tw_reuse(e->dest->net));
		n++;
	}
	spin_unlock_irqrestore(tws_elock(b), flags);
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

	to->entered += READ_ONCE(c->entered);
	for (i = 0; i < TWS_END_MAX; i++)
		to->ended[i] += READ_ONCE(c->ended[i]);
	to->untracked += READ_ONCE(c->untracked);
	to->rearmed += READ_ONCE(c->rearmed);
	to->fw2_to_tw += READ_ONCE(c->fw2_to_tw);
	to->v6 += READ_ONCE(c->v6);
	to->overflow += READ_ONCE(c->overflow);
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

/* A namespace's counters, summed over CPUs. */
static void tws_sum(struct net *net, struct tws_net *tn,
		    struct tws_counters *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu)
		tws_add_counters(sum, per_cpu_ptr(tn->pc, cpu));
	sum->overflow = tws_mib_overflow(net) - tn->overflow_base;
}

u64 tws_live(const struct tws_counters *c)
{
	u64 live = c->entered;
	int i;

	for (i = 0; i < TWS_END_MAX; i++)
		live -= c->ended[i];
	return live;
}

static size_t tws_net_size(void)
{
	return sizeof(struct tws_net) +
	       sizeof(struct tws_counters) * num_possible_cpus();
}

/*
 * The kernel's memory: live minisockets times their slab's object size,
 * per family.  Ours: entries, destinations with their rank, namespaces,
 * and the two hash tables.
 */
static void tws_memory(struct tws_summary *out)
{
	u64 v6 = out->sum.v6;

	out->tw_memory = (tws_live(&out->sum) - v6) *
			 kmem_cache_size(tcp_prot.twsk_prot->twsk_slab);
#if IS_ENABLED(CONFIG_IPV6)
	out->tw_memory += v6 *
			  kmem_cache_size(tcpv6_prot.twsk_prot->twsk_slab);
#endif
	out->table_memory = (u64)atomic_read(&tws_nr_entries) *
				kmem_cache_size(tws_entry_cache) +
			    (u64)atomic_read(&tws_nr_dests) *
				(kmem_cache_size(tws_dest_cache) +
				 kmem_cache_size(tws_rank_cache)) +
			    (u64)atomic_read(&tws_nr_nets) * tws_net_size() +
			    (sizeof(*tws_ehash) + sizeof(*tws_dhash) / 4) *
				tws_buckets();
}

void tws_summarize(struct net *net, struct tws_summary *out)
{
	struct tws_net *tn = tws_pernet(net);
	const struct tws_rank *r;
	struct tws_dest *d;
	unsigned long flags;
	int port, last;

	memset(out, 0, sizeof(*out));
	tws_sum(net, tn, &out->sum);
	tws_memory(out);
	inet_get_local_port_range(net, &out->port_low, &out->port_high);
	/*
	 * connect() searches an even number of ports (__inet_hash_connect()
	 * rounds the count down): an odd-sized range never hands out its
	 * last port.
	 */
	last = out->port_high;
	if (last > out->port_low && !((last - out->port_low) & 1))
		last--;
	for (port = out->port_low; port <= last; port++)
		out->ports_reserved += inet_is_local_reserved_port(net, port);
	out->ports_usable = last - out->port_low + 1 - out->ports_reserved;
	out->reuse = tws_sysctl_tw_reuse(net);
	out->timestamps = tws_sysctl_timestamps(net);
	out->max_tw_buckets = tws_max_tw_buckets(net);
	out->reuse_delay_ms = tws_reuse_delay_ms(net);

	spin_lock_irqsave(&tn->lock, flags);
	out->life = tn->life;
	memcpy(out->role, tn->agg.role, sizeof(out->role));
	out->fw2 = tn->agg.fw2;
	out->eligible = tws_eligible(&tn->agg, NULL, tn, net);
	list_for_each_entry(r, &tn->ranks, node) {
		list_for_each_entry(d, &r->dests, rnode) {
			struct tws_top *t;

			if (out->ntop == ARRAY_SIZE(out->top))
				goto done;
			t = &out->top[out->ntop];
			t->dkey = d->key;
			t->count = d->agg.count;
			t->eligible = tws_eligible(&d->agg, d, tn, net);
			t->in_range = tws_count_in_range(d, out->port_low,
							 last);
			out->ntop++;
		}
	}
done:
	spin_unlock_irqrestore(&tn->lock, flags);
}

/* --- set-up ----------------------------------------------------------- */

/* What dead namespaces left; returns how many there were. */
unsigned int tws_departed(struct tws_counters *sum,
			  struct tws_lifetimes *life)
{
	unsigned int n;

	spin_lock_irq(&tws_departed_lock);
	*sum = tws_gone;
	*life = tws_gone_life;
	n = tws_gone_nets;
	spin_unlock_irq(&tws_departed_lock);
	return n;
}

int tws_net_init(struct net *net, struct tws_net *tn)
{
	spin_lock_init(&tn->lock);
	INIT_LIST_HEAD(&tn->ranks);
	INIT_LIST_HEAD(&tn->spare);
	tn->overflow_base = tws_mib_overflow(net);
	tn->pc = alloc_percpu(struct tws_counters);
	if (!tn->pc)
		return -ENOMEM;
	atomic_inc(&tws_nr_nets);
	return 0;
}

/*
 * The namespace is exiting.  TCP purges its minisockets only after this
 * runs (tcp_sk_exit_batch()), and nobody can read a dead namespace: its
 * entries are dropped here, counted as purged, and its numbers go to the
 * departed totals.  tws_end() later finds nothing and, seeing tn->dead,
 * counts nothing.  A timer expiring in between is counted as a purge.
 */
void tws_net_exit(struct net *net, struct tws_net *tn)
{
	struct tws_counters sum;
	struct tws_rank *r, *tmp;
	struct tws_entry *e;
	const void *key;

	spin_lock_irq(&tn->lock);
	tn->dead = true;
	spin_unlock_irq(&tn->lock);
	/* Kernel sockets may still close into TIME_WAIT here: see tws_inc(). */
	synchronize_rcu();

	for (;;) {
		key = NULL;
		spin_lock_irq(&tn->lock);
		r = list_first_entry_or_null(&tn->ranks, struct tws_rank,
					     node);
		if (r) {
			struct tws_dest *d = list_first_entry(&r->dests,
						struct tws_dest, rnode);

			key = list_first_entry(&d->entries, struct tws_entry,
					       dnode)->key;
		}
		spin_unlock_irq(&tn->lock);
		if (!key)
			break;
		e = tws_take(key, net, NULL, TWS_END_PURGE);
		if (e)
			tws_free_entry(e);
	}
	list_for_each_entry_safe(r, tmp, &tn->spare, node)
		kmem_cache_free(tws_rank_cache, r);

	/* Counting stopped a grace period ago: this is the final sum. */
	tws_sum(net, tn, &sum);
	sum.ended[TWS_END_PURGE] += tws_live(&sum);
	sum.v6 = 0;
	spin_lock_irq(&tws_departed_lock);
	tws_add_counters(&tws_gone, &sum);
	tws_add_life(&tws_gone_life, &tn->life);
	tws_gone_nets++;
	spin_unlock_irq(&tws_departed_lock);

	free_percpu(tn->pc);
	atomic_dec(&tws_nr_nets);
}

int tws_table_init(unsigned int max_entries)
{
	size_t n;
	int i;

	BUILD_BUG_ON(sizeof(struct tws_dkey) % sizeof(u32));
	BUILD_BUG_ON(!is_power_of_2(TWS_NLOCKS));
	BUILD_BUG_ON(sizeof(struct tws_entry) > 8 * sizeof(void *));

	/*
	 * Four entries a chain when full: walking a short chain costs less
	 * than the bytes a socket another doubling would add.  Destinations
	 * are fewer (a server side's gather per peer address): a quarter of
	 * that.
	 */
	tws_hash_bits = clamp(ilog2(max_entries | 1) - 2, 8, 22);
	n = (size_t)1 << tws_hash_bits;
	tws_ehash = kvcalloc(n, sizeof(*tws_ehash), GFP_KERNEL);
	tws_dhash = kvcalloc(n / 4, sizeof(*tws_dhash), GFP_KERNEL);
	tws_entry_cache = KMEM_CACHE(tws_entry, 0);
	tws_dest_cache = KMEM_CACHE(tws_dest, 0);
	tws_rank_cache = KMEM_CACHE(tws_rank, 0);
	if (!tws_ehash || !tws_dhash || !tws_entry_cache || !tws_dest_cache ||
	    !tws_rank_cache) {
		tws_table_exit();
		return -ENOMEM;
	}
	for (i = 0; i < TWS_NLOCKS; i++) {
		spin_lock_init(&tws_elocks[i]);
		spin_lock_init(&tws_dlocks[i]);
	}
	return 0;
}

void tws_table_exit(void)
{
	kmem_cache_destroy(tws_rank_cache);
	kmem_cache_destroy(tws_dest_cache);
	kmem_cache_destroy(tws_entry_cache);
	kvfree(tws_dhash);
	kvfree(tws_ehash);
	tws_rank_cache = NULL;
	tws_dest_cache = NULL;
	tws_entry_cache = NULL;
	tws_ehash = NULL;
	tws_dhash = NULL;
}
