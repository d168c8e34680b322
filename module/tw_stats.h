/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of tw_stats share.  Data flows one way:
 *
 *   probes.c    ->  events.c  ->  table.c  ->  proc.c
 *   failures.c  ->
 *                   walk.c    ->
 *                   held.c    ->
 *
 * The probes only copy what they see of a minisocket into an event on
 * their CPU's ring (events.c), and the connect() failure hook its
 * failures into rings of its own (failures.c); the rings are drained, in
 * process context, into the table (table.c), which the load-time and
 * repair walks of the kernel's own hash (walk.c) feed too.  A read of
 * /proc/tw_stats first counts who holds the ports from the kernel's
 * hashes (held.c); /proc readers (proc.c) copy out of the table, with
 * that count, and format.  table.c owns the one lock, a mutex the close
 * path never takes.
 */
#ifndef _TWS_TW_STATS_H
#define _TWS_TW_STATS_H

#include <linux/in6.h>
#include <linux/sched.h>
#include <net/ipv6.h>
#include <linux/types.h>
#include <net/inet_timewait_sock.h>

struct pid;
struct pid_namespace;

/* A destination: what connect() picks local ports for. */
struct tws_dkey {
	struct in6_addr saddr;		/* IPv4 as ::ffff:a.b.c.d */
	struct in6_addr daddr;
	__be16 dport;
	u16 family;			/* tw_family: AF_INET or AF_INET6 */
};

/*
 * Which side of its connection a minisocket is on, decided when the
 * module first learns of it: tcp_tw_reuse can only ever help the
 * connecting side.
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

enum tws_ev_type {
	TWS_EV_BORN,			/* hashed: a new minisocket */
	TWS_EV_REARM,			/* a segment restarted its timer */
	TWS_EV_KILL,			/* inet_twsk_kill(): gone */
	TWS_EV_SEEN,			/* the walk found it in the hash */
};

#define TWS_EVF_FW2	0x01		/* substate FIN_WAIT2 */
#define TWS_EVF_TS	0x02		/* the peer sent timestamps */
#define TWS_EVF_LOOP	0x04		/* what tcp_tw_reuse=2 accepts */
#define TWS_EVF_V6	0x08		/* a tcpv6_prot minisocket */
#define TWS_EVF_KEYONLY	0x10		/* SEEN: only the key could be read */
#define TWS_EVF_WAIT	0x20		/* to be applied at the next drain */
#define TWS_EVF_CARRIED	0x40		/* waited once already */
#define TWS_EVF_UNARMED	0x80		/* SEEN: its timer not pending */

/*
 * What a probe or the walk saw of a minisocket.  The minisocket itself
 * may be gone, or be another one, by the time the event is applied: its
 * address is only a key, never dereferenced after the event is made.
 */
struct tws_ev {
	u64 t;				/* local_clock(): the order across CPUs */
	const void *key;
	u64 netc;			/* tws_netc() of its namespace */
	u32 now;			/* jiffies */
	u32 expires;			/* jiffies: BORN, REARM, SEEN */
	u32 stamp;			/* what reuse ages from, see tws_stamp() */
	u8 type;			/* enum tws_ev_type */
	u8 cause;			/* KILL: enum tws_cause */
	u8 flags;			/* TWS_EVF_* */
	u8 role;			/* BORN: enum tws_role, else _MAX */
	int dif;			/* tw_bound_dev_if */
	struct tws_dkey dkey;		/* with lport and netc: who it is */
	u16 lport;
	u32 id;				/* the drain's: a hash of who it is */
};

/* Do @a and @b come from the same minisocket (not the same address)? */
static inline bool tws_ev_same(const struct tws_ev *a, const struct tws_ev *b)
{
	return a->netc == b->netc && a->lport == b->lport &&
	       a->dkey.dport == b->dkey.dport &&
	       a->dkey.family == b->dkey.family &&
	       ipv6_addr_equal(&a->dkey.saddr, &b->dkey.saddr) &&
	       ipv6_addr_equal(&a->dkey.daddr, &b->dkey.daddr);
}

/*
 * A connect() refused for want of a local port (failures.c): where to,
 * who, when; in the per-CPU rings, then in its namespace's log.
 */
struct tws_fail {
	u64 netc;			/* tws_netc() of its namespace */
	u64 time;			/* ns since the epoch, the latest */
	struct pid *pid;		/* the caller's thread group, held */
	struct tws_dkey dkey;		/* local address, remote address:port */
	u32 count;			/* in a row, same caller and address */
	char comm[TASK_COMM_LEN];
};

/* The failures a namespace keeps, latest last. */
#define TWS_FAIL_LOG	32

/* One row of /proc/tw_failures. */
struct tws_fail_row {
	struct tws_dkey dkey;
	u64 time;
	u32 count;
	pid_t pid;			/* in the reader's pid namespace */
	char comm[TASK_COMM_LEN];
};

/* A namespace's rows. */
struct tws_fail_view {
	unsigned int netns;		/* inode number */
	unsigned int n;
	struct tws_fail_row rows[TWS_FAIL_LOG];
};

/* One destination of a read's count of the ports held (held.c). */
struct tws_held_dest {
	u64 netc;
	struct tws_dkey key;
	u32 held;			/* 0: a free slot */
};

struct tws_bound;

/* One read's count: built, read under the table's mutex, freed. */
struct tws_held {
	struct tws_held_dest *tab;	/* open-addressed */
	unsigned int cap, n;
	struct tws_held_dest **order;	/* every namespace's: by cookie */
	struct tws_bound *bound;	/* ports bind() took, sorted */
	unsigned int nbound, bound_cap;
	u64 left_out;			/* sockets of destinations beyond */
	bool full;			/* the table could not grow */
};

/* Scope of one reader. */
enum tws_scope {
	TWS_SCOPE_OWN,			/* the reader's namespace */
	TWS_SCOPE_ALL,			/* every namespace */
};

/* One row of /proc/tw_sockets. */
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

/* The destination lines of /proc/tw_stats. */
#define TWS_TOP		10

struct tws_top {
	struct tws_dkey dkey;
	unsigned int count;
	unsigned int eligible;
	unsigned int in_range;
	unsigned int held;		/* usable ports, any state */
	u64 failed;			/* connect()s refused since load */
};

/* Counts since load; what a dead namespace leaves behind. */
struct tws_counters {
	u64 entered;
	u64 ended[TWS_END_MAX];
	u64 untracked;
	u64 rearmed;			/* timer restarted in TIME_WAIT */
	u64 fw2_to_tw;			/* FIN_WAIT2 -> TIME_WAIT */
	u64 overflow;			/* TcpExtTCPTimeWaitOverflow */
	u64 reconciled;			/* corrections from the kernel's hash */
	u64 connect_failed;		/* refused: no local port */
};

/* Lifetimes of the tracked minisockets that ended, by cause. */
struct tws_lifetimes {
	u64 n[TWS_END_MAX][TWS_LIFE_BUCKETS];
};

/* A namespace's numbers for /proc/tw_stats. */
struct tws_summary {
	struct tws_counters sum;
	struct tws_lifetimes life;
	u64 live;			/* minisockets: entered - ended */
	u64 tw_memory, table_memory;	/* bytes */
	u64 probe_missed, events_dropped, fails_dropped;
	unsigned int netns;		/* inode number */
	unsigned int role[TWS_ROLE_MAX];
	unsigned int fw2;
	unsigned int eligible;
	int port_low, port_high;
	unsigned int ports_reserved;	/* in the part connect() uses */
	unsigned int ports_bound;	/* bind()'s, in it, not reserved */
	unsigned int ports_usable;
	unsigned int held_max;		/* of the destination holding most */
	u64 held_left_out;		/* sockets of destinations not counted */
	int reuse, timestamps, max_tw_buckets;
	unsigned int reuse_delay_ms;
	unsigned int ntop;
	struct tws_top top[2 * TWS_TOP];	/* candidates, then TWS_TOP */
};

/* The limits, from the module parameters. */
struct tws_limits {
	unsigned int max_entries;	/* all namespaces */
	unsigned int netns_max_entries;	/* each; kept for the initial one */
};

struct tws_net;

/* table.c: every call but the init/exit ones needs tws_lock() held */
int tws_table_init(const struct tws_limits *lim);
void tws_table_exit(void);
void tws_lock(void);
void tws_unlock(void);
int tws_net_add(struct net *net);
void tws_net_del(struct net *net);
struct tws_net *tws_net_find(u64 netc);
/* main.c: a namespace's key in events and the table. */
u64 tws_netc(const struct net *net);
void tws_apply_seen(const struct tws_ev *ev, bool loading);
void tws_apply_key(struct tws_ev **g, unsigned int m, unsigned int *cls);
void tws_apply_timer_end(u64 netc, const void *key, u32 now, bool v6);
void tws_apply_lost_births(u64 netc, u32 n, u32 v6);
void tws_reconcile_begin(void);
void tws_reconcile_end(bool loading);
bool tws_dirty(void);
bool tws_any_v6(const struct net *only);
unsigned int tws_rows(unsigned int bucket, unsigned int skip,
		      const struct net *only, struct tws_row *rows,
		      unsigned int max);
unsigned int tws_buckets(void);
bool tws_summarize(const struct net *net, struct tws_net **cursor,
		   const struct tws_held *h, struct tws_summary *out);
unsigned int tws_departed(struct tws_counters *sum,
			  struct tws_lifetimes *life);
void tws_apply_fail(struct tws_fail *f);
bool tws_fail_log(const struct net *net, struct tws_net **cursor,
		  struct pid_namespace *pidns, struct tws_fail_view *out);
u64 tws_table_memory(void);
u64 tws_ended(const struct tws_counters *c);

/* events.c */
int tws_events_init(void);
void tws_events_exit(void);
void tws_events_start(void);
void tws_events_stop(void);
void tws_push(const struct tws_ev *ev);
void tws_sync(bool reader);
u64 tws_events_dropped(void);
u64 tws_events_memory(void);
void tws_kick_drain(void);
void tws_lost_apply(void);

/* held.c */
int tws_held_collect(const struct net *only, struct tws_held *h);
void tws_held_free(struct tws_held *h);
u32 tws_held_of(const struct tws_held *h, u64 netc, const struct tws_dkey *k);
unsigned int tws_held_top(const struct tws_held *h, u64 netc,
			  const struct tws_held_dest **out, unsigned int max);
unsigned int tws_bound_in(const struct tws_held *h, const struct net *net,
			  int low, int last);
void tws_port_span(const struct net *net, int *low, int *last);
bool tws_port_usable(const struct tws_held *h, const struct net *net,
		     int low, int last, int port);

/* failures.c */
int tws_fails_init(void);
void tws_fails_exit(void);
int tws_fails_register(void);
void tws_fails_unregister(void);
void tws_fails_drain(void);
u64 tws_fails_dropped(void);
u64 tws_fails_memory(void);

/* walk.c */
unsigned int tws_walk(bool loading, void (*drain)(void));
void tws_each_ehash(const struct net *only,
		    void (*fn)(struct inet_hashinfo *h, void *arg), void *arg);
bool tws_is_tcp(const struct inet_timewait_sock *tw);
bool tws_is_v6(const struct inet_timewait_sock *tw);
void tws_snap(struct tws_ev *ev, const struct inet_timewait_sock *tw);
void tws_sk_dkey(struct tws_dkey *k, const struct sock *sk);
u8 tws_role(struct net *net, const struct tws_ev *ev);
u8 tws_birth_role(struct net *net, const struct sock *sk,
		  const struct tws_ev *ev);

/* probes.c */
int tws_probes_register(void);
void tws_probes_unregister(void);
u64 tws_probes_missed(void);

/* proc.c */
int tws_proc_init(void);
void tws_proc_exit(void);

#endif /* _TWS_TW_STATS_H */
