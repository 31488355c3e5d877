#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark policies for bench/apply and bench/packets (fixed seeds).

  genpolicy.py scale DIR N          DIR/file-N.yml + DIR/block-N.txt (set file)
                                    DIR/inline-N.yml (same set inline)
                                    DIR/file-N-changed.yml, block-N-changed.txt
                                    (one element replaced)
  genpolicy.py rules DIR N          DIR/rules-N.yml: N drop rules (distinct
                                    source address and destination port, UDP)
                                    then one accept rule; DIR/rules-0.yml: the
                                    accept rule alone; DIR/rules-N-linear.nft:
                                    the same N rules as linear nft rules
  genpolicy.py shapes DIR           DIR/shape-sets.yml: 1,000 drop rules, each
                                    with a named set of its own (an IPv4 and
                                    an IPv6 prefix) and its own UDP port;
                                    DIR/shape-wild.yml: 1,000 drop rules with
                                    interface wildcards (veth000* ..); DIR/
                                    shape-mixed.yml: 5,000 rules of every kind
                                    (named sets, lists, ranges, port sets,
                                    wildcards, ICMP, both families). Each ends
                                    with rules-0.yml's accept rule, which no
                                    rule before it can take from the client
  genpolicy.py gateway DIR N M      DIR/gw-N.yml: N UDP port forwards (ports
                                    1024.., each its own dnat entry to the
                                    server's same port) and a blocklist of M
                                    random IPv4 prefixes (DIR/gw-block.txt)
                                    dropped in forward; DIR/gw-1.yml: one
                                    dnat entry for the whole port range, no
                                    blocklist. Both then accept the
                                    forwarded ports to the server.

"scale" policies: one cidr set of N random IPv4 prefixes (/16 to /32, host
bits clear; about 5% are copies of a more specific prefix inside an earlier
one, so they overlap), one port set of 1,000 elements (900 ports and 100
ranges), and 200 rules (198 of them a run vigild merges into a verdict map).
"""
import os
import random
import sys


def cidrs(n, seed):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        if out and rnd.random() < 0.05:
            # inside an earlier prefix: an overlap vigild (and nft) must merge
            base, plen = out[rnd.randrange(len(out))]
            if plen < 32:
                np = rnd.randint(plen + 1, 32)
                host = rnd.getrandbits(32 - plen)
                addr = (base | host) & ((0xffffffff << (32 - np)) & 0xffffffff)
                out.append((addr, np))
                continue
        plen = rnd.randint(16, 32)
        addr = rnd.getrandbits(32) & ((0xffffffff << (32 - plen)) & 0xffffffff)
        # keep clear of 0/8, loopback, multicast and the bench's own 10/8
        first = addr >> 24
        if first in (0, 10, 127) or first >= 224:
            addr = (addr & 0x00ffffff) | (rnd.randint(11, 126) << 24)
        out.append((addr, plen))
    return out


def fmt(c):
    a, p = c
    s = "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
    return s if p == 32 else "%s/%d" % (s, p)


def ports(seed):
    rnd = random.Random(seed)
    used = set()
    out = []
    while len(out) < 900:
        p = rnd.randint(1024, 60000)
        if p not in used:
            used.add(p)
            out.append(str(p))
    while len(out) < 1000:
        lo = rnd.randint(60001, 65000)
        hi = lo + rnd.randint(1, 3)
        if not any(q in used for q in range(lo, hi + 1)):
            used.update(range(lo, hi + 1))
            out.append("%d-%d" % (lo, hi))
    return out


def rules_yaml():
    r = ["rules:",
         "  - {name: blocked, chain: input, src: \"@block\", action: drop}",
         "  - {name: services, chain: input, proto: tcp, dport: \"@svc\", action: accept}"]
    for i in range(198):
        r.append("  - {name: r%d, chain: input, proto: tcp, src: 10.%d.%d.0/24, dport: %d, "
                 "action: accept}" % (i, 20 + i // 200, i % 200, 2000 + i))
    return "\n".join(r) + "\n"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def scale(d, n):
    cs = [fmt(c) for c in cidrs(n, 20261123 + n)]
    ps = ports(4242)
    head = "version: 1\ndefaults: {input: drop, forward: drop, output: accept}\nsets:\n"
    svc = "  svc: {type: port, elements: [%s]}\n" % ", ".join(ps)
    write(os.path.join(d, "block-%d.txt" % n), "\n".join(cs) + "\n")
    write(os.path.join(d, "file-%d.yml" % n),
          head + "  block: {type: cidr, file: block-%d.txt}\n" % n + svc + rules_yaml())
    write(os.path.join(d, "inline-%d.yml" % n),
          head + "  block:\n    type: cidr\n    elements:\n" +
          "".join("      - %s\n" % c for c in cs) + svc + rules_yaml())
    # one element changed: the last one becomes an address no other covers
    ch = cs[:-1] + ["203.0.113.77"]
    write(os.path.join(d, "block-%d-changed.txt" % n), "\n".join(ch) + "\n")
    write(os.path.join(d, "file-%d-changed.yml" % n),
          head + "  block: {type: cidr, file: block-%d-changed.txt}\n" % n + svc + rules_yaml())


def rules(d, n):
    # rule i: UDP from 10.201.x.y (i-th address) to port 1000 + i, drop; the
    # client (10.200.0.2) matches none of them and ends at "pass".
    head = "version: 1\ndefaults: {input: drop, forward: drop, output: accept}\nrules:\n"
    srcs = ["10.201.%d.%d" % ((i + 1) >> 8, (i + 1) & 255) for i in range(n)]
    accept = "  - {name: pass, chain: input, proto: [tcp, udp], src: 10.200.0.2, action: accept}\n"
    body = "".join("  - {name: d%d, chain: input, proto: udp, src: %s, dport: %d, action: drop}\n"
                   % (i, srcs[i], 1000 + i) for i in range(n))
    write(os.path.join(d, "rules-%d.yml" % n), head + body + accept)
    write(os.path.join(d, "rules-0.yml"), head + accept)
    # linear nft: vigild's built-ins are rendered by `vigild show rules-0.yml`;
    # bench/packets inserts these lines before the accept rule of that text
    write(os.path.join(d, "rules-%d-linear.rules" % n),
          "".join("\t\tip saddr %s udp dport %d counter drop comment \"d%d\"\n"
                  % (srcs[i], 1000 + i, i) for i in range(n)))


ACCEPT = "  - {name: pass, chain: input, proto: [tcp, udp], src: 10.200.0.2, action: accept}\n"
HEAD = "version: 1\ndefaults: {input: drop, forward: drop, output: accept}\n"


def shape_sets(d):
    sets = "".join("  team%d: {type: cidr, elements: [10.%d.%d.0/24, \"2001:db8:%x::/48\"]}\n"
                   % (i, 201 + i // 256, i % 256, i) for i in range(1000))
    body = "".join("  - {name: t%d, chain: input, proto: udp, src: \"@team%d\", dport: %d, "
                   "action: drop}\n" % (i, i, 1000 + i) for i in range(1000))
    write(os.path.join(d, "shape-sets.yml"), HEAD + "sets:\n" + sets + "rules:\n" + body + ACCEPT)


def shape_wild(d):
    body = "".join("  - {name: w%d, chain: input, iif: \"veth%03d*\", action: drop}\n" % (i, i)
                   for i in range(1000))
    write(os.path.join(d, "shape-wild.yml"), HEAD + "rules:\n" + body + ACCEPT)


def v4(rnd):
    # anywhere in 10.201.0.0 - 10.254.255.255: never the client (10.200.0.2)
    return "10.%d.%d.%d" % (rnd.randint(201, 254), rnd.randrange(256), rnd.randrange(256))


def v6(rnd):
    return "2001:db8:%x:%x::" % (rnd.randrange(65536), rnd.randrange(65536))


def addr(rnd):
    if rnd.random() < 0.6:
        a = v4(rnd)
        plen = rnd.choice([32, 32, 24, 28, 20])
        parts = [int(x) for x in a.split(".")]
        n = (parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]) & ((0xffffffff << (32 - plen)) & 0xffffffff)
        a = "%d.%d.%d.%d" % (n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)
        return a if plen == 32 else "%s/%d" % (a, plen)
    if rnd.random() < 0.5:
        return "\"2001:db8:%x::/48\"" % rnd.randrange(65536)
    return "\"%s/64\"" % v6(rnd)


def port_value(rnd, psets):
    k = rnd.random()
    if k < 0.55:
        return str(rnd.randint(1024, 65535))
    if k < 0.70:
        return "[%s]" % ", ".join(str(rnd.randint(1024, 65535)) for _ in range(rnd.randint(2, 4)))
    if k < 0.90:
        lo = rnd.randint(1024, 65000)
        return "%d-%d" % (lo, lo + rnd.randint(1, 63))
    return "\"@%s\"" % rnd.choice(psets)


def shape_mixed(d):
    rnd = random.Random(5000)
    sets = []
    groups = ["g%d" % k for k in range(300)]
    for g in groups:
        sets.append("  %s: {type: cidr, elements: [%s]}\n" % (g, ", ".join(addr(rnd) for _ in range(rnd.randint(1, 5)))))
    psets = ["ps%d" % k for k in range(20)]
    for p in psets:
        sets.append("  %s: {type: port, elements: [%s]}\n" % (p, ", ".join(
            str(rnd.randint(1024, 65535)) for _ in range(rnd.randint(3, 10)))))
    acts = ["accept", "accept", "drop", "reject"]
    # (no blocklist every packet meets: its lookup costs the same in any
    # form, and is not what this shape measures)
    rules = []
    icmp_at = set(rnd.sample(range(600), 20))
    for i in range(4001):
        if i in icmp_at:
            rules.append("  - {name: icmp%d, chain: input, proto: %s, icmp-type: [%d], action: %s}\n"
                         % (i, rnd.choice(["icmp", "icmpv6"]), rnd.choice([8, 13, 128]), rnd.choice(acts)))
        k = rnd.random()
        if k < 0.4 or i < len(groups):
            # the first rules use every group once
            g = groups[i] if i < len(groups) else rnd.choice(groups)
            src, proto = "src: \"@%s\", " % g, rnd.choice(["udp", "tcp", "[tcp, udp]"])
        elif k < 0.8:
            src = "src: [%s], " % ", ".join(addr(rnd) for _ in range(rnd.randint(1, 3)))
            proto = rnd.choice(["udp", "tcp", "[tcp, udp]"])
        else:
            src, proto = "", "tcp"   # no source: TCP only, the client sends UDP
        rules.append("  - {name: s%d, chain: input, %sproto: %s, dport: %s, action: %s}\n"
                     % (i, src, proto, port_value(rnd, psets), rnd.choice(acts)))
    for i in range(900):
        port = ", proto: udp, dport: %d" % rnd.randint(1024, 65535) if rnd.random() < 0.5 else ""
        rules.append("  - {name: c%d, chain: input, iif: \"vz%03d*\"%s, action: %s}\n"
                     % (i, i, port, rnd.choice(acts)))
    for i in range(79):
        rules.append("  - {name: o%d, chain: output, dst: [%s], proto: tcp, dport: %d, action: drop}\n"
                     % (i, addr(rnd), rnd.randint(1024, 65535)))
    assert len(rules) == 5000, len(rules)
    write(os.path.join(d, "shape-mixed.yml"), HEAD + "sets:\n" + "".join(sets) + "rules:\n" +
          "".join(rules) + ACCEPT)


GW_HEAD = "version: 1\ndefaults: {input: accept, forward: drop, output: accept}\n"
GW_SERVER = "10.211.0.2"


def gw_forward(lo, hi, blocked):
    rules = "rules:\n"
    if blocked:
        rules += "  - {name: blocked, chain: forward, src: \"@block\", action: drop}\n"
    return rules + ("  - {name: fwd, chain: forward, iif: wan0, oif: lan0, proto: udp, "
                    "dst: %s, dport: %d-%d, action: accept}\n" % (GW_SERVER, lo, hi))


def gateway(d, n, m):
    lo, hi = 1024, 1024 + n - 1
    write(os.path.join(d, "gw-block.txt"), "\n".join(fmt(c) for c in cidrs(m, 20261207)) + "\n")
    # accept: false: the forward rules below accept (after the blocklist)
    one = GW_HEAD + "nat:\n  - {name: fw, iif: wan0, proto: udp, dport: %d-%d, action: dnat, " \
        "to: %s, accept: false}\n" % (lo, hi, GW_SERVER)
    write(os.path.join(d, "gw-1.yml"), one + gw_forward(lo, hi, False))
    many = GW_HEAD + "sets:\n  block: {type: cidr, file: gw-block.txt}\nnat:\n" + "".join(
        "  - {name: fw%d, iif: wan0, proto: udp, dport: %d, action: dnat, to: \"%s:%d\", "
        "accept: false}\n" % (p, p, GW_SERVER, p) for p in range(lo, hi + 1))
    write(os.path.join(d, "gw-%d.yml" % n), many + gw_forward(lo, hi, True))


def shapes(d):
    shape_sets(d)
    shape_wild(d)
    shape_mixed(d)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "shapes":
        shapes(sys.argv[2])
        return
    if len(sys.argv) == 5 and sys.argv[1] == "gateway":
        gateway(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    if len(sys.argv) != 4 or sys.argv[1] not in ("scale", "rules"):
        sys.exit(__doc__)
    {"scale": scale, "rules": rules}[sys.argv[1]](sys.argv[2], int(sys.argv[3]))


if __name__ == "__main__":
    main()
