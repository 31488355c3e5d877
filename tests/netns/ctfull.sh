#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A full conntrack table, for real: one namespace's table is filled past
# nf_conntrack_max by a burst of new UDP flows (the limit is global and
# read-only inside a namespace, but each namespace counts its own entries,
# so the host's table is not filled). vigild watch must count the kernel's
# early drops per minute, mark the minute, and `vigild flows` must say the
# table was full; every connection the kernel created is recorded or
# counted as lost. TAP.
source "$(dirname "$0")/lib.sh"
: "${FLOWGEN:?FLOWGEN must name the flowgen binary (meson sets it)}"

netns_preflight
command -v conntrack >/dev/null || skip_all "conntrack (conntrack-tools) is not installed"

MAX=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null)
[ -n "$MAX" ] || skip_all "no nf_conntrack_max"
# bounded: the test sends at most 400,000 datagrams between its namespaces
[ "$MAX" -le 350000 ] || skip_all "nf_conntrack_max is $MAX: filling it would take too long"
SENT=$((MAX + MAX / 8))

ns_new host host || bail_out "namespace"
ns_new client client || bail_out "namespace"
veth "$host" vh0 "$client" vc0 || bail_out "veth"
addr "$host" vh0 10.63.0.1/24
addr "$client" vc0 10.63.0.2/24

cat >"$TMP/p.yml" <<'YML'
version: 1
defaults: {input: drop}
rules:
  - {name: gen, chain: input, proto: udp, dport: 20000-39999, action: accept}
YML

DB=$TMP/db/flows.db
ip netns exec "$host" "$VIGILD" watch --no-owner --db "$DB" "$TMP/p.yml" >"$TMP/watch.log" 2>&1 &
WATCH_PID=$!
_pid_list+=("$WATCH_PID")
for i in $(seq 100); do
	grep -q "recording flows" "$TMP/watch.log" && break
	sleep 0.05
done
grep -q "recording flows" "$TMP/watch.log" || { diag_file "$TMP/watch.log"; bail_out "watch did not start"; }

stat_sum() { # NS FIELD: the kernel's per-CPU conntrack statistic, summed
	ip netns exec "$1" conntrack -S | tr ' ' '\n' | awk -F= -v f="$2" '$1 == f { s += $2 } END { print s + 0 }'
}
ed0=$(stat_sum "$host" early_drop)
dr0=$(stat_sum "$host" drop)
ip netns exec "$client" "$FLOWGEN" 10.63.0.1 20000 39999 $SENT >"$TMP/gen.out"
diag "$(cat "$TMP/gen.out")"
entries=$(ip netns exec "$host" conntrack -C)
ed=$(( $(stat_sum "$host" early_drop) - ed0 ))
dr=$(( $(stat_sum "$host" drop) - dr0 ))
diag "nf_conntrack_max $MAX, sent $SENT, entries now $entries, early drops $ed, drops $dr"
check "the namespace's table is full ($entries of $MAX entries)" test "$entries" -ge $((MAX - 16))
check "the kernel evicted entries early ($ed)" test "$ed" -gt 0

sleep 2.5	# a flush a second, and the per-second conntrack statistics read
for i in $(seq 40); do grep -q "conntrack table is full" "$TMP/watch.log" && break; sleep 0.1; done
check "watch warns that the conntrack table is full, naming nf_conntrack_max" \
	grep -q "warning: the kernel's conntrack table is full (.* of $MAX entries): [0-9]* connections evicted early.*nf_conntrack_max" "$TMP/watch.log"
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"

q() { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }
rec=$(q "select coalesce(sum(flows), 0) from flows where rule = 'gen'")
lost=$(q "select coalesce(sum(lost), 0) from observer")
dbed=$(q "select coalesce(sum(ct_early_drop), 0) from observer")
dbdr=$(q "select coalesce(sum(ct_drop), 0) from observer")
diag "recorded $rec, lost $lost; the DB's early drops $dbed, drops $dbdr"
check "the DB's early drops are the kernel's ($dbed = $ed)" test "$dbed" = "$ed"
check "the DB's drops are the kernel's ($dbdr = $dr)" test "$dbdr" = "$dr"
check "recorded + lost + dropped = sent ($rec + $lost + $dr = $SENT)" \
	test $((rec + lost + dr)) = $SENT
check "the minutes of the flood carry the table's size and its fill" \
	test "$(q "select count(*) from observer where ct_early_drop > 0 and ct_max = $MAX and ct_entries >= $((MAX - 16))")" -ge 1
"$VIGILD" flows --db "$DB" --since 10m >"$TMP/flows.out" 2>&1
check "flows says the table was full, with the early drops" \
	grep -q "INCOMPLETE: the kernel's conntrack table was full during [0-9]* minutes (nf_conntrack_max $MAX): $ed connections evicted early" "$TMP/flows.out"
check "flows does not call the window complete" bash -c "! grep -q '^Complete' '$TMP/flows.out'"

done_testing
