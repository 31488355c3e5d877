#!/bin/sh
# The end-to-end front-end tests of vigild, as TAP:
#  - tests/golden/NAME.yml: `vigild show` must print exactly NAME.nft (and
#    nothing on stderr, exit 0);
#  - tests/fail/fail-NAME.yml: `vigild check` must exit 1, print nothing on
#    stdout and exactly fail-NAME.err on stderr;
#    in NAME.warn and NAME.err, @DIR@ stands for the absolute path of the
#    directory the case runs in (set-file messages name it);
#  - hostile inputs generated here into a temporary directory (never
#    committed): a 50 MB file, binary and text junk from fixed seeds, an
#    empty file, NUL bytes, deep nesting, too many values, /dev/zero,
#    /dev/urandom, junk set files: each must exit 1 with only located errors
#    (FILE:LINE:COL: error: ...).
# Usage: golden.sh VIGILD SRCDIR GEN_GARBAGE
set -u
abs() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$PWD/$1" ;;
	esac
}
vigild=$(abs "$1")
src=$(abs "$2")
gen=$(abs "$3")
n=0
tmp=$(mktemp -d)
# check and show, run as root, read set files as an unprivileged user
chmod 755 "$tmp"
# ... after dropping to that user under a seccomp filter that kills ptrace:
# LeakSanitizer, which stops the world by ptrace and reads /proc/PID/task
# (root's, after the drop), cannot run there. Leaks of the same code paths
# are looked for in-process under ASan (test_compile renders every golden
# policy, test_policy_* reads the failing ones).
if [ "$(id -u)" = 0 ]; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
fi
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

# not_ok DESCRIPTION FILE...: the files are shown as TAP comments
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for f in "$@"; do
		head -c 4000 "$f" | sed 's/^/# /'
	done
}

# the directory a case runs in, in its messages, as @DIR@
undir() {
	sed "s|$(pwd -P)|@DIR@|g" "$1" >"$1.undir" && mv "$1.undir" "$1"
}

# ---- golden files ----
cd "$src/tests/golden" || exit 1
for yml in *.yml; do
	name=${yml%.yml}
	# a policy naming its own table is shown for that table, as apply -t would
	table=$(sed -n 's/^table: *\([a-z][a-z0-9_-]*\).*/\1/p' "$yml")
	"$vigild" show ${table:+-t "$table"} "$yml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	undir "$tmp/err"
	if [ ! -f "$name.nft" ]; then
		not_ok "golden $name: $name.nft is missing"
	elif [ $rc -ne 0 ] || { [ -f "$name.warn" ] && ! cmp -s "$name.warn" "$tmp/err"; } ||
		{ [ ! -f "$name.warn" ] && [ -s "$tmp/err" ]; }; then
		# stderr: nothing, or exactly the warnings in NAME.warn
		echo "exit status $rc" >"$tmp/rc"
		not_ok "golden $name: vigild show failed or warned otherwise than $name.warn" \
			"$tmp/rc" "$tmp/err"
	elif diff -u "$name.nft" "$tmp/out" >"$tmp/diff"; then
		ok "golden $name"
	else
		not_ok "golden $name: output differs from $name.nft" "$tmp/diff"
	fi
done

# ---- fail cases ----
cd "$src/tests/fail" || exit 1
for yml in fail-*.yml; do
	name=${yml%.yml}
	"$vigild" check "$yml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	undir "$tmp/err"
	if [ ! -f "$name.err" ]; then
		not_ok "$name: $name.err is missing"
	elif [ $rc -ne 1 ]; then
		echo "exit status $rc, expected 1" >"$tmp/rc"
		not_ok "$name: wrong exit status" "$tmp/rc" "$tmp/err"
	elif [ -s "$tmp/out" ]; then
		not_ok "$name: output on stdout" "$tmp/out"
	elif diff -u "$name.err" "$tmp/err" >"$tmp/diff"; then
		ok "$name"
	else
		not_ok "$name: stderr differs from $name.err" "$tmp/diff"
	fi
done

# ---- generated hostile inputs ----
# located WHAT PATH [CWD]: vigild check PATH exits 1 and every line it
# prints is a located diagnostic, at least one of them an error
at='[0-9][0-9]*:[0-9][0-9]*' # LINE:COL
located() {
	what=$1
	path=$2
	(cd "${3:-$tmp}" && "$vigild" check "$path") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 1 ]; then
		echo "exit status $rc, expected 1" >"$tmp/rc"
		not_ok "$what: wrong exit status" "$tmp/rc" "$tmp/err"
	elif [ -s "$tmp/out" ]; then
		not_ok "$what: output on stdout" "$tmp/out"
	elif ! grep -q "^[^:]*:$at: error: " "$tmp/err"; then
		not_ok "$what: no located error" "$tmp/err"
	elif grep -v "^[^:]*:$at: \(error\|warning\): " "$tmp/err" |
		grep -v '^[^:]*: and [0-9][0-9]* more .*(only the first 50 are printed)$' >"$tmp/bad"; then
		not_ok "$what: unlocated lines" "$tmp/bad"
	else
		ok "$what: $(head -n 1 "$tmp/err" | cut -c 1-100)"
	fi
}

cd "$tmp" || exit 1
{
	echo "version: 1"
	yes "# a comment line that makes this policy far too large" | head -c 52428800
} >huge.yml
located "50 MB policy" huge.yml
rm -f huge.yml

: >empty.yml
located "empty file" empty.yml

"$gen" 1 4096 nul >nul.yml
located "NUL bytes only" nul.yml

for seed in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	size=$((seed * seed * 97))
	"$gen" "$seed" "$size" bin >junk.yml
	located "binary junk, seed $seed, $size bytes" junk.yml
	"$gen" "$seed" "$size" text >junk.yml
	located "text junk, seed $seed, $size bytes" junk.yml
done
"$gen" 99 1000000 bin >junk.yml
located "binary junk, 1 MB" junk.yml
"$gen" 99 1000000 text >junk.yml
located "text junk, 1 MB" junk.yml
rm -f junk.yml

{
	printf 'version: 1\nrules: '
	yes '[' | head -n 100000 | tr -d '\n'
	echo
} >deep-flow.yml
located "100000 nested flow sequences" deep-flow.yml
i=0
{
	echo "version: 1"
	while [ $i -lt 200 ]; do
		printf "%$((i + 1))s:\n" k
		i=$((i + 1))
	done
} >deep-block.yml
located "200 nested block mappings" deep-block.yml
{
	printf 'version: 1\nrules: ['
	yes '0,' | head -n 4000001 | tr -d '\n'
	echo '0]'
} >many.yml
located "4 million values" many.yml
rm -f deep-flow.yml deep-block.yml many.yml

located "/dev/zero as the policy" /dev/zero
located "/dev/urandom as the policy" /dev/urandom

"$gen" 7 65536 bin >junk-set.txt
truncate -s 65M big-set.txt
printf '%s\n' 'version: 1' 'sets:' \
	'  junk: {type: cidr, file: junk-set.txt}' \
	'  big: {type: port, file: big-set.txt}' \
	'  dev: {type: port, file: /dev/zero}' \
	'rules:' \
	'  - {name: a, chain: input, src: "@junk", action: drop}' \
	'  - {name: b, chain: input, proto: tcp, dport: ["@big", "@dev"], action: drop}' >sets.yml
located "junk, 65 MB and /dev/zero set files" sets.yml
rm -f junk-set.txt big-set.txt sets.yml

# a FIFO nobody writes to is not an empty set: refused, like a device
mkfifo fifo-set.txt
printf '%s\n' 'version: 1' 'sets:' '  f: {type: cidr, file: fifo-set.txt}' \
	'rules:' '  - {name: a, chain: input, src: "@f", action: drop}' >fifo.yml
located "a FIFO as a set file" fifo.yml
if grep -q "fifo.yml:3:25: error: set file 'fifo-set.txt' (looked in $(pwd -P), the policy's directory) is not a regular file" "$tmp/err"; then
	ok "a FIFO as a set file: called what it is"
else
	not_ok "a FIFO as a set file: called what it is" "$tmp/err"
fi
rm -f fifo-set.txt fifo.yml

# ---- a policy from stdin ("-"): set files relative to the working directory ----
mkdir -p "$tmp/stdin/sub" && cd "$tmp/stdin" || exit 1
printf '192.0.2.0/24\n' >sub/admins.txt
printf '%s\n' 'version: 1' 'sets:' '  admins: {type: cidr, file: sub/admins.txt}' \
	'rules:' '  - {name: ssh, chain: input, proto: tcp, src: "@admins", dport: 22, action: accept}' >p.yml
"$vigild" check - <p.yml >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q '^OK: 1 rules, 1 sets' "$tmp/out"; then
	ok "vigild check - reads the policy from stdin, set files from the working directory"
else
	echo "exit status $rc" >"$tmp/rc"
	not_ok "vigild check - reads the policy from stdin" "$tmp/rc" "$tmp/out" "$tmp/err"
fi
"$vigild" show - <p.yml | sed 1d >"$tmp/out1"
"$vigild" show p.yml | sed 1d >"$tmp/out2"
if [ -s "$tmp/out1" ] && cmp -s "$tmp/out1" "$tmp/out2"; then
	ok "vigild show - prints what vigild show FILE does"
else
	diff -u "$tmp/out2" "$tmp/out1" >"$tmp/diff"
	not_ok "vigild show - prints what vigild show FILE does" "$tmp/diff"
fi
(cd sub && "$vigild" check - <../p.yml) >"$tmp/out" 2>"$tmp/err"
rc=$?
want="<stdin>:3:30: error: cannot read set file 'sub/admins.txt' (looked in $(cd sub && pwd -P), the working directory: the policy came from stdin): No such file or directory"
if [ $rc -eq 1 ] && [ "$(cat "$tmp/err")" = "$want" ]; then
	ok "a stdin policy's missing set file: the error names the working directory"
else
	printf 'exit %s; want: %s\n' "$rc" "$want" >"$tmp/rc"
	not_ok "a stdin policy's missing set file: the error names the working directory" \
		"$tmp/rc" "$tmp/err"
fi
printf 'version: 1\nrules:\n  - {name: a, chain: input, action: drop, src: "!10.0.0.0/8"}\n' |
	"$vigild" check - >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "^<stdin>:3:48: error: bad address '!10.0.0.0/8' in 'src'" "$tmp/err"; then
	ok "errors in a stdin policy are located as <stdin>:LINE:COL"
else
	not_ok "errors in a stdin policy are located as <stdin>:LINE:COL" "$tmp/err"
fi
cd "$tmp" || exit 1

# ---- usage errors: exit 2, naming the option and what is wrong with it ----
# usage WANT-STDERR-LINE ARGS...
usage() {
	want=$1
	shift
	"$vigild" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 2 ]; then
		echo "exit status $rc, expected 2" >"$tmp/rc"
		not_ok "vigild $*: wrong exit status" "$tmp/rc" "$tmp/err"
	elif [ "$(head -n 1 "$tmp/err")" != "$want" ]; then
		printf 'want: %s\n' "$want" >"$tmp/want"
		not_ok "vigild $*: wrong message" "$tmp/want" "$tmp/err"
	else
		ok "vigild $*: $want"
	fi
}
printf 'version: 1\n' >p.yml
usage "vigild check: error: option '-t' needs an argument" check p.yml -t
usage "vigild check: error: option '--table' needs an argument" check p.yml --table
usage "vigild show: error: unknown option '-x'" show -tvigil -x p.yml
usage "vigild apply: error: unknown option '-z'" apply -qz p.yml
usage "vigild apply: error: option '-u' needs an argument" apply p.yml -u
usage "vigild remove: error: option '-t' needs an argument" remove -t
usage "vigild check: error: unknown option '--tabel'" check --tabel=x p.yml
usage "vigild apply: error: option '--quiet' takes no argument" apply --quiet=yes p.yml
usage "vigild: error: invalid table name 'tcp': it is a keyword of nft's language, which nft cannot read as a name; choose another" check -t tcp p.yml
usage "vigild watch: error: option '--db' needs an argument" watch p.yml --db
usage "vigild watch: error: unknown option '-z'" watch -qz p.yml
usage "vigild: error: --user needs a user name or id" watch -u '' p.yml
usage "vigild flows: error: unknown option '--jsonn'" flows --jsonn
usage "vigild flows: error: option '--json' takes no argument" flows --json=1
usage "vigild: error: 'version' takes no arguments" version extra
usage "vigild: error: 'vigild help' wants a verb, not 'nope'" help nope
rm -f p.yml

# ---- help: every form of it prints a usage on stdout and exits 0 ----
helps() { # FIRST-LINE ARGS...
	want=$1
	shift
	"$vigild" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$tmp/err" ] || [ "$(head -n 1 "$tmp/out")" != "$want" ]; then
		echo "exit $rc, first line: $(head -n 1 "$tmp/out")" >"$tmp/rc"
		not_ok "vigild $*: not a usage on stdout with exit 0" "$tmp/rc" "$tmp/err"
	else
		ok "vigild $*: $want"
	fi
}
helps "Usage: vigild VERB [OPTIONS] [ARGS]" help --help
helps "Usage: vigild VERB [OPTIONS] [ARGS]" help help
helps "Usage: vigild version" version --help
helps "Usage: vigild version" help version
helps "Usage: vigild check [--table NAME] [--max-rules N] [--max-elements N] POLICY" help check
ver=$("$vigild" version)
case $ver in
"vigild "[0-9]*) ok "vigild version: $ver" ;;
*) echo "$ver" >"$tmp/out"; not_ok "vigild version prints 'vigild VERSION'" "$tmp/out" ;;
esac
helps "$ver" -V
helps "$ver" --version

# ---- a set file pointed at a secret: never shown ----
# (as root: check drops to the service's user before it reads set files)
if [ "$(id -u)" = 0 ]; then
	secret='root:$y$j9T$Secr3tHashOfTheRootPassword$zz:19000:0:99999:7:::'
	printf '%s\n' "$secret" >"$tmp/secret.txt"
	printf 'version: 1\nsets:\n  s: {type: cidr, file: secret.txt}\nrules:\n  - {name: r, chain: input, src: "@s", action: drop}\n' >"$tmp/leak.yml"
	for mode in 600 644; do
		chmod "$mode" "$tmp/secret.txt"
		"$vigild" check "$tmp/leak.yml" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ $rc = 1 ] && ! grep -qF 'Secr3t' "$tmp/err" "$tmp/out" && ! grep -qF 'root:' "$tmp/err"; then
			ok "check as root, set file = a $mode secret: exit 1, no byte of it shown ($(head -c 90 "$tmp/err")...)"
		else
			not_ok "check as root, set file = a $mode secret: its content must not be shown" "$tmp/err"
		fi
	done
	rm -f "$tmp/secret.txt" "$tmp/leak.yml"
	# /proc is not a set file, whatever it points to
	printf 'version: 1\nsets:\n  s: {type: cidr, file: /proc/version}\nrules:\n  - {name: r, chain: input, src: "@s", action: drop}\n' >"$tmp/proc.yml"
	"$vigild" check "$tmp/proc.yml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 1 ] && grep -q "not a regular file" "$tmp/err"; then
		ok "a set file in /proc is refused as not a regular file"
	else
		not_ok "a set file in /proc is refused" "$tmp/err"
	fi
	rm -f "$tmp/proc.yml"
fi

echo "1..$n"
