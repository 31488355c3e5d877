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


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("scale", "rules"):
        sys.exit(__doc__)
    {"scale": scale, "rules": rules}[sys.argv[1]](sys.argv[2], int(sys.argv[3]))


if __name__ == "__main__":
    main()
