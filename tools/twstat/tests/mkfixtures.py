#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Writes the synthetic fixtures (6.14/, all2/) in the exact layout of
# module/proc.c.  The 6.1/ and all/ fixtures are real captures and are
# not generated.  Only needed to change the synthetic ones:
#
#   python3 tests/mkfixtures.py tests/fixtures
#
# Names come from module/tw_format.h, where the module takes them.
import os
import random
import re
import sys


def format_names():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "..", "module",
                           "tw_format.h")) as f:
        text = f.read()

    def names(macro):
        body = re.search(r"#define %s\b(.*?)(?:\n\n|\n#)" % macro, text,
                         re.S).group(1)
        return re.findall(r'"(\w+)"', body)
    return {m: names(m) for m in ("TWF_KEY_NAMES", "TWF_CAUSE_NAMES",
                                  "TWF_DEST_COLS", "TWF_SOCK_COLS",
                                  "TWF_FAIL_COLS")}


FMT = format_names()
KEYS = FMT["TWF_KEY_NAMES"]
CAUSES = FMT["TWF_CAUSE_NAMES"]
DEST_COLS = FMT["TWF_DEST_COLS"]
SOCK_COLS = FMT["TWF_SOCK_COLS"]
FAIL_COLS = FMT["TWF_FAIL_COLS"]
# A key no module writes, to show that readers pass over what is new.
FUTURE_KEY = "tcp_future_knob"
BUCKETS = ["0", "1"] + ["%d-%d" % (1 << (b - 1), (1 << b) - 1)
                        for b in range(2, 18)] + ["131072-"]


def key(k, v):
    assert k in KEYS or k in ("netns", FUTURE_KEY), k
    return "%-22s %s\n" % (k, v)


def life(hist):
    out = "\n%-15s" % "lifetime_ms" + "".join(" %10s" % c for c in CAUSES)
    out += "\n"
    for i, b in enumerate(BUCKETS):
        row = hist.get(i, [0] * 6)
        out += "%-15s" % b + "".join(" %10d" % n for n in row) + "\n"
    return out


def addr(a, port=None):
    if ":" in a:
        return a if port is None else "[%s]:%d" % (a, port)
    return a if port is None else "%s:%d" % (a, port)


def dests(rows, usable):
    # The columns of a module before held ports were counted.
    out = "\n%-39s %-47s %8s %8s %8s %8s\n" % tuple(DEST_COLS[:6])
    for local, raddr, rport, tw, reusable, in_range in rows:
        out += "%-39s %-47s %8d %8d %8d" % (
            addr(local), addr(raddr, rport), tw, reusable, usable)
        if usable:
            pm = (in_range * 1000 + usable // 2) // usable
            out += " %5d.%d%%\n" % (pm // 10, pm % 10)
        else:
            out += "       -\n"
    return out


def stats(keys, rows, hist, netns=None):
    out = "" if netns is None else key("netns", netns)
    for k, v in keys:
        out += key(k, v)
    usable = dict(keys)["port_high"] - dict(keys)["port_low"] + 1 - \
        dict(keys)["ports_reserved"]
    return out + dests(rows, usable) + life(hist)


def sock(local, lport, raddr, rport, state, age, left, reuse, rearms, role,
         netns=None):
    out = "" if netns is None else "%-10d " % netns
    return out + "%-47s %-47s %-9s %8d %10d %5s %6d %s\n" % (
        addr(local, lport), addr(raddr, rport), state, age, left,
        "yes" if reuse else "no", rearms, role)


def sock_header(netns=False):
    out = "%-10s " % "netns" if netns else ""
    return out + "%-47s %-47s %-9s %8s %10s %5s %6s %s\n" % tuple(SOCK_COLS)


def base_keys(**kw):
    keys = [("tw_count", 0), ("tw_fin_wait2", 0), ("entered", 0),
            ("ended", 0), ("untracked", 0), ("overflow", 0),
            ("reuse_eligible", 0), ("port_low", 32768),
            ("port_high", 60999), ("ports_reserved", 0),
            ("tcp_tw_reuse", 2), ("tcp_timestamps", 1),
            ("tcp_max_tw_buckets", 262144)]
    if "tcp_tw_reuse_delay_ms" in kw:
        keys.append(("tcp_tw_reuse_delay_ms", 0))
    keys += [("ended_" + c, 0) for c in CAUSES]
    keys += [("rearmed", 0), ("fin_wait2_to_time_wait", 0),
             ("tw_memory_bytes", 0), ("table_memory_bytes", 4200648),
             ("role_client", 0), ("role_server", 0), ("role_other", 0)]
    return [(k, kw.get(k, v)) for k, v in keys]


def fixture_614(d):
    """6.14+: tcp_tw_reuse_delay_ms, a newer key, a hot non-loopback
    destination that tcp_tw_reuse=2 does not cover, a nearly full table."""
    rnd = random.Random(614)
    lo, hi = 32768, 32867
    socks = []
    ports = rnd.sample(range(lo, hi + 1), 60)
    for p in ports:
        socks.append(("10.0.0.1", p, "10.0.0.2", 80, "TIME_WAIT",
                      rnd.randint(1500, 50000), None, False, 1, "client"))
    ports = rnd.sample(range(lo, hi + 1), 30)
    for i, p in enumerate(ports):
        socks.append(("::1", p, "::1", 8080, "TIME_WAIT",
                      300 + 100 * i, None, i >= 7, 1, "client"))
    for i in range(20):
        socks.append(("10.0.0.1", 443, "10.0.0.%d" % (10 + i % 5),
                      40000 + 17 * i, "FIN_WAIT2" if i < 2 else "TIME_WAIT",
                      rnd.randint(100, 59000), None, False,
                      0 if i < 2 else 1, "server"))
    rnd.shuffle(socks)
    n = len(socks)
    keys = base_keys(tw_count=n, tw_fin_wait2=2, entered=n + 700,
                     ended=700, overflow=12, reuse_eligible=23,
                     port_low=lo, port_high=hi, tcp_tw_reuse=2,
                     tcp_max_tw_buckets=128, tcp_tw_reuse_delay_ms=1000,
                     ended_timer=640, ended_reuse=55, ended_rst=5,
                     rearmed=3, fin_wait2_to_time_wait=88,
                     tw_memory_bytes=n * 264, role_client=90,
                     role_server=20)
    keys.append((FUTURE_KEY, 7))
    rows = [("10.0.0.1", "10.0.0.2", 80, 60, 0, 60),
            ("::1", "::1", 8080, 30, 23, 30)]
    for i in range(5):
        rows.append(("10.0.0.1", "10.0.0.%d" % (10 + i), 40000 + 17 * i,
                     1, 0, 0))
    hist = {15: [600, 0, 0, 0, 0, 0], 16: [40, 0, 0, 0, 0, 0],
            10: [0, 30, 0, 2, 0, 0], 11: [0, 25, 0, 3, 0, 0]}
    os.makedirs(os.path.join(d, "6.14"), exist_ok=True)
    with open(os.path.join(d, "6.14", "tw_stats"), "w") as f:
        f.write(stats(keys, rows, hist))
    with open(os.path.join(d, "6.14", "tw_sockets"), "w") as f:
        f.write(sock_header())
        for s in socks:
            left = max(0, 60000 - s[5])
            f.write(sock(*s[:6], left, *s[7:]))


def fixture_all2(d):
    """Two namespaces and a departed block; the second one is full of
    server-side TIME_WAIT and near tcp_max_tw_buckets."""
    rnd = random.Random(2)
    init, other = 4026531840, 4026532561
    k1 = base_keys(tw_count=3, entered=1003, ended=1000, reuse_eligible=3,
                   tcp_tw_reuse=1, ended_timer=990, ended_reuse=10,
                   tw_memory_bytes=792, role_client=3)
    r1 = [("192.0.2.1", "198.51.100.7", 443, 3, 3, 3)]
    nserv = 230
    k2 = base_keys(tw_count=nserv, entered=5230, ended=5000, overflow=41,
                   port_low=32768, port_high=60999, tcp_tw_reuse=2,
                   tcp_max_tw_buckets=256, ended_timer=4990,
                   ended_syn=10, tw_memory_bytes=nserv * 264,
                   role_server=nserv)
    r2 = [("10.1.0.2", "10.1.0.%d" % (3 + i), 50000 + i, 1, 0, 0)
          for i in range(10)]
    out = stats(k1, r1, {15: [990, 0, 0, 0, 0, 0], 11: [0, 10, 0, 0, 0, 0]},
                netns=init)
    out += "\n" + stats(k2, r2, {15: [4990, 0, 0, 0, 0, 0],
                                 12: [0, 0, 10, 0, 0, 0]}, netns=other)
    out += "\n" + key("netns", "departed") + key("namespaces", 2)
    dep = [("entered", 100), ("ended", 100), ("untracked", 0),
           ("overflow", 0)] + [("ended_" + c, v) for c, v in
                               zip(CAUSES, [80, 0, 0, 0, 20, 0])] + \
        [("rearmed", 0), ("fin_wait2_to_time_wait", 4)]
    for k, v in dep:
        out += key(k, v)
    out += life({15: [80, 0, 0, 0, 0, 0], 14: [0, 0, 0, 0, 20, 0]})
    os.makedirs(os.path.join(d, "all2"), exist_ok=True)
    with open(os.path.join(d, "all2", "tw_stats"), "w") as f:
        f.write(out)
    with open(os.path.join(d, "all2", "tw_sockets"), "w") as f:
        f.write(sock_header(True))
        for i in range(3):
            f.write(sock("192.0.2.1", 33000 + i, "198.51.100.7", 443,
                         "TIME_WAIT", 2000 + i, 58000 - i, True, 1,
                         "client", netns=init))
        for i in range(nserv):
            age = rnd.randint(100, 59000)
            f.write(sock("10.1.0.2", 8080, "10.1.0.%d" % (3 + i % 40),
                         50000 + i, "TIME_WAIT", age, 60000 - age, False,
                         1, "server", netns=other))


def pct(n, usable):
    if not usable:
        return "-"
    pm = (n * 1000 + usable // 2) // usable
    return "%d.%d%%" % (pm // 10, pm % 10)


def fixture_held(d):
    """A module with the held count and the connect() failure hook: a
    destination whose 8 usable ports are held, 6 by open connections,
    where connect() fails; one with only TIME_WAITs; a server side."""
    lo, hi, usable = 40000, 40009, 8
    keys = base_keys(tw_count=11, entered=11, reuse_eligible=0,
                     port_low=lo, port_high=hi, ports_reserved=1,
                     tcp_tw_reuse=0, tw_memory_bytes=11 * 264,
                     role_client=8, role_server=3)
    keys += [("probe_missed", 0), ("events_dropped", 0), ("reconciled", 0),
             ("connect_failed", 41), ("connect_failed_dropped", 0),
             ("ports_bound", 1), ("ports_usable", usable),
             ("held_max_pressure", pct(8, usable)), ("held_unranked", 0)]
    out = "".join(key(k, v) for k, v in keys)
    out += "\n%-39s %-47s %8s %8s %8s %8s %8s %13s %8s %8s\n" % tuple(
        DEST_COLS)
    rows = [("127.0.0.1", "127.0.0.1", 5000, 2, 8, 41),
            ("127.0.0.1", "127.0.0.1", 5004, 6, 6, 0),
            ("127.0.0.1", "127.0.0.1", 0, 3, 0, 0)]
    for local, raddr, rport, tw, held, failed in rows:
        in_range = tw if rport else 0
        out += "%-39s %-47s %8d %8d %8d %8s %8d %13s %8d %8d\n" % (
            addr(local), addr(raddr, rport), tw, 0, usable,
            pct(in_range, usable), held, pct(held, usable), failed,
            in_range)
    out += life({})
    os.makedirs(os.path.join(d, "held"), exist_ok=True)
    with open(os.path.join(d, "held", "tw_stats"), "w") as f:
        f.write(out)
    with open(os.path.join(d, "held", "tw_sockets"), "w") as f:
        f.write(sock_header())
        for i, p in enumerate([40002, 40007]):
            f.write(sock("127.0.0.1", p, "127.0.0.1", 5000, "TIME_WAIT",
                         9000 + i, 51000 - i, False, 0, "client"))
        for i in range(6):
            f.write(sock("127.0.0.1", 40000 + i + (i > 0), "127.0.0.1",
                         5004, "TIME_WAIT", 3000 + i, 57000 - i, False, 0,
                         "client"))
        for i in range(3):
            f.write(sock("127.0.0.1", 5003, "127.0.0.1", 40100 + i,
                         "TIME_WAIT", 1000 + i, 59000 - i, False, 0,
                         "server"))
    with open(os.path.join(d, "held", "tw_failures"), "w") as f:
        f.write("%14s %10s %8s %8s %-39s %-47s %s\n" % tuple(FAIL_COLS))
        fails = [("1764612340.120", 8000, 1, "977", "127.0.0.1",
                  "127.0.0.1:5000", "tw_gen"),
                 ("1764612344.300", 3820, 40, "1234", "127.0.0.1",
                  "127.0.0.1:5000", "curl")]
        for t, age, n, pid, local, remote, comm in fails:
            f.write("%14s %10d %8d %8s %-39s %-47s %s\n" % (
                t, age, n, pid, local, remote, comm))


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"
    fixture_614(out)
    fixture_all2(out)
    fixture_held(out)
