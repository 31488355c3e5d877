#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# completion/vigild.bash against the vigild it completes: the verbs offered
# are exactly those of `vigild --help`, and for each verb the options
# offered are exactly those of `vigild VERB --help` (long and short, and
# -h/--help, which every verb takes), so
# the two cannot drift apart. Then a few completions as a user meets them.
# Simulates bash's programmable completion (COMP_WORDS, COMP_CWORD). TAP.
#
# Usage: completion.sh VIGILD COMPLETION_SCRIPT
set -u
export LC_ALL=C
vigild=$1
script=$2
n=0
failed=0

tap() { # STATUS DESCRIPTION [DIAGNOSTIC]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
	fi
}

# complete WORD...: what <TAB> offers after the words (the last one is the
# word being completed), one per line, sorted.
complete_words() {
	bash --norc --noprofile -c '
		source "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_vigild vigild "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$script" "$@" | sed '/^$/d' | sort -u
}

expect() { # DESCRIPTION EXPECTED WORD...
	local desc=$1 want=$2 got
	shift 2
	got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$want" ]
	tap $? "$desc" "offered: '$got', expected: '$want'"
}

out=$(bash --norc --noprofile -c 'set -eu; source "$1"; complete -p vigild' _ "$script" 2>&1)
[ "$out" = "complete -F _vigild vigild" ]
tap $? "the script sources cleanly under set -eu and registers _vigild for vigild" "$out"

# ---- verbs: exactly those of vigild --help (and help, version) ----
help_verbs=$("$vigild" --help | sed -n '/^Verbs:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
want=$(printf '%s\n' $help_verbs help version --help -h --version | sort -u)
got=$(complete_words vigild "")
[ -n "$help_verbs" ] && [ "$got" = "$want" ]
tap $? "vigild <TAB> offers exactly the verbs of 'vigild --help' ($(echo $help_verbs))" \
	"$(diff <(echo "$want") <(echo "$got"))"

# ---- options: exactly those of vigild VERB --help ----
for v in $help_verbs; do
	# the option lines: "  -t, --table NAME  ..." or "      --db PATH ..."
	want=$( { "$vigild" "$v" --help | grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z-]*' |
		grep -oE -- '--?[a-zA-Z][a-z-]*'; printf '%s\n' --help -h; } | sort -u)
	got=$(complete_words vigild "$v" -)
	[ -n "$want" ] && [ "$got" = "$want" ]
	tap $? "vigild $v -<TAB> offers exactly the options of 'vigild $v --help'" \
		"$(diff <(echo "$want") <(echo "$got") | sed 's/^</only in --help:/; s/^>/only in the completion:/')"
done

# ---- a few completions as a user meets them ----
expect "vigild wa<TAB> -> watch" "watch" vigild wa
expect "vigild help w<TAB> -> watch" "watch" vigild help w
expect "vigild help watch <TAB> -> nothing more" "" vigild help watch ""
expect "vigild flows --by <TAB> -> src dst dport rule verdict nat" "dport dst nat rule src verdict" vigild flows --by ""
expect "vigild flows --by=r<TAB> (one word) -> --by=rule" "--by=rule" vigild flows --by=r
expect "vigild flows --by = <TAB> (= as a word break) -> the keys" "dport dst nat rule src verdict" \
	vigild flows --by = ""
expect "vigild watch --ct-acc<TAB> -> --ct-accounting" "--ct-accounting" vigild watch --ct-acc
expect "vigild apply -u ro<TAB> -> root" "root" vigild apply -u ro

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/sub"
touch "$dir/a.yml" "$dir/b.yaml" "$dir/c.txt" "$dir/flows.db"
expect "vigild check DIR/<TAB> -> policies (.yml, .yaml) and directories" \
	"$dir/a.yml $dir/b.yaml $dir/sub" vigild check "$dir/"
expect "vigild watch --db DIR/<TAB> -> databases and directories" \
	"$dir/flows.db $dir/sub" vigild watch --db "$dir/"
expect "vigild watch --db DIR/f<TAB> after other options" "$dir/flows.db" \
	vigild watch -q --table t --db "$dir/f"
expect "vigild remove <TAB> offers no file (remove takes no policy)" "" vigild remove ""

echo "1..$n"
[ $failed -eq 0 ]
