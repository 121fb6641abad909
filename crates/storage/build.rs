//! Rebuilds the crate when a migration is added, so `embed_migrations!` always embeds them all.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
