#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Coexistence with a docker-style host (issue 15): docker's tables (ip
# filter FORWARD accepting bridge traffic, ip nat masquerade and a
# published port), loaded with nft -f. A plain forward-drop policy makes
# apply warn, naming docker's table and chain; examples/docker-host.yml
# (which accepts the bridges' traffic itself) does not; a forward accept
# policy does not; docker's tables are byte-identical after every apply.
. "$(dirname "$0")/lib.sh"

netns_preflight

ns_new N docker || bail_out "cannot create a namespace"
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
ip netns exec "$N" nft list table ip filter >"$TMP/filter0" &&
	ip netns exec "$N" nft list table ip nat >"$TMP/nat0" || bail_out "cannot list docker's tables"

unchanged() {
	ip netns exec "$N" nft list table ip filter >"$TMP/filter1" &&
		ip netns exec "$N" nft list table ip nat >"$TMP/nat1" &&
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
check "docker's tables are byte-identical after it" unchanged

run "$TMP/host" ip netns exec "$N" "$VIGILD" apply "$VIGIL_SRCDIR/examples/docker-host.yml"
check "examples/docker-host.yml applies (exit $RC)" test "$RC" -eq 0
check "no warning about docker's table: the policy accepts the bridges' traffic itself" \
	bash -c "! grep -q 'table ip filter' '$TMP/host.err'"
check "docker's tables are byte-identical after it" unchanged

printf 'version: 1\ndefaults: {forward: accept}\n' >"$TMP/fwd-accept.yml"
run "$TMP/acc" ip netns exec "$N" "$VIGILD" apply "$TMP/fwd-accept.yml"
check "a forward-accept policy applies without the warning" \
	bash -c "[ $RC -eq 0 ] && ! grep -q 'table ip filter' '$TMP/acc.err'"
check "docker's tables are byte-identical after it" unchanged

done_testing
