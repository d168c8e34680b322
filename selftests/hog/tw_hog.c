// SPDX-License-Identifier: GPL-2.0
/*
 * tw_hog - another tracer's kprobe, as a busy server may run one: a
 * probe on the getppid() system call whose handler busy-waits for
 * spin_us microseconds with interrupts on.  It exists to make the
 * kernel miss hits of tw_stats' probes (selftests/tw_missed.sh):
 *
 *   insmod tw_hog.ko [spin_us=200]
 *   tw_bench getppid -t SECONDS -j JOBS     (getppid() in a loop a CPU)
 *
 * A kprobe's handler runs with kprobe_running() set on its CPU.  An
 * interrupt that comes while it spins runs the pending softirqs on its
 * way out, still inside the handler: a TIME_WAIT timer that expires
 * there, or a segment handled there, hits tw_stats' probes while
 * kprobe_running() is set, and the kernel skips those hits, counting
 * them only in each probe's nmissed.  With getppid() called in a loop,
 * nearly all of a CPU's time is spent inside the handler.
 *
 * spin_us is in microseconds of local_clock(), from 1 to 10000 (10 ms,
 * beyond which the scheduler and RCU would start to complain).  The wait
 * polls the clock rather than trust udelay()'s calibration, which an
 * emulated CPU may get wrong.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/processor.h>
#include <linux/sched/clock.h>

#define TW_HOG_SPIN_US_MAX	10000

static unsigned int tw_hog_spin_us = 200;

static int tw_hog_set_spin_us(const char *val, const struct kernel_param *kp)
{
	unsigned int us;
	int err = kstrtouint(val, 0, &us);

	if (err || us < 1 || us > TW_HOG_SPIN_US_MAX) {
		pr_err("spin_us=%s: want microseconds from 1 to %u\n", val,
		       TW_HOG_SPIN_US_MAX);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = us;
	return 0;
}

static const struct kernel_param_ops tw_hog_spin_us_ops = {
	.set	= tw_hog_set_spin_us,
	.get	= param_get_uint,
};

module_param_cb(spin_us, &tw_hog_spin_us_ops, &tw_hog_spin_us, 0444);
MODULE_PARM_DESC(spin_us,
		 "Microseconds each getppid() spins (1-10000, default 200)");

/* Interrupts stay on: their softirqs are what must run in here. */
static int tw_hog_spin(struct kprobe *p, struct pt_regs *regs)
{
	u64 end = local_clock() + (u64)tw_hog_spin_us * NSEC_PER_USEC;

	while (local_clock() < end)
		cpu_relax();
	return 0;
}

/* The syscall's wrapper on x86_64, or the body where it has no wrapper. */
static const char * const tw_hog_symbols[] = {
	"__x64_sys_getppid",
	"__do_sys_getppid",
};

static struct kprobe tw_hog_probe = {
	.pre_handler	= tw_hog_spin,
};

static int __init tw_hog_init(void)
{
	int i, err = -ENOENT;

	for (i = 0; i < ARRAY_SIZE(tw_hog_symbols); i++) {
		tw_hog_probe.symbol_name = tw_hog_symbols[i];
		tw_hog_probe.addr = NULL;
		tw_hog_probe.flags = 0;
		err = register_kprobe(&tw_hog_probe);
		if (!err) {
			pr_info("armed %s, spinning %u us a call\n",
				tw_hog_symbols[i], tw_hog_spin_us);
			return 0;
		}
		pr_info("cannot probe %s: error %d\n", tw_hog_symbols[i], err);
	}
	pr_err("no getppid entry to probe\n");
	return err;
}

static void __exit tw_hog_exit(void)
{
	unregister_kprobe(&tw_hog_probe);
	pr_info("disarmed %s: %lu hits missed\n", tw_hog_probe.symbol_name,
		tw_hog_probe.nmissed);
}

module_init(tw_hog_init);
module_exit(tw_hog_exit);
MODULE_DESCRIPTION("tw_stats selftest: a kprobe on getppid that spins");
MODULE_LICENSE("GPL");
