#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What-if against recorded traffic: vigild watch records the connections
# of three sources; vigild diff --flows replays them against a policy that
# no longer admits one of them, and names exactly that source's
# connections with the counts the database holds (and the deciding rule);
# against the policy that recorded them it refuses none; apply prints the
# one-line summary.
. "$(dirname "$0")/lib.sh"

netns_preflight
command -v sqlite3 >/dev/null || bail_out "sqlite3 is not installed"

ns_new H host || bail_out "namespace"
ns_new C client || bail_out "namespace"
veth "$H" vh0 "$C" vc0 || bail_out "veth"
addr "$H" vh0 10.82.0.1/24 && addr "$C" vc0 10.82.0.2/24 && addr "$C" vc0 10.82.0.3/24 &&
	addr "$C" vc0 10.82.0.4/24 && addr "$H" vh0 fd82::1/64 && addr "$C" vc0 fd82::2/64 ||
	bail_out "addresses"
serve "$H" tcp 22 8080 || bail_out "serve"

cat >"$TMP/old.yml" <<'EOF2'
version: 1
rules:
  - {name: ssh, chain: input, proto: tcp, src: [10.82.0.0/24, "fd82::/64"], dport: 22, action: accept}
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
EOF2
# new: ssh from .2, .3 and IPv6 only; .4 loses it
cat >"$TMP/new.yml" <<'EOF2'
version: 1
rules:
  - {name: ssh-admins, chain: input, proto: tcp, src: [10.82.0.2, 10.82.0.3, "fd82::/64"], dport: 22, action: accept}
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
EOF2
chmod 644 "$TMP"/*.yml
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
DB=$TMP/db/flows.db

ip netns exec "$H" "$VIGILD" watch --db "$DB" "$TMP/old.yml" >"$TMP/watch.log" 2>&1 &
WATCH=$!
_pid_list+=("$WATCH")
for _ in $(seq 100); do grep -q "recording flows" "$TMP/watch.log" && break; sleep 0.05; done
grep -q "recording flows" "$TMP/watch.log" || { diag_file "$TMP/watch.log"; bail_out "watch did not start"; }

conn() { # SRC DST PORT N
	local i
	for i in $(seq "$4"); do
		ip netns exec "$C" "$NETTOOL" probe --src "$1" tcp "$2" "$3" 2000 >/dev/null || return 1
	done
}
conn 10.82.0.2 10.82.0.1 22 3 && conn 10.82.0.3 10.82.0.1 22 2 && conn 10.82.0.4 10.82.0.1 22 4 &&
	conn 10.82.0.4 10.82.0.1 8080 2 && conn fd82::2 fd82::1 22 1 || bail_out "traffic"
# the watch flushes every second
# one attempt the old policy refuses (no rule for tcp/9000): sampled through NFLOG
ip netns exec "$C" "$NETTOOL" probe --src 10.82.0.2 tcp 10.82.0.1 9000 300 >/dev/null
q() { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }
for _ in $(seq 50); do
	[ "$(q "SELECT SUM(flows) FROM flows WHERE proto = 6")" = 12 ] &&
		[ "$(q "SELECT SUM(sampled) FROM refused WHERE dport = 9000")" = 1 ] && break
	sleep 0.2
done
check "the database holds the refused attempt to tcp/9000 (sampled, rule default:input)" \
	[ "$(q "SELECT SUM(sampled) FROM refused WHERE dport = 9000 AND rule = 'default:input'")" = 1 ]
check "the database holds the 12 connections (3 + 2 + 4 to tcp/22 over IPv4, 1 over IPv6, 2 to 8080)" \
	[ "$(q "SELECT SUM(flows) FROM flows WHERE proto = 6")" = 12 ]
want=$(q "SELECT SUM(flows) FROM flows WHERE src = '10.82.0.4' AND dport = 22")
diag "the database: $(q "SELECT src, dport, rule, SUM(flows) FROM flows GROUP BY 1, 2, 3" | tr '\n' ' ')"

run "$TMP/new" ip netns exec "$H" "$VIGILD" diff --flows --db "$DB" --since 1h "$TMP/new.yml"
diag_file "$TMP/new.out"
check "diff --flows with the policy that drops 10.82.0.4's ssh: exit 1" test "$RC" = 1
check "... 'would refuse $want of the 12 connections seen in the last 1 hour'" \
	grep -q "^would refuse $want of the 12 connections seen in the last 1 hour:" "$TMP/new.out"
check "... exactly one group: $want from 10.82.0.4 to tcp/22, the input default deciding" \
	bash -c "[ \$(grep -c '^  refused' '$TMP/new.out') = 1 ] &&
		grep -qE '^  refused +$want  from 10.82.0.4 to tcp/22  \\(drop: the default of chain input\\)$' '$TMP/new.out'"
check "... the others moved from rule ssh to ssh-admins (3 + 2 + 1)" \
	bash -c "grep -qE '^  moved +3  from 10.82.0.2 to tcp/22  \\(rule ssh-admins, was ssh\\)' '$TMP/new.out' &&
		grep -qE '^  moved +2  from 10.82.0.3 to tcp/22' '$TMP/new.out' && grep -qE '^  moved +1  from fd82::2 to tcp/22' '$TMP/new.out'"

check "... and it would not newly admit the refused attempt" bash -c "grep -q '^would newly admit 0 of the 1 refused attempts sampled' '$TMP/new.out'"
sed 's/^  - {name: web,/  - {name: metrics, chain: input, proto: tcp, dport: 9000, action: accept}\n  - {name: web,/' \
	"$TMP/old.yml" >"$TMP/open.yml" && chmod 644 "$TMP/open.yml"
run "$TMP/open" ip netns exec "$H" "$VIGILD" diff --flows --db "$DB" --since 1h "$TMP/open.yml"
diag_file "$TMP/open.out"
check "a policy that opens tcp/9000: 'would newly admit 1 of the 1 refused attempts', from 10.82.0.2, rule metrics" \
	bash -c "grep -q '^would newly admit 1 of the 1 refused attempts sampled' '$TMP/open.out' &&
		grep -qE '^  admitted +1  from 10.82.0.2 to tcp/9000  \\(rule metrics, was default:input\\)$' '$TMP/open.out'"

run "$TMP/old" ip netns exec "$H" "$VIGILD" diff --flows --db "$DB" "$TMP/old.yml"
check "the policy that recorded them: exit 0, refuses none of the 12" \
	bash -c "test $RC = 0 && grep -q '^would refuse none of the 12 connections seen in the last 7 days' '$TMP/old.out'"
run "$TMP/nodb" ip netns exec "$H" "$VIGILD" diff --flows --db "$TMP/nonexistent.db" "$TMP/old.yml"
check "no such database: exit 2 with the reason" bash -c "test $RC = 2 && grep -q 'cannot read the flows database' '$TMP/nodb.err'"
run "$TMP/since" ip netns exec "$H" "$VIGILD" diff --flows --since 5x "$TMP/old.yml"
check "--since 5x: exit 2" test "$RC" = 2

kill "$WATCH" && wait "$WATCH" 2>/dev/null
run "$TMP/apply" ip netns exec "$H" "$VIGILD" apply --db "$DB" "$TMP/new.yml"
diag_file "$TMP/apply.out"
check "apply prints the summary: 'would refuse $want of the 12 ... $want from 10.82.0.4 to tcp/22'" \
	bash -c "test $RC = 0 && grep -q '^would refuse $want of the 12 connections seen in the last 7 days: $want from 10.82.0.4 to tcp/22 (drop: the default of chain input)' '$TMP/apply.out'"
run "$TMP/apply2" ip netns exec "$H" "$VIGILD" apply "$TMP/old.yml"
check "apply without --db, and no database in the state directory: no summary line" \
	bash -c "test $RC = 0 && ! grep -q 'would refuse' '$TMP/apply2.out' '$TMP/apply2.err'"
cp "$DB" "$VIGIL_STATE_DIR/flows.db" 2>/dev/null && chmod 644 "$VIGIL_STATE_DIR/flows.db"
rm -f "$DB-wal" "$DB-shm"
run "$TMP/apply3" ip netns exec "$H" "$VIGILD" apply "$TMP/new.yml"
check "... with watch's default database there (the state directory's flows.db): the summary" \
	grep -q "^would refuse $want of the 12 connections seen in the last 7 days" "$TMP/apply3.out"

done_testing
