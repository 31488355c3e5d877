#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vigild watch against the real kernel: privilege state of both processes,
# exact flow counts per rule, IPv4 and IPv6, SIGHUP reloads (good and
# broken), kill -9 in a flow storm, exact loss figures with a tiny receive
# buffer, SIGTERM, and `vigild flows` as an unprivileged reader. TAP.
source "$(dirname "$0")/lib.sh"
: "${FLOWGEN:?FLOWGEN must name the flowgen binary (meson sets it)}"

netns_preflight

WATCH_PID=

# start_watch NS DB POLICY [OPTIONS...]: starts vigild watch and waits until
# it records; WATCH_PID is the main process.
start_watch() {
	local ns=$1 db=$2 pol=$3 i
	shift 3
	: >"$TMP/watch.log"
	ip netns exec "$ns" "$VIGILD" watch --db "$db" "$@" "$pol" >>"$TMP/watch.log" 2>&1 &
	WATCH_PID=$!
	_pid_list+=("$WATCH_PID")
	for i in $(seq 100); do
		grep -q "recording flows" "$TMP/watch.log" && return 0
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.05
	done
	diag "vigild watch did not start:"
	diag_file "$TMP/watch.log"
	return 1
}

# The helper is the main process's only child.
helper_pid() {
	pgrep -P "$WATCH_PID" | head -1
}

status_field() { # PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

uid_of() {
	awk '$1 == "Uid:" { print $2 }' "/proc/$1/status"
}

# flows DB QUERY: one number from the database, read by sqlite3.
q() {
	sqlite3 -cmd ".timeout 5000" "$1" "$2"
}

# wait_flush: the watcher flushes once a second.
wait_flush() {
	sleep 2.2
}

ns_new host host || bail_out "namespace"
ns_new client client || bail_out "namespace"
veth "$host" vh0 "$client" vc0 || bail_out "veth"
addr "$host" vh0 10.61.0.1/24
addr "$client" vc0 10.61.0.2/24
addr "$host" vh0 fd61::1/64
addr "$client" vc0 fd61::2/64
serve "$host" tcp 8080 9090 || bail_out "serve tcp"
serve "$host" udp 5353 || bail_out "serve udp"

cat >"$TMP/p1.yml" <<'EOF'
version: 1
rules:
  - {name: web, chain: input, proto: tcp, dport: 8080, action: accept}
  - {name: dns, chain: input, proto: udp, dport: 5353, action: accept}
  - {name: nope, chain: input, proto: tcp, dport: 9090, action: drop}
  - {name: gen, chain: input, proto: udp, dport: 20000-40000, action: accept}
EOF
# the database's parent belongs to the user vigild writes as (a directory
# others may write to is refused: they could swap what is in it)
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
DB=$TMP/db/sub/flows.db

# ---- usage errors (exit 2, before anything is touched) ----
usage_error() { # DESCRIPTION PATTERN ARGS...: exit 2 and PATTERN on stderr
	local desc=$1 pat=$2 rc
	shift 2
	"$VIGILD" watch "$@" >"$TMP/usage.out" 2>&1
	rc=$?
	if [ $rc = 2 ] && grep -q -- "$pat" "$TMP/usage.out"; then
		ok "$desc"
	else
		not_ok "$desc (exit $rc)"
		diag_file "$TMP/usage.out"
	fi
}
usage_error "--ct-buffer 2G is a usage error naming the range" "from 4K to 1G" \
	--ct-buffer 2G --db "$TMP/db/u.db" "$TMP/p1.yml"
usage_error "--ct-buffer 1025M is a usage error" "from 4K to 1G" \
	--ct-buffer 1025M --db "$TMP/db/u.db" "$TMP/p1.yml"

start_watch "$host" "$DB" "$TMP/p1.yml" || bail_out "watch"
HP=$(helper_pid)

# ---- one watcher per database ----
ip netns exec "$host" "$VIGILD" watch --db "$DB" "$TMP/p1.yml" >"$TMP/second.log" 2>&1
rc=$?
check "a second watch on the same database exits 3" test $rc = 3
check "... saying the table is managed by another vigild, by which pid" \
	grep -q "table inet vigil in this network namespace is managed by another vigild (pid $WATCH_PID): nothing was changed" "$TMP/second.log"
[ $rc = 3 ] || diag_file "$TMP/second.log"
check "... and the first one goes on" kill -0 "$WATCH_PID"

# ---- paths that are not a database file: the firewall still goes in (a
# bad --db must not leave a booting host without one), flows are not
# recorded, and the log says why. Another table, so the lock lets it run.
ln -s "$DB" "$TMP/db/link.db"
timeout 2 ip netns exec "$host" "$VIGILD" watch --table other --db "$TMP/db/link.db" "$TMP/p1.yml" >"$TMP/link.log" 2>&1
rc=$?
check "--db naming a symbolic link: the firewall runs, flows are not recorded, it says why" \
	bash -c "test $rc = 124 && grep -q 'link.db is a symbolic link: .*never through a symbolic link; flows are not recorded' '$TMP/link.log' && grep -q 'applied' '$TMP/link.log'"
[ $rc = 124 ] || diag_file "$TMP/link.log"
timeout 2 ip netns exec "$host" "$VIGILD" watch --table other --db "$TMP/db" "$TMP/p1.yml" >"$TMP/dir.log" 2>&1
rc=$?
check "--db naming a directory: the firewall runs, flows are not recorded, it says why" \
	bash -c "test $rc = 124 && grep -q '$TMP/db is not a regular file: --db names the database file; flows are not recorded' '$TMP/dir.log'"
[ $rc = 124 ] || diag_file "$TMP/dir.log"
ip netns exec "$host" nft delete table inet other 2>/dev/null
usage_error "--db '' is a usage error" "--db wants the database's file name" --db '' "$TMP/p1.yml"

# ---- the privilege model, while watch runs ----
check "main: CapEff, CapPrm, CapBnd all zero" \
	test "$(status_field "$WATCH_PID" CapEff)$(status_field "$WATCH_PID" CapPrm)$(status_field "$WATCH_PID" CapBnd)" = 000000000000000000000000000000000000000000000000
check "main: not root (uid $(uid_of "$WATCH_PID"))" test "$(uid_of "$WATCH_PID")" != 0
check "main: NoNewPrivs 1" test "$(status_field "$WATCH_PID" NoNewPrivs)" = 1
check "main: Seccomp 2 (its own allow-list: no execve, no ptrace, no new netlink sockets)" \
	test "$(status_field "$WATCH_PID" Seccomp)" = 2
check "helper: exactly CAP_NET_ADMIN (CapEff and CapPrm 0x1000)" \
	test "$(status_field "$HP" CapEff) $(status_field "$HP" CapPrm) $(status_field "$HP" CapBnd)" = "0000000000001000 0000000000001000 0000000000000000"
check "helper: not root" test "$(uid_of "$HP")" != 0
check "helper: NoNewPrivs 1 and Seccomp 2" \
	test "$(status_field "$HP" NoNewPrivs) $(status_field "$HP" Seccomp)" = "1 2"
# beyond stdin/stdout/stderr: its socketpair end and its netlink socket only
# (not the policy file, its directory, the database or the conntrack socket)
helper_fds() {
	local n=0 f
	for f in /proc/"$HP"/fd/*; do
		case ${f##*/} in 0 | 1 | 2) continue ;; esac
		case $(readlink "$f") in socket:*) n=$((n + 1)) ;; *) return 1 ;; esac
	done
	[ "$n" = 2 ]
}
check "helper: holds no descriptor but stdio and two sockets ($(ls /proc/"$HP"/fd | tr '\n' ' '))" helper_fds
check "the database directory was made for the unprivileged user" \
	test "$(stat -c %u "$TMP/db/sub")" = "$(uid_of "$WATCH_PID")"

# ---- exact counts, attributed ----
N=23 M=11 K=6
okn=0
for i in $(seq $N); do ip netns exec "$client" "$NETTOOL" probe tcp 10.61.0.1 8080 2000 >/dev/null && okn=$((okn + 1)); done
for i in $(seq $K); do ip netns exec "$client" "$NETTOOL" probe tcp fd61::1 8080 2000 >/dev/null && okn=$((okn + 1)); done
for i in $(seq $M); do ip netns exec "$client" "$NETTOOL" probe udp 10.61.0.1 5353 2000 >/dev/null && okn=$((okn + 1)); done
denied=0
for i in 1 2 3; do ip netns exec "$client" "$NETTOOL" probe tcp 10.61.0.1 9090 300 >/dev/null || denied=$((denied + 1)); done
check "$((N + K + M)) allowed connections succeeded, 3 denied ones did not" test "$okn/$denied" = "$((N + K + M))/3"
wait_flush
"$VIGILD" flows --db "$DB" --since 10m --json >"$TMP/flows.json" 2>"$TMP/flows.err"
check "vigild flows --json works while watch writes" test $? = 0
count() { # family proto dport rule
	python3 - "$TMP/flows.json" "$@" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
fam, proto, dport, rule = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
print(sum(r["flows"] for r in rows if r["family"] == fam and r["proto"] == proto
          and r["dport"] == dport and r["rule"] == rule))
PY
}
check "exactly $N IPv4 TCP flows attributed to rule web" test "$(count 4 tcp 8080 web)" = $N
check "exactly $K IPv6 TCP flows attributed to rule web" test "$(count 6 tcp 8080 web)" = $K
check "exactly $M UDP flows attributed to rule dns" test "$(count 4 udp 5353 dns)" = $M
check "denied connections are not recorded as accepted" \
	test "$(python3 -c 'import json,sys; print(sum(1 for r in json.load(open(sys.argv[1])) if r["dport"] == 9090 and r["verdict"] == "accept"))' "$TMP/flows.json")" = 0
check "... but as refused by rule nope (refused traffic, see refused.sh)" \
	test "$(python3 -c 'import json,sys; print(sum(r["flows"] for r in json.load(open(sys.argv[1])) if r["dport"] == 9090 and r["verdict"] == "drop" and r["rule"] == "nope") > 0)' "$TMP/flows.json")" = True
check "the JSON rows carry minute, proto, src, dst, dport, rule, flows" \
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; sys.exit(0 if all(k in r for k in ("minute","proto","src","dst","dport","rule","flows")) else 1)' "$TMP/flows.json"
flows_as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$VIGILD" flows --db "$DB" --since 10m \
		--rule web >"$TMP/flows.nobody" 2>&1 && grep -q web "$TMP/flows.nobody"
}
check "vigild flows works as an unprivileged user" flows_as_nobody

# ---- SIGHUP with a changed policy ----
cp "$TMP/p1.yml" "$TMP/p1.saved"
sed -e 's/name: web,/name: www,/' -e 's/dport: 8080,/dport: [8080, 9090],/' "$TMP/p1.saved" >"$TMP/p1.yml"
# to both processes, as `pkill -HUP vigild` would: the helper ignores it
kill -HUP "$WATCH_PID" "$HP"
for i in $(seq 50); do grep -q "generation" <(grep -A1 SIGHUP "$TMP/watch.log") && break; sleep 0.1; done
check "SIGHUP: the kernel ruleset follows the new policy" \
	bash -c "ip netns exec '$host' nft list chain inet vigil input | grep -q 'comment \"www\"'"
ip netns exec "$host" nft -s list ruleset >"$TMP/rules.afterhup"
for i in 1 2 3 4; do ip netns exec "$client" "$NETTOOL" probe tcp 10.61.0.1 9090 2000 >/dev/null; done
wait_flush
check "SIGHUP: attribution follows (4 flows to port 9090 by rule www)" \
	test "$(q "$DB" "select sum(flows) from flows where dport = 9090 and rule = 'www'")" = 4

# ---- SIGHUP with a broken policy ----
printf 'version: 1\nrules:\n  - {name: x, chain: input, action: allow}\n' >"$TMP/p1.yml"
kill -HUP "$WATCH_PID"
for i in $(seq 50); do grep -q "running policy stays" "$TMP/watch.log" && break; sleep 0.1; done
check "SIGHUP with a broken policy: says why and keeps the running one" \
	bash -c "grep -q \"action must be accept, drop or reject, not 'allow'\" '$TMP/watch.log' && grep -q 'running policy stays' '$TMP/watch.log'"
ip netns exec "$host" nft -s list ruleset >"$TMP/rules.afterbad"
check "SIGHUP with a broken policy: the kernel ruleset is byte-identical" \
	cmp -s "$TMP/rules.afterhup" "$TMP/rules.afterbad"
check "the watcher is still running" kill -0 "$WATCH_PID"
cp "$TMP/p1.saved" "$TMP/p1.yml"

# ---- SIGTERM flushes and exits 0 ----
for i in 1 2; do ip netns exec "$client" "$NETTOOL" probe udp 10.61.0.1 5353 2000 >/dev/null; done
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "SIGTERM: exit status 0" test $? = 0
check "SIGTERM: the last flows were flushed ($((M + 2)) dns flows)" \
	test "$(q "$DB" "select sum(flows) from flows where rule = 'dns'")" = $((M + 2))
# the minutes in which it started and stopped were observed only in part
"$VIGILD" flows --db "$DB" --since 10m >"$TMP/partial.out" 2>&1
check "flows: the start minute is observed only in part" \
	grep -q "INCOMPLETE: minute .* was observed only in part: an observer started within it (at " "$TMP/partial.out"
check "flows: so is the stop minute" \
	grep -q "an observer stopped within it (at " "$TMP/partial.out"
check "flows: the window is not called complete" bash -c "! grep -q Complete: '$TMP/partial.out'"
check "the stored stop is after the start, within its minute" \
	test "$(q "$DB" "select count(*) from observer where stopped >= minute and stopped < minute + 60 and stopped > (select max(started) from observer)")" = 1

# ---- kill -9 during a flow storm ----
start_watch "$host" "$DB" "$TMP/p1.yml" || bail_out "watch restart"
ip netns exec "$client" "$FLOWGEN" 10.61.0.1 20000 39999 60000 >"$TMP/storm.out" &
storm=$!
sleep 0.3
HP=$(helper_pid)
kill -9 "$WATCH_PID"
wait "$storm"
wait "$WATCH_PID" 2>/dev/null
# the helper reads end-of-file at once; releasing its nf_tables socket then
# waits for the kernel's deferred destroy work (an RCU grace period)
# (this watcher's helper: other vigilds may run on the machine)
for i in $(seq 100); do kill -0 "$HP" 2>/dev/null || break; sleep 0.05; done
check "kill -9: no vigild process is left (the helper follows within 5 s)" \
	bash -c "! kill -0 '$HP' 2>/dev/null"
check "kill -9: PRAGMA integrity_check is ok" test "$(q "$DB" "pragma integrity_check")" = ok
before=$(q "$DB" "select coalesce(sum(flows), 0) from flows")
start_watch "$host" "$DB" "$TMP/p1.yml" --retention 90m || bail_out "watch restart"
check "the start message gives the retention as it was given (90m)" \
	grep -q "recording flows in $DB (conntrack buffer [0-9]* KiB, retention 90m)" "$TMP/watch.log"
check "after kill -9, the next start marks the last minute as observed only in part" \
	bash -c "grep -q 'did not stop cleanly' '$TMP/watch.log' && test \"\$(sqlite3 '$DB' 'select count(*) from observer where stopped = minute')\" -ge 1"
ip netns exec "$client" "$FLOWGEN" --sport 30000 10.61.0.1 20000 29999 5000 >/dev/null
wait_flush
after=$(q "$DB" "select coalesce(sum(flows), 0) from flows")
check "after a restart the counts continue ($before + 5000 = $after)" test "$after" = $((before + 5000))
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"

# ---- loss is exact: a tiny buffer, fresh namespaces, one burst ----
ns_new host2 host2 || bail_out "namespace"
ns_new client2 client2 || bail_out "namespace"
veth "$host2" vh1 "$client2" vc1 || bail_out "veth"
addr "$host2" vh1 10.62.0.1/24
addr "$client2" vc1 10.62.0.2/24
DB2=$TMP/db/loss/flows.db
start_watch "$host2" "$DB2" "$TMP/p1.yml" --ct-buffer 4K || bail_out "watch small buffer"
SENT=20000
ip netns exec "$client2" "$FLOWGEN" 10.62.0.1 20000 39999 $SENT >/dev/null
wait_flush
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
rec=$(q "$DB2" "select coalesce(sum(flows), 0) from flows where rule = 'gen'")
lost=$(q "$DB2" "select sum(lost) from observer")
newev=$(q "$DB2" "select sum(new_events) from observer")
entries=$(ip netns exec "$host2" conntrack -C 2>/dev/null)
diag "sent $SENT, conntrack entries $entries, recorded $rec, lost $lost, NEW events $newev, enobufs $(q "$DB2" "select sum(enobufs) from observer")"
check "a tiny --ct-buffer loses events, and says so" test "${lost:-0}" -gt 0
check "recorded + lost = flows the kernel created ($rec + $lost = $entries)" test $((rec + lost)) = "$entries"
check "every recorded NEW event is in the flows table" test "$rec" = "$newev"
check "ENOBUFS episodes are counted" test "$(q "$DB2" "select sum(enobufs) from observer")" -gt 0

# ---- nf_conntrack_events=0: watch turns events on, or refuses to start ----
sysctl_events() { # NS
	ip netns exec "$1" cat /proc/sys/net/netfilter/nf_conntrack_events
}
ip netns exec "$host2" sh -c 'echo 0 >/proc/sys/net/netfilter/nf_conntrack_events'
DB3=$TMP/db/events/flows.db
start_watch "$host2" "$DB3" "$TMP/p1.yml" || bail_out "watch with nf_conntrack_events=0"
check "nf_conntrack_events=0: watch says it set it to 1" \
	grep -q "nf_conntrack_events was 0 .*set it to 1" "$TMP/watch.log"
check "nf_conntrack_events is 1 now" test "$(sysctl_events "$host2")" = 1
ip netns exec "$client2" "$FLOWGEN" --sport 45000 10.62.0.1 20000 20999 300 >/dev/null
wait_flush
kill -TERM "$WATCH_PID"
wait "$WATCH_PID"
check "and the connections are recorded (300)" \
	test "$(q "$DB3" "select coalesce(sum(flows), 0) from flows where rule = 'gen'")" = 300
ns_new host3 host3 || bail_out "namespace"
ip netns exec "$host3" sh -c 'echo 0 >/proc/sys/net/netfilter/nf_conntrack_events' ||
	bail_out "cannot set nf_conntrack_events in a fresh namespace"
ip netns exec "$host3" unshare -m sh -c 'mount --bind /proc/sys /proc/sys &&
	mount -o remount,bind,ro /proc/sys && exec "$1" watch --db "$2" "$3"' sh \
	"$VIGILD" "$TMP/db/ro/flows.db" "$TMP/p1.yml" >"$TMP/ro.log" 2>&1
rc=$?
check "nf_conntrack_events=0 that cannot be set: exit 3" test $rc = 3
check "... with a message that says why" \
	grep -q "nf_conntrack_events is 0: the kernel sends no conntrack events.*Read-only file system" "$TMP/ro.log"
check "... and nothing was applied" bash -c "! ip netns exec '$host3' nft list table inet vigil >/dev/null 2>&1"
[ $rc = 3 ] || diag_file "$TMP/ro.log"

# ---- a start that fails writes nothing ----
# an invalid policy: never no firewall (the fallback; tests/netns/failsafe.sh
# has the rest), and the watcher runs
printf 'version: 1\nrules:\n  - {name: x, chain: input, action: allow}\n' >"$TMP/bad.yml"
timeout 3 ip netns exec "$host3" "$VIGILD" watch --db "$TMP/db/inv/flows.db" "$TMP/bad.yml" >"$TMP/fail.log" 2>&1
rc=$?
check "an invalid policy at start: the fail-closed fallback goes in and watch keeps running" \
	bash -c "test $rc = 124 && grep -q 'applied the fail-closed fallback' '$TMP/fail.log'"
[ $rc = 124 ] || diag_file "$TMP/fail.log"
ip netns exec "$host3" nft delete table inet vigil
# the kernel (here: the helper) refuses the policy: exit 3; a database the
# run created is removed, an existing one keeps its meta
ip netns exec "$host3" nft add table inet vigil
ip netns exec "$host3" "$VIGILD" watch --db "$TMP/db/fail/flows.db" "$TMP/p1.yml" >"$TMP/fail.log" 2>&1
rc=$?
check "a refused policy at start: exit 3" test $rc = 3
check "... and the database it created is gone, with its -wal and -shm" \
	bash -c "! ls '$TMP/db/fail/flows.db'* >/dev/null 2>&1"
[ $rc = 3 ] || diag_file "$TMP/fail.log"
meta_before=$(q "$DB" "select group_concat(key || '=' || value) from meta")
sleep 1 # "started" has seconds: a rewrite would show
ip netns exec "$host3" "$VIGILD" watch --db "$DB" "$TMP/p1.yml" >"$TMP/fail.log" 2>&1
rc=$?
check "a refused policy on an existing database: exit 3, its meta untouched" \
	bash -c "test $rc = 3 && test \"\$(sqlite3 '$DB' \"select group_concat(key || '=' || value) from meta\")\" = '$meta_before'"
check "... and the database is still there" test -s "$DB"

done_testing
