#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild diff: what applying a policy would change in vigild's table, read
# from the kernel and changing nothing. No table: everything is added. A
# policy against the table it made: no difference, for every example
# policy (decision trees, merged maps, interval sets, logging included).
# A changed port, set element and default: exactly those lines, rules in
# nft syntax on both sides; a rule added by hand with nft: shown as
# removed; exit 0 / 1 / 2; the kernel never changes.
. "$(dirname "$0")/lib.sh"

netns_preflight

ns_new H host || bail_out "namespace"
V() { ip netns exec "$H" "$VIGILD" "$@"; }
table() { ip netns exec "$H" nft -s list ruleset 2>/dev/null; }

cat >"$TMP/a.yml" <<'EOF2'
version: 1
defaults: {input: drop, forward: drop, output: accept}
sets:
  admins: {type: cidr, elements: [192.0.2.0/24, "2001:db8:ad::/48"]}
rules:
  - {name: ssh, chain: input, proto: tcp, src: "@admins", dport: 22, action: accept}
  - {name: web, chain: input, proto: tcp, dport: [80, 443], action: accept}
  - {name: dns, chain: input, proto: udp, dport: 53, action: accept}
EOF2
# b: web moves to 8080, an admin network more, output drop
sed 's/dport: \[80, 443\]/dport: 8080/; s|192.0.2.0/24|192.0.2.0/24, 198.51.100.7|; s/output: accept/output: drop/' \
	"$TMP/a.yml" >"$TMP/b.yml"
printf 'version: 1\nrules:\n  - {name: x, chain: input, dport: 22}\n' >"$TMP/bad.yml"
cp "$VIGIL_SRCDIR"/examples/*.yml "$VIGIL_SRCDIR"/examples/*.txt "$TMP/"
chmod 644 "$TMP"/*.yml "$TMP"/*.txt

table >"$TMP/t0"
run "$TMP/none" V diff "$TMP/a.yml"
diag "$(head -5 "$TMP/none.out")"
check "no table yet: exit 1" test "$RC" = 1
check "... the kernel's side says the table does not exist, every chain and rule is added" \
	bash -c "grep -q '^--- kernel: table inet vigil (does not exist)' '$TMP/none.out' &&
		grep -qF '+chain input { type filter hook input priority 0; policy drop; }' '$TMP/none.out' &&
		grep -qF '+	tcp dport { 80, 443 } ct mark set' '$TMP/none.out' && ! grep -q '^-[^-]' '$TMP/none.out'"
table >"$TMP/t1"
check "... and nothing was created" cmp -s "$TMP/t0" "$TMP/t1"

V apply -q "$TMP/a.yml" || bail_out "apply a.yml"
run "$TMP/same" V diff "$TMP/a.yml"
check "the policy the table was made from: exit 0, 'no difference'" \
	bash -c "test $RC = 0 && grep -q '^no difference: table inet vigil holds what' '$TMP/same.out'"
check "... and the incremental delta it comes to is no message, every rule left in place" \
	grep -qE '^delta: 0 messages \(0 rules to delete, 0 to insert, [1-9][0-9]* left in place; 0 set elements to delete, 0 to add\)$' "$TMP/same.out"
# c: only an admin address more (an interval set: its begin and end)
sed 's|192.0.2.0/24|192.0.2.0/24, 198.51.100.7|' "$TMP/a.yml" >"$TMP/c.yml"
chmod 644 "$TMP/c.yml"
run "$TMP/ac" V diff "$TMP/c.yml"
check "one element more: the delta is 1 element message adding its interval (start and end), no rule touched" \
	grep -qE '^delta: 1 message \(0 rules to delete, 0 to insert, [1-9][0-9]* left in place; 0 set elements to delete, 1 to add\)$' "$TMP/ac.out"

table >"$TMP/before"
run "$TMP/ab" V diff "$TMP/b.yml"
diag_file "$TMP/ab.out"
check "a changed policy: exit 1" test "$RC" = 1
check "... the output chain's new default" \
	bash -c "grep -qxF -- '-chain output { type filter hook output priority 0; policy accept; }' '$TMP/ab.out' &&
		grep -qxF '+chain output { type filter hook output priority 0; policy drop; }' '$TMP/ab.out'"
check "... the new set element, and no other element" \
	bash -c "grep -qxF '+element admins_v4 { 198.51.100.7 }' '$TMP/ab.out' && [ \$(grep -c '^[-+]element' '$TMP/ab.out') = 1 ]"
check "... the web rules removed and added in nft syntax, nothing else" \
	bash -c "[ \$(grep -c '^-	tcp dport { 80, 443 }' '$TMP/ab.out') = 1 ] && [ \$(grep -c '^-	ct state untracked tcp dport { 80, 443 }' '$TMP/ab.out') = 1 ] &&
		[ \$(grep -c '^+	tcp dport 8080' '$TMP/ab.out') = 1 ] &&
		[ \$(grep -c '^+	ct state untracked tcp dport 8080' '$TMP/ab.out') = 1 ] && [ \$(grep -c '^[-+]	' '$TMP/ab.out') = 4 ]"
check "... the count line says 4 to add, 3 to remove" grep -q '^4 lines to add, 3 to remove' "$TMP/ab.out"
check "... the delta: the web rules replaced, the element added, chain output's policy changed in place" \
	grep -qE '^delta: [0-9]+ messages \(2 rules to delete, 2 to insert, [1-9][0-9]* left in place; 0 set elements to delete, 1 to add; 1 chain policy changed\)$' "$TMP/ab.out"
table >"$TMP/after"
check "... and the kernel did not change" cmp -s "$TMP/before" "$TMP/after"

V apply -q "$TMP/b.yml" || bail_out "apply b.yml"
run "$TMP/ba" V diff "$TMP/a.yml"
check "back the other way: the kernel's rules are named in nft syntax from the last policy applied" \
	bash -c "test $RC = 1 && grep -q '^-	tcp dport 8080 ct mark set' '$TMP/ba.out' && grep -q '^+	tcp dport { 80, 443 } ct mark set' '$TMP/ba.out'"

ip netns exec "$H" nft add rule inet vigil input tcp dport 9999 accept
run "$TMP/hand" V diff "$TMP/b.yml"
check "a rule added by hand: exit 1, shown as removed (low-level: no policy knows it)" \
	bash -c "test $RC = 1 && [ \$(grep -c '^-	' '$TMP/hand.out') = 1 ] && grep -q '^-	.*cmp eq reg 1 0x00000f27' '$TMP/hand.out'"

run "$TMP/bad" V diff "$TMP/bad.yml"
check "an invalid policy: exit 2 with its located error" \
	bash -c "test $RC = 2 && grep -q 'bad.yml:3:' '$TMP/bad.err'"
run "$TMP/usage" V diff
check "no policy: exit 2" test "$RC" = 2

# every example policy against the table it made
for p in "$TMP"/*.yml; do
	case $(basename "$p") in a.yml | b.yml | c.yml | bad.yml) continue ;; esac
	V apply -q "$p" || { not_ok "apply $(basename "$p")"; continue; }
	run "$TMP/ex" V diff "$p"
	if [ "$RC" = 0 ] && grep -q '^delta: 0 messages ' "$TMP/ex.out"; then
		ok "examples/$(basename "$p"): applied, then no difference, a delta of 0 messages"
	else
		not_ok "examples/$(basename "$p"): applied, then no difference, a delta of 0 messages (exit $RC)"
		diag_file "$TMP/ex.out"
	fi
done

# a merged run keyed on an IPv6 address and a port: the port is loaded into
# the 32-bit register right after the address (NFT_REG32_04), which the
# kernel lists as the 128-bit register NFT_REG_2
{
	echo "version: 1"
	echo "rules:"
	for i in $(seq 1 9); do
		echo "  - {name: o$i, chain: output, proto: tcp, dst: \"fd00::$i\", dport: $((100 + i)), action: accept}"
	done
} >"$TMP/v6map.yml"
chmod 644 "$TMP/v6map.yml"
V apply -q "$TMP/v6map.yml" || not_ok "apply v6map.yml"
run "$TMP/v6" V diff "$TMP/v6map.yml"
check "IPv6 address . port map: applied, then no difference, a delta of 0 messages" \
	bash -c "test $RC = 0 && grep -q 'vmap' <(ip netns exec '$H' nft list chain inet vigil output) &&
		grep -q '^delta: 0 messages ' '$TMP/v6.out'"

# ---- status: Absent without a table; with a watch, GET /v1/diff ----
V remove -q || bail_out "remove"
run "$TMP/st0" V status --json
check "no watch, no table: status says absent (exit 1)" \
	bash -c "test $RC = 1 && grep -q '\"state\": \"absent\"' '$TMP/st0.out'"
V apply -q "$TMP/a.yml" || bail_out "apply a.yml"
run "$TMP/sa" V status --json
check "no watch, as root: status compares the kernel with the last policy applied: no difference" \
	bash -c "grep -q '\"differs\": false' '$TMP/sa.out' && grep -q '\"against\": \"the last policy applied\"' '$TMP/sa.out'"
ip netns exec "$H" nft add rule inet vigil input tcp dport 7778 accept
run "$TMP/sb" V status
check "... a rule added by hand: 'kernel differs from policy (the last policy applied): 0 lines to add, 1 to remove'" \
	grep -qF 'kernel differs from policy (the last policy applied): 0 lines to add, 1 to remove' "$TMP/sb.out"
V remove -q || bail_out "remove"
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
ip netns exec "$H" "$VIGILD" watch --no-reassert --no-owner --db "$TMP/db/flows.db" "$TMP/a.yml" >"$TMP/watch.log" 2>&1 &
_pid_list+=($!)
for _ in $(seq 100); do grep -q "recording flows" "$TMP/watch.log" && break; sleep 0.05; done
run "$TMP/wd" V diff "$TMP/a.yml"
check "a watch's table (with its NFLOG rules): diff of its own policy says no difference, exit 0" \
	bash -c "test $RC = 0 && grep -q '^no difference' '$TMP/wd.out'"
run "$TMP/st1" V status
check "a watch: status says the kernel holds what the running policy compiles to" \
	grep -q '^Kernel: *holds what the running policy compiles to' "$TMP/st1.out"
ip netns exec "$H" nft add rule inet vigil input tcp dport 7777 accept
sleep 0.5
run "$TMP/st2" V status --json
check "a rule added by hand (re-assert off): kernel_diff says differs, 1 line to remove" \
	bash -c "grep -q '\"differs\": true' '$TMP/st2.out' && grep -q '\"lines_removed\": 1' '$TMP/st2.out'"
run "$TMP/st3" V status
check "... and the text says 'kernel differs from policy'" grep -qF 'kernel differs from policy (the running policy): 0 lines to add, 1 to remove' "$TMP/st3.out"
diag_file "$TMP/st3.out"

done_testing
