// SPDX-License-Identifier: GPL-2.0
/*
 * tw_stats: make TCP TIME_WAIT visible.
 *
 * The side of a TCP connection that closes first keeps a TIME_WAIT
 * minisocket for 60 s.  Under churn they pile up and hold local ports
 * until connect() fails with EADDRNOTAVAIL.  This module follows every
 * minisocket from birth to end with kprobes (probes.c) that log events
 * on per-CPU rings (events.c), drained into a bounded table with
 * per-destination counts (table.c) that the kernel's own hash mends
 * (walk.c), and shows it in /proc/tw_stats and /proc/tw_sockets
 * (proc.c), each reader seeing its own namespace.
 *
 *   insmod tw_stats.ko [max_entries=N] [netns_max_entries=N]
 *   cat /proc/tw_stats /proc/tw_sockets
 *
 * max_entries bounds the memory of all namespaces together: about 70
 * bytes an entry (64 and its share of the hash tables), plus a
 * destination and a rank of about 256 bytes for each distinct one.
 * netns_max_entries bounds each namespace, and is kept free for the
 * initial one whatever the others do.  Minisockets beyond a limit are
 * still counted (as "untracked"), never lost.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "compat.h"
#include "tw_stats.h"

#define TWS_MAX_ENTRIES_LIMIT	(1U << 24)

/* netns_max_entries 0: a quarter of max_entries, set at load. */
static struct tws_limits tws_params = {
	.max_entries		= 262144,
};

static int tws_set_entries(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int err = kstrtouint(val, 0, &n);

	if (err || n < 1 || n > TWS_MAX_ENTRIES_LIMIT) {
		pr_err("%s=%s: want a whole number from 1 to %u\n",
		       kp->name, val, TWS_MAX_ENTRIES_LIMIT);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = n;
	return 0;
}

static const struct kernel_param_ops tws_entries_ops = {
	.set	= tws_set_entries,
	.get	= param_get_uint,
};

module_param_cb(max_entries, &tws_entries_ops, &tws_params.max_entries,
		0444);
MODULE_PARM_DESC(max_entries,
		 "Most minisockets tracked one by one, all namespaces (default 262144)");
module_param_cb(netns_max_entries, &tws_entries_ops,
		&tws_params.netns_max_entries, 0444);
MODULE_PARM_DESC(netns_max_entries,
		 "Most minisockets tracked one by one per namespace, kept free for the initial one (default: a quarter of max_entries)");

/*
 * A namespace's key in the events and the table: an ID of ours, set
 * before the namespace can log anything and never reused, so an event
 * drained after its namespace died finds none.  The kernel's net_cookie
 * is one only from 5.12: 5.10 fills it lazily, for BPF alone.
 */
static unsigned int tws_netid_slot;
static atomic64_t tws_netid_last;

/*
 * From the probes too, in any context a kprobe runs in: net_generic()
 * is an RCU read of the namespace's array, safe there.  Before our init
 * has run for a namespace (nothing of it can be logged then) it has no
 * slot: 0, which names no namespace.
 */
u64 tws_netc(const struct net *net)
{
	const u64 *id = net_generic(net, tws_netid_slot);

	return id ? READ_ONCE(*id) : 0;
}

static int __net_init tws_pernet_init(struct net *net)
{
	int err;

	WRITE_ONCE(*(u64 *)net_generic(net, tws_netid_slot),
		   atomic64_inc_return(&tws_netid_last));
	tws_lock();
	err = tws_net_add(net);
	tws_unlock();
	return err;
}

/*
 * Whatever the namespace's minisockets logged until now is applied
 * first; what they log later finds no namespace.  No grace period: the
 * probes never touch the table.
 */
static void __net_exit tws_pernet_exit(struct net *net)
{
	tws_lock();
	tws_sync(false);
	tws_net_del(net);
	tws_unlock();
}

static struct pernet_operations tws_net_ops = {
	.init	= tws_pernet_init,
	.exit	= tws_pernet_exit,
	.id	= &tws_netid_slot,
	.size	= sizeof(u64),
};

static int __init tws_init(void)
{
	int err;

	if (!tws_params.netns_max_entries)
		tws_params.netns_max_entries =
			max(tws_params.max_entries / 4, 1U);
	if (tws_params.netns_max_entries > tws_params.max_entries) {
		pr_err("netns_max_entries=%u is above max_entries=%u\n",
		       tws_params.netns_max_entries, tws_params.max_entries);
		return -EINVAL;
	}
	err = tws_table_init(&tws_params);
	if (err)
		return err;
	err = tws_events_init();
	if (err)
		goto err_table;
	err = tws_fails_init();
	if (err)
		goto err_events;
	err = register_pernet_subsys(&tws_net_ops);
	if (err)
		goto err_fails;
	err = tws_probes_register();
	if (err)
		goto err_pernet;
	err = tws_fails_register();
	if (err)
		goto err_kprobes;
	/*
	 * A hash insertion that began before its probe was armed runs with
	 * BHs off: after a grace period it is done, and the walk sees it.
	 */
	synchronize_rcu();
	tws_events_start();
	err = tws_proc_init();
	if (err)
		goto err_probes;
	pr_info("tracking up to %u minisockets, %u per namespace\n",
		tws_params.max_entries, tws_params.netns_max_entries);
	return 0;

err_probes:
	tws_fails_unregister();
	tws_probes_unregister();
	tws_events_stop();
	goto err_pernet;
err_kprobes:
	tws_probes_unregister();
	/* Their pushes may have kicked the drain. */
	tws_events_stop();
err_pernet:
	unregister_pernet_subsys(&tws_net_ops);
err_fails:
	tws_fails_exit();
err_events:
	tws_events_exit();
err_table:
	tws_table_exit();
	return err;
}

static void __exit tws_exit(void)
{
	u64 missed;

	tws_proc_exit();
	missed = tws_probes_missed();
	tws_probes_unregister();
	tws_fails_unregister();
	tws_events_stop();
	unregister_pernet_subsys(&tws_net_ops);
	tws_fails_exit();
	tws_events_exit();
	tws_table_exit();
	if (missed)
		pr_info("%llu probe hits were missed and mended\n", missed);
}

module_init(tws_init);
module_exit(tws_exit);
MODULE_AUTHOR("tw_stats developers");
MODULE_DESCRIPTION("TCP TIME_WAIT minisockets: counts, port pressure, reuse");
MODULE_LICENSE("GPL");
