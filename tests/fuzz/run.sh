#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh FUZZER SEEDS ARTIFACTS: one fuzz target, TAP (suite 'fuzz').
#   1. every seed of SEEDS once;
#   2. VIGIL_FUZZ_SECONDS (default 15) of fuzzing from them.
# Any crash, sanitizer report, leak or timeout fails; the input that did it
# is kept in ARTIFACTS (and shown in hex) so it can become a unit test.
set -u
exe=$1
seeds=$2
artifacts=$3
secs=${VIGIL_FUZZ_SECONDS:-15}
name=$(basename "$exe")
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts" "$work/corpus"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
opts=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/$name-" -print_final_stats=1)

echo "1..2"
n=$(find "$seeds" -type f | wc -l)

show() { # the log, and the input that crashed
	sed -n '1,60{s/^/# /;p}' "$work/log"
	for f in "$artifacts/$name"-*; do
		[ -f "$f" ] || continue
		echo "# input $f:"
		od -An -tx1 -v "$f" | head -n 20 | sed 's/^/#  /'
	done
}

if "$exe" "${opts[@]}" -runs=0 "$seeds" >"$work/log" 2>&1; then
	echo "ok 1 - $name: all $n seeds of $(basename "$seeds") run clean"
else
	echo "not ok 1 - $name: a seed of $(basename "$seeds") crashes"
	show
	exit 1
fi

if "$exe" "${opts[@]}" -max_total_time="$secs" "$work/corpus" "$seeds" >"$work/log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1)
	echo "ok 2 - $name: ${secs} s of fuzzing, ${runs:-?} inputs, ${cov:-cov: ?}, no crash"
else
	echo "not ok 2 - $name: crashed while fuzzing"
	show
	exit 1
fi
