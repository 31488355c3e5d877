#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The man pages: lint clean, render, and describe every verb and option
# that vigild itself lists (each option in its own verb's entry), and
# vigil-flows.5 every table, view and column of schemas/flows.sql. Prints
# TAP.
#
# Usage: man.sh VIGILD SOURCE_ROOT
#
# Needs mandoc and man-db (Debian packages mandoc, man-db); a missing tool is
# a failure, not a skip.

set -u

vigild=$1
root=$2
pages=("$root/man/vigild.8" "$root/man/vigil-policy.5" "$root/man/vigil-flows.5")
n=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

documented() {
	grep -q "^\.It Cm $1\( \|$\)" "$root/man/vigild.8"
}

# entry VERB: the lines of VERB's entry under COMMANDS, from its ".It Cm
# VERB" to the next verb's (or help's, or version's)
entry() {
	awk -v v="$1" -v all=" $(echo $all_verbs) help version " '
		/^\.It Cm [a-z]/ {
			w = $3
			if (index(all, " " w " ")) { on = (w == v); }
		}
		/^\.Sh / { on = 0 }
		on' "$root/man/vigild.8"
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
verbs=$(echo $all_verbs)
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
	tap $? "man/vigild.8 documents the verbs $verbs" "$tmp/diag"

	# every option of `vigild VERB --help`, long and short, appears in an
	# ".It Fl ..." line of VERB's own entry, and in the SYNOPSIS (the short
	# form if it has one)
	awk '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/' "$root/man/vigild.8" >"$tmp/synopsis"
	for v in $verbs; do
		: >"$tmp/diag"
		"$vigild" "$v" --help >"$tmp/vhelp" 2>&1
		rc=$?
		[ $rc -eq 0 ] || echo "'vigild $v --help' exited $rc" >>"$tmp/diag"
		# the option lines: "  -t, --table NAME  ..." or "      --db PATH ..."
		grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z-]*' "$tmp/vhelp" |
			sed -E 's/^ +//; s/^(-[a-zA-Z]), /\1 /; s/^(--)/- \1/' >"$tmp/opts"
		[ -s "$tmp/opts" ] || echo "no options found in 'vigild $v --help'" >>"$tmp/diag"
		entry "$v" >"$tmp/entry"
		while read -r short long; do
			grep -q -- "^\.It .*Fl -${long#--}\>" "$tmp/entry" ||
				echo "option $long of '$v' has no '.It Fl ${long#-}' in the entry of '$v'" >>"$tmp/diag"
			if [ "$short" != - ]; then
				grep -q -- "^\.It .*Fl ${short#-}\>" "$tmp/entry" ||
					echo "option $short of '$v' has no '.It Fl ${short#-}' in the entry of '$v'" >>"$tmp/diag"
				grep -q -- "Fl [a-zA-Z]*${short#-}[a-zA-Z]*\>" "$tmp/synopsis" ||
					echo "option $short of '$v' is not in the SYNOPSIS" >>"$tmp/diag"
			else
				grep -q -- "Fl -${long#--}\>" "$tmp/synopsis" ||
					echo "option $long of '$v' is not in the SYNOPSIS" >>"$tmp/diag"
			fi
		done <"$tmp/opts"
		[ ! -s "$tmp/diag" ]
		tap $? "man/vigild.8 documents the options of 'vigild $v' in its entry ($(awk '{ print $2 }' "$tmp/opts" | tr '\n' ' ' | sed 's/ $//'))" "$tmp/diag"
	done
fi

# vigil-flows.5 describes every table, view and column of the schema
schema=$root/schemas/flows.sql
: >"$tmp/diag"
objects=$(grep -oE '^CREATE (TABLE|VIEW) [a-z_]+' "$schema" | awk '{ print $3 }')
[ -n "$objects" ] || echo "no CREATE TABLE or VIEW in $schema" >>"$tmp/diag"
for t in $objects; do
	grep -q "^\.Ss .*\<$t\>" "$root/man/vigil-flows.5" ||
		echo "table or view '$t' has no '.Ss' subsection" >>"$tmp/diag"
done
# columns: the first word of each line inside a CREATE TABLE ( ... ), and
# each "AS name" / plain name selected by a view
columns=$(awk '
	/^CREATE TABLE/ { on = 1; next }
	on && /^\)/ { on = 0 }
	on && $1 ~ /^[a-z_]+$/ && $1 != "PRIMARY" { print $1 }' "$schema" | sort -u)
for c in $columns; do
	grep -q "^\.It Li $c\>" "$root/man/vigil-flows.5" ||
		echo "column '$c' has no '.It Li $c' entry" >>"$tmp/diag"
done
[ -n "$columns" ] && [ ! -s "$tmp/diag" ]
tap $? "man/vigil-flows.5 describes every table, view and column of schemas/flows.sql ($(echo $objects))" "$tmp/diag"

# the SQL examples of vigil-flows.5 (each literal block after a '.\" sql'
# line) run without error against the schema, with sqlite3
if ! command -v sqlite3 >/dev/null; then
	echo "Bail out! sqlite3 is missing: install the Debian package sqlite3"
	exit 1
fi
: >"$tmp/diag"
sqlite3 "$tmp/flows.db" <"$schema" 2>>"$tmp/diag"
awk '/^\.\\" sql$/ { want = 1; next }
	want && /^\.Bd -literal/ { on = 1; want = 0; next }
	on && /^\.Ed/ { on = 0; print "-- end"; next }
	on' "$root/man/vigil-flows.5" >"$tmp/queries"
nq=$(grep -c '^-- end' "$tmp/queries")
[ "$nq" -gt 0 ] || echo "no SQL examples found after '.\\\" sql' lines" >>"$tmp/diag"
sqlite3 -bail "$tmp/flows.db" <"$tmp/queries" >/dev/null 2>>"$tmp/diag"
[ ! -s "$tmp/diag" ]
tap $? "the $nq SQL examples of man/vigil-flows.5 run against schemas/flows.sql" "$tmp/diag"

echo "1..$n"
[ $failed -eq 0 ]
