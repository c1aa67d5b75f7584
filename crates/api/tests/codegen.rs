//! The committed generated code matches a fresh run of the generator on the model.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

use std::path::Path;
use std::process::Command;

#[test]
fn generated_code_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("python3")
        .args(["codegen/gen_api.py", "--check"])
        .current_dir(&root)
        .output()
        .expect("running python3 codegen/gen_api.py --check (is python3 installed?)");
    assert!(
        out.status.success(),
        "generator check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
