#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 'vigild flows' against databases written by flowfill (the same agg ->
# flowdb path vigild watch uses). TAP on stdout. Needs python3 for JSON.
set -u

: "${VIGILD:?set VIGILD to the vigild binary}"
: "${FLOWFILL:?set FLOWFILL to the flowfill binary}"
: "${FIXTIME_SO:?set FIXTIME_SO to the fixtime shim (LD_PRELOAD)}"

T=$(mktemp -d /tmp/vigil-cmdflows-XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
DB=$T/flows.db
n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"
	if [ -f "$T/out" ]; then sed 's/^/# out: /' "$T/out" | head -40; fi
	if [ -f "$T/err" ]; then sed 's/^/# err: /' "$T/err" | head -20; fi
}
# check DESCRIPTION EXPECTED_STATUS -- vigild flows ARGS...: runs, keeps out/err
check() {
	desc=$1 want=$2
	shift 3
	"$VIGILD" flows "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$desc (exit $rc)"; else not_ok "$desc: exit $rc, want $want"; fi
}
# pyjson DESCRIPTION PYTHON_EXPR: evaluates EXPR with j = the JSON in $T/out
pyjson() {
	if python3 - "$T/out" "$2" >"$T/py" 2>&1 <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
if not ok:
    print("expression false:", sys.argv[2]); print(json.dumps(j, indent=1)[:3000])
sys.exit(0 if ok else 1)
EOF
	then ok "$1"; else sed 's/^/# /' "$T/py"; not_ok "$1"; fi
}
# grep_out DESCRIPTION FILE PATTERN
has() {
	if grep -q -- "$3" "$T/$2"; then ok "$1"; else not_ok "$1 (no '$3' in $2)"; fi
}
hasnt() {
	if grep -q -- "$3" "$T/$2"; then not_ok "$1 ('$3' in $2)"; else ok "$1"; fi
}

# minute M0 = 2023-11-14T22:13:00Z
M0=1700000000
M0=$((M0 - M0 % 60))
M1=$((M0 + 60))
M2=$((M0 + 120))

check "--help" 0 -- --help
has "--help documents --since" out "--since T"
has "--help names the default database" out "/var/lib/vigil/flows.db"
check "missing database" 3 -- --db "$T/nope.db"
has "missing database is said plainly" err "does not exist"
check "--by takes only known keys" 2 -- --db "$DB" --by color
check "--top needs a positive number" 2 -- --db "$DB" --top 0
check "--top rejects junk" 2 -- --db "$DB" --top 3x
check "--since rejects junk" 2 -- --db "$DB" --since someday
check "--since rejects a bad date" 2 -- --db "$DB" --since 2023-02-30
check "--until before --since" 2 -- --db "$DB" --since @$M1 --until @$M0
check "no positional arguments" 2 -- --db "$DB" extra
check "--rule '' is a usage error" 2 -- --db "$DB" --rule ''
has "... saying what --rule wants" err "--rule needs a rule name, or '-'"
check "--db '' is a usage error" 2 -- --db ''
check "a unit given twice (1d1d)" 2 -- --db "$DB" --since 1d1d
has "... is not a time" err "--since: '1d1d' is not a time or a duration"
check "units out of order (1m1h)" 2 -- --db "$DB" --since 1m1h
check "a larger unit first (1h30m) is fine, a missing database then" 3 -- --db "$DB" --since 1h30m
check "an option without its argument" 2 -- --db

"$FLOWFILL" "$DB" --rules ssh,web,dns <<EOF
# minute M0: ssh x3 from .1, web x5 from .2 (v6 web x2), an unmarked flow, a ping
new $M0 4 6 192.0.2.1 198.51.100.10 22 0 3
new $((M0 + 5)) 4 6 192.0.2.2 198.51.100.10 443 1 5
new $((M0 + 59)) 6 6 2001:db8::2 2001:db8::10 443 1 2
new $M0 4 17 192.0.2.3 198.51.100.53 53 -1 1
new $M0 4 1 192.0.2.1 198.51.100.10 8 -1 1
destroy $((M0 + 30)) 4 6 192.0.2.1 198.51.100.10 22 0 10 1500 2000
obs $M0 0 0 0 0 0
# minute M1: web x1 from .1; minute M2: observer ran, nothing else
new $M1 4 6 192.0.2.1 198.51.100.10 443 1 1
obs $M1 0 0 0 0 0
obs $M2 0 0 0 0 0
EOF
[ $? -eq 0 ] && ok "flowfill wrote the database" || not_ok "flowfill"

W="--db $DB --since @$M0 --until @$((M2 + 60))"
check "--json over the window" 0 -- $W --json
pyjson "JSON is one array of 6 rows" 'isinstance(j, list) and len(j) == 6'
pyjson "every row has the documented keys" \
	'all(set(["minute","proto","src","dst","dport","rule","flows","packets","bytes"]) <= set(r) for r in j)'
pyjson "minutes are ISO 8601 UTC" 'j[0]["minute"] == "2023-11-14T22:13:00Z" and j[-1]["minute"] == "2023-11-14T22:14:00Z"'
pyjson "rows are ordered by minute, then flows" '[r["flows"] for r in j] == [5, 3, 2, 1, 1, 1]'
pyjson "ssh row: rule, counters, duration" \
	'[(r["rule"], r["flows"], r["packets"], r["bytes"], r["duration_ms"]) for r in j if r["dport"] == 22] == [("ssh", 3, 10, 1500, 2000)]'
pyjson "no counters yet: packets and bytes are null" \
	'all(r["packets"] is None and r["bytes"] is None for r in j if r["dport"] == 443)'
pyjson "an unmarked flow has rule null" '[r["rule"] for r in j if r["proto"] == "udp"] == [None]'
pyjson "IPv6 rows keep their addresses" '[(r["src"], r["family"]) for r in j if r["family"] == 6] == [("2001:db8::2", 6)]'
pyjson "ICMP: the type in dport" '[(r["proto"], r["dport"]) for r in j if r["proto"] == "icmp"] == [("icmp", 8)]'
hasnt "complete window: nothing on stderr" err "INCOMPLETE"

check "table output" 0 -- $W
has "table header" out "MINUTE (UTC)"
has "table shows the minute" out "2023-11-14 22:13"
has "table shows bytes for people" out "1.5K"
has "table shows ICMP type names" out "echo-request"
has "table says the window is complete" out "Complete: an observer ran every minute"
has "observer summary line" out "3 of 3 minutes observed"

check "--rule web" 0 -- $W --rule web --json
pyjson "--rule web: only web rows" 'len(j) == 3 and all(r["rule"] == "web" for r in j) and sum(r["flows"] for r in j) == 8'
check "--rule - (no rule)" 0 -- $W --rule - --json
pyjson "--rule -: only unattributed rows" 'len(j) == 2 and all(r["rule"] is None for r in j)'
check "--top 2" 0 -- $W --top 2 --json
pyjson "--top 2: the two largest rows" '[r["flows"] for r in j] == [5, 3]'
check "--by src" 0 -- $W --by src --json
pyjson "--by src sums per source" \
	'{r["src"]: r["flows"] for r in j} == {"192.0.2.2": 5, "192.0.2.1": 5, "2001:db8::2": 2, "192.0.2.3": 1}'
pyjson "--by src: first and last minute" \
	'[(r["minute"], r["last_minute"]) for r in j if r["src"] == "192.0.2.1"] == [("2023-11-14T22:13:00Z", "2023-11-14T22:14:00Z")]'
check "--by dport" 0 -- $W --by dport --json
pyjson "--by dport groups (proto, port), largest first" \
	'[(r["proto"], r["dport"], r["flows"]) for r in j][:2] == [("tcp", 443, 8), ("tcp", 22, 3)]'
check "--by rule --top 1" 0 -- $W --by rule --top 1 --json
pyjson "--by rule --top 1" '[(r["rule"], r["flows"]) for r in j] == [("web", 8)]'
check "--by dst table" 0 -- $W --by dst
has "--by table has FIRST and LAST" out "FIRST (UTC)"

# the same window written as ISO 8601 in two zones, and as bare epoch seconds
check "ISO 8601 --since/--until (Z)" 0 -- --db "$DB" --since 2023-11-14T22:13:00Z --until 2023-11-14T22:14Z --json
pyjson "ISO window holds minute M0 only" 'len(j) == 5 and all(r["minute"] == "2023-11-14T22:13:00Z" for r in j)'
check "ISO 8601 with an offset" 0 -- --db "$DB" --since 2023-11-14T23:13+01:00 --until 2023-11-14T23:14:00+01:00 --json
pyjson "offset window is the same minute" 'len(j) == 5'
check "epoch seconds" 0 -- --db "$DB" --since $M1 --until $((M1 + 60)) --json
pyjson "epoch window holds minute M1" 'len(j) == 1 and j[0]["flows"] == 1'
check "a --since inside a minute keeps that minute" 0 -- --db "$DB" --since @$((M1 + 30)) --until @$((M1 + 31)) --json
pyjson "minute containing --since is in" 'len(j) == 1'

# durations are relative to now
NOW=$(date +%s)
DB2=$T/recent.db
"$FLOWFILL" "$DB2" --rules ssh <<EOF
new $((NOW - 300)) 4 6 10.0.0.1 10.0.0.2 22 0 4
obs $((NOW - 300)) 0 0 0 0 0
EOF
check "--since 10m" 0 -- --db "$DB2" --since 10m --json
pyjson "10m includes a flow 5 minutes old" 'len(j) == 1 and j[0]["flows"] == 4'
check "--since 2m" 0 -- --db "$DB2" --since 2m --json
pyjson "2m excludes it" 'j == []'
check "--since 1h30m" 0 -- --db "$DB2" --since 1h30m --json
pyjson "1h30m includes it" 'len(j) == 1'
pyjson "a row of a minute observed without loss is complete" 'j[0]["complete"] is True'
has "default window: gaps are reported on stderr" err "INCOMPLETE: no observer ran during"
check "default window (1h), table" 0 -- --db "$DB2"
has "a one-minute observer in an hour is incomplete" out "INCOMPLETE: no observer ran during"

# losses make the database say it is incomplete
DB3=$T/lossy.db
"$FLOWFILL" "$DB3" --no-sources --rules web <<EOF
new $M0 4 6 192.0.2.1 198.51.100.10 443 0 7
new $M0 4 6 192.0.2.9 198.51.100.10 443 0 1
obs $M0 120 3 0 5 2
EOF
check "lossy window, table" 0 -- --db "$DB3" --since @$M0 --until @$M1
has "lost events are reported" out "INCOMPLETE: the kernel dropped 120 events"
has "ENOBUFS episodes are reported" out "3 ENOBUFS episodes"
has "aggregation overflow is reported" out "5 events were not aggregated"
has "parse failures are reported" out "2 event messages could not be parsed"
has "aggregated sources show as *" out " \* "
check "lossy window, JSON" 0 -- --db "$DB3" --since @$M0 --until @$M1 --json
pyjson "aggregated sources are null in JSON" 'len(j) == 1 and j[0]["src"] is None and j[0]["flows"] == 8'
pyjson "a lossy minute's row says it is not complete" 'j[0]["complete"] is False'
has "JSON mode warns on stderr" err "warning: INCOMPLETE: the kernel dropped 120"
check "no observer rows in the window" 0 -- --db "$DB3" --since @$M2 --until @$((M2 + 60))
has "an empty window says so" out "No flows in this window"
has "and that nothing observed it" out "INCOMPLETE: no observer data"

# an observer that started and stopped part-way through minutes: those
# minutes are observed only in part, and the window is not complete
DB4=$T/partial.db
"$FLOWFILL" "$DB4" --rules web <<EOF
start $((M0 + 30))
new $((M0 + 31)) 4 6 192.0.2.1 198.51.100.10 443 0 2
obs $((M0 + 31)) 0 0 0 0 0
obs $M1 0 0 0 0 0
new $((M2 + 5)) 4 6 192.0.2.1 198.51.100.10 443 0 1
stop $((M2 + 10))
EOF
check "started and stopped within the window, table" 0 -- --db "$DB4" --since @$M0 --until @$((M2 + 60))
has "the start minute is observed only in part" out \
	"INCOMPLETE: minute 2023-11-14 22:13 was observed only in part: an observer started within it (at 22:13:30)"
has "the stop minute is observed only in part" out \
	"INCOMPLETE: minute 2023-11-14 22:15 was observed only in part: an observer stopped within it (at 22:15:10)"
has "the summary counts them" out "3 of 3 minutes observed (2 only in part)"
hasnt "and the window is not called complete" out "Complete:"
check "the same window, JSON" 0 -- --db "$DB4" --since @$M0 --until @$((M2 + 60)) --json
has "JSON mode warns on stderr" err "warning: INCOMPLETE: minute 2023-11-14 22:13 was observed only in part"
check "the minute in between is complete" 0 -- --db "$DB4" --since @$M1 --until @$M2
has "... and says so" out "Complete: an observer ran every minute"
"$FLOWFILL" "$DB4" <<EOF
start $((M2 + 20))
stop $((M2 + 40))
EOF
check "a second start and stop within one minute" 0 -- --db "$DB4" --since @$M2 --until @$((M2 + 60))
has "both are said" out "an observer started within it (at 22:15:20), and an observer stopped within it (at 22:15:40)"
python3 -c "import sqlite3; c = sqlite3.connect('$DB4'); c.execute('update observer set stopped = minute where minute = $M2'); c.commit()"
check "an unclean stop (stopped = minute)" 0 -- --db "$DB4" --since @$M2 --until @$((M2 + 60))
has "is said to be one" out "or ended without stopping cleanly"

# the window is made of minutes: --since now in the first second of a
# minute is that minute; --until is rounded up to a minute's end
at() { # UNIX_SECONDS DESCRIPTION EXPECTED_STATUS -- ARGS...: vigild flows at that time
	when=$1
	shift
	desc=$1 want=$2
	shift 3
	FIXTIME=$when LD_PRELOAD=$FIXTIME_SO "$VIGILD" flows "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$desc (exit $rc)"; else not_ok "$desc: exit $rc, want $want"; fi
}
at $M1 "--since now at second 0 of a minute" 0 -- --db "$DB" --since now --json
pyjson "... is that minute" 'len(j) == 1 and j[0]["minute"] == "2023-11-14T22:14:00Z"'
at $M1 "--since now --until now at second 0" 0 -- --db "$DB" --since now --until now
has "... one minute, observed" out "1 of 1 minutes observed"
at $((M1 + 59)) "--since now at second 59" 0 -- --db "$DB" --since now
has "... the same minute" out "1 of 1 minutes observed"
at $((M2 + 10)) "a window reaching into the future counts the minutes begun" 0 -- --db "$DB" --since @$M0 --until @$((M2 + 600))
has "... three of them" out "3 of 3 minutes observed"
at $((M2 + 10)) "a window that has not begun" 0 -- --db "$DB" --since @$((M2 + 60)) --until @$((M2 + 600))
has "... has no minutes" out "0 of 0 minutes observed"
check "--until within a minute keeps that minute" 0 -- --db "$DB" --since @$M0 --until @$((M1 + 30)) --json
pyjson "... the rows of M0 and M1" 'len(j) == 6'
check "--until at a minute's start leaves it out" 0 -- --db "$DB" --since @$M0 --until @$M1 --json
pyjson "... the rows of M0 only" 'len(j) == 5'
# a time of day is that time today (UTC): M0 is 22:13 on its day
at $((M2 + 10)) "--since/--until as times of day" 0 -- --db "$DB" --since 22:13 --until 22:14:30 --json
pyjson "... the rows of M0 and M1" 'len(j) == 6'
at $((M2 + 10)) "a time of day with seconds in --since" 0 -- --db "$DB" --since 22:14:59 --until 22:14:59 --json
pyjson "... minute M1 only" 'len(j) == 1 and j[0]["minute"] == "2023-11-14T22:14:00Z"'
check "an hour past 23 is refused" 2 -- --db "$DB" --since 24:00
check "a time of day needs two-digit hours" 2 -- --db "$DB" --since 9:00

# --by src on a database without sources: one '*' group per family
DB5=$T/agg.db
"$FLOWFILL" "$DB5" --no-sources --rules web <<EOF
new $M0 4 6 192.0.2.1 198.51.100.10 443 0 3
new $M0 6 6 2001:db8::1 2001:db8::10 443 0 2
obs $M0 0 0 0 0 0
EOF
check "--by src without sources" 0 -- --db "$DB5" --since @$M0 --until @$M1 --by src
has "the IPv4 group says so" out "  \* (IPv4)  "
has "the IPv6 group says so" out "  \* (IPv6)  "

# a database that is not ours, or newer than this vigild
printf 'not a database at all, just text\n%.0s' $(seq 1 40) >"$T/junk.db"
check "not an SQLite file" 3 -- --db "$T/junk.db"
has "says why" err "not a database"
python3 -c "import sqlite3; c = sqlite3.connect('$T/newer.db'); c.execute('create table t(x)'); c.execute('pragma user_version = 99'); c.commit()"
check "a newer schema is refused" 3 -- --db "$T/newer.db"
has "says it is newer" err "schema version 99, newer than this vigild knows"

# an unprivileged reader, without write access to the directory
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$VIGILD" flows $W --json \
		>"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] && ok "nobody can read the database (exit 0)" || not_ok "nobody: exit $rc"
	pyjson "nobody sees the same rows" 'len(j) == 6'
	chmod 600 "$DB"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$VIGILD" flows $W >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 3 ] && ok "no read access: exit 3" || not_ok "no read access: exit $rc"
	chmod 644 "$DB"
	# a copy without -wal and -shm, where nobody cannot create them
	mkdir "$T/ro" && cp "$DB" "$T/ro/copy.db" && chmod 755 "$T/ro" && chmod 644 "$T/ro/copy.db"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$VIGILD" flows --db "$T/ro/copy.db" \
		--since @$M0 --until @$((M2 + 60)) --json >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] && ok "nobody reads a copy without -wal/-shm in a directory it cannot write (exit 0)" ||
		not_ok "nobody, copy without -shm: exit $rc"
	pyjson "... with all its rows" 'len(j) == 6'
	# ... but not one whose -wal holds data: that needs -shm
	cp "$T/ro/copy.db" "$T/ro/walled.db" && echo junk >"$T/ro/walled.db-wal" && chmod 644 "$T/ro/"*
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$VIGILD" flows --db "$T/ro/walled.db" \
		>"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 3 ] && ok "a non-empty -wal without -shm: exit 3" || not_ok "walled: exit $rc"
	has "... saying the -shm file is missing and cannot be created" err "its -shm file is missing, and this user cannot create it"
	hasnt "... not that the database does not exist" err "does not exist"
	# a read-only file system, as root
	if unshare -m sh -c 'mount --bind -o ro "$1" "$1" && exec "$2" flows --db "$1/copy.db" --since @$3 --until @$4' sh \
		"$T/ro" "$VIGILD" $M0 $((M2 + 60)) >"$T/out" 2>"$T/err"; then
		ok "a database on a read-only file system is read"
	else
		not_ok "read-only file system"
	fi
	has "... all of it" out "3 of 3 minutes observed"
else
	for i in 1 2 3 4 5 6 7 8 9 10; do n=$((n + 1)); echo "ok $n # SKIP needs root, setpriv and nobody"; done
fi
check "a directory is not a database" 3 -- --db "$T"
has "... and is called one" err "is a directory, not a database file"

echo "1..$n"
[ "$fails" -eq 0 ]
