#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Dynamic sets: a ban added with `vigild set add` refuses the banned
# address's connections (IPv4 and IPv6) and no one else's; five reloads
# keep it (still refused, its lifetime going down, never reset); when its
# timeout runs out the address is admitted again; bad input changes
# nothing; a reload that would make the set static is refused; the same
# without a watch (apply twice, the bans stay). TAP.
. "$(dirname "$0")/lib.sh"

netns_preflight

ns_new H host && ns_new C client || bail_out "cannot create namespaces"
veth "$H" eth0 "$C" eth0 || bail_out "cannot link the namespaces"
addr "$H" eth0 10.9.0.1/24 && addr "$C" eth0 10.9.0.2/24 && addr "$C" eth0 10.9.0.3/24 &&
	addr "$H" eth0 fd00:9::1/64 && addr "$C" eth0 fd00:9::2/64 && addr "$C" eth0 fd00:9::3/64 ||
	bail_out "cannot address the namespaces"
serve "$H" tcp 5000 || bail_out "cannot start the server"

POL=$TMP/dyn.yml
cat >"$POL" <<'YML'
version: 1
sets:
  banned:
    type: address
    dynamic: true
    timeout: 1h
    size: 4
  nets:
    type: cidr
    dynamic: true
  admins:
    type: cidr
    elements: [10.9.0.0/24, "fd00:9::/64"]
rules:
  - name: bans
    chain: input
    src: ["@banned", "@nets"]
    action: reject
  - name: app
    chain: input
    src: "@admins"
    proto: tcp
    dport: 5000
    action: accept
YML

# probe SRC DST: pass or refused (nettool's first word)
probe() {
	ip netns exec "$C" "$NETTOOL" probe --src "$1" tcp "$2" 5000 1500 2>&1 | awk "{ print (\$1 == \"connected\" ? \"pass\" : \$1) }"
}
vset() { ip netns exec "$H" "$VIGILD" set "$@"; }
# expires_of ADDR: seconds left of ADDR's ban (set list --json), empty if none
expires_of() {
	vset list banned --json | python3 -c 'import json,sys
for e in json.load(sys.stdin):
    if e["element"] == sys.argv[1]: print(int(e["expires_s"] * 1000))' "$1"
}

WATCH_PID=
start_watch() {
	: >"$TMP/watch.log"
	ip netns exec "$H" "$VIGILD" watch --db "$TMP/flows.db" "$POL" >>"$TMP/watch.log" 2>&1 &
	WATCH_PID=$!
	_pid_list+=("$WATCH_PID")
	for _ in $(seq 100); do
		grep -q "applied " "$TMP/watch.log" && return 0
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.05
	done
	diag_file "$TMP/watch.log"
	return 1
}

start_watch || bail_out "vigild watch did not start"
check "before any ban, 10.9.0.2 is admitted" [ "$(probe 10.9.0.2 10.9.0.1)" = pass ]

# ---- a ban, through the running watch (it owns the table)

check "set add (through the watch) exits 0" vset add banned 10.9.0.2 fd00:9::2 --timeout 20s -q
check "the banned address is refused" [ "$(probe 10.9.0.2 10.9.0.1)" = refused ]
check "the banned IPv6 address is refused" [ "$(probe fd00:9::2 fd00:9::1)" = refused ]
check "another address of the same host is admitted" [ "$(probe 10.9.0.3 10.9.0.1)" = pass ]
check "another IPv6 address is admitted" [ "$(probe fd00:9::3 fd00:9::1)" = pass ]

# ---- five reloads: the ban stays, its lifetime only goes down
prev=$(expires_of 10.9.0.2)
kept=0 down=0
for i in 1 2 3 4 5; do
	ip netns exec "$H" "$VIGILD" reload -q >"$TMP/reload.$i" 2>&1 || diag_file "$TMP/reload.$i"
	[ "$(probe 10.9.0.2 10.9.0.1)" = refused ] && kept=$((kept + 1))
	now=$(expires_of 10.9.0.2)
	[ -n "$now" ] && [ -n "$prev" ] && [ "$now" -lt "$prev" ] && down=$((down + 1))
	diag "reload $i: $now ms left"
	prev=$now
done
check "after each of 5 reloads the ban still refuses ($kept of 5)" [ "$kept" = 5 ]
check "after each of 5 reloads its lifetime is lower than before ($down of 5)" [ "$down" = 5 ]
check "the kernel lists the ban with its own timeout" \
	bash -c "ip netns exec '$H' nft list set inet vigil banned_v4 | grep -q '10.9.0.2 timeout 20s expires'"

# ---- bad input: an error naming the element and the set, nothing changed
vset list banned | cut -d" " -f1 >"$TMP/before.txt"
bad() { # EXPECTED-CODE NEEDLE ARGS...
	local want=$1 needle=$2 rc
	shift 2
	vset "$@" >"$TMP/bad.out" 2>&1
	rc=$?
	vset list banned | cut -d" " -f1 >"$TMP/after.txt"
	if [ "$rc" = "$want" ] && grep -qF -- "$needle" "$TMP/bad.out" && cmp -s "$TMP/before.txt" "$TMP/after.txt"; then
		ok "set $*: exit $want, '$needle', nothing changed"
	else
		not_ok "set $*: exit $want, '$needle', nothing changed (exit $rc)"
		diag_file "$TMP/bad.out"
	fi
}
bad 1 "element '10.9.0.2' is already in set 'banned'" add banned 10.9.0.7 10.9.0.2
bad 1 "element '10.9.0.0/24' for set 'banned': is a prefix" add banned 10.9.0.0/24
bad 1 "bad address 'banana' for set 'banned'" add banned 10.9.0.8 banana
bad 2 "--timeout wants a duration" add banned 10.9.0.8 --timeout 0
bad 2 "--timeout wants a duration" add banned 10.9.0.8 --timeout -5
bad 2 "--timeout wants a duration" add banned 10.9.0.8 --timeout soon
bad 1 "set has no timeout" add nets 10.9.0.0/28 --timeout 1h
bad 1 "set 'admins' of table inet vigil is not dynamic" add admins 10.9.0.9
bad 1 "has no dynamic set 'nosuch'" add nosuch 10.9.0.9
bad 1 "element '10.9.0.99' is not in set 'banned'" del banned 10.9.0.99
bad 1 "set 'banned' is full" add banned 10.9.0.10 10.9.0.11 10.9.0.12 10.9.0.13
printf '10.9.0.20\n10.9.0.21 30m\nnot-an-address\n' >"$TMP/in.txt"
bad 1 "<stdin>:3: bad address 'not-an-address'" add banned - <"$TMP/in.txt"

# ---- a reload that would drop the bans is refused
cp "$POL" "$TMP/good.yml"
python3 - "$POL" "$TMP/static.yml" <<'PY'
import sys
s = open(sys.argv[1]).read().replace("    type: address\n    dynamic: true\n    timeout: 1h\n    size: 4\n",
                                     "    type: cidr\n    elements: [192.0.2.1]\n")
open(sys.argv[1], "w").write(s)
open(sys.argv[2], "w").write(s)
PY
ip netns exec "$H" "$VIGILD" reload >"$TMP/static.out" 2>&1
rc=$?
check "a reload that makes the set static is refused (exit $rc)" [ "$rc" = 1 ]
check "... with a located error naming the set" grep -q "dyn.yml:3:3: error: dynamic set banned_v4 holds 1 elements" "$TMP/static.out"
check "... and the ban still refuses" [ "$(probe 10.9.0.2 10.9.0.1)" = refused ]
cp "$TMP/good.yml" "$POL"

# ---- the ban runs out
left=$(expires_of 10.9.0.2)
diag "waiting ${left:-?} ms for the ban to expire"
[ -n "$left" ] && sleep $(((left + 1200) / 1000))
check "once its timeout ran out, the address is admitted again" [ "$(probe 10.9.0.2 10.9.0.1)" = pass ]
check "... and the IPv6 address too" [ "$(probe fd00:9::2 fd00:9::1)" = pass ]

# ---- stdin, delete, and cidr sets
printf '10.9.0.30\n10.9.0.31 2h # a comment\n\n' | vset add banned - -q
check "set add - reads addresses and timeouts from stdin" \
	bash -c "ip netns exec '$H' nft list set inet vigil banned_v4 | grep -q '10.9.0.31 timeout 2h'"
check "set del removes one ban" vset del banned 10.9.0.30 -q
vset add nets 10.9.0.2/31 -q
check "a banned prefix refuses its addresses" [ "$(probe 10.9.0.3 10.9.0.1)" = refused ]
vset del nets 10.9.0.2/31 -q
check "... and is deleted as it was added" [ "$(probe 10.9.0.3 10.9.0.1)" = pass ]

# ---- without a watch: the helper of vigild set itself, bans kept by apply
kill "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null
ip netns exec "$H" "$VIGILD" apply -q "$POL" || bail_out "apply"
check "set add without a watch exits 0" vset add banned 10.9.0.2 -q
ip netns exec "$H" "$VIGILD" apply -q "$POL"
check "apply again keeps the ban" [ "$(probe 10.9.0.2 10.9.0.1)" = refused ]
ip netns exec "$H" "$VIGILD" apply -q "$TMP/static.yml" >"$TMP/nofull.out" 2>&1
check "apply of a policy that makes the set static is refused without --full (exit $?)" \
	grep -q "apply with --full to drop them" "$TMP/nofull.out"
ip netns exec "$H" "$VIGILD" apply -q --full "$TMP/static.yml" >"$TMP/full.out" 2>&1
if grep -q "warning: dynamic set banned_v4 loses its [0-9]* elements: it is no longer dynamic (--full)" "$TMP/full.out"; then
	ok "apply --full drops the bans of the set made static and says so"
else
	not_ok "apply --full drops the bans of the set made static and says so"
	diag_file "$TMP/full.out"
fi
check "... and the address is admitted again" [ "$(probe 10.9.0.2 10.9.0.1)" = pass ]


done_testing
