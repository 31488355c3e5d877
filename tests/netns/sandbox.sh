#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The unprivileged main process's confinement (issue 14 points 5 and 8):
# - watch: not dumpable, NoNewPrivs 1, Seccomp 2, and (where the kernel has
#   Landlock) it cannot create a file outside its database, state and run
#   directories even where the file permissions would let its user do so:
#   VIGIL_SANDBOX_PROBE makes the confined process try, and log the outcome;
#   nor read a world-readable file outside its policy's, set files',
#   database, state and run directories (VIGIL_SANDBOX_READ_PROBE), and a
#   reload naming a set file in a new directory is refused at its line;
#   apply --confirm through it sends the policy's text (a policy it may not
#   read goes through; a set file beside it, out there, is refused);
# - check and apply as root read a set file only as the service user: a
#   set file naming a 0600 root file prints no byte of its content.
. "$(dirname "$0")/lib.sh"

netns_preflight

ns_new N sbox || bail_out "cannot create a namespace"

mkdir -p "$TMP/pol" "$TMP/open" "$TMP/lists" "$TMP/other" # the watch makes $TMP/db, for its user
chmod 755 "$TMP/pol" "$TMP/lists" "$TMP/other"
chmod 1777 "$TMP/open" # anyone may create files here: only Landlock stops it
printf '192.0.2.10\n' >"$TMP/lists/ok.txt"
printf 'root:$6$notahash:19000:0:99999:7:::\n' >"$TMP/other/shadow-like" # world-readable
printf '198.51.100.7\n' >"$TMP/other/new.txt"
chmod 644 "$TMP/lists/ok.txt" "$TMP/other/shadow-like" "$TMP/other/new.txt"
cat >"$TMP/pol/p.yml" <<YML
version: 1
table: vigil
defaults:
  input: accept
  forward: drop
  output: accept
sets:
  ok:
    type: cidr
    file: $TMP/lists/ok.txt
rules:
  - name: ssh
    chain: input
    proto: tcp
    dport: 22
    action: accept
  - name: listed
    chain: input
    src: "@ok"
    action: drop
YML
chmod 644 "$TMP/pol/p.yml"

status_field() { # PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

VIGIL_SANDBOX_PROBE="$TMP/open/probe-outside:$VIGIL_RUN_DIR/probe-run:$TMP/db/probe-db" \
	VIGIL_SANDBOX_READ_PROBE="$TMP/other/shadow-like:$TMP/lists/ok.txt:$TMP/pol/p.yml" \
	ip netns exec "$N" "$VIGILD" watch --db "$TMP/db/flows.db" "$TMP/pol/p.yml" \
	>"$TMP/watch.log" 2>&1 &
WP=$!
_pid_list+=("$WP")
for _ in $(seq 100); do
	grep -q "recording flows" "$TMP/watch.log" && break
	kill -0 "$WP" 2>/dev/null || break
	sleep 0.05
done
check "watch starts" grep -q "recording flows" "$TMP/watch.log" || diag_file "$TMP/watch.log"
check "watch main: NoNewPrivs 1" test "$(status_field "$WP" NoNewPrivs)" = 1
check "watch main: Seccomp 2" test "$(status_field "$WP" Seccomp)" = 2
# not dumpable: /proc/PID/fd and mem of a non-dumpable process belong to root
check "watch main: not dumpable (its /proc entries are root's)" \
	test "$(stat -c %u "/proc/$WP/fd")" = 0
if grep -q "Landlock is not available" "$TMP/watch.log"; then
	skip "Landlock checks" "the kernel has no Landlock (said at info)"
else
	check "Landlock: a file outside the watch's directories cannot be created" \
		grep -q "probe: creating $TMP/open/probe-outside: Permission denied" "$TMP/watch.log"
	check "Landlock: a file in the run directory can" \
		grep -q "probe: creating $VIGIL_RUN_DIR/probe-run: allowed" "$TMP/watch.log"
	check "Landlock: a file in the database's directory can" \
		grep -q "probe: creating $TMP/db/probe-db: allowed" "$TMP/watch.log"
	check "Landlock: a world-readable file outside the watch's directories cannot be read" \
		grep -q "probe: reading $TMP/other/shadow-like: Permission denied" "$TMP/watch.log"
	check "Landlock: its set file can" \
		grep -q "probe: reading $TMP/lists/ok.txt: allowed" "$TMP/watch.log"
	check "Landlock: its policy can" \
		grep -q "probe: reading $TMP/pol/p.yml: allowed" "$TMP/watch.log"
	check "the watch says what it may read" \
		grep -q "reads files only beneath $TMP/pol, $TMP/lists" "$TMP/watch.log"
	# a reload naming a set file in a directory the start did not name
	cp "$TMP/pol/p.yml" "$TMP/pol/p.yml.first"
	sed -i "s|$TMP/lists/ok.txt|$TMP/other/new.txt|" "$TMP/pol/p.yml"
	run "$TMP/reload-new" ip netns exec "$N" "$VIGILD" reload
	check "reload, set file in a new directory: refused" [ "$RC" -ne 0 ]
	check "reload, set file in a new directory: the error is at its line and says a restart is needed" \
		grep -q "p.yml:10:11: error: set file '$TMP/other/new.txt'.*outside the directories this vigild watch may read.*restart" "$TMP/reload-new.err"
	check "reload, set file in a new directory: the running set stays" \
		bash -c "ip netns exec '$N' nft list table inet vigil | grep -q 192.0.2.10"
	diag "$(cat "$TMP/reload-new.err")"
	cp "$TMP/pol/p.yml.first" "$TMP/pol/p.yml"
	# a set file gone, in a directory the policy names: read at a reload
	# once it is back (the limit is on directories, not files)
	mv "$TMP/lists/ok.txt" "$TMP/lists/ok.txt.away"
	run "$TMP/reload-missing" ip netns exec "$N" "$VIGILD" reload
	check "reload, set file gone: refused, No such file" grep -q "No such file" "$TMP/reload-missing.err"
	mv "$TMP/lists/ok.txt.away" "$TMP/lists/ok.txt"
	run "$TMP/reload-back" ip netns exec "$N" "$VIGILD" reload
	check "reload, set file back: applied" [ "$RC" -eq 0 ]
	# apply --confirm through the watch sends the policy's text: one in a
	# directory the watch may not read goes through it; its set files are
	# read by the watch, so one beside it, out there, is refused
	sed 's/dport: 22$/dport: 2222/' "$TMP/pol/p.yml" >"$TMP/other/c.yml"
	sed "s|$TMP/lists/ok.txt|new.txt|" "$TMP/other/c.yml" >"$TMP/other/c2.yml"
	chmod 644 "$TMP/other/c.yml" "$TMP/other/c2.yml"
	run "$TMP/confirm-out" ip netns exec "$N" "$VIGILD" apply --confirm 60 "$TMP/other/c.yml"
	check "apply --confirm of a policy the watch may not read: through the watch, applied" \
		bash -c "test $RC -eq 0 && grep -q 'c.yml applied; it is rolled back in 60 s' '$TMP/watch.log'" ||
		diag_file "$TMP/confirm-out.err"
	check "... its rule is live" bash -c "ip netns exec '$N' nft list table inet vigil | grep -q 'dport 2222'"
	run "$TMP/confirm-rb" ip netns exec "$N" "$VIGILD" rollback
	check "... rolled back: the watch's policy again" \
		bash -c "test $RC -eq 0 && ! ip netns exec '$N' nft list table inet vigil | grep -q 'dport 2222'"
	run "$TMP/confirm-set" ip netns exec "$N" "$VIGILD" apply --confirm 60 "$TMP/other/c2.yml"
	check "apply --confirm, its set file beside it outside what the watch may read: refused, exit 1" [ "$RC" -eq 1 ]
	check "... the error is at its line and says a restart is needed" \
		grep -q "c2.yml:10:11: error: set file 'new.txt'.*outside the directories this vigild watch may read.*restart" "$TMP/confirm-set.err" ||
		diag_file "$TMP/confirm-set.err"
	check "... nothing changed" \
		bash -c "ip netns exec '$N' nft list table inet vigil | grep -q 192.0.2.10 && ! ip netns exec '$N' nft list table inet vigil | grep -q 'dport 2222'"
fi
run "$TMP/control" setpriv --reuid=65534 --regid=65534 --clear-groups touch "$TMP/open/control"
check "control: unconfined, user nobody may create a file in the open directory" [ "$RC" -eq 0 ]
rm -f "$TMP/open/control"
check "nothing was left in the open directory" test -z "$(ls -A "$TMP/open")"
# a policy under the 16 MiB file limit whose JSON for the watch is over
# the control socket's 16 MiB (each '"' escaped): said before sending
{ cat "$TMP/pol/p.yml"; printf '# '; head -c $((9 << 20)) /dev/zero | tr '\0' '"'; echo; } >"$TMP/pol/quotes.yml"
run "$TMP/big" ip netns exec "$N" "$VIGILD" apply --confirm 60 "$TMP/pol/quotes.yml"
check "apply --confirm through the watch, its JSON over 16 MiB: exit 1, said at the policy" \
	bash -c "test $RC -eq 1 && grep -q 'quotes.yml:1:1: error: the policy, sent to the running watch as JSON .* is larger than its control socket.s limit of 16 MiB' '$TMP/big.err'" ||
	diag_file "$TMP/big.err"
diag "$(grep probe "$TMP/watch.log")"
kill -TERM "$WP"
wait "$WP"
check "watch stops cleanly under its confinement (exit 0)" [ $? -eq 0 ]

# a set file naming a root-only file: no byte of it is printed
printf '203.0.113.77\nTOPSECRET-hunter2\n' >"$TMP/secret.txt"
chmod 600 "$TMP/secret.txt"
cat >"$TMP/pol/leak.yml" <<YML
version: 1
table: vigil
sets:
  s:
    type: cidr
    file: $TMP/secret.txt
rules:
  - name: r
    chain: input
    src: "@s"
    action: drop
YML
chmod 644 "$TMP/pol/leak.yml"
for verb in check show apply; do
	run "$TMP/$verb" ip netns exec "$N" "$VIGILD" $verb "$TMP/pol/leak.yml"
	check "$verb as root of a set file only root may read: fails" [ "$RC" -ne 0 ]
	check "$verb: prints no byte of the file" \
		bash -c "! grep -q -e TOPSECRET -e 203.0.113.77 '$TMP/$verb.out' '$TMP/$verb.err'"
	check "$verb: says it could not read it as the service user" \
		grep -q "cannot read set file.*Permission denied" "$TMP/$verb.err"
	diag "$(head -3 "$TMP/$verb.err")"
done

# state directories (issue 14 point 6): never through a symbolic link, never
# in a directory others may write
mkdir -m 755 "$TMP/elsewhere"
ln -s "$TMP/elsewhere" "$TMP/statelink"
run "$TMP/symlink" env VIGIL_STATE_DIR="$TMP/statelink" ip netns exec "$N" "$VIGILD" apply -q "$TMP/pol/p.yml"
check "state dir a symbolic link: apply says so" grep -q "statelink.*symbolic link" "$TMP/symlink.err"
check "state dir a symbolic link: nothing is written where it points" test -z "$(ls -A "$TMP/elsewhere")"
diag "$(cat "$TMP/symlink.err")"
run "$TMP/open-parent" env VIGIL_STATE_DIR="$TMP/open/state" ip netns exec "$N" "$VIGILD" apply -q "$TMP/pol/p.yml"
check "state dir in a directory everyone may write: refused" \
	grep -q "$TMP/open is writable by users other than root" "$TMP/open-parent.err"
check "state dir in a directory everyone may write: not made" test ! -e "$TMP/open/state"
diag "$(cat "$TMP/open-parent.err")"

done_testing
