#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# twstat --all-netns names each namespace by what lives in it: two
# "containers" made by hand, a process in a namespace of its own placed
# in a cgroup named as docker names one, another as containerd names a
# Kubernetes pod's, and a namespace no process is in.  Text, JSON and
# Prometheus carry the same names.

source "$(dirname "$0")/lib.sh"

TWSTAT=${TWSTAT:-$TWS_SELF/twstat}
[ -x "$TWSTAT" ] || { echo "# no $TWSTAT"; exit $ksft_skip; }
cg=/sys/fs/cgroup
if grep -qw cgroup2 /proc/filesystems &&
	! grep -q " $cg cgroup2 " /proc/mounts; then
	mount -t cgroup2 none "$cg" 2>/dev/null
fi
grep -q " $cg cgroup2 " /proc/mounts ||
	{ echo "# no cgroup2 at $cg"; exit $ksft_skip; }

ID1=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ID2=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
POD=1c2d3e4f-0a1b-4c5d-8e9f-001122334455
docker="$cg/system.slice/docker-$ID1.scope"
podcg="$cg/kubepods.slice/kubepods-besteffort.slice"
podcg="$podcg/kubepods-besteffort-pod${POD//-/_}.slice"
cri="$podcg/cri-containerd-$ID2.scope"

cleanup() {
	local d

	tws_cleanup
	for d in "$docker" "$cri" "$podcg" "${podcg%/*}" "${docker%/*}" \
		"$cg/kubepods.slice"; do
		rmdir "$d" 2>/dev/null
	done
}
trap cleanup EXIT

load_module || die "insmod failed"
new_ns a
new_ns b
new_ns c
mkdir -p "$docker" "$cri" || die "cannot make the cgroups"
# One process in each of a and b, in its container's cgroup.
for x in "a $docker" "b $cri"; do
	set -- $x
	bg_ns "${!1}" sleep 600
	echo "${tws_pids[-1]}" >"$2/cgroup.procs" || die "cannot move to $2"
done
pa=${tws_pids[-2]}
pb=${tws_pids[-1]}
ia=$(inum "$a")
ib=$(inum "$b")
ic=$(inum "$c")

out=$("$TWSTAT" --all-netns 2>&1)
check_eq "a: its docker container and its process" \
	"netns $ia: docker ${ID1:0:12}, 1 process ($pa sleep)" \
	"$(echo "$out" | grep "^netns $ia")"
check_eq "b: its containerd container, its pod and its process" \
	"netns $ib: containerd ${ID2:0:12}, pod $POD, 1 process ($pb sleep)" \
	"$(echo "$out" | grep "^netns $ib")"
check_eq "c: no process left" "netns $ic: no process left" \
	"$(echo "$out" | grep "^netns $ic")"
# has TEXT PATTERN: grep -q, for check.
has() {
	echo "$1" | grep -q "$2"
}
json=$("$TWSTAT" --all-netns -j 2>&1 | tr -d ' \n')
check "JSON: b's process, container and pod" has "$json" \
	"\"netns\":$ib,\"processes\":1,\"first_processes\":\[{\"pid\":$pb,\"comm\":\"sleep\"}\],\"container\":{\"runtime\":\"containerd\",\"id\":\"$ID2\"},\"pod_uid\":\"$POD\""
prom=$("$TWSTAT" --all-netns --prometheus 2>&1)
check "Prometheus: a's info series, with its container" has "$prom" \
	"^twstat_netns_info{netns=\"$ia\",runtime=\"docker\",container=\"$ID1\",pod=\"\",comm=\"sleep\"} 1$"
check_eq "Prometheus: one info series a namespace" 1 \
	"$(echo "$prom" | grep -c "^twstat_netns_info{netns=\"$ib\"")"

finish
