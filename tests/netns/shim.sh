#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The attack of issue 14, against the real helper and kernel: an LD_PRELOAD
# shim (shim.c) makes vigild's unprivileged process, after the privilege
# drop, turn chains into nat or raw-priority chains and add redirect,
# notrack, meta mark and full-width ct mark statements to its own rules,
# inside its own table. Each time: the apply fails (exit 3), the helper's
# log names the refused message, the object and what was refused, and
# `nft -s list ruleset` is byte-identical before and after. The shim also
# saves the batch it made: sent straight to the kernel by root (sendbatch)
# in a fresh namespace, the kernel commits it, so the verifier is what
# stopped it. A control run with the shim loaded but changing nothing
# applies fine.
. "$(dirname "$0")/lib.sh"

netns_preflight
: "${SHIM:?SHIM must name the LD_PRELOAD shim (meson sets it)}"
: "${SENDBATCH:?SENDBATCH must name the sendbatch tool (meson sets it)}"
[ -f "$SHIM" ] || bail_out "$SHIM is missing"

# web traffic in, TLS out: the issue's targets
POLICY=$TMP/web.yml
cat >"$POLICY" <<'YML'
version: 1
defaults: {input: drop, forward: drop, output: accept}
rules:
  - {name: web, chain: input, proto: tcp, dport: 80, action: accept}
  - {name: out-tls, chain: output, proto: tcp, dport: 443, action: accept}
YML
chmod 644 "$POLICY"
# the unprivileged process writes the batches it made into its state
# directory: Landlock lets it create files nowhere else
ns_new N shim || bail_out "cannot create a namespace"
ip netns exec "$N" nft add table ip foreign &&
	ip netns exec "$N" nft add chain ip foreign c '{ type filter hook input priority 10; }' ||
	bail_out "nft cannot create a foreign table"
vapply "$N" "$POLICY" || bail_out "cannot apply $POLICY"
ip netns exec "$N" nft -s list ruleset >"$TMP/before.txt" || bail_out "cannot list the ruleset"

shimmed() { # MODE OUTPREFIX: vigild apply with the shim in MODE
	run "$2" ip netns exec "$N" env LD_PRELOAD="$SHIM" VIGIL_SHIM="$1" \
		VIGIL_SHIM_DUMP="$VIGIL_STATE_DIR/shim-batch-$1" "$VIGILD" apply "$POLICY"
}

shimmed none "$TMP/none"
check "control: with the shim loaded and changing nothing, apply exits 0" [ "$RC" -eq 0 ]
[ "$RC" -eq 0 ] || diag_file "$TMP/none.err"
check "control: the shim changed nothing" sh -c "! grep -q '^vigil-shim:' '$TMP/none.err'"
ip netns exec "$N" nft -s list ruleset >"$TMP/none.txt"
check "control: the ruleset is the one apply makes" same "$TMP/before.txt" "$TMP/none.txt"

# mode | what the helper must say | what the kernel holds when it gets the
# batch straight (empty: the kernel refuses it too: redirect in a filter chain)
cases=(
	"nat-prerouting|NEWCHAIN chain input): has type 'nat'; vigild's input chain is of type filter|type nat hook prerouting"
	"nat-redirect|NEWCHAIN chain input): has type 'nat'|redirect accept comment \"web\""
	"nat-output|NEWCHAIN chain output): has type 'nat'; vigild's output chain is of type filter|type nat hook output"
	"raw|NEWCHAIN chain forward): is on hook 0; vigild's forward chain is on hook 2|hook prerouting priority raw"
	"redir|NEWRULE rule 'web' in chain input): expression 9 (redir): redirect only in vigild's prerouting chain|"
	"notrack|is 'notrack', which vigild never emits|notrack accept comment \"web\""
	"meta-mark|(meta): key 3 is not one vigild uses|meta mark set ct mark accept"
	"ct-mark|(ct): sets the conntrack mark beyond vigild's bits|ct mark set ct state accept"
)
for c in "${cases[@]}"; do
	IFS='|' read -r mode want kernel <<<"$c"
	rm -f "$VIGIL_STATE_DIR/shim-batch-$mode"
	shimmed "$mode" "$TMP/$mode"
	check "$mode: the shim changed the batch after the drop" grep -q '^vigil-shim:' "$TMP/$mode.err"
	check "$mode: apply exits 3" [ "$RC" -eq 3 ]
	if grep -E 'vigild\[helper [0-9]+\]: refused a batch: message [0-9]+ \(' "$TMP/$mode.err" |
		grep -qF -- "$want"; then
		ok "$mode: the helper's log names the refused message: $want"
	else
		not_ok "$mode: the helper's log names the refused message: $want"
		diag_file "$TMP/$mode.err"
	fi
	ip netns exec "$N" nft -s list ruleset >"$TMP/$mode.txt"
	check "$mode: nft -s list ruleset is byte-identical" same "$TMP/before.txt" "$TMP/$mode.txt"
	[ -n "$kernel" ] || continue
	ns_new F "k$mode" || bail_out "cannot create a namespace"
	run "$TMP/$mode.send" ip netns exec "$F" "$SENDBATCH" "$VIGIL_STATE_DIR/shim-batch-$mode"
	ip netns exec "$F" nft list ruleset >"$TMP/$mode.kernel"
	if [ "$RC" -eq 0 ] && grep -qF -- "$kernel" "$TMP/$mode.kernel"; then
		ok "$mode: without the verifier, the kernel commits the same batch ($kernel)"
	else
		not_ok "$mode: without the verifier, the kernel commits the same batch ($kernel)"
		diag_file "$TMP/$mode.send.out"
	fi
	ns_del "$F"
done

# per-request permissions: a request apply's helper does not serve ends it
# (a policy that differs: had the helper committed, the ruleset would show it)
sed 's/dport: 80,/dport: 81,/' "$POLICY" >"$TMP/other.yml"
chmod 644 "$TMP/other.yml"
POLICY_SAVED=$POLICY POLICY=$TMP/other.yml
shimmed unpermitted "$TMP/unpermitted"
POLICY=$POLICY_SAVED
check "unpermitted: the shim sent a request apply's helper does not permit" \
	grep -q '^vigil-shim: a CT_STATS request' "$TMP/unpermitted.err"
check "unpermitted: apply fails" [ "$RC" -ne 0 ]
check "unpermitted: the helper logs the unpermitted request and ends" \
	grep -q 'vigild\[helper [0-9]*\]: unpermitted request CT_STATS' "$TMP/unpermitted.err"
[ "$RC" -ne 0 ] && grep -q 'unpermitted request' "$TMP/unpermitted.err" || diag_file "$TMP/unpermitted.err"
ip netns exec "$N" nft -s list ruleset >"$TMP/unpermitted.txt"
check "unpermitted: nft -s list ruleset is byte-identical" same "$TMP/before.txt" "$TMP/unpermitted.txt"

done_testing
