#!/bin/sh
# Regenerates nftc-oracle.netlink: the bytecode nft itself generates for
# `vigild show nftc-oracle.yml`, printed by `nft --debug=netlink`. Needs root
# and nft; runs nft in a throwaway network namespace (the host's ruleset is
# never touched) and only checks the batch (nft -c: nothing is committed).
# Usage: tests/unit/nftc-oracle-regen.sh BUILDDIR/vigild
set -eu
vigild=$1
here=$(cd "$(dirname "$0")" && pwd)
ns=vigil-oracle-$$
tmp=$(mktemp -d)
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
ip netns add "$ns"
table=$(sed -n 's/^table: *\([a-z][a-z0-9_-]*\).*/\1/p' "$here/nftc-oracle.yml")
(cd "$here" && "$vigild" show ${table:+-t "$table"} nftc-oracle.yml) >"$tmp/oracle.nft"
ip netns exec "$ns" nft --debug=netlink -c -f "$tmp/oracle.nft" >"$tmp/out"
{
	echo "# nft --debug=netlink -c -f (vigild show nftc-oracle.yml); $(nft --version)"
	cat "$tmp/out"
} >"$here/nftc-oracle.netlink"
echo "wrote $here/nftc-oracle.netlink"
