#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (e) vigild touches its own table and nothing else: foreign tables (made
# with nft, with base and regular chains, sets, maps, NAT, jumps, even a
# table named 'vigil' in family ip) survive `vigild apply` (twice) and
# `vigild remove` byte for byte; remove deletes only table inet vigil, and
# removing an absent table exits 0 and says so. A table inet that nft made
# is refused by apply and remove (exit 3, nothing changed) unless --force.
. "$(dirname "$0")/lib.sh"

netns_preflight

ns_new N coexist || bail_out "cannot create a namespace"

FOREIGN=("ip foreign" "inet docker-like" "ip vigil" "inet vigil2")

ip netns exec "$N" nft -f - <<'EOF' || bail_out "nft cannot create the foreign tables"
table ip foreign {
	set blocked {
		type ipv4_addr
		flags interval
		elements = { 192.0.2.0/24, 198.51.100.1 }
	}
	map ports {
		type inet_service : verdict
		elements = { 22 : accept, 23 : drop }
	}
	chain input {
		type filter hook input priority -10; policy accept;
		ip saddr @blocked counter drop
		tcp dport vmap @ports
		jump sub
	}
	chain sub {
		counter comment "foreign sub-chain"
	}
}
table inet docker-like {
	set containers {
		type ipv4_addr . inet_service
		elements = { 172.17.0.2 . 80, 172.17.0.3 . 443 }
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		jump docker-user
		ip daddr . tcp dport @containers counter accept
		ct state established,related accept
	}
	chain docker-user {
		return
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" ip saddr 172.17.0.0/16 masquerade
	}
}
table ip vigil {
	chain c {
		counter comment "a foreign table named vigil, family ip"
	}
}
table inet vigil2 {
	chain output {
		type filter hook output priority 0; policy accept;
		meta l4proto tcp counter
	}
}
EOF

# foreign_snapshot PREFIX: each foreign table, text and JSON
foreign_snapshot() {
	local t
	: >"$1.txt"
	: >"$1.json"
	for t in "${FOREIGN[@]}"; do
		# shellcheck disable=SC2086
		ip netns exec "$N" nft list table $t >>"$1.txt" &&
			ip netns exec "$N" nft -j list table $t >>"$1.json" || return 1
	done
	cp "$1.json" "$1.njson" # foreign tables keep even their handles
}

vigil_present() {
	ip netns exec "$N" nft list tables | grep -qx 'table inet vigil'
}

snapshot "$N" "$TMP/initial" && foreign_snapshot "$TMP/foreign0" ||
	bail_out "cannot list the foreign tables"
check "setup: four foreign tables and no vigild table" \
	[ "$(ip netns exec "$N" nft list tables | wc -l)" -eq 4 ]

for p in traffic.yml kitchen.yml; do
	run "$TMP/apply" ip netns exec "$N" "$VIGILD" apply "$POLICIES/$p"
	check "vigild apply $p exits 0 next to foreign tables" [ "$RC" -eq 0 ]
	[ "$RC" -eq 0 ] || diag_file "$TMP/apply.err"
	check "vigild apply $p: table inet vigil is present" vigil_present
	foreign_snapshot "$TMP/foreign1"
	check "vigild apply $p: every foreign table is byte-identical" \
		same_snapshot "$TMP/foreign0" "$TMP/foreign1"
done

run "$TMP/remove" ip netns exec "$N" "$VIGILD" remove
check "vigild remove exits 0" [ "$RC" -eq 0 ]
check "vigild remove says what it removed" grep -q 'removed table inet vigil' "$TMP/remove.out"
snapshot "$N" "$TMP/removed"
check "vigild remove: the ruleset is byte-identical to the one before vigild (foreign tables only)" \
	same_snapshot "$TMP/initial" "$TMP/removed"

run "$TMP/remove2" ip netns exec "$N" "$VIGILD" remove
check "vigild remove of an absent table exits 0" [ "$RC" -eq 0 ]
check "vigild remove of an absent table says so" \
	grep -q -E 'does not exist|nothing to remove' "$TMP/remove2.out"
diag "$(cat "$TMP/remove2.out" "$TMP/remove2.err")"
snapshot "$N" "$TMP/removed2"
check "vigild remove of an absent table changes nothing" \
	same_snapshot "$TMP/initial" "$TMP/removed2"

run "$TMP/remove3" ip netns exec "$N" "$VIGILD" remove --table nosuch
check "vigild remove --table nosuch (absent) exits 0, foreign tables untouched" \
	[ "$RC" -eq 0 ]
snapshot "$N" "$TMP/removed3"
check "vigild remove --table nosuch changes nothing" same_snapshot "$TMP/initial" "$TMP/removed3"

# a table vigild did not make is refused by name, unless --force says so
for verb in apply remove; do
	args=(-t vigil2)
	sed 's/^table: .*/table: vigil2/' "$POLICIES/traffic.yml" >"$TMP/vigil2.yml"
	[ "$verb" = apply ] && args+=("$TMP/vigil2.yml")
	run "$TMP/own-$verb" ip netns exec "$N" "$VIGILD" "$verb" "${args[@]}"
	check "vigild $verb -t vigil2 (made by nft) exits 3" [ "$RC" -eq 3 ]
	check "vigild $verb -t vigil2: says the table was not made by vigild" \
		grep -q 'table inet vigil2 was not made by vigild' "$TMP/own-$verb.err"
	diag "$(cat "$TMP/own-$verb.err")"
	snapshot "$N" "$TMP/own-$verb"
	check "vigild $verb -t vigil2: the ruleset is byte-identical" \
		same_snapshot "$TMP/initial" "$TMP/own-$verb"
done
check "apply offers --force to take the table over" \
	grep -q -- '--force to take it over' "$TMP/own-apply.err"
check "remove offers --force to delete it" \
	grep -q -- '--force to delete it anyway' "$TMP/own-remove.err"
run "$TMP/own-force" ip netns exec "$N" "$VIGILD" remove -t vigil2 --force
check "vigild remove -t vigil2 --force exits 0" [ "$RC" -eq 0 ]
only_vigil2_gone() {
	ip netns exec "$N" nft list tables >"$TMP/own-tables" &&
		! grep -q -x 'table inet vigil2' "$TMP/own-tables" &&
		[ "$(wc -l <"$TMP/own-tables")" -eq 3 ]
}
check "... and deletes exactly that table" only_vigil2_gone

done_testing
