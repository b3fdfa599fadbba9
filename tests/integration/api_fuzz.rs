//! The channel API against its own OpenAPI document, with a schema-driven fuzzer
//! (schemathesis, from PyPI, installed by scripts/setup.sh into target/tools): requests made
//! from the document's schemas (valid ones, boundary values, and invalid ones) must never get
//! a 5xx, and every answer must be one the document lists for its operation, in the content
//! type and shape it documents. The document must therefore state what the server enforces.

use std::path::PathBuf;
use std::process::Command;

use omniloyal::server::db::Db;
use omniloyal::server::service::rewards;
use serde_json::json;

use crate::on_both_backends;
use crate::support::fixtures::{email, key, reward_input, send, world, ALL};
use crate::support::spawn_app;

/// The schemathesis executable: `OMNILOYAL_SCHEMATHESIS` (scripts/test.sh sets it, and then
/// it must exist), else the one scripts/setup.sh installs. None: skipped with a note (a
/// developer's `cargo test` before running setup), unless `CI` is set.
fn schemathesis() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OMNILOYAL_SCHEMATHESIS") {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "OMNILOYAL_SCHEMATHESIS={} does not exist",
            path.display()
        );
        return Some(path);
    }
    let default =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools/schemathesis/bin/schemathesis");
    if default.exists() {
        return Some(default);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but schemathesis is missing: run scripts/setup.sh"
    );
    eprintln!(
        "note: the API fuzz test is skipped (schemathesis not installed; scripts/setup.sh installs it)"
    );
    None
}

/// How many cases per operation and phase: enough for boundaries and a spread of bodies,
/// while both backends' runs stay within about a minute each.
const MAX_EXAMPLES: &str = "25";

async fn the_api_answers_as_its_document_says(db: Db) {
    let Some(bin) = schemathesis() else {
        return;
    };
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let member = email(&db, &w).await;
    let reward = rewards::save(&db, &reward_input(w.program.id, "Coffee", "100"))
        .await
        .unwrap();
    let k = key(&db, ALL, "5000").await;
    // Some history to read, and points to redeem with.
    let orders = format!("/programs/{}/orders", w.program.id);
    let order = json!({"member": member, "channel_order_id": "FUZZ-SEED-1", "amount_minor": 5000});
    let (s, b, _) = send(&app, reqwest::Method::POST, &orders, Some(&k), None, Some(order)).await;
    assert!(s.is_success(), "{s} {b}");

    let dir = tempfile_dir();
    let config = dir.join("schemathesis.toml");
    // Path and body values drawn now and then from what exists, so the fuzzer also reaches
    // past the lookups (a known member, this program, its reward).
    std::fs::write(
        &config,
        format!(
            r#"
[dictionaries.members]
values = ["{member}", "email:{member}"]

[dictionaries.programs]
values = [{program}]

[dictionaries.rewards]
values = [{reward}]

[parameters]
"path.program_id" = {{ dictionary = "programs", probability = 0.8 }}
"path.identifier" = {{ dictionary = "members", probability = 0.5 }}
"body.member" = {{ dictionary = "members", probability = 0.5 }}
"body.reward_id" = {{ dictionary = "rewards", probability = 0.5 }}
"#,
            program = w.program.id,
            reward = reward.id,
        ),
    )
    .unwrap();
    let base = format!("{}/api/v1", app.base);
    let args: Vec<String> = vec![
        "--config-file".into(),
        config.display().to_string(),
        "run".into(),
        format!("{base}/openapi.json"),
        "--url".into(),
        base.clone(),
        "--checks".into(),
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
            .into(),
        "--phases".into(),
        "examples,coverage,fuzzing".into(),
        "--max-examples".into(),
        MAX_EXAMPLES.into(),
        "--seed".into(),
        "20261204".into(),
        // One worker: CPython 3.11's `compile` is not safe in threads ("AST constructor
        // recursion depth mismatch" from schemathesis' own lazy imports with two).
        "--workers".into(),
        "1".into(),
        "--header".into(),
        format!("Authorization: Bearer {k}"),
        "--request-timeout".into(),
        "20".into(),
        "--suppress-health-check".into(),
        "all".into(),
        "--no-color".into(),
        "--generation-database".into(),
        "none".into(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&bin)
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Its summary (and warnings) in the test's output: `--nocapture` shows them.
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "schemathesis found answers the document does not allow:\n{stdout}\n{stderr}"
    );
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("omniloyal_fuzz_{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

on_both_backends!(the_api_answers_as_its_document_says);
