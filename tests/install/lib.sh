# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the install tests (sourced by bash scripts; see README).
#
# Nothing here changes the host: `meson install` goes to a temporary
# DESTDIR, and what must look installed (for systemd-analyze, or to boot a
# systemd) runs in a private mount namespace in which overlay file systems
# put the DESTDIR tree on top of the real /usr and /etc. The overlays'
# upper layers are in the test's temporary directory, which is removed on
# exit.

set -u
export LC_ALL=C

: "${MESON_BUILD_ROOT:?MESON_BUILD_ROOT must name the build directory (meson sets it)}"
: "${VIGIL_SRCDIR:?VIGIL_SRCDIR must name the source directory (meson sets it)}"
MESON=${MESON:-meson}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-install.XXXXXX") || exit 1
chmod 755 "$TMP"
_cleanup_hooks=()
_tap_n=0
_tap_failed=0

_cleanup() {
	local h
	for h in "${_cleanup_hooks[@]}"; do
		eval "$h"
	done
	rm -rf "$TMP"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- TAP ----

ok() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s\n' "$_tap_n" "$*"
}

not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s\n' "$_tap_n" "$*"
}

skip() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$1" "$2"
}

diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

diag_file() {
	sed -n '1,40{s/^/#   /;p}' "$1"
}

# check DESCRIPTION COMMAND...: one test point; on failure the command's
# output is shown.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc"
		[ -n "$out" ] && diag "$out"
	fi
}

bail_out() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

done_testing() {
	printf '1..%d\n' "$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}

# ---- the installed tree ----

# install_tree DESTDIR: meson install of the build into DESTDIR. Sets
# PREFIX, BINDIR, SYSCONFDIR, MANDIR, DATADIR (absolute, without DESTDIR)
# and INSTALLED (the list of installed paths, without DESTDIR).
install_tree() {
	local dest=$1
	"$MESON" install -C "$MESON_BUILD_ROOT" --destdir "$dest" --no-rebuild --quiet \
		>"$TMP/install.log" 2>&1 || {
		diag "meson install failed:"
		diag_file "$TMP/install.log"
		return 1
	}
	eval "$("$MESON" introspect --buildoptions "$MESON_BUILD_ROOT" | python3 -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
p = o["prefix"]
for k in ("bindir", "sysconfdir", "mandir", "datadir"):
    print("%s=%s" % (k.upper(), os.path.join(p, o[k])))
print("PREFIX=%s" % p)
')"
	INSTALLED=$(cd "$dest" && find . ! -type d | sed 's|^\.||' | sort)
}

# installed_path NAME: the one installed path whose last component is NAME.
installed_path() {
	local hits
	hits=$(grep -E "/$1\$" <<<"$INSTALLED")
	[ "$(grep -c . <<<"$hits")" -eq 1 ] || return 1
	echo "$hits"
}

# as_installed DESTDIR COMMAND...: runs COMMAND (as root) in a private mount
# namespace in which DESTDIR's tree is laid over the real root with
# overlay file systems (an overlay on each top-level directory it
# touches, e.g. /usr and /etc; /lib is /usr/lib on Debian 12).
as_installed() {
	local dest=$1
	shift
	unshare --mount --propagation private -- bash -c '
		set -e
		dest=$1 ov=$2
		shift 2
		tops=$(cd "$dest" && for d in *; do readlink -f "/$d" | cut -d/ -f2; done | sort -u)
		for t in $tops; do
			[ -d "/$t" ] || { echo "as_installed: /$t does not exist" >&2; exit 1; }
			mkdir -p "$ov/$t/up" "$ov/$t/work"
			mount -t overlay overlay \
				-o "lowerdir=/$t,upperdir=$ov/$t/up,workdir=$ov/$t/work" "/$t"
		done
		tar -C "$dest" -cf - . | tar -C / -xf - --keep-directory-symlink --no-overwrite-dir
		exec "$@"
	' as_installed "$dest" "$TMP/ov.$RANDOM" "$@"
}
