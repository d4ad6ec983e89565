#!/usr/bin/env python3
"""Regenerates src/k8s/schema.txt: the field numbers, types and JSON names
of every Kubernetes API message, for src/k8s/typed.rs.

Kubernetes' own .proto files are not published in any package registry
this project can reach, so the schema is read from two crates.io crates:

- k8s-pb (prost code generated from Kubernetes' generated.proto files):
  messages, field numbers, types, repeated/map, and the kinds
  (`impl crate::Resource`: apiVersion, kind, plural);
- k8s-openapi (serde code generated from Kubernetes' OpenAPI spec): the
  exact JSON field names (`podIPs`, `hostIPC`, `$ref`), which prost's
  snake_case names (`pod_ips`) lose.

Usage (after `cargo fetch` of both crates, e.g. in a scratch project that
depends on k8s-pb = "0.9" and k8s-openapi = { version = "0.26",
features = ["latest"] }):

    python3 tools/k8s_schema.py ~/.cargo/registry/src/*/k8s-pb-0.9.0 \
        ~/.cargo/registry/src/*/k8s-openapi-0.26.1/src/v1_34 > src/k8s/schema.txt

Output, one record per line:
    K <apiVersion> <kind> <message> <plural>
    M <message>
    <number> <jsonName> <o|r|m|i> <type>   (o: optional, r: repeated,
        m: map with string keys, i: an embedded Go struct whose fields JSON
        shows in the parent, named -; type: string bytes bool int32 int64
        double, or a message name)
"""
import os
import re
import sys

PB, OPENAPI = sys.argv[1], sys.argv[2]


def norm(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


# JSON names from k8s-openapi: per (module, lowercase type) and globally.
per_type, global_names = {}, {}
for root, _, files in os.walk(OPENAPI):
    for f in files:
        if not f.endswith(".rs"):
            continue
        module = os.path.relpath(root, OPENAPI).replace(os.sep, ".")
        text = open(os.path.join(root, f)).read()
        for m in re.finditer(r"pub struct (\w+)", text):
            names = per_type.setdefault((module, m.group(1).lower()), {})
        for name in re.findall(r'serialize_field\(&mut state, "([^"]+)"', text):
            global_names.setdefault(norm(name), set()).add(name)
            for m in re.finditer(r"pub struct (\w+)", text):
                per_type[(module, m.group(1).lower())][norm(name)] = name

SCALARS = {"string": "string", "bytes": "bytes", "bool": "bool", "int32": "int32",
           "int64": "int64", "double": "double"}
fallbacks = []


def resolve(module, path):
    parts = module.split(".")
    segs = path.split("::")
    while segs and segs[0] == "super":
        parts.pop()
        segs.pop(0)
    if segs and segs[0] == "crate":
        parts = []
        segs.pop(0)
    return ".".join(parts + segs)


def json_name(module, struct, snake):
    snake = snake.removeprefix("r#")
    n = norm(snake)
    t = per_type.get((module, struct.lower()), {})
    if n in t:
        return t[n]
    g = global_names.get(n)
    if g and len(g) == 1:
        return next(iter(g))
    words = snake.split("_")
    name = words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    fallbacks.append(f"{module}.{struct}.{snake} -> {name}")
    return name


out = []
kinds = []
# (message, field snake name, message type) of fields whose name k8s-openapi
# does not list for their struct: candidates for Go's embedded (inline)
# structs, e.g. Volume.VolumeSource, whose fields JSON shows in the parent.
candidates = []
for root, _, files in sorted(os.walk(os.path.join(PB, "src"))):
    if "mod.rs" not in files:
        continue
    module = os.path.relpath(root, os.path.join(PB, "src")).replace(os.sep, ".")
    lines = open(os.path.join(root, "mod.rs")).read().split("\n")
    struct = None
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        m = re.match(r"pub struct (\w+) \{", line)
        if m:
            struct = m.group(1)
            out.append(f"M {module}.{struct}")
        elif line == "}" and struct:
            struct = None
        m = re.match(r'#\[prost\((\w+)(?: = "([^"]*)")?, (?:(optional|repeated), )?tag = "(\d+)"\)\]', line)
        if m and struct:
            kind, detail, label, tag = m.groups()
            decl = ""
            i += 1
            while True:
                decl += lines[i].strip()
                if decl.endswith(",") and decl.count("<") == decl.count(">"):
                    break
                i += 1
            fm = re.match(r"pub ([\w#]+):\s*(.*),$", decl)
            if not fm:
                sys.exit(f"cannot read {module}.{struct}: {decl}")
            field, rust_type = fm.groups()
            name = json_name(module, struct, field)
            if kind in ("btree_map", "map"):
                value = detail.split(", ")[1]
                if value == "message":
                    inner = re.search(r"BTreeMap<\s*::prost::alloc::string::String,\s*(.*?),?>$", rust_type).group(1)
                    value = resolve(module, inner)
                out.append(f"{tag} {name} m {value}")
            elif kind == "message":
                inner = re.sub(r"^(::core::option::Option|::prost::alloc::vec::Vec|::prost::alloc::boxed::Box)<", "", rust_type)
                inner = re.sub(r"^(::prost::alloc::boxed::Box)<", "", inner).rstrip(">")
                target = resolve(module, inner)
                t = per_type.get((module, struct.lower()))
                if label != "repeated" and t and norm(field.removeprefix("r#")) not in t:
                    candidates.append((len(out), module, struct, target, tag))
                out.append(f"{tag} {name} {'r' if label == 'repeated' else 'o'} {target}")
            else:
                out.append(f"{tag} {name} {'r' if label == 'repeated' else 'o'} {SCALARS[kind]}")
        m = re.match(r"impl crate::Resource for (\w+) \{", line)
        if m:
            consts = {}
            while lines[i].strip() != "}":
                c = re.match(r'const (\w+): &\'static str = "([^"]*)";', lines[i].strip())
                if c:
                    consts[c.group(1)] = c.group(2)
                i += 1
            kinds.append(f"K {consts['API_VERSION']} {consts['KIND']} {module}.{m.group(1)} {consts['URL_PATH_SEGMENT']}")
        i += 1

# A candidate is inline when every field of its type is a JSON field of the
# parent struct.
fields_of, current = {}, None
for line in out:
    if line.startswith("M "):
        current = line[2:]
        fields_of[current] = []
    else:
        fields_of[current].append(line.split(" ")[1])
inline = 0
for index, module, struct, target, tag in candidates:
    parent = per_type[(module, struct.lower())]
    child = fields_of.get(target, [])
    if child and all(norm(n) in parent for n in child):
        out[index] = f"{tag} - i {target}"
        inline += 1
print("\n".join(kinds + out))
print(f"{len(kinds)} kinds, {sum(1 for l in out if l.startswith('M '))} messages, {inline} inline, "
      f"{len(fallbacks)} names without a k8s-openapi spelling", file=sys.stderr)
for f in fallbacks:
    print("  " + f, file=sys.stderr)
