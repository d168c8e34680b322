// SPDX-License-Identifier: GPL-2.0
/*
 * connect() refused for want of a local port, which the kernel counts
 * nowhere.
 *
 * tcp_v4_connect() and tcp_v6_connect() move the socket to SYN_SENT, then
 * ask inet_hash_connect() for a port; when it finds none they move it
 * back to CLOSE and return EADDRNOTAVAIL.  That move, SYN_SENT to CLOSE
 * with no source port, happens nowhere else: every later failure (an
 * RST, a timeout) has its port by then, and a socket bound by bind() has
 * one from the start.  inet_num cannot tell: the move to CLOSE releases
 * the port before the tracepoint fires; inet_sport stays.  It stays after
 * a failure too, so a socket that got a port, failed, and is connected
 * again is not seen if the second search finds none (new sockets are).
 * The only other error of the port search is ENOMEM for a bind bucket,
 * which is a port not had all the same.
 *
 * The hook is the inet_sock_set_state tracepoint, which every TCP state
 * change passes: a tracepoint costs a call where a kprobe costs a trap or
 * an ftrace trampoline, and a kretprobe on inet_hash_connect() would cost
 * both ways on every connect().  It is not exported to modules, so it is
 * found by name.  The handler returns at its first test for anything but
 * that move.  For the move, in the caller's context, it copies what it
 * saw into its CPU's ring, as the minisocket probes do; the drain hands
 * it to the caller's namespace (table.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irq_work.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/tcp_states.h>

#include "compat.h"
#include "tw_stats.h"

/*
 * Failures a CPU may log between two drains.  A refused connect() has
 * searched the whole port range first, so a CPU makes a few thousand a
 * second at most; the drain is kicked at a quarter full.
 */
#define TWS_FAILS	256

struct tws_fail_ring {
	u32 head;			/* its CPU's */
	u64 dropped;			/* its CPU's */
	u32 tail ____cacheline_aligned;	/* the drain's */
	struct tws_fail f[TWS_FAILS] ____cacheline_aligned;
};

static DEFINE_PER_CPU(struct tws_fail_ring *, tws_fail_rings);
static struct tracepoint *tws_tp;

static void tws_state(void *data, const struct sock *sk, const int oldstate,
		      const int newstate)
{
	struct tws_fail_ring *r;
	unsigned long flags;
	struct tws_fail *f;
	u32 head, used;

	if (oldstate != TCP_SYN_SENT || newstate != TCP_CLOSE ||
	    sk->sk_protocol != IPPROTO_TCP || inet_sk(sk)->inet_sport)
		return;
	/* Only connect() gets here, but an interrupt must not share a slot. */
	local_irq_save(flags);
	r = this_cpu_read(tws_fail_rings);
	head = r->head;
	/* Pairs with the drain's release: its slots are copied out. */
	used = head - smp_load_acquire(&r->tail);
	if (used >= TWS_FAILS) {
		r->dropped++;
		local_irq_restore(flags);
		return;
	}
	f = &r->f[head % TWS_FAILS];
	f->netc = tws_netc(sock_net(sk));
	f->time = ktime_get_real_ns();
	f->pid = get_pid(task_tgid(current));
	f->count = 1;
	tws_sk_dkey(&f->dkey, sk);
	strscpy_pad(f->comm, current->comm, sizeof(f->comm));
	/* Pairs with the drain's acquire: the slot is written. */
	smp_store_release(&r->head, head + 1);
	if (used + 1 == TWS_FAILS / 4)
		tws_kick_drain();
	local_irq_restore(flags);
}

/* Hand every CPU's failures to their namespaces; tws_lock() is held. */
void tws_fails_drain(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct tws_fail_ring *r = per_cpu(tws_fail_rings, cpu);
		/* Pairs with tws_state()'s release. */
		u32 tail = r->tail, head = smp_load_acquire(&r->head);

		for (; tail != head; tail++)
			tws_apply_fail(&r->f[tail % TWS_FAILS]);
		/* Applied, their pids taken over: the CPU may fill them. */
		smp_store_release(&r->tail, tail);
	}
}

u64 tws_fails_dropped(void)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(tws_fail_rings, cpu)->dropped);
	return sum;
}

u64 tws_fails_memory(void)
{
	return num_possible_cpus() * (u64)sizeof(struct tws_fail_ring);
}

static void tws_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "inet_sock_set_state"))
		tws_tp = tp;
}

int tws_fails_register(void)
{
	int err;

	tws_tp = NULL;
	for_each_kernel_tracepoint(tws_find_tp, NULL);
	if (!tws_tp) {
		pr_err("no inet_sock_set_state tracepoint; this kernel is not supported\n");
		return -ENOENT;
	}
	err = tracepoint_probe_register(tws_tp, tws_state, NULL);
	if (err)
		pr_err("cannot attach to inet_sock_set_state: error %d\n", err);
	else
		pr_info("attached to inet_sock_set_state\n");
	return err;
}

/* After this, no handler runs or will: the rings are the drain's. */
void tws_fails_unregister(void)
{
	tracepoint_probe_unregister(tws_tp, tws_state, NULL);
	tracepoint_synchronize_unregister();
}

int tws_fails_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct tws_fail_ring *r = kvzalloc_node(sizeof(*r), GFP_KERNEL,
							cpu_to_node(cpu));

		if (!r) {
			tws_fails_exit();
			return -ENOMEM;
		}
		per_cpu(tws_fail_rings, cpu) = r;
	}
	return 0;
}

/* Failures never drained still hold their pids. */
void tws_fails_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct tws_fail_ring *r = per_cpu(tws_fail_rings, cpu);

		if (!r)
			continue;
		for (; r->tail != r->head; r->tail++)
			put_pid(r->f[r->tail % TWS_FAILS].pid);
		kvfree(r);
		per_cpu(tws_fail_rings, cpu) = NULL;
	}
}
