#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Coexistence with a docker-style host (issue 15): docker's tables (ip
# filter FORWARD accepting bridge traffic, ip nat masquerade and a
# published port), loaded with nft -f. A plain forward-drop policy makes
# apply warn, naming docker's table and chain, and cuts the container
# off (outbound and the published port); examples/docker-host.yml
# (forward: {default: drop, defer-to: [docker]}) does not warn and the
# container keeps both directions, while the WAN still cannot reach the
# container's port routed to directly (which docker's FORWARD accepts:
# vigild's accepts into docker0 need ct status dnat), nor a port nothing
# publishes, and the example's explicit forward drop (SMTP out) still
# wins; vigild explain agrees with each of those packets; defer-to naming
# another manager still warns and suggests defer-to: [docker]; a forward
# accept policy does not warn; docker's tables are byte-identical after
# every apply. Topology: the host N with a bridge docker0 (172.17.0.1/16)
# and a container namespace C on it (172.17.0.2), and a WAN namespace W
# (192.0.2.2) with a route to the containers through N (so that a
# container port can be tried without docker's translation).
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
ip -n "$W" route add 172.17.0.0/16 via 192.0.2.1 || bail_out "cannot route the WAN to the containers"
ip netns exec "$N" sysctl -qw net.ipv4.ip_forward=1 || bail_out "cannot turn forwarding on"
serve "$C" tcp 80 81 && serve "$W" tcp 80 25 || bail_out "cannot start the servers"

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
probe pass "docker's tables alone: the WAN reaches the container's port 80 routed to directly" "$W" 172.17.0.2 80
probe timeout "docker's tables alone: not the container's port 81 (docker's FORWARD drops it)" "$W" 172.17.0.2 81
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

HOST=$VIGIL_SRCDIR/examples/docker-host.yml
run "$TMP/host" ip netns exec "$N" "$VIGILD" apply "$HOST"
check "examples/docker-host.yml applies (exit $RC)" test "$RC" -eq 0
check "no warning about docker's table: defer-to: [docker] covers its accept rules" \
	bash -c "! grep -q 'table ip filter' '$TMP/host.err'"
check "docker's tables are byte-identical after it (but for counters)" unchanged
probe pass "defer-to: the container reaches the WAN" "$C" 192.0.2.2 80
probe pass "defer-to: the WAN reaches the published port" "$W" 192.0.2.1 8080
probe timeout "defer-to: the WAN cannot reach the container's port 80 without docker's translation" "$W" 172.17.0.2 80
probe timeout "defer-to: the WAN cannot reach the unpublished port 81" "$W" 172.17.0.2 81
probe timeout "defer-to: the policy's explicit drop wins (no SMTP out of the container)" "$C" 192.0.2.2 25

# the counter of the kernel rule with comment $1 in vigild's forward chain
fwd_packets() {
	ip netns exec "$N" nft list chain inet vigil forward |
		sed -nE "s/.*counter packets ([0-9]+) .*comment \"$1\".*/\\1/p" | head -1
}
check "the container's packets went through vigil:defer docker" \
	test "$(fwd_packets 'vigil:defer docker')" -gt 0
check "the published port's went through vigil:defer docker dnat" \
	test "$(fwd_packets 'vigil:defer docker dnat')" -gt 0

# explain VERDICT WORDS DESCRIPTION PACKET: what vigild explain says of
# the packet as the forward chain sees it (after docker's DNAT)
explain() {
	local out rc want=$1 by=$2
	out=$("$VIGILD" explain "$HOST" "$4" 2>&1)
	rc=$?
	if [ "$(sed -n 2p <<<"$out")" = "$want: $by" ] && [ $rc -eq "$([ "$want" = accept ] && echo 0 || echo 4)" ]; then
		ok "explain agrees: $3"
	else
		not_ok "explain agrees: $3"
		diag "$out (exit $rc)"
	fi
}
explain accept "built-in rule vigil:defer docker" "the container reaches the WAN" \
	"tcp 172.17.0.2:40000 -> 192.0.2.2:80 iif docker0 oif wan0"
explain accept "built-in rule vigil:defer docker dnat" "the published port, after docker's DNAT" \
	"tcp 192.0.2.2:40000 -> 172.17.0.2:80 iif wan0 oif docker0 status dnat"
explain drop "the default of chain forward" "port 80 without the translation" \
	"tcp 192.0.2.2:40000 -> 172.17.0.2:80 iif wan0 oif docker0"
explain drop "the default of chain forward" "the unpublished port 81" \
	"tcp 192.0.2.2:40000 -> 172.17.0.2:81 iif wan0 oif docker0"
explain drop "rule no-smtp-out ($HOST:18:5)" "SMTP out of the container" \
	"tcp 172.17.0.2:40000 -> 192.0.2.2:25 iif docker0 oif wan0"

printf 'version: 1\ndefaults: {forward: {default: drop, defer-to: [libvirt]}}\n' >"$TMP/libvirt.yml"
run "$TMP/lv" ip netns exec "$N" "$VIGILD" apply "$TMP/libvirt.yml"
if [ "$RC" -eq 0 ] && grep -q "warning: table ip filter accepts traffic at the forward hook (chain FORWARD, 4 accept rules in the table).*defer-to ($TMP/libvirt.yml:2:37) covers none of the interfaces of one of its accept rules (docker0).*defer-to: \[docker\]" "$TMP/lv.err"; then
	ok "defer-to: [libvirt] still warns about docker's table and suggests defer-to: [docker]"
else
	not_ok "defer-to: [libvirt] still warns about docker's table and suggests defer-to: [docker]"
	diag_file "$TMP/lv.err"
fi
probe timeout "defer-to: [libvirt]: the container is cut off from the WAN" "$C" 192.0.2.2 80
check "docker's tables are byte-identical after it (but for counters)" unchanged

printf 'version: 1\ndefaults: {forward: accept}\n' >"$TMP/fwd-accept.yml"
run "$TMP/acc" ip netns exec "$N" "$VIGILD" apply "$TMP/fwd-accept.yml"
check "a forward-accept policy applies without the warning" \
	bash -c "[ $RC -eq 0 ] && ! grep -q 'table ip filter' '$TMP/acc.err'"
check "docker's tables are byte-identical after it (but for counters)" unchanged

done_testing
