#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - turn bench.sh's "BENCH key=value" lines into the tables of
BENCHMARKS.md (stdout, Markdown) and a JSON file.

Every comparison is a ratio of two measurements of the same boot: a
repetition's ratio pairs the measurements of that repetition (A B A B...),
and the tables give the median of those ratios with their range.

Usage: report.py [--mode MODE] [--steady-icount OPT] [--json FILE] LOG...
       (--steady-icount: the -icount option of the steady boot, for its
       table's heading)
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
# The targets.
OVERHEAD_SHARE = 4      # tw_stats' overhead at most bpftrace's / 4
LISTING_SHARE = 0.25    # /proc/tw_sockets at most this of ss's time
SUMMARY_SHARE = 0.05    # peers: /proc/tw_stats at most this of
                        # cat /proc/net/tcp /proc/net/tcp6
MEMORY_BYTES = 64       # module memory per tracked socket
# Steady state: TIME_WAIT deaths in the window within this of its births.
# The kernel ends them in batches (a 60 s timer is rounded up to 512
# jiffies, 2.048 s at HZ=250), so a window of T seconds can miss or catch
# one batch more: about 2/T either way, 10% for 20 s.
STEADY_TOLERANCE = 0.12
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


def overhead_verdicts(what, closers, verdicts):
    """tw_stats' overhead against bpftrace's, on both sides."""
    for closer, c in closers.items():
        if "tw_stats" in c and "bpftrace" in c:
            t = c["tw_stats"]["overhead"]["median"]
            b = c["bpftrace"]["overhead"]["median"]
            verdicts.append((
                "%s overhead, %s closes first: tw_stats %s, at most "
                "a quarter of bpftrace's %s" % (what, closer, pct(t), pct(b)),
                t <= b / OVERHEAD_SHARE))


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
        overhead_verdicts("churn", res["closers"], verdicts)
    return res


def steady(rows, out, verdicts, icount):
    """Steady-state churn: as churn(), and whether each run's window saw
    as many TIME_WAITs die as were born (deaths: the TIME_WAITs there as
    it started, plus its cycles, less those there as it ended)."""
    mine = [r for r in rows if r["kind"] == "steady"]
    if not mine:
        return None
    res = {"closers": {}, "tolerance": STEADY_TOLERANCE}
    unsteady = []
    for closer in ("server", "client"):
        per, bal, warm, window = {}, {}, {}, {}
        for r in mine:
            if r["closer"] != closer:
                continue
            m, k, n = r["mode"], r["rep"], int(r["cycles"])
            per.setdefault(m, {})[k] = int(r["ns"]) / n
            bal.setdefault(m, {})[k] = \
                (int(r["tw0"]) + n - int(r["tw1"])) / n
            warm.setdefault(m, []).append(int(r["warm_ns"]) / 1e9)
            window.setdefault(m, []).append(int(r["ns"]) / 1e9)
        c = {}
        for mode in MODES:
            if mode not in per:
                continue
            reps = sorted(set(per[mode]) & set(per.get("none", {})))
            ok = (min(warm[mode]) > 60 and
                  all(abs(v - 1) <= STEADY_TOLERANCE
                      for v in bal[mode].values()))
            c[mode] = {
                "ns_per_cycle": stats(list(per[mode].values())),
                "deaths_over_births": stats(list(bal[mode].values())),
                "warm_s": stats(warm[mode]),
                "window_s": stats(window[mode]),
                "steady": ok,
            }
            if mode != "none" and reps:
                c[mode]["overhead"] = stats(
                    [per[mode][k] / per["none"][k] - 1 for k in reps])
            if not ok:
                unsteady.append("%s, %s closes first" %
                                (MODE_NAMES[mode], closer))
        res["closers"][closer] = c
    out.append("")
    out.append("| mode (steady state%s) | closes first | "
               "µs per cycle, median (range) | "
               "overhead vs no module, median (range) | "
               "deaths ÷ births in the window, median (range) | "
               "warm-up, s | steady |" %
               (", -icount " + icount if icount else ""))
    out.append("|---|---|---|---|---|---|---|")
    for closer, c in res["closers"].items():
        for mode in MODES:
            if mode not in c:
                continue
            m = c[mode]
            out.append("| %s | %s | %s | %s | %s | %.1f | %s |" % (
                MODE_NAMES[mode], closer,
                spread(m["ns_per_cycle"], lambda v: "%.2f" % (v / 1000)),
                spread(m["overhead"], pct) if "overhead" in m else "—",
                spread(m["deaths_over_births"], lambda v: "%.3f" % v),
                m["warm_s"]["min"], "yes" if m["steady"] else "**no**"))
    if unsteady:
        out.append("")
        out.append("**Not steady state** (a warm-up of 60 s or less, or "
                   "deaths in the window more than %d%% off its births): "
                   "%s." % (round(100 * STEADY_TOLERANCE),
                            "; ".join(unsteady)))
    res["steady"] = not unsteady
    overhead_verdicts("steady-state", res["closers"], verdicts)
    verdicts.append(("steady state: every mode's window saw as many "
                     "TIME_WAITs die as were born (within %d%%), after "
                     "more than 60 s of its churn" %
                     round(100 * STEADY_TOLERANCE), not unsteady))
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
                "at most %.2f" % (size, ratio["median"], LISTING_SHARE),
                ratio["median"] <= LISTING_SHARE))

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

    # A read counts the ports held in every state from the kernel's
    # hash: it grows with the sockets, as a listing does, and must stay a
    # small share of one (the target of the peers boot).
    big = max(res)
    for size, s in res.items():
        if size < 30000 or "tw_stats" not in s["ms"] or \
                "proc_net_tcp" not in s["ms"]:
            continue
        v = s["ms"]["tw_stats"]["median"] / s["ms"]["proc_net_tcp"]["median"]
        verdicts.append(("summary at %d: /proc/tw_stats takes %.4f of cat "
                         "/proc/net/tcp /proc/net/tcp6's time, at most %.2f" %
                         (size, v, SUMMARY_SHARE), v <= SUMMARY_SHARE))
    mem = ("module_bytes_per_socket" if whole else "bytes_per_socket")
    if mem in res[big]:
        v = res[big][mem]
        verdicts.append(("memory at %d: %.1f bytes per tracked socket, "
                         "at most %d" % (big, v, MEMORY_BYTES),
                         v <= MEMORY_BYTES))
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


def peers(rows, out, verdicts):
    """Many peers: the server-side TIME_WAITs of many peer addresses,
    tw_stats loaded over them, its memory and the readers' times."""
    mine = [r for r in rows if r["kind"] == "peers"]
    if not mine:
        return None
    res, times = {}, {}
    for r in mine:
        what = r["what"]
        if what in ("tw_stats", "tw_sockets", "ss", "proc_net_tcp"):
            times.setdefault(what, {})[r["rep"]] = int(r["ns"])
        elif what == "fill":
            res.update(peers=int(r["peers"]), per_peer=int(r["per"]),
                       tw_before=int(r["tw"]), made=int(r["made"]),
                       fill_s=int(r["ns"]) / 1e9)
        elif what == "insmod":
            res.update(insmod_ms=int(r["ns"]) / 1e6,
                       tracked=int(r["tracked"]),
                       untracked=int(r["untracked"]),
                       table_bytes=int(r["table_bytes"]),
                       module_bytes=int(r["module_bytes"]))
            if "memfree_drop_bytes" in r:
                res["memfree_drop_bytes"] = int(r["memfree_drop_bytes"])
        elif what == "check":
            res.update(tw_after=int(r["tw"]), tracked_after=int(r["tracked"]))
        elif what == "dests":
            res["peers_listed"] = int(r["n"])
        elif what == "rmmod":
            res["rmmod_ms"] = int(r["ns"]) / 1e6
    res["ms"] = {w: stats([v / 1e6 for v in t.values()])
                 for w, t in times.items()}
    for a, b, key in (("tw_stats", "proc_net_tcp", "tw_stats_over_proc"),
                      ("tw_sockets", "ss", "tw_sockets_over_ss")):
        if a in times and b in times:
            reps = sorted(set(times[a]) & set(times[b]))
            res[key] = stats([times[a][k] / times[b][k] for k in reps])
    tracked = res.get("tracked")
    if tracked:
        res["module_bytes_per_socket"] = res["module_bytes"] / tracked
        res["table_bytes_per_socket"] = res["table_bytes"] / tracked
    n, p = res.get("made", 0), res.get("peers", 0)

    def ms(w, fmt="%.1f"):
        return spread(res["ms"][w], lambda v: fmt % v) \
            if w in res["ms"] else "—"
    out.append("")
    out.append("| TIME_WAIT sockets (server side) | peer addresses | "
               "cat /proc/tw_stats, ms | cat /proc/tw_sockets, ms | "
               "ss -tan state time-wait, ms | "
               "cat /proc/net/tcp /proc/net/tcp6, ms |")
    out.append("|---|---|---|---|---|---|")
    out.append("| %d | %d | %s | %s | %s | %s |" % (
        n, p, ms("tw_stats", "%.2f"), ms("tw_sockets"), ms("ss"),
        ms("proc_net_tcp")))
    out.append("")
    out.append("| /proc/tw_stats ÷ /proc/net/tcp | /proc/tw_sockets ÷ ss | "
               "module bytes per socket | namespace's table bytes per "
               "socket | MemFree drop per socket | insmod, ms | rmmod, ms |")
    out.append("|---|---|---|---|---|---|---|")
    out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
        spread(res["tw_stats_over_proc"], lambda v: "%.4f" % v)
        if "tw_stats_over_proc" in res else "—",
        spread(res["tw_sockets_over_ss"], lambda v: "%.3f" % v)
        if "tw_sockets_over_ss" in res else "—",
        "%.1f" % res["module_bytes_per_socket"] if tracked else "—",
        "%.1f" % res["table_bytes_per_socket"] if tracked else "—",
        "%.1f" % (res["memfree_drop_bytes"] / tracked)
        if tracked and "memfree_drop_bytes" in res else "—",
        "%.1f" % res["insmod_ms"] if "insmod_ms" in res else "—",
        "%.1f" % res["rmmod_ms"] if "rmmod_ms" in res else "—"))

    if "tw_stats_over_proc" in res:
        v = res["tw_stats_over_proc"]["median"]
        verdicts.append((
            "peers: /proc/tw_stats at %d sockets and %d destinations "
            "takes %.4f of cat /proc/net/tcp /proc/net/tcp6's time, at "
            "most %.2f" % (n, p, v, SUMMARY_SHARE), v <= SUMMARY_SHARE))
    if "tw_sockets_over_ss" in res:
        v = res["tw_sockets_over_ss"]["median"]
        verdicts.append((
            "peers: /proc/tw_sockets at %d sockets takes %.3f of ss's "
            "time, at most %.2f" % (n, v, LISTING_SHARE),
            v <= LISTING_SHARE))
    if tracked:
        v = res["module_bytes_per_socket"]
        verdicts.append((
            "peers: memory at %d sockets from %d peers: %.1f bytes per "
            "tracked socket, at most %d" % (n, p, v, MEMORY_BYTES),
            v <= MEMORY_BYTES))
    ok = (n > 0 and res.get("tw_before", 0) >= n and
          res.get("tw_after", 0) >= n and (tracked or 0) >= n and
          not res.get("untracked"))
    verdicts.append((
        "peers: all %d TIME_WAITs there and tracked from insmod to the "
        "last read (sockstat %s, then %s; %s peer addresses listed "
        "after it)" % (n, res.get("tw_before"), res.get("tw_after"),
                       res.get("peers_listed", "no")), ok))
    return res


CONNECT_MODES = {
    "none": "no module",
    "tw_stats": "tw_stats",
    "bpffail": "bpftrace (tw_fail.bt)",
}


def connect(rows, out, verdicts):
    """The connect() path: what the failure hook costs every connect(),
    against bpftrace's program on the same tracepoint.  A mode's cost is
    its time per connect() less no module's, repetition by repetition."""
    mine = [r for r in rows if r["kind"] == "connect"]
    if not mine:
        return None
    per = {}    # mode -> rep -> ns per connect()
    for r in mine:
        per.setdefault(r["mode"], {})[r["rep"]] = \
            int(r["ns"]) / int(r["connects"])
    res = {}
    base = per.get("none", {})
    for mode in CONNECT_MODES:
        if mode not in per:
            continue
        reps = sorted(set(per[mode]) & set(base))
        res[mode] = {"ns_per_connect": stats(list(per[mode].values())),
                     "cost_ns": stats([per[mode][k] - base[k]
                                       for k in reps])}
    out.append("")
    out.append("| connect() refused by the peer | µs per connect(), "
               "median (range) | cost vs no module, ns, median (range) |")
    out.append("|---|---|---|")
    for mode, m in res.items():
        out.append("| %s | %s | %s |" % (
            CONNECT_MODES[mode],
            spread(m["ns_per_connect"], lambda v: "%.2f" % (v / 1000)),
            "—" if mode == "none" else
            spread(m["cost_ns"], lambda v: "%+.0f" % v)))
    if "tw_stats" in res and "bpffail" in res:
        t = res["tw_stats"]["cost_ns"]["median"]
        b = res["bpffail"]["cost_ns"]["median"]
        verdicts.append((
            "connect(): the failure hook costs %+.0f ns a connect(), at "
            "most a quarter of bpftrace's %+.0f ns" % (t, b),
            t <= b / OVERHEAD_SHARE))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="icount")
    ap.add_argument("--steady-icount")
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
    r = steady(rows, out, verdicts, a.steady_icount)
    if r:
        result["steady"] = r
    r = peers(rows, out, verdicts)
    if r:
        result["peers"] = r
    r = connect(rows, out, verdicts)
    if r:
        result["connect"] = r
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
