# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for vigild(8). Needs nothing but bash itself (works with
# or without the bash-completion package).
#
# The verb and option lists must match `vigild --help` and
# `vigild VERB --help`: tests/install/completion.sh fails when they drift.

_vigild_verbs="check show explain diff apply remove watch reload status confirm rollback set flows help version"

# _vigild_options VERB: the options VERB takes, long and short.
_vigild_options()
{
	case $1 in
	check)
		echo "--table -t --max-rules --max-elements --help -h" ;;
	explain)
		echo "--chain -c --table -t --json -j --quiet -q --help -h" ;;
	diff)
		echo "--flows --since --db --table -t --user -u --quiet -q --max-rules --max-elements" \
		     "--help -h" ;;
	show)
		echo "--table -t --watch --max-rules --max-elements --help -h" ;;
	apply)
		echo "--table -t --user -u --dry-run -n --confirm -c --force -f --full --revoke --quiet -q --db" \
		     "--max-rules --max-elements --help -h" ;;
	remove)
		echo "--table -t --user -u --force -f --quiet -q --help -h" ;;
	watch)
		echo "--db --db-buffer --ct-buffer --ct-accounting --aggregate --retention --fallback" \
		     "--no-reassert --no-owner --metrics-file --metrics-interval --metrics-listen --on-event" \
		     "--nflog-group --no-refused --count-every --row-cap --db-max-size" \
		     "--table -t --user -u --force -f --quiet -q --help -h" ;;
	reload)
		echo "--quiet -q --help -h" ;;
	status)
		echo "--json --table -t --help -h" ;;
	confirm | rollback)
		echo "--table -t --help -h" ;;
	set)
		echo "--timeout -T --table -t --user -u --json -j --quiet -q --help -h" ;;
	flows)
		echo "--db --since --until --rule --by --top --sort --verdict --src --dst --dport" \
		     "--proto --json --follow --format --help -h" ;;
	esac
}

# _vigild_takes_arg OPTION: does OPTION take a value (as the next word)?
_vigild_takes_arg()
{
	case $1 in
	--table | -t | --user | -u | --db | --ct-buffer | --retention | --since | --until | \
	--rule | --by | --top | --fallback | --db-buffer | --max-rules | --max-elements | \
	--metrics-file | --metrics-interval | --metrics-listen | --on-event | \
	--confirm | -c | --timeout | -T | --chain | \
	--nflog-group | --count-every | --row-cap | --db-max-size | --sort | --verdict | --src | --dst | \
	--dport | --proto | --format)
		return 0 ;;
	esac
	return 1
}

# _vigild_files GLOB...: directories and the files matching one of the globs.
_vigild_files()
{
	local cur=$1 IFS=$'\n' g
	shift
	compopt -o filenames 2>/dev/null
	COMPREPLY+=($(compgen -d -- "$cur"))
	for g in "$@"; do
		COMPREPLY+=($(compgen -f -X "!$g" -- "$cur"))
	done
}

# _vigild_value OPTION CUR: completes the value of OPTION.
_vigild_value()
{
	local opt=$1 cur=$2

	case $opt in
	--user | -u)
		local IFS=$'\n'
		COMPREPLY=($(compgen -u -- "$cur")) ;;
	--db)
		_vigild_files "$cur" '*.db' ;;
	--fallback)
		_vigild_files "$cur" '*.yml' '*.yaml' ;;
	--by)
		COMPREPLY=($(compgen -W "src dst dport rule verdict nat" -- "$cur")) ;;
	--sort)
		COMPREPLY=($(compgen -W "connections packets bytes" -- "$cur")) ;;
	--verdict)
		COMPREPLY=($(compgen -W "accepted refused all" -- "$cur")) ;;
	--format)
		COMPREPLY=($(compgen -W "ndjson ecs" -- "$cur")) ;;
	--proto)
		COMPREPLY=($(compgen -W "tcp udp sctp dccp udplite icmp icmpv6 gre esp ah" -- "$cur")) ;;
	--ct-buffer)
		COMPREPLY=($(compgen -W "8M 16M 32M 64M 128M 256M" -- "$cur")) ;;
	--retention)
		COMPREPLY=($(compgen -W "12h 1d 7d 30d 90d" -- "$cur")) ;;
	--chain)
		COMPREPLY=($(compgen -W "input forward output" -- "$cur")) ;;
	--confirm | -c)
		# explain's -c is --chain
		if [ "$_vigild_verb" = explain ]; then
			COMPREPLY=($(compgen -W "input forward output" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "60 120 5m 10m 30m" -- "$cur"))
		fi ;;
	--timeout | -T)
		COMPREPLY=($(compgen -W "10m 1h 4h 1d 7d" -- "$cur")) ;;
	--since | --until)
		COMPREPLY=($(compgen -W "now 5m 15m 1h 6h 1d 1w" -- "$cur")) ;;
	esac
	# --table, --rule, --top: free text, nothing to offer
}

_vigild()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= verb= i w

	COMPREPLY=()
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# the verb is the first word that is not an option
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-*) ;;
		*) verb=$w; break ;;
		esac
	done
	_vigild_verb=$verb

	if [ -z "$verb" ]; then
		COMPREPLY=($(compgen -W "$_vigild_verbs --help -h --version" -- "$cur"))
		return 0
	fi
	case " $_vigild_verbs " in
	*" $verb "*) ;;
	*) return 0 ;;
	esac

	# --option=VALUE: one word, or three ("--db" "=" "VALUE") when '=' is
	# in COMP_WORDBREAKS, as it is by default
	if [[ $cur == --*=* ]]; then
		_vigild_value "${cur%%=*}" "${cur#*=}"
		COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
		return 0
	fi
	if [ "$cur" = "=" ] && [[ $prev == --* ]]; then
		_vigild_value "$prev" ""
		return 0
	fi
	if [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt $((i + 2)) ]; then
		_vigild_value "${COMP_WORDS[COMP_CWORD - 2]}" "$cur"
		return 0
	fi
	if [ "$COMP_CWORD" -gt $((i + 1)) ] && _vigild_takes_arg "$prev"; then
		_vigild_value "$prev" "$cur"
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_vigild_options "$verb")" -- "$cur"))
		return 0
	fi
	case $verb in
	check | show | apply | watch | diff)
		_vigild_files "$cur" '*.yml' '*.yaml' ;;
	set)
		# set add|del|list NAME ...
		[ "$COMP_CWORD" -eq $((i + 1)) ] &&
			COMPREPLY=($(compgen -W "add del list" -- "$cur")) ;;
	explain)
		# the policy, then the packet's words
		local k npos=0
		for ((k = i + 1; k < COMP_CWORD; k++)); do
			case ${COMP_WORDS[k]} in
			-*) _vigild_takes_arg "${COMP_WORDS[k]}" && k=$((k + 1)) ;;
			*) npos=$((npos + 1)) ;;
			esac
		done
		case $npos in
		0) _vigild_files "$cur" '*.yml' '*.yaml' ;;
		1) COMPREPLY=($(compgen -W "tcp udp sctp dccp udplite icmp icmpv6 gre esp ah" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "to iif oif type code ct" -- "$cur")) ;;
		esac ;;
	help)
		# help VERB: one verb
		[ "$COMP_CWORD" -eq $((i + 1)) ] &&
			COMPREPLY=($(compgen -W "$_vigild_verbs" -- "$cur")) ;;
	esac
	return 0
}

complete -F _vigild vigild
