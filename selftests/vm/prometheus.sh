#!/bin/sh
# prometheus.sh - Debian's own prometheus-node-exporter and promtool (from
# the prometheus package), unpacked under CACHE/prometheus, not installed:
# the tests run them by path, and the host gets no services.  Fetched
# once, through the system's apt configuration.
#
# Usage: prometheus.sh CACHE
# Output: NODE_EXPORTER=PATH and PROMTOOL=PATH lines, for eval.
set -eu

[ $# -eq 1 ] || { echo "usage: prometheus.sh CACHE" >&2; exit 2; }
dir=$1/prometheus
ne=$dir/root/usr/bin/prometheus-node-exporter
pt=$dir/root/usr/bin/promtool

if [ ! -x "$ne" ] || [ ! -x "$pt" ]; then
	rm -rf "$dir"
	mkdir -p "$dir/debs"
	# apt-get download runs as _apt where it can write the directory.
	chmod 0777 "$dir/debs"
	get() {
		(cd "$dir/debs" &&
			apt-get download -q prometheus-node-exporter \
				prometheus) >"$dir/download.log" 2>&1
	}
	get || { apt-get update -q >/dev/null 2>&1 && get; } || {
		cat "$dir/download.log" >&2
		echo "prometheus.sh: could not fetch the packages" >&2
		exit 1
	}
	for d in "$dir"/debs/*.deb; do
		dpkg-deb -x "$d" "$dir/root"
	done
	# The server itself is not needed.
	rm -f "$dir/root/usr/bin/prometheus"
fi
echo "NODE_EXPORTER=$ne"
echo "PROMTOOL=$pt"
