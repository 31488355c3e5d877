#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Prints schemas/policy.schema.json, the JSON Schema (2020-12) of policy
format version 1.

The schema is generated because its address and port patterns are long
regular expressions built from small parts; edit them here, then run

    tests/docs/gen-schema.py > schemas/policy.schema.json

tests/docs/policies.py fails when the committed schema differs from this
output. The ground truth is vigild itself (src/core/policy/policy_yaml.c for the
shape, src/core/policy/policy_check.c for the values); the same test checks that
the schema and `vigild check` agree on every example and on the cases in
tests/docs/valid and tests/docs/invalid, and lists in tests/docs/schema-gaps
what the schema cannot express.

Patterns use only what ECMA-262 and Python's re both read the same way
([0-9] rather than \\d, no lookbehind, no inline flags).
"""
import json
import sys

# ---- value syntax (src/core/ival.c, names.c, policy_check.c) ----

# IPv4 as glibc's inet_pton reads it: four decimal bytes, no leading zeros.
OCT = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
V4 = rf"{OCT}(?:\.{OCT}){{3}}"
# Prefix lengths: decimal without leading zeros (num_parse), 0-32 / 0-128.
P4 = r"(?:3[0-2]|[12]?[0-9])"
# IPv6: RFC 4291 text forms, as RFC 3986 spells them out; an embedded IPv4
# address may end the address. No zone index (%eth0): vigild rejects it.
H = r"[0-9A-Fa-f]{1,4}"
LS32 = rf"(?:{H}:{H}|{V4})"
V6 = "(?:" + "|".join([
    rf"(?:{H}:){{6}}{LS32}",
    rf"::(?:{H}:){{5}}{LS32}",
    rf"(?:{H})?::(?:{H}:){{4}}{LS32}",
    rf"(?:(?:{H}:){{0,1}}{H})?::(?:{H}:){{3}}{LS32}",
    rf"(?:(?:{H}:){{0,2}}{H})?::(?:{H}:){{2}}{LS32}",
    rf"(?:(?:{H}:){{0,3}}{H})?::{H}:{LS32}",
    rf"(?:(?:{H}:){{0,4}}{H})?::{LS32}",
    rf"(?:(?:{H}:){{0,5}}{H})?::{H}",
    rf"(?:(?:{H}:){{0,6}}{H})?::",
]) + ")"
P6 = r"(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])"
CIDR = rf"(?:{V4}(?:/{P4})?|{V6}(?:/{P6})?)"
# Address ranges FIRST-LAST, both ends of one family (that FIRST is not
# above LAST is beyond a pattern: see tests/docs/schema-gaps).
RANGE = rf"(?:{V4}-{V4}|{V6}-{V6})"
ADDR = rf"(?:{CIDR}|{RANGE})"
# Table and set names: a lower-case letter, then up to 31 of [a-z0-9_-].
SETNAME = r"[a-z][a-z0-9_-]{0,31}"
# A table name or a port set name is not one of nft's keywords (nft cannot
# read "table inet tcp" or "@tcp"): the list vigild refuses, read from
# src/core/policy/names.c.
def nft_keywords():
    import os
    import re
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../src/core/policy/names.c")
    with open(src, encoding="utf-8") as f:
        body = re.search(r"nft_keywords\[\] = \{(.*?)\n\};", f.read(), re.S).group(1)
    return re.findall(r'"([a-z0-9_-]+)"', body)


KEYWORDS = nft_keywords()
# Ports: decimal 0-65535, no leading zeros; a range is LOW-HIGH (that LOW is
# not above HIGH is beyond a pattern: see tests/docs/schema-gaps).
PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)"
PORTRANGE = rf"{PORT}(?:-{PORT})?"
# NAT targets (policy_nat.c): an address or range, a port or range after
# ':' (IPv6 in brackets then); masquerade and redirect: ports only.
NATPORTS = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
NATPORTS = rf"{NATPORTS}(?:-{NATPORTS})?"
NATTO = (rf"(?:{V4}(?:-{V4})?(?::{NATPORTS})?|{V6}(?:-{V6})?|\[{V6}(?:-{V6})?\](?::{NATPORTS})?"
         rf"|:?{NATPORTS})")
# Interface names: 1-15 bytes of printable ASCII without space, '/', '"', backslash
# or ':'; a '*' may only end the name (a prefix match), and '*' alone is
# refused.
IFC = r"[!#-)+-.0-9;-\[\]-~]"
# ... but not starting with '!' nor ending with '+' (iptables' negation and
# wildcard, refused with a hint)
IFC1 = r"[#-)+-.0-9;-\[\]-~]"
IFCL = r"[!#-),-.0-9;-\[\]-~]"
IFC1L = r"[#-),-.0-9;-\[\]-~]"
IFNAME = rf"(?:{IFC1L}|{IFC1}{IFC}{{0,13}}{IFCL}|{IFC1}{IFC}{{0,13}}\*)"
# ICMP type numbers 0-255.
BYTE = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"

# Type names, nft's spelling (src/core/policy/names.c).
ICMP4 = ["echo-reply", "destination-unreachable", "source-quench", "redirect", "echo-request",
         "router-advertisement", "router-solicitation", "time-exceeded", "parameter-problem",
         "timestamp-request", "timestamp-reply", "info-request", "info-reply",
         "address-mask-request", "address-mask-reply"]
ICMP6 = ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem",
         "echo-request", "echo-reply", "mld-listener-query", "mld-listener-report",
         "mld-listener-done", "nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit",
         "nd-neighbor-advert", "nd-redirect", "router-renumbering", "ind-neighbor-solicit",
         "ind-neighbor-advert", "mld2-listener-report"]
PROTOS = ["tcp", "udp", "sctp", "icmp", "icmpv6"]


# ---- schema helpers ----


# "scalar or list" fields (policy_yaml.c SH_LIST): one value, or a non-empty
# list of values.
KERNEL_LOG = [
    {"type": "boolean"},
    {"type": "string",
     "pattern": "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo]"
                "|unlimited|(?:[1-9][0-9]{0,5}|1000000)/(?:second|minute|hour|day))$"},
]


def one_or_list(ref, unique=False, desc=None):
    lst = {"type": "array", "minItems": 1, "items": {"$ref": ref}}
    if unique:
        lst["uniqueItems"] = True
    s = {"oneOf": [{"$ref": ref}, lst]}
    if desc:
        s = {"description": desc, **s}
    return s


# proto is p, or a list holding p
def mentions(p):
    return {"anyOf": [{"const": p}, {"type": "array", "contains": {"const": p}}]}


# ---- the schema ----

schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Vigil policy, format version 1",
    "description": (
        "The policy file read by vigild check/show/apply; see vigil-policy(5). "
        "This schema lets an editor catch most mistakes while typing. It cannot express "
        "everything vigild checks (set references that must exist and have the right type, "
        "unique rule names, host bits in a prefix, empty port ranges, rules that can never "
        "match because of their address families): `vigild check` is the authority."),
    "type": "object",
    "additionalProperties": False,
    "required": ["version"],
    "properties": {
        "version": {
            "description": "Policy format version: must be 1.",
            "enum": [1, "1"],
        },
        "table": {
            "description": "Name of vigild's own nftables table (family inet). Default: vigil.",
            "$ref": "#/$defs/table_name",
        },
        "revoke": {
            "description": "true: each apply of this policy, and each reload of a watch running it, ends the connections in conntrack that it would not admit as new. Default: false.",
            "enum": [True, False, "true", "false", "yes", "no", "True", "False", "Yes", "No", "TRUE", "FALSE", "YES", "NO"],
        },
        "defaults": {
            "description": "Verdict for packets no rule matched, per chain.",
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {
                "input": {"description": "Default: drop.", "$ref": "#/$defs/default_verdict"},
                "forward": {
                    "description": "Default: drop. Or a mapping {default, defer-to}: defer-to names "
                                   "the container and VM managers (docker: docker0, br-*; podman: "
                                   "podman*, cni-podman*; libvirt: virbr*) whose bridges the forward "
                                   "chain accepts after every rule: in from them, and out to them "
                                   "with ct status dnat (published ports).",
                    "oneOf": [
                        {"$ref": "#/$defs/default_verdict"},
                        {"type": "object", "additionalProperties": False,
                         "properties": {
                             "default": {"$ref": "#/$defs/default_verdict"},
                             "defer-to": {"oneOf": [
                                 {"$ref": "#/$defs/defer_name"},
                                 {"type": "array", "minItems": 1,
                                  "items": {"$ref": "#/$defs/defer_name"}},
                             ]},
                         }},
                    ],
                },
                "output": {"description": "Default: accept.", "$ref": "#/$defs/default_verdict"},
                "log": {
                    "description": "Records of refused traffic (vigild watch) for the default verdicts "
                                   "and rules without log: true (default), false, or {rate, burst}.",
                    "oneOf": [
                        {"type": "boolean"},
                        {"type": "string", "pattern": "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo])$"},
                        {"type": "object", "additionalProperties": False,
                         "properties": {"rate": {"$ref": "#/$defs/log_rate"},
                                        "burst": {"$ref": "#/$defs/log_burst"}}},
                    ],
                },
            },
        },
        "sets": {
            "description": "Named groups of addresses or ports, referenced from rules as \"@name\".",
            "type": ["object", "null"],
            "propertyNames": {"$ref": "#/$defs/set_name"},
            "additionalProperties": {"$ref": "#/$defs/set"},
            # a port set keeps its name in the kernel (a cidr set's gets
            # _v4/_v6): an nft keyword may only name a cidr set
            "patternProperties": {
                "^(?:" + "|".join(KEYWORDS) + ")$": {
                    "description": "An nft keyword: fine for a cidr set, not for a port set.",
                    "$ref": "#/$defs/set",
                    "properties": {"type": {"const": "cidr"}},
                },
            },
        },
        "rules": {
            "description": "The rules, in order: the first rule that matches a packet decides.",
            "type": ["array", "null"],
            "maxItems": 65535,
            "items": {"$ref": "#/$defs/rule"},
        },
        "zones": {
            "description": "Named groups of interfaces, referenced from iif/oif as \"@name\".",
            "type": ["object", "null"],
            "propertyNames": {"$ref": "#/$defs/set_name"},
            "additionalProperties": one_or_list("#/$defs/ifname", desc="The zone's interfaces (names, wildcards like veth*)."),
        },
        "nat": {
            "description": "Address translations: masquerade, snat, dnat (port forwards), redirect; see vigil-policy(5) NAT.",
            "type": ["array", "null"],
            "maxItems": 65535,
            "items": {"$ref": "#/$defs/nat_entry"},
        },
    },
    "$defs": {
        "table_name": {"type": "string", "pattern": f"^{SETNAME}$",
                       "not": {"$ref": "#/$defs/nft_keyword"}},
        "set_name": {"type": "string", "pattern": f"^{SETNAME}$"},
        "nft_keyword": {
            "description": "Words nft cannot read as a table or set name.",
            "enum": KEYWORDS,
        },
        "rule_name": {
            "description": "1 to 32 lower-case letters, digits, '_' or '-', starting with a letter or digit.",
            "oneOf": [
                {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]{0,31}$"},
                {"type": "integer", "minimum": 0, "maximum": 99999999999999999999999999999999},
            ],
        },
        "default_verdict": {"enum": ["accept", "drop"]},
        "defer_name": {"enum": ["docker", "podman", "libvirt"]},
        "log_rate": {"type": "string", "pattern": "^(?:[1-9][0-9]{0,5}|1000000)/(?:second|minute|hour|day)$"},
        "log_burst": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 100000},
                                {"type": "string", "pattern": "^(?:[1-9][0-9]{0,4}|100000)$"}]},
        "cidr": {
            "description": "An IPv4 or IPv6 address, a prefix without host bits (192.0.2.0/24, 2001:db8::/32), or a range FIRST-LAST (192.0.2.10-192.0.2.20).",
            "type": "string",
            "pattern": f"^{ADDR}$",
        },
        "address": {
            "description": "An address, a prefix, a range FIRST-LAST, or \"@set\" (a set of type cidr).",
            "type": "string",
            "pattern": f"^(?:{ADDR}|@{SETNAME})$",
        },
        "port_range": {
            "description": "A port 0-65535 or a range LOW-HIGH.",
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": 65535},
                {"type": "string", "pattern": f"^{PORTRANGE}$"},
            ],
        },
        "port": {
            "description": "A port 0-65535, a range LOW-HIGH, or \"@set\" (a set of type port).",
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": 65535},
                {"type": "string", "pattern": f"^(?:{PORTRANGE}|@{SETNAME})$"},
            ],
        },
        "proto": {"enum": PROTOS},
        "ifname": {
            "description": "An interface name (1-15 characters); a trailing * matches every name with that prefix (eth*).",
            "type": "string",
            "pattern": f"^{IFNAME}$",
        },
        "iface": {
            "description": "An interface name, a wildcard (eth*), or \"@zone\".",
            "anyOf": [{"$ref": "#/$defs/ifname"}, {"type": "string", "pattern": f"^@{SETNAME}$"}],
        },
        "icmp_type_number": {
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": 255},
                {"type": "string", "pattern": f"^{BYTE}$"},
            ],
        },
        "icmp_type": {
            "description": "An ICMP or ICMPv6 type name as nft spells it, or a number 0-255.",
            "anyOf": [
                {"$ref": "#/$defs/icmp_type_number"},
                {"enum": sorted(set(ICMP4) | set(ICMP6))},
            ],
        },
        "icmp4_type": {"anyOf": [{"$ref": "#/$defs/icmp_type_number"}, {"enum": ICMP4}]},
        "icmp6_type": {"anyOf": [{"$ref": "#/$defs/icmp_type_number"}, {"enum": ICMP6}]},
        "set": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "anyOf": [{"required": ["elements"]}, {"required": ["file"]},
                      {"required": ["dynamic"], "properties": {"dynamic": {"enum": [True, "true", "yes", "True", "Yes", "TRUE", "YES"]}}}],
            "properties": {
                "type": {"description": "cidr: addresses and prefixes; address: single addresses (dynamic sets only); port: ports and ranges.",
                         "enum": ["cidr", "address", "port"]},
                "dynamic": {"description": "true: the elements come from `vigild set add` at run time and outlive reloads; the set lists none.",
                            "enum": [True, False, "true", "false", "yes", "no", "True", "False", "Yes", "No", "TRUE", "FALSE", "YES", "NO"]},
                "timeout": {"description": "Dynamic sets: the elements' default lifetime, 1s to 365d (90, 90s, 30m, 4h, 7d).",
                            "oneOf": [{"type": "integer", "minimum": 1, "maximum": 31536000},
                                      {"type": "string", "pattern": r"^[1-9][0-9]*[smhd]?$"}]},
                "size": {"description": "Dynamic sets: the most elements each of its two kernel sets (IPv4, IPv6) holds, 1 to 4000000.",
                         "oneOf": [{"type": "integer", "minimum": 1, "maximum": 4000000},
                                   {"type": "string", "pattern": r"^[1-9][0-9]{0,6}$"}]},
                "elements": {"description": "The members (may be empty)."},
                "file": {
                    "description": "A set file: one entry a line, '#' and ';' comments (Spamhaus DROP, FireHOL netsets); relative to the policy's directory (the working directory for a policy read from stdin).",
                    "type": "string",
                    "minLength": 1,
                },
            },
            "allOf": [
                {
                    "if": {"properties": {"type": {"const": "cidr"}}},
                    "then": {"properties": {"elements": {"$ref": "#/$defs/cidr_elements"}}},
                },
                {
                    "if": {"properties": {"type": {"const": "port"}}},
                    "then": {"properties": {"elements": {"$ref": "#/$defs/port_elements"}}},
                },
            ],
        },
        # elements: one value, a list (may be empty), or nothing at all
        "cidr_elements": {
            "oneOf": [
                {"type": ["array", "null"], "maxItems": 4000000, "items": {"$ref": "#/$defs/cidr"}},
                {"$ref": "#/$defs/cidr"},
            ],
        },
        "port_elements": {
            "oneOf": [
                {"type": ["array", "null"], "maxItems": 4000000,
                 "items": {"$ref": "#/$defs/port_range"}},
                {"$ref": "#/$defs/port_range"},
            ],
        },
        "port_protos": one_or_list("#/$defs/port_proto", unique=True),
        "port_proto": {"enum": ["tcp", "udp", "sctp"]},
        "icmp_protos": one_or_list("#/$defs/icmp_proto", unique=True),
        "icmp_proto": {"enum": ["icmp", "icmpv6"]},
        "nat_entry": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "action"],
            "properties": {
                "name": {"$ref": "#/$defs/rule_name"},
                "proto": one_or_list("#/$defs/proto", unique=True,
                                     desc="Transport protocol(s). Omitted: any protocol."),
                "src": one_or_list("#/$defs/address", desc="Source addresses. Omitted: any."),
                "dst": one_or_list("#/$defs/address", desc="Destination addresses. Omitted: any."),
                "sport": one_or_list("#/$defs/port", desc="Source ports; needs proto tcp, udp and/or sctp."),
                "dport": one_or_list("#/$defs/port", desc="Destination ports; needs proto tcp, udp and/or sctp."),
                "iif": one_or_list("#/$defs/iface", desc="Input interface(s) or @zone."),
                "oif": one_or_list("#/$defs/iface", desc="Output interface(s) or @zone; required for masquerade, not for dnat or redirect."),
                "action": {"enum": ["masquerade", "snat", "dnat", "redirect"]},
                "to": {
                    "description": "snat/dnat: an address or range, optionally :PORT or :LOW-HIGH (IPv6 in brackets: [fd00::2]:80); masquerade/redirect: a port or port range.",
                    "oneOf": [
                        {"type": "integer", "minimum": 1, "maximum": 65535},
                        {"type": "string", "pattern": f"^{NATTO}$"},
                    ],
                },
                "accept": {
                    "description": "dnat only: also accept the translated connections in the forward chain (ct status dnat, to the target only). Default: true.",
                    "oneOf": [
                        {"type": "boolean"},
                        {"type": "string", "pattern": "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo])$"},
                    ],
                },
            },
            "dependentSchemas": {
                "sport": {"required": ["proto"], "properties": {"proto": {"$ref": "#/$defs/port_protos"}}},
                "dport": {"required": ["proto"], "properties": {"proto": {"$ref": "#/$defs/port_protos"}}},
                "accept": {"properties": {"action": {"const": "dnat"}}},
            },
            "allOf": [
                {
                    "if": {"required": ["action"], "properties": {"action": {"const": "masquerade"}}},
                    "then": {"required": ["oif"]},
                },
                {
                    "if": {"required": ["action"], "properties": {"action": {"enum": ["snat", "dnat"]}}},
                    "then": {"required": ["to"]},
                },
                {
                    "if": {"required": ["action"], "properties": {"action": {"enum": ["dnat", "redirect"]}}},
                    "then": {"not": {"required": ["oif"]}},
                },
            ],
        },
        "rule": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "chain", "action"],
            "properties": {
                "name": {"$ref": "#/$defs/rule_name"},
                "chain": {"description": "The base chain the rule goes into.",
                          "enum": ["input", "output", "forward"]},
                "proto": one_or_list("#/$defs/proto", unique=True,
                                     desc="Transport protocol(s). Omitted: any protocol."),
                "src": one_or_list("#/$defs/address", desc="Source addresses. Omitted: any."),
                "dst": one_or_list("#/$defs/address", desc="Destination addresses. Omitted: any."),
                "sport": one_or_list("#/$defs/port", desc="Source ports; needs proto tcp, udp and/or sctp."),
                "dport": one_or_list("#/$defs/port", desc="Destination ports; needs proto tcp, udp and/or sctp."),
                "iif": one_or_list("#/$defs/iface", desc="Input interface(s) or @zone; not in chain output."),
                "oif": one_or_list("#/$defs/iface", desc="Output interface(s) or @zone; not in chain input."),
                "icmp-type": one_or_list("#/$defs/icmp_type",
                                         desc="ICMP/ICMPv6 types; needs proto icmp and/or icmpv6 only."),
                "action": {"enum": ["accept", "drop", "reject"]},
                "log": {
                    "description": "Log matching packets to the kernel log, prefix \"vigil:NAME \": "
                                   "true (at most 5 a second), false, unlimited, or a rate N/second, "
                                   "N/minute, N/hour or N/day (N from 1 to 1000000); or a mapping "
                                   "that tunes the records of refused traffic vigild watch keeps "
                                   "(drop and reject rules). false also turns those records off.",
                    "oneOf": KERNEL_LOG + [{
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "rate": {"description": "Records per kernel rule at most (default 50/second).",
                                     "$ref": "#/$defs/log_rate"},
                            "burst": {"description": "Packets logged in a row (default 100).",
                                      "$ref": "#/$defs/log_burst"},
                            "prefix": {"description": "Text after \"vigil:NAME \" in the NFLOG prefix.",
                                       "type": "string", "pattern": "^[ !#-\\[\\]-~]{1,32}$"},
                            "kernel": {"description": "The kernel log, as the value form of log.",
                                       "oneOf": KERNEL_LOG},
                        },
                    }],
                },
                "limit": {
                    "description": "Rate limit of what the rule accepts: N/second (minute, hour, day) [burst M], or N bytes/second (kbytes, mbytes) [burst M kbytes]; needs action accept.",
                    "type": "string",
                    "pattern": "^[1-9][0-9]{0,12}(?: (?:bytes|kbytes|mbytes))?/(?:second|minute|hour|day)"
                               "(?: burst [1-9][0-9]{0,9}(?: (?:bytes|kbytes|mbytes))?)?$",
                },
                "per-source": {
                    "description": "The limit per source address (a dynamic set). Needs limit.",
                    "oneOf": [
                        {"type": "boolean"},
                        {"type": "string", "pattern": "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo])$"},
                    ],
                },
                "ct-count": {
                    "description": "At most this many connections per source address (1-65535); needs action accept.",
                    "oneOf": [
                        {"type": "integer", "minimum": 1, "maximum": 65535},
                        {"type": "string", "pattern": "^[1-9][0-9]{0,4}$"},
                    ],
                },
                "over": {
                    "description": "What happens to packets over limit or ct-count: drop (default) or reject.",
                    "enum": ["drop", "reject"],
                },
                "comment": {
                    "description": "Documentation: one line, at most 256 characters; printed by vigild show.",
                    "oneOf": [
                        {"type": "string", "maxLength": 256, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"},
                        {"type": ["number", "boolean"]},
                    ],
                },
            },
            "dependentSchemas": {
                "sport": {"required": ["proto"], "properties": {"proto": {"$ref": "#/$defs/port_protos"}}},
                "dport": {"required": ["proto"], "properties": {"proto": {"$ref": "#/$defs/port_protos"}}},
                "icmp-type": {"required": ["proto"], "properties": {"proto": {"$ref": "#/$defs/icmp_protos"}}},
                "per-source": {"required": ["limit"]},
                "over": {"anyOf": [{"required": ["limit"]}, {"required": ["ct-count"]}]},
                "limit": {"properties": {"action": {"const": "accept"}}},
                "ct-count": {"properties": {"action": {"const": "accept"}}},
            },
            "allOf": [
                {
                    "if": {"required": ["chain"], "properties": {"chain": {"const": "output"}}},
                    "then": {"not": {"required": ["iif"]}},
                },
                {
                    "if": {"required": ["chain"], "properties": {"chain": {"const": "input"}}},
                    "then": {"not": {"required": ["oif"]}},
                },
                {
                    "if": {"required": ["icmp-type", "proto"], "properties": {"proto": mentions("icmp")}},
                    "then": {"properties": {"icmp-type": one_or_list("#/$defs/icmp4_type")}},
                },
                {
                    "if": {"required": ["icmp-type", "proto"], "properties": {"proto": mentions("icmpv6")}},
                    "then": {"properties": {"icmp-type": one_or_list("#/$defs/icmp6_type")}},
                },
            ],
        },
    },
}

sys.stdout.write(json.dumps(schema, indent=2, ensure_ascii=True) + "\n")
