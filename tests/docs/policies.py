#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The policy schema, the examples and `vigild check`, against each other.

Usage: policies.py VIGILD SOURCE_ROOT          (prints TAP)

  examples/*.yml            the schema accepts; `vigild check` accepts with
                            no warning at all (stderr empty)
  tests/docs/valid/*.yml    unusual but valid spellings: both accept, no
                            warning but those its "# warns: TEXT" lines name
                            (substrings, one line each, all of them)
  tests/docs/invalid/*.yml  both reject, each for the reason the file names:
                              # vigild: TEXT    one line per error vigild must
                                                print (substring); vigild must
                                                print exactly these errors
                              # schema: /PATH   the schema must report an error
                                                at (or under) this JSON pointer;
                                                "/" is the document itself
  tests/docs/schema-gaps/*.yml
                            what JSON Schema cannot express: vigild rejects
                            (# vigild: lines as above), the schema ACCEPTS.
                            Each file says why. When the schema learns to
                            catch one, this test fails: move the file to
                            invalid/ and add a "# schema:" line.

plus: the committed schema and blocklist are what tests/docs/gen-*.py print;
the blocklist holds only documentation/benchmarking ranges; the schema's
address and port patterns agree with glibc's inet_pton and vigild's number
rules on generated strings; every key of the schema is documented in
vigil-policy(5); the annotated example in vigil-policy(5) is valid, and the
`vigild show` output printed below it is what vigild prints.

YAML is loaded the way editors (yaml-language-server) load it: YAML 1.2 core
schema, so `yes` and `on` are strings and `022` is the integer 22. Mapping
keys are taken as written (JSON keys are strings). Files in invalid/ must
load: a rejection must come from the schema, not from the YAML reader.

Needs the Debian packages python3-yaml and python3-jsonschema (CI installs
them); a missing one is a failure, not a skip.
"""
import glob
import ipaddress
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile

try:
    import jsonschema
    import yaml
except ImportError as e:
    print(f"Bail out! {e}: install the Debian packages python3-yaml and python3-jsonschema")
    sys.exit(1)


# ---- TAP ----

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, good, what, diag=()):
        self.n += 1
        if not good:
            self.failed += 1
        print(f"{'ok' if good else 'not ok'} {self.n} - {what}")
        for line in diag:
            for part in str(line).splitlines():
                print(f"#   {part}")
        sys.stdout.flush()

    def done(self):
        print(f"1..{self.n}")
        return 1 if self.failed else 0


# ---- YAML 1.2 core schema loader ----

class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema tag resolution (not 1.1's)."""


Yaml12Loader.yaml_implicit_resolvers = {}


def _resolver(tag, regexp, first):
    Yaml12Loader.add_implicit_resolver(tag, re.compile(regexp, re.X), list(first))


_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
          "-+0123456789")
_resolver("tag:yaml.org,2002:float",
          r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
               |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", "-+.0123456789")


def _int(loader, node):
    v = loader.construct_scalar(node)
    if v.startswith("0o"):
        return int(v[2:], 8)
    if v.startswith("0x"):
        return int(v[2:], 16)
    return int(v, 10)


def _float(loader, node):
    v = loader.construct_scalar(node).lower()
    if v.endswith(".inf"):
        return float("-inf") if v.startswith("-") else float("inf")
    if v == ".nan":
        return float("nan")
    return float(v)


def _bool(loader, node):
    return loader.construct_scalar(node).lower() == "true"


def _mapping(loader, node):
    out = {}
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a scalar", k.start_mark)
        out[k.value] = loader.construct_object(v, deep=True)
    return out


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _float)
Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _bool)
Yaml12Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Yaml12Loader)


# ---- schema ----

def pattern_matches(patrn, s):
    """A schema pattern as ECMA-262 reads it: a trailing '$' is the end of
    the string. Python's '$' also matches before a final newline, which would
    let "22\\n" pass a port pattern that an editor rejects."""
    if patrn.endswith("$") and not patrn.endswith(r"\$"):
        patrn = patrn[:-1] + r"\Z"
    return re.search(patrn, s) is not None


def _pattern(validator, patrn, instance, schema):
    if validator.is_type(instance, "string") and not pattern_matches(patrn, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")


def make_validator(schema):
    base = jsonschema.Draft202012Validator
    cls = jsonschema.validators.extend(base, {"pattern": _pattern})
    return cls(schema)


def pointer(path):
    return "".join(f"/{p}" for p in path)


def all_errors(errors):
    """Errors and, recursively, the errors under oneOf/anyOf/allOf."""
    for e in errors:
        yield e
        yield from all_errors(e.context or [])


def describe(errors):
    """One line per innermost error: the JSON pointer and the message."""
    out = set()
    for e in all_errors(errors):
        if not e.context:
            msg = e.message if len(e.message) <= 160 else e.message[:157] + "..."
            out.add(f"schema: {pointer(e.absolute_path) or '/'}: {msg}")
    return sorted(out)


# ---- vigild ----

def vigild_check(vigild, path):
    p = subprocess.run([vigild, "check", os.path.basename(path)], cwd=os.path.dirname(path),
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def header(path, key):
    """Values of '# key: value' comment lines at the top of a file."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                break
            m = re.match(rf"#\s*{re.escape(key)}:\s?(.*)$", line.rstrip("\n"))
            if m:
                out.append(m.group(1))
    return out


def expect_vigild_errors(path, rc, err):
    """The # vigild: lines against vigild's output: exit 1 and exactly the
    expected errors. Returns a list of problems (empty when fine)."""
    want = header(path, "vigild")
    problems = []
    if not want:
        problems.append("the file has no '# vigild:' line")
    if rc != 1:
        problems.append(f"vigild check exited {rc}, expected 1")
    lines = [line for line in err.splitlines() if ": error: " in line]
    left = list(lines)
    for w in want:
        hit = next((line for line in left if w in line), None)
        if hit is None:
            problems.append(f"no error line contains {w!r}")
        else:
            left.remove(hit)
    for line in left:
        problems.append(f"unexpected error: {line}")
    return problems


# ---- checks ----

def check_accepting(tap, validator, vigild, path, label):
    problems = []
    try:
        doc = load_yaml(path)
        problems.extend(describe(validator.iter_errors(doc)))
    except yaml.YAMLError as e:
        problems.append(f"YAML: {e}")
    rc, out, err = vigild_check(vigild, path)
    if rc != 0:
        problems.append(f"vigild check exited {rc}")
    left = err.splitlines()
    warns = header(path, "warns") if "/valid/" in path else []
    for w in warns:
        hit = next((line for line in left if ": warning: " in line and w in line), None)
        if hit is None:
            problems.append(f"no warning contains {w!r}")
        else:
            left.remove(hit)
    if left:
        problems.append("vigild check printed on stderr (no other warnings allowed):")
    if rc != 0 or left:
        problems.extend(left)
    tap.ok(not problems, f"{label}: schema and vigild check accept it, "
           f"{len(warns) if warns else 'no'} warning{'' if len(warns) == 1 else 's'}", problems)


def check_invalid(tap, validator, vigild, path, label):
    problems = []
    want_paths = header(path, "schema")
    if not want_paths:
        problems.append("the file has no '# schema:' line")
    try:
        doc, loaded = load_yaml(path), True
    except yaml.YAMLError as e:
        loaded = False
        problems.append(f"does not load as YAML, so the schema never sees it: {e}")
    if loaded:
        errs = list(all_errors(validator.iter_errors(doc)))
        if not errs:
            problems.append("the schema accepts it")
        for wp in want_paths:
            # "/" is the document itself; any other pointer also covers
            # errors below it
            if not any(pointer(e.absolute_path) == "" if wp == "/" else
                       pointer(e.absolute_path).startswith(wp) for e in errs):
                problems.append(f"no schema error at {wp}; errors at: " +
                                ", ".join(sorted({pointer(e.absolute_path) or "/" for e in errs})))
    rc, out, err = vigild_check(vigild, path)
    vp = expect_vigild_errors(path, rc, err)
    problems.extend(vp)
    if vp:
        problems.extend(["vigild said:"] + err.splitlines())
    tap.ok(not problems, f"{label}: schema and vigild check both reject it", problems)


def check_gap(tap, validator, vigild, path, label):
    problems = []
    if not header(path, "why"):
        problems.append("the file has no '# why:' line saying why the schema cannot catch it")
    try:
        doc = load_yaml(path)
        errs = list(validator.iter_errors(doc))
        if errs:
            problems.append("the schema now rejects it: move it to tests/docs/invalid/ "
                            "with a '# schema:' line")
            problems.extend(describe(errs))
    except yaml.YAMLError as e:
        problems.append(f"YAML: {e}")
    rc, out, err = vigild_check(vigild, path)
    vp = expect_vigild_errors(path, rc, err)
    problems.extend(vp)
    if vp:
        problems.extend(["vigild said:"] + err.splitlines())
    tap.ok(not problems, f"{label}: vigild check rejects it, the schema cannot", problems)


def check_generated(tap, root, script, target):
    p = subprocess.run([sys.executable, os.path.join(root, "tests/docs", script)],
                       capture_output=True, text=True)
    with open(os.path.join(root, target), encoding="utf-8") as f:
        have = f.read()
    good = p.returncode == 0 and p.stdout == have
    diag = [] if good else [f"regenerate: tests/docs/{script} > {target}", p.stderr]
    tap.ok(good, f"{target} is what tests/docs/{script} prints", diag)


SAFE_RANGES = [ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # RFC 5737
    "198.18.0.0/15",                                      # RFC 2544
    "2001:db8::/32",                                      # RFC 3849
    "3fff::/20",                                          # RFC 9637
)]


def check_blocklist(tap, root):
    path = os.path.join(root, "examples/blocklist.txt")
    problems, n = [], 0
    with open(path, encoding="ascii") as f:
        for lineno, line in enumerate(f, 1):
            entry = line.split("#", 1)[0].strip()
            if not entry:
                continue
            n += 1
            try:
                net = ipaddress.ip_network(entry, strict=True)
            except ValueError as e:
                problems.append(f"line {lineno}: {e}")
                continue
            if not any(net.version == r.version and net.subnet_of(r) for r in SAFE_RANGES):
                problems.append(f"line {lineno}: {entry} is outside the documentation ranges")
    if n < 5000:
        problems.append(f"only {n} entries; the example is meant to be large")
    tap.ok(not problems, f"examples/blocklist.txt: {n} entries, all in documentation or "
           "benchmarking ranges", problems[:20])


def check_blocklist_merges(tap, vigild, root):
    """The example shows merging: the kernel sets have fewer intervals than
    the file has entries, and the hand-made adjacent entries are joined."""
    p = subprocess.run([vigild, "show", "blocklist.yml"], cwd=os.path.join(root, "examples"),
                       capture_output=True, text=True, timeout=120)
    sets = {m.group(1): [x.strip() for x in m.group(2).split(",") if x.strip()]
            for m in re.finditer(r"set (\w+) \{.*?elements = \{(.*?)\}", p.stdout, re.S)}
    v4, v6 = sets.get("blocklist_v4", []), sets.get("blocklist_v6", [])
    problems = []
    if p.returncode != 0:
        problems.append(f"vigild show exited {p.returncode}: {p.stderr}")
    for want in ("198.51.100.0/24", "203.0.113.0-203.0.113.191", "198.19.248.0/22",
                 "192.0.2.0/24"):
        if want not in v4:
            problems.append(f"{want} is not an element of blocklist_v4")
    if "3fff:fff:ffff::/48" not in v6:
        problems.append("3fff:fff:ffff::/48 is not an element of blocklist_v6")
    with open(os.path.join(root, "examples/blocklist.txt"), encoding="ascii") as f:
        entries = sum(1 for line in f if line.split("#", 1)[0].strip())
    if not v4 or not v6 or len(v4) + len(v6) >= entries:
        problems.append(f"{entries} entries became {len(v4)} + {len(v6)} intervals")
    tap.ok(not problems, f"examples/blocklist.yml: {entries} entries merge into "
           f"{len(v4)} IPv4 + {len(v6)} IPv6 intervals", problems)


def _num(t, mx):
    if not t or (t[0] == "0" and len(t) > 1) or not all(c in "0123456789" for c in t):
        return None
    v = int(t)
    return v if v <= mx else None


def _vigild_one_addr(a):
    """The family of one address without prefix, or None."""
    if not a or len(a) >= 46 or "%" in a:
        return None
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(fam, a)
            return fam
        except OSError:
            pass
    return None


def _vigild_addr_syntax(t):
    """addr_parse() of src/core/ival.c, minus the host-bits check and the
    order of a range's ends."""
    first, dash, last = t.partition("-")
    if dash:
        f = _vigild_one_addr(first)
        return f is not None and f == _vigild_one_addr(last)
    a, slash, plen = t.partition("/")
    if not a or len(a) >= 46 or "%" in a:
        return False
    for fam, bits in ((socket.AF_INET, 32), (socket.AF_INET6, 128)):
        try:
            socket.inet_pton(fam, a)
        except OSError:
            continue
        return not slash or _num(plen, bits) is not None
    return False


def _vigild_port_syntax(t):
    """port_parse(), minus the LOW <= HIGH check."""
    lo, dash, hi = t.partition("-")
    if not dash:
        return _num(t, 65535) is not None
    return _num(lo, 65535) is not None and _num(hi, 65535) is not None


def check_patterns(tap, schema):
    d = schema["$defs"]
    cidr = d["cidr"]["pattern"]
    port = d["port_range"]["oneOf"][1]["pattern"]
    rng = random.Random(20240611)
    toks = ["0", "1", "00", "01", "9", "10", "255", "256", "25", "199", "a", "f", "ff", "fff",
            "ffff", "fffff", "FFFF", "db8", "2001", ":", "::", ".", "/", "/0", "/32", "/33",
            "/128", "/129", "/08", "/64", "1.2.3.4", "%", "g", "-", " ", "\n"]
    bad = []
    n = 0
    for _ in range(60000):
        t = "".join(rng.choice(toks) for _ in range(rng.randint(1, 12)))
        n += 1
        if pattern_matches(cidr, t) != _vigild_addr_syntax(t):
            bad.append(repr(t))
    for _ in range(30000):
        parts = [rng.choice(["0", "1", "ab", "fff", "ffff", "10000", "", "1.2.3.4"])
                 for _ in range(rng.randint(1, 9))]
        t = ("::" if rng.random() < .3 else "") + ":".join(parts) + \
            ("::" if rng.random() < .3 else "") + \
            (rng.choice(["/0", "/1", "/64", "/128", "/129", "/010"]) if rng.random() < .3 else "")
        n += 1
        if pattern_matches(cidr, t) != _vigild_addr_syntax(t):
            bad.append(repr(t))
    tap.ok(not bad, f"schema address pattern agrees with inet_pton on {n} generated strings",
           bad[:20])
    bad = []
    ptoks = ["0", "1", "6", "5", "3", "00", "-", "65535", "65536", "655", "99999", "a", " ", "+"]
    cases = [str(i) for i in range(0, 70000)] + \
        ["".join(rng.choice(ptoks) for _ in range(rng.randint(1, 6))) for _ in range(30000)]
    for t in cases:
        if pattern_matches(port, t) != _vigild_port_syntax(t):
            bad.append(repr(t))
    tap.ok(not bad, f"schema port pattern agrees with vigild's port syntax on {len(cases)} strings",
           bad[:20])


def check_keys_documented(tap, schema, root):
    try:
        with open(os.path.join(root, "man/vigil-policy.5"), encoding="utf-8") as f:
            page = f.read()
    except OSError as e:
        tap.ok(False, "every policy key has an entry in man/vigil-policy.5", [str(e)])
        return
    documented = set()
    for line in re.findall(r"^\.It .*$", page, re.M):
        documented |= set(re.findall(r"\bCm ([a-z-]+)", line))
    d = schema["$defs"]
    keys = set(schema["properties"]) | set(d["set"]["properties"]) | set(d["rule"]["properties"])
    keys |= set(schema["properties"]["defaults"]["properties"])
    missing = sorted(keys - documented)
    tap.ok(not missing, f"every policy key ({len(keys)}) has an '.It Cm KEY' entry in "
           "man/vigil-policy.5", [f"undocumented: {', '.join(missing)}"] if missing else [])


def man_literal_after(page, marker):
    """The text of the first .Bd -literal ... .Ed block after a line holding
    marker, with the few mdoc escapes used in examples undone."""
    lines = page.splitlines()
    start = next(i for i, line in enumerate(lines) if marker in line)
    begin = next(i for i in range(start, len(lines)) if lines[i].startswith(".Bd -literal"))
    end = next(i for i in range(begin, len(lines)) if lines[i] == ".Ed")
    text = "\n".join(lines[begin + 1:end]) + "\n"
    for esc, ch in (("\\(dq", '"'), ("\\&", ""), ("\\e", "\\")):
        text = text.replace(esc, ch)
    return text


def check_man_example(tap, vigild, root, tmpdir):
    """The annotated example of vigil-policy(5) is valid, and the excerpt of
    `vigild show` printed below it is what vigild prints (lines wrapped for
    the page are joined; "..." stands for any text)."""
    problems = []
    with open(os.path.join(root, "man/vigil-policy.5"), encoding="utf-8") as f:
        page = f.read()
    try:
        policy = man_literal_after(page, "A complete policy, annotated:")
        excerpt = man_literal_after(page, "prints for it")
    except StopIteration:
        tap.ok(False, "man/vigil-policy.5: the annotated example is where this test looks")
        return
    with open(os.path.join(tmpdir, "policy.yml"), "w", encoding="utf-8") as f:
        f.write(policy)
    with open(os.path.join(tmpdir, "blocklist.txt"), "w", encoding="ascii") as f:
        f.write("192.0.2.200\n2001:db8:dead::/48\n")
    rc, out, err = vigild_check(vigild, os.path.join(tmpdir, "policy.yml"))
    if rc != 0 or err:
        problems.append(f"vigild check exited {rc}")
        problems.extend(err.splitlines())
    p = subprocess.run([vigild, "show", "policy.yml"], cwd=tmpdir, capture_output=True,
                       text=True, timeout=60)
    shown = [line.strip() for line in p.stdout.splitlines()]
    joined = []
    for line in excerpt.splitlines():
        if line.startswith("    ") and joined:
            joined[-1] += " " + line.strip()
        elif line.strip():
            joined.append(line.strip())
    for want in joined:
        parts = [x.strip() for x in want.split("...")]
        pat = ".*".join(re.escape(x) for x in parts)
        if not any(re.fullmatch(pat, line) for line in shown):
            problems.append(f"vigild show prints no line like: {want}")
    tap.ok(not problems, f"man/vigil-policy.5: the annotated example passes vigild check, "
           f"and its {len(joined)} lines of vigild show output are what vigild prints", problems)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    vigild, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    schema_path = os.path.join(root, "schemas/policy.schema.json")
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        tap.ok(True, "schemas/policy.schema.json is a valid JSON Schema 2020-12 document")
    except jsonschema.SchemaError as e:
        tap.ok(False, "schemas/policy.schema.json is a valid JSON Schema 2020-12 document",
               [str(e)])
        return tap.done()
    validator = make_validator(schema)
    check_generated(tap, root, "gen-schema.py", "schemas/policy.schema.json")
    check_patterns(tap, schema)
    check_keys_documented(tap, schema, root)

    def files(sub):
        found = sorted(glob.glob(os.path.join(root, sub, "*.yml")))
        if not found:
            tap.ok(False, f"{sub}/*.yml: no files found")
        return found

    for p in files("examples"):
        check_accepting(tap, validator, vigild, p, os.path.relpath(p, root))
    for p in files("tests/docs/valid"):
        check_accepting(tap, validator, vigild, p, os.path.relpath(p, root))
    for p in files("tests/docs/invalid"):
        check_invalid(tap, validator, vigild, p, os.path.relpath(p, root))
    for p in files("tests/docs/schema-gaps"):
        check_gap(tap, validator, vigild, p, os.path.relpath(p, root))
    with tempfile.TemporaryDirectory() as tmpdir:
        # check, run as root, reads set files as an unprivileged user
        os.chmod(tmpdir, 0o755)
        check_man_example(tap, vigild, root, tmpdir)
    check_generated(tap, root, "gen-blocklist.py", "examples/blocklist.txt")
    check_blocklist(tap, root)
    check_blocklist_merges(tap, vigild, root)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
