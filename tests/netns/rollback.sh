#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel keeps its previous ruleset when an apply fails.
#
# (d) A batch the kernel rejects (vigild's own batch with one rule's message
#     sabotaged by badbatch) changes nothing, and the error names the rule and
#     its FILE:LINE.
# (f) Bad input (tests/fail/*.yml and generated ones) makes `vigild apply`
#     exit non-zero before anything reaches the kernel.
# "Nothing changed" is `nft list ruleset` and `nft -j list ruleset` compared
# byte for byte: the JSON holds the table's handle, which every committed
# apply renews, so even a commit of an identical ruleset would show.
. "$(dirname "$0")/lib.sh"

: "${BADBATCH:?BADBATCH must name the badbatch binary (meson sets it)}"
netns_preflight

KITCHEN=$POLICIES/kitchen.yml

# the ruleset to protect: a foreign table and vigild's table from traffic.yml
setup_ns() {
	ns_new "$1" "$2" || return 1
	ip netns exec "${!1}" nft -f - <<-'EOF' || return 1
	table ip foreign {
		set friends { type ipv4_addr; elements = { 192.0.2.1, 192.0.2.2 } }
		chain in { type filter hook input priority 10; policy accept; ip saddr @friends counter accept; }
	}
	EOF
	vapply "${!1}" "$POLICIES/traffic.yml"
}

# ---- (d) control: badbatch's re-encoding alone is faithful

control() {
	local C F
	ns_new C ctl && ns_new F fresh || return 1
	if ! ip netns exec "$C" "$BADBATCH" --how none "$KITCHEN" dns >"$TMP/ctl.out" 2>&1; then
		diag "badbatch --how none was not committed:"
		diag_file "$TMP/ctl.out"
		return 1
	fi
	vapply "$F" "$KITCHEN" && snapshot "$C" "$TMP/ctl" && snapshot "$F" "$TMP/fresh" &&
		same_snapshot "$TMP/ctl" "$TMP/fresh"
}
check "control: badbatch re-encoding rule 'dns' unchanged commits what vigild apply does" control

# ---- (d) sabotaged rules

setup_ns N rb || bail_out "cannot set up the namespace"
snapshot "$N" "$TMP/before" || bail_out "cannot list the ruleset"
grep -q 'table inet vigil' "$TMP/before.txt" || bail_out "traffic.yml is not applied"

# sabotage HOW RULE: the kernel rejects, the report names RULE at its line,
# the ruleset is unchanged.
sabotage() {
	local how=$1 rule=$2 w=$TMP/bb.$1.$2 line rc
	line=$(grep -n -E "^  - name: $rule( |\$)" "$KITCHEN" | cut -d: -f1)
	[ -n "$line" ] || bail_out "rule $rule is not in $KITCHEN"
	ip netns exec "$N" "$BADBATCH" --how "$how" "$KITCHEN" "$rule" >"$w.out" 2>"$w.err"
	rc=$?
	diag "badbatch --how $how $rule: exit $rc"
	diag_file "$w.out"
	check "sabotaged rule '$rule' ($how): the kernel rejects the batch (exit 1)" [ $rc -eq 1 ]
	check "sabotaged rule '$rule' ($how): the error names the rule at $KITCHEN:$line" \
		grep -q -E "^$KITCHEN:$line:[0-9]+: error: .*'$rule'" "$w.out"
	check "sabotaged rule '$rule' ($how): every error is the rule's" \
		[ "$(grep -c -v -E "^$KITCHEN:$line:" "$w.out")" -eq 0 ]
	snapshot "$N" "$w.after"
	check "sabotaged rule '$rule' ($how): the ruleset is byte-identical to before" \
		same_snapshot "$TMP/before" "$w.after"
}

sabotage set block          # the first rule
sabotage chain ssh-admins
sabotage set dns            # one policy rule, several kernel rules
sabotage chain fwd-v6       # forward chain
sabotage set out-any-drop   # the last rule

# ---- --dry-run: the kernel checks the batch, nothing is committed

run "$TMP/dry" ip netns exec "$N" "$VIGILD" apply --dry-run "$KITCHEN"
check "vigild apply --dry-run kitchen.yml exits 0" [ "$RC" -eq 0 ]
[ "$RC" -eq 0 ] || diag_file "$TMP/dry.err"
snapshot "$N" "$TMP/dry"
check "vigild apply --dry-run: the ruleset is byte-identical to before" \
	same_snapshot "$TMP/before" "$TMP/dry"

# ---- (f) bad input

bad=$TMP/bad
mkdir -p "$bad" && chmod 755 "$bad"
# rule KEYS: a policy with one input rule, KEYS its other keys (flow style)
rule() {
	printf 'version: 1\nrules:\n  - {name: a, chain: input, %s}\n' "$1"
}
# setfile FILE: a policy with a cidr set loaded from FILE, used by one rule
setfile() {
	printf 'version: 1\nsets:\n  s: {type: cidr, file: %s}\n' "$1"
	printf 'rules:\n  - {name: a, chain: input, src: "@s", action: accept}\n'
}
printf 'version: 1\nrules:\n  - name: [unclosed\n    chain: input\n' >"$bad/malformed.yml"
rule 'src: "@nosuch", action: accept' >"$bad/unknown-set.yml"
rule 'src: 10.0.0.1/33, action: accept' >"$bad/bad-cidr.yml"
rule 'src: 10.0.0.1/8, action: accept' >"$bad/host-bits.yml"
rule 'proto: tcp, dport: 70000, action: accept' >"$bad/bad-port.yml"
rule $'comment: "\xff\xfe bad utf-8", action: accept' >"$bad/bad-utf8.yml"
setfile no-such-file.txt >"$bad/missing-setfile.yml"
setfile bad-entries.txt >"$bad/bad-setfile.yml"
printf '10.0.0.0/8\n10.0.0.300\n' >"$bad/bad-entries.txt"
setfile zero.txt >"$bad/huge-setfile.yml"
ln -s /dev/zero "$bad/zero.txt"
printf 'version: 2\n' >"$bad/version.yml"
printf 'version: 1\ntable: Other\n' >"$bad/bad-table-name.yml"
: >"$bad/empty.yml"
{
	printf 'version: 1\n'
	yes '# padding padding padding padding padding padding padding padding' | head -c 50M
} >"$bad/50mb.yml"
ln -s /dev/zero "$bad/dev-zero.yml"
# a billion laughs: aliases must not expand (9^10 entries if they did)
{
	printf 'version: 1\nsets:\n  s0: {type: port, elements: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9]}\n'
	for i in 1 2 3 4 5 6 7 8 9; do
		j=$((i - 1))
		printf '  s%d: {type: port, elements: &a%d [*a%d' "$i" "$i" $j
		printf ', *a%d' $j $j $j $j $j $j $j $j
		printf ']}\n'
	done
	printf 'rules:\n  - {name: a, chain: input, proto: tcp, dport: "@s9", action: accept}\n'
} >"$bad/laughs.yml"
# deep nesting: a recursive parser must not run out of stack
{
	printf 'version: 1\nrules: '
	head -c 200000 /dev/zero | tr '\0' '['
	printf '\n'
} >"$bad/deep.yml"
# binary garbage: every byte value, NULs included; and an ELF file
for i in $(seq 0 255); do printf "\\x$(printf %02x "$i")"; done >"$bad/bytes.yml"
cp "$NETTOOL" "$bad/elf.yml"

inputs=("$VIGIL_SRCDIR"/tests/fail/*.yml)
if [ -e "${inputs[0]}" ]; then
	diag "${#inputs[@]} policies from tests/fail"
else
	inputs=()
	diag "no tests/fail/*.yml in $VIGIL_SRCDIR yet: generated bad input only"
fi
inputs+=("$bad"/*.yml "$bad/no-such-policy.yml" "$bad")

for p in "${inputs[@]}"; do
	name=${p#"$VIGIL_SRCDIR"/}
	name=${name#"$TMP"/}
	run "$TMP/apply" timeout 30 ip netns exec "$N" "$VIGILD" apply "$p"
	snapshot "$N" "$TMP/after"
	if [ "$RC" -eq 1 ] && grep -q 'error:' "$TMP/apply.err" &&
		same_snapshot "$TMP/before" "$TMP/after"; then
		ok "bad input $name: vigild apply exits 1 and the ruleset is byte-identical"
		diag "$(grep -m 1 'error:' "$TMP/apply.err" | cut -c1-200)"
	else
		not_ok "bad input $name: vigild apply exits 1 and the ruleset is byte-identical"
		diag "exit $RC; stderr:"
		diag_file "$TMP/apply.err"
	fi
done

done_testing
