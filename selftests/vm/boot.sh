#!/bin/bash
# boot.sh - boot the tw_stats test VM and return the guest script's status.
#
# The host kernel cannot load modules, so tests run in QEMU (TCG by default:
# KVM hangs on these machines). The guest's init (selftests/vm/init) runs
# RUN_PATH with the comma-separated ARGS_CSV, prints "TWS-EXIT <rc>" and
# powers off; this script streams the serial console (carriage returns
# stripped) to stdout and exits with that rc.
#
# Usage: boot.sh VMLINUZ INITRD RUN_PATH [ARGS_CSV]
#   e.g. boot.sh /boot/vmlinuz-6.1.0-56-amd64 initrd.gz \
#            /tws/selftests/vm/guest.sh check
#   In ARGS_CSV, write %2C for a comma inside an argument, %25 for a %;
#   spaces, tabs, double quotes and backslashes are encoded here.
# Env:  TWS_ACCEL    tcg (default) or kvm
#       TWS_SMP      CPUs (default 2)
#       TWS_MEM      memory in MiB (default 1024)
#       TWS_ICOUNT   with tcg: QEMU's -icount option (e.g. "shift=0"): guest
#                    time then counts instructions (what benchmarks need)
#       TWS_TIMEOUT  seconds before QEMU is killed (default 900; 0: never)
#       TWS_LOG      also write the console to this file
#       TWS_APPEND   extra kernel command line words (e.g. "loglevel=7")
#       TWS_QEMU     QEMU binary (default qemu-system-x86_64)
# Exit: the guest's rc from "TWS-EXIT <rc>"; if that line never came:
#       124 on timeout, 125 otherwise (panic, crash, QEMU error); 2 on usage
#       errors. The reason goes to stderr.
set -u

# The body is one { } group: bash parses it whole before running any of
# it, so editing this file while a VM boots cannot derail the running copy.
{
prog=boot.sh
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
	sed -n '/^# Usage:/,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
fi
vmlinuz=$1
initrd=$2
run=$3
args=${4-}

for f in "$vmlinuz" "$initrd"; do
	if [ ! -r "$f" ]; then
		echo "$prog: cannot read $f" >&2
		exit 2
	fi
done
case $run in
/*[[:space:]\"]* | *[[:space:]\"]*)
	echo "$prog: RUN_PATH must not contain blanks or quotes" >&2
	exit 2 ;;
/*) ;;
*)
	echo "$prog: RUN_PATH must be an absolute path in the guest" >&2
	exit 2 ;;
esac

accel=${TWS_ACCEL:-tcg}
smp=${TWS_SMP:-2}
mem=${TWS_MEM:-1024}
tmo=${TWS_TIMEOUT:-900}
qemu=${TWS_QEMU:-qemu-system-x86_64}
case $accel in
kvm) cpu=host ;;
*) cpu=max ;;
esac
icount=()
if [ -n "${TWS_ICOUNT:-}" ]; then
	if [ "$accel" != tcg ]; then
		echo "$prog: TWS_ICOUNT needs TWS_ACCEL=tcg" >&2
		exit 2
	fi
	icount=(-icount "$TWS_ICOUNT")
fi
for v in "$smp" "$mem" "$tmo"; do
	case $v in
	'' | *[!0-9]*)
		echo "$prog: TWS_SMP, TWS_MEM, TWS_TIMEOUT must be" \
			"integers" >&2
		exit 2 ;;
	esac
done
if ! command -v "$qemu" >/dev/null; then
	echo "$prog: $qemu not found (run selftests/vm/deps.sh)" >&2
	exit 125
fi

# The kernel splits its command line at blanks and treats quotes: encode
# them; the guest's init decodes %XX.
enc=$args
enc=${enc//\\/%5C}
enc=${enc// /%20}
enc=${enc//$'\t'/%09}
enc=${enc//$'\n'/%0A}
enc=${enc//\"/%22}

append="console=ttyS0 panic=-1 quiet tws.run=$run"
[ -n "$args" ] && append="$append tws.args=$enc"
[ -n "${TWS_APPEND:-}" ] && append="$append $TWS_APPEND"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tws-boot.XXXXXX") || exit 125
fifo=$tmp/console
mkfifo "$fifo" || exit 125
log=${TWS_LOG:-}
if [ -n "$log" ]; then
	exec 3>"$log" || exit 2
fi

qpid=""
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "$prog: interrupted" >&2; exit 130' INT TERM HUP

start=$(date +%s)
# timeout(1) kills QEMU after TWS_TIMEOUT s (exit 124), or with SIGKILL
# 10 s after that if it ignores SIGTERM.
# One CPU a socket: SeaBIOS's MP table names only the first CPU of each
# socket, and the debug kernel, built without ACPI, has only that table.
timeout -k 10 "$tmo" "$qemu" -accel "$accel" "${icount[@]}" -cpu "$cpu" \
	-m "$mem" -smp "$smp,sockets=$smp" -nographic -no-reboot -nic none \
	-kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
	</dev/null >"$fifo" 2>&1 3>&- &
qpid=$!

rc=""
exit_at=""
grace=30	# seconds QEMU may take to exit after TWS-EXIT
show() {
	line=${line//$'\r'/}
	if [[ $line == *$'\e'* ]]; then	# SeaBIOS's terminal escapes
		line=$(printf '%s' "$line" |
			sed "s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g")
	fi
	printf '%s\n' "$line"
	[ -z "$log" ] || printf '%s\n' "$line" >&3
	if [[ $line =~ TWS-EXIT\ ([0-9]+)$ ]]; then
		rc=${BASH_REMATCH[1]}
		[ -n "$exit_at" ] || exit_at=$(date +%s)
	fi
}
while :; do
	line=""
	if [ -n "$exit_at" ]; then
		left=$((exit_at + grace - $(date +%s)))
		st=142
		[ "$left" -le 0 ] || { IFS= read -r -t "$left" line; st=$?; }
		if [ "$st" -gt 128 ]; then
			[ -z "$line" ] || show
			echo "$prog: VM did not power off; killing QEMU" >&2
			kill -TERM "$qpid" 2>/dev/null
			break
		fi
	else
		IFS= read -r line
		st=$?
	fi
	if [ "$st" -ne 0 ]; then	# end of output
		[ -z "$line" ] || show
		break
	fi
	show
done <"$fifo"

wait "$qpid"
qrc=$?
qpid=""
end=$(date +%s)

if [ -n "$rc" ]; then
	echo "$prog: guest exited with $rc after $((end - start)) s" >&2
	exit "$rc"
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "$prog: TIMEOUT: no TWS-EXIT within $tmo s; QEMU killed" >&2
	exit 124
fi
echo "$prog: QEMU exited ($qrc) after $((end - start)) s without a" \
	"TWS-EXIT line (kernel panic, crash or boot failure?)" >&2
exit 125
}
