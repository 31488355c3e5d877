#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Never fail open, never silent (vigild(8), FAILURE MODES): vigild watch
# started with a broken policy applies the fail-closed fallback or the
# last-known-good; changes others make to its table are reverted within a
# second (or refused by the kernel, when the table is owned), logged with
# who made them, and the minutes marked incomplete; a killed helper ends the
# watcher at once; a second writer for the table is refused; a full disk
# loses nothing silently; vigild reload reports the outcome.
. "$(dirname "$0")/lib.sh"

netns_preflight

ns_new H host || bail_out "namespace"
ns_new C client || bail_out "namespace"
veth "$H" vh0 "$C" vc0 || bail_out "veth"
addr "$H" vh0 10.71.0.1/24 && addr "$C" vc0 10.71.0.2/24 &&
	addr "$H" vh0 fd71::1/64 && addr "$C" vc0 fd71::2/64 || bail_out "addresses"
serve "$H" tcp 22 8080 9090 || bail_out "serve"

cat >"$TMP/good.yml" <<'EOF'
version: 1
rules:
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
EOF
printf 'version: 1\nrules:\n  - {name: x, chain: input, action: allow}\n' >"$TMP/bad.yml"
chmod 644 "$TMP"/*.yml
# the databases' directory belongs to the user vigild writes as
DB=$TMP/db
mkdir -p "$DB" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$DB"

pass() { ip netns exec "$C" "$NETTOOL" probe tcp "$1" "$2" 1500 >/dev/null 2>&1; }
blocked() { ! ip netns exec "$C" "$NETTOOL" probe tcp "$1" "$2" 700 >/dev/null 2>&1; }
table() { ip netns exec "$H" nft -s list table inet vigil 2>/dev/null; }

# start_watch LOG ARGS...: vigild watch in the host namespace, in the
# background (WATCH_PID), until LOG says the first policy is in
start_watch() {
	local log=$1 i
	shift
	: >"$log"
	ip netns exec "$H" "$VIGILD" watch "$@" >>"$log" 2>&1 &
	WATCH_PID=$!
	_pid_list+=("$WATCH_PID")
	for i in $(seq 100); do
		grep -q "watch: .*applied " "$log" && return 0
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.05
	done
	diag "vigild watch did not apply anything:"
	diag_file "$log"
	return 1
}
stop_watch() {
	kill -TERM "$WATCH_PID" 2>/dev/null
	wait "$WATCH_PID" 2>/dev/null
}
# back_within_1s: the table is as before ($TMP/ref) within a second
back_within_1s() {
	local i
	for i in $(seq 20); do
		table >"$TMP/now" && cmp -s "$TMP/ref" "$TMP/now" && return 0
		sleep 0.05
	done
	diff -u "$TMP/ref" "$TMP/now" | diag "$(cat)"
	return 1
}

# ---- a broken policy at start, no last-known-good: the fallback ----
export VIGIL_STATE_DIR=$TMP/s1
start_watch "$TMP/fb.log" --db "$DB/fb.db" "$TMP/bad.yml" || bail_out "watch (fallback)"
check "broken policy, no last-known-good: the policy's error is logged" \
	grep -q "bad.yml:3:.*action must be accept, drop or reject" "$TMP/fb.log"
check "... and the fail-closed fallback is applied" grep -q "applied the fail-closed fallback" "$TMP/fb.log"
check "... tcp/22 stays open (remote access)" pass 10.71.0.1 22
check "... a closed port stays closed" blocked 10.71.0.1 8080
check "... over IPv6 too: tcp/22 open" pass fd71::1 22
check "... and the closed port closed" blocked fd71::1 8080
"$VIGILD" status --json >"$TMP/fb.status" 2>&1
check "... vigild status: degraded, the fallback running, exit 1" \
	bash -c "! '$VIGILD' status >/dev/null 2>&1 && grep -q '\"state\": \"degraded\"' '$TMP/fb.status' && grep -q '\"source\": \"fallback\"' '$TMP/fb.status'"
check "... still running" kill -0 "$WATCH_PID"
stop_watch

# ---- with a last-known-good: that, byte for byte ----
export VIGIL_STATE_DIR=$TMP/s2
ip netns exec "$H" "$VIGILD" apply -q "$TMP/good.yml" || bail_out "apply"
table >"$TMP/lkg.before"
ip netns exec "$H" nft delete table inet vigil
# (--no-owner: an owned table lists its owner, which apply's did not have;
# --no-refused: watch's NFLOG rules of refused traffic are not apply's)
start_watch "$TMP/lkg.log" --no-owner --no-refused --db "$DB/lkg.db" "$TMP/bad.yml" || bail_out "watch (lkg)"
table >"$TMP/lkg.after"
check "broken policy with a last-known-good: that is applied" \
	grep -q "applied the last-known-good policy" "$TMP/lkg.log"
check "... byte-identical to what apply put there (nft -s list table)" \
	same "$TMP/lkg.before" "$TMP/lkg.after"
check "... and it lets in what it let in" pass 10.71.0.1 8080
# a fixed policy brings it back to active
cp "$TMP/good.yml" "$TMP/bad.yml"
"$VIGILD" reload >"$TMP/reload.out" 2>&1
rc=$?
check "vigild reload with the fixed policy: exit 0, active again" \
	bash -c "test $rc = 0 && '$VIGILD' status >/dev/null"
printf 'version: 1\nrules:\n  - {name: x, chain: input, action: allow}\n' >"$TMP/bad.yml"
"$VIGILD" reload >"$TMP/reload.bad" 2>&1
rc=$?
check "vigild reload with a broken policy: exit 1 and the located error" \
	bash -c "test $rc = 1 && grep -q 'bad.yml:3:.*action must be' '$TMP/reload.bad'"
stop_watch
# a damaged last-known-good is reported and skipped
f=$(ls "$VIGIL_STATE_DIR"/last-good.*)
sed -i 's/8080/8081/' "$f"
ip netns exec "$H" nft delete table inet vigil
start_watch "$TMP/dmg.log" --db "$DB/lkg.db" "$TMP/bad.yml" || bail_out "watch (damaged lkg)"
check "a tampered last-known-good (hash mismatch): reported at error, the fallback instead" \
	bash -c "grep -q 'last-known-good policy .* is damaged (the hash does not match the content)' '$TMP/dmg.log' && grep -q 'applied the fail-closed fallback' '$TMP/dmg.log'"
stop_watch

# ---- tampering, table not owned: re-asserted within a second ----
export VIGIL_STATE_DIR=$TMP/s3
start_watch "$TMP/t.log" --no-owner --db "$DB/t.db" "$TMP/good.yml" || bail_out "watch (tamper)"
table >"$TMP/ref"
ip netns exec "$H" nft add rule inet vigil input tcp dport 9090 accept
check "a rule added by hand: reverted within 1 s" back_within_1s
check "... and logged at warning, naming nft and what changed" \
	grep -q "warning: table inet vigil was changed by nft (pid [0-9]*), not by vigild: rule added to chain input" "$TMP/t.log"
ip netns exec "$H" nft delete table inet vigil
check "the table deleted: back within 1 s" back_within_1s
ip netns exec "$H" nft add chain inet vigil input '{ type filter hook input priority 0; policy accept; }'
check "the input chain's policy flipped to accept: back within 1 s" back_within_1s
check "... logged as such" grep -q "chain input added or changed (policy accept)" "$TMP/t.log"
ip netns exec "$H" nft flush ruleset
check "nft flush ruleset: back within 1 s" back_within_1s
check "... what it blocks stays blocked" blocked 10.71.0.1 9090
sleep 2.2 # one flush of the minute's figures
check "those minutes are marked incomplete in the database (table absent, changed)" \
	test "$(sqlite3 "$DB/t.db" "select count(*) from observer where incomplete & 3 = 3")" -ge 1
"$VIGILD" flows --db "$DB/t.db" --since 5m >"$TMP/t.flows" 2>&1
check "vigild flows says so" \
	bash -c "grep -q 'INCOMPLETE: vigild.s table was absent' '$TMP/t.flows' && grep -q 'rules in the kernel were not the recorded policy' '$TMP/t.flows'"
# a fight: the table deleted 22 times (more than ten in some minute): it
# comes back every time, and the fight is said at error priority
fought=0
for i in $(seq 22); do
	ip netns exec "$H" nft delete table inet vigil 2>/dev/null
	back_within_1s || { fought=$i; break; }
done
check "a program that keeps deleting the table (22 times): it is back within 1 s every time" \
	test "$fought" = 0
check "... the fight is logged at error priority, once" \
	test "$(grep -c 'error: table inet vigil was changed 10 times this minute' "$TMP/t.log")" -ge 1
stop_watch

# ---- --no-reassert: only the warning ----
start_watch "$TMP/nr.log" --no-owner --no-reassert --db "$DB/t.db" "$TMP/good.yml" || bail_out "watch (no-reassert)"
ip netns exec "$H" nft add rule inet vigil input tcp dport 9090 accept
sleep 1.2
check "--no-reassert: the change stays" bash -c "ip netns exec '$H' nft list chain inet vigil input | grep -q 'dport 9090'"
check "... with the warning, and status degraded" \
	bash -c "grep -q 're-assert is off' '$TMP/nr.log' && '$VIGILD' status --json | grep -q '\"state\": \"degraded\"'"
stop_watch

# ---- an owned table: the kernel refuses others ----
start_watch "$TMP/own.log" --db "$DB/t.db" "$TMP/good.yml" || bail_out "watch (owner)"
if "$VIGILD" status --json | grep -q '"owned": true'; then
	table >"$TMP/ref"
	ip netns exec "$H" nft delete table inet vigil >"$TMP/own.nft" 2>&1
	check "owned table: nft delete table fails with EPERM" grep -q "Operation not permitted" "$TMP/own.nft"
	ip netns exec "$H" nft flush ruleset
	table >"$TMP/now"
	check "... nft flush ruleset leaves it, unchanged" same "$TMP/ref" "$TMP/now"
else
	skip "owned table refuses others" "this kernel has no persistent table ownership (6.9+)"
	skip "... nft flush ruleset leaves it" "no table ownership"
fi

# ---- one writer per table ----
table >"$TMP/ref"
ip netns exec "$H" "$VIGILD" watch --db "$DB/other.db" "$TMP/good.yml" >"$TMP/second.log" 2>&1
rc=$?
check "a second watch on the table (another database): exit 3, naming the pid" \
	bash -c "test $rc = 3 && grep -q 'managed by another vigild (pid $WATCH_PID)' '$TMP/second.log'"
ip netns exec "$H" "$VIGILD" apply "$TMP/good.yml" >"$TMP/apply.log" 2>&1
rc=$?
check "vigild apply while watch runs: exit 3, says to reload" \
	bash -c "test $rc = 3 && grep -q \"managed by a running vigild (pid $WATCH_PID).*vigild reload\" '$TMP/apply.log'"
table >"$TMP/now"
check "... the kernel is unchanged" same "$TMP/ref" "$TMP/now"

# ---- the helper killed ----
hp=$(pgrep -P "$WATCH_PID" | head -1)
t0=$(date +%s%N)
kill -9 "$hp"
for i in $(seq 40); do kill -0 "$WATCH_PID" 2>/dev/null || break; sleep 0.05; done
wait "$WATCH_PID"
rc=$?
t1=$(date +%s%N)
check "helper SIGKILL: watch logs it at error and exits 3 within 2 s ($(((t1 - t0) / 1000000)) ms)" \
	bash -c "test $rc = 3 && grep -q 'error: the commit helper (pid $hp) was killed by signal 9' '$TMP/own.log' && test $(((t1 - t0) / 1000000)) -lt 2000"
check "... and the firewall stays in the kernel" bash -c "ip netns exec '$H' nft list table inet vigil >/dev/null"

# ---- a full disk ----
# a small tmpfs under the test's own directory (unmounted below)
D=$TMP/small
mkdir -p "$D" && mount -t tmpfs -o size=4m,mode=0755 tmpfs "$D" || bail_out "tmpfs"
chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$D"
start_watch "$TMP/full.log" --no-owner --db-buffer 2 --db "$D/flows.db" "$TMP/good.yml" ||
	bail_out "watch (full disk)"
for i in $(seq 100); do grep -q "recording flows" "$TMP/full.log" && break; sleep 0.05; done
made=0
for i in 1 2 3; do pass 10.71.0.1 8080 && made=$((made + 1)); done
sleep 1.5
# fill it: SQLite's next write fails
dd if=/dev/zero of="$D/fill" bs=64k 2>/dev/null
for s in 1 2 3 4; do
	for i in 1 2 3; do pass 10.71.0.1 8080 && made=$((made + 1)); done
	sleep 1.1
done
check "disk full: the failure is logged once, at error, with the cause" \
	bash -c "test \$(grep -c 'cannot write the flows database' '$TMP/full.log') = 1 && grep -q 'error: cannot write the flows database: .*full' '$TMP/full.log'"
rm -f "$D/fill"
for i in $(seq 40); do grep -q "writing the flows database resumed" "$TMP/full.log" && break; sleep 0.1; done
check "space back: writing resumes and says how much was lost" \
	grep -q "warning: writing the flows database resumed; [0-9]* flows of [0-9]* minutes could not be kept" "$TMP/full.log"
for i in 1 2; do pass 10.71.0.1 8080 && made=$((made + 1)); done
sleep 1.5
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
rc=$?
recorded=$(sqlite3 "$D/flows.db" "select coalesce(sum(flows), 0) from flows where rule = 'web'")
lost=$(sqlite3 "$D/flows.db" "select coalesce(sum(db_lost_flows), 0) from observer")
check "recorded + lost = connections made ($recorded + $lost = $made), some lost" \
	bash -c "test $((recorded + lost)) = $made && test $lost -gt 0"
check "... the exit says what was lost in all, and is 3" \
	bash -c "test $rc = 3 && grep -q 'error: $lost flows of [0-9]* minutes could not be written' '$TMP/full.log'"
[ "$rc" = 3 ] || diag_file "$TMP/full.log"
umount "$D"

done_testing
