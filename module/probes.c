// SPDX-License-Identifier: GPL-2.0
/*
 * The probe points that follow a TCP minisocket through its life:
 *
 *   hash insertion (inet_twsk_hashdance[_schedule])  born
 *   __inet_twsk_schedule(rearm=true)                 a segment re-armed it
 *   inet_twsk_kill()                                 gone
 *
 * and three that only say why the next kill happens.  Every kill runs
 * with BHs off on the CPU that decided it, right after the decision:
 *
 *   tw_timer_handler()              its timer expired
 *   tcp_timewait_state_process()    a segment arrived: an RST kills it
 *                                   there, a SYN right after (TCP_TW_SYN)
 *   tcp_twsk_unique()               connect() may take it over
 *
 * each sets a per-CPU mark naming the minisocket and the cause, and the
 * kill reads the mark if it names the same minisocket.  A namespace's
 * purge comes after our pernet exit has counted it (table.c).  Nothing
 * here is a return probe: those are what tcp_time_wait() without a
 * minisocket would need, and TcpExtTCPTimeWaitOverflow counts that.
 *
 * tcp_time_wait() itself is not probed: at its entry there is no
 * minisocket yet.  The hash insertion is the first point where the
 * minisocket is complete and still unreachable by anyone who could kill
 * it, so an entry is always in the table before its end can be seen.
 *
 * Handlers only decode arguments and call the table: they never sleep.
 * A static function may carry a compiler suffix (.isra.0, ...): each
 * point lists the names to try, and dmesg tells which one was armed.
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
	enum tws_cause cause;
};

static DEFINE_PER_CPU(struct tws_mark, tws_marks);

static const void *tws_arg(struct pt_regs *regs, unsigned int n)
{
	return (const void *)regs_get_kernel_argument(regs, n);
}

static void tws_mark(const void *tw, enum tws_cause cause)
{
	struct tws_mark *m = this_cpu_ptr(&tws_marks);

	m->tw = tw;
	m->cause = cause;
}

static int tws_born(struct kprobe *p, struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = tws_arg(regs, 0);
	const struct sock *sk = tws_arg(regs, 1);
	struct tws_snap s;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	tws_snap_tw(&s, tw);
	s.expires = tws_hashdance_expires(regs, tw);
	s.role = tws_role(tw);
	tws_insert(&s, false);
	return 0;
}

static int tws_rearmed(struct kprobe *p, struct pt_regs *regs)
{
	int timeo = (int)regs_get_kernel_argument(regs, 1);

	if (regs_get_kernel_argument(regs, 2) & 0xff)
		tws_rearm(tws_arg(regs, 0), jiffies + timeo);
	return 0;
}

static int tws_timer(struct kprobe *p, struct pt_regs *regs)
{
	const struct timer_list *t = tws_arg(regs, 0);

	tws_mark(container_of(t, struct inet_timewait_sock, tw_timer),
		 TWS_END_TIMER);
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
	const void *tw = tws_arg(regs, 0);
	struct tws_mark *m = this_cpu_ptr(&tws_marks);
	enum tws_cause cause = m->tw == tw ? m->cause : TWS_END_OTHER;

	m->tw = NULL;
	tws_end(tw, cause);
	return 0;
}

#define TWS_NAMES(sym) { sym, sym ".isra.0", sym ".part.0", \
			 sym ".constprop.0", NULL }

struct tws_point {
	const char *names[5];
	struct kprobe kp;
};

/*
 * Armed in this order and disarmed in reverse: births last, so that every
 * minisocket the table takes in from then on has its re-arms and its end
 * seen; those born before are the walk's.
 */
static struct tws_point tws_points[] = {
	{
		.names		= TWS_NAMES("__inet_twsk_schedule"),
		.kp.pre_handler	= tws_rearmed,
	},
	{
		.names		= TWS_NAMES("tw_timer_handler"),
		.kp.pre_handler	= tws_timer,
	},
	{
		.names		= TWS_NAMES("tcp_timewait_state_process"),
		.kp.pre_handler	= tws_segment,
	},
	{
		.names		= TWS_NAMES("tcp_twsk_unique"),
		.kp.pre_handler	= tws_unique,
	},
	{
		.names		= TWS_NAMES("inet_twsk_kill"),
		.kp.pre_handler	= tws_killed,
	},
	{
		.names		= TWS_NAMES(TWS_HASHDANCE_SYMBOL),
		.kp.pre_handler	= tws_born,
	},
};

static int tws_arm(struct tws_point *pt)
{
	int i, err = -ENOENT;

	for (i = 0; pt->names[i]; i++) {
		pt->kp.symbol_name = pt->names[i];
		pt->kp.addr = NULL;
		pt->kp.flags = 0;
		err = register_kprobe(&pt->kp);
		if (!err) {
			pr_info("armed %s\n", pt->names[i]);
			return 0;
		}
		if (err != -ENOENT && err != -EINVAL)
			break;
	}
	pr_err("cannot probe %s: error %d; this kernel is not supported\n",
	       pt->names[0], err);
	return err;
}

static void tws_disarm(struct tws_point *pt)
{
	unregister_kprobe(&pt->kp);
	if (pt->kp.nmissed)
		pr_warn("%s: %lu hits missed\n", pt->names[0],
			pt->kp.nmissed);
}

int tws_probes_register(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(tws_points); i++) {
		err = tws_arm(&tws_points[i]);
		if (err)
			goto err_unwind;
	}
	return 0;

err_unwind:
	while (i--)
		tws_disarm(&tws_points[i]);
	return err;
}

void tws_probes_unregister(void)
{
	int i = ARRAY_SIZE(tws_points);

	while (i--)
		tws_disarm(&tws_points[i]);
}
