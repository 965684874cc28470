//! Running the real `skyfly` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `skyfly` binary of this build (`scripts/test.sh` builds it before the tests run).
pub fn skyfly_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/skyfly
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join(if cfg!(windows) {
        "skyfly.exe"
    } else {
        "skyfly"
    });
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build --bin skyfly)",
        bin.display()
    );
    bin
}

pub fn skyfly(database_url: &str, args: &[&str]) -> Output {
    Command::new(skyfly_bin())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run skyfly")
}
