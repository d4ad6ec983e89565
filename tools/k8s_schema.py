#!/usr/bin/env python3
"""Regenerates src/k8s/schema.txt: the field numbers, types and JSON names
of every Kubernetes API message, the stored kinds, and the fields removed
from Kubernetes that objects written before still carry, for
src/k8s/typed.rs.

Sources:

- Kubernetes' own `generated.proto` files, from the Go modules k8s.io/api,
  k8s.io/apimachinery, k8s.io/apiextensions-apiserver,
  k8s.io/kube-aggregator and k8s.io/metrics at NEWEST (below): the
  messages, field numbers, types, repeated/map;
- k8s-openapi (serde code generated from Kubernetes' OpenAPI spec), its
  module for NEWEST: the JSON field names (`$ref`,
  `x-kubernetes-preserve-unknown-fields`, which the proto calls `ref`,
  `xKubernetesPreserveUnknownFields`), which fields JSON shows inline
  (Go's embedded structs: a message field whose name the parent's JSON
  lacks and all of whose type's fields it has) and the kinds
  (`impl crate::Resource`: apiVersion, kind, plural);
- the Go structs beside each generated.proto (their `json:"…"` and
  `protobuf:"…"` tags): the JSON names and embedded structs of what
  k8s-openapi does not have (messages of API versions Kubernetes no longer
  serves, removed fields), and a check of the two above;
- the same modules at one release of every older Kubernetes minor the Go
  module proxy serves (OLDER: 1.15 on): every field a message no longer
  has (`R` records, with the last release that had it), and the messages
  Kubernetes removed since (kept as that last release had them, so that an
  object stored in a removed version still decodes).

Messages are named by their proto package less `k8s.io.` and the k8s-pb
crate's spelling of the type (`api.core.v1.Pod`,
`apimachinery.pkg.apis.meta.v1.ObjectMeta`,
`apiextensions_apiserver.pkg.apis.apiextensions.v1.Json`: see RESTORED).

The modules are fetched with the ordinary Go client (`go mod download`,
into $(go env GOMODCACHE); one already there is read from it). Usage,
with k8s-openapi fetched by cargo (`cargo fetch` in a scratch project that
depends on k8s-openapi = { version = "0.29", features = ["latest"] }):

    python3 tools/k8s_schema.py \\
        ~/.cargo/registry/src/*/k8s-openapi-0.29.0/src/v1_37 > src/k8s/schema.txt

It reports on standard error what it read and what did not match: the
proto names whose JSON spelling differs, the names k8s-openapi does not
have, where k8s-openapi and the Go tags disagree, the releases not served,
the removed fields and messages.

Output, one record per line:
    K <apiVersion> <kind> <message> <plural>
    M <message>
    <number> <jsonName> <o|r|m|i> <type>   (o: optional, r: repeated,
        m: map with string keys, i: an embedded Go struct whose fields JSON
        shows in the parent, named -; type: string bytes bool int32 int64
        double, or a message name)
    R <message> <number> <jsonName> <release>   (a field removed from
        <message>: the last Kubernetes release that had it)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

MODULES = ["api", "apimachinery", "apiextensions-apiserver", "kube-aggregator", "metrics"]
NEWEST = "v0.37.2"
# The newest patch release of each older minor that the Go module proxy
# serves (1.15 is the oldest with a semantic version). A module a release
# does not have is skipped.
OLDER = [
    "v0.15.7", "v0.16.4", "v0.17.17", "v0.18.0", "v0.19.16", "v0.20.15",
    "v0.21.14", "v0.22.17", "v0.23.16", "v0.24.17", "v0.25.16", "v0.26.9",
    "v0.27.16", "v0.28.15", "v0.29.15", "v0.30.14", "v0.31.14", "v0.32.13",
    "v0.33.13", "v0.34.13", "v0.35.10", "v0.36.6",
]
# Test-only API groups of apimachinery: not Kubernetes objects.
SKIP_PACKAGES = ("apimachinery.pkg.apis.testapigroup.",)
SCALARS = {"string", "bytes", "bool", "int32", "int64", "double"}

if len(sys.argv) != 2:
    sys.exit(__doc__)
OPENAPI = sys.argv[1]


def log(text):
    print(text, file=sys.stderr)


def release(version):
    """`v0.37.2` → `1.37`."""
    return "1." + version.split(".")[1]


_modcache = None
_scratch = None


def module_dir(module, version):
    """The module's directory in the Go module cache, downloaded if it is
    not there yet; None when the proxy does not serve it."""
    global _modcache, _scratch
    if _modcache is None:
        _modcache = subprocess.run(["go", "env", "GOMODCACHE"], check=True,
                                   capture_output=True, text=True).stdout.strip()
    path = os.path.join(_modcache, "k8s.io", f"{module}@{version}")
    if os.path.isdir(path):
        return path
    if _scratch is None:
        _scratch = tempfile.mkdtemp(prefix="k8s_schema-")
        subprocess.run(["go", "mod", "init", "k8s-schema-scratch"], cwd=_scratch, check=True,
                       capture_output=True)
    got = subprocess.run(["go", "mod", "download", "-json", f"k8s.io/{module}@{version}"],
                         cwd=_scratch, capture_output=True, text=True)
    try:
        info = json.loads(got.stdout)
    except json.JSONDecodeError:
        info = {"Error": got.stderr.strip()}
    if "Dir" not in info:
        log(f"  k8s.io/{module}@{version} not served: {info.get('Error', '').splitlines()[:1]}")
        return None
    return info["Dir"]


# --- names --------------------------------------------------------------------

# k8s-pb's spelling of Kubernetes' type names, which the schema keeps
# (typed.rs names some messages): prost's UpperCamelCase (heck's: `JSON` →
# `Json`, `HTTPGetAction` → `HttpGetAction`), then k8s-pb's restorations of
# some acronyms.
RESTORED = [
    ("ApiService", "APIService"), ("ApiResource", "APIResource"), ("ApiGroup", "APIGroup"),
    ("ApiVersion", "APIVersion"), ("ApiSubresource", "APISubresource"),
    ("DownwardApi", "DownwardAPI"), ("CsiDriver", "CSIDriver"),
    ("CsiPersistent", "CSIPersistent"), ("CsiVolume", "CSIVolume"), ("CsiStorage", "CSIStorage"),
    ("CsiNode", "CSINode"), ("IpAddress", "IPAddress"), ("ServiceCidr", "ServiceCIDR"),
    ("ClusterCidr", "ClusterCIDR"), ("ClientCidr", "ClientCIDR"),
]


def upper_camel(name):
    """heck's UpperCamelCase: words split where a lowercase letter meets an
    uppercase one, and before the last capital of a run that a lowercase
    letter follows (`APIService` → API, Service); each word capitalised."""
    words = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        start, mode = 0, None
        for i, c in enumerate(part[:-1]):
            following = part[i + 1]
            after = "l" if c.islower() else "u" if c.isupper() else mode
            if after == "l" and following.isupper():
                words.append(part[start:i + 1])
                start, mode = i + 1, None
            elif mode == "u" and c.isupper() and following.islower():
                words.append(part[start:i])
                start, mode = i, None
            else:
                mode = after
        if part:
            words.append(part[start:])
    return "".join(w[:1].upper() + w[1:].lower() for w in words)


def rust_name(name):
    name = upper_camel(name)
    for old, new in RESTORED:
        name = name.replace(old, new)
    return name


def norm(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


# --- generated.proto and the Go structs ---------------------------------------

FIELD = re.compile(r"(optional|repeated)\s+([.\w]+)\s+(\w+)\s*=\s*(\d+)\s*;")
MAP = re.compile(r"map<\s*string\s*,\s*([.\w]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")


def parse_proto(path):
    """The package and [(message, [(number, proto name, card, type)])] in
    the file's order; card is o, r or m, type a scalar or a message."""
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    package = re.search(r"^package\s+([\w.]+)\s*;", text, re.M).group(1).removeprefix("k8s.io.")

    def full(t):
        if t in SCALARS:
            return t
        if "." in t:
            pkg, _, name = t.lstrip(".").removeprefix("k8s.io.").rpartition(".")
            return f"{pkg}.{rust_name(name)}"
        return f"{package}.{rust_name(t)}"

    out = []
    for m in re.finditer(r"^message\s+(\w+)\s*\{(.*?)^\}", text, re.M | re.S):
        name, body = m.groups()
        if re.search(r"^\s+(message|enum|oneof)\b", body, re.M):
            sys.exit(f"{path}: {name} nests a message, an enum or a oneof: not read")
        fields = []
        for line in body.split(";"):
            line = line.strip()
            if not line:
                continue
            line += ";"
            f = FIELD.fullmatch(line)
            if f:
                label, ty, fname, number = f.groups()
                fields.append((int(number), fname, "r" if label == "repeated" else "o", full(ty)))
                continue
            f = MAP.fullmatch(line)
            if f:
                ty, fname, number = f.groups()
                fields.append((int(number), fname, "m", full(ty)))
                continue
            sys.exit(f"{path}: {name}: cannot read {line!r}")
        out.append((f"{package}.{rust_name(name)}", fields))
    return package, out


GO_FIELD = re.compile(r"^\s+(\w+\s+)?(\S+)\s+`([^`]*)`")


def parse_go(directory, package):
    """{message: {number: (JSON name, embedded)}} from the `protobuf:"…"`
    and `json:"…"` tags of the Go structs in a package's directory."""
    out = {}
    for f in sorted(os.listdir(directory)):
        if not f.endswith(".go") or f.endswith("_test.go") or f.startswith(("generated", "zz_")):
            continue
        text = open(os.path.join(directory, f)).read()
        for m in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", text, re.M | re.S):
            fields = {}
            for line in m.group(2).split("\n"):
                g = GO_FIELD.match(line)
                if not g:
                    continue
                named, _, tags = g.groups()
                pb = re.search(r'protobuf:"([^"]*)"', tags)
                js = re.search(r'json:"([^"]*)"', tags)
                if not pb or pb.group(1) == "-":
                    continue
                number = int(pb.group(1).split(",")[1])
                name = js.group(1).split(",")[0] if js else ""
                fields[number] = (name, not named and name == "")
            if fields:
                out[f"{package}.{rust_name(m.group(1))}"] = fields
    return out


def read_release(version):
    """{message: [fields]}, [message] in order, and the Go tags
    {message: {number: (JSON name, embedded)}} of every module of a
    release."""
    messages, order, go = {}, [], {}
    for module in MODULES:
        d = module_dir(module, version)
        if d is None:
            continue
        for root, dirs, files in os.walk(d):
            dirs[:] = sorted(x for x in dirs if x not in ("vendor", "testdata", "third_party"))
            if "generated.proto" not in files:
                continue
            package, parsed = parse_proto(os.path.join(root, "generated.proto"))
            go.update(parse_go(root, package))
            for name, fields in parsed:
                if name.startswith(SKIP_PACKAGES):
                    continue
                if name in messages:
                    sys.exit(f"{name} defined twice in {version}")
                messages[name] = fields
                order.append(name)
    return messages, order, go


# --- k8s-openapi ------------------------------------------------------------------

# JSON names per type (`module.Type`, lowercase: k8s-openapi spells types as
# Kubernetes does, `JSON`, the schema as k8s-pb does, `Json`):
# {norm(name): name}.
per_type, kinds_openapi = {}, []
for root, _, files in os.walk(OPENAPI):
    for f in sorted(files):
        if not f.endswith(".rs"):
            continue
        module = os.path.relpath(root, OPENAPI).replace(os.sep, ".")
        text = open(os.path.join(root, f)).read()
        structs = re.findall(r"^pub struct (\w+)", text, re.M)
        if len(structs) > 1:
            sys.exit(f"{root}/{f}: more than one struct")
        for struct in structs:
            names = per_type.setdefault(f"{module}.{struct}".lower(), {})
            for name in re.findall(r'serialize_field\(&mut state, "([^"]+)"', text):
                names[norm(name)] = name
        for m in re.finditer(r"impl crate::Resource for (\w+) \{(.*?)\n\}", text, re.S):
            consts = dict(re.findall(r'const (\w+): &\'static str = "([^"]*)";', m.group(2)))
            scope = re.search(r"type Scope = crate::(\w+);", m.group(2)).group(1)
            kinds_openapi.append((consts["API_VERSION"], consts["KIND"], f"{module}.{m.group(1)}",
                                  consts["URL_PATH_SEGMENT"], scope))
if not per_type:
    sys.exit(f"{OPENAPI}: no k8s-openapi structs")

# --- the newest release, then the older ones ------------------------------------------

log(f"reading {NEWEST}")
messages, order, go = read_release(NEWEST)
# Older releases, oldest first: {version: (messages, go)}.
older = {}
for version in OLDER:
    log(f"reading {version}")
    old, _, old_go = read_release(version)
    older[version] = (old, old_go)

# Messages Kubernetes removed: as the last release that had them.
kept_from = {}
for version, (old, old_go) in older.items():
    for name, fields in old.items():
        if name not in messages:
            kept_from[name] = version
for name, version in sorted(kept_from.items()):
    old, old_go = older[version]
    messages[name] = old[name]
    go[name] = old_go.get(name, {})
    order.append(name)

_embedded = {}


def embedded(message, field):
    """Whether a field is a Go struct embedded in its message, whose fields
    JSON shows in the message's. k8s-openapi's answer when it has the
    message: a singular message field whose name the message's JSON lacks,
    all of whose type's JSON names (its own embedded structs' included) the
    message's JSON has. Else the Go tags' (an embedded field without a
    JSON name)."""
    key = (message, field[0])
    if key not in _embedded:
        number, proto_name, card, ty = field
        parent = per_type.get(message.lower())
        if parent is None:
            _embedded[key] = ty in messages and go.get(message, {}).get(number, ("", False))[1]
        else:
            _embedded[key] = (card == "o" and ty in messages and norm(proto_name) not in parent
                              and json_names(ty) <= parent.keys())
    return _embedded[key]


def json_names(message):
    """The (normalised) names JSON shows of a message's fields."""
    names = set()
    for field in messages[message]:
        names |= json_names(field[3]) if embedded(message, field) else {norm(field[1])}
    return names


differs, no_openapi, disagree, inline_disagree = [], [], [], []
out, inline = [], 0
for message in order:
    out.append(f"M {message}")
    parent = per_type.get(message.lower())
    tags = go.get(message, {})
    for field in messages[message]:
        number, proto_name, card, ty = field
        go_name, go_embedded = tags.get(number, (None, False))
        go_embedded = go_embedded and ty in messages  # not Duration's time.Duration
        if go_name == "-":
            go_name = None  # not in JSON (RawExtension.raw): the proto's name
        if number in tags and embedded(message, field) != go_embedded:
            inline_disagree.append(f"{message}.{proto_name}: k8s-openapi {embedded(message, field)}, "
                                   f"Go {go_embedded}")
        if embedded(message, field):
            out.append(f"{number} - i {ty}")
            inline += 1
            continue
        if parent is not None and norm(proto_name) in parent:
            name = parent[norm(proto_name)]
            if go_name is not None and go_name != name:
                disagree.append(f"{message}.{proto_name}: k8s-openapi {name}, Go {go_name}")
        elif go_name:
            name = go_name
            no_openapi.append(f"{message}.{proto_name} -> {name} (Go)")
        else:
            name = proto_name
            no_openapi.append(f"{message}.{proto_name} (proto)")
        if name != proto_name:
            differs.append(f"{message}.{proto_name} -> {name}")
        out.append(f"{number} {name} {card} {ty}")

kinds, not_listed = [], []
by_lower = {m.lower(): m for m in messages}
for api_version, kind, struct, plural, scope in sorted(set(kinds_openapi),
                                                      key=lambda k: (k[2].lower(), k[0])):
    message = by_lower.get(struct.lower())
    if message is None:
        not_listed.append(f"{api_version} {kind} ({struct}: no proto message)")
    elif not plural or scope == "SubResourceScope":
        not_listed.append(f"{api_version} {kind} ({struct}: a subresource or no plural, not stored)")
    else:
        kinds.append(f"K {api_version} {kind} {message} {plural}")

# Removed fields: (message, number) → (JSON name, last release that had it).
removed, renamed = {}, {}
for version, (old, old_go) in older.items():
    for message, fields in old.items():
        if message not in messages:
            continue
        now = {f[0]: f[1] for f in messages[message]}
        for number, proto_name, _, _ in fields:
            if number not in now:
                go_name = old_go.get(message, {}).get(number, ("", False))[0]
                removed[(message, number)] = (go_name or proto_name, release(version))
            elif norm(now[number]) != norm(proto_name):
                renamed[(message, number)] = (proto_name, now[number], release(version))
records = [f"R {m} {n} {name} {last}" for (m, n), (name, last) in sorted(removed.items())]

print("\n".join(kinds + out + records))

log(f"{len(kinds)} kinds, {len(order)} messages ({len(kept_from)} removed from Kubernetes, "
    f"kept from the last release that had them), "
    f"{sum(len(messages[m]) for m in order)} fields, {inline} inline, {len(records)} removed fields")
for title, lines in [
    ("proto names whose JSON spelling differs:", differs),
    ("JSON names where k8s-openapi and the Go tags disagree (k8s-openapi's kept):", disagree),
    ("embedded structs where k8s-openapi and the Go tags disagree:", inline_disagree),
    ("fields k8s-openapi does not name (named from the Go tags, else the proto):", no_openapi),
    ("k8s-openapi kinds not listed:", not_listed),
]:
    log(f"{len(lines)} {title}")
    for d in lines:
        log("  " + d)
log(f"{len(renamed)} fields renamed since an older release (their number kept):")
for (message, number), (old, new, last) in sorted(renamed.items()):
    log(f"  {message} {number}: {old} (until {last}) -> {new}")
log("messages removed from Kubernetes (kept):")
for name, version in sorted(kept_from.items()):
    log(f"  {name} (until {release(version)})")
log("removed fields:")
for r in records:
    log("  " + r[2:])
