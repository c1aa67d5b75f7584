//! The committed IAM/STS/Unicode generated code matches a fresh run of
//! `codegen/gen_query.py` on the models, and the generator rejects what it cannot handle.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .args(args)
        .current_dir(root())
        .output()
        .expect("running python3 (is it installed?)")
}

#[test]
fn generated_query_code_is_up_to_date() {
    let out = run(&["codegen/gen_query.py", "--check"]);
    assert!(
        out.status.success(),
        "generator check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("are up to date"));
}

#[test]
fn class_pattern_translation() {
    // The generator's Java-class parser, exercised directly.
    let script = r#"
import sys
sys.path.insert(0, "codegen")
import gen_query as g
cats = {"L": [], "N": [], "Z": []}
t, r, e = g.parse_class_pattern(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", cats)
assert t == ["L", "Z", "N"], t
assert r == [(0x2B, 0x2B), (0x2D, 0x2F), (0x3A, 0x3A), (0x3D, 0x3D), (0x40, 0x40), (0x5F, 0x5F)], r
assert e is False
t, r, e = g.parse_class_pattern(r"[\p{L}a-c\u00E9-]*", cats)
assert r == [(0x2D, 0x2D), (0x61, 0x63), (0xE9, 0xE9)], r
assert e is True
for bad in [r"[\p{Lu}]+", r"[^\p{L}]+", r"[\p{L}]", r"[\p{L}\s]+", r"x[\p{L}]+", r"[\P{L}]+"]:
    try:
        g.parse_class_pattern(bad, cats)
    except g.GenError:
        continue
    raise AssertionError("accepted " + bad)
print("ok")
"#;
    let out = run(&["-c", script]);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn generator_refuses_unsupported_models() {
    // A model whose selected operation reaches a trait the generator does not know.
    let script = r#"
import sys, json
sys.path.insert(0, "codegen")
import gen_query as g
raw = {"metadata": {"protocol": "query"}, "operations": {"Op": {"name": "Op",
       "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "In"}}},
       "shapes": {"In": {"type": "structure", "members": {"A": {"shape": "S", "xmlNamespace": {"uri": "x"}}}},
                  "S": {"type": "string"}}}
try:
    g.QueryModel(raw, ("Op",))
except g.GenError as e:
    print("refused:", e)
else:
    raise AssertionError("accepted")
raw["metadata"]["protocol"] = "json"
try:
    g.QueryModel(raw, ("Op",))
except g.GenError as e:
    print("refused:", e)
"#;
    let out = run(&["-c", script]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("refused:").count(), 2, "{stdout}");
}
