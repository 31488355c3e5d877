#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Decision trees with real packets: a random policy (seeded, tests/unit/
# randpol.c) whose input chain vigild compiles into a tree is applied in a
# "host" namespace with three interfaces; a "client" sends TCP and UDP
# from eight addresses to 24 ports over them. What each probe meets
# (answered, refused, or nothing) and the counters of every policy rule
# must be what ir_eval predicts from the compiled table (evalpkt, which
# also holds the prediction to the policy as written).
. "$(dirname "$0")/lib.sh"

netns_preflight
: "${EVALPKT:?EVALPKT must name the evalpkt binary (meson sets it)}"

SEED=${VIGIL_DISPATCH_SEED:-1}
NPROBES=${VIGIL_DISPATCH_PROBES:-150}

ns_new H host || bail_out "cannot create the host namespace"
ns_new C client || bail_out "cannot create the client namespace"
i=0
for hif in vd0 vd1 ve2; do
	veth "$H" $hif "$C" c$i || bail_out "cannot create veth $hif"
	addr "$H" $hif 10.70.$i.1/24 && addr "$H" $hif fd70:$i::1/64 &&
		addr "$C" c$i 10.70.$i.2/24 && addr "$C" c$i 10.70.$i.3/24 &&
		addr "$C" c$i fd70:$i::2/64 && addr "$C" c$i fd70:$i::3/64 ||
		bail_out "cannot add addresses"
	i=$((i + 1))
done
ip netns exec "$H" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 ||
	bail_out "cannot lift the ICMP rate limits"
PORTS=$(seq 7000 7023)
# shellcheck disable=SC2086
serve "$H" tcp $PORTS && serve "$H" udp $PORTS || bail_out "cannot start the servers"

"$EVALPKT" policy "$SEED" >"$TMP/policy.yml" || bail_out "evalpkt policy"
chmod 644 "$TMP/policy.yml"
if out=$("$VIGILD" check "$TMP/policy.yml" 2>&1); then
	ok "vigild check accepts the random policy (seed $SEED)"
else
	not_ok "vigild check accepts the random policy (seed $SEED)"
fi
diag "$out"
if "$EVALPKT" packets "$TMP/policy.yml" "$SEED" "$NPROBES" >"$TMP/probes" 2>"$TMP/evalpkt.err"; then
	ok "its input chain is a decision tree, and the compiled table and the policy agree on $NPROBES packets"
else
	not_ok "its input chain is a decision tree, and the compiled table and the policy agree on $NPROBES packets"
	diag_file "$TMP/evalpkt.err"
	done_testing
fi
check "vigild apply of the random policy" vapply "$H" "$TMP/policy.yml"

# every policy rule's counters, all its kernel rules summed (copies in
# the tree's chains included)
counters() {
	ip netns exec "$H" nft list table inet vigil |
		awk 'match($0, /comment "[^"]*"$/) { c = substr($0, RSTART + 9, RLENGTH - 10)
			for (i = 1; i < NF; i++) if ($i == "packets") n[c] += $(i + 1) }
			END { for (c in n) if (c !~ /^vigil:/) print c, n[c] }' | sort
}

declare -A want
bad=0 n=0 leaf=0 seen_v=''
while read -r proto src dst dport iif verdict rule inleaf; do
	n=$((n + 1))
	leaf=$((leaf + inleaf))
	case $verdict in
	accept) tmo=3000 ;;
	*) tmo=300 ;;
	esac
	out=$(ip netns exec "$C" "$NETTOOL" probe --src "$src" "$proto" "$dst" "$dport" "$tmo" 2>&1)
	rc=$?
	read -r res _ <<<"$out"
	case $verdict/$rc/$res in
	accept/0/*) ;;
	reject/1/refused | reject/1/unreachable) ;;
	drop/1/timeout) ;;
	*)
		bad=$((bad + 1))
		diag "$proto $src -> $dst:$dport via $iif: expected $verdict (rule $rule), nettool: $out"
		;;
	esac
	case " $seen_v " in *" $verdict "*) ;; *) seen_v="$seen_v $verdict" ;; esac
	[ "$rule" != - ] && want[$rule]=$((${want[$rule]:-0} + 1))
done <"$TMP/probes"
check "$n probes met what ir_eval predicts (accepted, refused or dropped; $bad did not)" \
	[ "$n" -eq "$NPROBES" ] && [ "$bad" -eq 0 ]
check "the sample means something: $leaf of $n decided inside the tree, verdicts:$seen_v" \
	[ "$leaf" -ge $((n / 4)) ]

counters >"$TMP/got"
for r in "${!want[@]}"; do echo "$r ${want[$r]}"; done | sort >"$TMP/want"
# rules ir_eval gave no packet count none
join -a1 -e 0 -o 0,1.2,2.2 "$TMP/got" "$TMP/want" |
	awk '$2 != $3 { print "rule " $1 ": counted " $2 ", predicted " $3; bad = 1 } END { exit bad }' \
	>"$TMP/cmp"
if [ $? -eq 0 ] && [ -s "$TMP/want" ]; then
	ok "every policy rule's counters (copies summed) equal the probes ir_eval gave it ($(wc -l <"$TMP/want") rules)"
else
	not_ok "every policy rule's counters (copies summed) equal the probes ir_eval gave it"
	diag_file "$TMP/cmp"
fi

done_testing
