#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Refused traffic under vigild watch (NFLOG): a connection dropped by a rule
# and one dropped by the default verdict are in the database and in
# `vigild flows --verdict refused` with their rule, source and port; the
# exact totals equal the kernel's counters; a flood of 5,000 new flows to a
# dropped port is counted exactly while the sample stays within the rate
# limit, and the loss figures add up; a group another program holds is
# refused clearly. TAP.
source "$(dirname "$0")/lib.sh"
: "${FLOWGEN:?FLOWGEN must name the flowgen binary (meson sets it)}"

netns_preflight
command -v sqlite3 >/dev/null || bail_out "sqlite3 is not installed"


q() {
	sqlite3 -cmd ".timeout 5000" "$DB" "$1"
}

# counter NS COMMENT VERDICT: the packets of the rules with that comment
# and verdict (drop, reject, or nflog: the NFLOG rules), from nft -j.
counter() {
	ip netns exec "$1" nft -j list table inet vigil | python3 -c '
import json, sys
want, verdict = sys.argv[1], sys.argv[2]
n = 0
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if not r or r.get("comment") != want:
        continue
    ex = r["expr"]
    kinds = set(k for e in ex for k in e)
    pk = sum(e["counter"]["packets"] for e in ex if "counter" in e)
    grp = any("log" in e and "group" in e["log"] for e in ex)
    if verdict == "nflog" and grp:
        n += pk
    elif verdict != "nflog" and not grp and verdict in kinds:
        n += pk
    elif verdict == "default" and not grp and not (kinds & {"accept", "drop", "reject"}):
        n += pk
print(n)' "$2" "$3"
}

ns_new host host || bail_out "namespace"
ns_new client client || bail_out "namespace"
veth "$host" vh0 "$client" vc0 || bail_out "veth"
addr "$host" vh0 10.62.0.1/24
addr "$client" vc0 10.62.0.2/24
serve "$host" tcp 8080 2323 4444 || bail_out "serve tcp"

cat >"$TMP/p.yml" <<'EOF2'
version: 1
defaults: {input: drop, forward: drop, output: accept}
rules:
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
  - {name: telnet, chain: input, proto: tcp, dport: 2323, action: drop}
  - {name: flood, chain: input, proto: udp, dport: 20000-40000, action: drop}
EOF2
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
DB=$TMP/db/flows.db

start_watch "$host" "$DB" "$TMP/p.yml" --count-every 2 || bail_out "watch"
group_bound() {
	ip netns exec "$host" cat /proc/net/netfilter/nfnetlink_log | awk '$1 == 6613' | grep -q .
}
check "the watch binds its NFLOG group" group_bound
# the export, from before the traffic (as an unprivileged reader would)
"$VIGILD" flows --db "$DB" --follow --format ecs >"$TMP/ecs" 2>"$TMP/ecs.err" &
FOLLOW_PID=$!
_pid_list+=("$FOLLOW_PID")
"$VIGILD" flows --db "$DB" --follow >"$TMP/ndjson" 2>"$TMP/ndjson.err" &
FOLLOW2_PID=$!
_pid_list+=("$FOLLOW2_PID")
sleep 1.5
ip netns exec "$client" "$NETTOOL" probe tcp 10.62.0.1 8080 2000 >/dev/null
ip netns exec "$client" "$NETTOOL" probe tcp 10.62.0.1 2323 300 >"$TMP/p1" 2>&1
check "a connection to the dropped port times out" grep -q '^timeout' "$TMP/p1"
ip netns exec "$client" "$NETTOOL" probe tcp 10.62.0.1 4444 300 >"$TMP/p2" 2>&1
check "a connection to a port no rule accepts times out" grep -q '^timeout' "$TMP/p2"
t0=$(date +%s.%N)
ip netns exec "$client" "$FLOWGEN" --src 10.62.0.2 10.62.0.1 20000 24999 5000 >"$TMP/flood" 2>&1
t1=$(date +%s.%N)
diag "$(cat "$TMP/flood")"
sleep 5 # the NFLOG flush (0.2 s), two counter dumps, the writer's second

# ---- the sample: rule, source, port ----
check "the rule's drop is in the database with its source and port" \
	test "$(q "SELECT sum(sampled) FROM refused WHERE rule = 'telnet' AND verdict = 'drop'
	           AND src = '10.62.0.2' AND dst = '10.62.0.1' AND dport = 2323 AND proto = 6")" -ge 1
check "the default verdict's drop is in the database as default:input" \
	test "$(q "SELECT sum(sampled) FROM refused WHERE rule = 'default:input' AND verdict = 'drop'
	           AND src = '10.62.0.2' AND dport = 4444")" -ge 1
check "the accepted connection is not refused" \
	test "$(q "SELECT count(*) FROM refused WHERE dport = 8080")" -eq 0

# ---- exact totals equal the kernel's counters ----
for r in telnet flood; do
	k=$(counter "$host" "$r" drop)
	d=$(q "SELECT coalesce(sum(counted), 0) FROM refused_counts WHERE rule = '$r'")
	if [ "$k" -gt 0 ] && [ "$k" = "$d" ]; then ok "$r: counted $d = the kernel's counter"
	else not_ok "$r: counted $d, the kernel's counter $k"; fi
done
k=$(counter "$host" vigil:default default)
d=$(q "SELECT coalesce(sum(counted), 0) FROM refused_counts WHERE rule = 'default:input'")
if [ "$k" -gt 0 ] && [ "$k" = "$d" ]; then ok "default:input: counted $d = the kernel's counter"
else not_ok "default:input: counted $d, the kernel's counter $k"; fi

# ---- the flood ----
sent=$(sed -n 's/^sent \([0-9]*\) flows.*/\1/p' "$TMP/flood")
counted=$(q "SELECT sum(counted) FROM refused_counts WHERE rule = 'flood'")
check "the flood is counted exactly: $counted of $sent" test "$counted" = "$sent"
sampled=$(q "SELECT coalesce(sum(sampled), 0) FROM refused WHERE rule = 'flood'")
secs=$(python3 -c "import math; print(math.ceil($t1 - $t0) + 1)")
bound=$((100 + 50 * secs))
check "the sample is bounded by the rate limit: $sampled <= 100 + 50 x $secs s" \
	test "$sampled" -ge 1 -a "$sampled" -le "$bound"
logged=$(q "SELECT sum(logged) FROM refused_counts WHERE rule = 'flood'")
got=$(q "SELECT sum(sampled) FROM refused_counts WHERE rule = 'flood'")
lost=$(q "SELECT sum(nflog_lost) FROM observer")
kl=$(counter "$host" flood nflog)
check "the kernel's NFLOG counter is what was logged: $logged = $kl" test "$logged" = "$kl"
check "loss adds up: logged $logged = received $got + lost $lost" test "$logged" -eq $((got + lost))
check "the sample rows and the totals agree: $sampled = $got" test "$sampled" = "$got"
check "no record was bad" test "$(q "SELECT sum(nflog_bad) FROM observer")" -eq 0

# ---- vigild flows ----
F="$VIGILD flows --db $DB --since -10m"
$F --verdict refused >"$TMP/f1" 2>&1
check "flows --verdict refused shows the rule's drop with its source and port" \
	grep -Eq "drop +tcp +10\.62\.0\.2 +10\.62\.0\.1 +2323 +telnet" "$TMP/f1"
check "... and the default verdict's" grep -Eq "drop +tcp +10\.62\.0\.2 +10\.62\.0\.1 +4444 +default:input" "$TMP/f1"
check "... and no accepted flow" sh -c "! grep -q ' accept ' '$TMP/f1'"
$F --verdict refused --by rule --json >"$TMP/f2" 2>/dev/null
check "flows --by rule: the exact refused packets per rule" python3 -c '
import json, sys
j = {r["rule"]: r for r in json.load(open(sys.argv[1]))}
assert j["flood"]["packets"] == int(sys.argv[2]) and j["flood"]["verdict"] == "drop", j
assert j["telnet"]["packets"] >= 1 and j["default:input"]["packets"] >= 1, j
' "$TMP/f2" "$sent"
$F --verdict all --by verdict >"$TMP/f3" 2>&1
check "flows --by verdict shows accept and drop" sh -c "grep -q ' accept ' '$TMP/f3' && grep -q ' drop ' '$TMP/f3'"
$F --rule flood --src 10.62.0.0/24 --dport 20000 --proto udp --json >"$TMP/f4" 2>/dev/null
check "--json: each row says whether its minute is complete (the watch started in the first)" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert all(isinstance(r["complete"], bool) for r in j), j
' "$TMP/f2"
check "filters --rule --src --dport --proto" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert all(r["dport"] == 20000 and r["proto"] == "udp" and r["rule"] == "flood" for r in j), j
' "$TMP/f4"
$F --rule flod >"$TMP/f5" 2>&1
rc=$?
check "an unknown rule is an error with a did-you-mean (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q \"no rule 'flod'.*did you mean 'flood'\" '$TMP/f5'"
$F --since garbage >"$TMP/f6" 2>&1
rc=$?
check "--since garbage names the accepted forms (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q \"'garbage' is not a time.*yesterday\" '$TMP/f6'"
$F --sort bytes --top 1 --by rule --verdict refused >"$TMP/f7" 2>&1
check "--sort bytes --top 1: the flood first" grep -Eq " drop +flood +100 +5000 " "$TMP/f7"

$F --verdict refused --by rule >"$TMP/f8" 2>&1
diag "vigild flows --verdict refused --by rule:"
diag_file "$TMP/f8"

# ---- --follow ----
kill -INT "$FOLLOW_PID" "$FOLLOW2_PID" 2>/dev/null
wait "$FOLLOW_PID" "$FOLLOW2_PID" 2>/dev/null
check "--follow --format ecs: every line is JSON with the ECS fields, refused and accepted" python3 -c '
import json, sys
n = seen = 0
acts = set()
for line in open(sys.argv[1]):
    o = json.loads(line)
    n += 1
    for k in ("source.ip", "destination.port", "network.transport", "event.action", "rule.name", "event.outcome"):
        a, b = k.split(".")
        assert b in o[a], (k, o)
    acts.add(o["event"]["action"])
    seen += o["rule"]["name"] == "telnet" and o["destination"]["port"] == 2323 and o["source"]["ip"] == "10.62.0.2"
assert n > 0 and seen == 1 and {"drop", "accept"} <= acts, (n, seen, acts)
' "$TMP/ecs"
check "--follow (ndjson): JSON lines with the verdict" python3 -c '
import json, sys
v = [json.loads(l)["verdict"] for l in open(sys.argv[1])]
assert "drop" in v and "accept" in v, v
' "$TMP/ndjson" || diag_file "$TMP/ndjson.err"

stop_watch

# ---- the row cap: 5,000 distinct accepted flows in a minute, cap 100 ----
cat >"$TMP/acc.yml" <<'EOF2'
version: 1
rules:
  - {name: gen, chain: input, proto: udp, dport: 30000-39999, action: accept}
EOF2
DB=$TMP/db/cap.db
start_watch "$host" "$DB" "$TMP/acc.yml" --row-cap 100 || bail_out "watch (cap)"
# within one minute: wait for a minute's second 5 at most 50 s in
while [ $(( $(date +%s) % 60 )) -gt 45 ]; do sleep 1; done
ip netns exec "$client" "$FLOWGEN" --src 10.62.0.2 10.62.0.1 30000 34999 5000 >"$TMP/flood2" 2>&1
sleep 2.5
sent=$(sed -n 's/^sent \([0-9]*\) flows.*/\1/p' "$TMP/flood2")
rows=$(q "SELECT count(*) FROM flows WHERE rule = 'gen' AND family <> 0")
over=$(q "SELECT coalesce(sum(flows), 0) FROM flows WHERE rule = 'gen' AND family = 0")
total=$(q "SELECT sum(flows) FROM flows WHERE rule = 'gen'")
folded=$(q "SELECT sum(folded) FROM observer")
check "the minute holds the cap of rows: $rows <= 100, plus one overflow row" \
	test "$rows" -le 100 -a "$(q "SELECT count(*) FROM flows WHERE rule = 'gen' AND family = 0")" -eq 1
check "totals stay exact: $total = $sent sent ($over in the overflow row)" test "$total" = "$sent"
check "the observer says how many were folded: $folded = $over" test "$folded" = "$over"
"$VIGILD" flows --db "$DB" --since -5m --rule gen >"$TMP/f9" 2>&1
check "flows shows the overflow row as such" grep -q "(overflow)" "$TMP/f9"
stop_watch

# ---- --db-max-size: old minutes go first, and flows says so ----
day=$(( $(date +%s) / 60 * 60 - 86400 ))
q "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000)
   INSERT INTO refused SELECT $day - (i % 100) * 60, 4, 6, '10.9.' || (i / 256) || '.' || (i % 256),
   '10.62.0.1', i % 1000, 'telnet', 'drop', 1 FROM c;
   INSERT INTO observer (minute) SELECT DISTINCT minute FROM refused WHERE minute <= $day;"
old=$(q "SELECT count(*) FROM refused WHERE minute <= $day")
start_watch "$host" "$DB" "$TMP/acc.yml" --db-max-size 64K || bail_out "watch (size)"
sleep 2.5
left=$(q "SELECT count(*) FROM refused WHERE minute <= $day")
check "the oldest minutes were deleted early: $left of $old rows a day old left" test "$left" -lt "$old"
check "... the recent ones stay" test "$(q "SELECT count(*) FROM flows WHERE rule = 'gen'")" -gt 0
check "... said once in the log" grep -q "reached --db-max-size" "$TMP/watch.log"
"$VIGILD" flows --db "$DB" --since -2d >"$TMP/f10" 2>&1
check "flows says the window was expired early" grep -q "^EXPIRED EARLY: minutes before" "$TMP/f10"
stop_watch
DB=$TMP/db/flows.db

# ---- a group another program holds ----
start_watch "$host" "$DB" "$TMP/p.yml" --count-every 2 || bail_out "watch"
ip netns exec "$host" "$VIGILD" watch --db "$TMP/db/other.db" --table other "$TMP/p.yml" \
	>"$TMP/second.log" 2>&1 &
p2=$!
_pid_list+=("$p2")
for i in $(seq 60); do grep -q "recording flows\|error" "$TMP/second.log" && break; sleep 0.1; done
check "a second watch says the group is held by another program" \
	grep -q "NFLOG group 6613 is bound by another program" "$TMP/second.log"
grep -q "NFLOG group 6613 is bound by another program" "$TMP/second.log" || diag_file "$TMP/second.log"
kill -TERM "$p2" 2>/dev/null
wait "$p2" 2>/dev/null
stop_watch

done_testing
