#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The capabilities vigild needs at start, as vigild.service and vigild(8)
# state them, checked one at a time against the real kernel in a throwaway
# network namespace (root). Two ways to start:
#   as root, the bounding set limited (setpriv --bounding-set): apply and
#     watch need CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID; watch also CAP_CHOWN
#     when it creates the database directory; CAP_SETPCAP empties the
#     bounding set after the drop;
#   as the unprivileged user with ambient capabilities (the unit's way):
#     CAP_NET_ADMIN alone, the bounding set CAP_NET_ADMIN as the unit's
#     CapabilityBoundingSet= leaves it (the unit gives no CAP_SETPCAP: under
#     no_new_privs, which the unit and vigild set, an execve cannot bring a
#     capability back, shown here with a file capability on a copy of
#     setpriv); --ct-accounting writes the conntrack sysctls with
#     CAP_NET_ADMIN.
# The user is nobody (the vigil user need not exist here). TAP.
source "$(dirname "$0")/lib.sh"
: "${VIGILD:?VIGILD must name the vigild binary (meson sets it)}"

if [ "$(id -u)" -ne 0 ]; then
	[ "${VIGIL_REQUIRE_NETNS:-0}" = 1 ] && bail_out "needs root (VIGIL_REQUIRE_NETNS=1)"
	echo "1..0 # SKIP needs root"
	exit "${VIGIL_SKIP_STATUS:-77}"
fi
# vigild's state and run directories: the test's own
export VIGIL_STATE_DIR="$TMP/state" VIGIL_RUN_DIR="$TMP/run"
for t in ip nft setpriv setcap; do
	command -v "$t" >/dev/null || bail_out "'$t' is not installed"
done
NS=vigil-caps-$$
ip netns add "$NS" || bail_out "cannot create a network namespace"
WATCH_PID=
_cleanup_hooks+=('[ -n "$WATCH_PID" ] && kill -9 "$WATCH_PID" 2>/dev/null' 'ip netns del "$NS" 2>/dev/null')
ip -n "$NS" link set lo up

cat >"$TMP/p.yml" <<'EOF'
version: 1
rules:
  - {name: ssh, chain: input, proto: tcp, dport: 22, action: accept}
EOF
chmod 755 "$TMP"
chmod 644 "$TMP/p.yml"

# as_root CAPS... -- vigild ARGS: root with only CAPS in its bounding set.
# Both exec: called in a subshell ($(...) or &), whose PID becomes vigild's.
as_root() {
	local b=-all
	while [ "$1" != -- ]; do b="$b,+$1"; shift; done
	shift
	exec ip netns exec "$NS" setpriv --bounding-set="$b" --inh-caps=-all -- "$VIGILD" "$@"
}

# as_user CAPS... -- vigild ARGS: nobody with CAPS as ambient capabilities
# and as its bounding set (what vigild.service's AmbientCapabilities= and
# CapabilityBoundingSet= give), under no_new_privs (NoNewPrivileges=)
as_user() {
	local a=-all
	while [ "$1" != -- ]; do a="$a,+$1"; shift; done
	shift
	exec ip netns exec "$NS" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		--inh-caps="$a" --ambient-caps="$a" --bounding-set="$a" --no-new-privs -- \
		"$VIGILD" "$@"
}

has_table() {
	ip netns exec "$NS" nft list table inet vigil >/dev/null 2>&1
}

remove_table() {
	ip netns exec "$NS" nft delete table inet vigil 2>/dev/null
	return 0
}

# apply_with WHO CAPS...: vigild apply as WHO (as_root or as_user); sets OUT, RC
apply_with() {
	local who=$1
	shift
	remove_table
	OUT=$("$who" "$@" -- apply -q --user nobody "$TMP/p.yml" 2>&1)
	RC=$?
}

# watch_with WHO DB CAPS... [-- EXTRA ARGS]: starts vigild watch; WATCH_PID
# is set when it records. Returns 1 (and leaves the output in OUT) if it
# exits instead.
watch_with() {
	local who=$1 db=$2 i caps=() extra=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do caps+=("$1"); shift; done
	[ $# -gt 0 ] && shift && extra=("$@")
	remove_table
	: >"$TMP/watch.log"
	"$who" "${caps[@]}" -- watch --user nobody --db "$db" "${extra[@]}" "$TMP/p.yml" \
		>"$TMP/watch.log" 2>&1 &
	WATCH_PID=$!
	for i in $(seq 100); do
		if grep -q "recording flows" "$TMP/watch.log"; then
			return 0
		fi
		if ! kill -0 "$WATCH_PID" 2>/dev/null; then
			wait "$WATCH_PID"
			RC=$?
			OUT=$(cat "$TMP/watch.log")
			WATCH_PID=
			return 1
		fi
		sleep 0.05
	done
	OUT="did not start in 5 s: $(cat "$TMP/watch.log")"
	kill "$WATCH_PID"
	wait "$WATCH_PID"
	WATCH_PID=
	return 1
}

stop_watch() {
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID"
	RC=$?
	WATCH_PID=
	return $RC
}

# proc PID FIELD: a field of /proc/PID/status
proc() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# caps_of PID: "CapEff CapPrm CapBnd"
caps_of() {
	echo "$(proc "$1" CapEff) $(proc "$1" CapPrm) $(proc "$1" CapBnd)"
}

NET_ADMIN=0000000000001000

# ---- started as root ----
base=(net_admin setuid setgid)
apply_with as_root "${base[@]}"
if [ $RC -eq 0 ] && has_table; then
	ok "as root with only CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID: apply works"
else
	not_ok "as root with only CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID: apply works (exit $RC)"
	diag "$OUT"
fi
for drop in net_admin setuid setgid; do
	caps=()
	for c in "${base[@]}"; do [ "$c" = "$drop" ] || caps+=("$c"); done
	apply_with as_root "${caps[@]}"
	if [ $RC -eq 3 ] && ! has_table; then
		ok "as root without CAP_${drop^^}: apply exits 3 and changes nothing"
	else
		not_ok "as root without CAP_${drop^^}: apply exits 3 and changes nothing (exit $RC)"
		diag "$OUT"
	fi
done
apply_with as_root setuid setgid
if grep -q "needs CAP_NET_ADMIN" <<<"$OUT"; then
	ok "without CAP_NET_ADMIN the message names it"
else
	not_ok "without CAP_NET_ADMIN the message names it"
	diag "$OUT"
fi

mkdir -p "$TMP/db"
chown nobody "$TMP/db"
if watch_with as_root "$TMP/db/flows.db" "${base[@]}"; then
	stop_watch
	rc=$?
	if [ $rc -eq 0 ] && [ -s "$TMP/db/flows.db" ]; then
		ok "as root with those three: watch records into an existing directory, exits 0 on SIGTERM"
	else
		not_ok "as root with those three: watch records, exits 0 on SIGTERM (exit $rc)"
		diag_file "$TMP/watch.log"
	fi
else
	not_ok "as root with those three: watch records into an existing directory"
	diag "$OUT"
fi

# a directory root may create in without CAP_DAC_OVERRIDE: without
# CAP_CHOWN it cannot be given to the user, so flows are not recorded, but
# the firewall goes in all the same (a booting host is never left open)
mkdir -p "$TMP/db2"
remove_table
as_root "${base[@]}" -- watch --user nobody --db "$TMP/db2/missing/flows.db" "$TMP/p.yml" \
	>"$TMP/watch.log" 2>&1 &
WATCH_PID=$!
for i in $(seq 100); do grep -q "applied" "$TMP/watch.log" && break; sleep 0.05; done
if grep -q "cannot give .*/db2/missing to uid .*flows are not recorded" "$TMP/watch.log" &&
   grep -q "applied" "$TMP/watch.log" && kill -0 "$WATCH_PID" 2>/dev/null &&
   [ ! -e "$TMP/db2/missing" ]; then
	ok "without CAP_CHOWN, watch cannot create the database directory for its user: it says so, applies the policy, and leaves no directory"
else
	not_ok "without CAP_CHOWN, watch cannot create the database directory for its user"
	diag_file "$TMP/watch.log"
fi
stop_watch
rm -rf "$TMP/db2/missing"
if watch_with as_root "$TMP/db2/missing/flows.db" "${base[@]}" chown; then
	stop_watch
	owner=$(stat -c '%U %a' "$TMP/db2/missing")
	if [ "$owner" = "nobody 750" ]; then
		ok "with CAP_CHOWN, watch creates the database directory, 0750, owned by its user"
	else
		not_ok "with CAP_CHOWN, watch creates the database directory, 0750, owned by its user"
		diag "got: $owner"
	fi
else
	not_ok "with CAP_CHOWN, watch creates the database directory"
	diag "$OUT"
fi

# the bounding set after the drop: emptied only with CAP_SETPCAP
for with in no yes; do
	caps=("${base[@]}")
	[ $with = yes ] && caps+=(setpcap)
	if watch_with as_root "$TMP/db/flows.db" "${caps[@]}"; then
		main=$(caps_of "$WATCH_PID")
		helper=$(caps_of "$(pgrep -P "$WATCH_PID" | head -1)")
		stop_watch
		# without CAP_SETPCAP the bounding set stays what setpriv left
		if [ $with = yes ]; then
			want_main="0000000000000000 0000000000000000 0000000000000000"
			want_helper="$NET_ADMIN $NET_ADMIN 0000000000000000"
		else
			bnd=$(printf '%016x' $(((1 << 12) | (1 << 7) | (1 << 6))))
			want_main="0000000000000000 0000000000000000 $bnd"
			want_helper="$NET_ADMIN $NET_ADMIN $bnd"
		fi
		if [ "$main" = "$want_main" ] && [ "$helper" = "$want_helper" ]; then
			ok "as root $([ $with = yes ] && echo with || echo without) CAP_SETPCAP: main holds nothing, the helper only CAP_NET_ADMIN, bounding sets $([ $with = yes ] && echo empty || echo untouched)"
		else
			not_ok "as root $([ $with = yes ] && echo with || echo without) CAP_SETPCAP: capabilities after the drop"
			diag "main (eff prm bnd): $main, want $want_main"
			diag "helper: $helper, want $want_helper"
		fi
	else
		not_ok "as root with CAP_SETPCAP=$with: watch starts"
		diag "$OUT"
	fi
done

# ---- the unit's way: the unprivileged user with ambient capabilities ----
chmod 777 "$TMP/db"
rm -f "$TMP/db"/flows.db*
if watch_with as_user "$TMP/db/flows.db" net_admin; then
	main=$(caps_of "$WATCH_PID")
	helper=$(caps_of "$(pgrep -P "$WATCH_PID" | head -1)")
	uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/$WATCH_PID/status")
	nnp=$(proc "$WATCH_PID" NoNewPrivs)
	stop_watch
	rc=$?
	if [ "$main" = "0000000000000000 0000000000000000 $NET_ADMIN" ] &&
	   [ "$helper" = "$NET_ADMIN $NET_ADMIN $NET_ADMIN" ] &&
	   [ "$uid" = "$(id -u nobody)" ] && [ "$nnp" = 1 ] && [ $rc -eq 0 ]; then
		ok "as nobody with ambient CAP_NET_ADMIN alone (the unit): watch runs, main holds nothing, the helper only CAP_NET_ADMIN, no_new_privs"
	else
		not_ok "as nobody with ambient CAP_NET_ADMIN alone (the unit): watch runs with the right capabilities"
		diag "main: $main; helper: $helper; uid $uid; NoNewPrivs $nnp; exit $rc"
		diag_file "$TMP/watch.log"
	fi
else
	not_ok "as nobody with ambient CAP_NET_ADMIN alone (the unit): watch runs"
	diag "$OUT"
fi

# Why the unit needs no CAP_SETPCAP to empty the bounding set: a process
# without capabilities under no_new_privs, its bounding set still holding
# CAP_NET_ADMIN, executes a file that carries CAP_NET_ADMIN as a file
# capability, and gets nothing (without no_new_privs it would get it:
# the control, so the test can fail).
cp "$(command -v cat)" "$TMP/fcap-cat"
chmod 755 "$TMP/fcap-cat"
setcap cap_net_admin+ep "$TMP/fcap-cat"
# CapEff of the file-capability cat, run from a shell that nobody runs with
# no capabilities and the bounding set CAP_NET_ADMIN (the shell between
# matters: setpriv itself keeps its own capabilities up to its exec);
# $1: an extra setpriv option
fcap_eff() {
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --inh-caps=-all \
		--bounding-set=-all,+net_admin $1 -- sh -c "exec '$TMP/fcap-cat' /proc/self/status" |
		awk '$1 == "CapEff:" { print $2 }'
}
with_nnp=$(fcap_eff --no-new-privs)
without=$(fcap_eff "")
if [ "$with_nnp" = 0000000000000000 ] && [ "$without" = "$NET_ADMIN" ]; then
	ok "under no_new_privs a file capability in the bounding set is not granted (without: $without), so an empty bounding set would add nothing"
else
	not_ok "under no_new_privs a file capability in the bounding set is not granted"
	diag "effective with no_new_privs: '$with_nnp', without: '$without'"
fi

apply_with as_user net_admin
if [ $RC -eq 0 ] && has_table; then
	ok "as nobody with ambient CAP_NET_ADMIN alone: apply works"
else
	not_ok "as nobody with ambient CAP_NET_ADMIN alone: apply works (exit $RC)"
	diag "$OUT"
fi
apply_with as_user setpcap
if [ $RC -eq 3 ] && ! has_table; then
	ok "as nobody without CAP_NET_ADMIN: apply exits 3 and changes nothing"
else
	not_ok "as nobody without CAP_NET_ADMIN: apply exits 3 and changes nothing (exit $RC)"
	diag "$OUT"
fi

# --ct-accounting writes this namespace's conntrack sysctls with CAP_NET_ADMIN
for s in nf_conntrack_acct nf_conntrack_timestamp; do
	ip netns exec "$NS" sysctl -qw "net.netfilter.$s=0"
done
if watch_with as_user "$TMP/db/flows.db" net_admin -- --ct-accounting; then
	stop_watch
	got=$(ip netns exec "$NS" cat /proc/sys/net/netfilter/nf_conntrack_acct \
		/proc/sys/net/netfilter/nf_conntrack_timestamp | tr '\n' ' ')
	if [ "$got" = "1 1 " ]; then
		ok "as nobody with CAP_NET_ADMIN, --ct-accounting turns on nf_conntrack_acct and _timestamp"
	else
		not_ok "as nobody with CAP_NET_ADMIN, --ct-accounting turns on nf_conntrack_acct and _timestamp"
		diag "got: $got"
	fi
else
	not_ok "as nobody with CAP_NET_ADMIN, watch --ct-accounting starts"
	diag "$OUT"
fi

done_testing
