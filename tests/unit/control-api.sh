#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# docs/control-api.yaml describes every route of the control socket
# (src/daemon/control.c's table, and the --metrics-listen listener), and is
# valid OpenAPI 3 where a validator is installed
# (python3-openapi-spec-validator). TAP.
set -u
src=${VIGIL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

routes=$(sed -n 's/^\t{ "\([A-Z]*\)", "\([^"]*\)", ACC_[A-Z]*, [a-z_A-Z]* },$/\1 \2/p' "$src/src/daemon/control.c")
[ -n "$routes" ] || { echo "Bail out! no routes found in control.c"; exit 1; }
while read -r method path; do
	if python3 - "$src/docs/control-api.yaml" "$method" "$path" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
op = doc["paths"].get(sys.argv[3], {}).get(sys.argv[2].lower())
# every route names its errors: at least the 403 and 405 JSON errors
sys.exit(0 if op and "403" in op["responses"] and "405" in op["responses"] else 1)
PY
	then ok "$method $path is in docs/control-api.yaml, with its errors"
	else not_ok "$method $path is in docs/control-api.yaml, with its errors"
	fi
done <<<"$routes"
if python3 -c 'import openapi_spec_validator' 2>/dev/null; then
	if out=$(python3 -c '
import sys, yaml
try:
    from openapi_spec_validator import validate
except ImportError:  # older releases (Debian 12)
    from openapi_spec_validator import validate_spec as validate
validate(yaml.safe_load(open(sys.argv[1])))' "$src/docs/control-api.yaml" 2>&1); then
		ok "docs/control-api.yaml is valid OpenAPI 3"
	else
		not_ok "docs/control-api.yaml is valid OpenAPI 3"
		printf '# %s\n' "$out" | tail -5
	fi
else
	n=$((n + 1)); echo "ok $n - docs/control-api.yaml is valid OpenAPI 3 # SKIP no openapi_spec_validator"
fi
echo "1..$n"
[ "$failed" = 0 ]
