// SPDX-License-Identifier: GPL-2.0
/*
 * The probe points that follow a TCP minisocket through its life:
 *
 *   hash insertion (inet_twsk_hashdance[_schedule])  born
 *   __inet_twsk_schedule(rearm=true)                 FIN/ACK re-armed it
 *   inet_twsk_kill()                                 gone (expiry, RST,
 *                                                    SYN, reuse, netns)
 *   inet_twsk_alloc() returning NULL                 tcp_time_wait() got
 *                                                    no minisocket
 *
 * tcp_time_wait() itself is not probed: at its entry there is no
 * minisocket yet, and its outcome shows only in inet_twsk_alloc()'s
 * return.  The hash insertion is the first point where the minisocket is
 * complete and still unreachable by anyone who could kill it, so an entry
 * is always in the table before its end can be seen.
 *
 * Handlers only decode arguments and call the table: they never sleep.
 * A static function may carry a compiler suffix (.isra.0, ...): each
 * point lists the names to try, and dmesg tells which one was armed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <net/sock.h>

#include "compat.h"
#include "tw_stats.h"

static const void *tws_arg(struct pt_regs *regs, unsigned int n)
{
	return (const void *)regs_get_kernel_argument(regs, n);
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

static int tws_killed(struct kprobe *p, struct pt_regs *regs)
{
	tws_end(tws_arg(regs, 0));
	return 0;
}

static int tws_alloc_entry(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	*(const struct sock **)ri->data = tws_arg(regs, 0);
	return 0;
}

static int tws_alloc_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct sock *sk = *(const struct sock **)ri->data;

	if (!regs_return_value(regs) && sk->sk_protocol == IPPROTO_TCP)
		tws_count_overflow(sock_net(sk));
	return 0;
}

#define TWS_NAMES(sym) { sym, sym ".isra.0", sym ".part.0", \
			 sym ".constprop.0", NULL }

struct tws_point {
	const char *names[5];
	struct kprobe kp;
	struct kretprobe krp;		/* used when krp.handler is set */
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
		.names		= TWS_NAMES("inet_twsk_kill"),
		.kp.pre_handler	= tws_killed,
	},
	{
		.names		= TWS_NAMES("inet_twsk_alloc"),
		.krp = {
			.entry_handler	= tws_alloc_entry,
			.handler	= tws_alloc_ret,
			.data_size	= sizeof(struct sock *),
		},
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
		if (pt->krp.handler) {
			pt->krp.kp.symbol_name = pt->names[i];
			pt->krp.kp.addr = NULL;
			/* Enough for every CPU to be inside it, nested once. */
			pt->krp.maxactive = 2 * num_possible_cpus() + 8;
			err = register_kretprobe(&pt->krp);
		} else {
			pt->kp.symbol_name = pt->names[i];
			pt->kp.addr = NULL;
			pt->kp.flags = 0;
			err = register_kprobe(&pt->kp);
		}
		if (!err) {
			pr_info("armed %s%s\n", pt->names[i],
				pt->krp.handler ? " (return)" : "");
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
	if (pt->krp.handler) {
		unregister_kretprobe(&pt->krp);
		if (pt->krp.nmissed)
			pr_warn("%s: %d returns missed\n", pt->names[0],
				pt->krp.nmissed);
	} else {
		unregister_kprobe(&pt->kp);
		if (pt->kp.nmissed)
			pr_warn("%s: %lu hits missed\n", pt->names[0],
				pt->kp.nmissed);
	}
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
