#!/bin/bash
# Privilege separation against a real kernel, in a throwaway namespace.
# TAP; needs root. VIGIL_REQUIRE_NETNS=1 turns "cannot run" into a failure.
set -u
probe=${PRIVSEP_PROBE:?}
ns=vigil-privsep-$$

cannot() {
	if [ "${VIGIL_REQUIRE_NETNS:-0}" = 1 ]; then
		echo "1..1"; echo "not ok 1 - $1"; exit 1
	fi
	# meson's TAP runner reads the skip from the plan (VIGIL_SKIP_STATUS=0);
	# run by hand, a skip exits 77
	echo "1..0 # SKIP $1"; exit "${VIGIL_SKIP_STATUS:-77}"
}
[ "$(id -u)" = 0 ] || cannot "needs root"
ip netns add "$ns" 2>/dev/null || cannot "cannot create a network namespace"
trap 'ip netns del "$ns" 2>/dev/null' EXIT
ip netns exec "$ns" nft list ruleset >/dev/null 2>&1 || cannot "the kernel has no nf_tables"

# a foreign table the helper must never touch
ip netns exec "$ns" nft -f - <<'NFT'
table ip foreign {
	set s { type ipv4_addr; elements = { 192.0.2.1 } }
	chain c { type filter hook input priority 10; policy accept; ip saddr @s counter; }
}
NFT
before=$(ip netns exec "$ns" nft list table ip foreign)

out=$(ip netns exec "$ns" "$probe" 2>/tmp/privsep-stderr.$$)
rc=$?
# renumber: the probe prints 1..15; we add two points of our own, then the
# read-only helper's two (probe read) and one more
echo "1..20"
echo "$out" | grep -v '^1\.\.'
after=$(ip netns exec "$ns" nft list table ip foreign)
if [ "$before" = "$after" ]; then echo "ok 16 - the foreign table is byte-identical"; else echo "not ok 16 - the foreign table changed"; rc=1; fi
if grep -q "refused a request (type 42" /tmp/privsep-stderr.$$ && grep -q "refused a batch: .*'foreign'" /tmp/privsep-stderr.$$; then
	echo "ok 17 - the helper logged both refusals"
else
	echo "not ok 17 - the helper did not log its refusals"; sed 's/^/# /' /tmp/privsep-stderr.$$; rc=1
fi
vigil_before=$(ip netns exec "$ns" nft -s list table inet vigil)
ip netns exec "$ns" "$probe" read 2>>/tmp/privsep-stderr.$$ || rc=1
if [ "$vigil_before" = "$(ip netns exec "$ns" nft -s list table inet vigil)" ]; then
	echo "ok 20 - the read-only helper committed nothing"
else
	echo "not ok 20 - the table changed under the read-only helper"; rc=1
fi
rm -f /tmp/privsep-stderr.$$
exit $rc
