// SPDX-License-Identifier: GPL-2.0
/*
 * tw_floor - the floor of the benchmark: two kprobes with empty handlers
 * on the functions tw_stats is built around.  What it costs is what any
 * kprobe-based tracker pays before doing any work; tw_stats' overhead is
 * judged against it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>

static int tw_floor_handler(struct kprobe *p, struct pt_regs *regs)
{
	return 0;
}

static struct kprobe tw_floor_birth = {
	.symbol_name	= "tcp_time_wait",
	.pre_handler	= tw_floor_handler,
};

static struct kprobe tw_floor_death = {
	.symbol_name	= "inet_twsk_kill",
	.pre_handler	= tw_floor_handler,
};

static struct kprobe *tw_floor_probes[] = {
	&tw_floor_birth,
	&tw_floor_death,
};

static int __init tw_floor_init(void)
{
	return register_kprobes(tw_floor_probes,
				ARRAY_SIZE(tw_floor_probes));
}

static void __exit tw_floor_exit(void)
{
	unregister_kprobes(tw_floor_probes, ARRAY_SIZE(tw_floor_probes));
}

module_init(tw_floor_init);
module_exit(tw_floor_exit);
MODULE_DESCRIPTION("tw_stats benchmark floor: two empty kprobes");
MODULE_LICENSE("GPL");
