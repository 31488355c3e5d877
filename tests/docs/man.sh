#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The man pages: lint clean, render, and describe every verb and option
# that vigild itself lists. Prints TAP.
#
# Usage: man.sh VIGILD SOURCE_ROOT
#
# Needs mandoc and man-db (Debian packages mandoc, man-db); a missing tool is
# a failure, not a skip.

set -u

vigild=$1
root=$2
pages=("$root/man/vigild.8" "$root/man/vigil-policy.5")
# Verbs whose authors write their own section of vigild.8 as they finish
# them. While a pending verb has no section, its points are reported as
# SKIP (visible, not failing); once the section exists it is checked like
# every other verb. Any verb not listed here must be documented.
pending="watch flows status"
n=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

is_pending() {
	case " $pending " in *" $1 "*) return 0 ;; esac
	return 1
}

documented() {
	grep -q "^\.It Cm $1\( \|$\)" "$root/man/vigild.8"
}

# tap STATUS DESCRIPTION [DIAGNOSTIC-FILE]
tap() {
	local status=$1 what=$2 diag=${3:-}
	n=$((n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $n - $what"
	else
		failed=$((failed + 1))
		echo "not ok $n - $what"
		if [ -n "$diag" ] && [ -s "$diag" ]; then
			sed 's/^/#   /' "$diag"
		fi
	fi
}

for tool in mandoc man; do
	if ! command -v "$tool" >/dev/null; then
		echo "Bail out! $tool is missing: install the Debian packages mandoc and man-db"
		exit 1
	fi
done

for page in "${pages[@]}"; do
	name=${page#"$root"/}

	# mandoc -T lint -W warning: nothing to say, exit 0
	mandoc -T lint -W warning "$page" >"$tmp/lint" 2>&1
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$tmp/lint" ]
	tap $? "$name: mandoc -T lint -W warning is clean" "$tmp/lint"

	# man(1) renders it (groff, as users will see it), without warnings
	title=$(basename "$page")
	title=${title%.*}
	MANWIDTH=80 man -l "$page" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ok=1
	if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q '^NAME' "$tmp/out" &&
	   grep -q "^     $title " "$tmp/out" && grep -q '^SEE ALSO' "$tmp/out"; then
		ok=0
	else
		{ echo "man -l exited $rc"; cat "$tmp/err"; head -5 "$tmp/out"; } >"$tmp/diag"
	fi
	tap $ok "$name: MANWIDTH=80 man -l renders it (NAME, SEE ALSO, no warnings)" "$tmp/diag"
done

# every verb of `vigild --help` has an ".It Cm VERB" entry in vigild.8
"$vigild" --help >"$tmp/help" 2>&1
all_verbs=$(sed -n '/^Verbs:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$tmp/help")
verbs=
for v in $all_verbs; do
	if is_pending "$v" && ! documented "$v"; then
		skip "man/vigild.8 documents 'vigild $v'" "pending: its author adds the section"
	else
		verbs="$verbs $v"
	fi
done
if [ -z "$all_verbs" ]; then
	echo "no verbs found in 'vigild --help':" >"$tmp/diag"
	cat "$tmp/help" >>"$tmp/diag"
	tap 1 "man/vigild.8 documents every verb of 'vigild --help'" "$tmp/diag"
else
	: >"$tmp/diag"
	for v in $verbs; do
		documented "$v" ||
			echo "verb '$v' has no '.It Cm $v' entry under COMMANDS" >>"$tmp/diag"
	done
	[ ! -s "$tmp/diag" ]
	tap $? "man/vigild.8 documents the verbs$verbs" "$tmp/diag"

	# every long option of `vigild VERB --help` appears as "Fl -OPTION"
	for v in $verbs; do
		: >"$tmp/diag"
		"$vigild" "$v" --help >"$tmp/vhelp" 2>&1
		rc=$?
		[ $rc -eq 0 ] || echo "'vigild $v --help' exited $rc" >>"$tmp/diag"
		opts=$(grep -o -- '--[a-z][a-z-]*' "$tmp/vhelp" | sort -u)
		for o in $opts; do
			[ "$o" = "--help" ] && continue
			grep -q -- "Fl -${o#--}\>" "$root/man/vigild.8" ||
				echo "option $o of '$v' is not in man/vigild.8 (as 'Fl ${o#-}')" >>"$tmp/diag"
		done
		[ ! -s "$tmp/diag" ]
		tap $? "man/vigild.8 documents the options of 'vigild $v' ($(echo $opts))" "$tmp/diag"
	done
fi

echo "1..$n"
[ $failed -eq 0 ]
