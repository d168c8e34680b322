// SPDX-License-Identifier: GPL-2.0
/*
 * The probe points that follow a TCP minisocket through its life:
 *
 *   hash insertion (inet_twsk_hashdance[_schedule])  born
 *   __inet_twsk_schedule(rearm=true)                 a segment re-armed it
 *   inet_twsk_kill()                                 gone
 *
 * and two that only say why the next kill happens, when a segment or a
 * connect() rather than the timer ends a minisocket:
 *
 *   tcp_timewait_state_process()    a segment arrived: an RST kills it
 *                                   there, a SYN right after (TCP_TW_SYN)
 *   tcp_twsk_unique()               connect() may take it over
 *
 * each sets a per-CPU mark naming the minisocket and the cause; the kill
 * takes the mark if it names the same minisocket and no other hit of our
 * probes came between on that CPU.  The kill follows its decision within
 * the same softirq or system call, with no other of our probe points on
 * the way, however long a busy CPU takes (a jiffy limit failed under
 * emulation); and a mark left by a segment that did not kill is not
 * inherited by a later end that sets none, such as `ss -K`, once any
 * other minisocket event happened on that CPU.  Without a mark, a kill
 * whose timer is due is the timer's: no probe on the timer handler is
 * needed.  A namespace's purge comes after our pernet exit
 * has counted it (table.c).
 *
 * tcp_time_wait() itself is not probed: at its entry there is no
 * minisocket yet.  The hash insertion is the first point where the
 * minisocket is complete and still unreachable by anyone who could kill
 * it, so its birth is always logged before its end.
 *
 * Handlers copy what they see into an event on their CPU's ring
 * (events.c) and return: no lock, no allocation, nothing shared with
 * another CPU.  Only the exact symbols are probed: a compiler clone
 * (.isra.0, .constprop.0) may pass its arguments differently, so a
 * kernel that has only a clone is refused at load, with the symbol named.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "tw_stats.h"

struct tws_mark {
	const void *tw;
	unsigned long at;		/* hits when the mark was set */
	unsigned long hits;		/* of our probes on this CPU */
	enum tws_cause cause;
};

static DEFINE_PER_CPU(struct tws_mark, tws_marks);

static void *tws_arg(struct pt_regs *regs, unsigned int n)
{
	return (void *)regs_get_kernel_argument(regs, n);
}

/* Every handler counts its hit first: a mark is good for the next one. */
static struct tws_mark *tws_hit(void)
{
	struct tws_mark *m = this_cpu_ptr(&tws_marks);

	m->hits++;
	return m;
}

static void tws_mark(const void *tw, enum tws_cause cause)
{
	struct tws_mark *m = tws_hit();

	m->tw = tw;
	m->at = m->hits;
	m->cause = cause;
}

static int tws_born(struct kprobe *p, struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = tws_arg(regs, 0);
	const struct sock *sk = tws_arg(regs, 1);
	struct tws_ev ev;

	tws_hit();
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	tws_snap(&ev, tw);
	ev.type = TWS_EV_BORN;
	ev.expires = tws_hashdance_expires(regs, tw);
	ev.role = tws_birth_role(twsk_net(tw), sk, &ev);
	tws_push(&ev);
	return 0;
}

static int tws_rearmed(struct kprobe *p, struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = tws_arg(regs, 0);
	int timeo = (int)regs_get_kernel_argument(regs, 1);
	struct tws_ev ev;

	tws_hit();
	if (!(regs_get_kernel_argument(regs, 2) & 0xff) || !tws_is_tcp(tw))
		return 0;
	tws_snap(&ev, tw);
	ev.type = TWS_EV_REARM;
	ev.expires = jiffies + timeo;
	tws_push(&ev);
	return 0;
}

/*
 * A segment for a minisocket.  Only an RST kills it in here; a SYN to a
 * TIME_WAIT one may reopen it (TCP_TW_SYN); what else kills it is a SYN
 * or data in FIN_WAIT2, answered by our RST (TCP_TW_RST): "other".
 */
static int tws_segment(struct kprobe *p, struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = tws_arg(regs, 0);
	const struct tcphdr *th = tws_arg(regs, 2);
	enum tws_cause cause = TWS_END_OTHER;

	if (th->rst)
		cause = TWS_END_RST;
	else if (th->syn && READ_ONCE(tw->tw_substate) == TCP_TIME_WAIT)
		cause = TWS_END_SYN;
	tws_mark(tw, cause);
	return 0;
}

static int tws_unique(struct kprobe *p, struct pt_regs *regs)
{
	tws_mark(tws_arg(regs, 1), TWS_END_REUSE);
	return 0;
}

static int tws_killed(struct kprobe *p, struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = tws_arg(regs, 0);
	struct tws_mark *m = tws_hit();
	struct tws_ev ev;

	if (!tws_is_tcp(tw))
		return 0;
	tws_snap(&ev, tw);
	ev.type = TWS_EV_KILL;
	if (m->tw == tw && m->at == m->hits - 1)
		ev.cause = m->cause;
	else if (time_after_eq(jiffies, READ_ONCE(tw->tw_timer.expires)))
		ev.cause = TWS_END_TIMER;
	else
		ev.cause = TWS_END_OTHER;
	m->tw = NULL;
	tws_push(&ev);
	return 0;
}

/*
 * Armed in this order and disarmed all at once: births last, so that
 * every minisocket whose birth is logged has its re-arms and its end
 * logged too; those born before are the load-time walk's.
 */
static struct kprobe tws_kps[] = {
	{
		.symbol_name	= "__inet_twsk_schedule",
		.pre_handler	= tws_rearmed,
	},
	{
		.symbol_name	= "tcp_timewait_state_process",
		.pre_handler	= tws_segment,
	},
	{
		.symbol_name	= "tcp_twsk_unique",
		.pre_handler	= tws_unique,
	},
	{
		.symbol_name	= "inet_twsk_kill",
		.pre_handler	= tws_killed,
	},
	{
		.symbol_name	= TWS_HASHDANCE_SYMBOL,
		.pre_handler	= tws_born,
	},
};

static struct kprobe *tws_kpp[ARRAY_SIZE(tws_kps)];

/* Hits of our probes that the kprobe core skipped (another ran). */
u64 tws_probes_missed(void)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(tws_kps); i++)
		sum += READ_ONCE(tws_kps[i].nmissed);
	return sum;
}

int tws_probes_register(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(tws_kps); i++) {
		tws_kpp[i] = &tws_kps[i];
		tws_kps[i].addr = NULL;
		tws_kps[i].flags = 0;
		tws_kps[i].nmissed = 0;
		err = register_kprobe(&tws_kps[i]);
		if (!err)
			pr_info("armed %s\n", tws_kps[i].symbol_name);
		if (err) {
			pr_err("cannot probe %s: error %d; this kernel is not supported\n",
			       tws_kps[i].symbol_name, err);
			unregister_kprobes(tws_kpp, i);
			return err;
		}
	}
	return 0;
}

/* One grace period for all of them, not one each. */
void tws_probes_unregister(void)
{
	unregister_kprobes(tws_kpp, ARRAY_SIZE(tws_kps));
}
