/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels tw_stats supports lives here, so
 * that the .c files read the same on all of them.  Differences are named
 * for what they mean (TWS_HAVE_*), never tested by version in the logic.
 * Where the headers show a feature, Kbuild finds it there (TWS_HAS_*:
 * a function, a field, an export), so that a kernel between two tested
 * ones takes the right branch; a version is tested only for what lives in
 * the kernel's .c files (a behaviour, a backport).
 *
 * Tested: 5.10 (Debian 11), 6.1 LTS, 6.12 LTS and 7.x, as Debian ships
 * them.  Expected to build: anything from 5.10 on.
 */
#ifndef _TWS_COMPAT_H
#define _TWS_COMPAT_H

#include <linux/memcontrol.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/version.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "tw_stats supports Linux 5.10 and later"
#endif

/*
 * 6.11 folded the timer arming into the hash insertion:
 * inet_twsk_hashdance_schedule(tw, sk, hashinfo, timeo) replaced
 * inet_twsk_hashdance(tw, sk, hashinfo), which ran after the timer was
 * armed.  Either way its entry sees a complete minisocket that nobody
 * else can reach yet.
 */
#ifdef TWS_HAS_HASHDANCE_SCHEDULE
#define TWS_HAVE_HASHDANCE_SCHEDULE	1
#define TWS_HASHDANCE_SYMBOL		"inet_twsk_hashdance_schedule"
#else
#define TWS_HAVE_HASHDANCE_SCHEDULE	0
#define TWS_HASHDANCE_SYMBOL		"inet_twsk_hashdance"
#endif

/*
 * tcp_twsk_unique() refuses FIN_WAIT2 minisockets ("tcp: avoid reusing
 * FIN_WAIT2 when trying to find port in connect() process") since 6.12,
 * in the stable series since 6.1.113 and 5.10.227 (Debian's changelogs:
 * bullseye's 5.10.223 has it not, bullseye-security's 5.10.262 has).
 * Its body is not in the headers: by version.  LINUX_VERSION_CODE caps
 * the sublevel at 255, which still compares right here.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 113) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(5, 10, 227) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0))
#define TWS_FW2_NEVER_REUSED		1
#else
#define TWS_FW2_NEVER_REUSED		0
#endif

/*
 * 6.14 replaced the "a later second than the peer's last timestamp" age
 * rule with net.ipv4.tcp_tw_reuse_delay milliseconds after entry.
 */
#ifdef TWS_HAS_REUSE_DELAY
#define TWS_HAVE_REUSE_DELAY		1
#else
#define TWS_HAVE_REUSE_DELAY		0
#endif

/*
 * A namespace's TIME_WAIT bookkeeping: embedded in struct netns_ipv4,
 * except in 5.17 to 6.0, which pointed to it.
 */
#ifdef TWS_HAS_DEATH_ROW_POINTER
#define tws_death_row(net)	((net)->ipv4.tcp_death_row)
#else
#define tws_death_row(net)	(&(net)->ipv4.tcp_death_row)
#endif

/* The established hash a namespace's TCP sockets live in. */
static inline struct inet_hashinfo *tws_net_ehash(const struct net *net)
{
	return tws_death_row(net)->hashinfo;
}

/*
 * The kernel's own count of a namespace's minisockets, both families and
 * substates (sockstat's tw): a refcount that starts at 1 on newer
 * kernels, an atomic_t from 0 on 5.10.
 */
static inline unsigned int tws_kernel_tw_count(const struct net *net)
{
#ifdef TWS_HAS_TW_REFCOUNT
	unsigned int n = refcount_read(&tws_death_row(net)->tw_refcount);

	return n ? n - 1 : 0;
#else
	return atomic_read(&tws_death_row(net)->tw_count);
#endif
}

/*
 * Allocations charged to a memory cgroup, from process context only.
 * set_active_memcg() writes a per-CPU variable that 5.10 does not
 * export; in a task, all it does is what the fallback does.
 */
static inline struct mem_cgroup *tws_set_memcg(struct mem_cgroup *memcg)
{
#if defined(TWS_HAS_ACTIVE_MEMCG_EXPORT)
	return set_active_memcg(memcg);
#elif defined(CONFIG_MEMCG)
	struct mem_cgroup *old = current->active_memcg;

	current->active_memcg = memcg;
	return old;
#else
	return NULL;
#endif
}

/*
 * 6.18 dropped the hashinfo argument of the listener lookups ("tcp: Don't
 * pass hashinfo to socket lookup helpers"): they use the namespace's.
 * Kbuild reads which in the header.
 * @laddr/@lport are the local end, @raddr/@rport the peer; no packet.
 */
#ifndef TWS_HAS_LOOKUP_HASHINFO
static inline bool tws_listener4(struct net *net, __be32 laddr, u16 lport,
				 __be32 raddr, __be16 rport, int dif)
{
	return __inet_lookup_listener(net, NULL, 0, raddr, rport, laddr, lport,
				      dif, 0);
}

#if IS_ENABLED(CONFIG_IPV6)
static inline bool tws_listener6(struct net *net,
				 const struct in6_addr *laddr, u16 lport,
				 const struct in6_addr *raddr, __be16 rport,
				 int dif)
{
	return inet6_lookup_listener(net, NULL, 0, raddr, rport, laddr, lport,
				     dif, 0);
}
#endif
#else
static inline bool tws_listener4(struct net *net, __be32 laddr, u16 lport,
				 __be32 raddr, __be16 rport, int dif)
{
	return __inet_lookup_listener(net, tws_net_ehash(net), NULL, 0, raddr,
				      rport, laddr, lport, dif, 0);
}

#if IS_ENABLED(CONFIG_IPV6)
static inline bool tws_listener6(struct net *net,
				 const struct in6_addr *laddr, u16 lport,
				 const struct in6_addr *raddr, __be16 rport,
				 int dif)
{
	return inet6_lookup_listener(net, tws_net_ehash(net), NULL, 0, raddr,
				     rport, laddr, lport, dif, 0);
}
#endif
#endif

static inline int tws_max_tw_buckets(const struct net *net)
{
	return READ_ONCE(tws_death_row(net)->sysctl_max_tw_buckets);
}

static inline int tws_sysctl_tw_reuse(const struct net *net)
{
	return READ_ONCE(net->ipv4.sysctl_tcp_tw_reuse);
}

static inline int tws_sysctl_timestamps(const struct net *net)
{
	return READ_ONCE(net->ipv4.sysctl_tcp_timestamps);
}

#if TWS_HAVE_REUSE_DELAY
static inline unsigned int tws_reuse_delay_ms(const struct net *net)
{
	return READ_ONCE(net->ipv4.sysctl_tcp_tw_reuse_delay);
}

/* tcp_clock_ms() at entry, and again at the move FIN_WAIT2 -> TIME_WAIT. */
static inline u32 tws_tw_entry_ms(const struct inet_timewait_sock *tw)
{
	return READ_ONCE(tw->tw_entry_stamp);
}

static inline u32 tws_now_ms(void)
{
	return tcp_clock_ms();
}
#else
static inline unsigned int tws_reuse_delay_ms(const struct net *net)
{
	return 0;
}

static inline u32 tws_tw_entry_ms(const struct inet_timewait_sock *tw)
{
	return 0;
}

static inline u32 tws_now_ms(void)
{
	return 0;
}
#endif

/*
 * Timer expiry of a minisocket at the hash insertion: passed as timeo on
 * kernels that arm the timer inside it, already armed on older ones.
 */
static inline unsigned long tws_hashdance_expires(struct pt_regs *regs,
					const struct inet_timewait_sock *tw)
{
#if TWS_HAVE_HASHDANCE_SCHEDULE
	return jiffies + (int)regs_get_kernel_argument(regs, 3);
#else
	return READ_ONCE(tw->tw_timer.expires);
#endif
}

#endif /* _TWS_COMPAT_H */
