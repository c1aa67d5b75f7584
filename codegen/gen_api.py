#!/usr/bin/env python3
"""Generate Cofre's awsJson1.1 wire types (Secrets Manager, KMS, CloudTrail) from AWS's botocore models.

For each service in SERVICES, reads its botocore JSON model (from ../shared/api-models/,
relative to the repository root) and writes crates/api/src/generated/<module>.rs:
input/output/nested structures, constraint rules, `Validate` and `Render` impls, the
wire schema used for JSON type checks, the operation enum, the service trait and its
dispatch function:

    module          model                operations           trait           dispatch
    secretsmanager  secretsmanager.json  Operation            SecretsManager  dispatch
    kms             kms.json             KmsOperation         Kms             dispatch_kms
    cloudtrail      cloudtrail.json      CloudTrailOperation  Cloudtrail      dispatch_cloudtrail

A service may name the subset of its operations to generate (CloudTrail: LookupEvents only);
the others are then unknown to the wire layer, and only their errors are listed.

Usage (from the repository root):

    python3 codegen/gen_api.py            # regenerate every service
    python3 codegen/gen_api.py --check    # exit 1 if a committed file is stale
    python3 codegen/gen_api.py path/to/kms.json   # only the service of that model file

The output is passed through rustfmt, so `cargo fmt` leaves it unchanged. Python 3.11,
standard library only. Anything in the model this generator does not know how to handle
(a new shape type, a constrained map in an input, ...) is an error, never silently
skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS = REPO_ROOT / ".." / "shared" / "api-models"
GENERATED = REPO_ROOT / "crates" / "api" / "src" / "generated"


@dataclass(frozen=True)
class JsonService:
    """How one awsJson1.1 service is named in Rust."""

    module: str           # Rust module (cofre_api::<module>) and output file name
    model: str            # botocore model file name in MODELS
    op_enum: str          # operation enum
    trait: str            # service trait
    dispatch: str         # dispatch function
    example_op: str       # an operation named in doc comments
    not_implemented: str  # Rust expression for an unimplemented operation; {op} is the variant
    default_error: str    # the error that expression answers, for the trait's doc comment
    operations: tuple[str, ...] = ()  # the operations to generate; empty means all of them


SERVICES = (
    JsonService("secretsmanager", "secretsmanager.json", "Operation", "SecretsManager", "dispatch",
                "CreateSecret", "ApiError::not_implemented({op})",
                "`InvalidRequestException: Cofre does not support <Operation> yet.`"),
    # KMS's own errors (`NotFoundException`, `DisabledException`, ...) are not `ErrorCode`
    # variants; `error` below builds them with the model's status and KMS's `message` key.
    JsonService("kms", "kms.json", "KmsOperation", "Kms", "dispatch_kms",
                "CreateKey", "not_supported({op})",
                "`UnsupportedOperationException: Cofre does not support <Operation> yet.`"),
    # CloudTrail: only LookupEvents (the audit trail's query side). The other 59 operations
    # (trails, lakes, channels, ...) are not generated at all, so they answer
    # UnknownOperationException like any name the service does not know.
    JsonService("cloudtrail", "cloudtrail.json", "CloudTrailOperation", "Cloudtrail",
                "dispatch_cloudtrail", "LookupEvents", "not_supported({op})",
                "`UnsupportedOperationException: Cofre does not support <Operation> yet.`",
                operations=("LookupEvents",)),
)

RUST_KEYWORDS = {
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized",
    "virtual", "yield", "gen",
}


class GenError(Exception):
    """The model contains something this generator does not support."""


def snake(name: str) -> str:
    """`SecretVersionsToStages` -> `secret_versions_to_stages`, `ARN` -> `arn`."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def field_name(member: str) -> str:
    name = snake(member)
    return name + "_" if name in RUST_KEYWORDS else name


def const_name(shape: str) -> str:
    return snake(shape).upper()


def lower_first(name: str) -> str:
    """AWS's member path: the member name with its first letter lower-cased."""
    return name[:1].lower() + name[1:]


def rust_str(s: str) -> str:
    """A Rust string literal for `s` (raw when it has backslashes)."""
    if "\\" in s:
        hashes = "#"
        while '"' + hashes in s:
            hashes += "#"
        return f'r{hashes}"{s}"{hashes}'
    return json.dumps(s)


def doc_sentence(doc: str | None, limit: int = 400) -> str:
    """First sentence of a model documentation string, as plain Markdown-safe text."""
    if not doc:
        return ""
    text = re.sub(r"<[^>]+>", " ", doc)
    text = html.unescape(text)
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)
    m = re.match(r"(.+?[.!?])(?:\s|$)", text)
    sentence = m.group(1) if m else text
    if len(sentence) > limit:
        sentence = sentence[: limit - 3].rsplit(" ", 1)[0] + "..."
    for a, b in (("\\", "\\\\"), ("[", "\\["), ("]", "\\]"), ("<", "&lt;"), (">", "&gt;"),
                 ("`", "'"), ("*", "\\*"), ("_", "\\_")):
        sentence = sentence.replace(a, b)
    return sentence


def doc_lines(text: str, indent: str = "") -> list[str]:
    if not text:
        return []
    return [f"{indent}/// {line}" if line else f"{indent}///"
            for para in text.split("\n") for line in (textwrap.wrap(para, 92) or [""])]


class Model:
    def __init__(self, raw: dict, only: tuple[str, ...] = ()):
        self.raw = raw
        self.meta = raw["metadata"]
        self.shapes: dict = raw["shapes"]
        self.ops: dict = dict(sorted(raw["operations"].items()))
        if only:
            missing = sorted(set(only) - set(self.ops))
            if missing:
                raise GenError(f"operations {missing} are not in the model")
            self.ops = {n: op for n, op in self.ops.items() if n in only}
        if self.meta.get("protocol") != "json":
            raise GenError(f"unsupported protocol {self.meta.get('protocol')!r}")
        self.target_prefix = self.meta["targetPrefix"]
        self.inputs = {op["input"]["shape"]: name for name, op in self.ops.items()}
        self.outputs = {op["output"]["shape"]: name for name, op in self.ops.items() if "output" in op}
        for name, op in self.ops.items():
            if "input" not in op:
                raise GenError(f"operation {name} has no input")
        self.unit_outputs = {f"{name}Response": name for name, op in self.ops.items() if "output" not in op}
        for unit in self.unit_outputs:
            if unit in self.shapes:
                raise GenError(f"synthesized output {unit} collides with a model shape")
        self.input_reachable = self.reachable(self.inputs)
        self.output_reachable = self.reachable(self.outputs)
        self.exceptions = sorted(n for n, s in self.shapes.items() if s.get("exception"))
        if only:
            # A subset lists only the errors its operations can answer.
            named = {e["shape"] for op in self.ops.values() for e in op.get("errors", [])}
            self.exceptions = [e for e in self.exceptions if e in named]

    def reachable(self, roots) -> set[str]:
        seen: set[str] = set()

        def visit(shape_name: str):
            s = self.shapes[shape_name]
            t = s["type"]
            if t == "structure":
                if shape_name in seen:
                    return
                seen.add(shape_name)
                for m in s["members"].values():
                    visit(m["shape"])
            elif t == "list":
                visit(s["member"]["shape"])
            elif t == "map":
                visit(s["key"]["shape"])
                visit(s["value"]["shape"])

        for r in roots:
            visit(r)
        return seen

    def is_sensitive(self, shape_name: str) -> bool:
        return bool(self.shapes[shape_name].get("sensitive"))

    def rust_type(self, shape_name: str) -> str:
        s = self.shapes[shape_name]
        t = s["type"]
        if s.get("sensitive") and t not in ("string", "blob"):
            raise GenError(f"sensitive {t} shape {shape_name} is not supported")
        if t == "string":
            return "SensitiveString" if s.get("sensitive") else "String"
        if t == "blob":
            return "SensitiveBlob" if s.get("sensitive") else "Blob"
        if t in ("integer", "long"):
            return "i64"
        if t == "boolean":
            return "bool"
        if t == "timestamp":
            return "Timestamp"
        if t == "list":
            return f"Vec<{self.rust_type(s['member']['shape'])}>"
        if t == "map":
            if self.shapes[s["key"]["shape"]]["type"] != "string":
                raise GenError(f"map {shape_name} has non-string keys")
            return f"BTreeMap<String, {self.rust_type(s['value']['shape'])}>"
        if t == "structure":
            return shape_name
        raise GenError(f"unsupported shape type {t!r} ({shape_name})")

    def wire_shape(self, shape_name: str) -> str:
        s = self.shapes[shape_name]
        t = s["type"]
        simple = {"string": "String", "boolean": "Boolean", "integer": "Integer", "long": "Long",
                  "timestamp": "Timestamp", "blob": "Blob"}
        if t in simple:
            return f"Shape::{simple[t]}"
        if t == "list":
            return f"Shape::List(&{self.wire_shape(s['member']['shape'])})"
        if t == "map":
            return f"Shape::Map(&{self.wire_shape(s['value']['shape'])})"
        if t == "structure":
            return f"Shape::Structure(MEMBERS_{const_name(shape_name)})"
        raise GenError(f"unsupported shape type {t!r} ({shape_name})")


def constraints_text(model: Model, shape_name: str, required: bool) -> str:
    s = model.shapes[shape_name]
    parts = []
    if required:
        parts.append("required")
    if "min" in s or "max" in s:
        what = "length" if s["type"] in ("string", "blob", "list", "map") else "value"
        if "min" in s and "max" in s:
            parts.append(f"{what} {s['min']}..={s['max']}")
        elif "max" in s:
            parts.append(f"{what} <= {s['max']}")
        else:
            parts.append(f"{what} >= {s['min']}")
    if "pattern" in s:
        parts.append(f"pattern `{s['pattern']}`")
    if "enum" in s:
        parts.append("one of " + ", ".join(f"`{v}`" for v in s["enum"]))
    if s.get("sensitive"):
        parts.append("sensitive")
    if s["type"] == "list":
        element = constraints_text(model, s["member"]["shape"], False)
        if element:
            parts.append("each element: " + element.removeprefix("Constraints: ").removesuffix("."))
    return ("Constraints: " + "; ".join(parts) + ".") if parts else ""


class Generator:
    def __init__(self, model: Model, model_path: Path, model_sha: str,
                 service: JsonService = SERVICES[0]):
        self.m = model
        self.svc = service
        self.model_name = model_path.name
        self.model_sha = model_sha
        self.rules: dict[str, str] = {}  # const name -> definition
        self.string_rules: list[tuple[str, str]] = []
        self.out: list[str] = []

    # ----------------------------------------------------------------- rules
    def rule_for(self, shape_name: str) -> str | None:
        """The name of the rule static for a constrained scalar/list shape, or None."""
        s = self.m.shapes[shape_name]
        t = s["type"]
        name = f"RULE_{const_name(shape_name)}"
        if name in self.rules:
            return name
        opt = lambda k: f"Some({s[k]})" if k in s else "None"  # noqa: E731
        sensitive = "true" if s.get("sensitive") else "false"
        if t == "string":
            if not any(k in s for k in ("min", "max", "pattern", "enum")):
                return None
            pattern = f"Some(Pattern::new({rust_str(s['pattern'])}))" if "pattern" in s else "None"
            enums = ("Some(&[" + ", ".join(json.dumps(v) for v in s["enum"]) + "])") if "enum" in s else "None"
            body = (f"StrRule {{ min: {opt('min')}, max: {opt('max')}, pattern: {pattern}, "
                    f"enum_values: {enums}, sensitive: {sensitive} }}")
            self.rules[name] = f"static {name}: StrRule = {body};"
            self.string_rules.append((shape_name, name))
        elif t == "blob":
            if not any(k in s for k in ("min", "max")):
                return None
            self.rules[name] = (f"static {name}: BlobRule = BlobRule {{ min: {opt('min')}, "
                                f"max: {opt('max')}, sensitive: {sensitive} }};")
        elif t in ("integer", "long"):
            if not any(k in s for k in ("min", "max")):
                return None
            self.rules[name] = f"static {name}: NumRule = NumRule {{ min: {opt('min')}, max: {opt('max')} }};"
        elif t == "list":
            if not any(k in s for k in ("min", "max")):
                return None
            member_sensitive = "true" if self.m.is_sensitive(s["member"]["shape"]) else "false"
            self.rules[name] = (f"static {name}: ListRule = ListRule {{ min: {opt('min')}, "
                                f"max: {opt('max')}, sensitive: {member_sensitive} }};")
        else:
            if any(k in s for k in ("min", "max", "pattern", "enum")):
                raise GenError(f"constraints on {t} shape {shape_name} are not supported")
            return None
        return name

    def has_constraints(self, shape_name: str) -> bool:
        s = self.m.shapes[shape_name]
        return any(k in s for k in ("min", "max", "pattern", "enum"))

    # ----------------------------------------------------------- validation
    def validate_stmts(self, struct_name: str) -> list[str]:
        s = self.m.shapes[struct_name]
        required = set(s.get("required", []))
        unknown = required - set(s["members"])
        if unknown:
            raise GenError(f"{struct_name} requires unknown members {sorted(unknown)}")
        stmts = []
        for mname, mref in s["members"].items():
            stmts.extend(self.member_checks(struct_name, mname, mref["shape"], mname in required))
        return stmts

    def member_checks(self, struct_name: str, mname: str, shape_name: str, required: bool) -> list[str]:
        f = field_name(mname)
        path = json.dumps(lower_first(mname))
        req = "true" if required else "false"
        s = self.m.shapes[shape_name]
        t = s["type"]
        present = f"v.check_required(prefix, {path}, self.{f}.is_some(), true);"
        if t == "string":
            rule = self.rule_for(shape_name)
            access = (f"self.{f}.as_ref().map(SensitiveString::expose)" if s.get("sensitive")
                      else f"self.{f}.as_deref()")
            if rule:
                return [f"v.check_str(prefix, {path}, {access}, {req}, &{rule});"]
            return [present] if required else []
        if t == "blob":
            rule = self.rule_for(shape_name)
            access = (f"self.{f}.as_ref().map(SensitiveBlob::expose)" if s.get("sensitive")
                      else f"self.{f}.as_ref().map(Blob::as_slice)")
            if rule:
                return [f"v.check_blob(prefix, {path}, {access}, {req}, &{rule});"]
            return [present] if required else []
        if t in ("integer", "long"):
            rule = self.rule_for(shape_name)
            if rule:
                return [f"v.check_num(prefix, {path}, self.{f}, {req}, &{rule});"]
            return [present] if required else []
        if t in ("boolean", "timestamp"):
            return [present] if required else []
        if t == "structure":
            return [f"v.check_struct(prefix, {path}, self.{f}.as_ref(), {req});"]
        if t == "list":
            out = []
            rule = self.rule_for(shape_name)
            if rule:
                out.append(f"v.check_list(prefix, {path}, self.{f}.as_deref(), {req}, &{rule});")
            elif required:
                out.append(present)
            elem = s["member"]["shape"]
            et = self.m.shapes[elem]["type"]
            if et == "structure":
                out.append(f"v.check_struct_members(prefix, {path}, self.{f}.as_deref());")
            elif et == "string" and self.has_constraints(elem):
                if self.m.is_sensitive(elem):
                    raise GenError(f"sensitive list elements ({struct_name}.{mname}) are not supported")
                elem_rule = self.rule_for(elem)
                out.append(f"v.check_str_members(prefix, {path}, self.{f}.as_deref(), &{elem_rule});")
            elif self.has_constraints(elem) or et in ("list", "map"):
                raise GenError(f"constrained {et} list elements ({struct_name}.{mname}) are not supported")
            return out
        if t == "map":
            if (self.has_constraints(shape_name) or self.has_constraints(s["key"]["shape"])
                    or self.has_constraints(s["value"]["shape"])
                    or self.m.shapes[s["value"]["shape"]]["type"] in ("structure", "list", "map")):
                raise GenError(f"validating map {shape_name} in an input ({struct_name}.{mname}) is not supported")
            return [present] if required else []
        raise GenError(f"unsupported shape type {t!r} ({shape_name})")

    # ------------------------------------------------------------ structures
    def struct_def(self, name: str, kind: str, doc: str) -> list[str]:
        """kind: 'input' | 'output' | 'nested' | 'unit'."""
        derives = {
            "input": "Debug, Default, Clone, serde::Deserialize",
            "output": "Debug, Default, Clone, serde::Serialize",
            "unit": "Debug, Default, Clone, serde::Serialize",
            "nested": "Debug, Default, Clone, serde::Serialize, serde::Deserialize",
        }[kind]
        lines = doc_lines(doc)
        lines.append(f"#[derive({derives})]")
        if kind == "unit":
            lines.append(f"pub struct {name} {{}}")
            return lines
        s = self.m.shapes[name]
        required = set(s.get("required", []))
        lines.append(f"pub struct {name} {{")
        for mname, mref in s["members"].items():
            shape_name = mref["shape"]
            mdoc = doc_sentence(mref.get("documentation") or self.m.shapes[shape_name].get("documentation"))
            ctext = constraints_text(self.m, shape_name, mname in required)
            text = "\n\n".join(p for p in (mdoc, ctext) if p)
            lines.extend(doc_lines(text, "    "))
            if kind == "input":
                lines.append(f"    #[serde(rename = {json.dumps(mname)})]")
            else:
                lines.append(f"    #[serde(rename = {json.dumps(mname)}, skip_serializing_if = \"Option::is_none\")]")
            lines.append(f"    pub {field_name(mname)}: Option<{self.m.rust_type(shape_name)}>,")
        lines.append("}")
        return lines

    def validate_impl(self, name: str) -> list[str]:
        stmts = self.validate_stmts(name)
        v = "v" if stmts else "_v"
        p = "prefix" if stmts else "_prefix"
        lines = [f"impl Validate for {name} {{",
                 f"    fn validate_at(&self, {p}: &str, {v}: &mut Violations) {{"]
        lines += [f"        {st}" for st in stmts]
        lines += ["    }", "}"]
        return lines

    def render_impl(self, name: str) -> list[str]:
        s = self.m.shapes[name]
        lines = [f"impl Render for {name} {{", "    fn render(&self, out: &mut String) {",
                 "        StructRenderer::new(out)"]
        for mname in s["members"]:
            lines.append(f"            .field({json.dumps(mname)}, self.{field_name(mname)}.as_ref())")
        lines += ["            .finish();", "    }", "}"]
        return lines

    def schema_const(self, name: str) -> list[str]:
        s = self.m.shapes[name]
        lines = [f"/// Wire schema of [`{name}`].",
                 f"const MEMBERS_{const_name(name)}: &[Member] = &["]
        for mname, mref in s["members"].items():
            lines.append(f"    Member {{ name: {json.dumps(mname)}, shape: {self.m.wire_shape(mref['shape'])} }},")
        lines.append("];")
        return lines

    # ------------------------------------------------------------------ main
    def generate(self) -> str:
        m = self.m
        o = self.out
        svc = self.svc
        ops = svc.op_enum
        o += [
            f"// @generated by codegen/gen_api.py from {self.model_name}"
            f" ({m.meta['serviceFullName']} {m.meta['apiVersion']}). Do not edit by hand.",
            f"// Model sha256: {self.model_sha}",
            "//",
            "// Regenerate (from the repository root): python3 codegen/gen_api.py",
            "// Check it is up to date (CI):           python3 codegen/gen_api.py --check",
            "",
            f"//! {m.meta['serviceFullName']} ({m.meta['apiVersion']}) wire layer, generated from the botocore model:",
            "//! every operation's input and output structure, the nested structures, the",
            f"//! model's constraints as [`Validate`] impls, [`{ops}`], the [`{svc.trait}`]",
            f"//! trait and [`{svc.dispatch}`].",
            "",
            "@@USES@@",
            "",
            "/// The `X-Amz-Target` prefix of every operation (`<prefix>.<Operation>`).",
            f"pub const TARGET_PREFIX: &str = {json.dumps(m.target_prefix)};",
            "",
            "/// Every error shape in the model (`\"exception\": true`), with whether it is a",
            "/// server `fault` (HTTP 500) rather than a client error (HTTP 400).",
            "pub const MODELLED_ERRORS: &[(&str, bool)] = &[",
        ]
        for e in m.exceptions:
            fault = "true" if m.shapes[e].get("fault") else "false"
            o.append(f"    ({json.dumps(e)}, {fault}),")
        o += ["];", ""]
        o += self.error_helpers()

        # Operation enum.
        names = list(m.ops)
        o += ["/// An operation of the service, as named in `X-Amz-Target`.",
              "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]",
              f"pub enum {ops} {{"]
        for name in names:
            o += doc_lines(doc_sentence(m.ops[name].get("documentation")) or f"The `{name}` operation.", "    ")
            o.append(f"    {name},")
        ex = svc.example_op
        o += ["}", "", f"impl {ops} {{",
              "    /// Every operation, in alphabetical order.",
              f"    pub const ALL: [{ops}; {len(names)}] = ["]
        o += [f"        {ops}::{n}," for n in names]
        o += ["    ];", "",
              "    /// The operation named by a full `X-Amz-Target` header value",
              f"    /// (`{m.target_prefix}.{ex}`). Matching is exact and case-sensitive, as AWS's is.",
              f"    pub fn from_target(target: &str) -> Option<{ops}> {{",
              "        let name = target.strip_prefix(TARGET_PREFIX)?.strip_prefix('.')?;",
              "        Self::from_name(name)",
              "    }", "",
              f"    /// The operation with this exact name (`{ex}`).",
              f"    pub fn from_name(name: &str) -> Option<{ops}> {{",
              "        match name {"]
        o += [f"            {json.dumps(n)} => Some({ops}::{n})," for n in names]
        o += ["            _ => None,", "        }", "    }", "",
              f"    /// The operation's name (`{ex}`).",
              "    pub fn name(&self) -> &'static str {",
              "        match self {"]
        o += [f"            {ops}::{n} => {json.dumps(n)}," for n in names]
        o += ["        }", "    }", "",
              "    /// The errors the model lists for this operation.",
              "    pub fn errors(&self) -> &'static [&'static str] {",
              "        match self {"]
        for n in names:
            errs = ", ".join(json.dumps(e["shape"]) for e in m.ops[n].get("errors", []))
            o.append(f"            {ops}::{n} => &[{errs}],")
        o += ["        }", "    }", "}", "",
              f"impl std::fmt::Display for {ops} {{",
              "    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {",
              "        f.write_str(self.name())", "    }", "}", ""]

        # Structures: inputs, outputs, nested (alphabetical within each group).
        o.append("// ---------------------------------------------------------------- inputs")
        o.append("")
        for shape in sorted(m.inputs):
            op = m.inputs[shape]
            doc = f"Input of [`{ops}::{op}`]."
            o += self.struct_def(shape, "input", doc) + [""]
        o.append("// --------------------------------------------------------------- outputs")
        o.append("")
        all_outputs = sorted(list(m.outputs) + list(m.unit_outputs))
        for shape in all_outputs:
            if shape in m.unit_outputs:
                op = m.unit_outputs[shape]
                doc = f"Output of [`{ops}::{op}`], which has no members (the body is `{{}}`)."
                o += self.struct_def(shape, "unit", doc) + [""]
            else:
                doc = f"Output of [`{ops}::{m.outputs[shape]}`]."
                o += self.struct_def(shape, "output", doc) + [""]
        o.append("// ---------------------------------------------------------------- nested")
        o.append("")
        nested = sorted((m.input_reachable | m.output_reachable) - set(m.inputs) - set(m.outputs))
        for shape in nested:
            if m.shapes[shape].get("exception"):
                raise GenError(f"exception shape {shape} used as a member")
            doc = doc_sentence(m.shapes[shape].get("documentation")) or f"The `{shape}` structure."
            o += self.struct_def(shape, "nested", doc) + [""]

        # Validation and rendering (input side only).
        validated = sorted(m.input_reachable)
        body: list[str] = ["// ------------------------------------------------------------ validation", ""]
        for shape in validated:
            body += self.validate_impl(shape) + [""]
        for shape in sorted(m.input_reachable - set(m.inputs)):
            body += self.render_impl(shape) + [""]
        body += ["// ---------------------------------------------------------- wire schema", ""]
        for shape in validated:
            body += self.schema_const(shape) + [""]
        for shape in sorted(m.inputs):
            body += [f"impl Input for {shape} {{",
                     f"    const MEMBERS: &'static [Member] = MEMBERS_{const_name(shape)};", "}", ""]

        # Rules are known only after the validation pass.
        o += ["// ----------------------------------------------------------------- rules", ""]
        o += [self.rules[k] for k in sorted(self.rules)]
        o += ["",
              "/// Every string rule, by model shape name (used to test that each pattern compiles).",
              "pub static STRING_RULES: &[(&str, &StrRule)] = &["]
        o += [f"    ({json.dumps(shape)}, &{rule})," for shape, rule in sorted(self.string_rules)]
        o += ["];", ""]
        o += body

        # Trait.
        o += ["// --------------------------------------------------------------- service", "",
              f"/// The {m.meta['serviceFullName']} API: one method per operation.",
              "///",
              "/// Every method has a default body that answers",
              f"/// {svc.default_error}, so an",
              "/// implementation overrides only what it supports. Inputs arrive decoded and",
              "/// validated against the model.",
              "#[async_trait::async_trait]",
              f"pub trait {svc.trait}: Send + Sync {{"]
        for n in names:
            op = m.ops[n]
            inp = op["input"]["shape"]
            out = op["output"]["shape"] if "output" in op else f"{n}Response"
            o += doc_lines(doc_sentence(op.get("documentation")) or f"`{n}`.", "    ")
            o += [f"    async fn {snake(n)}(&self, ctx: &Context, input: {inp}) -> Result<{out}, ApiError> {{",
                  "        let _ = (ctx, input);",
                  f"        Err({svc.not_implemented.format(op=f'{ops}::{n}')})",
                  "    }", ""]
        o += ["}", "",
              "/// Decodes `body` as the input of `op` (an empty body counts as `{}`), validates it,",
              "/// calls the matching method of `svc`, and encodes its output as JSON.",
              "///",
              "/// Errors: `SerializationException` for a body that is not the input's JSON shape,",
              "/// `ValidationException` for one that breaks the model's constraints, else whatever",
              "/// the method returns.",
              f"pub async fn {svc.dispatch}<S: {svc.trait} + ?Sized>(",
              "    svc: &S,", "    ctx: &Context,", f"    op: {ops},", "    body: &[u8],",
              ") -> Result<Vec<u8>, ApiError> {",
              "    match op {"]
        for n in names:
            inp = m.ops[n]["input"]["shape"]
            o += [f"        {ops}::{n} => {{",
                  f"            let input = decode_input::<{inp}>(body)?;",
                  f"            encode_output(&svc.{snake(n)}(ctx, input).await?)",
                  "        }"]
        o += ["    }", "}", ""]
        text = "\n".join(o)
        return text.replace("@@USES@@", self.use_block(text))

    def error_helpers(self) -> list[str]:
        """Service-specific error constructors (KMS and CloudTrail: Secrets Manager's errors
        are `ErrorCode` variants)."""
        if self.svc.module not in ("kms", "cloudtrail"):
            return []
        name = self.m.meta["serviceAbbreviation"] if self.svc.module == "cloudtrail" else "KMS"
        return [
            f"/// A {name} error: `code` with the status the model gives it (500 for a `fault`, else",
            f"/// 400). The body carries the message under `message`, as {name}'s errors do.",
            "pub fn error(code: &'static str, message: impl Into<String>) -> ApiError {",
            "    let fault = MODELLED_ERRORS.iter().any(|(name, fault)| *name == code && *fault);",
            "    ApiError::new(",
            "        crate::ErrorCode::Other { code, status: if fault { 500 } else { 400 } },",
            "        message,",
            "    )",
            "}",
            "",
            "/// The answer of every operation Cofre does not implement:",
            "/// `UnsupportedOperationException: Cofre does not support <Operation> yet.` (400).",
            f"pub fn not_supported(op: {self.svc.op_enum}) -> ApiError {{",
            "    error(",
            "        \"UnsupportedOperationException\",",
            "        format!(\"Cofre does not support {} yet.\", op.name()),",
            "    )",
            "}",
            "",
        ]

    @staticmethod
    def use_block(text: str) -> str:
        """`use` lines importing exactly the names the generated code mentions."""
        groups = [
            ("std::collections", ["BTreeMap"]),
            ("crate::validate", ["BlobRule", "ListRule", "NumRule", "Pattern", "Render", "StrRule",
                                 "StructRenderer", "Validate", "Violations"]),
            ("crate::wire", ["decode_input", "encode_output", "Input", "Member", "Shape"]),
            ("crate", ["ApiError", "Blob", "Context", "SensitiveBlob", "SensitiveString", "Timestamp"]),
        ]
        lines = []
        for path, names in groups:
            used = [n for n in names if re.search(rf"(?<![\w:]){n}\b", text)]
            if used:
                lines.append(f"use {path}::{{{', '.join(used)}}};")
        return "\n".join(lines)


def rustfmt(source: str) -> str:
    try:
        proc = subprocess.run(
            ["rustfmt", "--edition", "2021", "--emit", "stdout", "--quiet"],
            input=source, capture_output=True, text=True, cwd=REPO_ROOT, check=False,
        )
    except FileNotFoundError:
        raise GenError("rustfmt not found on PATH (install it with `rustup component add rustfmt`)")
    if proc.returncode != 0:
        raise GenError(f"rustfmt failed:\n{proc.stderr}")
    return proc.stdout


def generate(service: JsonService, model_path: Path) -> str:
    raw_bytes = model_path.read_bytes()
    model = Model(json.loads(raw_bytes), service.operations)
    sha = hashlib.sha256(raw_bytes).hexdigest()
    return rustfmt(Generator(model, model_path, sha, service).generate())


def service_for(model_path: Path) -> JsonService:
    """The service whose model file is named like `model_path`."""
    for svc in SERVICES:
        if svc.model == model_path.name:
            return svc
    raise GenError(f"no service in SERVICES has the model {model_path.name!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*",
                        help=f"botocore JSON models to generate from (default: every service's, in {MODELS})")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a committed file differs from a fresh generation")
    args = parser.parse_args(argv)
    try:
        jobs = ([(service_for(Path(p)), Path(p)) for p in args.models] if args.models
                else [(svc, MODELS / svc.model) for svc in SERVICES])
        fresh = {GENERATED / f"{svc.module}.rs": (path, generate(svc, path)) for svc, path in jobs}
    except (GenError, OSError, json.JSONDecodeError, KeyError) as e:
        print(f"gen_api.py: error: {e}", file=sys.stderr)
        return 2
    if args.check:
        stale = False
        for out, (model_path, text) in fresh.items():
            rel = out.relative_to(REPO_ROOT)
            current = out.read_text() if out.exists() else None
            if current != text:
                print(f"gen_api.py: {rel} is out of date with {model_path}; "
                      "run `python3 codegen/gen_api.py` and commit the result.", file=sys.stderr)
                stale = True
            else:
                print(f"gen_api.py: {rel} is up to date.")
        return 1 if stale else 0
    for out, (_, text) in fresh.items():
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"gen_api.py: wrote {out.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
