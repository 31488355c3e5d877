#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The control socket against the real kernel, with curl --unix-socket:
# status, reloads refused (located errors, the old policy still in the
# kernel) and applied, the events stream, access levels by SO_PEERCRED
# (root, the socket's group, anyone else), wrong method, unknown path,
# oversized body, slow client, and /metrics: promtool check metrics and
# per-rule packet counts equal to the kernel's counters. TAP.
source "$(dirname "$0")/lib.sh"

netns_preflight
# lib.sh's check, but failing when the point fails, so that
# `check ... || diag_file LOG` shows why
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; return 1; fi
}
for t in curl promtool python3 setpriv; do
	command -v "$t" >/dev/null || bail_out "'$t' is not installed (tools/install-deps)"
done

WATCH_PID=
SOCK=$VIGIL_RUN_DIR/control.sock
WATCH_SOCK=$SOCK # start_watch (lib.sh) waits for it
OUT=$TMP/body

# api METHOD PATH [CURL OPTIONS...]: CODE gets the HTTP status, $OUT the body.
api() {
	local m=$1 p=$2
	shift 2
	CODE=$(curl -sS --max-time 20 --unix-socket "$SOCK" -X "$m" -o "$OUT" -w '%{http_code}' "$@" \
		"http://vigil$p" 2>"$TMP/curl.err")
	CURL_RC=$?
}

# as_user UID GROUPS COMMAND...: COMMAND with that uid (gid = uid), and
# supplementary GROUPS (comma-separated) or none ("-").
as_user() {
	local uid=$1 groups=$2
	shift 2
	if [ "$groups" = - ]; then
		setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"
	else
		setpriv --reuid "$uid" --regid "$uid" --groups "$groups" "$@"
	fi
}

# jq_py FILE EXPR: a Python expression on the JSON document `j`, printed.
jq_py() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(r if not isinstance(r,bool) else str(r).lower())' "$1" "$2" 2>/dev/null
}

# is_json_error CODE (exported for check's bash -c): the body is {"error": "...", "status": CODE}
is_json_error() {
	[ "$(jq_py "$OUT" "j['status'] == $1 and len(j['error']) > 0")" = true ] || {
		diag "not a JSON error $1:"
		diag_file "$OUT"
		return 1
	}
}

# the table without its counters (neighbour discovery counts on)
export -f is_json_error jq_py diag diag_file
export OUT
table() {
	ip netns exec "$host" nft list table inet vigil | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
}

ns_new host host || bail_out "namespace"
ns_new client client || bail_out "namespace"
veth "$host" vh0 "$client" vc0 || bail_out "veth"
addr "$host" vh0 10.62.0.1/24
addr "$client" vc0 10.62.0.2/24
serve "$host" tcp 8080 8081 9090 || bail_out "serve tcp"
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"

cat >"$TMP/p1.yml" <<'P'
version: 1
rules:
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
  - {name: nope, chain: input, proto: tcp, dport: 9090, action: drop}
P
cat >"$TMP/bad.yml" <<'P'
version: 1
rules:
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
  - {name: alt, chain: input, proto: tcp, dport: 8081, action: acept}
P
cat >"$TMP/p2.yml" <<'P'
version: 1
rules:
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
  - {name: alt, chain: input, proto: tcp, dport: 8081, action: accept}
  - {name: nope, chain: input, proto: tcp, dport: 9090, action: drop}
P

# the textfile collector's directory: vigild's user writes into it
mkdir -p "$TMP/prom" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/prom"
PROM=$TMP/prom/vigil.prom
# --on-event: one file per event, with the uid it ran as and its stdin
mkdir -p "$TMP/ev" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/ev"
ONEV='f=EVDIR/$(date +%s%N).$VIGIL_EVENT; { id -u; cat; } >"$f.tmp" && mv "$f.tmp" "$f"'
ONEV=${ONEV//EVDIR/$TMP/ev}
# --no-owner: the drift test at the end deletes the table with nft
start_watch "$host" "$TMP/db/flows.db" "$TMP/p1.yml" --metrics-file "$PROM" --metrics-interval 1 \
	--metrics-listen 127.0.0.1:9469 --on-event "$ONEV" --no-owner || bail_out "vigild watch"

# ---- the socket ----
check "control socket is a socket, mode 0660, group of vigild's user" \
	bash -c "test -S '$SOCK' && test \"\$(stat -c %a '$SOCK')\" = 660 && test \"\$(stat -c %g '$SOCK')\" = \"$(id -g "$(id -un vigil 2>/dev/null || echo nobody)")\""
GID=$(stat -c %g "$SOCK")

# ---- options refused at start, before anything else ----
run "$TMP/o1" ip netns exec "$host" "$VIGILD" watch --metrics-listen 127.0.0.1:9469 "$TMP/p1.yml"
check "a second watch whose --metrics-listen port is taken: exit 3, says so" \
	bash -c "test $RC = 3 && grep -q 'metrics-listen 127.0.0.1:9469: Address already in use' '$TMP/o1.err'" || diag_file "$TMP/o1.err"
run "$TMP/o2" ip netns exec "$host" "$VIGILD" watch --metrics-file "$TMP/nonexistent/v.prom" "$TMP/p1.yml"
check "--metrics-file in a missing directory: exit 3, says so" \
	bash -c "test $RC = 3 && grep -q 'cannot open its directory' '$TMP/o2.err'" || diag_file "$TMP/o2.err"
run "$TMP/o3" "$VIGILD" watch --metrics-listen localhost "$TMP/p1.yml"
check "--metrics-listen without a port: usage, exit 2" test "$RC" = 2
api GET /v1/status
check "... the running watch did not notice" bash -c "test $CODE = 200 && kill -0 $WATCH_PID"

# ---- status ----
api GET /v1/status
check "GET /v1/status: 200, state active, table vigil, the watch's pid" \
	test "$CODE/$(jq_py "$OUT" "j['state']")/$(jq_py "$OUT" "j['table']")/$(jq_py "$OUT" "j['watch']['pid']")" = "200/active/vigil/$WATCH_PID"
api GET /v1/policy
check "GET /v1/policy: 200, the compiled ruleset names rule web" \
	bash -c "test $CODE = 200 && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if \"dport 8080\" in j[\"ruleset\"] and len(j[\"hash\"]) == 64 else 1)' '$OUT'"

# ---- the events stream, from now on ----
curl -sS -N --unix-socket "$SOCK" http://vigil/v1/events >"$TMP/events" 2>"$TMP/events.err" &
EV_PID=$!
_pid_list+=("$EV_PID")
# and one that stays open, idle for longer than the client timeout
curl -sS -N --unix-socket "$SOCK" http://vigil/v1/events >"$TMP/events2" 2>"$TMP/events2.err" &
EV2_PID=$!
_pid_list+=("$EV2_PID")
sleep 0.3

# ---- reload: refused, then applied ----
table >"$TMP/t1"
api POST /v1/reload --data-binary "@$TMP/bad.yml"
check "POST /v1/reload with an invalid policy: 422, ok false, exit_code 1" \
	test "$CODE/$(jq_py "$OUT" "j['ok']")/$(jq_py "$OUT" "j['exit_code']")" = "422/false/1"
check "... its diagnostic is located (line 4 of the posted policy) and names the value" \
	bash -c "test \"\$(python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))[\"diagnostics\"][0]; print(g[\"severity\"], g[\"line\"], g[\"column\"] > 0, \"acept\" in g[\"text\"])' '$OUT')\" = 'error 4 True True'" ||
	diag_file "$OUT"
table >"$TMP/t2"
check "... the old policy is still live in the kernel, unchanged" same "$TMP/t1" "$TMP/t2"
api GET /v1/status
check "... status: still active, last apply refused/invalid" \
	bash -c "test \"$(jq_py "$OUT" "j['state']")\" = active && test \"$(jq_py "$OUT" "j['last_apply']['result']")\" != ok"

api POST /v1/reload --data-binary "@$TMP/p2.yml"
check "POST /v1/reload with a good policy: 200, ok true" \
	test "$CODE/$(jq_py "$OUT" "j['ok']")" = "200/true"
check "... the kernel has the new rule (dport 8081)" bash -c "ip netns exec '$host' nft list table inet vigil | grep -q 'dport 8081'"
cp "$TMP/p2.yml" "$TMP/p1.yml"
api POST /v1/reload
check "POST /v1/reload without a body (the policy file again): 200" test "$CODE" = 200
# what the unit's ExecReload runs: vigild reload waits for the outcome
cp "$TMP/bad.yml" "$TMP/p1.yml"
run "$TMP/rl" ip netns exec "$host" "$VIGILD" reload
check "vigild reload (ExecReload) with a refused policy file: exit 1, the error located" \
	bash -c "test $RC = 1 && grep -q 'p1.yml:4:' '$TMP/rl.err'" || diag_file "$TMP/rl.err"
cp "$TMP/p2.yml" "$TMP/p1.yml"
run "$TMP/rl" ip netns exec "$host" "$VIGILD" reload
check "vigild reload with the good one again: exit 0" test "$RC" = 0
sleep 0.3
kill "$EV_PID" 2>/dev/null
wait "$EV_PID" 2>/dev/null
check "/v1/events: ndjson with the refused and the applied reloads, each with time and level" \
	python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = [e["event"] for e in ev]
ok = "refused" in kinds and "applied" in kinds and kinds.index("refused") < kinds.index("applied")
ok = ok and all(e["time"].endswith("Z") and e["level"] for e in ev)
ok = ok and [e for e in ev if e["event"] == "refused"][0]["level"] == "error"
sys.exit(0 if ok else 1)' "$TMP/events" || diag_file "$TMP/events"

# ---- access levels ----
# (curl as that user cannot write into $TMP: the body comes on stdout, the code on stderr)
as_user 4242 "$GID" curl -sS --unix-socket "$SOCK" -w '%{stderr}%{http_code}' http://vigil/v1/status >"$OUT" 2>"$TMP/code"
check "a member of the socket's group: GET /v1/status 200" \
	bash -c "test \"\$(cat '$TMP/code')\" = 200 && test \"$(jq_py "$OUT" "j['state']")\" = active"
as_user 4242 "$GID" curl -sS --unix-socket "$SOCK" -w '%{stderr}%{http_code}' -X POST http://vigil/v1/reload >"$OUT" 2>"$TMP/code"
check "... POST /v1/reload: 403 with a JSON error" \
	bash -c "test \"\$(cat '$TMP/code')\" = 403 && is_json_error 403"
as_user 4242 "$GID" curl -sS --unix-socket "$SOCK" -w '%{stderr}%{http_code}' -X POST http://vigil/v1/rollback >"$OUT" 2>"$TMP/code"
check "... POST /v1/rollback: 403" test "$(cat "$TMP/code")" = 403
as_user 4242 - curl -sS --unix-socket "$SOCK" http://vigil/v1/status >"$OUT" 2>"$TMP/curl.err"
RC=$?
check "a user outside the group cannot connect (curl exit 7: permission denied)" \
	bash -c "test $RC = 7 && grep -qi 'permission denied\|couldn.t connect' '$TMP/curl.err'"

# ---- bad requests: JSON errors, the watch lives on ----
api POST /v1/status
check "POST /v1/status: 405 with a JSON error" bash -c "test $CODE = 405 && is_json_error 405"
api GET /v1/reload
check "GET /v1/reload: 405" test "$CODE" = 405
api GET /v1/nope
check "GET /v1/nope: 404 with a JSON error" bash -c "test $CODE = 404 && is_json_error 404"
head -c $((17 << 20)) /dev/zero | tr '\0' 'a' >"$TMP/big"
api POST /v1/reload --data-binary "@$TMP/big" -H 'Expect:'
check "POST /v1/reload with a 17 MiB body: 413 with a JSON error" bash -c "test $CODE = 413 && is_json_error 413"
api POST /v1/reload --data-binary "@$TMP/big" -H 'Expect:' -H 'Transfer-Encoding: chunked'
check "... and sent chunked (no Content-Length): 413 too" bash -c "test $CODE = 413 && is_json_error 413"
# POST /v1/apply carries the policy's text (the watch reads no path for it)
api POST /v1/apply -d '{"path": "/nonexistent/p.yml", "confirm": 30}'
check "POST /v1/apply with a path and no policy text: 400, the error names 'policy'" \
	bash -c "test $CODE = 400 && is_json_error 400 && grep -q 'policy' '$OUT'"
table >"$TMP/t3"
check "... the kernel is untouched" bash -c "grep -q 'dport 8081' '$TMP/t3'"
# a client that sends half a request and then nothing
python3 - "$SOCK" >"$TMP/slow" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: vigil\r\n")
t = time.monotonic()
s.settimeout(40)
try:
    data = s.recv(4096)
except Exception as e:
    data = repr(e).encode()
print("closed after %.1f s: %r" % (time.monotonic() - t, data[:60]))
PY
SLOW_PID=$!
sleep 0.5
t0=$(date +%s%N)
api GET /v1/status
t1=$(date +%s%N)
check "while a slow client holds a connection, status answers at once (< 1 s)" \
	test "$CODE" = 200 -a $(((t1 - t0) / 1000000)) -lt 1000
wait "$SLOW_PID"
SECS=$(sed -n 's/^closed after \([0-9.]*\) s.*/\1/p' "$TMP/slow")
check "the slow client is cut off by the timeout (10 s; took ${SECS:-?} s)" \
	python3 -c "import sys; sys.exit(0 if 8 <= float('${SECS:-0}') <= 15 else 1)" || diag_file "$TMP/slow"
# malformed requests: libmicrohttpd answers them itself (400, 431, 505; not
# in JSON) or hangs up
python3 - "$SOCK" >"$TMP/garbage" 2>&1 <<'PY'
import socket, sys
cases = [b"\x00\xff\xfe garbage\r\n\r\n", b"GET /v1/status HTTP/9.9\r\n\r\n",
         b"GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n",
         b"POST /v1/reload HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
         b"GET /v1/flows?since=%ff%00&by=" + b"x" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"]
for c in cases:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(15)
    s.connect(sys.argv[1])
    try:
        s.sendall(c)
        r = s.recv(200)
    except Exception as e:
        r = repr(e).encode()
    print(r.split(b"\r\n")[0].decode("latin1") or "(closed)")
    s.close()
PY
check "five malformed requests (binary, HTTP/9.9, a 200 kB header, a negative length, a bad query): each answered 4xx (505 for the version) or closed" \
	bash -c "test \$(grep -c . '$TMP/garbage') = 5 && ! grep -qv '^HTTP/1.1 4[0-9][0-9]\\|^HTTP/1.1 505\|^(closed)\|reset' '$TMP/garbage'" ||
	diag_file "$TMP/garbage"
api GET /v1/status
check "after all that the watch still answers, state active" \
	bash -c "kill -0 $WATCH_PID && test $CODE = 200 && test \"$(jq_py "$OUT" "j['state']")\" = active"

# ---- metrics ----
for i in 1 2 3 4 5; do
	ip netns exec "$client" "$NETTOOL" probe tcp 10.62.0.1 8080 1000 >/dev/null
	ip netns exec "$client" "$NETTOOL" probe tcp 10.62.0.1 8081 1000 >/dev/null
done
ip netns exec "$client" "$NETTOOL" probe tcp 10.62.0.1 9090 300 >/dev/null
api GET /metrics
cp "$OUT" "$TMP/metrics"
check "GET /metrics: 200" test "$CODE" = 200
promtool check metrics <"$TMP/metrics" >"$TMP/promtool" 2>&1
RC=$?
check "promtool check metrics passes on /metrics" test "$RC" = 0 || diag_file "$TMP/promtool"
ip netns exec "$host" nft -j list table inet vigil >"$TMP/t.json"
# nft's counters summed by rule comment, against the metric of that rule
cmp_rule() { # RULE
	local want got
	want=$(python3 -c '
import json, sys
n = 0
for o in json.load(open(sys.argv[1]))["nftables"]:
    r = o.get("rule")
    if r and r.get("comment") == sys.argv[2]:
        for e in r["expr"]:
            if "counter" in e:
                n += e["counter"]["packets"]
print(n)' "$TMP/t.json" "$1")
	got=$(sed -n "s/^vigil_rule_packets_total{rule=\"$1\",chain=\"input\"} //p" "$TMP/metrics")
	diag "rule $1: nft $want packets, /metrics ${got:-none}"
	[ -n "$got" ] && [ "$want" -gt 0 ] && [ "$got" = "$want" ]
}
check "vigil_rule_packets_total{rule=web} equals the nft counters (after traffic)" cmp_rule web
check "vigil_rule_packets_total{rule=alt} equals the nft counters" cmp_rule alt
check "vigil_rule_packets_total{rule=nope} equals the nft counters" cmp_rule nope
metric() { sed -n "s/^$1 //p" "$TMP/metrics"; }
check "vigil_rule_connections_total: web 5, alt 5, nope 0 (5 connections each were made)" \
	test "$(metric 'vigil_rule_connections_total{rule="web"}')/$(metric 'vigil_rule_connections_total{rule="alt"}')/$(metric 'vigil_rule_connections_total{rule="nope"}')" = 5/5/0 ||
	grep '^vigil_rule_conn' "$TMP/metrics" | diag "$(cat)"
check "vigil_db_rows_written_total is there, no write failures, nothing pending" \
	bash -c "grep -q '^vigil_db_rows_written_total [0-9]' '$TMP/metrics' && grep -q '^vigil_db_write_failures_total 0$' '$TMP/metrics' && grep -q '^vigil_db_rows_pending 0$' '$TMP/metrics'"

# ---- --metrics-file and --metrics-listen ----
m1=$(stat -c %Y.%y "$PROM" 2>/dev/null)
sleep 2.2
m2=$(stat -c %Y.%y "$PROM" 2>/dev/null)
check "--metrics-file: written, mode 0644, rewritten every second" \
	bash -c "test -f '$PROM' && test \"\$(stat -c %a '$PROM')\" = 644 && test -n '$m1' && test '$m1' != '$m2'"
check "... no temporary file is left beside it" \
	bash -c "test \"\$(ls -A '$TMP/prom')\" = vigil.prom"
promtool check metrics <"$PROM" >"$TMP/promtool" 2>&1
RC=$?
check "... promtool check metrics passes on the textfile" test "$RC" = 0 || diag_file "$TMP/promtool"
check "... it has the per-rule counters" grep -q '^vigil_rule_packets_total{rule="web",chain="input"} [1-9]' "$PROM"
tcp() { # METHOD PATH
	CODE=$(ip netns exec "$host" curl -sS --max-time 10 -X "$1" -o "$OUT" -w '%{http_code}' "http://127.0.0.1:9469$2")
}
tcp GET /metrics
cp "$OUT" "$TMP/metrics.tcp"
promtool check metrics <"$TMP/metrics.tcp" >"$TMP/promtool" 2>&1
RC=$?
check "--metrics-listen: GET /metrics 200 over TCP, promtool check metrics passes" \
	bash -c "test $CODE = 200 && test $RC = 0 && grep -q '^vigil_rule_packets_total{rule=\"web\"' '$TMP/metrics.tcp'" ||
	diag_file "$TMP/promtool"
tcp GET /v1/status
check "... GET /v1/status over TCP: 404 (only /metrics there)" bash -c "test $CODE = 404 && is_json_error 404"
tcp POST /metrics
check "... POST /metrics: 405" bash -c "test $CODE = 405 && is_json_error 405"
check "... not reachable from another namespace (bound to the host's loopback)" \
	bash -c "! ip netns exec '$client' curl -s --max-time 2 http://127.0.0.1:9469/metrics >/dev/null"

# ---- flows: what vigild flows --json says ----
sleep 2.2 # the watch hands its minute to the database each second
flows_same() { # QUERY CLI-OPTIONS...
	local q=$1
	shift
	api GET "/v1/flows?$q"
	"$VIGILD" flows --db "$TMP/db/flows.db" --json "$@" >"$TMP/cli.json" 2>/dev/null
	python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print("# %d rows, %d flows" % (len(a), sum(r["flows"] for r in a)))
sys.exit(0 if a == b and len(a) > 0 else 1)' "$OUT" "$TMP/cli.json" && test "$CODE" = 200 || {
		diag "GET /v1/flows?$q: $CODE"
		diag_file "$OUT"
		diag_file "$TMP/cli.json"
		return 1
	}
}
check "GET /v1/flows?since=10m&by=rule equals vigild flows --since 10m --by rule --json" \
	flows_same "since=10m&by=rule" --since 10m --by rule
check "GET /v1/flows?since=10m (rows) equals vigild flows --since 10m --json" \
	flows_same "since=10m" --since 10m
check "GET /v1/flows?since=10m&rule=web&by=dport equals the CLI's" \
	flows_same "since=10m&rule=web&by=dport" --since 10m --rule web --by dport
api GET "/v1/flows?by=bogus"
check "GET /v1/flows?by=bogus: 400 with a JSON error" bash -c "test $CODE = 400 && is_json_error 400"

# ---- --on-event: a deleted table ----
spawner_ok() { # a child of the watch: its user, no capabilities, no_new_privs, no seccomp kill of execve
	local c uid
	uid=$(id -u vigil 2>/dev/null || id -u nobody)
	for c in $(pgrep -P "$WATCH_PID"); do
		awk -v u="$uid" '$1 == "Uid:" && $2 == u && $3 == u { f++ } $1 == "CapEff:" && $2 == "0000000000000000" { f++ }
			$1 == "CapPrm:" && $2 == "0000000000000000" { f++ } $1 == "NoNewPrivs:" && $2 == 1 { f++ }
			END { exit f == 4 ? 0 : 1 }' "/proc/$c/status" && return 0
	done
	return 1
}
check "--on-event: the spawner runs as vigild's user, without capabilities, no_new_privs" spawner_ok
check "--on-event: nothing ran before (no degraded/recovered/drift/loss yet)" \
	bash -c "test -z \"\$(ls -A '$TMP/ev')\""
ip netns exec "$host" nft delete table inet vigil
for i in $(seq 50); do
	ls "$TMP/ev/"*.drift >/dev/null 2>&1 && break
	sleep 0.1
done
sleep 0.3
EVF=$(ls "$TMP/ev/"*.drift 2>/dev/null | head -1)
check "--on-event: the command got a drift event when the table was deleted" test -n "$EVF"
check "... as vigild's unprivileged user" \
	test "$(head -1 "${EVF:-/dev/null}")" = "$(id -u vigil 2>/dev/null || id -u nobody)"
check "... with the event's JSON on stdin (event drift, table vigil, level, time)" \
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().split("\n", 1)
e = json.loads(lines[1])
sys.exit(0 if e["event"] == "drift" and e["table"] == "vigil" and e["level"] and e["time"].endswith("Z") else 1)' "${EVF:-/dev/null}" ||
	diag_file "${EVF:-/dev/null}"
kill "$EV2_PID" 2>/dev/null
check "an events stream idle for more than the 10 s client timeout stays open: it got the drift" \
	python3 -c '
import json, sys, datetime
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = lambda e: datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ")
i = [e["event"] for e in ev].index("drift")
gap = (t(ev[i]) - t(ev[i - 1])).total_seconds()
print("# idle %d s before the drift event" % gap)
sys.exit(0 if i > 0 and gap > 10 else 1)' "$TMP/events2" || diag_file "$TMP/events2"
check "... and the table is back" bash -c "sleep 0.5; ip netns exec '$host' nft list table inet vigil | grep -q 'dport 8081'"

# a stop while scrapes wait for the helper's dump (the helper is stopped):
# they get 503, and the helper's late failure finds nobody to answer
HELPER=$(for c in $(pgrep -P "$WATCH_PID"); do
	grep -q '^CapEff:.*[1-9a-f]' "/proc/$c/status" && echo "$c"
done | head -1)
kill -STOP "$HELPER"
curl -sS --max-time 20 --unix-socket "$SOCK" -o "$TMP/m503" -w '%{http_code}' http://vigil/metrics >"$TMP/m503.code" 2>/dev/null &
C1=$!
ip netns exec "$host" curl -sS --max-time 20 -o "$TMP/t503" -w '%{http_code}' http://127.0.0.1:9469/metrics >"$TMP/t503.code" 2>/dev/null &
C2=$!
sleep 0.5
kill -TERM "$WATCH_PID" 2>/dev/null
sleep 0.3
kill -CONT "$HELPER"
wait "$WATCH_PID" 2>/dev/null
RC=$?
wait "$C1" "$C2"
check "SIGTERM while two scrapes wait for a stopped helper: the watch exits 0 (no crash)" test "$RC" = 0 ||
	{ diag "exit status $RC"; tail -n 40 "$TMP/watch.log" | diag "$(cat)"; }
check "... both scrapes are answered 503 (socket and TCP)" \
	test "$(cat "$TMP/m503.code")/$(cat "$TMP/t503.code")" = 503/503
check "... and the metrics file is removed (its vigil_up 1 is no longer true)" test ! -e "$PROM"

done_testing
