#!/bin/bash
# Rewrites the binary seeds of tests/fuzz/corpus (batch_verify, psep_proto,
# nlreply, revoke_verify) from vigild's own compiler; after a change of what nftc emits.
#   tests/fuzz/regen-corpus.sh BUILD-FUZZ-DIR
# The text seeds (policy) and the captured conntrack events (ct_parse) are
# kept as they are.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: regen-corpus.sh BUILD-FUZZ-DIR (meson setup with -Dfuzz=true)}
ninja -C "$build" tests/fuzz/mkseeds
for d in batch_verify psep_proto nlreply revoke_verify; do
	rm -rf "$src/tests/fuzz/corpus/$d"
	mkdir -p "$src/tests/fuzz/corpus/$d"
done
"$build/tests/fuzz/mkseeds" "$src/tests/fuzz/corpus"
git -C "$src" status --short tests/fuzz/corpus
