# SPDX-License-Identifier: GPL-2.0
# tw_stats: the wrapper around kbuild (see Kbuild) and the project's tasks.
#
#   make                 module and tools for the running kernel
#   make KDIR=DIR        ... for the kernel tree or headers in DIR
#   make install         modules_install + depmod, twstat and its man
#                        page under PREFIX (/usr/local) (as root)
#   make demo            build, boot a VM, make TIME_WAIT traffic, show it
#   make check           build, boot a VM, run selftests/ against Debian 6.1
#                        6.12 and 7.3, then against a debug build of
#                        Debian's 6.1 source (KASAN, lockdep, kmemleak,
#                        failslab...)
#   make check-debug     the debug kernel alone
#   make stress N=1000000  tw_stress.sh (N lifecycles), tw_reload.sh, on 6.1
#   make bench           the benchmark (selftests/bench/) in VMs booting
#                        Debian 6.1; BENCH_MODE=tcg|kvm for real hardware
#   make reload-control  reloads under churn in multi-threaded emulation,
#                        tw_stats beside empty kprobes on the same
#                        functions, each run in a boot of its own
#                        (selftests/control/run.sh; RUNS=3 CYCLES=100)
#   make deb             Debian packages in .cache/deb (deb-lint: lintian)
#   make style           checkpatch.pl --no-tree on module/, tools/ and
#                        the selftests' kernel modules

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
CACHE := $(CURDIR)/.cache

all: modules tools

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: modules tools
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER)
	$(MAKE) -C tools/twstat install

tools:
	$(MAKE) -C tools/twstat

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		find module -name '*.o' -o -name '*.ko' -o -name '*.mod*' | \
		xargs rm -f
	rm -f selftests/tw_gen
	$(MAKE) -C tools/twstat clean

# Debian packages, from a copy of the tree (dpkg-buildpackage writes
# next to its source): .cache/deb/tw-stats-dkms_*.deb and twstat_*.deb.
DEB_TOOLS := dpkg-buildpackage:dpkg-dev dh:debhelper dh_dkms:dh-dkms \
	fakeroot:fakeroot lintian:lintian
deb:
	@missing=$$(for t in $(DEB_TOOLS); do \
		command -v $${t%%:*} >/dev/null || echo $${t#*:}; done); \
	[ -z "$$missing" ] || { apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $$missing >/dev/null; }
	rm -rf $(CACHE)/deb
	mkdir -p $(CACHE)/deb/src
	tar -C $(CURDIR) --exclude=./.cache --exclude=./.git -cf - . | \
		tar -C $(CACHE)/deb/src -xf -
	$(MAKE) -C $(CACHE)/deb/src/tools/twstat clean >/dev/null
	cd $(CACHE)/deb/src && dpkg-buildpackage -us -uc -b
	ls $(CACHE)/deb/*.deb

# lintian on both packages: no error or warning that debian/*.lintian-
# overrides does not explain.
deb-lint: deb
	lintian --fail-on error,warning --info $(CACHE)/deb/*.changes

# The VM tests and the demo build for the kernel the VM boots, whatever
# the host runs: selftests/vm/run.sh picks it and installs what it needs.
check:
	selftests/vm/run.sh check

demo:
	selftests/vm/run.sh demo

# The debug kernel alone (make check runs it after Debian's).
check-debug:
	KERNELS=debug selftests/vm/run.sh check

# tw_stress.sh with N lifecycles and tw_reload.sh (100 reloads under
# churn, in a boot of its own; make check does 20 and a quarter of the
# stress) on Debian 6.1.
N ?= 1000000
stress:
	KERNELS=6.1 TWS_TESTS="tw_stress.sh tw_reload.sh" \
		TWS_STRESS_SCALE=1 TWS_STRESS_LIFECYCLES=$(N) \
		TWS_STRESS_RELOADS=$${TWS_STRESS_RELOADS:-100} \
		TWS_MEM=$${TWS_MEM:-2048} \
		TWS_TEST_TIMEOUT=$${TWS_TEST_TIMEOUT:-7200} \
		TWS_TIMEOUT=$${TWS_TIMEOUT:-10800} selftests/vm/run.sh check

# Ratios measured side by side in one boot; BENCHMARKS.md has the last run.
bench:
	selftests/bench/run.sh

# Not part of make check: a boot per run, minutes each (RELIABILITY.md,
# "Reloads under churn").
RUNS ?= 3
CYCLES ?= 100
reload-control:
	CONTROL_RUNS=$(RUNS) CONTROL_CYCLES=$(CYCLES) selftests/control/run.sh

# kselftest's lib.mk and runner.sh, and checkpatch.pl, come from Debian's
# linux-source-6.1; they are extracted here, never committed.
kselftest-framework:
	selftests/vm/framework.sh $(CACHE)

# compat.h is the one place allowed to compare kernel versions.
CHECKPATCH = $(CACHE)/linux/scripts/checkpatch.pl --no-tree --quiet
style: kselftest-framework
	$(CHECKPATCH) -f $(filter-out module/compat.h %.mod.c,$(wildcard module/*.[ch])) \
		-f selftests/bench/floor/tw_floor.c -f selftests/hog/tw_hog.c \
		-f selftests/control/tw_control.c
	$(CHECKPATCH) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON \
		-f module/compat.h
	$(CHECKPATCH) $(addprefix -f ,$(filter-out %/compiler.h, \
		$(wildcard tools/twstat/*.[ch] tools/twstat/*/*.c)))
	$(CHECKPATCH) --ignore PREFER_DEFINED_ATTRIBUTE_MACRO \
		-f tools/twstat/compiler.h

.PHONY: deb deb-lint all modules install tools clean check check-debug stress demo bench \
	reload-control \
	kselftest-framework style
