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

done_testing
