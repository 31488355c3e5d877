#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Flows through NAT: vigild watch on the gateway of gateway.sh (L the LAN,
# G the gateway, W the WAN; policies/natflows.yml) records the translated
# addresses of forwarded connections (the conntrack reply tuple) and the
# nat entry that made them:
#   - W -> G:8080, dnat to L:80: dst G:8080, nat_dst 10.1.0.2:80, nat web,
#     rule web-in (the forward rule that accepted it); IPv6 likewise (web6,
#     its own forward accept: no rule);
#   - L -> W:80, masqueraded: nat_src the gateway's WAN address, nat masq;
#   - vigild flows shows them (NAT column, --by nat), GET /v1/flows the
#     same objects as --json, --follow --format ecs (through the watch's
#     control socket) carries destination.nat.* and source.nat.*, and
#     --follow's ndjson lines the nat_* keys of the rows --json shows.
. "$(dirname "$0")/lib.sh"

netns_preflight
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"

L4=10.1.0.2 L6=fd00:1::2 GL4=10.1.0.1 GL6=fd00:1::1
W4=192.0.2.2 W6=2001:db8:2::2 GW4=192.0.2.1 GW6=2001:db8:2::1

ns_new L lan || bail_out "cannot create the LAN namespace"
ns_new G gw || bail_out "cannot create the gateway namespace"
ns_new W wan || bail_out "cannot create the WAN namespace"
veth "$L" eth0 "$G" lan0 && veth "$G" wan0 "$W" eth0 || bail_out "cannot create the veth pairs"
addr "$L" eth0 $L4/24 && addr "$L" eth0 $L6/64 && addr "$G" lan0 $GL4/24 && addr "$G" lan0 $GL6/64 &&
	addr "$G" wan0 $GW4/24 && addr "$G" wan0 $GW6/64 && addr "$W" eth0 $W4/24 &&
	addr "$W" eth0 $W6/64 || bail_out "cannot add addresses"
ip -n "$L" route add default via $GL4 && ip -n "$L" -6 route add default via $GL6 ||
	bail_out "cannot add the LAN's default routes"
ip netns exec "$G" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
	bail_out "cannot turn forwarding on in the gateway's namespace"
serve "$L" tcp 80 && serve "$W" tcp 80 || bail_out "cannot start the servers"

mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
DB=$TMP/db/flows.db
: >"$TMP/watch.log"
ip netns exec "$G" "$VIGILD" watch --db "$DB" "$POLICIES/natflows.yml" >>"$TMP/watch.log" 2>&1 &
WATCH_PID=$!
_pid_list+=("$WATCH_PID")
for i in $(seq 100); do
	grep -q "recording flows" "$TMP/watch.log" && break
	kill -0 "$WATCH_PID" 2>/dev/null || break
	sleep 0.05
done
grep -q "recording flows" "$TMP/watch.log" || { diag_file "$TMP/watch.log"; bail_out "vigild watch did not start"; }

# ECS and ndjson lines while the connections are made
"$VIGILD" flows --db "$DB" --follow --format ecs >"$TMP/ecs.ndjson" 2>"$TMP/ecs.err" &
FOLLOW_PID=$!
_pid_list+=("$FOLLOW_PID")
"$VIGILD" flows --db "$DB" --follow >"$TMP/nd.ndjson" 2>"$TMP/nd.err" &
ND_PID=$!
_pid_list+=("$ND_PID")
sleep 1.5

# probe NS ADDR PORT: one TCP connection that must succeed
n_ok=0
probe() {
	ip netns exec "$1" "$NETTOOL" probe tcp "$2" "$3" 3000 >/dev/null 2>&1 && n_ok=$((n_ok + 1))
}
for i in 1 2 3; do probe "$W" $GW4 8080; done
for i in 1 2; do probe "$W" $GW6 8080; done
for i in 1 2 3 4; do probe "$L" $W4 80; done
probe "$L" $W6 80
check "the 10 connections through the gateway succeeded ($n_ok)" test "$n_ok" -eq 10
sleep 2.5

q() { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }
check "dnat IPv4: 3 flows to $GW4:8080, sent to $L4:80 by nat entry web, accepted by rule web-in" \
	test "$(q "SELECT sum(flows) FROM flows WHERE dst = '$GW4' AND dport = 8080 AND nat_dst = '$L4'
		AND nat_dport = 80 AND nat = 'web' AND rule = 'web-in' AND nat_src = ''")" = 3
check "dnat IPv6: 2 flows to [$GW6]:8080, sent to [$L6]:80 by web6 (its built-in accept: no rule)" \
	test "$(q "SELECT sum(flows) FROM flows WHERE family = 6 AND dst = '$GW6' AND dport = 8080
		AND nat_dst = '$L6' AND nat_dport = 80 AND nat = 'web6' AND rule = ''")" = 2
check "masquerade IPv4: 4 flows from $L4 to $W4:80 leave as $GW4 (nat masq, rule lan-out)" \
	test "$(q "SELECT sum(flows) FROM flows WHERE src = '$L4' AND dst = '$W4' AND dport = 80
		AND nat_src = '$GW4' AND nat_dst = '' AND nat = 'masq' AND rule = 'lan-out'")" = 4
check "masquerade IPv6: 1 flow from $L6 leaves as $GW6" \
	test "$(q "SELECT sum(flows) FROM flows WHERE src = '$L6' AND nat_src = '$GW6' AND nat = 'masq'")" = 1
check "the watch's own talk is not translated: no other row has a translation" \
	test "$(q "SELECT count(*) FROM flows WHERE (nat_dst <> '' OR nat_src <> '')
		AND nat NOT IN ('web', 'web6', 'masq')")" = 0

"$VIGILD" flows --db "$DB" --since 10m >"$TMP/table.txt" 2>"$TMP/table.err"
check "vigild flows exits 0" test $? = 0
diag_file "$TMP/table.txt"
check "the table shows the translated destination and the entry: $L4:80 via web" \
	grep -qE "^.* $GW4 +8080 +$L4:80 via web +web-in " "$TMP/table.txt"
check "the table shows [$L6]:80 via web6" grep -q "\[$L6\]:80 via web6" "$TMP/table.txt"
check "the table shows the masquerade's source: src $GW4 via masq" \
	grep -qE " $W4 +80 +src $GW4 via masq +lan-out " "$TMP/table.txt"
"$VIGILD" flows --db "$DB" --since 10m --json >"$TMP/flows.json" 2>/dev/null
check "--json: nat_dst, nat_dport, nat, rule of the IPv4 dnat" python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
r = [x for x in rows if x["dst"] == sys.argv[2] and x["dport"] == 8080]
assert sum(x["flows"] for x in r) == 3, r
assert all(x["nat_dst"] == "10.1.0.2" and x["nat_dport"] == 80 and x["nat"] == "web"
           and x["rule"] == "web-in" and x["nat_src"] is None for x in r), r
m = [x for x in rows if x["nat"] == "masq" and x["family"] == 4]
assert m and all(x["nat_src"] == sys.argv[2] and x["nat_dst"] is None for x in m), m
' "$TMP/flows.json" "$GW4"
"$VIGILD" flows --db "$DB" --since 10m --by nat --json >"$TMP/bynat.json" 2>/dev/null
check "--by nat: web 3, web6 2, masq 5, nothing else" python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
got = {r["nat"]: r["flows"] for r in rows}
assert got == {"web": 3, "web6": 2, "masq": 5}, got
' "$TMP/bynat.json"

# the control socket's GET /v1/flows: the same objects
if command -v curl >/dev/null; then
	SOCK=$VIGIL_RUN_DIR/control.sock
	api_same() { # QUERY CLI-JSON
		curl -sS --max-time 20 --unix-socket "$SOCK" -o "$TMP/api.json" "http://vigil/v1/flows?$1" &&
			python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sys.exit(0 if a == b and len(a) > 0 else 1)' "$TMP/api.json" "$2"
	}
	check "GET /v1/flows?since=10m&by=nat equals vigild flows --since 10m --by nat --json" \
		api_same "since=10m&by=nat" "$TMP/bynat.json"
	check "GET /v1/flows?since=10m (with nat_dst, nat) equals vigild flows --since 10m --json" \
		api_same "since=10m" "$TMP/flows.json"
else
	skip "GET /v1/flows" "curl is missing"
fi

sleep 1.5
kill "$FOLLOW_PID" "$ND_PID" 2>/dev/null
wait "$FOLLOW_PID" "$ND_PID" 2>/dev/null
check "both followers followed through the watch's control socket" \
	bash -c "grep -q \"info: following through vigild watch's control socket\" '$TMP/ecs.err' &&
		grep -q \"info: following through vigild watch's control socket\" '$TMP/nd.err'" ||
	diag_file "$TMP/nd.err"
check "--follow (ndjson): each translated line has the keys of a --json row, flows summed equal" python3 -c '
import json, sys
keys = ("minute", "family", "proto", "src", "dst", "dport", "rule", "nat_dst", "nat_dport",
        "nat_src", "nat", "verdict")
db = {tuple(r[k] for k in keys): r["flows"] for r in json.load(open(sys.argv[2]))}
got = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("nat_dst") or r.get("nat_src") or r.get("nat"):
        k = tuple(r[k] for k in keys)
        got[k] = got.get(k, 0) + r["flows"]
want = {k: v for k, v in db.items() if k[7] or k[9] or k[10]}
assert got == want and sum(got.values()) == 10, (got, want)
' "$TMP/nd.ndjson" "$TMP/flows.json" || diag_file "$TMP/nd.ndjson"
check "--follow --format ecs: destination.nat.ip/port for the dnat, source.nat.ip for the masquerade" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
d = [e for e in ev if e["destination"].get("nat", {}).get("ip") == "10.1.0.2"]
assert d and all(e["destination"]["nat"]["port"] == 80 and e["vigil"]["nat"] == "web"
                 and e["destination"]["ip"] == sys.argv[2] for e in d), ev
assert sum(e["event"]["count"] for e in d) == 3, d
s = [e for e in ev if e["source"].get("nat", {}).get("ip") == sys.argv[2]]
assert sum(e["event"]["count"] for e in s) == 4, s
' "$TMP/ecs.ndjson" "$GW4"

kill "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID" 2>/dev/null

# diff --flows: the forwarded connections a dnat sent elsewhere are not
# replayed as if the gateway's own 8080 (input) had been their destination
run "$TMP/diff" ip netns exec "$G" "$VIGILD" diff --flows --db "$DB" --since 1h "$POLICIES/natflows.yml"
diag_file "$TMP/diff.out"
# (the masqueraded ones are forward connections without their interfaces:
# diff --flows cannot tell lan-out's iif/oif, a limit of its own)
check "diff --flows with the recording policy: 5 connections replayed, none to tcp/8080" \
	bash -c "grep -q ' of the 5 connections seen in the last 1 hour' '$TMP/diff.out' && ! grep -q 'tcp/8080' '$TMP/diff.out'"
check "... and says the 5 dnat'ed ones were not replayed" \
	grep -q "^not replayed: 5 connections a dnat or redirect sent elsewhere (nat_dst)$" "$TMP/diff.out"
done_testing
