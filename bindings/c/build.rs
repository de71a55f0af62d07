//! Generates the C header with cbindgen into `$OUT_DIR/kissmon.h`, and only
//! there: a build never writes into the source tree. The committed
//! `include/kissmon.h` is what C programs and the Go module include; the
//! test `header_is_current` fails, on any machine, when it differs from the
//! fresh one, and prints the command that updates it.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can read this crate")
        .write_to_file(out_dir.join("kissmon.h"));
}
