//! Load benchmark of the channel API against SQLite and PostgreSQL.
//!
//! For each backend it starts the real app on a fresh database (a program with three earning
//! rules, members, an API key), then measures, in one run:
//! 1. raw database throughput: concurrent one-row durable write transactions, the physical
//!    limit the API is held against;
//! 2. the API at full load: concurrent clients posting orders with lines (rule evaluation,
//!    ledger, lots, rule usage, order dedup, idempotency keys): events/s and p50/p95/p99;
//! 3. the API at half of that rate (paced), where p99 is the latency people feel.
//!
//! `cargo run --release --features ssr --bin bench -- --help`

use omniloyal::model::ids::ProgramId;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use leptos::prelude::LeptosOptions;
use omniloyal::model::api_key::ApiKeyInput;
use omniloyal::model::program::{ProgramInput, TierInput};
use omniloyal::model::rules::{Channel, EarningRule, RuleCaps, RuleConditions, RuleEffect};
use omniloyal::model::user::NewUserInput;
use omniloyal::server::config::Config;
use omniloyal::server::db::Db;
use omniloyal::server::service::{api_keys, members, rules, tiers};
use omniloyal::server::state::AppState;
use omniloyal::server::store::{programs, users};
use sqlx::{Connection, Executor};

#[derive(Parser, Debug)]
#[command(about = "Benchmark the channel API and the raw database it runs on")]
struct Args {
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Members the orders are spread over.
    #[arg(long, default_value_t = 200)]
    members: usize,
    /// The launch campaign's budget in points; 0 runs it without a budget (every budgeted
    /// booking charges the campaign's one budget row).
    #[arg(long, default_value_t = 1_000_000_000)]
    campaign_budget: i64,
    /// Keep the Insights rollups current while booking (on: bookings queue their
    /// transactions and a worker folds them, as in a server), skip them (off), or run both
    /// and print both.
    #[arg(long, default_value = "both")]
    rollups: String,
    /// Run with ten segments, an earning rule conditioned on each and a running campaign on
    /// each (every booking then reads the member's segments and runs the campaigns' rules; a
    /// worker re-evaluates folded members), without them (off), or both.
    #[arg(long, default_value = "off")]
    segmented: String,
    /// PostgreSQL server (a scratch schema is created and dropped in it).
    #[arg(long, env = "OMNILOYAL_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
}

struct Figures {
    backend: &'static str,
    rollups: bool,
    segmented: bool,
    raw_tps: f64,
    api_eps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    /// Orders per commit at full load (the writer's groups).
    per_commit: f64,
    /// Share of the full-load run the writer spent booking and committing.
    writer_busy: f64,
    paced_rate: f64,
    paced_eps: f64,
    paced_p50: f64,
    paced_p99: f64,
    errors: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// What to remove when a run is over: the SQLite file, or the PostgreSQL scratch schema.
enum Scratch {
    Sqlite(std::path::PathBuf),
    Postgres { base: String, schema: String },
}

async fn open(backend: &str, args: &Args) -> Result<(Db, Scratch), String> {
    match backend {
        "sqlite" => {
            let path = std::env::temp_dir().join(format!("omniloyal-bench-{}.db", std::process::id()));
            let _ = std::fs::remove_file(&path);
            let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()))
                .await
                .map_err(|e| e.to_string())?;
            Ok((db, Scratch::Sqlite(path)))
        }
        _ => {
            let base = args
                .postgres_url
                .clone()
                .ok_or("set --postgres-url or OMNILOYAL_BENCH_POSTGRES_URL for PostgreSQL")?;
            let schema = format!("bench_{}", std::process::id());
            let mut admin = sqlx::PgConnection::connect(&base)
                .await
                .map_err(|e| e.to_string())?;
            admin
                .execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}").as_str())
                .await
                .map_err(|e| e.to_string())?;
            let sep = if base.contains('?') { '&' } else { '?' };
            let db = Db::connect(&format!("{base}{sep}options[search_path]={schema}"))
                .await
                .map_err(|e| e.to_string())?;
            Ok((db, Scratch::Postgres { base, schema }))
        }
    }
}

/// A program like a real one: tiers, a weekend multiplier, a category bonus with a daily cap,
/// a budgeted campaign; members; an API key.
/// Segments at the members' balances (the seed gives each member a spread of them as they
/// book) and orders, each with a rule of one point for its members.
async fn segment(db: &Db, program_id: ProgramId) -> Result<(), String> {
    use omniloyal::model::segment::{Condition, Definition, Join};
    use omniloyal::server::service::segments;
    let e = |e: omniloyal::error::AppError| e.to_string();
    for i in 0..10i64 {
        let condition = if i % 2 == 0 {
            Condition::Balance {
                min: Some(i * 500),
                max: None,
            }
        } else {
            Condition::Orders {
                days: 30,
                min: Some(i),
                max: None,
            }
        };
        let definition = Definition {
            join: Join::All,
            within: Join::All,
            groups: vec![vec![condition]],
        };
        let s = segments::save_definition(db, program_id, None, &format!("Bench segment {i}"), &definition)
            .await
            .map_err(e)?;
        let rule = EarningRule::stacking(
            program_id,
            &format!("Segment {i} point"),
            1,
            RuleEffect::FixedPoints { points: 1 },
            RuleConditions {
                segment_ids: vec![s.id],
                ..RuleConditions::default()
            },
            RuleCaps::default(),
        );
        rules::save(db, &rule).await.map_err(e)?;
        campaign(db, program_id, s.id, i).await?;
    }
    Ok(())
}

/// A running campaign on a segment, 10 % held out: even ones test a once-only bonus against
/// a multiplier, odd ones double points; each with a budget (charged in its slots).
async fn campaign(db: &Db, program_id: ProgramId, segment_id: i64, i: i64) -> Result<(), String> {
    use omniloyal::model::campaign::{CampaignForm, VariantRow};
    use omniloyal::server::service::campaigns;
    let e = |e: omniloyal::error::AppError| e.to_string();
    let row = |name: &str, share: &str, kind: &str, value: &str| VariantRow {
        name: name.into(),
        share: share.into(),
        kind: kind.into(),
        value: value.into(),
        ..VariantRow::default()
    };
    let variants = if i % 2 == 0 {
        vec![
            row("A", "50", "bonus_points", "50"),
            row("B", "50", "multiplier", "1.5"),
        ]
    } else {
        vec![row("A", "100", "multiplier", "2")]
    };
    let today = db.now().date();
    let form = CampaignForm {
        program_id: program_id.0,
        name: format!("Bench campaign {i}"),
        segment_id: segment_id.to_string(),
        starts_on: today.to_string(),
        ends_on: (today + chrono::Duration::days(30)).to_string(),
        holdout: "10".into(),
        variants,
        budget: "100000000".into(),
        ..CampaignForm::default()
    };
    let c = campaigns::save(db, &form, None).await.map_err(e)?;
    campaigns::launch(db, program_id, c.id, None).await.map_err(e)?;
    Ok(())
}

async fn seed(db: &Db, n_members: usize, budget: i64) -> Result<(ProgramId, String, Vec<String>), String> {
    let e = |e: omniloyal::error::AppError| e.to_string();
    let program = programs::save(
        db,
        &ProgramInput {
            name: "Bench Rewards".into(),
            currency_name: "Stars".into(),
            currency_code: "EUR".into(),
            point_value_minor: "1".into(),
            points_per_unit: "10".into(),
            expiry_mode: "fixed".into(),
            expiry_months: "24".into(),
            ..ProgramInput::default()
        },
    )
    .await
    .map_err(e)?;
    for (name, threshold, m) in [("Green", "0", "1"), ("Gold", "5000", "1.5")] {
        tiers::save_tier(
            db,
            &TierInput {
                id: None,
                program_id: program.id,
                name: name.into(),
                threshold_points: threshold.into(),
                multiplier: m.into(),
            },
        )
        .await
        .map_err(e)?;
    }
    let rule = |name: &str, priority, effect, conditions, caps, budget| EarningRule {
        budget_points: budget,
        ..EarningRule::stacking(program.id, name, priority, effect, conditions, caps)
    };
    for r in [
        rule(
            "Coffee bonus",
            20,
            RuleEffect::PerItem { points: 5 },
            RuleConditions {
                include_categories: vec!["coffee".into()],
                ..RuleConditions::default()
            },
            RuleCaps {
                per_member_day: Some(200),
                ..RuleCaps::default()
            },
            None,
        ),
        rule(
            "Weekend double",
            10,
            RuleEffect::Multiplier { pct: 200 },
            RuleConditions {
                weekdays: vec![6, 7],
                ..RuleConditions::default()
            },
            RuleCaps::default(),
            None,
        ),
        rule(
            "Launch campaign",
            5,
            RuleEffect::FixedPoints { points: 10 },
            RuleConditions::default(),
            RuleCaps::default(),
            (budget > 0).then_some(budget),
        ),
    ] {
        rules::save(db, &r).await.map_err(e)?;
    }
    let admin = users::create(
        db,
        &NewUserInput {
            display_name: "Bench admin".into(),
            email: "bench-admin@bench.test".into(),
            role: "admin".into(),
            password: "bench-password-1".into(),
        },
    )
    .await
    .map_err(e)?;
    let mut emails = Vec::with_capacity(n_members);
    for i in 0..n_members {
        let email = format!("m{i}@bench.test");
        // Enrolled as a till would (no sign-in): the bench looks members up by email.
        let details = omniloyal::domain::forms::account::ValidDetails {
            name: format!("Member {i}"),
            email: Some(email.clone()),
            phone: None,
            birth_date: None,
            referral_code: None,
        };
        let joined = members::JoinedIn {
            channel: Channel::Store,
            store: None,
        };
        match members::enrol(db, program.id, joined, &details)
            .await
            .map_err(e)?
        {
            members::Saved::Done(_) => {}
            members::Saved::Taken(fields) => return Err(format!("member {i} taken: {fields:?}")),
        }
        emails.push(email);
    }
    let key = api_keys::create(
        db,
        admin.id,
        &ApiKeyInput {
            name: "Bench till".into(),
            channel: Channel::Store.as_str().into(),
            program_id: program.id.to_string(),
            scopes: vec!["orders:write".into(), "members:read".into()],
            rate_per_sec: api_keys::MAX_RATE_PER_SEC.to_string(),
        },
    )
    .await
    .map_err(e)?;
    Ok((program.id, key.secret, emails))
}

/// Concurrent one-row write transactions, each committed durably, for `secs`.
async fn raw_writes(db: &Db, clients: usize, secs: u64) -> f64 {
    sqlx::query(
        "CREATE TABLE bench_raw (id BIGINT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)",
    )
    .execute(&db.pool)
    .await
    .expect("create bench table");
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (db, done) = (db.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0i64;
            while Instant::now() < until {
                let mut tx = db.begin_write().await.expect("begin");
                sqlx::query("INSERT INTO bench_raw (id, payload, created_at) VALUES ($1, $2, $3)")
                    .bind(c as i64 * 1_000_000_000 + i)
                    .bind("order T-000000 €12.50")
                    .bind(i)
                    .execute(&mut *tx)
                    .await
                    .expect("insert");
                tx.commit().await.expect("commit");
                i += 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / secs as f64
}

/// Where the load goes: the running app, its program, key and members.
struct Target {
    base: String,
    program_id: ProgramId,
    key: String,
    emails: Vec<String>,
}

/// Posts orders for `secs`; with `pace`, each client sends at most one per `pace`.
async fn load(
    t: &Target,
    clients: usize,
    secs: u64,
    pace: Option<Duration>,
    run: &str,
) -> (f64, Vec<Duration>, u64) {
    let (base, program_id, key, emails) = (&t.base, t.program_id, &t.key, &t.emails);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("http client");
    let url = format!("{base}/api/v1/programs/{program_id}/orders");
    let errors = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, url, key, errors) = (http.clone(), url.clone(), key.to_string(), errors.clone());
        let emails = emails.to_vec();
        let run = run.to_string();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0usize;
            // Paced clients start evenly spread over one period, so together they send a
            // steady stream rather than a burst of `clients` requests every period.
            let mut next =
                Instant::now() + pace.map_or(Duration::ZERO, |p| p.mul_f64(c as f64 / clients as f64));
            while Instant::now() < until {
                if let Some(p) = pace {
                    tokio::time::sleep_until(next.into()).await;
                    next += p;
                }
                let member = &emails[(c * 7919 + i) % emails.len()];
                let body = serde_json::json!({
                    "member": member,
                    "channel_order_id": format!("{run}-{c}-{i}"),
                    "amount_minor": 1250,
                    "lines": [
                        {"sku": "LATTE", "category": "coffee", "quantity": 2, "amount_minor": 900},
                        {"sku": "MUFFIN", "category": "food", "quantity": 1, "amount_minor": 350}
                    ]
                });
                let started = Instant::now();
                let res = http
                    .post(&url)
                    .bearer_auth(&key)
                    .header("Idempotency-Key", format!("{run}-{c}-{i}"))
                    .json(&body)
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(started.elapsed());
                    }
                    Ok(r) => {
                        if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("  error {}: {}", r.status(), r.text().await.unwrap_or_default());
                        }
                    }
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("  error: {e}");
                        }
                    }
                }
                i += 1;
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all.sort_unstable();
    (
        all.len() as f64 / secs as f64,
        all,
        errors.load(Ordering::Relaxed),
    )
}

async fn bench(
    backend: &'static str,
    rollups: bool,
    segmented: bool,
    args: &Args,
) -> Result<Figures, String> {
    omniloyal::server::store::rollups::set_queueing(rollups);
    eprintln!(
        "{backend}: preparing a fresh database with {} members…",
        args.members
    );
    let (db, cleanup) = open(backend, args).await?;
    let (program_id, key, emails) = seed(&db, args.members, args.campaign_budget).await?;
    if segmented {
        segment(&db, program_id).await?;
        omniloyal::server::service::segments::spawn_worker(db.clone(), Duration::from_secs(10));
    }
    let state = AppState::new(
        LeptosOptions::builder().output_name("omniloyal").build(),
        db.clone(),
        Config::for_database("bench"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = omniloyal::server::serve::router(state);
    if rollups {
        omniloyal::server::service::rollups::spawn_worker(db.clone(), Duration::from_secs(2));
    }
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    let target = Target {
        base: format!("http://{addr}"),
        program_id,
        key,
        emails,
    };

    eprintln!(
        "{backend}: raw durable writes, {} clients, {} s…",
        args.clients, args.seconds
    );
    let raw_tps = raw_writes(&db, args.clients, args.seconds).await;
    eprintln!("{backend}: warm-up…");
    load(&target, args.clients, 2, None, "warm").await;
    eprintln!("{backend}: API at full load…");
    let before = db.committed();
    let started = Instant::now();
    let (api_eps, lat, errors) = load(&target, args.clients, args.seconds, None, "full").await;
    let after = db.committed();
    let writer_busy = (after.busy_us - before.busy_us) as f64 / started.elapsed().as_micros() as f64;
    let per_commit = (after.jobs - before.jobs) as f64 / (after.groups - before.groups).max(1) as f64;
    let paced_rate = api_eps / 2.0;
    let pace = Duration::from_secs_f64(args.clients as f64 / paced_rate.max(1.0));
    eprintln!("{backend}: API paced at {paced_rate:.0} events/s…");
    let (paced_eps, paced, paced_errors) =
        load(&target, args.clients, args.seconds, Some(pace), "half").await;
    db.pool.close().await;
    match cleanup {
        Scratch::Postgres { base, schema } => {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&base).await {
                let _ = admin
                    .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                    .await;
            }
        }
        Scratch::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
    Ok(Figures {
        backend,
        rollups,
        segmented,
        raw_tps,
        api_eps,
        p50: percentile(&lat, 0.50),
        p95: percentile(&lat, 0.95),
        p99: percentile(&lat, 0.99),
        per_commit,
        writer_busy,
        paced_rate,
        paced_eps,
        paced_p50: percentile(&paced, 0.50),
        paced_p99: percentile(&paced, 0.99),
        errors: errors + paced_errors,
    })
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let backends: Vec<&'static str> = match args.backend.as_str() {
        "sqlite" => vec!["sqlite"],
        "postgres" => vec!["postgres"],
        _ => vec!["sqlite", "postgres"],
    };
    let rollups: Vec<bool> = match args.rollups.as_str() {
        "on" => vec![true],
        "off" => vec![false],
        _ => vec![false, true],
    };
    let segmented: Vec<bool> = match args.segmented.as_str() {
        "on" => vec![true],
        "both" => vec![false, true],
        _ => vec![false],
    };
    let mut rows = Vec::new();
    for b in backends {
        for &r in &rollups {
            for &s in &segmented {
                match bench(b, r, s, &args).await {
                    Ok(f) => rows.push(f),
                    Err(e) => eprintln!("{b}: skipped: {e}"),
                }
            }
        }
    }
    println!(
        "\nclients={} seconds={} members={} (load generator and server share this machine)",
        args.clients, args.seconds, args.members
    );
    println!(
        "{:<9} {:>7} {:>9} {:>12} {:>12} {:>7} {:>8} {:>8} {:>8} {:>7} {:>7} | {:>10} {:>10} {:>8} {:>8} {:>6}",
        "backend",
        "rollups",
        "segments",
        "raw tx/s",
        "API ev/s",
        "of raw",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "/commit",
        "writer",
        "half rate",
        "got ev/s",
        "p50 ms",
        "p99 ms",
        "errors"
    );
    for f in &rows {
        println!(
            "{:<9} {:>7} {:>9} {:>12.0} {:>12.0} {:>6.0}% {:>8.2} {:>8.2} {:>8.2} {:>7.1} {:>6.0}% | {:>10.0} {:>10.0} {:>8.2} {:>8.2} {:>6}",
            f.backend,
            if f.rollups { "on" } else { "off" },
            if f.segmented { "10 seg+rules+campaigns" } else { "off" },
            f.raw_tps,
            f.api_eps,
            100.0 * f.api_eps / f.raw_tps.max(1.0),
            f.p50,
            f.p95,
            f.p99,
            f.per_commit,
            100.0 * f.writer_busy,
            f.paced_rate,
            f.paced_eps,
            f.paced_p50,
            f.paced_p99,
            f.errors
        );
    }
}
