#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nft as an independent oracle of what vigild sends to the kernel.
#
# (b) For every policy (examples/*.yml, tests/netns/policies/*.yml and a
#     generated large one): `nft -j list ruleset` in a fresh namespace after
#     `vigild apply` equals, byte for byte, the same listing in a second fresh
#     namespace after `nft -f` of `vigild show`.
# (c) A second apply replaces the first completely (apply P1 then P2 lists
#     exactly like a fresh apply of P2), and apply is idempotent.
. "$(dirname "$0")/lib.sh"

netns_preflight

# The table a policy names (vigild show and apply must be told about any
# other than 'vigil'): its top-level "table:" key, if any.
policy_table() {
	sed -n 's/^table: *\([a-z][a-z0-9_-]*\).*/\1/p' "$1" | head -n 1
}

# The listings of one namespace; the table's own handle is replaced by H in
# $2.njson: every apply allocates a new table handle (the add-delete-add
# idiom, or destroy-add where the kernel has DESTROYTABLE; the helper's
# start-up probe of kernel features takes one too), everything inside the
# table is numbered afresh.
listing() {
	snapshot "$1" "$2"
}

# ---- a generated large policy: tens of thousands of set elements (many
# element messages), hundreds of rules, mixed families

gen=$TMP/gen
mkdir -p "$gen" && chmod 755 "$gen"
awk 'BEGIN {
	for (i = 0; i < 20000; i++) {
		a = 2 * i
		printf "10.%d.%d.%d\n", int(a / 65536), int(a / 256) % 256, a % 256
	}
	for (i = 0; i < 3000; i++)
		printf "2001:db8:%x::/48\n", 2 * i
}' >"$gen/many.txt"
awk 'BEGIN {
	print "version: 1\ntable: bulk\nsets:\n  many: {type: cidr, file: many.txt}"
	print "  ports:\n    type: port\n    elements:"
	for (i = 0; i < 500; i++)
		printf "      - \"%d-%d\"\n", 10000 + i * 10, 10000 + i * 10 + 4
	print "rules:"
	for (i = 0; i < 300; i++)
		printf "  - {name: r%d, chain: input, proto: tcp, src: \"@many\", dport: %d, %s}\n",
			i, 1000 + i, "action: accept"
	print "  - {name: ports, chain: input, proto: [tcp, udp], dport: \"@ports\", action: reject}"
}' >"$gen/large.yml"

# ---- (b) apply vs nft -f

policies=("$POLICIES"/*.yml)
examples=("$VIGIL_SRCDIR"/examples/*.yml)
if [ -e "${examples[0]}" ]; then
	policies+=("${examples[@]}")
else
	diag "no examples/*.yml in $VIGIL_SRCDIR yet: only tests/netns/policies and a generated policy"
fi
policies+=("$gen/large.yml")

oracle() {
	local p=$1 name=$2 w=$3 tbl A B

	tbl=$(policy_table "$p")
	tbl=${tbl:-vigil}
	if ! "$VIGILD" show --table "$tbl" "$p" >"$w.nft" 2>"$w.err"; then
		diag "vigild show $name failed:"
		diag_file "$w.err"
		return 1
	fi
	ns_new A apply && ns_new B nft || return 1
	if ! ip netns exec "$A" "$VIGILD" apply -q --table "$tbl" "$p" >"$w.apply" 2>&1; then
		diag "vigild apply --table $tbl $name failed:"
		diag_file "$w.apply"
		return 1
	fi
	if ! ip netns exec "$B" nft -f "$w.nft" >"$w.nftout" 2>&1; then
		diag "nft -f rejects vigild show $name:"
		diag_file "$w.nftout"
		return 1
	fi
	listing "$A" "$w.A" && listing "$B" "$w.B" || return 1
	ns_del "$A"
	ns_del "$B"
	if ! grep -q "\"name\": \"$tbl\"" "$w.A.json"; then
		diag "table inet $tbl is not in the kernel after vigild apply"
		return 1
	fi
	same "$w.A.njson" "$w.B.njson"
}

i=0
for p in "${policies[@]}"; do
	i=$((i + 1))
	name=${p#"$VIGIL_SRCDIR"/}
	[ "$p" = "$gen/large.yml" ] && name="generated large policy (23k elements, 301 rules)"
	check "oracle: $name: nft -j after vigild apply == after nft -f of vigild show" \
		oracle "$p" "$name" "$TMP/o$i"
done

# ---- (c) replacement and idempotence

# replaces P1 P2: in one namespace apply P1 then P2; in a fresh one apply P2
# (twice). Every listing must be the same (table handle aside in JSON).
replaces() {
	local p1=$1 p2=$2 w=$3 X Y

	ns_new X repl && ns_new Y fresh || return 1
	vapply "$X" "$p1" || return 1
	listing "$X" "$w.p1" || return 1
	vapply "$X" "$p2" && listing "$X" "$w.X" || return 1
	vapply "$Y" "$p2" && listing "$Y" "$w.Y" || return 1
	vapply "$Y" "$p2" && listing "$Y" "$w.Y2" || return 1
	ns_del "$X"
	ns_del "$Y"
	if cmp -s "$w.p1.txt" "$w.Y.txt"; then
		diag "the two policies compile to the same ruleset: the test proves nothing"
		return 1
	fi
	REPL_OK=0
	same "$w.X.txt" "$w.Y.txt" && same "$w.X.njson" "$w.Y.njson" && REPL_OK=1
	IDEM_OK=0
	same "$w.Y.txt" "$w.Y2.txt" && same "$w.Y.njson" "$w.Y2.njson" && IDEM_OK=1
	return 0
}

pairs=(
	"kitchen.yml traffic.yml"
	"traffic.yml kitchen.yml"
	"kitchen.yml lockdown.yml"
	"lockdown.yml kitchen.yml"
)
i=0
for pair in "${pairs[@]}"; do
	read -r a b <<<"$pair"
	i=$((i + 1))
	REPL_OK=0 IDEM_OK=0
	if replaces "$POLICIES/$a" "$POLICIES/$b" "$TMP/r$i"; then
		check "replace: apply $a then $b lists exactly like a fresh apply of $b" [ $REPL_OK = 1 ]
		check "idempotent: applying $b twice lists exactly like applying it once" [ $IDEM_OK = 1 ]
	else
		not_ok "replace: apply $a then $b lists exactly like a fresh apply of $b"
		not_ok "idempotent: applying $b twice lists exactly like applying it once"
	fi
done

done_testing
