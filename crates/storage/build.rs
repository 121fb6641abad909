//! Rebuilds the crate when a migration changes, so `embed_migrations!` always embeds them all,
//! and exports a digest of the migrations (`PULSE_MIGRATIONS_DIGEST`) that names the migrated
//! template database of the tests.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

const MIGRATIONS_DIR: &str = "../../migrations";

fn main() {
    println!("cargo:rerun-if-changed={MIGRATIONS_DIR}");
    let mut files = Vec::new();
    collect_files(Path::new(MIGRATIONS_DIR), &mut files);
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        hasher.write(file.to_string_lossy().as_bytes());
        hasher.write(&std::fs::read(file).unwrap_or_default());
    }
    println!(
        "cargo:rustc-env=PULSE_MIGRATIONS_DIGEST={:016x}",
        hasher.finish()
    );
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}
