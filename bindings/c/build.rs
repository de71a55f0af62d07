//! Generates `include/kissmon.h` with cbindgen.
//!
//! The header is written to `$OUT_DIR/kissmon.h` on every build, and copied
//! over the committed `include/kissmon.h` when it differs, except under CI
//! (`CI` set): there the committed header is left alone, and the test
//! `header_is_current` fails if it differs from the fresh one.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CI");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    let fresh = out_dir.join("kissmon.h");
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can read this crate")
        .write_to_file(&fresh);

    let committed = crate_dir.join("include/kissmon.h");
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let fresh_text = std::fs::read(&fresh).expect("cbindgen wrote the header");
    if !in_ci && std::fs::read(&committed).ok().as_deref() != Some(&fresh_text[..]) {
        std::fs::write(&committed, &fresh_text).expect("include/ is writable");
    }
}
