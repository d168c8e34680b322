// SPDX-License-Identifier: GPL-2.0
/*
 * tw_stats: make TCP TIME_WAIT visible.
 *
 * The side of a TCP connection that closes first keeps a TIME_WAIT
 * minisocket for 60 s.  Under churn they pile up and hold local ports
 * until connect() fails with EADDRNOTAVAIL.  This module follows every
 * minisocket from birth to end with kprobes (probes.c), keeps them in a
 * bounded table with per-destination counts (table.c), takes in those
 * that already exist at load (walk.c), and shows them in /proc/tw_stats
 * and /proc/tw_sockets (proc.c), each reader seeing its own namespace.
 *
 *   insmod tw_stats.ko [max_entries=N]
 *   cat /proc/tw_stats /proc/tw_sockets
 *
 * max_entries bounds the memory: about 70 bytes an entry (64 and its
 * share of the hash tables), plus a destination and a rank of about 256
 * bytes for each distinct one.
 * Minisockets beyond it are still counted (as "untracked"), never lost.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "compat.h"
#include "tw_stats.h"

#define TWS_MAX_ENTRIES_LIMIT	(1U << 24)

unsigned int tws_max_entries = 262144;
bool tws_loading;
static unsigned int tws_net_id __read_mostly;

static int tws_set_max_entries(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int err = kstrtouint(val, 0, &n);

	if (err || n < 1 || n > TWS_MAX_ENTRIES_LIMIT) {
		pr_err("max_entries=%s: want a whole number from 1 to %u\n",
		       val, TWS_MAX_ENTRIES_LIMIT);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = n;
	return 0;
}

static const struct kernel_param_ops tws_max_entries_ops = {
	.set	= tws_set_max_entries,
	.get	= param_get_uint,
};

module_param_cb(max_entries, &tws_max_entries_ops, &tws_max_entries, 0444);
MODULE_PARM_DESC(max_entries,
		 "Most minisockets tracked one by one (default 262144)");

struct tws_net *tws_pernet(const struct net *net)
{
	return net_generic(net, tws_net_id);
}

static int __net_init tws_pernet_init(struct net *net)
{
	return tws_net_init(net, tws_pernet(net));
}

static void __net_exit tws_pernet_exit(struct net *net)
{
	tws_net_exit(net, tws_pernet(net));
}

static struct pernet_operations tws_net_ops = {
	.init	= tws_pernet_init,
	.exit	= tws_pernet_exit,
	.id	= &tws_net_id,
	.size	= sizeof(struct tws_net),
};

static int __init tws_init(void)
{
	int err;

	err = tws_table_init(tws_max_entries);
	if (err)
		return err;
	err = register_pernet_subsys(&tws_net_ops);
	if (err)
		goto err_table;

	WRITE_ONCE(tws_loading, true);
	err = tws_probes_register();
	if (err)
		goto err_pernet;
	err = tws_walk_existing();
	WRITE_ONCE(tws_loading, false);
	tws_walk_done();
	if (err)
		goto err_probes;

	err = tws_proc_init();
	if (err)
		goto err_probes;
	pr_info("tracking up to %u minisockets\n", tws_max_entries);
	return 0;

err_probes:
	tws_probes_unregister();
err_pernet:
	unregister_pernet_subsys(&tws_net_ops);
err_table:
	tws_table_exit();
	return err;
}

static void __exit tws_exit(void)
{
	tws_proc_exit();
	tws_probes_unregister();
	unregister_pernet_subsys(&tws_net_ops);
	tws_table_exit();
}

module_init(tws_init);
module_exit(tws_exit);
MODULE_AUTHOR("tw_stats developers");
MODULE_DESCRIPTION("TCP TIME_WAIT minisockets: counts, port pressure, reuse");
MODULE_LICENSE("GPL");
