# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the benchmarks (sourced by bench/apply, bench/packets,
# bench/flows).
#
# Everything that touches the kernel runs in throwaway network namespaces
# with unique names, deleted on exit whatever happens (trap). The initial
# namespace's ruleset is never read or changed. Benchmarks print figures;
# they assert nothing about timing.

set -u
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VIGIL_SRCDIR=$(cd "$BENCH_DIR/.." && pwd)
# The benchmarks' own build directory (debugoptimized: meson's default
# buildtype, the one a plain `meson setup` gives, with symbols for perf).
BUILD=${VIGIL_BENCH_BUILD:-$VIGIL_SRCDIR/build-bench}
VIGILD=$BUILD/vigild
FLOWGEN=$BUILD/tests/netns/flowgen
NETTOOL=$BUILD/tests/netns/nettool
EVALPKT=$BUILD/tests/netns/evalpkt
BENCH_BIN=$BUILD/bench-tools

_ns_list=()
_pid_list=()
_tag=$(basename "$0" | cut -c1-6)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench.XXXXXX") || exit 1
chmod 755 "$TMP" # vigild reads policies as an unprivileged user

_cleanup() {
	local p n
	for p in "${_pid_list[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${_pid_list[@]}"; do
		wait "$p" 2>/dev/null
	done
	for n in "${_ns_list[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "${BENCH_KEEP:-}" ] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

note() {
	echo "${0##*/}: $*" >&2
}

# preflight TOOL...: root, and the tools are installed.
preflight() {
	local t
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces, nftables)"
	for t in ip nft python3 "$@"; do
		command -v "$t" >/dev/null || die "'$t' is not installed (tools/install-deps --bench)"
	done
}

# build: configures and builds build-bench if needed, and the bench tools.
build() {
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$VIGIL_SRCDIR" --buildtype=debugoptimized -Dwerror=true \
			>"$TMP/meson.log" 2>&1 || { cat "$TMP/meson.log" >&2; die "meson setup failed"; }
	fi
	ninja -C "$BUILD" vigild tests/netns/flowgen tests/netns/nettool tests/netns/evalpkt \
		>"$TMP/ninja.log" 2>&1 ||
		{ tail -30 "$TMP/ninja.log" >&2; die "build failed"; }
	mkdir -p "$BENCH_BIN"
	local src
	for src in "$BENCH_DIR"/*.c; do
		[ -e "$src" ] || continue
		local out=$BENCH_BIN/$(basename "$src" .c)
		if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
			cc -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o "$out" "$src" ||
				die "cannot compile $src"
		fi
	done
}

# ns_new VAR WHAT: a namespace with a unique name (deleted on exit), lo up.
# Call it in the main shell, not in $(...).
ns_new() {
	local name="vb-$_tag-$2-$$-${#_ns_list[@]}"
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

# veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces.
veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || return 1
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$4" addr add "$6" dev "$5" &&
		ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up
}

# bg VAR COMMAND...: starts COMMAND in the background (killed on exit).
bg() {
	local var=$1
	shift
	"$@" &
	_pid_list+=("$!")
	printf -v "$var" '%s' "$!"
}

# median: the median of the numbers on stdin (one a line).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# machine: one line per fact, for the reports.
machine() {
	echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "cpu:     $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores" \
		"($(grep -q hypervisor /proc/cpuinfo && echo virtual machine || echo bare metal))"
	echo "memory:  $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel:  $(uname -r)"
	echo "debian:  $(cat /etc/debian_version)"
	echo "nft:     $(nft --version)"
	echo "libs:    $(dpkg-query -W -f='${Package} ${Version}, ' libnftnl11 libmnl0 libyaml-0-2 \
		libcyaml1 2>/dev/null | sed 's/, $//')"
	echo "vigild:  $("$VIGILD" --version 2>/dev/null | head -1) (build $(basename "$BUILD"):" \
		"$(meson introspect "$BUILD" --buildoptions 2>/dev/null | python3 -c \
		'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))'))"
}

# ct_listeners: conntrack event listeners anywhere on the machine (sockets
# of NETLINK_NETFILTER bound to groups 1-3, in every network namespace
# that has a process). The kernel's netlink_has_listeners() is global per
# protocol, not per namespace: one listener anywhere makes every
# namespace's conntrack build an event message for each new connection.
# Prints "COUNT" then one "pid comm" line per owning process.
ct_listeners() {
	local seen=" " p ino n=0 owners=""
	for p in /proc/[0-9]*; do
		ino=$(stat -L -c %i "$p/ns/net" 2>/dev/null) || continue
		case $seen in *" $ino "*) continue ;; esac
		seen+="$ino "
		local sk eth pid groups rest i
		while read -r sk eth pid groups _ _ _ _ _ i; do
			[ "$eth" = 12 ] && [ $((16#$groups & 7)) -ne 0 ] || continue
			n=$((n + 1))
			owners+="$(find /proc/[0-9]*/fd -lname "socket:\[$i\]" 2>/dev/null | head -1 |
				cut -d/ -f3 | while read -r o; do echo "$o $(cat "/proc/$o/comm")"; done)"$'\n'
		done < <(nsenter --net="$p/ns/net" cat /proc/net/netlink 2>/dev/null | tail -n +2)
	done
	echo "$n"
	printf '%s' "$owners"
}
