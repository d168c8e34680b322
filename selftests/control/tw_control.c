// SPDX-License-Identifier: GPL-2.0
/*
 * tw_control - tw_stats' probes and nothing else: a kprobe with an empty
 * pre-handler on each function that module/probes.c probes, the hash
 * insertion named as compat.h names it for the running kernel.  Loaded
 * and unloaded in a loop while connections churn
 * (selftests/control/reload_control.sh), it tells what the kernel and
 * the emulator do when function-entry kprobes are armed and disarmed
 * under load, with none of tw_stats' own work around it.
 *
 *   insmod tw_control.ko [mode=batch|each] [announce=1]
 *
 * mode=batch (default): one register_kprobes() call for all five.
 * mode=each: one register_kprobe() a probe, in tw_stats' order, as
 *	tws_probes_register() does; announce=1 also logs "armed SYMBOL"
 *	after each, as it does.
 * Either way one unregister_kprobes() disarms them all, as tw_stats does.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "../../module/compat.h"

enum twc_mode {
	TWC_BATCH,
	TWC_EACH,
};

static const char * const twc_mode_names[] = {
	[TWC_BATCH]	= "batch",
	[TWC_EACH]	= "each",
};

static int twc_mode = TWC_BATCH;

static int twc_set_mode(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(twc_mode_names, val);

	if (i < 0) {
		pr_err("mode=%s: want batch or each\n", val);
		return -EINVAL;
	}
	*(int *)kp->arg = i;
	return 0;
}

static int twc_get_mode(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", twc_mode_names[*(int *)kp->arg]);
}

static const struct kernel_param_ops twc_mode_ops = {
	.set	= twc_set_mode,
	.get	= twc_get_mode,
};

module_param_cb(mode, &twc_mode_ops, &twc_mode, 0444);
MODULE_PARM_DESC(mode,
		 "batch: one register_kprobes(); each: one register_kprobe() a probe (default batch)");

static bool twc_announce;
module_param_named(announce, twc_announce, bool, 0444);
MODULE_PARM_DESC(announce,
		 "mode=each: log each probe armed, as tw_stats does (default 0)");

static int twc_empty(struct kprobe *p, struct pt_regs *regs)
{
	return 0;
}

/* The symbols and the order of tws_kps[] in module/probes.c. */
static struct kprobe twc_kps[] = {
	{
		.symbol_name	= "__inet_twsk_schedule",
		.pre_handler	= twc_empty,
	},
	{
		.symbol_name	= "tcp_timewait_state_process",
		.pre_handler	= twc_empty,
	},
	{
		.symbol_name	= "tcp_twsk_unique",
		.pre_handler	= twc_empty,
	},
	{
		.symbol_name	= "inet_twsk_kill",
		.pre_handler	= twc_empty,
	},
	{
		.symbol_name	= TWS_HASHDANCE_SYMBOL,
		.pre_handler	= twc_empty,
	},
};

static struct kprobe *twc_kpp[ARRAY_SIZE(twc_kps)];

static int twc_register_each(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(twc_kps); i++) {
		err = register_kprobe(&twc_kps[i]);
		if (err) {
			pr_err("cannot probe %s: error %d\n",
			       twc_kps[i].symbol_name, err);
			unregister_kprobes(twc_kpp, i);
			return err;
		}
		if (twc_announce)
			pr_info("armed %s\n", twc_kps[i].symbol_name);
	}
	return 0;
}

static int __init twc_init(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(twc_kps); i++)
		twc_kpp[i] = &twc_kps[i];
	if (twc_mode == TWC_EACH) {
		err = twc_register_each();
	} else {
		err = register_kprobes(twc_kpp, ARRAY_SIZE(twc_kpp));
		if (err)
			pr_err("register_kprobes: error %d\n", err);
	}
	return err;
}

static void __exit twc_exit(void)
{
	unregister_kprobes(twc_kpp, ARRAY_SIZE(twc_kpp));
}

module_init(twc_init);
module_exit(twc_exit);
MODULE_AUTHOR("tw_stats developers");
MODULE_DESCRIPTION("Empty kprobes on tw_stats' functions: a control for reload tests");
MODULE_LICENSE("GPL");
