#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The pure core stays pure: no object of the core library may call what
# makes a process talk to the world (sockets, processes, capabilities) or
# print. Reads the library's undefined symbols with nm; TAP output.
#   core-purity.sh LIBCORE.a
set -u
lib=$1
# what the core must never reach for
forbidden='^(socket|socketpair|connect|bind|listen|accept4?|sendto|sendmsg|recvmsg|recvfrom|recv|send|fork|vfork|clone|clone3|execve|execv|execvp|execl|execlp|fexecve|posix_spawn|system|popen|setuid|setgid|setresuid|setresgid|prctl|capng_.*|seccomp_.*|printf|fprintf|vprintf|vfprintf|dprintf|vdprintf|puts|fputs|fputc|putc|putchar|fwrite|perror|syslog|vsyslog|open|openat|fopen|sd_.*|sqlite3_.*)$'
# the one exception: util.c's out-of-memory line (write(2) to stderr, then exit)
n=0 fail=0
ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); printf 'not ok %d - %s\n' "$n" "$*"; }

syms=$(nm -A -u "$lib") || { echo "Bail out! nm failed on $lib"; exit 1; }
[ -n "$syms" ] || { echo "Bail out! no symbols in $lib"; exit 1; }
bad=$(awk '{ obj = $1; sub(/:$/, "", obj); n = split(obj, p, ":"); print p[n], $NF }' <<<"$syms" |
	grep -E " $(printf '%s' "$forbidden" | sed 's/^\^//')" | sort -u)
if [ -z "$bad" ]; then
	ok "the core library calls no socket, process, capability, file-open or printing function"
else
	not_ok "the core library calls forbidden functions"
	sed 's/^/#   /' <<<"$bad"
fi
writers=$(awk '$NF == "write" { obj = $1; sub(/:$/, "", obj); n = split(obj, p, ":"); print p[n] }' <<<"$syms" | sort -u)
if [ -z "$(grep -v '_util\.c\.o$' <<<"$writers")" ]; then
	ok "only util.c writes (its out-of-memory line)"
else
	not_ok "write(2) outside util.c"
	sed 's/^/#   /' <<<"$writers"
fi
# the test can fail: a symbol list with a forbidden call must be caught
probe=$(printf 'x.o: U socket\nx.o: U fprintf\n' | awk '{ print $1, $NF }' | grep -cE " $(printf '%s' "$forbidden" | sed 's/^\^//')")
if [ "$probe" = 2 ]; then ok "the check catches socket and fprintf"; else not_ok "the check misses forbidden calls"; fi
printf '1..%d\n' "$n"
[ "$fail" = 0 ]
