// `sqlx::migrate!` embeds the migration folders when the crate compiles: rebuild it when a
// migration is added or changed, not only when Rust code is.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
