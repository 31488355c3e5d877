#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `meson install --destdir` and what it installs: every file in its
# conventional place (checked against what systemd, man and bash-completion
# search, not against a copy of the meson rules), the unit verified by
# systemd-analyze as installed, sysusers.d and tmpfiles.d entries applied
# by the real systemd-sysusers and systemd-tmpfiles to the DESTDIR, the
# examples valid for the installed vigild, the completion sourced and used.
# TAP.
source "$(dirname "$0")/lib.sh"

DEST=$TMP/dest
install_tree "$DEST" || bail_out "meson install --destdir failed"
root=false
[ "$(id -u)" -eq 0 ] && root=true

# ---- the binary ----
vigild=$BINDIR/vigild
if [ -x "$DEST$vigild" ] && "$DEST$vigild" --version | grep -q '^vigild '; then
	ok "vigild is installed in BINDIR ($vigild) and runs"
else
	not_ok "vigild is installed in BINDIR ($vigild) and runs"
fi

# ---- man pages: where man(1) finds them ----
for page in vigild.8 vigil-policy.5 vigil-flows.5; do
	sec=${page##*.}
	name=${page%.*}
	if [ -f "$DEST$MANDIR/man$sec/$page" ] &&
	   out=$(MANPATH=$DEST$MANDIR man -w "$sec" "$name" 2>&1) &&
	   [ "$out" = "$DEST$MANDIR/man$sec/$page" ]; then
		ok "man page $page is in $MANDIR/man$sec and man -w finds it there"
	else
		not_ok "man page $page is in $MANDIR/man$sec and man -w finds it there"
		diag "man -w: ${out:-}"
	fi
done

# ---- examples, schemas ----
examples=$DATADIR/doc/vigil/examples
n_ex=0
bad_ex=
for f in "$VIGIL_SRCDIR"/examples/*.yml; do
	b=$(basename "$f")
	n_ex=$((n_ex + 1))
	if [ ! -f "$DEST$examples/$b" ]; then
		bad_ex="$bad_ex $b(missing)"
	elif ! out=$("$DEST$vigild" check "$DEST$examples/$b" 2>&1); then
		bad_ex="$bad_ex $b(check: $out)"
	fi
done
if [ -z "$bad_ex" ] && [ "$n_ex" -gt 0 ] && [ -f "$DEST$examples/blocklist.txt" ]; then
	ok "the $n_ex examples and their set file are in $examples, valid for the installed vigild"
else
	not_ok "the examples are in $examples, valid for the installed vigild"
	diag "problems:$bad_ex"
fi
if [ -f "$DEST$DATADIR/vigil/policy.schema.json" ] &&
   grep -q "schema=$DATADIR/vigil/policy.schema.json" "$DEST$examples/webserver.yml"; then
	ok "the policy schema is in $DATADIR/vigil and the installed examples point at it"
else
	not_ok "the policy schema is in $DATADIR/vigil and the installed examples point at it"
fi
check "the flows schema in $DATADIR/vigil is schemas/flows.sql" \
	cmp "$VIGIL_SRCDIR/schemas/flows.sql" "$DEST$DATADIR/vigil/flows.sql"

# ---- the systemd unit ----
unit=$(installed_path vigild.service)
if [ -z "$unit" ]; then
	not_ok "vigild.service is installed"
else
	ok "vigild.service is installed ($unit)"
	exec_start=$(sed -n 's/^ExecStart=\([^ ]*\) watch .* \([^ ]*\)$/\1 \2/p' "$DEST$unit")
	if [ "$exec_start" = "$vigild $SYSCONFDIR/vigil/policy.yml" ]; then
		ok "its ExecStart runs the installed vigild on SYSCONFDIR/vigil/policy.yml"
	else
		not_ok "its ExecStart runs the installed vigild on SYSCONFDIR/vigil/policy.yml"
		diag "ExecStart: $(grep '^ExecStart=' "$DEST$unit")"
	fi
fi
socket=$(installed_path vigild.socket)
if [ -n "$socket" ] && [ "$(dirname "$socket")" = "$(dirname "${unit:-/}")" ]; then
	ok "vigild.socket (optional socket activation) is installed beside it"
else
	not_ok "vigild.socket is installed beside vigild.service (${socket:-missing})"
fi
if ! command -v systemd-analyze >/dev/null; then
	skip "the unit directory is one systemd searches" "no systemd-analyze"
	skip "systemd-analyze verify of the installed unit is clean" "no systemd-analyze"
	skip "systemd-analyze security: exposure below 2.5" "no systemd-analyze"
else
	if [ -n "$unit" ] && systemd-analyze unit-paths | grep -qx "$(dirname "$unit")"; then
		ok "the unit directory $(dirname "$unit") is one systemd searches"
	else
		not_ok "the unit directory is one systemd searches"
		diag "$(dirname "${unit:-?}") is not in 'systemd-analyze unit-paths'"
	fi
	if ! $root; then
		skip "systemd-analyze verify of the installed unit is clean" "needs root (overlay mounts)"
	else
		# As installed: the ExecStart binary and the man pages must exist.
		as_installed "$DEST" systemd-analyze verify "$unit" ${socket:+"$socket"} >"$TMP/verify" 2>&1
		rc=$?
		if [ $rc -eq 0 ] && [ ! -s "$TMP/verify" ]; then
			ok "systemd-analyze verify of the installed unit is clean"
		else
			not_ok "systemd-analyze verify of the installed unit is clean (exit $rc)"
			diag_file "$TMP/verify"
		fi
	fi
	if systemd-analyze security --offline=yes --root="$DEST" --threshold=25 \
		"$(basename "${unit:-vigild.service}")" >"$TMP/security" 2>&1; then
		ok "systemd-analyze security: $(grep -o 'exposure level.*' "$TMP/security" | tr -d '🙂')"
	else
		not_ok "systemd-analyze security: exposure below 2.5"
		tail -5 "$TMP/security" | diag "$(cat)"
	fi
fi

# ---- sysusers.d, tmpfiles.d: found and applied by systemd's own tools ----
sysusers=$(installed_path sysusers.d/vigil.conf)
tmpfiles=$(installed_path tmpfiles.d/vigil.conf)
if ! command -v systemd-sysusers >/dev/null || ! command -v systemd-tmpfiles >/dev/null; then
	skip "sysusers.d and tmpfiles.d entries" "no systemd-sysusers or systemd-tmpfiles"
else
	if [ -n "$sysusers" ] &&
	   systemd-sysusers --root="$DEST" --cat-config 2>/dev/null | grep -qx "# $DEST$sysusers"; then
		ok "systemd-sysusers --root finds $sysusers"
	else
		not_ok "systemd-sysusers --root finds sysusers.d/vigil.conf (${sysusers:-not installed})"
	fi
	if [ -n "$tmpfiles" ] &&
	   systemd-tmpfiles --root="$DEST" --cat-config 2>/dev/null | grep -qx "# $DEST$tmpfiles"; then
		ok "systemd-tmpfiles --root finds $tmpfiles"
	else
		not_ok "systemd-tmpfiles --root finds tmpfiles.d/vigil.conf (${tmpfiles:-not installed})"
	fi
	if ! $root; then
		skip "systemd-sysusers and systemd-tmpfiles create the user and directories" "needs root"
	else
		# a copy: the tree above stays as meson installed it
		cp -a "$DEST" "$TMP/root"
		mkdir -p "$TMP/root/etc"
		if systemd-sysusers --root="$TMP/root" "$TMP/root$sysusers" >"$TMP/su" 2>&1 &&
		   uid=$(awk -F: '$1 == "vigil" { print $3 }' "$TMP/root/etc/passwd") &&
		   [ -n "$uid" ] && [ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] &&
		   awk -F: '$1 == "vigil" { exit !($7 ~ /nologin$/) }' "$TMP/root/etc/passwd" &&
		   grep -q '^vigil:' "$TMP/root/etc/group"; then
			ok "systemd-sysusers creates system user and group vigil (uid $uid, nologin)"
		else
			not_ok "systemd-sysusers creates system user and group vigil"
			diag_file "$TMP/su"
		fi
		systemd-tmpfiles --root="$TMP/root" --create "$TMP/root$tmpfiles" >"$TMP/tf" 2>&1
		got_var=$(stat -c '%a %U %G' "$TMP/root/var/lib/vigil" 2>/dev/null)
		got_etc=$(stat -c '%a %U %G' "$TMP/root$SYSCONFDIR/vigil" 2>/dev/null)
		gid=$(awk -F: '$1 == "vigil" { print $3 }' "$TMP/root/etc/group")
		num_var=$(stat -c '%a %u %g' "$TMP/root/var/lib/vigil" 2>/dev/null)
		num_etc=$(stat -c '%a %u %g' "$TMP/root$SYSCONFDIR/vigil" 2>/dev/null)
		if [ "$num_var" = "750 ${uid:-x} ${gid:-x}" ] && [ "$num_etc" = "750 0 ${gid:-x}" ]; then
			ok "systemd-tmpfiles creates /var/lib/vigil 0750 vigil:vigil and $SYSCONFDIR/vigil 0750 root:vigil"
		else
			not_ok "systemd-tmpfiles creates /var/lib/vigil 0750 vigil:vigil and $SYSCONFDIR/vigil 0750 root:vigil"
			diag "got /var/lib/vigil: $got_var ($num_var), $SYSCONFDIR/vigil: $got_etc ($num_etc); vigil is $uid:$gid"
			diag_file "$TMP/tf"
		fi
	fi
fi

# ---- bash completion ----
comp=$(installed_path completions/vigild)
case $comp in
*/share/bash-completion/completions/vigild)
	ok "the completion is in a bash-completion completions directory ($comp)" ;;
*)
	not_ok "the completion is in a bash-completion completions directory (${comp:-not installed})" ;;
esac
out=$(bash --norc --noprofile -c 'set -u; source "$1" && complete -p vigild' _ "$DEST$comp" 2>&1)
if [ "$out" = "complete -F _vigild vigild" ]; then
	ok "the installed completion sources cleanly and registers for vigild"
else
	not_ok "the installed completion sources cleanly and registers for vigild"
	diag "$out"
fi
out=$(bash --norc --noprofile -c '
	source "$1"
	COMP_WORDS=(vigild wa); COMP_CWORD=1; COMP_LINE="vigild wa"; COMP_POINT=${#COMP_LINE}
	_vigild vigild wa vigild
	echo "${COMPREPLY[*]}"' _ "$DEST$comp" 2>&1)
if [ "$out" = "watch" ]; then
	ok "vigild wa<TAB> completes to watch"
else
	not_ok "vigild wa<TAB> completes to watch (got '$out')"
fi

# ---- nothing else, nothing outside the prefix but the service files ----
outside=$(grep -v "^$PREFIX/" <<<"$INSTALLED" | grep -vx -e "${unit:-/}" -e "${socket:-/}" -e "${sysusers:-/}" \
	-e "${tmpfiles:-/}" -e "${comp:-/}")
if [ -z "$outside" ]; then
	ok "everything else is installed under the prefix $PREFIX"
else
	not_ok "everything else is installed under the prefix $PREFIX"
	diag "outside: $outside"
fi

done_testing
