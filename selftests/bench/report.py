#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - turn bench.sh's "BENCH key=value" lines into the tables of
BENCHMARKS.md (stdout, Markdown) and a JSON file.

Every comparison is a ratio of two measurements of the same boot: a
repetition's ratio pairs the measurements of that repetition (A B A B...),
and the tables give the median of those ratios with their range.

Usage: report.py [--mode MODE] [--json FILE] LOG...
Exit:  0, or 1 when a log lacks its "kind=done" line.  A missed target
       is a finding, not a failure: the table says which.
"""

import argparse
import json
import statistics
import sys

MODES = ["none", "floor", "tw_stats", "bpftrace"]
MODE_NAMES = {
    "none": "no module",
    "floor": "two empty kprobes",
    "tw_stats": "tw_stats",
    "bpftrace": "bpftrace map",
}
LISTERS = ["tw_sockets", "ss", "proc_net_tcp"]
LISTER_NAMES = {
    "tw_sockets": "cat /proc/tw_sockets",
    "ss": "ss -tan state time-wait",
    "proc_net_tcp": "cat /proc/net/tcp /proc/net/tcp6",
    "tw_stats": "cat /proc/tw_stats",
    "sockstat": "cat /proc/net/sockstat",
}


def parse(paths):
    rows, done = [], {}
    for path in paths:
        done[path] = False
        with open(path, errors="replace") as f:
            for line in f:
                i = line.find("BENCH ")
                if i < 0:
                    continue
                kv = dict(w.split("=", 1) for w in line[i + 6:].split()
                          if "=" in w)
                kv["log"] = path
                if kv.get("kind") == "done":
                    done[path] = True
                rows.append(kv)
    return rows, done


def stats(values):
    """Median and the range around it, as numbers."""
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "n": len(values)}


def pct(x):
    return "%+.2f%%" % (100 * x)


def spread(s, fmt):
    return "%s (%s .. %s)" % (fmt(s["median"]), fmt(s["min"]), fmt(s["max"]))


def churn(rows, log, out, verdicts):
    """Hot path: time per cycle, and each mode's overhead over none."""
    mine = [r for r in rows if r["log"] == log and r["kind"] == "churn"]
    if not mine:
        return None
    jobs = int(mine[0]["jobs"])
    res = {"jobs": jobs, "closers": {}}
    for closer in ("server", "client"):
        per = {}   # mode -> rep -> ns per cycle
        for r in mine:
            if r["closer"] == closer:
                per.setdefault(r["mode"], {})[r["rep"]] = \
                    int(r["ns"]) / int(r["cycles"])
        c = {}
        for mode in MODES:
            if mode not in per:
                continue
            reps = sorted(set(per[mode]) & set(per.get("none", {})))
            c[mode] = {
                "ns_per_cycle": stats(list(per[mode].values())),
                "overhead": stats([per[mode][k] / per["none"][k] - 1
                                   for k in reps]),
            }
        res["closers"][closer] = c
    out.append("")
    out.append("| %s | closes first | µs per cycle, median (range) | "
               "overhead vs no module, median (range) |" %
               ("mode" if jobs == 1 else "mode (%d jobs)" % jobs))
    out.append("|---|---|---|---|")
    for closer, c in res["closers"].items():
        for mode in MODES:
            if mode not in c:
                continue
            m = c[mode]
            out.append("| %s | %s | %s | %s |" % (
                MODE_NAMES[mode], closer,
                spread(m["ns_per_cycle"], lambda v: "%.2f" % (v / 1000)),
                "—" if mode == "none" else spread(m["overhead"], pct)))
    if jobs == 1:
        for closer, c in res["closers"].items():
            if "tw_stats" in c and "bpftrace" in c:
                t = c["tw_stats"]["overhead"]["median"]
                b = c["bpftrace"]["overhead"]["median"]
                verdicts.append((
                    "churn overhead, %s closes first: tw_stats %s, at most "
                    "a fifth of bpftrace's %s" % (closer, pct(t), pct(b)),
                    t <= b / 5))
    return res


def readchurn(rows, out):
    """Reader beside churn: tw_stats' churn overhead with cat /proc/tw_stats
    in a loop on the same vCPU against without it, paired per repetition,
    and what each read added to the churn against one read's own time."""
    mine = [r for r in rows if r["kind"] == "readchurn"]
    if not mine:
        return None
    one = {}   # closer -> rep -> ns of one read alone, after the run
    for r in rows:
        if r["kind"] == "readone":
            one.setdefault(r["closer"], {})[r["rep"]] = int(r["ns"])
    res = {"closers": {}}
    names = {"none": "no module", "tw_stats": "tw_stats",
             "tw_stats_reader": "tw_stats, reader beside"}
    for closer in ("server", "client"):
        per, reads, ns = {}, {}, {}
        for r in mine:
            if r["closer"] != closer:
                continue
            per.setdefault(r["mode"], {})[r["rep"]] = \
                int(r["ns"]) / int(r["cycles"])
            ns.setdefault(r["mode"], {})[r["rep"]] = int(r["ns"])
            if "reads" in r:
                reads[r["rep"]] = int(r["reads"])
        c = {}
        for mode in names:
            if mode not in per:
                continue
            reps = sorted(set(per[mode]) & set(per.get("none", {})))
            c[mode] = {"ns_per_cycle": stats(list(per[mode].values()))}
            if reps and mode != "none":
                c[mode]["overhead"] = stats(
                    [per[mode][k] / per["none"][k] - 1 for k in reps])
        if "tw_stats" in per and "tw_stats_reader" in per:
            reps = sorted(set(per["tw_stats"]) & set(per["tw_stats_reader"]))
            c["reader_ratio"] = stats(
                [per["tw_stats_reader"][k] / per["tw_stats"][k] - 1
                 for k in reps])
            rr = [k for k in reps if reads.get(k)]
            if rr:
                c["reads"] = stats([reads[k] for k in rr])
                added = {k: (ns["tw_stats_reader"][k] - ns["tw_stats"][k]) /
                         reads[k] for k in rr}
                c["added_ns_per_read"] = stats(list(added.values()))
                ro = [k for k in rr if k in one.get(closer, {})]
                if ro:
                    c["read_alone_ns"] = stats([one[closer][k] for k in ro])
                    c["added_over_read_alone"] = stats(
                        [added[k] / one[closer][k] for k in ro])
        res["closers"][closer] = c

    out.append("")
    out.append("| mode (reader beside churn) | closes first | "
               "µs per cycle, median (range) | "
               "overhead vs no module, median (range) |")
    out.append("|---|---|---|---|")
    for closer, c in res["closers"].items():
        for mode in names:
            if mode not in c:
                continue
            m = c[mode]
            out.append("| %s | %s | %s | %s |" % (
                names[mode], closer,
                spread(m["ns_per_cycle"], lambda v: "%.2f" % (v / 1000)),
                spread(m["overhead"], pct) if "overhead" in m else "—"))
    out.append("")
    out.append("| closes first | churn with reader ÷ without, tw_stats "
               "loaded, median (range) | reads during a run | "
               "churn time added per read, ms | one read alone, ms | "
               "added ÷ alone |")
    out.append("|---|---|---|---|---|---|")
    for closer, c in res["closers"].items():
        if "reader_ratio" not in c:
            continue
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            closer, spread(c["reader_ratio"], pct),
            spread(c["reads"], lambda v: "%d" % v)
            if "reads" in c else "—",
            spread(c["added_ns_per_read"], lambda v: "%.2f" % (v / 1e6))
            if "added_ns_per_read" in c else "—",
            spread(c["read_alone_ns"], lambda v: "%.2f" % (v / 1e6))
            if "read_alone_ns" in c else "—",
            spread(c["added_over_read_alone"], lambda v: "%.2f" % v)
            if "added_over_read_alone" in c else "—"))
    return res


def counters(rows, out):
    """tw_stats' loss and repair counters, as each boot left them."""
    mine = [r for r in rows if r["kind"] == "counters"]
    if not mine:
        return None
    keys = ["entered", "ended", "untracked", "overflow", "probe_missed",
            "events_dropped", "reconciled"]
    res = {}
    for r in mine:
        where = "%s %s" % (r["log"].rsplit("/", 1)[-1], r["mode"])
        res.setdefault(where, []).append(
            {k: int(r[k]) for k in keys if k in r})
    out.append("")
    out.append("| boot, mode | unloads | " + " | ".join(
        "%s, max" % k for k in keys) + " |")
    out.append("|---|---|" + "---|" * len(keys))
    for where, rs in res.items():
        out.append("| %s | %d | %s |" % (where, len(rs), " | ".join(
            "%d" % max(x[k] for x in rs if k in x)
            if any(k in x for x in rs) else "—" for k in keys)))
    return res


def sizes(rows, out, verdicts):
    mine = [r for r in rows if r["kind"] in ("list", "summary", "load",
                                             "check", "fill")]
    if not mine:
        return None
    res = {}
    for size in sorted({int(r["size"]) for r in mine}):
        at = [r for r in mine if int(r["size"]) == size]
        times = {}
        for r in at:
            if r["kind"] in ("list", "summary"):
                times.setdefault(r["what"], {})[r["rep"]] = int(r["ns"])
        s = {"ms": {w: stats([v / 1e6 for v in t.values()])
                    for w, t in times.items()}}
        if "tw_sockets" in times and "ss" in times:
            reps = sorted(set(times["tw_sockets"]) & set(times["ss"]))
            s["tw_sockets_over_ss"] = stats(
                [times["tw_sockets"][k] / times["ss"][k] for k in reps])
        for r in at:
            if r["kind"] == "load":
                s[r["op"] + "_ms"] = int(r["ns"]) / 1e6
                if r["op"] == "insmod":
                    tracked = int(r["tracked"])
                    s["tracked"] = tracked
                    s["untracked"] = int(r["untracked"])
                    s["table_bytes"] = int(r["table_bytes"])
                    s["memfree_drop_bytes"] = int(r["memfree_drop_bytes"])
                    if tracked:
                        s["bytes_per_socket"] = \
                            int(r["table_bytes"]) / tracked
                    if r.get("module_bytes"):
                        # Everything: the namespace's share and the hash
                        # tables and event rings no namespace owns.
                        s["module_bytes"] = int(r["module_bytes"])
                        if tracked:
                            s["module_bytes_per_socket"] = \
                                int(r["module_bytes"]) / tracked
            elif r["kind"] == "check":
                s["tw_after"] = int(r["tw"])
                s["tracked_after"] = int(r["tracked"])
            elif r["kind"] == "fill":
                s["tw_before"] = int(r["tw"])
        res[size] = s

    out.append("")
    out.append("| TIME_WAIT sockets | " +
               " | ".join(LISTER_NAMES[w] + ", ms" for w in LISTERS) +
               " | /proc/tw_sockets ÷ ss |")
    out.append("|---|" + "---|" * (len(LISTERS) + 1))
    for size, s in res.items():
        cells = [spread(s["ms"][w], lambda v: "%.1f" % v)
                 if w in s["ms"] else "—" for w in LISTERS]
        ratio = s.get("tw_sockets_over_ss")
        out.append("| %d | %s | %s |" % (
            size, " | ".join(cells),
            spread(ratio, lambda v: "%.3f" % v) if ratio else "—"))
        if ratio and size >= 30000:
            verdicts.append((
                "listing at %d: /proc/tw_sockets takes %.3f of ss's time, "
                "at most 0.25" % (size, ratio["median"]),
                ratio["median"] <= 0.25))

    # Older runs recorded the namespace's table_memory_bytes alone.
    whole = any("module_bytes" in s for s in res.values())
    out.append("")
    out.append("| TIME_WAIT sockets | cat /proc/tw_stats, ms | "
               "cat /proc/net/sockstat, ms | insmod, ms | rmmod, ms | "
               "module bytes per socket | " +
               ("namespace's table bytes per socket | " if whole else "") +
               "MemFree drop per socket |")
    out.append("|---|---|---|---|---|---|---|" + ("---|" if whole else ""))
    for size, s in res.items():
        out.append("| %d | %s | %s | %s | %s | %s | %s%s |" % (
            size,
            spread(s["ms"]["tw_stats"], lambda v: "%.2f" % v)
            if "tw_stats" in s["ms"] else "—",
            spread(s["ms"]["sockstat"], lambda v: "%.2f" % v)
            if "sockstat" in s["ms"] else "—",
            "%.1f" % s["insmod_ms"] if "insmod_ms" in s else "—",
            "%.1f" % s["rmmod_ms"] if "rmmod_ms" in s else "—",
            "%.1f" % s[mem]
            if (mem := "module_bytes_per_socket" if whole
                else "bytes_per_socket") in s else "—",
            "%.1f | " % s["bytes_per_socket"]
            if whole and "bytes_per_socket" in s else
            "— | " if whole else "",
            "%.1f" % (s["memfree_drop_bytes"] / s["tracked"])
            if s.get("tracked") else "—"))

    small, big = min(res), max(res)
    if big != small and "tw_stats" in res[big]["ms"]:
        a = res[small]["ms"]["tw_stats"]["median"]
        b = res[big]["ms"]["tw_stats"]["median"]
        verdicts.append(("summary: /proc/tw_stats at %d takes %.2f× its "
                         "time at %d, at most 2" % (big, b / a, small),
                         b <= 2 * a))
    mem = ("module_bytes_per_socket" if whole else "bytes_per_socket")
    if mem in res[big]:
        v = res[big][mem]
        verdicts.append(("memory at %d: %.1f bytes per tracked socket, "
                         "at most 64" % (big, v), v <= 64))
    for size, s in res.items():
        # Sockets that expired or went untracked would falsify the sizes.
        ok = (s.get("tw_before", 0) >= size and
              s.get("tw_after", 0) >= size and
              s.get("tracked", 0) >= size and not s.get("untracked"))
        verdicts.append(("%d: all %d TIME_WAITs there and tracked from "
                         "insmod to the last read (sockstat %s, then %s)" %
                         (size, size, s.get("tw_before"), s.get("tw_after")),
                         ok))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="icount")
    ap.add_argument("--json")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()

    rows, done = parse(a.logs)
    out, verdicts = [], []
    env = next((r for r in rows if r["kind"] == "env"), {})
    result = {"mode": a.mode, "kernel": env.get("kernel"), "churn": {},
              "sizes": None}
    for log in a.logs:
        c = churn(rows, log, out, verdicts)
        if c:
            result["churn"]["jobs=%d" % c["jobs"]] = c
    result["sizes"] = sizes(rows, out, verdicts)
    r = readchurn(rows, out)
    if r:
        result["readchurn"] = r
    r = counters(rows, out)
    if r:
        result["counters"] = r

    out.append("")
    out.append("| target | met |")
    out.append("|---|---|")
    for text, ok in verdicts:
        out.append("| %s | %s |" % (text, "yes" if ok else "**no**"))
    for log, d in done.items():
        if not d:
            out.append("")
            out.append("**%s did not finish.**" % log)
    result["targets"] = [{"target": t, "met": ok} for t, ok in verdicts]
    print("Kernel %s, %s" % (env.get("kernel"), a.mode))
    print("\n".join(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
    return 0 if all(done.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
