// SPDX-License-Identifier: GPL-2.0
/*
 * Taking in the minisockets that exist when the module loads, so that a
 * module loaded on a busy server tells the truth at once.
 *
 * The probes are armed first; then every established hash is walked
 * under its bucket locks, the way inet_diag does.  A minisocket the
 * probes already know is skipped.  The one race left: inet_twsk_kill()
 * may have passed its probe (finding no entry) and be waiting for the
 * bucket lock the walk holds, so the walk would add an entry that nobody
 * will remove.  The walk therefore holds a reference on what it adds,
 * waits for an RCU grace period (every kill runs with BHs off, so any
 * kill under way has finished by then), and drops the entries whose
 * minisocket has left the hash meanwhile.  A FIN may also have moved one
 * from FIN_WAIT2 to TIME_WAIT between the snapshot and the insertion,
 * when the probe had no entry to update: the survivors are read again.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>
#include <net/inet_hashtables.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#include "compat.h"
#include "tw_stats.h"

#define TWS_WALK_BATCH	16384

struct tws_walk {
	struct inet_timewait_sock **held;
	unsigned int n;
	unsigned int found;
	unsigned int ghosts;
};

static void tws_walk_flush(struct tws_walk *w)
{
	unsigned int i;

	if (!w->n)
		return;
	synchronize_rcu();
	for (i = 0; i < w->n; i++) {
		struct inet_timewait_sock *tw = w->held[i];

		if (tws_drop_ghost(tw))
			w->ghosts++;
		else
			tws_refresh(tw);
		inet_twsk_put(tw);
	}
	w->n = 0;
}

/*
 * Our view of a minisocket's start: for one found at load, the timer
 * tells it, unless FIN or ACK re-armed it since.
 */
static unsigned long tws_born_estimate(unsigned long expires)
{
	unsigned long born = expires - TCP_TIMEWAIT_LEN;

	return time_after(born, jiffies) ? jiffies : born;
}

static unsigned int tws_bucket_tws(struct inet_ehash_bucket *head)
{
	struct hlist_nulls_node *node;
	unsigned int n = 0;
	struct sock *sk;

	sk_nulls_for_each(sk, node, &head->chain)
		n += sk->sk_state == TCP_TIME_WAIT;
	return n;
}

static void tws_walk_bucket(struct tws_walk *w, struct inet_ehash_bucket *head)
{
	struct inet_timewait_sock *tw;
	struct hlist_nulls_node *node;
	struct tws_snap s;
	struct sock *sk;

	sk_nulls_for_each(sk, node, &head->chain) {
		if (sk->sk_state != TCP_TIME_WAIT)
			continue;
		tw = inet_twsk(sk);
		/* A dying namespace's minisockets are about to be purged. */
		if (!check_net(twsk_net(tw)) || w->n == TWS_WALK_BATCH)
			continue;
		if (!refcount_inc_not_zero(&tw->tw_refcnt))
			continue;
		tws_snap_tw(&s, tw);
		s.expires = READ_ONCE(tw->tw_timer.expires);
		s.born = tws_born_estimate(s.expires);
		s.role = tws_role(tw);
		switch (tws_insert(&s, true)) {
		case 0:
			w->held[w->n++] = tw;
			w->found++;
			continue;
		case 1:
			w->found++;
			break;
		}
		/* The hash still holds its own reference: this is not the last. */
		inet_twsk_put(tw);
	}
}

static void tws_walk_hash(struct tws_walk *w, struct inet_hashinfo *h)
{
	unsigned int i;

	for (i = 0; i <= h->ehash_mask; i++) {
		struct inet_ehash_bucket *head = &h->ehash[i];
		spinlock_t *lock = inet_ehash_lockp(h, i);

		if (hlist_nulls_empty(&head->chain))
			continue;
		spin_lock_bh(lock);
		if (w->n + tws_bucket_tws(head) > TWS_WALK_BATCH) {
			spin_unlock_bh(lock);
			tws_walk_flush(w);
			spin_lock_bh(lock);
		}
		tws_walk_bucket(w, head);
		spin_unlock_bh(lock);
		cond_resched();
	}
}

int tws_walk_existing(void)
{
	struct inet_hashinfo *shared;
	struct tws_walk w = { };
	struct net *net;

	w.held = kvmalloc_array(TWS_WALK_BATCH, sizeof(*w.held), GFP_KERNEL);
	if (!w.held)
		return -ENOMEM;

	/*
	 * Most namespaces share the initial namespace's hash (tcp_hashinfo,
	 * no longer exported); some have their own.
	 */
	shared = tws_net_ehash(&init_net);
	tws_walk_hash(&w, shared);
	down_read(&net_rwsem);
	for_each_net(net) {
		struct inet_hashinfo *h = tws_net_ehash(net);

		if (h == shared || !maybe_get_net(net))
			continue;
		tws_walk_hash(&w, h);
		put_net(net);
	}
	up_read(&net_rwsem);
	tws_walk_flush(&w);
	kvfree(w.held);

	pr_info("found %u minisockets at load (%u ended during the walk)\n",
		w.found, w.ghosts);
	return 0;
}
