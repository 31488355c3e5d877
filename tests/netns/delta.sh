#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Incremental apply (issue 18): over vigild's own table, `apply` sends only
# the difference, in one batch guarded by the dump's generation.
#   - 200 seeded random policy pairs (evalpkt pair: a policy and a small
#     change of it, chains' defaults included): apply A, apply B
#     incrementally; the kernel's listing (nft -s list table, rule order
#     included) equals that of a full apply of B;
#   - a policy applied again sends nothing;
#   - counters: traffic through a rule, a reload with another rule changed:
#     the first rule's counter is kept (the changed one starts at 0); a
#     full replacement (--full) resets every counter;
#   - a concurrent `nft add element` between the dump and the commit: the
#     generation check fails the first try, the second read includes the
#     element (and the batch deletes it: the policy does not have it);
#   - port-forward maps (18 forwards, two maps): a forward's target changed
#     is its map element deleted and added with the new data (and its
#     forward set's address . port swapped), no rule touched, the listing
#     as after a full apply; IPv6 too;
#   - vigild watch's reload goes the same way: incrementally, the counter
#     of a rule left alone kept; a port forward's target changed too.
. "$(dirname "$0")/lib.sh"

netns_preflight
: "${EVALPKT:?EVALPKT must name tests/netns/evalpkt (meson sets it)}"

ns_new H host || bail_out "namespace"
ns_new C peer || bail_out "namespace"
veth "$H" vh0 "$C" vc0 && addr "$H" vh0 10.99.0.1/24 && addr "$C" vc0 10.99.0.2/24 ||
	bail_out "veth"
V() { ip netns exec "$H" "$VIGILD" "$@"; }
L() { ip netns exec "$H" nft -s list table inet vigil; }

# ---- 1. random pairs ----
PAIRS=${VIGIL_DELTA_PAIRS:-200}
inc=0 unch=0 full=0 bad=0 failed=0 pol=0
reasons=""
for s in $(seq 1 "$PAIRS"); do
	"$EVALPKT" pair "$s" "$TMP/a.yml" "$TMP/b.yml" || bail_out "evalpkt pair $s"
	chmod 644 "$TMP/a.yml" "$TMP/b.yml"
	if ! V apply -q --full "$TMP/a.yml" >"$TMP/pa.out" 2>&1; then
		failed=$((failed + 1))
		diag "pair $s: apply --full A failed"
		diag_file "$TMP/pa.out"
		continue
	fi
	if ! V apply "$TMP/b.yml" >"$TMP/pb.out" 2>&1; then
		failed=$((failed + 1))
		diag "pair $s: apply B failed"
		diag_file "$TMP/pb.out"
		continue
	fi
	L >"$TMP/l.inc"
	V apply -q --full "$TMP/b.yml" >/dev/null 2>&1 || { failed=$((failed + 1)); continue; }
	L >"$TMP/l.full"
	case $(cat "$TMP/pb.out") in
	*" incrementally: "*"chain polic"*) inc=$((inc + 1)) pol=$((pol + 1)) ;;
	*" incrementally: "*) inc=$((inc + 1)) ;;
	*": unchanged, nothing sent "*) unch=$((unch + 1)) ;;
	*) full=$((full + 1)); reasons+=$(sed -n 's/.*(a full replacement: \([^)]*\)).*/\1/p' "$TMP/pb.out")$'\n' ;;
	esac
	if ! cmp -s "$TMP/l.inc" "$TMP/l.full"; then
		bad=$((bad + 1))
		[ "$bad" -le 3 ] && { diag "pair $s: the listings differ"; diff "$TMP/l.inc" "$TMP/l.full" | head -20 | sed 's/^/#   /'; }
	fi
done
diag "pairs: $inc incremental ($pol with a chain's policy changed), $unch unchanged, $full full replacements; reasons: $(sort <<<"$reasons" | uniq -c | sed '/^ *[0-9]* $/d' | tr '\n' ';')"
check "$PAIRS random pairs applied (A in full, B, B in full again)" test "$failed" = 0
check "... after every pair the kernel's listing is the same as after a full apply of B" test "$bad" = 0
check "... and most were incremental (at least 3 in 4)" test $((4 * inc)) -ge $((3 * PAIRS))
check "... some of them with a chain's policy changed in place ($pol)" test "$pol" -ge $((PAIRS / 20))

# ---- 2. unchanged: nothing sent ----
cat >"$TMP/c.yml" <<'EOF2'
version: 1
defaults: {input: drop, forward: drop, output: accept}
sets:
  admins: {type: cidr, elements: [192.0.2.0/24, "2001:db8:ad::/48"]}
rules:
  - {name: ssh, chain: input, proto: tcp, src: "@admins", dport: 22, action: accept}
  - {name: probe, chain: output, proto: udp, dport: 9999, action: accept}
  - {name: dns, chain: input, proto: udp, dport: 53, action: accept}
EOF2
sed 's/dport: 53/dport: 5353/' "$TMP/c.yml" >"$TMP/d.yml"
sed 's|192.0.2.0/24|192.0.2.0/24, 198.51.100.0/24|' "$TMP/d.yml" >"$TMP/e.yml"
chmod 644 "$TMP"/*.yml
V apply -q --full "$TMP/c.yml" || bail_out "apply c.yml"
run "$TMP/same" V apply "$TMP/c.yml"
diag "$(cat "$TMP/same.out")"
check "the same policy again: 'unchanged, nothing sent', exit 0" \
	bash -c "test $RC = 0 && grep -q '^applied .*: unchanged, nothing sent (' '$TMP/same.out'"

# ---- 3. counters ----
probe_count() { # the packets counted by the first rule for udp dport 9999
	ip netns exec "$H" nft list chain inet vigil output |
		sed -n '/udp dport 9999/{s/.*counter packets \([0-9]*\) .*/\1/p;q}'
}
for i in $(seq 5); do
	ip netns exec "$H" bash -c 'echo x >/dev/udp/10.99.0.2/9999' 2>/dev/null
done
n0=$(probe_count)
check "traffic through rule probe (5 UDP datagrams out of vh0): counted ($n0)" test "${n0:-0}" -ge 5
run "$TMP/d" V apply "$TMP/d.yml"
diag "$(cat "$TMP/d.out")"
check "another rule changed (dns): applied incrementally" grep -q ' incrementally: ' "$TMP/d.out"
n1=$(probe_count)
check "... rule probe kept its counter ($n0 before, $n1 after)" test "$n1" = "$n0"
check "... the changed rule's counter starts at 0" \
	bash -c "ip netns exec '$H' nft list chain inet vigil input | grep 'udp dport 5353' | grep -q 'counter packets 0 '"
run "$TMP/e" V apply "$TMP/e.yml"
diag "$(cat "$TMP/e.out")"
check "a set element more: incrementally, no rule touched" \
	grep -q ' incrementally: .*(0 rules deleted, 0 inserted, [0-9]* kept; 0 set elements deleted, 1 added)' "$TMP/e.out"
n2=$(probe_count)
check "... rule probe's counter kept ($n2)" test "$n2" = "$n0"
V apply -q --full "$TMP/e.yml" || bail_out "apply --full e.yml"
check "--full: a full replacement, every counter starts again at 0" test "$(probe_count)" = 0

# ---- 4. a change between the dump and the commit ----
V apply -q --full "$TMP/d.yml" || bail_out "apply d.yml"
VIGIL_TEST_DELTA_PAUSE_MS=2500 V apply "$TMP/e.yml" >"$TMP/race.out" 2>&1 &
rpid=$!
sleep 1
ip netns exec "$H" nft add element inet vigil admins_v4 '{ 203.0.113.9 }'
wait "$rpid"
RC=$?
diag "$(cat "$TMP/race.out")"
check "nft add element during the pause: apply still succeeds (exit 0)" test "$RC" = 0
check "... the generation check failed the first try: read twice" \
	grep -q ' incrementally: .*; read 2 times: the table changed meanwhile)' "$TMP/race.out"
check "... the second read saw the element: 1 set element deleted (it), 1 added (the policy's)" \
	grep -q '0 inserted, [0-9]* kept; 1 set elements deleted, 1 added;' "$TMP/race.out"
L >"$TMP/l.race"
V apply -q --full "$TMP/e.yml"
L >"$TMP/l.racefull"
check "... and the kernel holds exactly the policy (as a full apply leaves it)" \
	cmp -s "$TMP/l.race" "$TMP/l.racefull"

# ---- 5. port-forward maps: one forward's target changed ----
{
	printf '%s\n' 'version: 1' 'zones: {lan: vh9, wan: vh0}' \
		'defaults: {input: drop, forward: drop, output: accept}' \
		'rules:' '  - {name: lan-out, chain: forward, iif: "@lan", oif: "@wan", action: accept}' 'nat:'
	for i in $(seq 1 10); do
		echo "  - {name: fw$i, iif: \"@wan\", proto: tcp, dport: $((9000 + i)), action: dnat, to: \"10.1.0.2:$((2000 + i))\"}"
	done
	for i in $(seq 1 8); do
		echo "  - {name: fw6-$i, iif: \"@wan\", proto: udp, dport: $((9100 + i)), action: dnat, to: \"[fd00:1::2]:$((2000 + i))\"}"
	done
} >"$TMP/f.yml"
# (the namespace's own sysctls: vigild warns of a dnat that cannot forward)
ip netns exec "$H" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
	bail_out "forwarding in the namespace"
sed 's|to: "10.1.0.2:2005"|to: "10.1.0.3:2055"|' "$TMP/f.yml" >"$TMP/g.yml"
sed 's|to: "\[fd00:1::2\]:2003"|to: "[fd00:1::3]:2003"|' "$TMP/g.yml" >"$TMP/h.yml"
chmod 644 "$TMP"/*.yml
V apply -q --full "$TMP/f.yml" || bail_out "apply f.yml"
check "18 port forwards (10 IPv4, 8 IPv6) are two maps in prerouting" \
	bash -c "L() { ip netns exec '$H' nft list table inet vigil; }; L | grep -q 'dnat ip to tcp dport map @natmap.1' && L | grep -q 'dnat ip6 to udp dport map @natmap.2'"
run "$TMP/g" V apply "$TMP/g.yml"
diag "$(cat "$TMP/g.out")"
# natmap.1: 9005's element out and in with its new data; dnatfwd.1: the
# old address . port out, the new one in; no rule touched
check "fw5's target changed (10.1.0.2:2005 -> 10.1.0.3:2055): applied incrementally, 2 elements out and 2 in, no rule touched" \
	grep -q ' incrementally: .*(0 rules deleted, 0 inserted, [0-9]* kept; 2 set elements deleted, 2 added)' "$TMP/g.out"
L >"$TMP/l.ginc"
check "... the kernel's map holds the new target (9005 : 10.1.0.3 . 2055), not the old" \
	bash -c "grep -q '9005 : 10.1.0.3 . 2055' '$TMP/l.ginc' && ! grep -q '9005 : 10.1.0.2 . 2005' '$TMP/l.ginc'"
V apply -q --full "$TMP/g.yml" || bail_out "apply --full g.yml"
L >"$TMP/l.gfull"
M() { ip netns exec "$H" nft list map inet vigil natmap.1 && ip netns exec "$H" nft list set inet vigil dnatfwd.1; }
M >"$TMP/m.gfull"
check "... the listing equals that after a full apply of it" cmp -s "$TMP/l.ginc" "$TMP/l.gfull"
cmp -s "$TMP/l.ginc" "$TMP/l.gfull" || diff "$TMP/l.ginc" "$TMP/l.gfull" | head -20 | sed 's/^/#   /'
run "$TMP/h" V apply "$TMP/h.yml"
diag "$(cat "$TMP/h.out")"
L >"$TMP/l.hinc"
V apply -q --full "$TMP/h.yml" || bail_out "apply --full h.yml"
L >"$TMP/l.hfull"
check "an IPv6 forward's target changed (fw6-3 -> [fd00:1::3]:2003): incrementally, listing as after a full apply" \
	bash -c "grep -q ' incrementally: .*2 set elements deleted, 2 added)' '$TMP/h.out' && cmp -s '$TMP/l.hinc' '$TMP/l.hfull'"
V apply -q --full "$TMP/f.yml" || bail_out "apply f.yml"
L >"$TMP/l.ffull"
run "$TMP/f" V apply "$TMP/h.yml"
run "$TMP/f2" V apply "$TMP/f.yml"
L >"$TMP/l.finc"
check "back and forth (f -> h -> f incrementally): as after a full apply of f" \
	bash -c "grep -q ' incrementally: ' '$TMP/f2.out' && cmp -s '$TMP/l.finc' '$TMP/l.ffull'"

# ---- 6. the watch's reload ----
V remove -q || bail_out "remove"
cp "$TMP/c.yml" "$TMP/w.yml"
chmod 644 "$TMP/w.yml"
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
start_watch "$H" "$TMP/db/flows.db" "$TMP/w.yml" || bail_out "watch"
for i in $(seq 5); do
	ip netns exec "$H" bash -c 'echo x >/dev/udp/10.99.0.2/9999' 2>/dev/null
done
w0=$(probe_count)
cp "$TMP/d.yml" "$TMP/w.yml"
run "$TMP/reload" V reload
for i in $(seq 100); do grep -q "applied .*dns\|incrementally\|full replacement" "$TMP/watch.log" && break; sleep 0.05; done
diag "$(grep -E 'applied|replacement' "$TMP/watch.log" | tail -3)"
check "vigild reload with rule dns changed: exit 0, the watch applied it incrementally" \
	bash -c "test $RC = 0 && grep -q 'applied .*; incrementally: [0-9]* messages (2 rules deleted, 2 inserted' '$TMP/watch.log'"
w1=$(probe_count)
check "... rule probe kept its counter across the reload ($w0 before, $w1 after)" \
	bash -c "test '${w0:-x}' -ge 5 && test '$w1' = '$w0'"
run "$TMP/reload2" V reload
check "a reload of the same policy: nothing sent" \
	bash -c "sleep 0.3; grep -q 'applied .*; unchanged, nothing sent' '$TMP/watch.log'"
# port-forward maps through the watch's commits (daemon/commit_delta.c)
wait_log() { # COUNT PATTERN: until the watch's log has COUNT lines matching
	for i in $(seq 100); do [ "$(grep -c "$2" "$TMP/watch.log")" -ge "$1" ] && return 0; sleep 0.05; done
	return 1
}
napplied=$(grep -c 'applied ' "$TMP/watch.log")
cp "$TMP/f.yml" "$TMP/w.yml"
V reload -q && wait_log $((napplied + 1)) 'applied ' || diag "reload to the port forwards: no applied line"
cp "$TMP/g.yml" "$TMP/w.yml"
run "$TMP/reload3" V reload
wait_log $((napplied + 2)) 'applied '
diag "$(grep -E 'applied|replacement' "$TMP/watch.log" | tail -1)"
check "vigild reload with fw5's target changed: the watch applied it incrementally, 2 elements out, 2 in, no rule touched" \
	bash -c "test $RC = 0 && tail -1 '$TMP/watch.log' | grep -q 'applied .*; incrementally: [0-9]* messages (0 rules deleted, 0 inserted, [0-9]* kept; 2 set elements deleted, 2 added)'"
M >"$TMP/m.winc"
check "... its map and forward set list as after apply --full of the policy" \
	bash -c "grep -q '9005 : 10.1.0.3 . 2055' '$TMP/m.winc' && cmp -s '$TMP/m.winc' '$TMP/m.gfull'"
stop_watch

done_testing
