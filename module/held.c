// SPDX-License-Identifier: GPL-2.0
/*
 * Who holds the local ports connect() could pick, whatever the state of
 * the socket: counted when /proc/tw_stats is read, from the kernel's own
 * hashes, never tracked.
 *
 * connect() with no port of its own (__inet_hash_connect()) scans the
 * even-sized part of ip_local_port_range, skips the ports of
 * ip_local_reserved_ports and every port whose bind bucket bind() or
 * listen() made (fastreuse or fastreuseport set), on whatever address,
 * and takes a port only if no socket in the established hash has the
 * same addresses and ports (a TIME_WAIT one may be taken over).  So a
 * port is usable when it passes the first three tests, and a destination
 * (local address, remote address and port) holds as many usable ports as
 * it has sockets in the established hash, in any state, TIME_WAIT and
 * request sockets included, whose local port is usable.  Listeners are
 * not in that hash; their ports are bind()'s.
 *
 * Two walks per read: the bind hash, for the ports bind() took (each
 * non-empty bucket under its own lock, as the port search takes it: the
 * buckets are freed without RCU until 7.x); and the established hash
 * under RCU, as lookups read it, 1024 buckets or 256 sockets that hold a
 * port at a time, so a socket made or closed during the walk may be
 * counted or not.  Neither grows a lock's hold with the
 * number of sockets: one bucket at a time.  What is found is counted in
 * a table of this read's own, charged to the reader, at most
 * TWS_HELD_MAX destinations; beyond, the rest are left out of the
 * ranking (the summary says how many sockets were).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#include "compat.h"
#include "tw_stats.h"

#define TWS_HELD_MAX	(1U << 16)

/* A port taken by bind() or listen(), in a namespace. */
struct tws_bound {
	u64 netc;
	u16 port;
};

static int tws_bound_cmp(const void *a, const void *b)
{
	const struct tws_bound *x = a, *y = b;

	if (x->netc != y->netc)
		return x->netc < y->netc ? -1 : 1;
	return (int)x->port - (int)y->port;
}

/* Room for @more ports bind() took, grown outside any lock. */
static int tws_bound_room(struct tws_held *h, unsigned int more)
{
	struct tws_bound *b;
	unsigned int cap;

	if (h->nbound + more <= h->bound_cap)
		return 0;
	cap = max(2 * h->bound_cap, h->nbound + more + 64);
	b = kvmalloc_array(cap, sizeof(*b), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!b)
		return -ENOMEM;
	if (h->nbound)
		memcpy(b, h->bound, h->nbound * sizeof(*b));
	kvfree(h->bound);
	h->bound = b;
	h->bound_cap = cap;
	return 0;
}

/*
 * A bucket's ports bind() took, under its lock, into the room made
 * before; false, with none of them kept, when there was not enough.
 */
static bool tws_bound_bucket(struct tws_held *h,
			     struct inet_bind_hashbucket *head,
			     const struct net *only)
{
	unsigned int start = h->nbound;
	struct inet_bind_bucket *tb;
	bool fits = true;

	spin_lock_bh(&head->lock);
	inet_bind_bucket_for_each(tb, &head->chain) {
		const struct net *net = ib_net(tb);

		if ((only && !net_eq(net, only)) || tb->l3mdev ||
		    (tb->fastreuse < 0 && tb->fastreuseport < 0))
			continue;
		if (h->nbound == h->bound_cap) {
			h->nbound = start;
			fits = false;
			break;
		}
		h->bound[h->nbound].netc = tws_netc(net);
		h->bound[h->nbound++].port = tb->port;
	}
	spin_unlock_bh(&head->lock);
	return fits;
}

/* The ports bind() took in @only's namespace, or in every one. */
static int tws_bound_collect(struct tws_held *h, struct inet_hashinfo *hi,
			     const struct net *only)
{
	unsigned int i, want = 16;
	int err;

	for (i = 0; i < hi->bhash_size; i++) {
		struct inet_bind_hashbucket *head = &hi->bhash[i];

		if (!(i & 1023))
			cond_resched();
		/* A hint only: a bucket made now is this read's race. */
		if (hlist_empty(&head->chain))
			continue;
		for (;;) {
			err = tws_bound_room(h, want);
			if (err)
				return err;
			if (tws_bound_bucket(h, head, only))
				break;
			want *= 2;
		}
	}
	if (h->nbound)
		sort(h->bound, h->nbound, sizeof(*h->bound), tws_bound_cmp,
		     NULL);
	return 0;
}

static bool tws_bound_has(const struct tws_held *h, u64 netc, u16 port)
{
	struct tws_bound key = { .netc = netc, .port = port };

	return h->nbound && bsearch(&key, h->bound, h->nbound,
				    sizeof(*h->bound), tws_bound_cmp);
}

/* The part of the range connect() scans: an even count of ports. */
void tws_port_span(const struct net *net, int *low, int *last)
{
	inet_get_local_port_range((struct net *)net, low, last);
	if (*last > *low && !((*last - *low) & 1))
		(*last)--;
}

bool tws_port_usable(const struct tws_held *h, const struct net *net,
		     int low, int last, int port)
{
	return port >= low && port <= last &&
	       !inet_is_local_reserved_port((struct net *)net, port) &&
	       !tws_bound_has(h, tws_netc(net), port);
}

static u32 tws_held_hash(u64 netc, const struct tws_dkey *k)
{
	u32 x = jhash2((const u32 *)k, sizeof(*k) / sizeof(u32), (u32)netc);

	return x ^ (u32)(netc >> 32);
}

static struct tws_held_dest *tws_held_slot(struct tws_held_dest *tab,
					   unsigned int cap, u64 netc,
					   const struct tws_dkey *k)
{
	unsigned int i = tws_held_hash(netc, k) & (cap - 1);

	while (tab[i].held && (tab[i].netc != netc ||
			       memcmp(&tab[i].key, k, sizeof(*k))))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* Room for one more; false when the table is at its bound. */
static bool tws_held_room(struct tws_held *h)
{
	struct tws_held_dest *tab;
	unsigned int cap, i;

	if (2 * (h->n + 1) <= h->cap)
		return true;
	if (h->cap >= 2 * TWS_HELD_MAX || h->full)
		return false;
	cap = max(2 * h->cap, 256U);
	tab = kvcalloc(cap, sizeof(*tab), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!tab) {
		/* Once: what is counted so far stays, the rest is left out. */
		h->full = true;
		return false;
	}
	for (i = 0; i < h->cap; i++)
		if (h->tab[i].held)
			*tws_held_slot(tab, cap, h->tab[i].netc,
				       &h->tab[i].key) = h->tab[i];
	kvfree(h->tab);
	h->tab = tab;
	h->cap = cap;
	return true;
}

/* A socket that holds a usable port, as the table counts it. */
struct tws_held_seen {
	u64 netc;
	struct tws_dkey key;
};

/*
 * A walk's state: low and last are the range of net, the last namespace
 * seen; what the sockets hold waits in batch, out of the read-side
 * section, to be counted (the table grows, which may sleep).
 */
#define TWS_HELD_BATCH	256

struct tws_held_walk {
	struct tws_held *h;
	const struct net *only;
	const struct net *net;
	int low, last;
	struct tws_held_seen *batch;
	unsigned int n;
};

/*
 * Under RCU: does @sk hold a usable port?  Its namespace is only read
 * here, where it cannot be freed.
 */
static bool tws_held_sock(struct tws_held_walk *w, const struct sock *sk,
			  struct tws_held_seen *seen)
{
	int port = READ_ONCE(sk->sk_num);
	const struct net *net;

	/*
	 * One namespace's range is known: most sockets of a server end
	 * here, their port its listener's, before their namespace is read.
	 */
	if (w->only && (port < w->low || port > w->last))
		return false;
	net = sock_net(sk);
	if (w->only && !net_eq(net, w->only))
		return false;
	/*
	 * A dying namespace's minisockets stay in the hash until its purge,
	 * after its sysctls (the reserved ports) are freed; it has no
	 * reference left by then, and its exit waits for readers like us.
	 */
	if (!check_net(net))
		return false;
	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)
		return false;
	if (net != w->net) {
		tws_port_span(net, &w->low, &w->last);
		w->net = net;
	}
	if (!tws_port_usable(w->h, net, w->low, w->last, port))
		return false;
	seen->netc = tws_netc(net);
	tws_sk_dkey(&seen->key, sk);
	return true;
}

static void tws_held_add(struct tws_held *h, const struct tws_held_seen *s)
{
	struct tws_held_dest *d = NULL;

	if (h->cap)
		d = tws_held_slot(h->tab, h->cap, s->netc, &s->key);
	if (!d || !d->held) {
		/* A new destination: room for it first. */
		if (!tws_held_room(h)) {
			h->left_out++;
			return;
		}
		d = tws_held_slot(h->tab, h->cap, s->netc, &s->key);
		d->netc = s->netc;
		d->key = s->key;
		h->n++;
	}
	d->held++;
}

static void tws_held_flush(struct tws_held_walk *w)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		tws_held_add(w->h, &w->batch[i]);
	w->n = 0;
}

/*
 * Buckets from @slot on, in one read-side section, until the batch is
 * full or 1024 buckets are read.  Returns the bucket to go on from, with
 * in *@skip the sockets of it read already.
 */
static unsigned int tws_held_run(struct tws_held_walk *w,
				 struct inet_hashinfo *hi, unsigned int slot,
				 unsigned int *skip)
{
	unsigned int end = min(slot + 1024, hi->ehash_mask + 1), n0, seen;
	struct hlist_nulls_node *node;
	struct sock *sk;

	rcu_read_lock();
	if (!w->only)
		w->net = NULL;
	for (; slot < end; slot++, *skip = 0) {
		struct inet_ehash_bucket *head = &hi->ehash[slot];

		if (hlist_nulls_empty(&head->chain))
			continue;
		n0 = w->n;
restart:
		seen = 0;
		sk_nulls_for_each_rcu(sk, node, &head->chain) {
			if (seen < *skip) {
				seen++;
				continue;
			}
			if (w->n == TWS_HELD_BATCH) {
				*skip = seen;
				goto out;
			}
			seen++;
			w->n += tws_held_sock(w, sk, &w->batch[w->n]);
		}
		/* Moved to another chain under us: read this one again. */
		if (get_nulls_value(node) != slot) {
			w->n = n0;
			goto restart;
		}
	}
out:
	rcu_read_unlock();
	return slot;
}

static void tws_held_hash_walk(struct inet_hashinfo *hi, void *arg)
{
	struct tws_held_walk *w = arg;
	unsigned int slot = 0, skip = 0;

	while (slot <= hi->ehash_mask) {
		slot = tws_held_run(w, hi, slot, &skip);
		tws_held_flush(w);
		cond_resched();
	}
}

static int tws_held_netc_cmp(const void *a, const void *b)
{
	const struct tws_held_dest *x = *(const struct tws_held_dest **)a;
	const struct tws_held_dest *y = *(const struct tws_held_dest **)b;

	return x->netc < y->netc ? -1 : x->netc > y->netc;
}

/* Every namespace's: its destinations found together, by cookie. */
static int tws_held_order(struct tws_held *h)
{
	unsigned int i, n = 0;

	if (!h->n)
		return 0;
	h->order = kvmalloc_array(h->n, sizeof(*h->order), GFP_KERNEL_ACCOUNT);
	if (!h->order)
		return -ENOMEM;
	for (i = 0; i < h->cap; i++)
		if (h->tab[i].held)
			h->order[n++] = &h->tab[i];
	sort(h->order, n, sizeof(*h->order), tws_held_netc_cmp, NULL);
	return 0;
}

/*
 * Count, for @only's namespace or for every one (NULL), the ports bind()
 * took and each destination's held ports.  0, or -ENOMEM with @h still
 * to be freed.
 */
int tws_held_collect(const struct net *only, struct tws_held *h)
{
	struct tws_held_walk w = { .h = h, .only = only, .net = only };
	int err;

	memset(h, 0, sizeof(*h));
	if (only)
		tws_port_span(only, &w.low, &w.last);
	/* The bind hash is one for all, whatever the established ones. */
	err = tws_bound_collect(h, tws_net_ehash(&init_net), only);
	if (err)
		return err;
	w.batch = kvmalloc_array(TWS_HELD_BATCH, sizeof(*w.batch),
				 GFP_KERNEL_ACCOUNT);
	if (!w.batch)
		return -ENOMEM;
	tws_each_ehash(only, tws_held_hash_walk, &w);
	kvfree(w.batch);
	return only ? 0 : tws_held_order(h);
}

u32 tws_held_of(const struct tws_held *h, u64 netc, const struct tws_dkey *k)
{
	if (!h->cap)
		return 0;
	return tws_held_slot(h->tab, h->cap, netc, k)->held;
}

/*
 * The destinations of namespace @netc holding the most ports, most
 * first, at most @max into @out; returns how many.
 */
unsigned int tws_held_top(const struct tws_held *h, u64 netc,
			  const struct tws_held_dest **out, unsigned int max)
{
	unsigned int i = 0, j, n = 0, lo = 0, hi = h->n, end = h->cap;

	/* Every namespace's: only the run of @netc's. */
	if (h->order) {
		while (lo < hi) {
			j = lo + (hi - lo) / 2;
			if (h->order[j]->netc < netc)
				lo = j + 1;
			else
				hi = j;
		}
		i = lo;
		end = h->n;
	}
	for (; i < end; i++) {
		const struct tws_held_dest *d = h->order ? h->order[i] :
							   &h->tab[i];

		if (h->order && d->netc != netc)
			break;
		if (!d->held || d->netc != netc)
			continue;
		if (n == max && d->held <= out[n - 1]->held)
			continue;
		j = n < max ? n++ : n - 1;
		for (; j && out[j - 1]->held < d->held; j--)
			out[j] = out[j - 1];
		out[j] = d;
	}
	return n;
}

/* How many of the ports in [@low, @last] of @net bind() took. */
unsigned int tws_bound_in(const struct tws_held *h, const struct net *net,
			  int low, int last)
{
	unsigned int lo = 0, hi = h->nbound, mid, n = 0;
	u64 netc = tws_netc(net);

	/* Sorted by namespace: only @net's run is read. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->bound[mid].netc < netc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < h->nbound && h->bound[lo].netc == netc; lo++)
		n += h->bound[lo].port >= low && h->bound[lo].port <= last &&
		     !inet_is_local_reserved_port((struct net *)net,
						  h->bound[lo].port);
	return n;
}

void tws_held_free(struct tws_held *h)
{
	kvfree(h->order);
	kvfree(h->tab);
	kvfree(h->bound);
	memset(h, 0, sizeof(*h));
}
