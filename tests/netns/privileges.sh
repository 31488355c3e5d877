#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# (g) Without CAP_NET_ADMIN, `vigild apply` and `vigild remove` fail with
# exit 3 and a clear message, and the ruleset does not change. Run as the
# unprivileged user nobody, and as root with CAP_NET_ADMIN taken away. As a
# control, the same environments can run `vigild check`, and a non-root
# user holding CAP_NET_ADMIN (and nothing else) can apply.
. "$(dirname "$0")/lib.sh"

netns_preflight

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
NOCAP=(setpriv --inh-caps=-net_admin --bounding-set=-net_admin)
ONLYCAP=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_admin
	--ambient-caps=+net_admin)

ns_new N privs || bail_out "cannot create a namespace"
ip netns exec "$N" nft add table ip foreign &&
	ip netns exec "$N" nft add chain ip foreign c &&
	ip netns exec "$N" nft add rule ip foreign c counter ||
	bail_out "nft cannot create a foreign table"
vapply "$N" "$POLICIES/traffic.yml" || bail_out "cannot apply traffic.yml"
snapshot "$N" "$TMP/before" || bail_out "cannot list the ruleset"

# refused WHO VERB ARGS...: exit 3, a message naming CAP_NET_ADMIN, no change
refused() {
	local who=$1 desc=$2
	shift 2
	run "$TMP/run" ip netns exec "$N" "$@"
	check "$who: $desc exits 3" [ "$RC" -eq 3 ]
	diag "$(cat "$TMP/run.out" "$TMP/run.err")"
	check "$who: $desc says that it needs CAP_NET_ADMIN" grep -q 'CAP_NET_ADMIN' "$TMP/run.err"
	snapshot "$N" "$TMP/after"
	check "$who: $desc leaves the ruleset byte-identical" same_snapshot "$TMP/before" "$TMP/after"
}

for who in nobody no-cap-root; do
	if [ $who = nobody ]; then pre=("${NOBODY[@]}"); else pre=("${NOCAP[@]}"); fi
	run "$TMP/check" ip netns exec "$N" "${pre[@]}" "$VIGILD" check "$POLICIES/kitchen.yml"
	check "$who: control: vigild check runs in this environment (exit 0)" [ "$RC" -eq 0 ]
	refused $who "vigild apply kitchen.yml" "${pre[@]}" "$VIGILD" apply "$POLICIES/kitchen.yml"
	refused $who "vigild remove" "${pre[@]}" "$VIGILD" remove
done

# the capability is what counts, not uid 0
run "$TMP/onlycap" ip netns exec "$N" "${ONLYCAP[@]}" "$VIGILD" apply -q "$POLICIES/kitchen.yml"
check "non-root with only CAP_NET_ADMIN: vigild apply kitchen.yml exits 0" [ "$RC" -eq 0 ]
[ "$RC" -eq 0 ] || diag_file "$TMP/onlycap.err"
ns_new F fresh && vapply "$F" "$POLICIES/kitchen.yml" || bail_out "cannot apply kitchen.yml"
ip netns exec "$N" nft list table inet vigil >"$TMP/onlycap.txt"
ip netns exec "$F" nft list table inet vigil >"$TMP/fresh.txt"
check "non-root with only CAP_NET_ADMIN: the table is the one root's apply makes" \
	same "$TMP/onlycap.txt" "$TMP/fresh.txt"

done_testing
