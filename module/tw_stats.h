/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of tw_stats share.  Data flows one way:
 *
 *   probes.c, walk.c  ->  table.c  ->  proc.c
 *
 * The probes and the load-time walk only decode a minisocket into a
 * struct tws_snap and hand it to the table; the table owns every lock;
 * /proc readers copy out of the table and format without locks held.
 */
#ifndef _TWS_TW_STATS_H
#define _TWS_TW_STATS_H

#include <linux/in6.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <net/inet_timewait_sock.h>

/* A destination: what connect() picks local ports for. */
struct tws_dkey {
	struct in6_addr saddr;		/* IPv4 as ::ffff:a.b.c.d */
	struct in6_addr daddr;
	__be16 dport;
	u16 family;			/* tw_family: AF_INET or AF_INET6 */
};

/*
 * Which side of its connection a minisocket is on, decided at birth:
 * tcp_tw_reuse can only ever help the connecting side.
 */
enum tws_role {
	TWS_ROLE_CLIENT,		/* ephemeral local port, no listener */
	TWS_ROLE_SERVER,		/* a listener had its local port */
	TWS_ROLE_OTHER,			/* neither: bound outside the range */
	TWS_ROLE_MAX
};

/* How a minisocket ended: the order of the ended_* lines. */
enum tws_cause {
	TWS_END_TIMER,			/* its timeout expired */
	TWS_END_REUSE,			/* taken over by connect() */
	TWS_END_SYN,			/* reopened by the peer's SYN */
	TWS_END_RST,			/* killed by an incoming RST */
	TWS_END_PURGE,			/* its namespace died */
	TWS_END_OTHER,			/* none of these */
	TWS_END_MAX
};

/*
 * Lifetimes of ended minisockets, by powers of two in milliseconds:
 * bucket 0 holds 0 ms, bucket b holds [2^(b-1), 2^b), the last all longer.
 */
#define TWS_LIFE_BUCKETS	19

/* What a minisocket looks like to us, read while it is safe to read. */
struct tws_snap {
	struct net *net;
	const void *key;		/* identity only, never dereferenced */
	struct tws_dkey dkey;
	unsigned long expires;		/* jiffies */
	unsigned long born;		/* jiffies */
	int ts_stamp;			/* tw_ts_recent_stamp, seconds */
	u32 entry_ms;			/* tw_entry_stamp (6.14+), else 0 */
	u16 lport;
	u8 substate;			/* TCP_TIME_WAIT or TCP_FIN_WAIT2 */
	u8 loopback;			/* what tcp_tw_reuse=2 accepts */
	u8 role;			/* enum tws_role */
	u8 v6;				/* a tcpv6_prot minisocket */
};

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

/* Per CPU and namespace; also what a dead namespace leaves behind. */
struct tws_counters {
	u64 entered;
	u64 ended[TWS_END_MAX];
	u64 untracked;
	u64 rearmed;			/* timer restarted in TIME_WAIT */
	u64 fw2_to_tw;			/* FIN_WAIT2 -> TIME_WAIT */
	u64 v6;				/* live tcpv6_prot ones (may wrap) */
	u64 overflow;			/* only in tws_departed */
};

/* Lifetimes of the tracked minisockets that ended, by cause. */
struct tws_lifetimes {
	u64 n[TWS_END_MAX][TWS_LIFE_BUCKETS];
};

/* Per network namespace, from net_generic(). */
struct tws_net {
	spinlock_t lock;		/* dests, ranks, agg */
	bool dead;			/* namespace exiting: track nothing */
	struct list_head ranks;		/* struct tws_rank, highest first */
	struct list_head spare;		/* unused struct tws_rank */
	struct tws_agg agg;
	struct tws_lifetimes life;	/* under lock */
	unsigned long overflow_base;	/* TCPTimeWaitOverflow at init */
	struct tws_counters __percpu *pc;
};

/* Scope of one reader. */
enum tws_scope {
	TWS_SCOPE_OWN,			/* the reader's namespace */
	TWS_SCOPE_ALL,			/* every namespace */
};

/* One row of /proc/tw_sockets, copied out under the bucket lock. */
struct tws_row {
	struct tws_dkey dkey;
	unsigned int netns;		/* inode number of the namespace */
	unsigned long expires;
	unsigned long born;
	unsigned int rearms;
	u16 lport;
	u8 substate;
	u8 eligible;
	u8 role;
};

/* One destination line of /proc/tw_stats. */
struct tws_top {
	struct tws_dkey dkey;
	unsigned int count;
	unsigned int eligible;
	unsigned int in_range;
};

/* A namespace's numbers for /proc/tw_stats. */
struct tws_summary {
	struct tws_counters sum;
	struct tws_lifetimes life;
	u64 tw_memory, table_memory;	/* bytes */
	unsigned int role[TWS_ROLE_MAX];
	unsigned int fw2;
	unsigned int eligible;
	int port_low, port_high;
	unsigned int ports_reserved;	/* in the part connect() uses */
	unsigned int ports_usable;
	int reuse, timestamps, max_tw_buckets;
	unsigned int reuse_delay_ms;
	unsigned int ntop;
	struct tws_top top[10];
};

extern unsigned int tws_max_entries;
extern bool tws_loading;

/* main.c */
struct tws_net *tws_pernet(const struct net *net);

/* table.c */
int tws_table_init(unsigned int max_entries);
void tws_table_exit(void);
int tws_net_init(struct net *net, struct tws_net *tn);
void tws_net_exit(struct net *net, struct tws_net *tn);
void tws_snap_tw(struct tws_snap *s, const struct inet_timewait_sock *tw);
int tws_insert(const struct tws_snap *s, bool dedup);
u8 tws_role(const struct inet_timewait_sock *tw);
void tws_rearm(const struct inet_timewait_sock *tw, unsigned long expires);
void tws_refresh(const struct inet_timewait_sock *tw);
void tws_end(const struct inet_timewait_sock *tw, enum tws_cause cause);
bool tws_drop_ghost(const struct inet_timewait_sock *tw);
void tws_walk_done(void);
u64 tws_live(const struct tws_counters *c);
unsigned int tws_rows(unsigned int bucket, unsigned int skip,
		      const struct net *only, struct tws_row *rows,
		      unsigned int max);
unsigned int tws_buckets(void);
void tws_summarize(struct net *net, struct tws_summary *out);
unsigned int tws_departed(struct tws_counters *sum,
			  struct tws_lifetimes *life);

/* walk.c */
int tws_walk_existing(void);

/* probes.c */
int tws_probes_register(void);
void tws_probes_unregister(void);

/* proc.c */
int tws_proc_init(void);
void tws_proc_exit(void);

#endif /* _TWS_TW_STATS_H */
