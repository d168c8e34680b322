// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel itself says about minisockets: reading one into an
 * event (for the probes and for the walk), its role, and walking the
 * established hashes, the ground truth the table is mended from.
 *
 * The walk runs at load, to take in the minisockets that already exist,
 * and whenever the table may be wrong (events.c).  It holds no lock the
 * kernel takes: each bucket is read under RCU, as lookups do, and what
 * it finds is handed to the table in batches outside the read-side
 * section, with the table's mutex held (events.c).  A minisocket seen
 * with a reference count of zero is being hashed (6.1 sets it after the
 * bucket lock) or freed: only its key is used, to tell the table it is
 * still there.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/tcp.h>
#include <net/transp_v6.h>

#include "compat.h"
#include "tw_stats.h"

#define TWS_WALK_BATCH	256

bool tws_is_v6(const struct inet_timewait_sock *tw)
{
	return tw->tw_prot != &tcp_prot;
}

bool tws_is_tcp(const struct inet_timewait_sock *tw)
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

/*
 * The destination of any socket of the established hash, full, request
 * or minisocket, from the fields they share: a v4-mapped one by its IPv4
 * fields, which are set before connect() takes a port (the IPv6 local
 * address of such a socket only after).
 */
void tws_sk_dkey(struct tws_dkey *k, const struct sock *sk)
{
	memset(k, 0, sizeof(*k));
	k->family = sk->sk_family;
	k->dport = sk->sk_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		k->saddr = sk->sk_v6_rcv_saddr;
		k->daddr = sk->sk_v6_daddr;
		return;
	}
#endif
	ipv6_addr_set_v4mapped(sk->sk_rcv_saddr, &k->saddr);
	ipv6_addr_set_v4mapped(sk->sk_daddr, &k->daddr);
}

/*
 * What reuse eligibility ages from: before 6.14 the peer's last timestamp
 * (tw_ts_recent_stamp, seconds), since then the entry into TIME_WAIT
 * (tw_entry_stamp, milliseconds).
 */
void tws_snap(struct tws_ev *ev, const struct inet_timewait_sock *tw)
{
	int ts = READ_ONCE(tcp_twsk((const struct sock *)tw)->tw_ts_recent_stamp);

	memset(ev, 0, sizeof(*ev));
	ev->key = tw;
	ev->netc = tws_netc(twsk_net(tw));
	ev->role = TWS_ROLE_MAX;
	ev->dkey.family = tw->tw_family;
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6) {
		ev->dkey.saddr = tw->tw_v6_rcv_saddr;
		ev->dkey.daddr = tw->tw_v6_daddr;
	} else
#endif
	{
		ipv6_addr_set_v4mapped(tw->tw_rcv_saddr, &ev->dkey.saddr);
		ipv6_addr_set_v4mapped(tw->tw_daddr, &ev->dkey.daddr);
	}
	ev->dkey.dport = tw->tw_dport;
	ev->lport = tw->tw_num;
	ev->dif = tw->tw_bound_dev_if;
	ev->stamp = TWS_HAVE_REUSE_DELAY ? tws_tw_entry_ms(tw) : ts;
	if (READ_ONCE(tw->tw_substate) == TCP_FIN_WAIT2)
		ev->flags |= TWS_EVF_FW2;
	if (ts)
		ev->flags |= TWS_EVF_TS;
	if (tws_tw_loopback(tw))
		ev->flags |= TWS_EVF_LOOP;
	if (tws_is_v6(tw))
		ev->flags |= TWS_EVF_V6;
}

static u8 tws_range_role(struct net *net, u16 lport)
{
	int lo, hi;

	inet_get_local_port_range(net, &lo, &hi);
	return lport >= lo && lport <= hi ? TWS_ROLE_CLIENT : TWS_ROLE_OTHER;
}

/*
 * The issue of roles is only which side can ever reuse its port: a
 * listener on the local port makes it the accepting side.
 */
u8 tws_role(struct net *net, const struct tws_ev *ev)
{
	const struct tws_dkey *k = &ev->dkey;
	bool listener;

	rcu_read_lock();
#if IS_ENABLED(CONFIG_IPV6)
	if (k->family == AF_INET6 && !ipv6_addr_v4mapped(&k->saddr))
		listener = tws_listener6(net, &k->saddr, ev->lport, &k->daddr,
					 k->dport, ev->dif);
	else
#endif
		listener = tws_listener4(net, k->saddr.s6_addr32[3], ev->lport,
					 k->daddr.s6_addr32[3], k->dport,
					 ev->dif);
	rcu_read_unlock();
	return listener ? TWS_ROLE_SERVER : tws_range_role(net, ev->lport);
}

/*
 * The role at birth, from the socket that becomes the minisocket @ev.
 * A port whose bind bucket connect() made (fastreuse and fastreuseport
 * -1, see __inet_hash_connect()) was never bind()'s, so no listener can
 * hold it: the client side, the most frequent close, skips the lookup.
 */
u8 tws_birth_role(struct net *net, const struct sock *sk,
		  const struct tws_ev *ev)
{
	const struct inet_bind_bucket *tb = inet_csk(sk)->icsk_bind_hash;

	if (tb && READ_ONCE(tb->fastreuse) < 0 &&
	    READ_ONCE(tb->fastreuseport) < 0)
		return tws_range_role(net, ev->lport);
	return tws_role(net, ev);
}

struct tws_walk {
	void (*drain)(void);
	struct tws_ev *batch;
	unsigned int n;
	unsigned int found;
	bool loading;
};

static void tws_walk_flush(struct tws_walk *w)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		tws_apply_seen(&w->batch[i], w->loading);
	w->found += w->n;
	w->n = 0;
	/* The probes go on logging meanwhile: keep their rings from filling. */
	w->drain();
}

/*
 * Read bucket @slot into the batch, from its @skip'th minisocket on.
 * Returns how many it read, or -EAGAIN when the batch filled first.
 */
static int tws_walk_bucket(struct tws_walk *w, struct inet_hashinfo *h,
			   unsigned int slot, unsigned int skip)
{
	struct inet_ehash_bucket *head = &h->ehash[slot];
	struct hlist_nulls_node *node;
	unsigned int i;
	struct sock *sk;

	rcu_read_lock();
restart:
	i = 0;
	sk_nulls_for_each_rcu(sk, node, &head->chain) {
		struct inet_timewait_sock *tw;
		struct tws_ev *ev;

		if (READ_ONCE(sk->sk_state) != TCP_TIME_WAIT || i++ < skip)
			continue;
		if (w->n == TWS_WALK_BATCH) {
			rcu_read_unlock();
			return -EAGAIN;
		}
		tw = inet_twsk(sk);
		ev = &w->batch[w->n];
		if (!refcount_inc_not_zero(&tw->tw_refcnt)) {
			/* Being freed: nothing of it may be read. */
			memset(ev, 0, sizeof(*ev));
			ev->key = tw;
			ev->type = TWS_EV_SEEN;
			ev->flags = TWS_EVF_KEYONLY;
		} else {
			if (tws_is_tcp(tw) && tw->tw_state == TCP_TIME_WAIT) {
				tws_snap(ev, tw);
				ev->type = TWS_EV_SEEN;
				ev->expires = READ_ONCE(tw->tw_timer.expires);
				/* 6.12+ hash it a moment before arming it. */
				if (!timer_pending(&tw->tw_timer))
					ev->flags |= TWS_EVF_UNARMED;
			} else {
				ev = NULL;
			}
			inet_twsk_put(tw);
			if (!ev)
				continue;
		}
		ev->now = jiffies;
		w->n++;
	}
	/* Moved to another chain under us: read this one again. */
	if (get_nulls_value(node) != slot)
		goto restart;
	rcu_read_unlock();
	return i;
}

static void tws_walk_hash(struct inet_hashinfo *h, void *arg)
{
	struct tws_walk *w = arg;
	unsigned int slot, skip;
	int n;

	for (slot = 0; slot <= h->ehash_mask; slot++) {
		if (hlist_nulls_empty(&h->ehash[slot].chain))
			continue;
		for (skip = 0;; skip += TWS_WALK_BATCH) {
			n = tws_walk_bucket(w, h, slot, skip);
			if (n != -EAGAIN)
				break;
			tws_walk_flush(w);
		}
		if (w->n > TWS_WALK_BATCH / 2)
			tws_walk_flush(w);
		if (!(slot & 255))
			cond_resched();
	}
	tws_walk_flush(w);
}

/*
 * @fn on each established hash: the initial namespace's, which most
 * namespaces share (tcp_hashinfo, no longer exported), and those of the
 * namespaces made with one of their own; or @only's alone.
 */
void tws_each_ehash(const struct net *only,
		    void (*fn)(struct inet_hashinfo *h, void *arg), void *arg)
{
	struct inet_hashinfo *shared = tws_net_ehash(only ?: &init_net);
	struct net *net;

	fn(shared, arg);
	if (only)
		return;
	down_read(&net_rwsem);
	for_each_net(net) {
		struct inet_hashinfo *h = tws_net_ehash(net);

		if (h == shared || !maybe_get_net(net))
			continue;
		fn(h, arg);
		put_net(net);
	}
	up_read(&net_rwsem);
}

/*
 * Every minisocket of every live namespace, handed to the table as a
 * SEEN event, with @drain called between batches.  The caller holds
 * tws_lock().  Returns how many were seen.
 */
unsigned int tws_walk(bool loading, void (*drain)(void))
{
	struct tws_walk w = { .loading = loading, .drain = drain };

	w.batch = kvmalloc_array(TWS_WALK_BATCH, sizeof(*w.batch), GFP_KERNEL);
	if (!w.batch)
		return 0;
	tws_each_ehash(NULL, tws_walk_hash, &w);
	kvfree(w.batch);
	if (loading)
		pr_info("found %u minisockets at load\n", w.found);
	return w.found;
}
