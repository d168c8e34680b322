/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels tw_stats supports lives here, so
 * that the .c files read the same on all of them.  Differences are named
 * for what they mean (TWS_HAVE_*), never tested by version in the logic.
 *
 * Supported: 6.1 LTS, 6.12 LTS and 7.x, as Debian ships them.
 */
#ifndef _TWS_COMPAT_H
#define _TWS_COMPAT_H

#include <linux/version.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "tw_stats supports Linux 6.1 and later"
#endif

/*
 * 6.11 folded the timer arming into the hash insertion:
 * inet_twsk_hashdance_schedule(tw, sk, hashinfo, timeo) replaced
 * inet_twsk_hashdance(tw, sk, hashinfo), which ran after the timer was
 * armed.  Either way its entry sees a complete minisocket that nobody
 * else can reach yet.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define TWS_HAVE_HASHDANCE_SCHEDULE	1
#define TWS_HASHDANCE_SYMBOL		"inet_twsk_hashdance_schedule"
#else
#define TWS_HAVE_HASHDANCE_SCHEDULE	0
#define TWS_HASHDANCE_SYMBOL		"inet_twsk_hashdance"
#endif

/*
 * tcp_twsk_unique() refuses FIN_WAIT2 minisockets since 6.12, and in the
 * 6.1 stable series since 6.1.158.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 158) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0))
#define TWS_FW2_NEVER_REUSED		1
#else
#define TWS_FW2_NEVER_REUSED		0
#endif

/*
 * 6.14 replaced the "a later second than the peer's last timestamp" age
 * rule with net.ipv4.tcp_tw_reuse_delay milliseconds after entry.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#define TWS_HAVE_REUSE_DELAY		1
#else
#define TWS_HAVE_REUSE_DELAY		0
#endif

/* The established hash a namespace's TCP sockets live in. */
static inline struct inet_hashinfo *tws_net_ehash(const struct net *net)
{
	return net->ipv4.tcp_death_row.hashinfo;
}

/*
 * 6.18 dropped the hashinfo argument of the listener lookups ("tcp: Don't
 * pass hashinfo to socket lookup helpers"): they use the namespace's.
 * @laddr/@lport are the local end, @raddr/@rport the peer; no packet.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
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
	return READ_ONCE(net->ipv4.tcp_death_row.sysctl_max_tw_buckets);
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
