#!/bin/bash
# run.sh - reloads under churn, tw_stats beside a control, each run in a
# boot of its own (RELIABILITY.md, "Reloads under churn").
#
# Builds tw_stats.ko and tw_control.ko (empty kprobes on the same
# functions) for Debian 6.1, stages them with reload_control.sh and
# tw_bench, and boots Debian 6.1 once per run of each variant, by default
# in QEMU's multi-threaded TCG on 2 vCPUs: the guest loads and unloads the
# module N times while connections churn on both vCPUs.  The variants
# take turns (batch, each, tw_stats, batch, ...) so that what else loads
# the host falls on all alike.  The guest's kernel panics on an Oops or a
# soft lockup (panic_on_oops=1 softlockup_panic=1), so a crash ends the
# boot at once, after the stacks of all CPUs (so what the other was doing:
# insmod or rmmod, and where); a boot whose cycles stop coming for CONTROL_STALL s is
# killed and counted as hung.
#
# Usage: run.sh [VARIANT...] | run.sh table
#   VARIANT: batch (tw_control.ko mode=batch), each (mode=each), each-log
#            (mode=each announce=1, as tw_stats logs), batch-dwell (mode=batch
#            kept loaded CONTROL_DWELL s, default 1, each cycle), tw_stats or alt
#            (tw_stats built from CONTROL_ALT_SRC); default "batch each
#            tw_stats".
#   table:   the table of every boot recorded in .cache/control/results.tsv
# Env:   CONTROL_RUNS     runs (boots) of each variant (default 3)
#        CONTROL_CYCLES   loads and unloads a boot (default 100)
#        CONTROL_STALL    seconds without a new cycle before a boot is
#                         called hung and killed (default 240)
#        CONTROL_DWELL    batch-dwell: seconds loaded a cycle (default 1)
#        CONTROL_ALT_SRC  for the variant alt: a directory with a Kbuild
#                         and a module/ of tw_stats to build (a change under
#                         study; the table names the directory)
#        TWS_ACCEL (default tcg: multi-threaded; tcg,thread=single),
#        TWS_SMP (2), TWS_MEM, TWS_TIMEOUT (a boot, default 1200): boot.sh
# Output: one line per boot, then the table of this invocation's boots.
#        Every boot's console is in .cache/control/STAMP-VARIANT-RUN.log;
#        one line per boot is appended
#        to .cache/control/results.tsv (date, variant, accel, outcome,
#        cycles completed, first report line, log, the host's load average
#        at the end).
# Exit:  0 when every boot ran its cycles, 1 when any crashed or hung, 2
#        on setup errors.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vm=$top/selftests/vm
cache=$top/.cache
out=$cache/control
runs=${CONTROL_RUNS:-3}
cycles=${CONTROL_CYCLES:-100}
stall=${CONTROL_STALL:-240}
alt_src=${CONTROL_ALT_SRC:-}
dwell_s=${CONTROL_DWELL:-1}
variants=${*:-batch each tw_stats}
export TWS_ACCEL=${TWS_ACCEL:-tcg}
export TWS_SMP=${TWS_SMP:-2}
export TWS_TIMEOUT=${TWS_TIMEOUT:-1200}
# The first report of a dying guest.
oops_re='BUG:|Oops|general protection fault|kernel BUG|Kernel panic|rcu: INFO|detected stall|blocked for more than'

die() {
	echo "control/run.sh: $*" >&2
	exit 2
}

# label VARIANT: the module and its parameters.
label() {
	case $1 in
	tw_stats) echo tw_stats ;;
	alt) echo "tw_stats from ${alt_src:-?}" ;;
	each-log) echo "tw_control mode=each announce=1" ;;
	batch-dwell) echo "tw_control mode=batch, loaded $dwell_s s a cycle" ;;
	*) echo "tw_control mode=$1" ;;
	esac
}

# table TSV: the outcomes by module (and accel), in the order first seen.
table() {
	awk -F '\t' '
	!(($2 "|" $3) in seen) { seen[$2 "|" $3] = 1; order[++n] = $2 "|" $3 }
	$4 == "interrupted" {
		k = $2 "|" $3
		notes[k] = notes[k] (notes[k] == "" ? "" : "; ") \
			"(not counted: interrupted from outside after cycle " $5 ")"
		next
	}
	{
		k = $2 "|" $3
		t = substr($1, 1, 10) " " substr($1, 12, 5)
		if (!(k in from)) from[k] = t
		to[k] = t
		runs[k]++
		# A run that failed ran its cycles and the one that failed.
		cyc[k] += $5 + ($4 == "completed" ? 0 : 1)
		if ($4 == "completed") ok[k]++
		else {
			bad[k]++
			what = $4 " after " $5
			if (match($6, /RIP [a-z_0-9]+\+/))
				what = what " at " substr($6, RSTART + 4,
					RLENGTH - 5)
			else if ($4 == "crashed" && $6 ~ /RIP 0x0/)
				what = what ", call to 0"
			else if ($6 != "")
				what = what ": " $6
			notes[k] = notes[k] (notes[k] == "" ? "" : "; ") what
		}
		if ($4 == "crashed") crashed[k]++
		if ($4 == "hung") hung[k]++
	}
	END {
		print "| module | accel | runs (UTC) | completed | crashed | hung | cycles begun | failures a 100 cycles | each run that did not complete (after cycle K) |"
		print "|---|---|---|---|---|---|---|---|---|"
		for (i = 1; i <= n; i++) {
			k = order[i]
			split(k, kk, "|")
			printf "| %s | %s | %d (%s to %s) | %d | %d | %d | %d | %.1f | %s |\n",
				kk[1], kk[2], runs[k], from[k], substr(to[k], 12), ok[k],
				crashed[k], hung[k],
				cyc[k], cyc[k] ? 100 * bad[k] / cyc[k] : 0, notes[k]
		}
	}' "$1"
}

if [ "${1:-}" = table ]; then
	[ -s "$out/results.tsv" ] || die "no results in $out/results.tsv yet"
	table "$out/results.tsv"
	exit 0
fi
for v in $variants; do
	case $v in
	batch | batch-dwell | each | each-log | tw_stats | alt) ;;
	*) die "unknown variant $v (batch, batch-dwell, each, each-log," \
		"tw_stats, alt)" ;;
	esac
done
for v in "$runs" "$cycles" "$stall"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "CONTROL_RUNS, _CYCLES, _STALL: whole numbers"
done
[[ $dwell_s =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "CONTROL_DWELL: seconds"
case " $variants " in
*" alt "*)
	[ -f "$alt_src/module/probes.c" ] ||
		die "alt: CONTROL_ALT_SRC has no module/probes.c" ;;
esac

"$vm/deps.sh" || die "deps.sh failed"
"$vm/framework.sh" "$cache" || die "framework.sh failed"
make -s -C "$top/selftests" KSFT_DIR="$cache/kselftest" OUTPUT="$cache" all ||
	die "cannot build tw_bench"
vars=$("$vm/kernel.sh" 6.1) || die "kernel.sh 6.1 failed"
KVER="" VMLINUZ="" MODROOT=""
eval "$vars"

# build NAME SRC_DIR: kbuild.sh into SRC_DIR, held to the suite's bar (W=1
# quiet); the log is SRC_DIR/build.log.
build() {
	if ! "$vm/kbuild.sh" 6.1 "$2" >"$2/build.log" 2>&1 ||
		grep -q 'warning:' "$2/build.log"; then
		cat "$2/build.log" >&2
		die "$1 does not build quietly for $KVER"
	fi
}

mkdir -p "$out"
b=$out/build
rm -rf "$b"
mkdir -p "$b/tws/module" "$b/ctl/selftests/control" "$b/ctl/module"
# Sources only, as run.sh builds: no .ko of a host build stands in.
cp "$top/Kbuild" "$b/tws/"
cp "$top"/module/Kbuild "$top"/module/*.[ch] "$b/tws/module/"
build tw_stats.ko "$b/tws"
if [ -n "$alt_src" ]; then
	mkdir -p "$b/alt/module"
	cp "$alt_src/Kbuild" "$b/alt/"
	cp "$alt_src"/module/Kbuild "$alt_src"/module/*.[ch] "$b/alt/module/"
	build "tw_stats.ko from $alt_src" "$b/alt"
fi
# tw_control.c includes ../../module/compat.h: the same layout.
cp "$here/Kbuild" "$here/tw_control.c" "$b/ctl/selftests/control/"
cp "$top/module/compat.h" "$b/ctl/module/"
build tw_control.ko "$b/ctl/selftests/control"

stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage/selftests/vm" "$stage/control"
cp "$vm/guest.sh" "$stage/selftests/vm/"
cp "$b/tws/module/tw_stats.ko" "$b/ctl/selftests/control/tw_control.ko" \
	"$here/reload_control.sh" "$cache/tw_bench" "$stage/control/"
if [ -n "$alt_src" ]; then
	mkdir -p "$stage/control/alt"
	cp "$b/alt/module/tw_stats.ko" "$stage/control/alt/"
fi
initrd=$out/initrd.gz
TWS_KVER=$KVER TWS_MODROOT=$MODROOT "$vm/mkinitramfs.sh" "$stage" "$initrd" >/dev/null ||
	die "mkinitramfs.sh failed"
echo "== Debian $KVER, $TWS_ACCEL, $TWS_SMP vCPUs, $runs runs of" \
	"$cycles cycles each: $variants${alt_src:+ (alt: $alt_src)}"

# last_cycle LOG: the number of the last completed cycle, 0 if none.
last_cycle() {
	local k

	[ -f "$1" ] || { echo 0; return; }
	k=$(sed -n 's/^RELOAD-CONTROL cycle \([0-9]*\) .*/\1/p' "$1" |
		tail -n 1)
	echo "${k:-0}"
}

# boot_one VARIANT LOG: one boot; sets outcome (completed; crashed: an
# Oops; hung: a soft lockup, an RCU stall or no new cycle for $stall s;
# failed: a load or unload refused; interrupted: boot.sh stopped by a
# signal not ours, not counted), done_k (cycles completed) and first
# (the first report line, and the first kernel RIP).
boot_one() {
	local v=$1 log=$2 ko args pid k seen at rc dwell=""

	case $v in
	tw_stats) ko=tw_stats.ko args="" ;;
	alt) ko=alt/tw_stats.ko args="" ;;
	batch) ko=tw_control.ko args=",mode=batch" ;;
	batch-dwell) ko=tw_control.ko args=",mode=batch" dwell="-d,$dwell_s," ;;
	each) ko=tw_control.ko args=",mode=each" ;;
	each-log) ko=tw_control.ko args=",mode=each,announce=1" ;;
	esac
	TWS_LOG=$log TWS_APPEND="panic_on_oops=1 softlockup_panic=1 \
sysctl.kernel.oops_all_cpu_backtrace=1 softlockup_all_cpu_backtrace=1 \
panic_print=0x40" \
		"$vm/boot.sh" "$VMLINUZ" "$initrd" /tws/selftests/vm/guest.sh \
		"shell-cmd,/tws/control/reload_control.sh,$dwell/tws/control/$ko,$cycles$args" \
		>/dev/null 2>"$log.err" &
	pid=$!
	booting=$pid
	# Watch the progress: a new cycle line within $stall s, or a hang.
	seen=0
	at=$SECONDS
	outcome=""
	while kill -0 "$pid" 2>/dev/null; do
		k=$(last_cycle "$log")
		if [ "$k" != "$seen" ]; then
			seen=$k
			at=$SECONDS
		elif [ $((SECONDS - at)) -ge "$stall" ]; then
			outcome=hung
			kill -TERM "$pid"
			break
		fi
		sleep 1
	done
	wait "$pid"
	rc=$?
	booting=""
	done_k=$(last_cycle "$log")
	first=$(grep -Em 1 "$oops_re" "$log" | sed 's/^\[ *[0-9.]*\] //')
	if [ -z "$outcome" ]; then
		if [ "$rc" -eq 0 ] && grep -q "^RELOAD-CONTROL done completed=$cycles of" "$log"; then
			outcome=completed
		elif [[ $first =~ soft\ lockup|rcu:\ INFO|stall|blocked ]]; then
			outcome=hung
		elif [ -n "$first" ] || [ "$rc" -eq 125 ]; then
			outcome=crashed
		elif [ "$rc" -eq 124 ]; then
			outcome=hung
		elif grep -q '^boot.sh: interrupted' "$log.err"; then
			# A signal from outside: not counted.
			outcome=interrupted
		else
			outcome=failed
		fi
	fi
	# Where the CPU that died or stuck was: the first RIP in the kernel.
	rip=$(grep -om 1 'RIP: 0010:[^ ]*' "$log" | sed 's/^RIP: 0010://')
	[ -z "$rip" ] || first="$first (RIP $rip)"
	[ "$outcome" = completed ] || [ -n "$first" ] ||
		first=$(grep -m 1 '^RELOAD-CONTROL failed' "$log")
	[ "$outcome" = completed ] || [ -n "$first" ] ||
		first=$(tail -n 1 "$log.err")
}

# boot.sh, when it gets a TERM, stops its QEMU.
booting=""
trap '[ -z "$booting" ] || kill -TERM "$booting" 2>/dev/null' EXIT
trap 'exit 130' INT TERM HUP

stamp=$(date -u +%Y%m%dT%H%M%S)
this=$out/results-$stamp.tsv
: >"$this"
status=0
for r in $(seq "$runs"); do
	for v in $variants; do
		log=$out/$stamp-$v-$r.log
		t0=$SECONDS
		boot_one "$v" "$log"
		echo "== $v run $r: $outcome, $done_k of $cycles cycles," \
			"$((SECONDS - t0)) s${first:+: $first}"
		name=$(label "$v")
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" \
			"$name" "$TWS_ACCEL" "$outcome" \
			"$done_k" "$first" "$log" "$(cut -d ' ' -f 1-3 /proc/loadavg)" |
			tee -a "$out/results.tsv" >>"$this"
		[ "$outcome" = completed ] || status=1
	done
done

echo
table "$this"
exit $status
