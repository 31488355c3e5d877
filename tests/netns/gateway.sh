#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A gateway between two networks, three namespaces: L (the LAN: a client
# and a web server, 10.1.0.2 / fd00:1::2), G (the gateway, lan0 and wan0,
# forwarding on in its namespace only) and W (the WAN: a server that has
# no route back to the LAN). G applies policies/gateway.yml:
#   - masquerade: L reaches W although W cannot route to the LAN;
#   - dnat: W reaches L's port 80 through G:8080 (IPv4 and IPv6), opened
#     by the dnat entry's own forward accept, and nothing else: W routing
#     straight to L (port 80 or 22) stays closed under forward drop.
# Then the same policy with 10 IPv4 and 8 IPv6 port forwards (one map
# per family, natmap.c): every forwarded port reaches its LAN port, a
# port not forwarded and the LAN port itself stay closed, nft lists the
# maps (and the table equals nft -f of vigild show); an apply --confirm
# of the policy without them and a rollback bring the maps back as they
# were (the rollback batch is rebuilt from the kernel's dump).
. "$(dirname "$0")/lib.sh"

netns_preflight

L4=10.1.0.2 L6=fd00:1::2 GL4=10.1.0.1 GL6=fd00:1::1
W4=192.0.2.2 W6=2001:db8:2::2 GW4=192.0.2.1 GW6=2001:db8:2::1 W4B=192.0.2.3

ns_new L lan || bail_out "cannot create the LAN namespace"
ns_new G gw || bail_out "cannot create the gateway namespace"
ns_new W wan || bail_out "cannot create the WAN namespace"
veth "$L" eth0 "$G" lan0 && veth "$G" wan0 "$W" eth0 || bail_out "cannot create the veth pairs"
addr "$L" eth0 $L4/24 && addr "$L" eth0 $L6/64 && addr "$G" lan0 $GL4/24 && addr "$G" lan0 $GL6/64 &&
	addr "$G" wan0 $GW4/24 && addr "$G" wan0 $GW6/64 && addr "$W" eth0 $W4/24 &&
	addr "$W" eth0 $W6/64 || bail_out "cannot add addresses"
# the LAN routes through the gateway; the WAN knows nothing of the LAN
ip -n "$L" route add default via $GL4 && ip -n "$L" -6 route add default via $GL6 ||
	bail_out "cannot add the LAN's default routes"
ip netns exec "$G" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
	bail_out "cannot turn forwarding on in the gateway's namespace"
addr "$W" eth0 $W4B/24 || bail_out "cannot add the second WAN address"
serve "$L" tcp 80 22 && serve "$W" tcp 80 22 && serve "$G" tcp 8000 || bail_out "cannot start the servers"

# expect pass|timeout|refused DESCRIPTION NS PROBE-ARGS...
expect() {
	local want=$1 desc=$2 ns=$3 tmo out rc
	shift 3
	tmo=3000
	[ "$want" != pass ] && tmo=500
	out=$(ip netns exec "$ns" "$NETTOOL" probe "$@" "$tmo" 2>&1)
	rc=$?
	if { [ "$want" = pass ] && [ "$rc" -eq 0 ]; } ||
		{ [ "$want" != pass ] && [ "$rc" -eq 1 ] && [ "${out%% *}" = "$want" ]; }; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "expected $want; nettool probe $* $tmo: $out (exit $rc)"
	fi
}

# counter_of NS CHAIN COMMENT: packets of the kernel rules with that comment
counter_of() {
	ip netns exec "$1" nft list chain inet vigil "$2" |
		awk -v c="comment \"$3\"" 'index($0, c) { for (i = 1; i < NF; i++)
			if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}

# ---- without a policy: forwarding alone does not reach W (no route back)
expect timeout "no policy: the LAN cannot reach the WAN (W has no route back)" "$L" tcp $W4 80
expect refused "no policy: the gateway's 8080 is its own (nothing listens: a reset)" "$W" tcp $GW4 8080

# ---- the gateway policy
check "vigild apply policies/gateway.yml" vapply "$G" "$POLICIES/gateway.yml"
expect pass "masquerade: the LAN reaches the WAN server over IPv4" "$L" tcp $W4 80
expect pass "masquerade: the LAN reaches the WAN server over IPv6" "$L" tcp $W6 80
n=$(counter_of "$G" postrouting masq)
check "the masquerade rules counted the new connections ($n packets)" test "$n" -ge 2
expect pass "dnat: the WAN reaches LAN:80 through the gateway's 8080 (IPv4)" "$W" tcp $GW4 8080
expect pass "dnat: the WAN reaches [LAN]:80 through the gateway's 8080 (IPv6)" "$W" tcp $GW6 8080
n=$(counter_of "$G" forward "vigil:dnat web")
check "the dnat's forward accept admitted it ($n packets)" test "$n" -ge 1
expect timeout "the gateway's own port 22 is closed to the WAN" "$W" tcp $GW4 22
expect timeout "the gateway's 8081 (no dnat) is closed to the WAN" "$W" tcp $GW4 8081

# ---- the WAN routes straight to the LAN: the forward drop holds
ip -n "$W" route add 10.1.0.0/24 via $GW4 && ip -n "$W" -6 route add fd00:1::/64 via $GW6 ||
	bail_out "cannot add the WAN's routes to the LAN"
expect timeout "WAN -> LAN:22 directly stays closed (IPv4)" "$W" tcp $L4 22
expect timeout "WAN -> LAN:22 directly stays closed (IPv6)" "$W" tcp $L6 22
expect timeout "WAN -> LAN:80 directly stays closed: the dnat accept is for translated connections only" \
	"$W" tcp $L4 80
expect pass "dnat still works with the route there" "$W" tcp $GW4 8080

# ---- the per-source limit: 200 new connections at once from W4
burst_from() {
	local src=$1 n=$2 i
	for i in $(seq "$n"); do
		ip netns exec "$W" "$NETTOOL" probe --src "$src" tcp $GW4 8000 800 >"$TMP/burst.$src.$i" 2>&1 &
	done
	wait
	grep -l '^connected' "$TMP"/burst."$src".* 2>/dev/null | wc -l
}
t0=$(date +%s%N)
admitted=$(burst_from $W4 200)
ms=$((($(date +%s%N) - t0) / 1000000))
diag "200 new connections from $W4 in $ms ms: $admitted admitted"
check "per-source limit: about the burst (20) of 200 admitted ($admitted, in $ms ms)" \
	test "$admitted" -ge 15 -a "$admitted" -le 30
n=$(counter_of "$G" input limited)
check "the over-limit rule and the rule counted them ($n packets)" test "$n" -ge 200
other=$(burst_from $W4B 10)
check "another source is not affected: $other of 10 admitted" test "$other" -eq 10
ip netns exec "$G" nft list set inet vigil limit.limited_v4 >"$TMP/limset.txt"
check "the dynamic set holds both sources" grep -q "$W4B" "$TMP/limset.txt"

# ---- the kernel holds what show prints (nft as the oracle)
ns_new O oracle || bail_out "cannot create the oracle namespace"
ip netns exec "$G" nft list table inet vigil >"$TMP/kernel.txt"
(cd "$POLICIES" && "$VIGILD" show gateway.yml) >"$TMP/show.nft" &&
	ip netns exec "$O" nft -f "$TMP/show.nft" && ip netns exec "$O" nft list table inet vigil >"$TMP/oracle.txt"
# counters and the dynamic set's elements are the traffic's
sed -E 's/packets [0-9]+ bytes [0-9]+/packets 0 bytes 0/' "$TMP/kernel.txt" |
	awk '/^\t\telements = / { skip = 1 } !skip { print } skip && /\}$/ { skip = 0 }' >"$TMP/kernel0.txt"
check "the kernel's table equals nft -f of vigild show (nat chains included)" same "$TMP/kernel0.txt" "$TMP/oracle.txt"

# ---- port forwards: 10 IPv4 and 8 IPv6 (runs of IR_NATMAP_MIN = 8 or
# more): one map lookup each in prerouting, one set lookup each in forward
serve "$L" tcp 2001 2002 2003 2004 2005 2006 2007 2008 2009 2010 || bail_out "cannot start the LAN's servers"
cp "$POLICIES/gateway.yml" "$TMP/forwards.yml"
for i in $(seq 10); do
	echo "  - {name: fw$i, iif: \"@wan\", proto: tcp, dport: $((9000 + i)), action: dnat, to: \"$L4:$((2000 + i))\"}"
done >>"$TMP/forwards.yml"
for i in $(seq 8); do
	echo "  - {name: fw6-$i, iif: \"@wan\", proto: tcp, dport: $((9100 + i)), action: dnat, to: \"[$L6]:$((2000 + i))\"}"
done >>"$TMP/forwards.yml"
chmod 644 "$TMP/forwards.yml"
check "vigild apply of gateway.yml with 10 + 8 port forwards" vapply "$G" "$TMP/forwards.yml"
# fwd_all FAMILY-ADDR FIRST N: each of N forwarded ports from FIRST reaches
# the LAN server's port 2001 on
fwd_all() {
	local a=$1 p0=$2 n=$3 i out bad=
	for i in $(seq "$n"); do
		out=$(ip netns exec "$W" "$NETTOOL" probe tcp "$a" $((p0 + i)) 3000 2>&1) || bad="$bad $((p0 + i)):${out%% *}"
	done
	[ -z "$bad" ] || diag "not forwarded:$bad"
	[ -z "$bad" ]
}
check "all 10 IPv4 forwards reach the LAN server (9001-9010 -> $L4:2001-2010)" fwd_all $GW4 9000 10
check "all 8 IPv6 forwards reach the LAN server (9101-9108 -> [$L6]:2001-2008)" fwd_all $GW6 9100 8
expect pass "the dnat of 8080 before them still works" "$W" tcp $GW4 8080
expect timeout "9011, not forwarded, stays closed" "$W" tcp $GW4 9011
expect timeout "9109, not forwarded, stays closed (IPv6)" "$W" tcp $GW6 9109
expect timeout "LAN:2001 directly stays closed: the forwards' accept is for translated connections" \
	"$W" tcp $L4 2001
ip netns exec "$G" nft list table inet vigil >"$TMP/kmaps.txt"
ip netns exec "$G" nft list chain inet vigil prerouting >"$TMP/pre.txt"
check "nft lists one map rule per family in prerouting, 4 dnat rules in all (web, web6, @natmap.1, @natmap.2)" \
	bash -c "grep -q 'dnat ip to tcp dport map @natmap.1' '$TMP/pre.txt' && grep -q 'dnat ip6 to tcp dport map @natmap.2' '$TMP/pre.txt' && test \$(grep -c ' dnat ' '$TMP/pre.txt') = 4"
ip netns exec "$G" nft list map inet vigil natmap.1 >"$TMP/natmap1.txt"
check "the map holds the 10 translations (9005 : $L4 . 2005)" \
	bash -c "grep -q '9005 : $L4 . 2005' '$TMP/natmap1.txt' && test \$(grep -o ' : $L4 \. ' '$TMP/natmap1.txt' | wc -l) = 10"
(cd "$TMP" && "$VIGILD" show forwards.yml) >"$TMP/show2.nft" &&
	ip netns exec "$O" nft -f "$TMP/show2.nft" && ip netns exec "$O" nft list table inet vigil >"$TMP/oracle2.txt"
sed -E 's/packets [0-9]+ bytes [0-9]+/packets 0 bytes 0/' "$TMP/kmaps.txt" |
	awk '/^\tset limit\./ { dyn = 1 } /^\t}/ { dyn = 0 } dyn && /^\t\telements = / { skip = 1 }
	     !skip { print } skip && /\}$/ { skip = 0 }' >"$TMP/kmaps0.txt"
sed -E 's/packets [0-9]+ bytes [0-9]+/packets 0 bytes 0/' "$TMP/oracle2.txt" >"$TMP/oracle20.txt"
check "the kernel's table equals nft -f of vigild show (the maps and their elements included)" \
	same "$TMP/kmaps0.txt" "$TMP/oracle20.txt"

# ---- apply --confirm of the policy without them, then rollback: the
# maps come back as they were (the rollback is rebuilt from the dump)
# stateless_table: the table without counters, the dynamic set's elements
stateless_table() {
	ip netns exec "$G" nft -s list table inet vigil |
		awk '/^\tset limit\./ { dyn = 1 } /^\t}/ { dyn = 0 } dyn && /^\t\telements = / { skip = 1 }
		     !skip { print } skip && /\}$/ { skip = 0 }'
}
stateless_table >"$TMP/before.txt"
run "$TMP/conf" ip netns exec "$G" "$VIGILD" apply --confirm 30 "$POLICIES/gateway.yml"
[ "$RC" = 0 ] || diag_file "$TMP/conf.err"
check "apply --confirm 30 of gateway.yml: exit 0, the maps gone" \
	bash -c "test $RC = 0 && ! ip netns exec '$G' nft list table inet vigil | grep -q natmap"
expect timeout "... 9001 is no longer forwarded" "$W" tcp $GW4 9001
run "$TMP/rb" ip netns exec "$G" "$VIGILD" rollback
[ "$RC" = 0 ] || diag_file "$TMP/rb.err"
stateless_table >"$TMP/after.txt"
cmp -s "$TMP/before.txt" "$TMP/after.txt" || diag "$(diff -u "$TMP/before.txt" "$TMP/after.txt")"
check "vigild rollback: exit 0, the table as it was (maps, elements, sets, rules)" \
	bash -c "test $RC = 0 && grep -q '9005 : $L4 . 2005' '$TMP/before.txt' && cmp -s '$TMP/before.txt' '$TMP/after.txt'"
fwd_both() { fwd_all $GW4 9000 10 && fwd_all $GW6 9100 8; }
check "... the forwards work again (IPv4 and IPv6)" fwd_both

done_testing
