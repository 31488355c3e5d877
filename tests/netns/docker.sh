#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Coexistence with a docker-style host (issue 15): docker's tables (ip
# filter FORWARD accepting bridge traffic, ip nat masquerade and a
# published port), loaded with nft -f. A plain forward-drop policy makes
# apply warn, naming docker's table and chain, and cuts the container
# off (outbound and the published port); examples/docker-host.yml (which
# accepts the bridges' traffic itself) does not warn and the container
# keeps both directions; a forward accept policy does not warn; docker's
# tables are byte-identical after every apply. Topology: the host N with
# a bridge docker0 (172.17.0.1/16) and a container namespace C on it
# (172.17.0.2), and a WAN namespace W (192.0.2.2) without a route to the
# containers.
. "$(dirname "$0")/lib.sh"

netns_preflight

ns_new N docker || bail_out "cannot create a namespace"
ns_new C ctr || bail_out "cannot create the container namespace"
ns_new W wan || bail_out "cannot create the WAN namespace"
ip -n "$N" link add docker0 type bridge && ip -n "$N" link set docker0 up &&
	ip -n "$N" addr add 172.17.0.1/16 dev docker0 &&
	veth "$N" vethc "$C" eth0 && ip -n "$N" link set vethc master docker0 &&
	addr "$C" eth0 172.17.0.2/16 && ip -n "$C" route add default via 172.17.0.1 &&
	veth "$N" wan0 "$W" eth0 && addr "$N" wan0 192.0.2.1/24 && addr "$W" eth0 192.0.2.2/24 ||
	bail_out "cannot build the docker-style topology"
ip netns exec "$N" sysctl -qw net.ipv4.ip_forward=1 || bail_out "cannot turn forwarding on"
serve "$C" tcp 80 && serve "$W" tcp 80 || bail_out "cannot start the servers"

# probe pass|timeout DESCRIPTION NS ADDR PORT
probe() {
	local out rc
	out=$(ip netns exec "$3" "$NETTOOL" probe tcp "$4" "$5" "$([ "$1" = pass ] && echo 3000 || echo 500)" 2>&1)
	rc=$?
	if { [ "$1" = pass ] && [ $rc -eq 0 ]; } || { [ "$1" = timeout ] && [ "${out%% *}" = timeout ]; }; then
		ok "$2"
	else
		not_ok "$2"
		diag "expected $1: $out (exit $rc)"
	fi
}
ip netns exec "$N" nft -f - <<'NFT' || bail_out "nft cannot load the docker-style tables"
table ip filter {
	chain DOCKER-USER {
		return
	}
	chain DOCKER {
		iifname != "docker0" oifname "docker0" ip daddr 172.17.0.2 tcp dport 80 counter accept
	}
	chain FORWARD {
		type filter hook forward priority filter; policy drop;
		counter jump DOCKER-USER
		oifname "docker0" ct state related,established counter accept
		oifname "docker0" counter jump DOCKER
		iifname "docker0" oifname != "docker0" counter accept
		iifname "docker0" oifname "docker0" counter accept
	}
}
table ip nat {
	chain DOCKER {
		iifname != "docker0" tcp dport 8080 counter dnat to 172.17.0.2:80
	}
	chain PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local counter jump DOCKER
	}
	chain POSTROUTING {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 172.17.0.0/16 oifname != "docker0" counter masquerade
	}
}
NFT
probe pass "docker's tables alone: the container reaches the WAN (masquerade)" "$C" 192.0.2.2 80
probe pass "docker's tables alone: the WAN reaches the published port 8080" "$W" 192.0.2.1 8080
# docker's tables as listed, their counters left out (the test's own
# traffic moves them; everything else must stay byte for byte)
listed() {
	ip netns exec "$N" nft list table ip "$1" | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
}
listed filter >"$TMP/filter0" && listed nat >"$TMP/nat0" || bail_out "cannot list docker's tables"

unchanged() {
	listed filter >"$TMP/filter1" && listed nat >"$TMP/nat1" &&
		same "$TMP/filter0" "$TMP/filter1" && same "$TMP/nat0" "$TMP/nat1"
}

run "$TMP/plain" ip netns exec "$N" "$VIGILD" apply "$POLICIES/docker-plain.yml"
check "a plain forward-drop policy applies (exit $RC)" test "$RC" -eq 0
if grep -q "warning: table ip filter accepts traffic at the forward hook (chain FORWARD, 4 accept rules in the table)" "$TMP/plain.err"; then
	ok "apply warns, naming docker's table and chain"
else
	not_ok "apply warns, naming docker's table and chain"
	diag_file "$TMP/plain.err"
fi
check "docker's tables are byte-identical after it (but for counters)" unchanged
probe timeout "plain forward drop: the container is cut off from the WAN" "$C" 192.0.2.2 80
probe timeout "plain forward drop: the published port is cut off" "$W" 192.0.2.1 8080

run "$TMP/host" ip netns exec "$N" "$VIGILD" apply "$VIGIL_SRCDIR/examples/docker-host.yml"
check "examples/docker-host.yml applies (exit $RC)" test "$RC" -eq 0
check "no warning about docker's table: the policy accepts the bridges' traffic itself" \
	bash -c "! grep -q 'table ip filter' '$TMP/host.err'"
probe pass "docker-host.yml: the container reaches the WAN" "$C" 192.0.2.2 80
probe pass "docker-host.yml: the WAN reaches the published port" "$W" 192.0.2.1 8080

printf 'version: 1\ndefaults: {forward: accept}\n' >"$TMP/fwd-accept.yml"
run "$TMP/acc" ip netns exec "$N" "$VIGILD" apply "$TMP/fwd-accept.yml"
check "a forward-accept policy applies without the warning" \
	bash -c "[ $RC -eq 0 ] && ! grep -q 'table ip filter' '$TMP/acc.err'"
check "docker's tables are byte-identical after it (but for counters)" unchanged

done_testing
