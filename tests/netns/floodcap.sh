#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The row cap under a spoofed flood (issue 21): 50,000 SYNs from 50,000
# distinct spoofed sources within one minute to an accepted port, and
# 20,000 from 20,000 others to a dropped port, under vigild watch
# --row-cap 100. The minute holds at most the cap of rows plus one
# overflow row per rule, for the accepted flows and the refused sample
# alike; the totals equal what was sent (the conntrack entries the kernel
# made, with its loss figures zero; the drop rule's counter); then, with a
# small --db-max-size over two days of older minutes, the oldest minutes
# go first, the flood's minute stays, and `vigild flows` says the window
# was expired early. TAP.
source "$(dirname "$0")/lib.sh"
: "${SYNFLOOD:?SYNFLOOD must name the synflood binary (meson sets it)}"

netns_preflight
command -v sqlite3 >/dev/null || bail_out "sqlite3 is not installed"

CAP=100
ACC=50000
REF=20000

q() {
	sqlite3 -cmd ".timeout 5000" "$DB" "$1"
}

# ct_stat NS FIELD: the kernel's per-CPU conntrack statistic, summed
# (/proc/net/stat/nf_conntrack: a header line, then one line of hex per CPU)
ct_stat() {
	local hdr line c=-1 i s=0 v
	{
		read -r -a hdr
		for i in "${!hdr[@]}"; do [ "${hdr[$i]}" = "$2" ] && c=$i; done
		while read -r -a line; do
			[ "$c" -ge 0 ] && v=${line[$c]} && s=$((s + 16#$v))
		done
	} < <(ip netns exec "$1" cat /proc/net/stat/nf_conntrack)
	echo "$s"
}
ct_count() {
	ip netns exec "$1" cat /proc/sys/net/netfilter/nf_conntrack_count
}

# the drop rule's packets, from the kernel
kcounter() {
	ip netns exec "$host" nft list table inet vigil |
		awk '/tcp dport 9000 counter packets [0-9]+ bytes [0-9]+ drop comment "closed"/ {
			for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}

ns_new host host || bail_out "namespace"
ns_new client client || bail_out "namespace"
# spoofed sources arrive on vh0 with no route back through it otherwise
ip netns exec "$host" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 ||
	bail_out "rp_filter"
veth "$host" vh0 "$client" vc0 || bail_out "veth"
addr "$host" vh0 10.64.0.1/24
addr "$client" vc0 10.64.0.2/24
# the host's answers to the spoofed sources go to the client, which drops them
ip -n "$host" route add 10.73.0.0/16 via 10.64.0.2 || bail_out "route"
ip -n "$host" route add 10.74.0.0/16 via 10.64.0.2 || bail_out "route"
serve "$host" tcp 8080 || bail_out "serve tcp"

cat >"$TMP/p.yml" <<'EOF2'
version: 1
defaults: {input: drop, forward: drop, output: accept}
rules:
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
  - {name: closed, chain: input, proto: tcp, dport: 9000, action: drop}
EOF2
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
DB=$TMP/db/flows.db

start_watch "$host" "$DB" "$TMP/p.yml" --row-cap $CAP --count-every 2 || bail_out "watch"
# both floods within one minute: start at most 40 s into it (they take ~3 s)
while [ $(( $(date +%s) % 60 )) -gt 40 ]; do sleep 1; done
m0=$(( $(date +%s) / 60 * 60 ))
n0=$(ct_count "$host")
for f in insert_failed drop early_drop; do eval "s0_$f=$(ct_stat "$host" $f)"; done
ip netns exec "$client" "$SYNFLOOD" --src 10.73.0.0/16 --sources $ACC --rate 25000 \
	10.64.0.1 8080 $ACC >"$TMP/acc" 2>&1 || { diag_file "$TMP/acc"; bail_out "synflood"; }
n1=$(ct_count "$host")
ip netns exec "$client" "$SYNFLOOD" --src 10.74.0.0/16 --sources $REF --rate 20000 \
	10.64.0.1 9000 $REF >"$TMP/ref" 2>&1 || { diag_file "$TMP/ref"; bail_out "synflood"; }
m1=$(( $(date +%s) / 60 * 60 ))
diag "$(cat "$TMP/acc" "$TMP/ref")"
sleep 4.5 # the writer's second, two counter dumps
sent=$(sed -n 's/^sent \([0-9]*\) SYNs.*/\1/p' "$TMP/acc")
sentr=$(sed -n 's/^sent \([0-9]*\) SYNs.*/\1/p' "$TMP/ref")
check "both floods fell within one minute" test "$m0" = "$m1" -a "$sent" = $ACC -a "$sentr" = $REF

# ---- what conntrack saw ----
made=$((n1 - n0))
loss=""
for f in insert_failed drop early_drop; do
	eval "d=\$(( \$(ct_stat \"\$host\" $f) - s0_$f ))"
	loss+="$f $d, "
	eval "ct_$f=$d"
done
evlost=$(q "SELECT coalesce(sum(lost), 0) FROM observer")
diag "conntrack: $made entries made by the accepted flood; ${loss}events lost $evlost"
check "conntrack made an entry for every spoofed SYN: $made of $sent" test "$made" = "$sent"
check "the kernel's conntrack loss figures are zero: ${loss%, }" \
	test "$ct_insert_failed" = 0 -a "$ct_drop" = 0 -a "$ct_early_drop" = 0
check "no conntrack event was lost ($evlost)" test "$evlost" = 0

# ---- the accepted flood ----
rows=$(q "SELECT count(*) FROM flows WHERE rule = 'web' AND family <> 0 AND minute = $m0")
orow=$(q "SELECT count(*) FROM flows WHERE rule = 'web' AND family = 0 AND minute = $m0")
over=$(q "SELECT coalesce(sum(flows), 0) FROM flows WHERE rule = 'web' AND family = 0")
total=$(q "SELECT coalesce(sum(flows), 0) FROM flows WHERE rule = 'web'")
check "the minute holds the cap of rows: $rows <= $CAP, plus one overflow row ($orow)" \
	test "$rows" -le $CAP -a "$rows" -ge 1 -a "$orow" = 1
check "no other minute has the flood: $(q "SELECT count(DISTINCT minute) FROM flows WHERE rule = 'web'") minute" \
	test "$(q "SELECT count(DISTINCT minute) FROM flows WHERE rule = 'web'")" = 1
check "the total is what was sent: $total = $sent ($over in the overflow row)" test "$total" = "$sent"
check "rows + overflow add up: $((total - over)) in $rows rows" \
	test "$(q "SELECT sum(flows) FROM flows WHERE rule = 'web' AND family <> 0")" = $((total - over))

# ---- the refused flood ----
k=$(kcounter)
counted=$(q "SELECT coalesce(sum(counted), 0) FROM refused_counts WHERE rule = 'closed'")
rrows=$(q "SELECT count(*) FROM refused WHERE rule = 'closed' AND family <> 0")
rorow=$(q "SELECT count(*) FROM refused WHERE rule = 'closed' AND family = 0")
rover=$(q "SELECT coalesce(sum(sampled), 0) FROM refused WHERE rule = 'closed' AND family = 0")
rsamp=$(q "SELECT coalesce(sum(sampled), 0) FROM refused WHERE rule = 'closed'")
rgot=$(q "SELECT coalesce(sum(sampled), 0) FROM refused_counts WHERE rule = 'closed'")
check "the refused flood is counted exactly: $counted = $sentr sent = the kernel's $k" \
	test "$counted" = "$sentr" -a "$k" = "$sentr"
check "the refused sample holds the cap of rows: $rrows <= $CAP, plus one overflow row ($rorow)" \
	test "$rrows" -le $CAP -a "$rorow" = 1
check "the sample's records all stay: $rsamp in the rows ($rover folded) = $rgot received" \
	test "$rsamp" = "$rgot" -a "$rover" -ge 1
folded=$(q "SELECT coalesce(sum(folded), 0) FROM observer")
check "observer.folded counts both: $folded = $over + $rover" test "$folded" = $((over + rover))
"$VIGILD" flows --db "$DB" --since -5m --verdict all >"$TMP/f1" 2>&1
check "flows shows the overflow rows as such" test "$(grep -c "(overflow)" "$TMP/f1")" -ge 2
grep -q "(overflow)" "$TMP/f1" || diag_file "$TMP/f1"
stop_watch

# ---- --db-max-size: two days of older minutes, the oldest go first ----
base=$(( $(date +%s) / 60 * 60 - 3600 ))
q "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 29999)
   INSERT INTO flows (minute, family, proto, src, dst, dport, rule, flows)
   SELECT $base - (i % 100) * 1800, 4, 6, '10.9.' || (i / 256) || '.' || (i % 256),
   '10.64.0.1', 8080, 'web', 1 FROM c;
   WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 4999)
   INSERT INTO refused SELECT $base - (i % 100) * 1800, 4, 6, '10.8.' || (i / 256) || '.' || (i % 256),
   '10.64.0.1', 9000, 'closed', 'drop', 1 FROM c;
   INSERT INTO observer (minute) SELECT DISTINCT minute FROM flows WHERE minute <= $base;"
q "SELECT DISTINCT minute FROM flows WHERE minute <= $base ORDER BY minute" >"$TMP/old"
before=$(q "SELECT count(*), sum(flows) FROM flows WHERE minute = $m0")
start_watch "$host" "$DB" "$TMP/p.yml" --row-cap $CAP --db-max-size 256K || bail_out "watch (size)"
for i in $(seq 40); do grep -q "reached --db-max-size" "$TMP/watch.log" && break; sleep 0.1; done
sleep 0.5
q "SELECT DISTINCT minute FROM flows WHERE minute <= $base ORDER BY minute" >"$TMP/left"
gone=$(comm -23 "$TMP/old" "$TMP/left")
nold=$(wc -l <"$TMP/old")
nleft=$(wc -l <"$TMP/left")
diag "older minutes: $nold, left $nleft; pages in use $(q "PRAGMA page_count") - $(q "PRAGMA freelist_count")" \
	"free of $(q "PRAGMA page_size") bytes"
check "older minutes were deleted early, not all: $nleft of $nold left" \
	test "$nleft" -lt "$nold" -a "$nleft" -ge 1
lastgone=$(tail -1 <<<"$gone")
firstleft=$(head -1 "$TMP/left")
check "the oldest went first: the newest deleted ($lastgone) is older than the oldest left ($firstleft)" \
	test -n "$lastgone" -a "$lastgone" -lt "${firstleft:-0}"
cut=$(q "SELECT value FROM meta WHERE key = 'expired_early_before'")
check "the database records the cut: expired_early_before $cut in ($lastgone, $firstleft]" \
	test -n "$cut" -a "${cut:-0}" -gt "$lastgone" -a "${cut:-0}" -le "$firstleft"
check "... the refused rows of those minutes went with them" \
	test "$(q "SELECT count(*) FROM refused WHERE minute < $cut")" = 0 -a \
	"$(q "SELECT count(*) FROM refused WHERE minute >= $cut AND minute <= $base")" -ge 1
check "the flood's minute stays whole: $(q "SELECT count(*), sum(flows) FROM flows WHERE minute = $m0") = $before" \
	test "$(q "SELECT count(*), sum(flows) FROM flows WHERE minute = $m0")" = "$before"
check "... said once in the log" test "$(grep -c "reached --db-max-size" "$TMP/watch.log")" = 1
"$VIGILD" flows --db "$DB" --since -3d >"$TMP/f2" 2>&1
check "flows says the window was expired early" grep -q "^EXPIRED EARLY: minutes before" "$TMP/f2"
grep -q "^EXPIRED EARLY" "$TMP/f2" || diag_file "$TMP/f2"
stop_watch

done_testing
