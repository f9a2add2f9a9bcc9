//! Embeds the project's scripts: every `*.nse` in the repository's
//! `scripts/` directory and every `*.lua` in its `nselib/` directory (when
//! present) become `(name, source)` pairs in `OUT_DIR/embedded.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn list(dir: &Path, ext: &str) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_file()
                && p.extension().is_some_and(|x| x == ext)
                && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
            {
                out.push((stem.to_string(), p.canonicalize().unwrap_or(p.clone())));
            }
        }
    }
    out.sort();
    out
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest.join("../..");
    let scripts_dir = root.join("scripts");
    let lib_dir = root.join("nselib");
    println!("cargo:rerun-if-changed={}", scripts_dir.display());
    println!("cargo:rerun-if-changed={}", lib_dir.display());
    let mut code = String::new();
    for (name, items) in [
        ("EMBEDDED_SCRIPTS", list(&scripts_dir, "nse")),
        ("EMBEDDED_LIBS", list(&lib_dir, "lua")),
    ] {
        let _ = writeln!(code, "pub(crate) static {name}: &[(&str, &str)] = &[");
        for (stem, path) in items {
            let _ = writeln!(
                code,
                "    ({stem:?}, include_str!({:?})),",
                path.display().to_string()
            );
        }
        code.push_str("];\n");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
