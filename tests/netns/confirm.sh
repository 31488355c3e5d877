#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Safe remote changes (vigild(8), apply --confirm, confirm, rollback): a
# change that is not confirmed in time is rolled back to the exact previous
# ruleset even when the operator's session dies (SIGHUP to its process
# group, SIGKILL), by a guard outside that session, or by vigild watch when
# one runs; confirm keeps it; rollback undoes it at once; status shows the
# wait; bad input changes nothing.
. "$(dirname "$0")/lib.sh"

netns_preflight

ns_new H host || bail_out "namespace"
ns_new C client || bail_out "namespace"
veth "$H" vh0 "$C" vc0 || bail_out "veth"
addr "$H" vh0 10.72.0.1/24 && addr "$C" vc0 10.72.0.2/24 &&
	addr "$H" vh0 fd72::1/64 && addr "$C" vc0 fd72::2/64 || bail_out "addresses"
serve "$H" tcp 22 8080 9090 || bail_out "serve"

# A lets in 8080, B lets in 9090 instead; both keep tcp/22
cat >"$TMP/a.yml" <<'EOF'
version: 1
rules:
  - {name: ssh, chain: input, proto: tcp, dport: 22, action: accept}
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
EOF
sed 's/8080/9090/; s/name: web/name: alt/' "$TMP/a.yml" >"$TMP/b.yml"
chmod 644 "$TMP"/*.yml
DB=$TMP/db
mkdir -p "$DB" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$DB"

V() { ip netns exec "$H" "$VIGILD" "$@"; }
pass() { ip netns exec "$C" "$NETTOOL" probe tcp "$1" "$2" 1500 >/dev/null 2>&1; }
blocked() { ! ip netns exec "$C" "$NETTOOL" probe tcp "$1" "$2" 700 >/dev/null 2>&1; }
table() { ip netns exec "$H" nft -s list table inet vigil 2>/dev/null; }
# back_by SECONDS: the table is $TMP/ref again within SECONDS
back_by() {
	local i
	for i in $(seq $(($1 * 10))); do
		table >"$TMP/now" && cmp -s "$TMP/ref" "$TMP/now" && return 0
		sleep 0.1
	done
	diff -u "$TMP/ref" "$TMP/now" | diag "$(cat)"
	return 1
}
is_b() { table | grep -q 'dport 9090' && ! table | grep -q 'dport 8080'; }

# ---- bad input: a clear error, exit 2, nothing changed ----
V apply -q "$TMP/a.yml" || bail_out "apply A"
table >"$TMP/ref"
for bad in 0 -5 abc 86401 25h 5x 1.5 05 ""; do
	run "$TMP/bad" ip netns exec "$H" "$VIGILD" apply --confirm "$bad" "$TMP/b.yml"
	check "--confirm '$bad': exit 2, says what it wants, the table unchanged" \
		bash -c "test $RC = 2 && grep -q 'from 1 to 86400 seconds' '$TMP/bad.err' && cmp -s '$TMP/ref' <(ip netns exec '$H' nft -s list table inet vigil)"
done
run "$TMP/dry" V apply --confirm 5 --dry-run "$TMP/b.yml"
check "--confirm with --dry-run: exit 2" test "$RC" = 2
run "$TMP/np" V confirm
check "vigild confirm with nothing pending: exit 1, 'nothing pending'" \
	bash -c "test $RC = 1 && grep -q 'nothing pending' '$TMP/np.err'"
run "$TMP/np" V rollback
check "vigild rollback with nothing pending: exit 1, 'nothing pending'" \
	bash -c "test $RC = 1 && grep -q 'nothing pending' '$TMP/np.err'"

# ---- the operator's session dies: the guard rolls back ----
# the CLI in its own session and process group, as under sshd
setsid bash -c 'echo $$ >"$1"; exec ip netns exec "$2" "$3" apply --confirm 5 "$4" >"$1.out" 2>&1' \
	_ "$TMP/sess" "$H" "$VIGILD" "$TMP/b.yml" &
for i in $(seq 100); do grep -q 'confirm within' "$TMP/sess.out" 2>/dev/null && break; sleep 0.05; done
pg=$(cat "$TMP/sess")
kill -HUP -- "-$pg" 2>/dev/null
kill -KILL -- "-$pg" 2>/dev/null
check "apply --confirm 5: returns at once with the deadline and the command that confirms" \
	grep -q "confirm within 5 s (by [0-9:]* UTC) with 'vigild confirm'" "$TMP/sess.out"
check "... B is live at once (SIGHUP and SIGKILL to the CLI's process group)" is_b
check "... B refuses what A let in" blocked 10.72.0.1 8080
V status --json >"$TMP/pend.json" 2>&1
check "... vigild status: pending-confirm with the deadline and the policy" \
	python3 -c "
import json,sys
s=json.load(open('$TMP/pend.json'))
p=s['pending']
sys.exit(not (s['state']=='pending-confirm' and p['policy'].endswith('b.yml') and 0 <= p['seconds_left'] <= 5 and p['deadline'].endswith('Z')))"
run "$TMP/pa" V apply -q "$TMP/a.yml"
is_b
check "... a plain apply meanwhile is refused (the guard would roll back over it)" \
	bash -c "test $RC = 3 && test $? = 0 && grep -q 'waiting for confirmation' '$TMP/pa.err'"
run "$TMP/pa" V apply --confirm 9 "$TMP/a.yml"
check "... so is a second apply --confirm" \
	bash -c "test $RC = 3 && grep -q 'waiting for confirmation' '$TMP/pa.err'"
run "$TMP/pa" V remove
check "... and remove" bash -c "test $RC = 3 && grep -q 'waiting for confirmation' '$TMP/pa.err'"
run "$TMP/pa" ip netns exec "$H" "$VIGILD" watch --db "$DB/x.db" "$TMP/a.yml"
check "... and vigild watch does not start over it" \
	bash -c "test $RC != 0 && grep -q 'waiting for confirmation' '$TMP/pa.err'"
check "A is back within 5 s + 2, byte-identical (nft -s list table)" back_by 7
check "... and the client B refused gets in again" pass 10.72.0.1 8080
check "... over IPv6 too" pass fd72::1 8080
V status >"$TMP/after.st" 2>&1
check "... vigild status says how the wait ended" grep -q "ended rolled back" "$TMP/after.st"

# ---- confirm keeps it ----
run "$TMP/c" V apply --confirm 5 "$TMP/b.yml"
run "$TMP/cc" V confirm
check "apply --confirm 5 B, then vigild confirm: exit 0, says so" \
	bash -c "test $RC = 0 && grep -q 'confirmed: table inet vigil keeps' '$TMP/cc.out'"
sleep 7
check "... B still live past the deadline" is_b
check "... and what B lets in gets in" pass 10.72.0.1 9090
run "$TMP/cc" V confirm
check "... a second confirm: nothing pending" test "$RC" = 1

# ---- rollback: at once ----
V apply -q "$TMP/a.yml" || bail_out "apply A again"
table >"$TMP/ref"
V apply -q --confirm 300 "$TMP/b.yml" >/dev/null
run "$TMP/rb" V rollback
check "vigild rollback during a 300 s wait: exit 0, says so" \
	bash -c "test $RC = 0 && grep -q 'rolled back: table inet vigil is as it was before' '$TMP/rb.out'"
check "... A is back at once, byte-identical" back_by 1

# ---- with vigild watch: the change goes through it ----
ip netns exec "$H" "$VIGILD" watch --db "$DB/w.db" "$TMP/a.yml" >"$TMP/w.log" 2>&1 &
WATCH_PID=$!
_pid_list+=("$WATCH_PID")
for i in $(seq 100); do grep -q "watch: .*applied " "$TMP/w.log" && break; sleep 0.05; done
table >"$TMP/ref"
run "$TMP/wc" V apply --confirm 4 "$TMP/b.yml"
check "watch running: apply --confirm 4 goes through it (exit 0, the watch logs it)" \
	bash -c "test $RC = 0 && grep -q 'confirm within 4 s' '$TMP/wc.out' && grep -q 'b.yml applied; it is rolled back in 4 s' '$TMP/w.log'"
check "... B is live" is_b
V status >"$TMP/ws.st" 2>&1
rc=$?
check "... vigild status: pending-confirm, exit 0 (the watch keeps the firewall)" \
	bash -c "test $rc = 0 && grep -q '^State: *pending-confirm' '$TMP/ws.st' && grep -q '^Pending: .*b.yml waits' '$TMP/ws.st'"
run "$TMP/wr" V reload
check "... vigild reload meanwhile: refused, exit 1" \
	bash -c "test $RC = 1 && grep -q 'waiting for confirmation' '$TMP/wr.err'"
run "$TMP/wr" V apply --confirm 4 "$TMP/a.yml"
check "... a second apply --confirm: refused, exit 1" \
	bash -c "test $RC = 1 && grep -q 'already waiting for confirmation' '$TMP/wr.err'"
check "... A is back after the deadline, byte-identical" back_by 6
check "... logged by the watch" grep -q "not confirmed in time: table inet vigil is back as it was before" "$TMP/w.log"
check "... and the client gets in again" pass 10.72.0.1 8080
V status >/dev/null 2>&1
check "... vigild status: active again" test $? = 0
run "$TMP/wc" V apply --confirm 3 "$TMP/b.yml"
run "$TMP/wcc" V confirm
sleep 4
is_b
check "watch: apply --confirm then confirm: B stays past the deadline" \
	bash -c "test $? = 0 && grep -q 'confirmed: table inet vigil keeps' '$TMP/wcc.out'"
check "... the watch warns that a reload brings back its own policy file" \
	grep -q "this watch's own policy is .*a.yml" "$TMP/wc.err"
# the watch re-asserts the confirmed change, not its file
ip netns exec "$H" nft add rule inet vigil input tcp dport 8080 accept 2>/dev/null
sleep 1.2
check "... a tamper is reverted to the confirmed change" is_b
# the run directory (and its control socket) is shared by namespaces: a
# change made in another one is not the watch's
ns_new X other || bail_out "namespace"
run "$TMP/x" ip netns exec "$X" "$VIGILD" apply --confirm 3 "$TMP/a.yml"
table >"$TMP/h.now"
check "apply --confirm in another namespace: not handed to this one's watch (applied there, guarded there)" \
	bash -c "test $RC = 0 && grep -q 'by [0-9:]* UTC' '$TMP/x.out' && ip netns exec '$X' nft list table inet vigil | grep -q 'dport 8080' && grep -q 'dport 9090' '$TMP/h.now'"
sleep 4
check "... and rolled back there by its guard (no table before: none after)" \
	bash -c "! ip netns exec '$X' nft list table inet vigil >/dev/null 2>&1"
run "$TMP/wrr" V rollback
check "... rollback with nothing pending: exit 1" \
	bash -c "test $RC = 1 && grep -q 'nothing pending' '$TMP/wrr.err'"
kill -TERM "$WATCH_PID" 2>/dev/null
wait "$WATCH_PID" 2>/dev/null

done_testing
