//! Running the real `skyfly` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `skyfly` binary of this build, (re)built once per test process so that a plain
/// `cargo test` never runs a stale binary against newer migrations.
pub fn skyfly_bin() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test executable path");
            // target/<profile>/deps/<test> -> target/<profile>/skyfly
            let profile_dir = exe.parent().and_then(|d| d.parent()).expect("profile dir");
            let target_dir = profile_dir.parent().expect("target dir");
            let mut build = Command::new(env!("CARGO"));
            build
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "skyfly-api",
                    "--bin",
                    "skyfly",
                    "--target-dir",
                ])
                .arg(target_dir);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                build.arg("--release");
            }
            let status = build
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build");
            assert!(status.success(), "cargo build --bin skyfly failed");
            let bin = profile_dir.join(if cfg!(windows) {
                "skyfly.exe"
            } else {
                "skyfly"
            });
            assert!(bin.exists(), "{} is missing after the build", bin.display());
            bin
        })
        .clone()
}

pub fn skyfly(database_url: &str, args: &[&str]) -> Output {
    Command::new(skyfly_bin())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run skyfly")
}
