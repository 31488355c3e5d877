#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild explain against real packets: for every rule of every example
# policy, the packets it is written for (rulepkt: each protocol and family
# it can match, and the same from an unlisted source when it names one)
# are described to `vigild explain` and sent for real between a "host"
# namespace (vigild's table) and a "client" one, over the interface the
# rule names. What the packet meets (answered, refused, or nothing) must be
# the verdict explain's exit status gave.
#
# Input: accept is answered, drop times out, reject is refused or
# unreachable at once. Output: accept is answered, reject is refused,
# unreachable or refused locally (the kernel drops the packet after
# sending the ICMP error to us: EPERM), drop times out or is refused
# locally.
. "$(dirname "$0")/lib.sh"

netns_preflight
: "${RULEPKT:?RULEPKT must name the rulepkt binary (meson sets it)}"
: "${ICMPPROBE:?ICMPPROBE must name the icmpprobe binary (meson sets it)}"

EXAMPLES=$VIGIL_SRCDIR/examples
POLS="webserver ipv6only bastion workstation blocklist hosting"

ns_new H host || bail_out "cannot create the host namespace"
ns_new C client || bail_out "cannot create the client namespace"

# every packet first: the host gets one interface (the name a rule wants)
# per name, each a veth to the client (p0, p1, ...)
: >"$TMP/all"
for pol in $POLS; do
	cp "$EXAMPLES/$pol.yml" "$TMP/" && { cp "$EXAMPLES"/*.txt "$TMP/" 2>/dev/null || :; }
	"$RULEPKT" "$TMP/$pol.yml" >"$TMP/$pol.pkts" || bail_out "rulepkt $pol.yml"
	sed "s/^/$pol /" "$TMP/$pol.pkts" >>"$TMP/all"
done
chmod 644 "$TMP"/*.yml "$TMP"/*.txt 2>/dev/null
declare -A peer
n=0
for ifn in $(awk '$2 != "skip" { print $9 }' "$TMP/all" | sort -u); do
	veth "$H" "$ifn" "$C" p$n || bail_out "cannot create veth $ifn"
	peer[$ifn]=p$n
	n=$((n + 1))
done
ip netns exec "$H" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 ||
	bail_out "cannot lift the ICMP rate limits"
# servers for every port a packet goes to, in both namespaces
for proto in tcp udp; do
	ports=$(awk -v p=$proto '$5 == p { print $8 }' "$TMP/all" | sort -un | tr '\n' ' ')
	[ -n "$ports" ] || continue
	# shellcheck disable=SC2086
	serve "$H" $proto $ports && serve "$C" $proto $ports || bail_out "cannot start the $proto servers"
done

# probe CHAIN FAMILY PROTO SRC DST DPORT IFACE [TIMEOUT_MS]: sends the
# packet, prints the probe's line "RESULT MS VIA"
probe() {
	local chain=$1 fam=$2 proto=$3 src=$4 dst=$5 dport=$6 ifn=$7 p=${peer[$7]}
	local plen=32 tx=$C txif=$p rx=$H rxif=$ifn out tmo=${8:-400}
	[ "$fam" = 6 ] && plen=128
	if [ "$chain" = output ]; then
		tx=$H txif=$ifn rx=$C rxif=$p
	fi
	if addr "$tx" "$txif" "$src/$plen" && addr "$rx" "$rxif" "$dst/$plen" &&
		ip -n "$tx" route replace "$dst/$plen" dev "$txif" &&
		ip -n "$rx" route replace "$src/$plen" dev "$rxif"; then
		case $proto in
		icmp | icmpv6) out=$(ip netns exec "$tx" "$ICMPPROBE" --src "$src" "$dst" $tmo 2>&1) ;;
		*) out=$(ip netns exec "$tx" "$NETTOOL" probe --src "$src" "$proto" "$dst" "$dport" $tmo 2>&1) ;;
		esac
		echo "$out"
	else
		echo "setup-failed 0 -"
	fi
	# IPv6 keeps a device's routes when its last address goes: delete them
	ip -n "$tx" route del "$dst/$plen" dev "$txif" 2>/dev/null
	ip -n "$rx" route del "$src/$plen" dev "$rxif" 2>/dev/null
	ip -n "$tx" addr del "$src/$plen" dev "$txif" 2>/dev/null
	ip -n "$rx" addr del "$dst/$plen" dev "$rxif" 2>/dev/null
	ip -n "$tx" neigh flush dev "$txif" 2>/dev/null
	ip -n "$rx" neigh flush dev "$rxif" 2>/dev/null
}

# met CHAIN VERDICT RESULT VIA: the probe's result is what VERDICT does
met() {
	case $1/$2/$3 in
	*/accept/connected | */accept/echoed) return 0 ;;
	input/drop/timeout) return 0 ;;
	input/reject/refused | input/reject/unreachable) return 0 ;;
	output/drop/timeout | output/drop/local) return 0 ;;
	output/drop/unreachable) [ "$4" = local ] ;;
	output/reject/refused | output/reject/unreachable | output/reject/local) return 0 ;;
	*) return 1 ;;
	esac
}

for pol in $POLS; do
	check "vigild apply examples/$pol.yml" vapply "$H" "$TMP/$pol.yml" || continue
	total=0 bad=0 own=0 skipped=0 seen=''
	while read -r rule chain fam proto src dst dport ifn; do
		if [ "$rule" = skip ]; then
			skipped=$((skipped + 1))
			continue
		fi
		total=$((total + 1))
		desc="$proto $src -> $dst"
		[ "$dport" != - ] && {
			[ "$fam" = 6 ] && desc="$proto $src -> [$dst]:$dport" || desc="$proto $src -> $dst:$dport"
		}
		[ "$chain" = input ] && desc="$desc iif $ifn" || desc="$desc oif $ifn"
		said=$("$VIGILD" explain --chain "$chain" "$TMP/$pol.yml" "$desc" 2>&1)
		rc=$?
		case $rc in
		0) verdict=accept ;;
		4) verdict=drop ;;
		5) verdict=reject ;;
		*)
			bad=$((bad + 1))
			diag "$pol: explain '$desc' failed (exit $rc): $said"
			continue
			;;
		esac
		case $said in *"rule ${rule%/other-src} ("*) own=$((own + 1)) ;; esac
		read -r res _ via <<<"$(probe "$chain" "$fam" "$proto" "$src" "$dst" "$dport" "$ifn")"
		# 400 ms is short on a loaded machine (neighbour discovery of a
		# fresh address first): an accept that timed out gets one more
		# try of 3 s, a drop is never retried
		if [ "$verdict" = accept ] && [ "$res" = timeout ]; then
			diag "$pol: $desc: timed out in 400 ms, tried again with 3 s"
			read -r res _ via <<<"$(probe "$chain" "$fam" "$proto" "$src" "$dst" "$dport" "$ifn" 3000)"
		fi
		if ! met "$chain" "$verdict" "$res" "$via"; then
			bad=$((bad + 1))
			diag "$pol: $desc ($rule): explain says $verdict, the packet met: $res $via"
			diag "$said"
		fi
		case " $seen " in *" $verdict "*) ;; *) seen="$seen $verdict" ;; esac
	done <"$TMP/$pol.pkts"
	what="examples/$pol.yml: $total packets met what explain said ($bad did not; verdicts:$seen; $own decided by the rule they were written for; $skipped skipped)"
	if [ "$total" -gt 0 ] && [ "$bad" -eq 0 ]; then ok "$what"; else not_ok "$what"; fi
	grep '^skip' "$TMP/$pol.pkts" | sed 's/^/# /'
done

# --json: the same answer as one object
js=$("$VIGILD" explain --json "$TMP/bastion.yml" 'tcp 192.0.2.41:4000 -> 10.77.0.1:22 iif eth0')
check "explain --json: verdict, chain and the deciding rule with file:line:col" \
	python3 -c 'import json, sys; j = json.loads(sys.argv[1]); b = j["decided_by"]
assert j["verdict"] == "accept" and j["chain"] == "input" and b["kind"] == "rule" and b["rule"] == "ssh-admins"
assert b["file"].endswith("bastion.yml") and b["line"] > 0 and b["col"] > 0' "$js"

# the example policies exercise every verdict between them
all=$(cat "$TMP"/*.pkts | grep -vc '^skip')
check "$all packets in all, from $(echo $POLS | wc -w) example policies" [ "$all" -gt 100 ]

done_testing
