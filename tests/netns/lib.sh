# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the netns tests (sourced by bash scripts; see README).
#
# Everything that touches the kernel runs inside namespaces this file creates
# with unique names (ns_new) and deletes on exit, whatever happens. The
# initial namespace's ruleset is never read or changed.

set -u
export LC_ALL=C

: "${VIGILD:?VIGILD must name the vigild binary (meson sets it)}"
: "${NETTOOL:?NETTOOL must name the nettool binary (meson sets it)}"
NETNS_DIR=${NETNS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
VIGIL_SRCDIR=${VIGIL_SRCDIR:-$(cd "$NETNS_DIR/../.." && pwd)}
POLICIES=$NETNS_DIR/policies

_ns_list=()
_ns_seq=0
_pid_list=()
_tap_n=0
_tap_failed=0
_tag=$(basename "$0" .sh | cut -c1-6)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-netns.XXXXXX") || exit 1
chmod 755 "$TMP"
# vigild's state (last-known-good) and run (locks, status) directories:
# the test's own, never the host's /var/lib/vigil and /run/vigil
export VIGIL_STATE_DIR="$TMP/state" VIGIL_RUN_DIR="$TMP/run"

_cleanup() {
	local p n
	# quick first: meson sends SIGKILL 0.5 s after SIGTERM
	for p in "${_pid_list[@]}"; do
		kill "$p" 2>/dev/null
	done
	for n in "${_ns_list[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- TAP ----

diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

# Prints a file as TAP diagnostics (at most 40 lines).
diag_file() {
	sed -n '1,40{s/^/#   /;p}' "$1"
}

ok() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s\n' "$_tap_n" "$*"
}

not_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s\n' "$_tap_n" "$*"
}

# skip DESCRIPTION REASON: a test point that could not run here.
skip() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$1" "$2"
}

# check DESCRIPTION COMMAND...: one test point, ok when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

bail_out() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	exit "${VIGIL_SKIP_STATUS:-77}"
}

# Prints the plan (after the tests: their number depends on the tree) and
# exits with the right status.
done_testing() {
	printf '1..%d\n' "$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}

# ---- preconditions ----

# Fails unless the tests can run here: root, the tools, network namespaces,
# nf_tables. Two reasons skip instead (TAP "1..0 # SKIP"): not being root and
# a kernel without nf_tables, and not even those when VIGIL_REQUIRE_NETNS=1
# (CI). A missing tool or binary is always a failure.
netns_preflight() {
	local require=${VIGIL_REQUIRE_NETNS:-0} t out probe

	if [ "$(id -u)" -ne 0 ]; then
		[ "$require" = 1 ] && bail_out "the netns tests need root (VIGIL_REQUIRE_NETNS=1)"
		skip_all "the netns tests need root"
	fi
	for t in ip nft setpriv cmp diff; do
		command -v "$t" >/dev/null || bail_out "'$t' is not installed"
	done
	for t in "$VIGILD" "$NETTOOL"; do
		[ -x "$t" ] || bail_out "$t is not an executable"
	done
	ns_new probe probe || bail_out "cannot create a network namespace"
	if ! out=$(ip netns exec "$probe" nft add table inet vigil_probe 2>&1); then
		case $out in
		*"not supported"*)
			[ "$require" = 1 ] &&
				bail_out "the kernel lacks nf_tables (VIGIL_REQUIRE_NETNS=1): $out"
			skip_all "the kernel lacks nf_tables: $out"
			;;
		esac
		bail_out "nft does not work in a namespace: $out"
	fi
	ns_del "$probe"
}

# ---- namespaces, links, processes ----

# ns_new VAR WHAT: creates a namespace with a unique name (registered for
# deletion on exit) with loopback up; VAR gets the name. Call it in the main
# shell, not in $(...), or the exit trap does not learn the name.
ns_new() {
	_ns_seq=$((_ns_seq + 1))
	local name="vt-$_tag-$2-$$-$_ns_seq"
	ip netns add "$name" || return 1
	_ns_list+=("$name")
	ip -n "$name" link set lo up || return 1
	printf -v "$1" '%s' "$name"
}

ns_del() {
	local i
	ip netns del "$1" 2>/dev/null
	for i in "${!_ns_list[@]}"; do
		[ "${_ns_list[$i]}" = "$1" ] && unset '_ns_list[i]'
	done
	return 0
}

# veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# addr NS IF ADDR/PLEN: IPv6 addresses without duplicate address detection.
addr() {
	case $3 in
	*:*) ip -n "$1" addr add "$3" dev "$2" nodad ;;
	*) ip -n "$1" addr add "$3" dev "$2" ;;
	esac
}

# serve NS tcp|udp PORT...: starts nettool serve in NS (killed on exit) and
# waits until its sockets are bound.
serve() {
	local ns=$1 out pid i
	shift
	out="$TMP/serve.$ns.$1.$RANDOM"
	ip netns exec "$ns" "$NETTOOL" serve --lifetime 300 "$@" >"$out" 2>&1 &
	pid=$!
	_pid_list+=("$pid")
	for i in $(seq 300); do # 15 s: a loaded machine (CI, 2 cores)
		grep -q '^ready$' "$out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	diag "nettool serve $* did not start:"
	diag_file "$out"
	return 1
}

# ---- vigild watch ----

WATCH_PID=
# start_watch NS DB POLICY [OPTIONS...]: a watch in NS, its log in
# $TMP/watch.log, up once it says it records (WATCH_PID) and, when
# WATCH_SOCK names its control socket, once that answers
start_watch() {
	local ns=$1 db=$2 pol=$3 i
	shift 3
	: >"$TMP/watch.log"
	ip netns exec "$ns" "$VIGILD" watch --db "$db" "$@" "$pol" >>"$TMP/watch.log" 2>&1 &
	WATCH_PID=$!
	_pid_list+=("$WATCH_PID")
	for i in $(seq 200); do
		if grep -q "recording flows" "$TMP/watch.log" && { [ -z "${WATCH_SOCK:-}" ] ||
			curl -s --max-time 2 --unix-socket "$WATCH_SOCK" -o /dev/null http://vigil/v1/status; }; then
			return 0
		fi
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.05
	done
	diag "vigild watch did not start:"
	diag_file "$TMP/watch.log"
	return 1
}

stop_watch() {
	kill -TERM "$WATCH_PID" 2>/dev/null
	wait "$WATCH_PID" 2>/dev/null
	WATCH_PID=
}

# ---- nftables oracle ----

# snapshot NS PREFIX: writes PREFIX.txt (nft list ruleset) and PREFIX.json.
# $2.njson: the JSON with each table's own handle replaced by H (handles
# count every table ever made in the namespace; vigild's helper probes the
# kernel with a table that is never committed, and a replacement takes one
# or two, depending on DESTROYTABLE).
snapshot() {
	ip netns exec "$1" nft list ruleset >"$2.txt" &&
		ip netns exec "$1" nft -j list ruleset >"$2.json" &&
		sed -E 's/(\{"table": \{"family": "[a-z0-9]+", "name": "[^"]+", "handle": )[0-9]+/\1H/g' \
			"$2.json" >"$2.njson"
}

# same FILE1 FILE2: byte comparison; a difference is shown as diagnostics.
same() {
	if cmp -s "$1" "$2"; then
		return 0
	fi
	diag "$1 and $2 differ:"
	case $1 in
	*.json)
		# nft -j prints one long line: compare it pretty-printed
		if command -v jq >/dev/null; then
			diff -u <(jq . "$1") <(jq . "$2") | sed -n '3,60{s/^/#   /;p}'
			return 1
		fi
		;;
	esac
	diff -u "$1" "$2" | cut -c1-300 | sed -n '3,40{s/^/#   /;p}'
	return 1
}

# same_snapshot A B: both the text and the JSON listings are byte-identical.
same_snapshot() {
	same "$1.txt" "$2.txt" && same "$1.njson" "$2.njson"
}

# run OUTPREFIX COMMAND...: runs COMMAND, stdout to OUTPREFIX.out, stderr to
# OUTPREFIX.err; sets RC.
run() {
	local p=$1
	shift
	"$@" >"$p.out" 2>"$p.err"
	RC=$?
}

# vapply NS POLICY: vigild apply, quietly; shows what it printed on failure.
vapply() {
	if ip netns exec "$1" "$VIGILD" apply -q "$2" >"$TMP/vapply.out" 2>&1; then
		return 0
	fi
	diag "vigild apply $2 failed:"
	diag_file "$TMP/vapply.out"
	return 1
}
