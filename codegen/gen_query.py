#!/usr/bin/env python3
"""Generate Cofre's IAM and STS (awsQuery) wire types from AWS's botocore models.

Reads the botocore JSON models (default: ../shared/api-models/{iam,sts}.json, relative
to the repository root) and writes, for the operations listed in SERVICES only:

- crates/api/src/generated/iam.rs and sts.rs: every selected operation's input and
  output structure and every structure they reach; form decoding (`FromParams`,
  `QueryInput`), the model's constraints as `Validate` impls (shared with the awsJson
  side), XML encoding (`XmlStructure`, `XmlValue`), the modelled errors, the operation
  enum, the service trait and its dispatch function;
- crates/api/src/generated/unicode.rs: the Unicode general-category tables that model
  patterns such as `[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+` need (regex-lite has none), from the
  committed codegen/unicode_categories.json (so the output does not depend on the
  Python running the generator; refresh that file with --write-unicode-data).

Usage (from the repository root):

    python3 codegen/gen_query.py            # regenerate
    python3 codegen/gen_query.py --check    # exit 1 if a committed file is stale

The output is passed through rustfmt, so `cargo fmt` leaves it unchanged. Python 3.11,
standard library only. The shared helpers (naming, doc text, constraint rules,
validation statements) come from gen_api.py. Anything in the model this generator does
not know how to handle (a shape type, a serialization trait, a pattern it cannot
translate) is an error, never silently skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_api  # noqa: E402
from gen_api import (  # noqa: E402
    GenError,
    const_name,
    constraints_text,
    doc_lines,
    doc_sentence,
    field_name,
    rust_str,
    snake,
)

REPO_ROOT = gen_api.REPO_ROOT
DEFAULT_MODELS = REPO_ROOT / ".." / "shared" / "api-models"
GENERATED = REPO_ROOT / "crates" / "api" / "src" / "generated"
UNICODE_DATA = REPO_ROOT / "codegen" / "unicode_categories.json"
UNICODE_OUT = GENERATED / "unicode.rs"
# General categories kept in UNICODE_DATA (Java's \p{X} for these X).
UNICODE_CATEGORIES = {
    "L": ("Lu", "Ll", "Lt", "Lm", "Lo"),
    "N": ("Nd", "Nl", "No"),
    "Z": ("Zs", "Zl", "Zp"),
}


@dataclass(frozen=True)
class Service:
    module: str          # Rust module (cofre_api::<module>)
    model: str           # model file name
    trait: str           # service trait
    prefix: str          # type-name prefix: <prefix>Operation, <prefix>Error
    dispatch: str        # dispatch function
    operations: tuple[str, ...]


SERVICES = (
    Service("iam", "iam.json", "Iam", "Iam", "dispatch_iam", (
        "CreateUser", "GetUser", "ListUsers", "DeleteUser", "TagUser", "UntagUser",
        "ListUserTags", "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey",
        "DeleteAccessKey", "PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy",
        "ListUserPolicies", "PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy",
        "ListRolePolicies", "CreateRole", "GetRole", "ListRoles", "DeleteRole",
        "UpdateAssumeRolePolicy", "TagRole", "UntagRole", "CreatePolicy", "GetPolicy",
        "GetPolicyVersion", "ListPolicies", "DeletePolicy", "AttachUserPolicy",
        "DetachUserPolicy", "ListAttachedUserPolicies", "AttachRolePolicy",
        "DetachRolePolicy", "ListAttachedRolePolicies", "CreateGroup", "GetGroup",
        "DeleteGroup", "AddUserToGroup", "RemoveUserFromGroup", "ListGroupsForUser",
        "PutGroupPolicy", "DeleteGroupPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
    )),
    Service("sts", "sts.json", "Sts", "Sts", "dispatch_sts", ("AssumeRole", "GetCallerIdentity")),
)

# Shape and member traits this generator understands; anything else is an error.
KNOWN_SHAPE_KEYS = {"type", "members", "member", "key", "value", "required", "documentation",
                    "min", "max", "pattern", "enum", "sensitive", "flattened", "exception",
                    "error", "fault", "deprecated", "deprecatedMessage", "deprecatedSince"}
KNOWN_MEMBER_KEYS = {"shape", "documentation", "locationName", "deprecated",
                     "deprecatedMessage", "deprecatedSince"}


# --------------------------------------------------------------------------- model
class QueryModel(gen_api.Model):
    """The part of a botocore `query` model that the selected operations reach."""

    def __init__(self, raw: dict, operations: tuple[str, ...]):  # noqa: D107 (no super().__init__: protocol differs)
        self.raw = raw
        self.meta = raw["metadata"]
        self.shapes: dict = raw["shapes"]
        if self.meta.get("protocol") != "query":
            raise GenError(f"unsupported protocol {self.meta.get('protocol')!r}")
        missing = [o for o in operations if o not in raw["operations"]]
        if missing:
            raise GenError(f"operations not in the model: {missing}")
        self.ops: dict = {name: raw["operations"][name] for name in sorted(operations)}
        for name, op in self.ops.items():
            if "input" not in op:
                raise GenError(f"operation {name} has no input")
            if op.get("http", {}).get("requestUri", "/") != "/":
                raise GenError(f"operation {name} has a request URI other than /")
            if "output" in op and op["output"].get("resultWrapper") != f"{name}Result":
                raise GenError(f"operation {name} has an unexpected result wrapper")
        self.inputs = {op["input"]["shape"]: name for name, op in self.ops.items()}
        self.outputs = {op["output"]["shape"]: name for name, op in self.ops.items() if "output" in op}
        self.unit_outputs = {f"{name}Response": name for name, op in self.ops.items() if "output" not in op}
        for unit in self.unit_outputs:
            if unit in self.shapes:
                raise GenError(f"synthesized output {unit} collides with a model shape")
        self.input_reachable = self.reachable(self.inputs)
        self.output_reachable = self.reachable(self.outputs)
        self.errors = sorted({e["shape"] for op in self.ops.values() for e in op.get("errors", [])})
        for shape in self.input_reachable | self.output_reachable:
            self.check_traits(shape)
        for e in self.errors:
            if not self.shapes[e].get("exception") or "error" not in self.shapes[e]:
                raise GenError(f"error shape {e} has no error trait")

    def check_traits(self, shape_name: str):
        s = self.shapes[shape_name]
        unknown = set(s) - KNOWN_SHAPE_KEYS
        if unknown:
            raise GenError(f"shape {shape_name} has unsupported traits {sorted(unknown)}")
        if s["type"] == "structure":
            if s.get("exception"):
                raise GenError(f"exception shape {shape_name} used as a member")
            for mname, mref in s["members"].items():
                unknown = set(mref) - KNOWN_MEMBER_KEYS
                if unknown:
                    raise GenError(f"member {shape_name}.{mname} has unsupported traits {sorted(unknown)}")
        for part in ("member", "key", "value"):
            if part in s:
                unknown = set(s[part]) - {"shape", "locationName"}
                if unknown:
                    raise GenError(f"{shape_name}.{part} has unsupported traits {sorted(unknown)}")

    def wire_name(self, mname: str, mref: dict) -> str:
        return mref.get("locationName", mname)


# ------------------------------------------------------------------ class patterns
def load_unicode_data() -> dict:
    data = json.loads(UNICODE_DATA.read_text())
    return data


def write_unicode_data() -> None:
    """Writes UNICODE_DATA from this Python's unicodedata."""
    categories = {}
    for name, cats in UNICODE_CATEGORIES.items():
        ranges: list[list[int]] = []
        for cp in range(0x110000):
            if unicodedata.category(chr(cp)) in cats:
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1][1] = cp
                else:
                    ranges.append([cp, cp])
        categories[name] = ranges
    lines = ["{",
             f'  "unicode_version": {json.dumps(unicodedata.unidata_version)},',
             f'  "source": {json.dumps("Python " + sys.version.split()[0] + " unicodedata, by codegen/gen_query.py --write-unicode-data")},',
             '  "categories": {']
    items = list(categories.items())
    for i, (name, ranges) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        lines.append(f"    {json.dumps(name)}: {json.dumps(ranges, separators=(',', ':'))}{comma}")
    lines += ["  }", "}", ""]
    UNICODE_DATA.write_text("\n".join(lines))


def parse_class_pattern(pattern: str, categories: dict) -> tuple[list[str], list[tuple[int, int]], bool]:
    """`[class]+` / `[class]*` -> (category tables, explicit ranges, allow_empty).

    Java class syntax: `\\p{X}` categories, `\\uXXXX`, `\\w`, `\\d`, escaped literals, plain
    characters and `a-b` ranges. Anything else (nesting, intersections, negation, other
    escapes) is an error."""
    if not (pattern.startswith("[") and pattern[-2:] in ("]+", "]*")):
        raise GenError(f"pattern {pattern!r} is not a repeated character class")
    inner, allow_empty = pattern[1:-2], pattern.endswith("*")
    tokens: list[tuple[str, object]] = []  # ("char", cp) | ("table", X) | ("ranges", [...]) | ("dash", None)
    i = 0
    while i < len(inner):
        c = inner[i]
        if c == "\\":
            if i + 1 >= len(inner):
                raise GenError(f"pattern {pattern!r} ends in a backslash")
            e = inner[i + 1]
            if e == "p":
                m = re.match(r"\{(\w+)\}", inner[i + 2:])
                if not m or m.group(1) not in categories:
                    raise GenError(f"pattern {pattern!r}: unsupported category at {inner[i:]!r}")
                tokens.append(("table", m.group(1)))
                i += 2 + m.end()
                continue
            if e == "u":
                digits = inner[i + 2:i + 6]
                if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
                    raise GenError(f"pattern {pattern!r}: bad \\u escape")
                tokens.append(("char", int(digits, 16)))
                i += 6
                continue
            if e == "w":
                tokens.append(("ranges", [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]))
            elif e == "d":
                tokens.append(("ranges", [(0x30, 0x39)]))
            elif e.isalnum():
                raise GenError(f"pattern {pattern!r}: unsupported escape \\{e}")
            else:
                tokens.append(("char", ord(e)))
            i += 2
            continue
        if c == "[" or c == "]" or (c == "^" and i == 0) or inner[i:i + 2] == "&&":
            raise GenError(f"pattern {pattern!r}: unsupported class syntax")
        tokens.append(("dash", None) if c == "-" else ("char", ord(c)))
        i += 1
    tables: list[str] = []
    ranges: list[tuple[int, int]] = []
    j = 0
    while j < len(tokens):
        kind, val = tokens[j]
        if (kind == "char" and j + 2 < len(tokens) and tokens[j + 1][0] == "dash"
                and tokens[j + 2][0] == "char"):
            lo, hi = val, tokens[j + 2][1]
            if lo > hi:  # type: ignore[operator]
                raise GenError(f"pattern {pattern!r}: empty range")
            ranges.append((lo, hi))  # type: ignore[arg-type]
            j += 3
            continue
        if kind == "table":
            if val not in tables:
                tables.append(val)  # type: ignore[arg-type]
        elif kind == "ranges":
            ranges.extend(val)  # type: ignore[arg-type]
        elif kind == "dash":
            ranges.append((0x2D, 0x2D))
        else:
            ranges.append((val, val))  # type: ignore[arg-type]
        j += 1
    # Merge into sorted, non-overlapping ranges.
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tables, merged, allow_empty


def needs_class_matcher(pattern: str) -> bool:
    return "\\p{" in pattern or "\\P{" in pattern


def gen_unicode(data: dict) -> str:
    cats = data["categories"]
    o = [
        "// @generated by codegen/gen_query.py from codegen/unicode_categories.json"
        f" (Unicode {data['unicode_version']}). Do not edit by hand.",
        "//",
        "// Regenerate (from the repository root): python3 codegen/gen_query.py",
        "// Check it is up to date (CI):           python3 codegen/gen_query.py --check",
        "",
        f"//! Unicode {data['unicode_version']} general-category tables for the model patterns that",
        "//! `regex-lite` cannot compile (Java's `\\p{L}`, `\\p{N}`, `\\p{Z}`), used by",
        "//! [`crate::query::ClassPattern`]. Each table is sorted, non-overlapping, inclusive",
        "//! code point ranges.",
        "",
    ]
    for name in sorted(cats):
        members = ", ".join(UNICODE_CATEGORIES.get(name, (name,)))
        o.append(f"/// `\\p{{{name}}}`: the code points of general categories {members}.")
        o.append(f"pub static {name}: &[(u32, u32)] = &[")
        o += [f"    (0x{lo:04X}, 0x{hi:04X})," for lo, hi in cats[name]]
        o += ["];", ""]
    return "\n".join(o)


# ---------------------------------------------------------------------- generator
class QueryGenerator(gen_api.Generator):
    def __init__(self, service: Service, model: QueryModel, model_path: Path, model_sha: str,
                 unicode_data: dict):
        super().__init__(model, model_path, model_sha)
        self.svc = service
        self.unicode = unicode_data["categories"]
        self.unicode_rules: dict[str, str] = {}
        self.unicode_rule_shapes: list[tuple[str, str]] = []

    # ------------------------------------------------------------ unicode rules
    def is_unicode(self, shape_name: str) -> bool:
        s = self.m.shapes[shape_name]
        return s["type"] == "string" and needs_class_matcher(s.get("pattern", ""))

    def unicode_rule_for(self, shape_name: str) -> str:
        s = self.m.shapes[shape_name]
        name = f"URULE_{const_name(shape_name)}"
        if name in self.unicode_rules:
            return name
        if "enum" in s:
            raise GenError(f"enum with a Unicode-class pattern ({shape_name}) is not supported")
        tables, ranges, allow_empty = parse_class_pattern(s["pattern"], self.unicode)
        opt = lambda k: f"Some({s[k]})" if k in s else "None"  # noqa: E731
        sens = "true" if s.get("sensitive") else "false"
        pat = f"Some(Pattern::new({rust_str(s['pattern'])}))"
        table_refs = ", ".join(f"crate::generated::unicode::{t}" for t in tables)
        range_refs = ", ".join(f"(0x{lo:04X}, 0x{hi:04X})" for lo, hi in ranges)
        self.unicode_rules[name] = (
            f"static {name}: UnicodeStrRule = UnicodeStrRule {{"
            f" rule: StrRule {{ min: {opt('min')}, max: {opt('max')}, pattern: {pat}, enum_values: None, sensitive: {sens} }},"
            f" base: StrRule {{ min: {opt('min')}, max: {opt('max')}, pattern: None, enum_values: None, sensitive: {sens} }},"
            f" pattern_only: StrRule {{ min: None, max: None, pattern: {pat}, enum_values: None, sensitive: {sens} }},"
            f" matcher: ClassPattern {{ tables: &[{table_refs}], ranges: &[{range_refs}], allow_empty: {'true' if allow_empty else 'false'} }} }};"
        )
        self.unicode_rule_shapes.append((shape_name, name))
        return name

    def member_checks(self, struct_name: str, mname: str, shape_name: str, required: bool) -> list[str]:
        f = field_name(mname)
        path = json.dumps(gen_api.lower_first(mname))
        s = self.m.shapes[shape_name]
        if self.is_unicode(shape_name):
            access = (f"self.{f}.as_ref().map(SensitiveString::expose)" if s.get("sensitive")
                      else f"self.{f}.as_deref()")
            rule = self.unicode_rule_for(shape_name)
            req = "true" if required else "false"
            return [f"check_str_unicode(v, prefix, {path}, {access}, {req}, &{rule});"]
        if s["type"] == "list" and self.is_unicode(s["member"]["shape"]):
            elem = s["member"]["shape"]
            if self.m.is_sensitive(elem):
                raise GenError(f"sensitive list elements ({struct_name}.{mname}) are not supported")
            out = []
            rule = self.rule_for(shape_name)
            if rule:
                req = "true" if required else "false"
                out.append(f"v.check_list(prefix, {path}, self.{f}.as_deref(), {req}, &{rule});")
            elif required:
                out.append(f"v.check_required(prefix, {path}, self.{f}.is_some(), true);")
            urule = self.unicode_rule_for(elem)
            out.append(f"check_str_members_unicode(v, prefix, {path}, self.{f}.as_deref(), &{urule});")
            return out
        if s["type"] == "string" and "pattern" in s and needs_class_matcher(s["pattern"]):
            raise GenError(f"unhandled Unicode pattern on {shape_name}")  # pragma: no cover
        return super().member_checks(struct_name, mname, shape_name, required)

    # --------------------------------------------------------------- structures
    def struct_def(self, name: str, kind: str, doc: str) -> list[str]:
        lines = doc_lines(doc)
        lines.append("#[derive(Debug, Default, Clone)]")
        if kind == "unit":
            lines.append(f"pub struct {name} {{}}")
            return lines
        s = self.m.shapes[name]
        required = set(s.get("required", []))
        lines.append(f"pub struct {name} {{")
        for mname, mref in s["members"].items():
            shape_name = mref["shape"]
            mdoc = doc_sentence(mref.get("documentation") or self.m.shapes[shape_name].get("documentation"))
            ctext = constraints_text(self.m, shape_name, mname in required) if kind != "output" else ""
            parts = [mdoc, ctext]
            if mref.get("deprecated"):
                parts.append("Deprecated: " + doc_sentence(mref.get("deprecatedMessage", "deprecated.")))
            wire = self.m.wire_name(mname, mref)
            if wire != mname:
                parts.append(f"Sent as `{wire}`.")
            lines.extend(doc_lines("\n\n".join(p for p in parts if p), "    "))
            lines.append(f"    pub {field_name(mname)}: Option<{self.m.rust_type(shape_name)}>,")
        lines.append("}")
        return lines

    # ----------------------------------------------------------------- decoding
    def decode_expr(self, mname: str, mref: dict) -> str:
        shape_name = mref["shape"]
        s = self.m.shapes[shape_name]
        t = s["type"]
        wire = self.m.wire_name(mname, mref)
        key = f"&member_key(prefix, {json.dumps(wire)})"
        if t == "integer":
            return f"params.integer({key})?"
        if t in ("string", "boolean", "timestamp", "blob", "long", "structure"):
            return f"params.value({key})?"
        if t == "list":
            elem = s["member"]
            et = self.m.shapes[elem["shape"]]["type"]
            if et in ("list", "map", "integer"):
                raise GenError(f"list of {et} ({shape_name}) in an input is not supported")
            if s.get("flattened"):
                base = (f"member_key(prefix, {json.dumps(elem['locationName'])})" if "locationName" in elem
                        else "marker")
            else:
                base = f'format!("{{marker}}.{elem.get("locationName", "member")}")'
            return (f"{{ let marker = member_key(prefix, {json.dumps(wire)}); "
                    f"params.list(&marker, &{base})? }}")
        if t == "map":
            vt = self.m.shapes[s["value"]["shape"]]["type"]
            if vt in ("list", "map", "integer"):
                raise GenError(f"map of {vt} ({shape_name}) in an input is not supported")
            key_name = s["key"].get("locationName", "key")
            value_name = s["value"].get("locationName", "value")
            base = "marker" if s.get("flattened") else 'format!("{marker}.entry")'
            return (f"{{ let marker = member_key(prefix, {json.dumps(wire)}); "
                    f"params.map(&marker, &{base}, {json.dumps(key_name)}, {json.dumps(value_name)})? }}")
        raise GenError(f"unsupported shape type {t!r} ({shape_name})")

    def decode_impl(self, name: str, top_level: bool) -> list[str]:
        s = self.m.shapes[name]
        members = s["members"]
        lines = [f"impl {name} {{",
                 "    /// Decodes the members under `prefix` (types only).",
                 f"    fn decode_members({'params' if members else '_params'}: &QueryParams, "
                 f"{'prefix' if members else '_prefix'}: &str) -> Result<Self, QueryError> {{",
                 "        Ok(Self {"]
        for mname, mref in members.items():
            lines.append(f"            {field_name(mname)}: {self.decode_expr(mname, mref)},")
        lines += ["        })", "    }", "}", ""]
        if top_level:
            lines += [f"impl QueryInput for {name} {{",
                      "    fn from_query(params: &QueryParams) -> Result<Self, QueryError> {",
                      '        Self::decode_members(params, "")',
                      "    }", "}", ""]
        else:
            lines += [f"impl FromParams for {name} {{",
                      "    fn from_params(params: &QueryParams, prefix: &str) -> Result<Option<Self>, QueryError> {",
                      "        if !params.has_members(prefix) {",
                      "            return Ok(None);",
                      "        }",
                      "        Self::decode_members(params, prefix).map(Some)",
                      "    }", "}", ""]
        return lines

    # ----------------------------------------------------------------- encoding
    def encode_stmt(self, mname: str, mref: dict) -> str:
        shape_name = mref["shape"]
        s = self.m.shapes[shape_name]
        t = s["type"]
        wire = self.m.wire_name(mname, mref)
        f = field_name(mname)
        if t == "list":
            elem = s["member"]
            if self.m.shapes[elem["shape"]]["type"] in ("list", "map"):
                raise GenError(f"list of {self.m.shapes[elem['shape']]['type']} ({shape_name}) in an output is not supported")
            if s.get("flattened"):
                element = elem.get("locationName", wire)
                return f"w.list({json.dumps(wire)}, {json.dumps(element)}, true, self.{f}.as_deref());"
            element = elem.get("locationName", "member")
            return f"w.list({json.dumps(wire)}, {json.dumps(element)}, false, self.{f}.as_deref());"
        if t == "map":
            if self.m.shapes[s["value"]["shape"]]["type"] in ("list", "map"):
                raise GenError(f"map of collections ({shape_name}) in an output is not supported")
            key_name = s["key"].get("locationName", "key")
            value_name = s["value"].get("locationName", "value")
            flat = "true" if s.get("flattened") else "false"
            return (f"w.map({json.dumps(wire)}, {json.dumps(key_name)}, {json.dumps(value_name)}, "
                    f"{flat}, self.{f}.as_ref());")
        return f"w.member({json.dumps(wire)}, self.{f}.as_ref());"

    def encode_impl(self, name: str, nested: bool) -> list[str]:
        s = self.m.shapes.get(name, {"members": {}})
        members = s.get("members", {})
        lines = [f"impl XmlStructure for {name} {{",
                 f"    fn write_members(&self, {'w' if members else '_w'}: &mut XmlWriter) {{"]
        lines += [f"        {self.encode_stmt(m, r)}" for m, r in members.items()]
        lines += ["    }", "}", ""]
        if nested:
            lines += [f"impl XmlValue for {name} {{",
                      "    fn write_xml(&self, name: &str, w: &mut XmlWriter) {",
                      "        w.structure(name, |w| self.write_members(w));",
                      "    }", "}", ""]
        return lines

    # --------------------------------------------------------------------- main
    def generate(self) -> str:
        m, svc = self.m, self.svc
        op_enum, err_enum = f"{svc.prefix}Operation", f"{svc.prefix}Error"
        full = m.meta["serviceFullName"]
        version = m.meta["apiVersion"]
        o = self.out
        o += [
            f"// @generated by codegen/gen_query.py from {self.model_name}"
            f" ({full} {version}). Do not edit by hand.",
            f"// Model sha256: {self.model_sha}",
            "//",
            "// Regenerate (from the repository root): python3 codegen/gen_query.py",
            "// Check it is up to date (CI):           python3 codegen/gen_query.py --check",
            "",
            f"//! {full} ({version}) over awsQuery.",
            "//!",
            f"//! Generated from the botocore model for the {len(m.ops)} operations Cofre serves: each",
            "//! operation's input (decoded from form parameters by [`QueryInput`] / [`FromParams`],",
            "//! checked by [`Validate`]) and output (written by [`XmlStructure`]), every structure",
            f"//! they reach, the modelled errors ([`{err_enum}`]), [`{op_enum}`], the [`{svc.trait}`]",
            f"//! trait and [`{svc.dispatch}`]. The protocol itself lives in [`crate::query`].",
            "",
            "@@USES@@",
            "",
            "/// The API version every request must carry (`Version=...`).",
            f"pub const API_VERSION: &str = {json.dumps(version)};",
            "",
            "/// The XML namespace of every response and (most) error bodies.",
            f"pub const XML_NAMESPACE: &str = {json.dumps(m.meta['xmlNamespace'])};",
            "",
        ]

        # Errors.
        o += [f"/// The errors the model defines for the operations of [`{op_enum}`], named by",
              "/// their model shapes; [`Self::code`] is what goes on the wire.",
              "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]",
              f"pub enum {err_enum} {{"]
        for e in m.errors:
            o += doc_lines(doc_sentence(m.shapes[e].get("documentation")) or f"`{e}`.", "    ")
            o.append(f"    {e},")
        o += ["}", "", f"impl {err_enum} {{",
              "    /// Every error, in alphabetical order.",
              f"    pub const ALL: [{err_enum}; {len(m.errors)}] = ["]
        o += [f"        {err_enum}::{e}," for e in m.errors]
        o += ["    ];", "", "    /// The error code sent in `<Code>`.",
              "    pub fn code(&self) -> &'static str {", "        match self {"]
        o += [f"            {err_enum}::{e} => {json.dumps(m.shapes[e]['error']['code'])}," for e in m.errors]
        o += ["        }", "    }", "", "    /// The HTTP status.",
              "    pub fn status(&self) -> u16 {", "        match self {"]
        o += [f"            {err_enum}::{e} => {m.shapes[e]['error']['httpStatusCode']}," for e in m.errors]
        o += ["        }", "    }", "",
              "    /// Whether the client is at fault (`Sender`) rather than the server (`Receiver`).",
              "    pub fn sender_fault(&self) -> bool {", "        match self {"]
        o += [f"            {err_enum}::{e} => {'true' if m.shapes[e]['error'].get('senderFault') else 'false'},"
              for e in m.errors]
        o += ["        }", "    }", "",
              "    /// This error with `message`.",
              "    pub fn with_message(self, message: impl Into<String>) -> QueryError {",
              "        QueryError {",
              "            code: self.code().into(),",
              "            status: self.status(),",
              "            message: message.into(),",
              "            sender_fault: self.sender_fault(),",
              "        }", "    }", "}", "",
              f"impl From<{err_enum}> for QueryError {{",
              f"    fn from(e: {err_enum}) -> Self {{", "        e.with_message(String::new())",
              "    }", "}", ""]

        # Operation enum.
        names = list(m.ops)
        o += [f"/// An operation of {full} that Cofre generates, as named by `Action`.",
              "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]",
              f"pub enum {op_enum} {{"]
        for n in names:
            o += doc_lines(doc_sentence(m.ops[n].get("documentation")) or f"The `{n}` operation.", "    ")
            o.append(f"    {n},")
        o += ["}", "", f"impl {op_enum} {{",
              "    /// Every operation, in alphabetical order.",
              f"    pub const ALL: [{op_enum}; {len(names)}] = ["]
        o += [f"        {op_enum}::{n}," for n in names]
        o += ["    ];", "",
              "    /// The operation named by an `Action` parameter. Matching is exact and",
              "    /// case-sensitive, as AWS's is.",
              "    pub fn from_action(action: &str) -> Option<Self> {",
              "        match action {"]
        o += [f"            {json.dumps(n)} => Some({op_enum}::{n})," for n in names]
        o += ["            _ => None,", "        }", "    }", "",
              "    /// The operation's name (its `Action`).",
              "    pub fn name(&self) -> &'static str {", "        match self {"]
        o += [f"            {op_enum}::{n} => {json.dumps(n)}," for n in names]
        o += ["        }", "    }", "",
              "    /// The errors the model lists for this operation.",
              f"    pub fn errors(&self) -> &'static [{err_enum}] {{", "        match self {"]
        for n in names:
            errs = ", ".join(f"{err_enum}::{e['shape']}" for e in m.ops[n].get("errors", []))
            o.append(f"            {op_enum}::{n} => &[{errs}],")
        o += ["        }", "    }", "}", "",
              f"impl std::fmt::Display for {op_enum} {{",
              "    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {",
              "        f.write_str(self.name())", "    }", "}", ""]

        # Structures.
        o += ["// ---------------------------------------------------------------- inputs", ""]
        for shape in sorted(m.inputs):
            o += self.struct_def(shape, "input", f"Input of [`{op_enum}::{m.inputs[shape]}`].") + [""]
        o += ["// --------------------------------------------------------------- outputs", ""]
        for shape in sorted(list(m.outputs) + list(m.unit_outputs)):
            if shape in m.unit_outputs:
                doc = (f"Output of [`{op_enum}::{m.unit_outputs[shape]}`], which has no members "
                       "(the response carries only `<ResponseMetadata>`).")
                o += self.struct_def(shape, "unit", doc) + [""]
            else:
                o += self.struct_def(shape, "output", f"Output of [`{op_enum}::{m.outputs[shape]}`].") + [""]
        o += ["// ---------------------------------------------------------------- nested", ""]
        nested = sorted((m.input_reachable | m.output_reachable) - set(m.inputs) - set(m.outputs))
        for shape in nested:
            doc = doc_sentence(m.shapes[shape].get("documentation")) or f"The `{shape}` structure."
            o += self.struct_def(shape, "nested", doc) + [""]

        # Validation, rendering, decoding, encoding.
        body: list[str] = ["// ------------------------------------------------------------ validation", ""]
        for shape in sorted(m.input_reachable):
            body += self.validate_impl(shape) + [""]
        for shape in sorted(m.input_reachable - set(m.inputs)):
            body += self.render_impl(shape) + [""]
        body += ["// -------------------------------------------------------------- decoding", ""]
        for shape in sorted(m.input_reachable):
            body += self.decode_impl(shape, top_level=shape in m.inputs)
        body += ["// -------------------------------------------------------------- encoding", ""]
        for shape in sorted(m.output_reachable | set(m.unit_outputs)):
            body += self.encode_impl(shape, nested=shape not in m.outputs and shape not in m.unit_outputs)

        o += ["// ----------------------------------------------------------------- rules", ""]
        o += [self.rules[k] for k in sorted(self.rules)]
        o += [self.unicode_rules[k] for k in sorted(self.unicode_rules)]
        o += ["",
              "/// Every string rule compiled with `regex-lite`, by model shape name (a test keeps",
              "/// each pattern compiling).",
              "pub static STRING_RULES: &[(&str, &StrRule)] = &["]
        o += [f"    ({json.dumps(shape)}, &{rule})," for shape, rule in sorted(self.string_rules)]
        o += ["];", "",
              "/// Every string rule whose pattern needs Unicode classes, by model shape name.",
              "pub static UNICODE_RULES: &[(&str, &UnicodeStrRule)] = &["]
        o += [f"    ({json.dumps(shape)}, &{rule})," for shape, rule in sorted(self.unicode_rule_shapes)]
        o += ["];", ""]
        o += body

        # Trait and dispatch.
        o += ["// --------------------------------------------------------------- service", "",
              f"/// {full}: one method per operation of [`{op_enum}`].",
              "///",
              "/// Every method has a default body that answers [`QueryError::not_implemented`]",
              "/// (`InvalidInput`, 400: `Cofre does not support <Operation> yet.`), so an",
              "/// implementation overrides only what it supports. Inputs arrive decoded and",
              "/// validated against the model.",
              "#[async_trait::async_trait]",
              f"pub trait {svc.trait}: Send + Sync {{"]
        for n in names:
            op = m.ops[n]
            inp = op["input"]["shape"]
            out = op["output"]["shape"] if "output" in op else f"{n}Response"
            o += doc_lines(doc_sentence(op.get("documentation")) or f"`{n}`.", "    ")
            o += [f"    async fn {snake(n)}(&self, ctx: &Context, input: {inp}) -> Result<{out}, QueryError> {{",
                  "        let _ = (ctx, input);",
                  f"        Err(QueryError::not_implemented({op_enum}::{n}.name()))",
                  "    }", ""]
        o += ["}", "",
              f"/// Answers one {full} request: resolves `Action` and `Version`",
              "/// (`MissingAction`, `InvalidAction`), decodes the input (`MalformedInput`), validates",
              "/// it (`ValidationError`), calls the matching method of `svc`, and writes the XML",
              "/// response, whose `<RequestId>` is `ctx.request_id`.",
              "///",
              "/// On error the caller answers [`QueryError::status`](QueryError) with",
              "/// [`error_body`] (or [`QueryError::to_xml`] with [`XML_NAMESPACE`]).",
              f"pub async fn {svc.dispatch}<S: {svc.trait} + ?Sized>(",
              "    svc: &S,", "    ctx: &Context,", "    params: &QueryParams,",
              ") -> Result<Vec<u8>, QueryError> {",
              f"    let op = resolve_action(params, API_VERSION, {op_enum}::from_action)?;",
              "    match op {"]
        for n in names:
            op = m.ops[n]
            inp = op["input"]["shape"]
            o += [f"        {op_enum}::{n} => {{",
                  f"            let input = decode_input::<{inp}>(params)?;"]
            if "output" in op:
                o += [f"            let output = svc.{snake(n)}(ctx, input).await?;",
                      f"            Ok(encode_response({json.dumps(n)}, XML_NAMESPACE, Some(&output), &ctx.request_id))"]
            else:
                o += [f"            svc.{snake(n)}(ctx, input).await?;",
                      f"            Ok(encode_response::<{n}Response>({json.dumps(n)}, XML_NAMESPACE, None, &ctx.request_id))"]
            o.append("        }")
        o += ["    }", "}", "",
              f"/// The `<ErrorResponse>` body for `err` from this service, with `request_id`.",
              "pub fn error_body(err: &QueryError, request_id: &str) -> Vec<u8> {",
              "    err.to_xml(request_id, XML_NAMESPACE)", "}", ""]
        text = "\n".join(o)
        return text.replace("@@USES@@", self.use_block(text))

    @staticmethod
    def use_block(text: str) -> str:
        groups = [
            ("std::collections", ["BTreeMap"]),
            ("crate::validate", ["BlobRule", "ListRule", "NumRule", "Pattern", "Render", "StrRule",
                                 "StructRenderer", "Validate", "Violations"]),
            ("crate::query", ["check_str_members_unicode", "check_str_unicode", "decode_input",
                              "encode_response", "member_key", "resolve_action", "ClassPattern",
                              "FromParams", "QueryError", "QueryInput", "QueryParams",
                              "UnicodeStrRule", "XmlStructure", "XmlValue", "XmlWriter"]),
            ("crate", ["Blob", "Context", "SensitiveBlob", "SensitiveString", "Timestamp"]),
        ]
        lines = []
        for path, names in groups:
            used = [n for n in names if re.search(rf"(?<![\w:]){n}\b", text)]
            if used:
                lines.append(f"use {path}::{{{', '.join(used)}}};")
        return "\n".join(lines)


# --------------------------------------------------------------------------- main
def generate_all(models_dir: Path) -> dict[Path, str]:
    unicode_data = load_unicode_data()
    out: dict[Path, str] = {UNICODE_OUT: gen_api.rustfmt(gen_unicode(unicode_data))}
    for svc in SERVICES:
        path = models_dir / svc.model
        raw_bytes = path.read_bytes()
        model = QueryModel(json.loads(raw_bytes), svc.operations)
        sha = hashlib.sha256(raw_bytes).hexdigest()
        text = QueryGenerator(svc, model, path, sha, unicode_data).generate()
        out[GENERATED / f"{svc.module}.rs"] = gen_api.rustfmt(text)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=str(DEFAULT_MODELS),
                        help="directory of the botocore JSON models (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a committed file differs from a fresh generation")
    parser.add_argument("--write-unicode-data", action="store_true",
                        help=f"rewrite {UNICODE_DATA.relative_to(REPO_ROOT)} from this Python's unicodedata, then generate")
    args = parser.parse_args(argv)
    if args.write_unicode_data and args.check:
        parser.error("--write-unicode-data and --check are exclusive")
    try:
        if args.write_unicode_data:
            write_unicode_data()
        fresh = generate_all(Path(args.models))
    except (GenError, OSError, json.JSONDecodeError, KeyError) as e:
        print(f"gen_query.py: error: {e}", file=sys.stderr)
        return 2
    if args.check:
        stale = [p for p, text in fresh.items() if not p.exists() or p.read_text() != text]
        for p in stale:
            print(f"gen_query.py: {p.relative_to(REPO_ROOT)} is out of date with the models; "
                  "run `python3 codegen/gen_query.py` and commit the result.", file=sys.stderr)
        if stale:
            return 1
        print("gen_query.py: " + ", ".join(str(p.relative_to(REPO_ROOT)) for p in fresh) + " are up to date.")
        return 0
    for p, text in fresh.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        print(f"gen_query.py: wrote {p.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
