#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Revoke (issue 18 point 4): two client namespaces, A and B, hold
# long-lived TCP connections (IPv4 and IPv6) to the host's tcp/22, admitted
# by the set admins. A policy that removes A from admins:
#   - applied without --revoke cuts nothing (A keeps talking);
#   - apply --dry-run --revoke lists A's two connections and cuts nothing;
#   - apply --revoke ends exactly A's two connections (their reads fail,
#     their conntrack entries are gone) and B's keep working;
#   - `revoke: true` in the policy does the same without the option, and
#     a watch's reload follows it;
#   - the helper refuses a flush, a filtered delete, another conntrack
#     message, and deletes nothing for a wrong id (ctdelprobe).
. "$(dirname "$0")/lib.sh"

netns_preflight
command -v python3 >/dev/null || bail_out "python3 is not installed"
command -v conntrack >/dev/null || bail_out "conntrack is not installed"
: "${CTDELPROBE:?CTDELPROBE must name the ctdelprobe binary (meson sets it)}"

ns_new H host || bail_out "namespace"
ns_new A clienta || bail_out "namespace"
ns_new B clientb || bail_out "namespace"
veth "$H" vha "$A" va0 && veth "$H" vhb "$B" vb0 || bail_out "veth"
addr "$H" vha 10.83.1.1/24 && addr "$A" va0 10.83.1.2/24 && addr "$A" va0 10.83.1.3/24 &&
	addr "$H" vhb 10.83.2.1/24 && addr "$B" vb0 10.83.2.2/24 &&
	addr "$H" vha fd83:1::1/64 && addr "$A" va0 fd83:1::2/64 &&
	addr "$H" vhb fd83:2::1/64 && addr "$B" vb0 fd83:2::2/64 || bail_out "addresses"

cat >"$TMP/old.yml" <<'EOF'
version: 1
sets:
  admins: {type: cidr, elements: [10.83.1.0/24, 10.83.2.2, "fd83:1::2", "fd83:2::2"]}
rules:
  - {name: ssh, chain: input, proto: tcp, src: "@admins", dport: 22, action: accept}
EOF
# A (10.83.1.2, fd83:1::2) is no longer an admin; 10.83.1.3 still is
cat >"$TMP/new.yml" <<'EOF'
version: 1
sets:
  admins: {type: cidr, elements: [10.83.1.3, 10.83.2.2, "fd83:2::2"]}
rules:
  - {name: ssh, chain: input, proto: tcp, src: "@admins", dport: 22, action: accept}
EOF
sed 's/^version: 1$/version: 1\nrevoke: true/' "$TMP/new.yml" >"$TMP/new-key.yml"
chmod 644 "$TMP"/*.yml

V() { ip netns exec "$H" "$VIGILD" "$@"; }
has() { grep -qF -- "$2" "$1"; }

# an echo server on tcp/22 (IPv4 and IPv6)
ip netns exec "$H" python3 -c '
import selectors, socket, time
sel = selectors.DefaultSelector()
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 22)); s.listen(16); sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
end = time.time() + 100
while time.time() < end:
    for k, _ in sel.select(1):
        if k.fileobj is s:
            c, _ = s.accept(); sel.register(c, selectors.EVENT_READ); continue
        try: d = k.fileobj.recv(64)
        except OSError: d = b""
        if d:
            k.fileobj.sendall(d)
        else:
            sel.unregister(k.fileobj); k.fileobj.close()
' >"$TMP/server.out" 2>&1 &
_pid_list+=($!)
for _ in $(seq 50); do grep -q ready "$TMP/server.out" && break; sleep 0.1; done
grep -q ready "$TMP/server.out" || bail_out "the echo server did not start"

V apply -q "$TMP/old.yml" || bail_out "apply old.yml"

# client NS NAME SRC DST: a connection that sends a line every 0.2 s and
# reads it back; "ok N" per round trip, "dead WHY" when one fails (2 s)
client() {
	ip netns exec "$1" python3 -c '
import socket, sys, time
src, dst = sys.argv[1], sys.argv[2]
c = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET)
c.bind((src, 0)); c.settimeout(2); c.connect((dst, 22))
print("connected", c.getsockname()[1], flush=True)
n, end = 0, time.time() + 90
while time.time() < end:
    try:
        c.sendall(b"ping\n")
        if not c.recv(16): print("dead eof", flush=True); break
    except OSError as e:
        print("dead", type(e).__name__, flush=True); break
    n += 1; print("ok", n, flush=True); time.sleep(0.2)
' "$3" "$4" >"$TMP/$2.out" 2>&1 &
	_pid_list+=($!)
}
oks() { grep -c '^ok' "$TMP/$1.out"; }
dead() { grep -q '^dead' "$TMP/$1.out"; }
port() { awk '/^connected/ { print $2 }' "$TMP/$1.out"; }
# alive NAME...: each makes at least 3 more round trips (within 3 s)
alive() {
	local n c before=()
	for c in "$@"; do before+=("$(oks "$c")"); done
	for _ in $(seq 30); do
		n=0
		for c in "$@"; do
			[ "$(oks "$c")" -ge $((before[n] + 3)) ] || break
			n=$((n + 1))
		done
		[ "$n" = $# ] && return 0
		sleep 0.1
	done
	for c in "$@"; do diag "$c: $(tail -1 "$TMP/$c.out")"; done
	return 1
}
ct_has() { # SRC: a conntrack entry from SRC to tcp/22
	ip netns exec "$H" conntrack -L -p tcp --dport 22 -s "$1" 2>/dev/null | grep -q "dport=22"
}

client "$A" a4 10.83.1.2 10.83.1.1
client "$A" a6 fd83:1::2 fd83:1::1
client "$B" b4 10.83.2.2 10.83.2.1
client "$B" b6 fd83:2::2 fd83:2::1
for _ in $(seq 50); do
	[ "$(grep -l '^ok 3$' "$TMP"/[ab][46].out 2>/dev/null | wc -l)" = 4 ] && break
	sleep 0.1
done
check "four connections to tcp/22 talk (A and B, IPv4 and IPv6)" alive a4 a6 b4 b6

# ---- without --revoke: nothing is cut ----
run "$TMP/plain" V apply --force "$TMP/new.yml"
check "apply of the policy without A (no --revoke): exit 0, no revoke line" \
	bash -c "test $RC = 0 && ! grep -q revoke '$TMP/plain.out'"
diag_file "$TMP/plain.out"
check "... A's connections keep working (established stays accepted)" alive a4 a6 b4 b6
check "... and A's conntrack entries are there" bash -c "$(declare -f ct_has); H=$H; ct_has 10.83.1.2 && ct_has fd83:1::2"

# ---- a dry run lists A and cuts nothing ----
run "$TMP/dry" V apply --dry-run --revoke "$TMP/new.yml"
diag_file "$TMP/dry.out"
check "apply --dry-run --revoke: exit 0, 'would revoke 2 connections: the default of chain input: 2'" \
	bash -c "test $RC = 0 && grep -q '^would revoke 2 connections: the default of chain input: 2 (' '$TMP/dry.out'"
check "... lists A's IPv4 and IPv6 connections by tuple" \
	bash -c "grep -qF '  would cut tcp 10.83.1.2:$(port a4) -> 10.83.1.1:22  (drop: the default of chain input)' '$TMP/dry.out' &&
		grep -qF '  would cut tcp [fd83:1::2]:$(port a6) -> [fd83:1::1]:22  (drop: the default of chain input)' '$TMP/dry.out'"
check "... and only those" test "$(grep -c 'would cut' "$TMP/dry.out")" = 2
check "... nothing was cut: all four still talk" alive a4 a6 b4 b6

# ---- --revoke: A's connections end, B's go on ----
run "$TMP/rev" V apply --revoke "$TMP/new.yml"
diag_file "$TMP/rev.out"
diag_file "$TMP/rev.err"
check "apply --revoke: exit 0 without --force (the connections are meant to end), 'revoked 2 connections: the default of chain input: 2'" \
	bash -c "test $RC = 0 && grep -q '^revoked 2 connections: the default of chain input: 2 (' '$TMP/rev.out'"
check "... names A's two connections" \
	bash -c "grep -qF '  cut tcp 10.83.1.2:$(port a4) -> 10.83.1.1:22' '$TMP/rev.out' &&
		grep -qF '  cut tcp [fd83:1::2]:$(port a6) -> [fd83:1::1]:22' '$TMP/rev.out'"
check "... warns about them instead of refusing" has "$TMP/rev.err" "warning: this policy would refuse new connections from 10.83.1.2 to tcp/22"
for _ in $(seq 60); do dead a4 && dead a6 && break; sleep 0.1; done
check "... A's IPv4 connection is cut (its read fails)" dead a4
check "... A's IPv6 connection is cut" dead a6
diag "a4: $(tail -1 "$TMP/a4.out"), a6: $(tail -1 "$TMP/a6.out")"
check "... A's conntrack entries are gone" bash -c "$(declare -f ct_has); H=$H; ! ct_has 10.83.1.2 && ! ct_has fd83:1::2"
check "... B's connections keep working (IPv4 and IPv6)" alive b4 b6
check "... and B's conntrack entries are there" bash -c "$(declare -f ct_has); H=$H; ct_has 10.83.2.2 && ct_has fd83:2::2"

# ---- revoke: true in the policy, a second run ----
V apply -q --force "$TMP/old.yml" || bail_out "apply old.yml"
client "$A" a4b 10.83.1.2 10.83.1.1
client "$A" a3 10.83.1.3 10.83.1.1
for _ in $(seq 50); do grep -q '^ok 3$' "$TMP/a4b.out" && grep -q '^ok 3$' "$TMP/a3.out" && break; sleep 0.1; done
run "$TMP/again" V apply --revoke "$TMP/new.yml"
# (A's dead connections may have left entries of their last packets: they
# may be counted too, so the check is on the tuples)
check "again: the new connection from 10.83.1.2 is cut, the one from 10.83.1.3 (an admin) is not, nor B's" \
	bash -c "test $RC = 0 && grep -q '^revoked [0-9]* connections\\?: the default of chain input' '$TMP/again.out' &&
		grep -qF '  cut tcp 10.83.1.2:$(port a4b) -> 10.83.1.1:22' '$TMP/again.out' &&
		! grep -qE 'cut tcp (10.83.1.3|10.83.2.2|\\[fd83:2::2\\])' '$TMP/again.out'"
diag_file "$TMP/again.out"
V apply -q --force "$TMP/old.yml" || bail_out "apply old.yml"
client "$A" a4c 10.83.1.2 10.83.1.1
for _ in $(seq 50); do grep -q '^ok 3$' "$TMP/a4c.out" && break; sleep 0.1; done
run "$TMP/key" V apply "$TMP/new-key.yml"
diag_file "$TMP/key.out"
check "revoke: true in the policy, no option: the new connection from 10.83.1.2 is revoked" \
	bash -c "test $RC = 0 && grep -q '^revoked [0-9]* connections\\?: the default of chain input' '$TMP/key.out' &&
		grep -qF '  cut tcp 10.83.1.2:$(port a4c) -> 10.83.1.1:22' '$TMP/key.out' &&
		! grep -qE 'cut tcp (10.83.1.3|10.83.2.2|\\[fd83:2::2\\])' '$TMP/key.out'"
for _ in $(seq 60); do dead a4c && break; sleep 0.1; done
check "... that connection is cut" dead a4c
check "... 10.83.1.3 (still an admin) and B keep working" alive a3 b4 b6

# ---- a watch's reload follows its policy's revoke: ----
cp "$TMP/old.yml" "$TMP/watched.yml" && chmod 644 "$TMP/watched.yml"
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
ip netns exec "$H" "$VIGILD" watch --db "$TMP/db/flows.db" "$TMP/watched.yml" >"$TMP/watch.log" 2>&1 &
WATCH=$!
_pid_list+=("$WATCH")
for _ in $(seq 100); do grep -q "recording flows" "$TMP/watch.log" && break; sleep 0.05; done
grep -q "recording flows" "$TMP/watch.log" || { diag_file "$TMP/watch.log"; bail_out "watch did not start"; }
client "$A" a4w 10.83.1.2 10.83.1.1
for _ in $(seq 50); do grep -q '^ok 3$' "$TMP/a4w.out" && break; sleep 0.1; done
check "under a watch: a new connection from 10.83.1.2 talks" alive a4w
check "... the watch's start revoked nothing" bash -c "! grep -q 'revoked' '$TMP/watch.log'"
cp "$TMP/new-key.yml" "$TMP/watched.yml"
kill -HUP "$WATCH"
for _ in $(seq 60); do dead a4w && grep -q 'revoked' "$TMP/watch.log" && break; sleep 0.1; done
diag_file "$TMP/watch.log"
check "SIGHUP with revoke: true: the watch logs 'revoked N connections: the default of chain input: N' naming the connection" \
	bash -c "grep -q 'revoked [0-9]* connections\\?: the default of chain input' '$TMP/watch.log' &&
		grep -qF 'revoked tcp 10.83.1.2:$(port a4w) -> 10.83.1.1:22 (the default of chain input)' '$TMP/watch.log'"
check "... that connection is cut" dead a4w
check "... B's connections keep working" alive b4 b6

# ---- the helper's CT_DELETE, hostile requests against the kernel ----
kill "$WATCH" 2>/dev/null
wait "$WATCH" 2>/dev/null
ip netns exec "$H" conntrack -I -p tcp -s 10.83.9.9 -d 10.83.1.1 --sport 1234 --dport 22 \
	--state ESTABLISHED -u ASSURED -t 120 >/dev/null 2>&1 || bail_out "conntrack -I"
ip netns exec "$H" "$CTDELPROBE" 10.83.9.9 10.83.1.1 22 >"$TMP/probe.out" 2>"$TMP/probe.err"
ip netns exec "$H" "$CTDELPROBE" set >>"$TMP/probe.out" 2>>"$TMP/probe.err"
diag_file "$TMP/probe.err"
check "the probe ran its 8 points" test "$(grep -c '^PASS\|^FAIL' "$TMP/probe.out")" = 8
while read -r st what; do
	check "helper: $what" test "$st" = PASS
done <"$TMP/probe.out"

done_testing
