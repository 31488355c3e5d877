#!/usr/bin/env python3
"""Sums meson test logs into one line: "N passed, N failed, N skipped".

Every TAP test point counts ("ok" passes, "not ok" fails, "# SKIP" points
are skipped). A test that crashed, timed out or printed no TAP counts as
one failure; a whole test that skipped (not root, no systemd to boot)
counts as one skipped, and is named with its reason before the total; it
counts as a failure when VIGIL_REQUIRE_NETNS=1 (CI must run everything).
Exits 1 on any failure.
"""
import json
import os
import re
import sys

require = os.environ.get("VIGIL_REQUIRE_NETNS") == "1"
passed = failed = skipped = 0
bad = []
skips = []

for path in sys.argv[1:]:
    if not os.path.exists(path):
        print(f"summary: no test log {path}", file=sys.stderr)
        failed += 1
        continue
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            name = f"{t.get('suite', [''])[0] if isinstance(t.get('suite'), list) else ''} {t['name']}".strip()
            out = t.get("stdout") or ""
            ok = nok = skip = 0
            for l in out.splitlines():
                if re.match(r"^not ok\b", l):
                    nok += 1
                elif re.match(r"^ok\b", l):
                    if re.search(r"#\s*SKIP", l, re.I):
                        skip += 1
                    else:
                        ok += 1
            result = t.get("result", "")
            if result == "SKIP":
                if require:
                    failed += 1
                    bad.append(f"{name} (skipped, but VIGIL_REQUIRE_NETNS=1)")
                else:
                    skipped += 1
                    why = re.search(r"^1\.\.0\s*#\s*SKIP\s*(.*)$", out, re.M | re.I)
                    skips.append(f"{name.strip()} ({why.group(1).strip() if why else 'skipped'})")
                continue
            passed += ok
            failed += nok
            skipped += skip
            if nok:
                bad.append(f"{name} ({nok} failed)")
            elif result not in ("OK", "EXPECTEDFAIL"):
                failed += 1
                bad.append(f"{name} ({result})")
            elif ok == 0 and skip == 0:
                passed += 1  # a plain exit-status test

for b in bad:
    print(f"FAILED: {b}")
for s in skips:
    print(f"SKIPPED: {s}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
