#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The installed vigild.service under a real systemd (root). A systemd is
# booted as PID 1 of fresh PID, mount, network, UTS, IPC and cgroup
# namespaces, on the host's file systems with the installed tree laid over
# /usr and /etc (overlays), tmpfs on /run, /var and /tmp, a private /dev,
# /proc/sys and /sys read-only (but this network namespace's net.*
# sysctls), and its own cgroup (a child of ours, made the namespace's
# root). Nothing outside the namespaces changes; the cgroup is removed at
# the end. Then, as the README tells an operator: systemd-sysusers and
# systemd-tmpfiles with vigil's files, an example policy copied with mode
# 0640 group vigil, systemctl start; and checks of what the unit promises:
# Type=notify readiness, the privileges of both processes, real traffic
# from a second namespace recorded and attributed, the database's
# permissions (group vigil reads, others do not), systemctl reload with a
# good and a broken policy, stop (flush, exit 0, firewall stays), the
# --ct-accounting drop-in the unit describes, no restart loop on an
# invalid policy, systemd-analyze security.
#
# The test harness adds one drop-in, DefaultDependencies=no (so that the
# host's sysinit units are not started in the namespaces), and boots into
# a target that starts journald only.
#
# Skips (TAP plan "1..0 # SKIP") when it cannot boot a systemd here: not
# root, no systemd, no writable cgroup2 hierarchy. When PID 1 is systemd, it
# re-runs itself in a transient scope with Delegate=yes (not tested on this
# project's CI machine, whose PID 1 is not systemd).
source "$(dirname "$0")/lib.sh"
: "${VIGILD:?}" "${NETTOOL:?NETTOOL must name the nettool binary (meson sets it)}"

cannot() {
	echo "1..0 # SKIP $*"
	exit "${VIGIL_SKIP_STATUS:-77}"
}

[ "$(id -u)" -eq 0 ] || cannot "needs root"
SYSTEMD=
for p in /lib/systemd/systemd /usr/lib/systemd/systemd; do
	[ -x "$p" ] && SYSTEMD=$p && break
done
[ -n "$SYSTEMD" ] || cannot "no systemd binary"
for t in unshare nsenter ip nft sqlite3 setpriv useradd tar; do
	command -v "$t" >/dev/null || bail_out "'$t' is not installed"
done

if [ "$(cat /proc/1/comm)" = systemd ] && [ -z "${VIGIL_UNIT_SCOPE:-}" ]; then
	# a cgroup subtree of our own, which systemd leaves to us
	exec systemd-run --scope --quiet --collect -p Delegate=yes \
		env VIGIL_UNIT_SCOPE=1 bash "$0" "$@"
fi

cg2=
for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ "$(stat -fc %T "$m" 2>/dev/null)" = cgroup2fs ] && cg2=$m && break
done
[ -n "$cg2" ] || cannot "no cgroup2 hierarchy"
CG=$cg2$(sed -n 's/^0:://p' /proc/self/cgroup)/vigil-unit-$$
CG=${CG//\/\//\/}
mkdir "$CG" 2>/dev/null || cannot "cannot create a cgroup ($CG)"

DEST=$TMP/dest
install_tree "$DEST" || bail_out "meson install --destdir failed"
unit=$(installed_path vigild.service) || bail_out "no vigild.service was installed"
sysusers=$(installed_path sysusers.d/vigil.conf) || bail_out "no sysusers.d/vigil.conf"
tmpfiles=$(installed_path tmpfiles.d/vigil.conf) || bail_out "no tmpfiles.d/vigil.conf"
POLICY=$SYSCONFDIR/vigil/policy.yml
EXAMPLES=$DATADIR/doc/vigil/examples
mkdir -p "$TMP/tools"
cp "$NETTOOL" "$TMP/tools/nettool"
touch "$TMP/console.log"

# The namespaces' PID 1 runs this, then becomes systemd.
cat >"$TMP/boot.sh" <<'EOF'
set -eu
T=$1 DEST=$2 SYSTEMD=$3
mount --make-rprivate /
mount -t proc proc /proc
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount --bind /proc/sys/net /proc/sys/net
mount --bind /sys /sys
mount -o remount,bind,ro /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=755 tmpfs /var
mkdir -p /var/tmp /var/lib /var/log /var/cache
chmod 1777 /var/tmp
tops=$( (echo etc; echo usr; cd "$DEST" && for d in *; do readlink -f "/$d" | cut -d/ -f2; done) |
	sort -u)
for t in $tops; do
	case $t in var | run | tmp) continue ;; esac
	mkdir -p "$T/ov/$t/up" "$T/ov/$t/work"
	mount -t overlay overlay -o "lowerdir=/$t,upperdir=$T/ov/$t/up,workdir=$T/ov/$t/work" "/$t"
done
tar -C "$DEST" -cf - . | tar -C / -xf - --keep-directory-symlink --no-overwrite-dir
mkdir -p "$T/dev"
mount -t tmpfs -o mode=755 tmpfs "$T/dev"
for n in null zero full random urandom tty; do
	touch "$T/dev/$n"
	mount --bind "/dev/$n" "$T/dev/$n"
done
touch "$T/dev/console"
mount --bind "$T/console.log" "$T/dev/console"
mkdir -p "$T/dev/shm" "$T/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$T/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$T/dev/pts"
ln -s pts/ptmx "$T/dev/ptmx"
ln -s /proc/self/fd "$T/dev/fd"
mount --move "$T/dev" /dev
mkdir -p /run/systemd/system/vigild.service.d
cat >/run/systemd/system/vigil-test.target <<'U'
[Unit]
Description=vigil install test
DefaultDependencies=no
Wants=systemd-journald.socket systemd-journald.service
U
printf '[Unit]\nDefaultDependencies=no\n' >/run/systemd/system/vigild.service.d/harness.conf
mkdir -p /run/vigil-test
cp "$T/tools/nettool" /run/vigil-test/
ip link set lo up
mount -t tmpfs -o mode=1777 tmpfs /tmp
exec env -i container=vigil-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	"$SYSTEMD" --system --unit=vigil-test.target --log-target=console </dev/null \
	>/dev/console 2>&1
EOF

bash -c 'echo $$ >"$1/cgroup.procs" && exec unshare --cgroup --pid --fork --mount --net \
	--uts --ipc -- bash "$2/boot.sh" "$2" "$3" "$4"' _ "$CG" "$TMP" "$DEST" "$SYSTEMD" \
	>"$TMP/boot.log" 2>&1 &
UNSHARE=$!
SD=
_cleanup_hooks+=('
	# killing the namespaces PID 1 kills all in them; unshare reaps it
	if [ -n "$SD" ]; then kill -9 "$SD" 2>/dev/null; else kill -9 "$UNSHARE" 2>/dev/null; fi
	wait "$UNSHARE" 2>/dev/null
	for i in $(seq 100); do
		find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$CG" ] || break
		sleep 0.1
	done
	[ -d "$CG" ] && echo "# could not remove the cgroup $CG"')

# inns COMMAND...: runs COMMAND inside the namespaces
inns() {
	nsenter -t "$SD" -m -p -n -u -i -C -- "$@"
}

for i in $(seq 100); do
	SD=$(pgrep -P "$UNSHARE" | head -1)
	[ -n "$SD" ] && [ "$(cat "/proc/$SD/comm" 2>/dev/null)" = systemd ] && break
	SD=
	kill -0 "$UNSHARE" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$SD" ]; then
	diag "$(cat "$TMP/boot.log")"
	bail_out "could not boot systemd in the namespaces"
fi
state=
for i in $(seq 100); do
	state=$(inns systemctl is-system-running 2>/dev/null)
	case $state in running | degraded) break ;; esac
	sleep 0.1
done
case $state in
running | degraded) ok "systemd $($SYSTEMD --version | head -1 | cut -d' ' -f2) booted in the namespaces" ;;
*)
	not_ok "systemd booted in the namespaces (state: $state)"
	diag_file "$TMP/console.log"
	done_testing ;;
esac

# ---- as the README says: user, directories, a policy ----
if inns systemd-sysusers "$sysusers" >"$TMP/su" 2>&1 &&
   inns systemd-tmpfiles --create "$tmpfiles" >>"$TMP/su" 2>&1 &&
   inns install -m 0640 -g vigil "$EXAMPLES/webserver.yml" "$POLICY" >>"$TMP/su" 2>&1; then
	ok "systemd-sysusers, systemd-tmpfiles, example policy installed 0640 group vigil in $SYSCONFDIR/vigil"
else
	not_ok "systemd-sysusers, systemd-tmpfiles, example policy installed"
	diag_file "$TMP/su"
fi

# unit_prop PROPERTY
unit_prop() {
	inns systemctl show -p "$1" --value vigild.service
}

journal() {
	inns journalctl -u vigild.service --no-pager -o cat
}

# Type=notify: systemd says "Started" only after vigild's READY=1, which
# comes after its "recording flows" line
if inns systemctl start vigild.service >"$TMP/start" 2>&1 &&
   [ "$(unit_prop ActiveState)" = active ] && [ "$(unit_prop SubState)" = running ] &&
   journal | grep -E "recording flows|^Started " | head -1 | grep -q "recording flows"; then
	ok "systemctl start vigild: active (running) after vigild's READY=1 (Type=notify)"
else
	not_ok "systemctl start vigild: active (running)"
	diag_file "$TMP/start"
	journal | diag "$(cat)"
	done_testing
fi
ns_pid=$(unit_prop MainPID)
# MainPID is the PID in the namespaces; find the same process from here
MP=
for p in $(pgrep -x vigild); do
	[ "$(readlink "/proc/$p/ns/pid")" = "$(readlink "/proc/$SD/ns/pid")" ] &&
		[ "$(awk '$1 == "NSpid:" { print $3 }' "/proc/$p/status")" = "$ns_pid" ] && MP=$p
done
[ -n "$MP" ] || bail_out "cannot find vigild's main process (PID $ns_pid in the namespaces)"
HP=$(pgrep -P "$MP" | head -1)
if inns nft list table inet vigil 2>/dev/null | grep -q 'comment "managed by vigild"' &&
   inns nft list table inet vigil | grep -q 'comment "http"'; then
	ok "the policy is applied: table inet vigil, managed by vigild, with rule http"
else
	not_ok "the policy is applied: table inet vigil with rule http"
fi

status() { # PID FIELD
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
vigil_uid=$(inns id -u vigil)
got="uid=$(status "$MP" Uid) eff=$(status "$MP" CapEff) prm=$(status "$MP" CapPrm) bnd=$(status "$MP" CapBnd) amb=$(status "$MP" CapAmb) nnp=$(status "$MP" NoNewPrivs) seccomp=$(status "$MP" Seccomp)"
want="uid=$vigil_uid eff=0000000000000000 prm=0000000000000000 bnd=0000000000000000 amb=0000000000000000 nnp=1 seccomp=2"
if [ "$got" = "$want" ]; then
	ok "main process: user vigil, no capabilities (bounding and ambient empty), no_new_privs, seccomp"
else
	not_ok "main process: user vigil, no capabilities, no_new_privs, seccomp"
	diag "got:  $got"
	diag "want: $want"
fi
got="uid=$(status "$HP" Uid) eff=$(status "$HP" CapEff) prm=$(status "$HP" CapPrm) bnd=$(status "$HP" CapBnd) nnp=$(status "$HP" NoNewPrivs) seccomp=$(status "$HP" Seccomp)"
want="uid=$vigil_uid eff=0000000000001000 prm=0000000000001000 bnd=0000000000000000 nnp=1 seccomp=2"
if [ "$got" = "$want" ]; then
	ok "commit helper: user vigil, CAP_NET_ADMIN only, no_new_privs, seccomp"
else
	not_ok "commit helper: user vigil, CAP_NET_ADMIN only, no_new_privs, seccomp"
	diag "got:  $got"
	diag "want: $want"
fi

# ---- real traffic from a second namespace ----
inns ip netns add peer
inns ip link add v0 type veth peer name v1 netns peer
inns ip addr add 10.62.0.1/24 dev v0
inns ip link set v0 up
inns ip netns exec peer ip addr add 10.62.0.2/24 dev v1
inns ip netns exec peer ip link set v1 up
inns ip netns exec peer ip link set lo up
inns sh -c '/run/vigil-test/nettool serve --lifetime 120 tcp 80 8080 22 >/run/vigil-test/serve.log 2>&1 &'
for i in $(seq 50); do
	inns grep -q '^ready$' /run/vigil-test/serve.log 2>/dev/null && break
	sleep 0.1
done
probe() { # PORT
	inns ip netns exec peer /run/vigil-test/nettool probe tcp 10.62.0.1 "$1" 1000 >/dev/null 2>&1
}
ok80=0
for i in 1 2 3; do probe 80 && ok80=$((ok80 + 1)); done
if [ $ok80 -eq 3 ] && ! probe 22; then
	ok "through the firewall: tcp/80 accepted (3 of 3), tcp/22 from a non-admin dropped"
else
	not_ok "through the firewall: tcp/80 accepted ($ok80 of 3), tcp/22 dropped"
fi
sleep 2.2 # vigild writes once a second

DB=/var/lib/vigil/flows.db
got=$(inns stat -c '%a %U %G' /var/lib/vigil "$DB" | tr '\n' ' ')
if [ "$got" = "750 vigil vigil 640 vigil vigil " ]; then
	ok "/var/lib/vigil is 0750 and flows.db 0640, both vigil:vigil (StateDirectory=, UMask=0027)"
else
	not_ok "/var/lib/vigil 0750 and flows.db 0640, vigil:vigil"
	diag "got: $got"
fi
inns useradd -M -N -G vigil -s /usr/sbin/nologin alice
inns useradd -M -N -s /usr/sbin/nologin bob
# as_user USER COMMAND...
as_user() {
	local u=$1
	shift
	inns setpriv --reuid="$u" --regid="$(inns id -g "$u")" --init-groups -- "$@"
}
out=$(as_user alice "$BINDIR/vigild" flows --rule http --json 2>/dev/null)
flows=$(python3 -c 'import json,sys; print(sum(r["flows"] for r in json.load(sys.stdin) if r["src"] == "10.62.0.2" and r["dport"] == 80))' <<<"$out" 2>&1)
if [ "$flows" = 3 ]; then
	ok "vigild flows as alice (group vigil): the 3 connections, attributed to rule http"
else
	not_ok "vigild flows as alice (group vigil): the 3 connections, attributed to rule http"
	diag "got: $flows; output: $out"
fi
out=$(as_user bob "$BINDIR/vigild" flows 2>&1)
rc=$?
if [ $rc -eq 3 ] && grep -q "Permission denied" <<<"$out"; then
	ok "vigild flows as bob (not in group vigil): exit 3, permission denied"
else
	not_ok "vigild flows as bob (not in group vigil): exit 3, permission denied (exit $rc)"
	diag "$out"
fi

# ---- reload: a good policy, then a broken one ----
inns sh -c "cat >>'$POLICY'" <<'EOF'

  - name: alt-http
    chain: input
    proto: tcp
    dport: 8080
    action: accept
EOF
wait_rule() { # NAME
	for i in $(seq 50); do
		inns nft list table inet vigil | grep -q "comment \"$1\"" && return 0
		sleep 0.1
	done
	return 1
}
if inns systemctl reload vigild.service && wait_rule alt-http && probe 8080 &&
   [ "$(unit_prop ActiveState)" = active ] && [ "$(unit_prop MainPID)" = "$ns_pid" ]; then
	ok "systemctl reload with a new rule: applied (tcp/8080 now accepted), same main process"
else
	not_ok "systemctl reload with a new rule: applied, same main process"
	journal | tail -5 | diag "$(cat)"
fi
inns nft list table inet vigil | grep -v 'counter packets' >"$TMP/before"
inns sh -c "echo '  - {name: broken, chain: nowhere, action: accept}' >>'$POLICY'"
inns systemctl reload vigild.service
for i in $(seq 50); do
	journal | grep -q "the running policy stays" && break
	sleep 0.1
done
inns nft list table inet vigil | grep -v 'counter packets' >"$TMP/after"
if journal | grep -q "policy.yml:[0-9]*:[0-9]*: error: chain must be input, output or forward" &&
   journal | grep -q "the running policy stays" && cmp -s "$TMP/before" "$TMP/after" &&
   [ "$(unit_prop ActiveState)" = active ] && probe 8080; then
	ok "systemctl reload with a broken policy: error in the journal with its place, the running policy stays, still active"
else
	not_ok "systemctl reload with a broken policy: the running policy stays"
	journal | tail -5 | diag "$(cat)"
	diff "$TMP/before" "$TMP/after" | head -10 | diag "$(cat)"
fi
inns sed -i '/name: broken/d' "$POLICY"

# ---- security as systemd sees the running unit ----
if inns systemd-analyze security --threshold=25 vigild.service >"$TMP/security" 2>&1; then
	ok "systemd-analyze security of the running unit: $(grep -o 'exposure level.*' "$TMP/security" | tr -d '🙂')"
else
	not_ok "systemd-analyze security of the running unit: exposure below 2.5"
	tail -3 "$TMP/security" | diag "$(cat)"
fi

# ---- stop: flush, exit 0, the firewall stays ----
probe 80
inns systemctl stop vigild.service
if [ "$(unit_prop Result)" = success ] && [ "$(unit_prop ExecMainStatus)" = 0 ] &&
   journal | grep -q "Terminated: flushing and exiting" &&
   inns nft list table inet vigil >/dev/null 2>&1; then
	ok "systemctl stop: vigild flushes and exits 0; the firewall stays in the kernel"
else
	not_ok "systemctl stop: vigild flushes and exits 0; the firewall stays"
	diag "Result=$(unit_prop Result) ExecMainStatus=$(unit_prop ExecMainStatus)"
fi
n=$(inns sqlite3 "$DB" "SELECT SUM(flows) FROM flows WHERE rule = 'http' AND dport = 80")
if [ "$n" = 4 ]; then
	ok "the connection made just before the stop was written (4 for rule http)"
else
	not_ok "the connection made just before the stop was written (got $n for rule http, want 4)"
fi

# ---- the --ct-accounting drop-in of the unit's comment ----
dropin=$(sed -n '/^#   \[Service\]/,/^#   ExecStart=.*--ct-accounting/s/^#   //p' "$DEST$unit")
# this network namespace is new: both are off (0) unless the drop-in works
before=$(inns cat /proc/sys/net/netfilter/nf_conntrack_acct /proc/sys/net/netfilter/nf_conntrack_timestamp |
	tr '\n' ' ')
[ "$before" = "0 0 " ] || diag "nf_conntrack_acct and _timestamp were '$before' before the drop-in"
inns mkdir -p /etc/systemd/system/vigild.service.d
printf '%s\n' "$dropin" | inns sh -c 'cat >/etc/systemd/system/vigild.service.d/accounting.conf'
inns systemctl daemon-reload
if [ "$before" = "0 0 " ] && [ "$(grep -c . <<<"$dropin")" -eq 4 ] &&
   inns systemctl start vigild.service &&
   [ "$(inns cat /proc/sys/net/netfilter/nf_conntrack_acct)" = 1 ] &&
   [ "$(inns cat /proc/sys/net/netfilter/nf_conntrack_timestamp)" = 1 ]; then
	ok "the unit's --ct-accounting drop-in works: both sysctls on, with ProtectKernelTunables= still set"
else
	not_ok "the unit's --ct-accounting drop-in works"
	diag "drop-in: $dropin"
	journal | tail -5 | diag "$(cat)"
fi
probe 80
inns sh -c 'conntrack -F >/dev/null 2>&1' # end the connection now: its DESTROY carries the counters
sleep 2.2
bytes=$(inns sqlite3 "$DB" "SELECT SUM(bytes) FROM flows_v WHERE rule = 'http' AND bytes IS NOT NULL")
if [ -n "$bytes" ] && [ "$bytes" -gt 0 ]; then
	ok "with accounting, ended flows carry bytes ($bytes for rule http)"
else
	not_ok "with accounting, ended flows carry bytes (got '$bytes')"
fi
inns systemctl stop vigild.service
inns rm /etc/systemd/system/vigild.service.d/accounting.conf
inns systemctl daemon-reload

# ---- an invalid policy at start: failed, no restart loop ----
inns sh -c "echo 'rules: [' >>'$POLICY'"
inns systemctl start vigild.service >/dev/null 2>&1
sleep 6 # RestartSec=5s: a restart would have happened by now
if [ "$(unit_prop ActiveState)" = failed ] && [ "$(unit_prop ExecMainStatus)" = 1 ] &&
   [ "$(unit_prop NRestarts)" = 0 ]; then
	ok "an invalid policy at start: failed with exit status 1, not restarted (RestartPreventExitStatus=)"
else
	not_ok "an invalid policy at start: failed with exit 1, not restarted"
	diag "ActiveState=$(unit_prop ActiveState) ExecMainStatus=$(unit_prop ExecMainStatus) NRestarts=$(unit_prop NRestarts)"
fi

done_testing
