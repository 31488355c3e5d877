#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real traffic through vigild's ruleset: a "host" namespace applies
# policies/traffic.yml, a "client" namespace on a veth probes it from an
# allowed and a denied source, over TCP and UDP, IPv4 and IPv6. Then
# policies/lockdown.yml (every default drop) checks loopback, neighbour
# discovery and the answers of accepted connections in both directions.
. "$(dirname "$0")/lib.sh"

netns_preflight

HOST4=10.99.0.1 HOST6=fd00:99::1
GOOD4=10.99.0.2 GOOD6=fd00:99::2   # policy set 'trusted'
BAD4=10.99.0.3 BAD6=fd00:99::3
PORTS="2222 6000 6001 6002 7001 7002 7003 8080 8443 9999"

ns_new H host || bail_out "cannot create the host namespace"
ns_new C client || bail_out "cannot create the client namespace"
veth "$H" vh0 "$C" vc0 || bail_out "cannot create the veth pair"
addr "$H" vh0 $HOST4/24 && addr "$H" vh0 $HOST6/64 &&
	addr "$C" vc0 $GOOD4/24 && addr "$C" vc0 $BAD4/24 &&
	addr "$C" vc0 $GOOD6/64 && addr "$C" vc0 $BAD6/64 || bail_out "cannot add addresses"
# rejects answer with ICMP errors: no rate limit may turn one into a timeout
ip netns exec "$H" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 ||
	bail_out "cannot lift the ICMP rate limits"

# shellcheck disable=SC2086
serve "$H" tcp $PORTS && serve "$H" udp $PORTS && serve "$C" tcp 5555 && serve "$C" udp 5555 ||
	bail_out "cannot start the servers"

# expect pass|refused|unreachable|timeout[:VIA] DESCRIPTION NS PROBE-ARGS...
# pass: the connection (TCP) or echo (UDP) works. refused/unreachable: the
# probe fails FAST (under 1 s) for that reason, and when :VIA is given, the
# answer came that way (rst, icmp = ICMP or ICMPv6 error, local). timeout:
# nothing answers.
expect() {
	local want=${1%%:*} via='' desc=$2 ns=$3 tmo out rc res ms got
	case $1 in *:*) via=${1#*:} ;; esac
	shift 3
	case $want in
	timeout) tmo=400 ;;
	*) tmo=3000 ;;
	esac
	out=$(ip netns exec "$ns" "$NETTOOL" probe "$@" "$tmo" 2>&1)
	rc=$?
	read -r res ms got <<<"$out"
	if case $want in
		pass) [ "$rc" -eq 0 ] ;;
		timeout) [ "$rc" -eq 1 ] && [ "$res" = timeout ] ;;
		*) [ "$rc" -eq 1 ] && [ "$res" = "$want" ] && [ "${ms:-9999}" -lt 1000 ] &&
			case ${got:-} in "$via"*) true ;; *) false ;; esac ;;
		esac
	then
		ok "$desc"
	else
		not_ok "$desc"
		diag "expected $want${via:+ via $via}; nettool probe $* $tmo: $out (exit $rc)"
	fi
}

# counter_of NS CHAIN COMMENT: the packets counted by the kernel rules with
# that comment (a policy rule may become several), summed.
counter_of() {
	ip netns exec "$1" nft list chain inet vigil "$2" |
		awk -v c="comment \"$3\"" 'index($0, c) { for (i = 1; i < NF; i++)
			if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}

# ---- before any policy: every port answers, so a timeout later is the firewall

base_ok=1
for p in $PORTS; do
	for proto in tcp udp; do
		for dst in $HOST4 $HOST6; do
			out=$(ip netns exec "$C" "$NETTOOL" probe "$proto" "$dst" "$p" 3000 2>&1) ||
				{ base_ok=0; diag "baseline $proto $dst $p: $out"; }
		done
	done
done
check "baseline: without a policy every test port answers (TCP, UDP, IPv4, IPv6)" [ $base_ok = 1 ]

check "vigild apply policies/traffic.yml in the host namespace" vapply "$H" "$POLICIES/traffic.yml"

# ---- the matrix: allowed/denied source x TCP/UDP x IPv4/IPv6

for fam in 4 6; do
	if [ $fam = 4 ]; then dst=$HOST4 good=$GOOD4 bad=$BAD4; else dst=$HOST6 good=$GOOD6 bad=$BAD6; fi
	for proto in tcp udp; do
		t="IPv$fam $proto"
		expect pass "$t: public port 8080 from the allowed source" \
			"$C" --src $good $proto $dst 8080
		expect pass "$t: public port 8443 from the denied source" \
			"$C" --src $bad $proto $dst 8443
		expect pass "$t: admin port 2222 from the allowed source" \
			"$C" --src $good $proto $dst 2222
		expect timeout "$t: admin port 2222 from the denied source is dropped (input default)" \
			"$C" --src $bad $proto $dst 2222
		expect timeout "$t: unlisted port 9999 is dropped (input default)" \
			"$C" --src $good $proto $dst 9999
		if [ $proto = tcp ]; then via=rst how="a TCP reset"; else via=icmp how="ICMP port unreachable"; fi
		expect refused:$via "$t: port 7001 is rejected fast with $how (reject-$proto)" \
			"$C" --src $good $proto $dst 7001
		expect refused:icmp "$t: port 7003 is rejected fast with ICMP port unreachable (reject-both: ICMPX)" \
			"$C" --src $bad $proto $dst 7003
		expect timeout "$t: port 7002 is dropped (drop-explicit)" \
			"$C" --src $good $proto $dst 7002
		expect pass "$t: port 6000 is accepted (iif-wildcard: vh*)" \
			"$C" --src $bad $proto $dst 6000
		expect timeout "$t: port 6001 is dropped (iif-other: eth9, vh0x* do not match vh0)" \
			"$C" --src $good $proto $dst 6001
		expect pass "$t: port 6002 is accepted (iif-exact: vh0)" \
			"$C" --src $good $proto $dst 6002
	done
done

# every accepted/rejected/dropped probe above went through its named rule
for r in public:8 admin:4 reject-tcp:2 reject-udp:2 reject-both:4 drop-explicit:4 \
	iif-wildcard:4 iif-exact:4; do
	name=${r%%:*} want=${r#*:}
	n=$(counter_of "$H" input "$name")
	check "rule '$name' counted at least $want packets (counted $n)" [ "$n" -ge "$want" ]
done

# ---- packets without a conntrack entry: another table exempts UDP 8080
# from connection tracking (notrack). Reading the connection mark, which an
# accept rule sets, ends the rule for such a packet; the rule's untracked
# twin accepts it instead of the input default dropping it.

# twin_counter NS CHAIN COMMENT: packets counted by that rule's untracked twins
twin_counter() {
	ip netns exec "$1" nft list chain inet vigil "$2" |
		awk -v c="comment \"$3\"" 'index($0, c) && /ct state untracked/ {
			for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}
ip netns exec "$H" nft -f - <<'NFT' || bail_out "cannot add the notrack table"
table inet notrack-test {
	chain pre {
		type filter hook prerouting priority raw;
		udp dport 8080 notrack
	}
}
NFT
expect pass "IPv4 udp: port 8080 without conntrack (notrack elsewhere) is still accepted" \
	"$C" --src $GOOD4 udp $HOST4 8080
expect pass "IPv6 udp: port 8080 without conntrack (notrack elsewhere) is still accepted" \
	"$C" --src $GOOD6 udp $HOST6 8080
n=$(twin_counter "$H" input public)
check "... by the untracked twins of rule 'public' (counted $n)" [ "$n" -ge 2 ]
ip netns exec "$H" nft delete table inet notrack-test || bail_out "cannot delete the notrack table"

# ---- a rate-limited log: a packet over the rate skips the log, never the
# verdict (the log is a kernel rule of its own before the deciding one)

# log_counter NS CHAIN COMMENT: packets counted by that rule's log rules
log_counter() {
	ip netns exec "$1" nft list chain inet vigil "$2" |
		awk -v c="comment \"$3\"" 'index($0, c) && /limit rate/ { for (i = 1; i < NF; i++)
			if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}
passed=0
for i in $(seq 12); do
	ip netns exec "$C" "$NETTOOL" probe --src $BAD4 tcp $HOST4 6002 3000 >/dev/null && passed=$((passed + 1))
done
check "log 1/hour: 12 more connections to 6002 are all accepted ($passed)" [ "$passed" = 12 ]
dropped=0
for i in $(seq 8); do
	ip netns exec "$C" "$NETTOOL" probe --src $GOOD4 udp $HOST4 7002 200 >/dev/null || dropped=$((dropped + 1))
done
check "log 1/hour: 8 more datagrams to 7002 are all dropped ($dropped)" [ "$dropped" = 8 ]
for r in iif-exact:16 drop-explicit:12; do
	name=${r%%:*} want=${r#*:}
	all=$(counter_of "$H" input "$name") logged=$(log_counter "$H" input "$name")
	# counter_of sums both kernel rules: the deciding one counted all - logged
	check "rule '$name': every packet met the verdict, at most 5 were logged (logged $logged, all $((all - logged)))" \
		test "$((all - logged))" -ge "$want" -a "$logged" -ge 1 -a "$logged" -le 5
done

if command -v conntrack >/dev/null; then
	# rule index + 1 in the upper 16 bits: admin is rule 2 -> 0x20000
	marks=$(ip netns exec "$H" conntrack -L -p tcp --dport 2222 2>/dev/null |
		grep -o 'mark=[0-9]*' | sort -u | tr '\n' ' ')
	check "accepted connections carry the accepting rule's conntrack mark (admin: mark=131072; got: $marks)" \
		[ "$marks" = "mark=131072 " ]
else
	skip "accepted connections carry the accepting rule's conntrack mark" \
		"conntrack(8) is not installed"
fi

# ---- answers to the host's own connections (input default drop)

for dst in $GOOD4 $GOOD6; do
	for proto in tcp udp; do
		expect pass "established: the host's own $proto connection to $dst gets its answers" \
			"$H" $proto $dst 5555
	done
done

# ---- loopback in the host namespace

for proto in tcp udp; do
	expect pass "loopback: $proto to 127.0.0.1:9999 in the host" "$H" $proto 127.0.0.1 9999
	expect pass "loopback: $proto to [::1]:9999 in the host" "$H" $proto ::1 9999
done
expect pass "loopback: tcp to the host's own $HOST4:9999" "$H" tcp $HOST4 9999
expect pass "loopback: tcp to the host's own [$HOST6]:9999" "$H" tcp $HOST6 9999

# ---- IPv6 neighbour discovery under input drop

nd_probe() {
	ip -n "$H" neigh flush dev vh0 && ip -n "$C" neigh flush dev vc0 || return 1
	if ip -n "$H" neigh show dev vh0 | grep -q "$GOOD6 .*lladdr"; then
		diag "the host's neighbour cache was not flushed"
		return 1
	fi
	out=$(ip netns exec "$C" "$NETTOOL" probe --src $GOOD6 tcp $HOST6 8080 3000) ||
		{ diag "probe after the flush: $out"; return 1; }
	ip -n "$H" neigh show dev vh0 | grep -q "^$GOOD6 .*lladdr" ||
		{ diag "the host did not learn $GOOD6"; return 1; }
}
check "IPv6 neighbour discovery works under input drop (caches flushed, TCP connect)" nd_probe

# ---- atomic replacement: probes during re-applies of a large policy all pass

atomic() {
	local big=$TMP/atomic i n=0 fail=0 ap out
	mkdir -p "$big" && chmod 755 "$big"
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "100.%d.%d.1\n", i / 256, i % 256 }' \
		>"$big/many.txt"
	sed 's/^sets:$/sets:\n  many: {type: cidr, file: many.txt}/' "$POLICIES/traffic.yml" >"$big/p.yml"
	printf '  - {name: bulk, chain: input, src: "@many", proto: tcp, dport: 1, action: drop}\n' \
		>>"$big/p.yml"
	vapply "$H" "$big/p.yml" || return 1
	(
		for i in $(seq 20); do
			ip netns exec "$H" "$VIGILD" apply -q "$big/p.yml" || exit 1
		done
	) &
	ap=$!
	_pid_list+=("$ap")
	while kill -0 "$ap" 2>/dev/null; do
		for proto in udp tcp; do
			n=$((n + 1))
			out=$(ip netns exec "$C" "$NETTOOL" probe --src $BAD4 $proto $HOST4 8080 1000) ||
				{ fail=$((fail + 1)); diag "probe $n ($proto) failed: $out"; }
		done
	done
	wait "$ap" || { diag "an apply failed"; return 1; }
	diag "$n probes during 20 applies of traffic.yml + 20k set elements, $fail failed"
	[ "$fail" -eq 0 ] && [ "$n" -ge 20 ]
}
check "atomic: no probe fails while the policy is replaced 20 times" atomic

# ---- address ranges (FIRST-LAST, not prefixes) in a rule and, from a set
# file in Spamhaus DROP's layout, in a set: the kernel matches exactly the
# range. GOOD4/GOOD6 (.2, ::2) are inside 10.99.0.1-10.99.0.2 and
# fd00:99::1-fd00:99::2, BAD4/BAD6 (.3, ::3) outside.

mkdir -p "$TMP/ranges" && chmod 755 "$TMP/ranges"
printf '%s\r\n' '; Spamhaus DROP List 2024/05/14 - (c) 2024 The Spamhaus Project SLU' \
	'; https://www.spamhaus.org/drop/drop.txt' \
	'10.99.0.3-10.99.0.3 ; SBL000001' 'fd00:99::3-fd00:99::4 ; SBL000002' >"$TMP/ranges/drop.txt"
printf '%s\n' 'version: 1' 'table: vigil' 'sets:' '  drop: {type: cidr, file: drop.txt}' 'rules:' \
	'  - {name: spamhaus, chain: input, src: "@drop", proto: [tcp, udp], dport: 8443, action: drop}' \
	'  - {name: public, chain: input, proto: [tcp, udp], dport: 8443, action: accept}' \
	'  - {name: range, chain: input, proto: [tcp, udp], src: [10.99.0.1-10.99.0.2, "fd00:99::1-fd00:99::2"], dport: 2222, action: accept}' \
	>"$TMP/ranges/ranges.yml"
chmod 644 "$TMP/ranges/drop.txt" "$TMP/ranges/ranges.yml"
check "vigild apply: a policy with address ranges and a DROP-format set file (CRLF)" \
	vapply "$H" "$TMP/ranges/ranges.yml"
for fam in 4 6; do
	if [ $fam = 4 ]; then dst=$HOST4 good=$GOOD4 bad=$BAD4; else dst=$HOST6 good=$GOOD6 bad=$BAD6; fi
	expect pass "ranges IPv$fam: $good is inside the range of rule 'range'" \
		"$C" --src $good tcp $dst 2222
	expect timeout "ranges IPv$fam: $bad, one past its end, is not" \
		"$C" --src $bad tcp $dst 2222
	expect timeout "ranges IPv$fam: $bad is in the DROP list's range (dropped)" \
		"$C" --src $bad udp $dst 8443
	expect pass "ranges IPv$fam: $good is not (accepted by 'public')" \
		"$C" --src $good udp $dst 8443
done

# ---- lockdown: input, forward and output default drop

check "vigild apply policies/lockdown.yml replaces the policy" vapply "$H" "$POLICIES/lockdown.yml"
check "IPv6 neighbour discovery works with input and output drop" nd_probe
expect pass "lockdown: IPv4 tcp 8080 is accepted and answered (output drop)" \
	"$C" --src $BAD4 tcp $HOST4 8080
expect timeout "lockdown: IPv4 udp 8080 is dropped (public-in is tcp only)" \
	"$C" --src $GOOD4 udp $HOST4 8080
expect pass "lockdown: the host's own TCP connection to $GOOD4:5555 is accepted (out-client)" \
	"$H" tcp $GOOD4 5555
expect timeout "lockdown: the host's own TCP connection to [$GOOD6]:5555 is dropped (output drop)" \
	"$H" tcp $GOOD6 5555
expect unreachable:local "lockdown: the host's own UDP send is refused locally (output drop: EPERM)" \
	"$H" udp $GOOD4 5555
expect pass "lockdown: loopback still works (tcp [::1]:9999)" "$H" tcp ::1 9999
expect pass "lockdown: loopback still works (udp 127.0.0.1:9999)" "$H" udp 127.0.0.1 9999

# ---- remove: everything passes again

run "$TMP/remove" ip netns exec "$H" "$VIGILD" remove
check "vigild remove exits 0" [ "$RC" -eq 0 ]
expect pass "after remove: port 9999 answers again" "$C" --src $BAD4 tcp $HOST4 9999

done_testing
