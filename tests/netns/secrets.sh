#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 14 point 5: a set file that points at a secret. vigild reads set
# files only after it has dropped its privileges (check and show included,
# when started as root), and never quotes a line of a file in a diagnostic
# beyond an address-shaped token. TAP.
source "$(dirname "$0")/lib.sh"

netns_preflight

D=$TMP/sec
mkdir -p "$D" && chmod 755 "$D"
# a root-only file with a password-hash-shaped line and an address
printf 'root:$6$NOTSHOWNHASH:19000:0:99999:7:::\n10.0.0.0/8\n' >"$D/shadow"
chmod 600 "$D/shadow"
ln -s "$D/shadow" "$D/list.txt"
cat >"$D/p.yml" <<'YML'
version: 1
sets:
  s: {type: cidr, file: list.txt}
rules:
  - {name: r, chain: input, src: "@s", action: drop}
YML

ns_new host host || bail_out "namespace"
for verb in check show; do
	"$VIGILD" $verb "$D/p.yml" >"$TMP/$verb.out" 2>&1
	rc=$?
	check "$verb as root of a set file that is a 0600 root file: exit 1 ($rc)" test $rc = 1
	check "... permission denied, read as the unprivileged user" \
		grep -q "cannot read set file 'list.txt' .*Permission denied" "$TMP/$verb.out"
	check "... and no line of it printed" bash -c "! grep -q NOTSHOWN '$TMP/$verb.out'"
done
snapshot "$host" "$TMP/before"
ip netns exec "$host" "$VIGILD" apply "$D/p.yml" >"$TMP/apply.out" 2>&1
rc=$?
check "apply as root: exit 1 ($rc), no line of the file printed" \
	bash -c "test $rc = 1 && ! grep -q NOTSHOWN '$TMP/apply.out'"
snapshot "$host" "$TMP/after"
check "... the kernel unchanged" same "$TMP/before.txt" "$TMP/after.txt"

# readable, but not a list of addresses: the error gives the place and the
# kind of mistake, not the content
cp "$D/shadow" "$D/plain.txt" && chmod 644 "$D/plain.txt"
sed 's/list.txt/plain.txt/' "$D/p.yml" >"$D/q.yml"
"$VIGILD" check "$D/q.yml" >"$TMP/q.out" 2>&1
rc=$?
check "a readable file of other content: exit 1 ($rc), the line's place, not its content" \
	bash -c "test $rc = 1 && grep -q 'plain.txt:1:1: error: bad address (an entry of [0-9]* characters, not shown' '$TMP/q.out' && ! grep -q NOTSHOWN '$TMP/q.out'"

done_testing
