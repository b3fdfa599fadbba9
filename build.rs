//! Build steps: the migrations `sqlx::migrate!` embeds, and the message catalogue
//! (`locales/<language>/<namespace>.json`) that leptos_i18n turns into the `i18n` module.

use leptos_i18n_build::options::CodegenOptions;
use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::error::Error;
use std::path::PathBuf;

/// One file per surface in each language, so work on one surface touches its own file.
const NAMESPACES: [&str; 10] = [
    "common",
    "auth",
    "portal",
    "desk",
    "manage",
    "offers",
    "integrations",
    "insights",
    "errors",
    "wording",
];

fn main() -> Result<(), Box<dyn Error>> {
    // `sqlx::migrate!` embeds the migration folders when the crate compiles: rebuild it when
    // a migration is added or changed, not only when Rust code is.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo::rerun-if-changed=build.rs");

    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("i18n");
    // `interpolate_display`: messages with values can also be made as plain strings
    // (`td_string!`), for attributes, server-made sentences and errors.
    let options = ParseOptions::default().interpolate_display(true);
    let cfg = Config::new("en")?
        .add_locale("ar")?
        .add_namespaces(NAMESPACES)?
        .parse_options(options);
    let infos = TranslationsInfos::parse(cfg)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    // Generated code: a key may be called `new` or `default`, which clippy would question.
    let allow: proc_macro2::TokenStream = "#![allow(clippy::all)]".parse()?;
    let codegen = CodegenOptions::default()
        .top_level_attributes(Some(allow))
        .gen_docs(false);
    infos.generate_i18n_module_with_options(out, codegen)?;
    Ok(())
}
