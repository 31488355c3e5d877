#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `vigild flows --follow` through the watch's control socket (GET
# /v1/flows/stream): followers see an accepted and a refused connection
# within a bound, ecs lines are JSON, a member of the socket's group may
# follow and a stranger cannot connect, filters are the watch's, a follower
# that does not read loses lines (said in a "lost" line) while the watch
# answers at once, the cap on followers (503), a killed follower leaves the
# watch healthy, SIGINT ends --follow within 2 s (socket and database
# polling), and without a watch --follow polls the database. TAP.
source "$(dirname "$0")/lib.sh"
: "${FLOWGEN:?FLOWGEN must name the flowgen binary (meson sets it)}"

netns_preflight
for t in curl python3 setpriv; do
	command -v "$t" >/dev/null || bail_out "'$t' is not installed (tools/install-deps)"
done

WATCH_PID=
SOCK=$VIGIL_RUN_DIR/control.sock
WATCH_SOCK=$SOCK # start_watch (lib.sh) waits for it
DB=$TMP/db/flows.db

as_user() { # UID GROUPS|- COMMAND...
	local uid=$1 groups=$2
	shift 2
	if [ "$groups" = - ]; then
		setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"
	else
		setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$@"
	fi
}

# wait_for FILE PATTERN SECONDS: true once FILE has a line matching PATTERN
wait_for() {
	local i
	for i in $(seq $(($3 * 20))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# follower NAME [OPTIONS...]: vigild flows --follow in the background (FPID)
follower() {
	local name=$1
	shift
	"$VIGILD" flows --follow "$@" >"$TMP/$name" 2>"$TMP/$name.err" &
	FPID=$!
	_pid_list+=("$FPID")
}

# ms_since T0 (date +%s%N)
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

ns_new host host || bail_out "namespace"
ns_new client client || bail_out "namespace"
veth "$host" vh0 "$client" vc0 || bail_out "veth"
addr "$host" vh0 10.62.0.1/24
addr "$client" vc0 10.62.0.2/24
serve "$host" tcp 8080 2323 || bail_out "serve tcp"
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
cat >"$TMP/p.yml" <<'P'
version: 1
defaults: {input: drop, forward: drop, output: accept}
rules:
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
  - {name: telnet, chain: input, proto: tcp, dport: 2323, action: drop}
  - {name: gen, chain: input, proto: udp, dport: 30000-39999, action: accept}
P
start_watch "$host" "$DB" "$TMP/p.yml" --count-every 2 || bail_out "vigild watch"
GID=$(stat -c %g "$SOCK")

# ---- followers through the socket ----
follower nd --db "$DB"
ND_PID=$FPID
follower ecs --db "$DB" --format ecs
ECS_PID=$FPID
follower acc --verdict accepted --rule web
ACC_PID=$FPID
as_user 4242 "$GID" "$VIGILD" flows --follow >"$TMP/grp" 2>"$TMP/grp.err" &
GRP_PID=$!
_pid_list+=("$GRP_PID")
check "--follow says on stderr that it follows through the control socket" \
	wait_for "$TMP/nd.err" "info: following through vigild watch's control socket" 5 || diag_file "$TMP/nd.err"
check "... and so does a member of the socket's group (uid 4242)" \
	wait_for "$TMP/grp.err" "info: following through vigild watch's control socket" 5 || diag_file "$TMP/grp.err"
wait_for "$TMP/ecs.err" "following through" 5
wait_for "$TMP/acc.err" "following through" 5
sleep 0.3

t0=$(date +%s%N)
ip netns exec "$client" "$NETTOOL" probe tcp 10.62.0.1 8080 2000 >"$TMP/p1" 2>&1
seen() { grep -q '"dport":8080' "$TMP/nd" && grep -q '"verdict":"accept"' "$TMP/nd"; }
for i in $(seq 60); do seen && break; sleep 0.05; done
ms=$(ms_since "$t0")
check "an accepted connection is in the follower's output within 3 s (took $ms ms)" \
	bash -c "grep -q '\"dport\":8080' '$TMP/nd' && test $ms -lt 3000" || diag_file "$TMP/nd"
t0=$(date +%s%N)
ip netns exec "$client" "$NETTOOL" probe tcp 10.62.0.1 2323 300 >"$TMP/p2" 2>&1
for i in $(seq 80); do grep -q '"dport":2323' "$TMP/nd" && break; sleep 0.05; done
ms=$(ms_since "$t0")
check "a refused connection (rule telnet, drop) follows within 4 s (took $ms ms)" \
	bash -c "grep '\"dport\":2323' '$TMP/nd' | grep '\"rule\":\"telnet\"' | grep -q '\"verdict\":\"drop\"' && test $ms -lt 4000" ||
	diag_file "$TMP/nd"
check "ndjson: every line is JSON, the accepted one with src, rule web and flows 1" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
a = [r for r in rows if r["dport"] == 8080]
assert a and a[0]["src"] == "10.62.0.2" and a[0]["rule"] == "web" and a[0]["flows"] == 1, a
' "$TMP/nd"
wait_for "$TMP/ecs" '"port":2323' 3
check "ecs: every line parses as JSON (json.loads), with the ECS fields of both" python3 -c '
import json, sys
acts = set()
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["observer"]["product"] == "vigild" and o["@timestamp"].endswith("Z"), o
    acts.add((o["event"]["action"], o["destination"].get("port"), o["rule"]["name"], o["event"]["count"]))
assert ("accept", 8080, "web", 1) in acts and ("drop", 2323, "telnet", 1) in acts, acts
' "$TMP/ecs" || diag_file "$TMP/ecs"
check "a member of the socket's group sees them too" \
	bash -c "grep -q '\"dport\":8080' '$TMP/grp' && grep -q '\"dport\":2323' '$TMP/grp'" || diag_file "$TMP/grp"
check "--verdict accepted --rule web: the watch filters (8080 only, no refused line)" \
	bash -c "grep -q '\"dport\":8080' '$TMP/acc' && ! grep -q '\"verdict\":\"drop\"' '$TMP/acc'" || diag_file "$TMP/acc"

# ---- a stranger ----
as_user 4243 - "$VIGILD" flows --follow --db "$DB" >"$TMP/str" 2>"$TMP/str.err" &
STR_PID=$!
_pid_list+=("$STR_PID")
sleep 1
kill -INT "$STR_PID" 2>/dev/null
wait "$STR_PID" 2>/dev/null
check "a user outside the group cannot use the socket (--follow says so, and does not stream)" \
	bash -c "grep -q 'not ours to use (permission denied)' '$TMP/str.err' && ! grep -q 'following through' '$TMP/str.err'" ||
	diag_file "$TMP/str.err"
as_user 4243 - /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(0)
sys.exit(1)' "$SOCK"
check "... connect(2) to the socket: permission denied" test $? = 0

# ---- bad arguments: 400, and db= of another database: 404 ----
code() { curl -sS --max-time 5 --unix-socket "$SOCK" -o "$TMP/body" -w '%{http_code}' "http://vigil$1"; }
check "GET /v1/flows/stream?format=xml: 400" test "$(code '/v1/flows/stream?format=xml')" = 400
check "... ?src=10.0.0.0/33: 400" test "$(code '/v1/flows/stream?src=10.0.0.0/33')" = 400
check "... ?db=/nonexistent: 404, naming the watch's database" \
	bash -c "test \"\$(curl -sS --max-time 5 --unix-socket '$SOCK' -o '$TMP/body' -w '%{http_code}' 'http://vigil/v1/flows/stream?db=/nonexistent')\" = 404 && grep -q '$DB' '$TMP/body'"

# ---- a follower that does not read: it loses lines, the loop goes on ----
python3 - "$SOCK" "$TMP/slow.ready" >"$TMP/slow" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.sendall(b"GET /v1/flows/stream?verdict=accepted&rule=gen HTTP/1.1\r\nHost: v\r\n\r\n")
# the answer's head: the watch holds this follower from now on
s.settimeout(20)
data = b""
while b"\r\n\r\n" not in data:
    d = s.recv(1)
    if not d:
        break
    data += d
open(sys.argv[2], "w").write("ready\n")
time.sleep(6)
s.settimeout(3)
try:
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        data += d
except socket.timeout:
    pass
print(data.count(b'"lost":'), data.count(b'"rule":"gen"'))
PY
SLOW_PID=$!
# the flood starts once the follower holds its stream (a loaded machine
# may take seconds to start python), or after 20 s
for _ in $(seq 200); do [ -s "$TMP/slow.ready" ] && break; sleep 0.1; done
ip netns exec "$client" "$FLOWGEN" --src 10.62.0.2 10.62.0.1 30000 39999 10000 >"$TMP/flood" 2>&1
diag "$(cat "$TMP/flood")"
t0=$(date +%s%N)
sc=$(curl -sS --max-time 5 --unix-socket "$SOCK" -o /dev/null -w '%{http_code}' http://vigil/v1/status)
ms=$(ms_since "$t0")
check "while a follower does not read, GET /v1/status answers at once ($sc in $ms ms)" \
	test "$sc" = 200 -a "$ms" -lt 1000
wait "$SLOW_PID"
read -r lost lines <"$TMP/slow"
check "the follower that did not read got a \"lost\" line (and ${lines:-0} of 10000 rows)" \
	test "${lost:-0}" -ge 1 -a "${lines:-0}" -ge 1 -a "${lines:-0}" -lt 10000 || diag_file "$TMP/slow"

# ---- the cap on followers: 16 ----
cpids=()
for i in $(seq 20); do
	curl -sS -N --max-time 8 --unix-socket "$SOCK" -o "$TMP/cap.$i" -w '%{http_code}\n' \
		http://vigil/v1/flows/stream >"$TMP/cap.$i.code" 2>/dev/null &
	cpids+=($!)
	_pid_list+=($!)
done
sleep 1.5
n503=$(cat "$TMP"/cap.*.code 2>/dev/null | grep -c '^503$')
diag "codes: $(cat "$TMP"/cap.*.code 2>/dev/null | sort | uniq -c | tr '\n' ' ')"
check "20 more followers with 4 following: 8 are refused 503 (16 at most)" test "$n503" = 8
kill "${cpids[@]}" 2>/dev/null
wait "${cpids[@]}" 2>/dev/null

# ---- a killed follower; SIGINT ----
kill -9 "$ECS_PID"
wait "$ECS_PID" 2>/dev/null
sleep 0.5
ip netns exec "$client" "$NETTOOL" probe tcp 10.62.0.1 8080 2000 >/dev/null 2>&1
sleep 2
check "after a follower is killed (-9), the watch is healthy: status 200, active" \
	bash -c "kill -0 $WATCH_PID && curl -sS --max-time 5 --unix-socket '$SOCK' http://vigil/v1/status | grep -q '\"state\": \"active\"'"
check "... and the other followers still get lines (two connections to 8080 now)" \
	test "$(grep -c '"dport":8080' "$TMP/nd")" -ge 2
t0=$(date +%s%N)
kill -INT "$ND_PID"
wait "$ND_PID"
rc=$?
ms=$(ms_since "$t0")
check "SIGINT ends --follow (socket) within 2 s, exit 0 (took $ms ms, exit $rc)" \
	test "$ms" -lt 2000 -a "$rc" = 0
t0=$(date +%s%N)
kill -TERM "$ACC_PID" "$GRP_PID"
wait "$ACC_PID" "$GRP_PID"
ms=$(ms_since "$t0")
check "SIGTERM ends two more within 2 s (took $ms ms)" test "$ms" -lt 2000

# ---- without a watch: the database, polled ----
follower poll --db "$DB"
POLL_PID=$FPID
wait_for "$TMP/poll.err" "following through" 5
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "the watch stops with a follower attached: exit 0" test $? = 0
check "... the follower says the stream ended and polls the database" \
	wait_for "$TMP/poll.err" "following $DB by reading it once a second" 5 || diag_file "$TMP/poll.err"
t0=$(date +%s%N)
kill -INT "$POLL_PID"
wait "$POLL_PID"
rc=$?
ms=$(ms_since "$t0")
check "SIGINT ends --follow while it polls within 2 s, exit 0 (took $ms ms, exit $rc)" \
	test "$ms" -lt 2000 -a "$rc" = 0
follower nowatch --db "$DB"
NW_PID=$FPID
check "with no watch, --follow says so and polls the database" \
	bash -c "sleep 1; grep -q 'no vigild watch runs here' '$TMP/nowatch.err' && grep -q 'by reading it once a second' '$TMP/nowatch.err'" ||
	diag_file "$TMP/nowatch.err"
t0=$(date +%s%N)
kill -INT "$NW_PID"
wait "$NW_PID"
ms=$(ms_since "$t0")
check "... and SIGINT ends it within 2 s (took $ms ms)" test "$ms" -lt 2000

done_testing
