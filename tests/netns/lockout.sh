#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The lockout precheck of vigild apply: a policy that would no longer admit
# the caller's SSH session (SSH_CONNECTION, IPv4 and IPv6) or an
# established inbound TCP connection in conntrack is refused with the
# session and the deciding rule named, and the kernel keeps its table;
# --force and --confirm apply it (with the warning), also through a running
# watch; --dry-run only warns; a policy that still admits the session says
# nothing.
. "$(dirname "$0")/lib.sh"

netns_preflight
command -v python3 >/dev/null || bail_out "python3 is not installed"

ns_new H host || bail_out "namespace"
ns_new C client || bail_out "namespace"
veth "$H" vh0 "$C" vc0 || bail_out "veth"
addr "$H" vh0 10.81.0.1/24 && addr "$C" vc0 10.81.0.2/24 && addr "$C" vc0 10.81.0.3/24 &&
	addr "$H" vh0 fd81::1/64 && addr "$C" vc0 fd81::2/64 || bail_out "addresses"

# open: ssh and 2222 from the client's network; closed: ssh from .3 only,
# 2222 not at all
cat >"$TMP/open.yml" <<'EOF'
version: 1
rules:
  - {name: ssh, chain: input, proto: tcp, src: [10.81.0.0/24, "fd81::/64"], dport: 22, action: accept}
  - {name: app, chain: input, proto: tcp, dport: 2222, action: accept}
EOF
cat >"$TMP/closed.yml" <<'EOF'
version: 1
rules:
  - {name: ssh-admin, chain: input, proto: tcp, src: 10.81.0.3, dport: 22, action: accept}
  - {name: no-app, chain: input, proto: tcp, dport: 2222, action: reject}
EOF
chmod 644 "$TMP"/*.yml

V() { ip netns exec "$H" "$VIGILD" "$@"; }
table() { ip netns exec "$H" nft -s list table inet vigil 2>/dev/null; }
unchanged() { table >"$TMP/now" && cmp -s "$TMP/ref" "$TMP/now"; }
has() { grep -qF -- "$2" "$1"; }

V apply -q "$TMP/open.yml" || bail_out "apply open.yml"
table >"$TMP/ref"

# ---- SSH_CONNECTION ----
export SSH_CONNECTION="10.81.0.2 51234 10.81.0.1 22"
run "$TMP/ssh4" V apply "$TMP/closed.yml"
check "IPv4 session not admitted: apply refuses (exit 3)" test "$RC" = 3
check "... says 'this policy would refuse new connections from 10.81.0.2 to tcp/22, which your session uses' and why" \
	has "$TMP/ssh4.err" "error: this policy would refuse new connections from 10.81.0.2 to tcp/22, which your session uses (drop: the default of chain input)"
check "... and how to go on (--confirm or --force)" has "$TMP/ssh4.err" "--confirm TIME"
check "... and the kernel keeps its table" unchanged
diag_file "$TMP/ssh4.err"

SSH_CONNECTION="fd81::2 40022 fd81::1 22" run "$TMP/ssh6" V apply "$TMP/closed.yml"
check "IPv6 session not admitted: refused, named, kernel unchanged" \
	bash -c "test $RC = 3 && grep -qF 'from fd81::2 to tcp/22, which your session uses' '$TMP/ssh6.err'"
check "... the kernel unchanged" unchanged
SSH_CONNECTION="::ffff:10.81.0.2 40022 ::ffff:10.81.0.1 22" run "$TMP/mapped" V apply "$TMP/closed.yml"
check "an IPv4-mapped SSH_CONNECTION is read as IPv4" has "$TMP/mapped.err" "from 10.81.0.2 to tcp/22"

run "$TMP/dry" V apply --dry-run "$TMP/closed.yml"
check "--dry-run: exit 0 with the warning, nothing committed" \
	bash -c "test $RC = 0 && grep -qF 'warning: this policy would refuse new connections from 10.81.0.2' '$TMP/dry.err'"
check "... nothing committed" unchanged

SSH_CONNECTION="10.81.0.3 51234 10.81.0.1 22" run "$TMP/admitted" V apply "$TMP/closed.yml"
check "a session the policy still admits (10.81.0.3): applied, no warning" \
	bash -c "test $RC = 0 && ! grep -q 'would refuse' '$TMP/admitted.err'"
V apply -q "$TMP/open.yml" || bail_out "apply open.yml"

run "$TMP/force" V apply --force "$TMP/closed.yml"
check "--force: applied (exit 0), with the warning" \
	bash -c "test $RC = 0 && grep -qF 'warning: this policy would refuse new connections from 10.81.0.2 to tcp/22' '$TMP/force.err'"
check "... the kernel holds the new policy" bash -c "ip netns exec '$H' nft list table inet vigil | grep -q ssh-admin"
V apply -q "$TMP/open.yml" || bail_out "apply open.yml"
unset SSH_CONNECTION

# ---- established connections in conntrack ----
ip netns exec "$H" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 2222)); s.listen(4); print("ready", flush=True)
held = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(end - time.time())
    try: held.append(s.accept()[0])
    except OSError: break
' >"$TMP/server.out" 2>&1 &
_pid_list+=($!)
for _ in $(seq 50); do grep -q ready "$TMP/server.out" && break; sleep 0.1; done
for src in 10.81.0.2 10.81.0.2 10.81.0.3; do
	ip netns exec "$C" python3 -c '
import socket, sys, time
c = socket.create_connection(("10.81.0.1", 2222), timeout=3, source_address=(sys.argv[1], 0))
print("connected", flush=True); time.sleep(60)' "$src" >>"$TMP/client.out" 2>&1 &
	_pid_list+=($!)
done
for _ in $(seq 50); do [ "$(grep -c connected "$TMP/client.out")" = 3 ] && break; sleep 0.1; done
check "three connections to tcp/2222 are established (two from 10.81.0.2, one from .3)" \
	[ "$(grep -c connected "$TMP/client.out")" = 3 ]
table >"$TMP/ref"
run "$TMP/ct" V apply "$TMP/closed.yml"
check "established connections the policy would refuse: apply refuses (exit 3)" test "$RC" = 3
check "... naming each client with its count and the rule (2 from 10.81.0.2, 1 from .3, rule no-app)" \
	bash -c "grep -qF 'from 10.81.0.2 to tcp/2222, which 2 established connections use (reject: rule no-app (' '$TMP/ct.err' &&
		grep -qF 'from 10.81.0.3 to tcp/2222, which 1 established connection uses (reject: rule no-app (' '$TMP/ct.err'"
check "... and the kernel keeps its table" unchanged
diag_file "$TMP/ct.err"

run "$TMP/conf" V apply --confirm 60 "$TMP/closed.yml"
check "--confirm: applied with the warnings (the rollback guards it)" \
	bash -c "test $RC = 0 && grep -qF 'warning: this policy would refuse new connections from 10.81.0.2 to tcp/2222' '$TMP/conf.err'"
run "$TMP/rb" V rollback
check "... rolled back" unchanged

# ---- through a running watch (apply --confirm goes to it) ----
mkdir -p "$TMP/db" && chown "$(id -u vigil 2>/dev/null || id -u nobody)" "$TMP/db"
ip netns exec "$H" "$VIGILD" watch --db "$TMP/db/flows.db" "$TMP/open.yml" >"$TMP/watch.log" 2>&1 &
_pid_list+=($!)
for _ in $(seq 100); do grep -q "recording flows" "$TMP/watch.log" && break; sleep 0.05; done
SSH_CONNECTION="10.81.0.2 51234 10.81.0.1 22" run "$TMP/w" V apply --confirm 60 "$TMP/closed.yml"
check "with a watch: apply --confirm goes through it and warns about the session" \
	bash -c "test $RC = 0 && grep -qF 'warning: this policy would refuse new connections from 10.81.0.2 to tcp/22, which your session uses' '$TMP/w.err'"
diag_file "$TMP/w.err"
run "$TMP/wrb" V rollback
check "... and the watch rolls it back" test "$RC" = 0

done_testing
