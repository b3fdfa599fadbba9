//! Server entry: `omniloyal` serves the app; `omniloyal create-admin` makes the first admin;
//! `omniloyal clv` scores customers from a transaction file; `omniloyal demo generate` makes
//! a brand with months of history.

use clap::{Parser, Subcommand};
use omniloyal::model::user::NewUserInput;
use omniloyal::server::config::Config;
use omniloyal::server::db::{Db, Durability};
use omniloyal::server::{serve, store};

#[derive(Parser)]
#[command(name = "omniloyal", about = "Omnichannel loyalty platform", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app and API (the default).
    Serve,
    /// Run the scheduled jobs once (expiry, pending release, stale reservations) and exit.
    /// The server runs them every minute by itself; this is for cron or a manual catch-up.
    RunJobs,
    /// Create an admin account, e.g. the first one of a fresh install. The password is read
    /// from OMNILOYAL_ADMIN_PASSWORD, or from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Predictive customer lifetime value (BG/NBD + Gamma-Gamma) from a transaction log file.
    /// Needs no database or server configuration.
    Clv(omniloyal::domain::clv::report::ClvArgs),
    /// Demo data for trying the product at size, dashboards and benchmarks.
    Demo {
        #[command(subcommand)]
        action: DemoCommand,
    },
    /// Load a brand's past purchases into a program (the transaction log `clv` reads: customer
    /// id, date, optional quantity, amount in whole currency units). Customers become members
    /// with the channel's external id; each customer-day is an order booked on its day through
    /// the booking pipeline. Every line is checked first: one bad line and nothing is written.
    /// Run again after an interruption: what was booked is not booked twice.
    ImportHistory {
        #[arg(long)]
        program: i64,
        #[arg(long)]
        input: std::path::PathBuf,
        /// Where the purchases were made: store, web or app.
        #[arg(long, default_value = "store")]
        channel: String,
        /// Read and check the file, say what would be imported, write nothing.
        #[arg(long)]
        check: bool,
    },
    /// The Insights rollups (daily facts, member days, member summaries).
    Rollups {
        #[command(subcommand)]
        action: RollupsCommand,
    },
}

#[derive(Subcommand)]
enum RollupsCommand {
    /// Fold what bookings queued (the server does it every two seconds by itself).
    CatchUp,
    /// Recompute the rollups from the ledger, report every difference with what was
    /// stored, and replace them. Exits with 1 when something differed.
    Rebuild,
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Generate a brand (shops, web shop, app, tiers, rules, rewards) and months of members
    /// joining, buying, returning and redeeming, booked through the real ledger into the
    /// database DATABASE_URL names. The same seed makes the same brand.
    Generate {
        /// Members who join over the period.
        #[arg(long, default_value_t = 10_000)]
        members: u32,
        /// Months of history, up to today.
        #[arg(long, default_value_t = 12)]
        months: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Time the Insights Overview on the data in DATABASE_URL (generated first): server
    /// time of requests with varied filters, and a rebuild of the rollups from the ledger.
    BenchInsights {
        #[arg(long, default_value_t = 50)]
        requests: usize,
    },
    /// Time messages through the outbox on a scratch DATABASE_URL (it adds a program and
    /// members): the inbox, offers (consent, caps and quiet hours checked), and emails to an
    /// SMTP server when one is given.
    BenchMessages {
        /// Members to enrol.
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        /// Messages of each kind (emails: a fifth of it).
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
        /// An SMTP server to send the emails to (e.g. aiosmtpd: smtp://127.0.0.1:2525).
        #[arg(long)]
        smtp: Option<String>,
    },
    /// Time a campaign telling its members of their offer on a scratch DATABASE_URL (it adds a
    /// program and members): the first announcement pass over every member, and the next
    /// (nobody new).
    BenchCampaigns {
        /// Members to enrol.
        #[arg(long, default_value_t = 10_000)]
        members: usize,
    },
    /// Time a win-back journey's daily evaluation on a scratch DATABASE_URL (it adds a program
    /// and members): the first day (every lapsed member enters), the first step for them all,
    /// and the next day (nobody new).
    BenchJourneys {
        /// Members to enrol.
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        /// Members active in the last month, in per cent (the rest have lapsed).
        #[arg(long, default_value_t = 70)]
        active_pct: usize,
    },
    /// Time segments on the data in DATABASE_URL (generated first): the builder's live count
    /// of five-condition segments, saving ten segments and refreshing them all.
    BenchSegments {
        /// Live counts to time (three shapes in turn).
        #[arg(long, default_value_t = 30)]
        counts: usize,
    },
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    // The generator books millions of orders: their info lines would bury the progress bar.
    let quiet = matches!(cli.command, Some(Command::Demo { .. }));
    let default_filter = if quiet {
        "warn"
    } else {
        "info,sqlx=warn,tower_http=info"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into()),
        )
        .init();
    // An offline analysis of a file: it runs before the server configuration is read.
    if let Some(Command::Clv(args)) = &cli.command {
        std::process::exit(omniloyal::domain::clv::report::run(args));
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => exit(&e),
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            if let Err(e) = serve::run(config).await {
                exit(&e.to_string());
            }
        }
        Command::RunJobs => {
            let db = Db::connect(&config.database_url)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            let now = omniloyal::model::time::Timestamp::now();
            match omniloyal::server::jobs::run_all_keeping(&db, now, config.retention).await {
                Ok(r) => println!("{r:?}"),
                Err(e) => exit(&e.to_string()),
            }
        }
        Command::CreateAdmin { email, name } => {
            let password = std::env::var("OMNILOYAL_ADMIN_PASSWORD").unwrap_or_else(|_| {
                eprintln!("Password for {email} (at least 10 characters), then Enter:");
                let mut line = String::new();
                let _ = std::io::stdin().read_line(&mut line);
                line.trim_end_matches(['\r', '\n']).to_string()
            });
            let db = Db::connect(&config.database_url)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            let input = NewUserInput {
                display_name: name,
                email,
                role: "admin".into(),
                password,
            };
            match store::users::create(&db, &input).await {
                Ok(u) => println!("Created admin {} (id {}).", u.email, u.id),
                Err(omniloyal::error::AppError::Validation { fields, .. }) => {
                    for f in fields {
                        eprintln!("{}: {}", f.field, f.message);
                    }
                    std::process::exit(2);
                }
                Err(e) => exit(&e.to_string()),
            }
        }
        Command::Demo {
            action:
                DemoCommand::Generate {
                    members,
                    months,
                    seed,
                },
        } => {
            // A generation that stops is generated again: no commit waits for the disk.
            let db = Db::connect_with(&config.database_url, Durability::Bulk)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            generate(&db, members, months, seed).await;
        }
        Command::Demo {
            action: DemoCommand::BenchSegments { counts },
        } => {
            let db = Db::connect(&config.database_url)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            match omniloyal::server::segments_bench::run(&db, counts).await {
                Ok(f) => {
                    println!(
                        "segments: {} members, {} live counts; first count (every member's facts read) {:.0} ms",
                        f.members, f.counts, f.load_ms
                    );
                    for (shape, first, median, p95, max, matched) in &f.by_shape {
                        println!(
                            "  live count, shape {shape}: first {first:.1} ms (its orders read), then median {median:.1} ms, \
                             p95 {p95:.1} ms, max {max:.1} ms (up to {matched} matching)"
                        );
                    }
                    println!(
                        "  save ten segments (each evaluated) {:.2} s; full refresh of the program {:.2} s; {} members in them",
                        f.save_s, f.refresh_s, f.in_segments
                    );
                }
                Err(e) => exit(&e.to_string()),
            }
        }
        Command::Demo {
            action:
                DemoCommand::BenchMessages {
                    members,
                    messages,
                    smtp,
                },
        } => {
            let db = Db::connect(&config.database_url)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            match omniloyal::server::messages_bench::run(&db, members, messages, smtp).await {
                Ok(f) => {
                    println!("messages: {} members ({:?})", f.members, db.backend);
                    for r in &f.runs {
                        println!(
                            "  {:<20} {:>7} written in {:>6.2} s ({:>7.0}/s), {:>7} sent in {:>6.2} s ({:>7.0}/s)",
                            r.what,
                            r.messages,
                            r.write_s,
                            r.messages as f64 / r.write_s.max(1e-9),
                            r.sent,
                            r.deliver_s,
                            r.sent as f64 / r.deliver_s.max(1e-9)
                        );
                    }
                    if let Some(mib) = f.peak_mib {
                        println!("  peak memory {mib:.0} MiB");
                    }
                }
                Err(e) => exit(&e.to_string()),
            }
        }
        Command::Demo {
            action: DemoCommand::BenchCampaigns { members },
        } => {
            let db = Db::connect(&config.database_url)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            match omniloyal::server::campaigns_bench::run(&db, members).await {
                Ok(f) => {
                    println!(
                        "campaigns: {} members ({:?}), enrolled in {:.1} s, segment saved in {:.2} s",
                        f.members, db.backend, f.enrol_s, f.segment_s
                    );
                    println!(
                        "  first pass: {:>8} members looked at, {:>8} messages written in {:>7.2} s ({:.0} members/s)",
                        f.looked_at,
                        f.messages,
                        f.first_s,
                        f.looked_at as f64 / f.first_s.max(1e-9)
                    );
                    println!("  next pass (nobody new): {:>7.3} s", f.next_s);
                    if let Some(mib) = f.peak_mib {
                        println!("  peak memory {mib:.0} MiB");
                    }
                }
                Err(e) => exit(&e.to_string()),
            }
        }
        Command::Demo {
            action: DemoCommand::BenchJourneys { members, active_pct },
        } => {
            let db = Db::connect(&config.database_url)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            match omniloyal::server::journeys_bench::run(&db, members, active_pct).await {
                Ok(f) => {
                    println!(
                        "journeys: {} members ({:?}), enrolled in {:.1} s",
                        f.members, db.backend, f.enrol_s
                    );
                    println!(
                        "  first day's evaluation: {:>8} lapsed members entered in {:>7.2} s",
                        f.lapsed, f.evaluate_s
                    );
                    println!(
                        "  their first step:       {:>8} steps (message rendered and written) in {:>7.2} s ({:.0}/s)",
                        f.steps,
                        f.steps_s,
                        f.steps as f64 / f.steps_s.max(1e-9)
                    );
                    println!("  next day's evaluation:  {:>7.2} s", f.next_day_s);
                    if let Some(mib) = f.peak_mib {
                        println!("  peak memory {mib:.0} MiB");
                    }
                }
                Err(e) => exit(&e.to_string()),
            }
        }
        Command::Demo {
            action: DemoCommand::BenchInsights { requests },
        } => {
            let db = Db::connect(&config.database_url)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            match omniloyal::server::insights_bench::run(&db, requests).await {
                Ok(f) => {
                    let ranges: Vec<String> =
                        f.by_range.iter().map(|(d, m)| format!("{d}d {m:.1}")).collect();
                    println!(
                        "insights: {} requests, median {:.1} ms, p95 {:.1} ms, max {:.1} ms; median by range: {}; \
                         CLV fit {:.1} s (again on this server {:.1} s); rebuild {} items in {:.1} s ({:.0}/s)",
                        f.requests,
                        f.median_ms,
                        f.p95_ms,
                        f.max_ms,
                        ranges.join(", "),
                        f.fit_s,
                        f.refit_s,
                        f.folded,
                        f.rebuild_s,
                        f.folded as f64 / f.rebuild_s.max(1e-9)
                    );
                    for (page, median, p95) in &f.pages {
                        println!("insights {page}: median {median:.1} ms, p95 {p95:.1} ms");
                    }
                }
                Err(e) => exit(&e.to_string()),
            }
        }
        Command::ImportHistory {
            program,
            input,
            channel,
            check,
        } => {
            // Re-running an import completes it, so its commits need not wait for the disk.
            let db = Db::connect_with(&config.database_url, Durability::Bulk)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            import_history(&db, program, &input, &channel, check).await;
        }
        Command::Rollups { action } => {
            let db = Db::connect(&config.database_url)
                .await
                .unwrap_or_else(|e| exit(&e.to_string()));
            rollups(&db, action).await;
        }
        Command::Clv(_) => unreachable!("run before the configuration is read"),
    }
}

/// `omniloyal demo generate`, with a progress bar by simulated day.
async fn generate(db: &Db, members: u32, months: u32, seed: u64) {
    use omniloyal::server::generator::{self, simulate::Behaviour, Plan};
    if !(1..=10_000_000).contains(&members) || !(1..=60).contains(&months) {
        exit("--members must be 1 to 10,000,000 and --months 1 to 60");
    }
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] day {pos}/{len} {msg} (about {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let plan = Plan {
        members,
        months,
        seed,
        behaviour: Behaviour::default(),
        stop: None,
    };
    let tick = |p: generator::Progress| {
        bar.set_length(p.days as u64);
        bar.set_position(p.day as u64);
        bar.set_message(format!("{} members, {} orders", p.members, p.orders));
    };
    match generator::generate(db, &plan, &tick).await {
        Ok(g) => {
            bar.finish_and_clear();
            if let Err(e) = db.make_durable().await {
                exit(&format!("the generated data is not on disk yet ({e})"));
            }
            let runs = if g.runs > 1 {
                format!(" over {} runs", g.runs)
            } else {
                String::new()
            };
            println!(
                "Generated program {} in {} s{runs}: {} members ({} referred), {} orders, {} returns, {} rewards redeemed, {} survey answers.",
                g.program_id, g.took.as_secs(), g.members, g.referred, g.orders, g.returns, g.redemptions, g.answers
            );
            let phases: Vec<String> = g
                .phases
                .seconds(g.took)
                .iter()
                .map(|(name, s)| format!("{name} {s:.1} s"))
                .collect();
            println!("Time spent: {}.", phases.join(", "));
        }
        Err(e) => {
            bar.abandon();
            exit(&e.to_string())
        }
    }
}

/// `omniloyal import-history`, with a progress bar by day of history.
async fn import_history(db: &Db, program: i64, input: &std::path::Path, channel: &str, check: bool) {
    use omniloyal::server::history::{self, Refused, Source};
    let channel = match channel {
        "store" => omniloyal::model::rules::Channel::Store,
        "web" => omniloyal::model::rules::Channel::Web,
        "app" => omniloyal::model::rules::Channel::App,
        other => exit(&format!("--channel {other:?}: expected store, web or app")),
    };
    let text = std::fs::read_to_string(input).unwrap_or_else(|e| exit(&format!("{}: {e}", input.display())));
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] day {pos}/{len} (about {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let tick = |done: u64, days: u64| {
        bar.set_length(days);
        bar.set_position(done);
    };
    let source = Source {
        program_id: omniloyal::model::ids::ProgramId(program),
        channel,
    };
    match history::import(db, &source, &text, check, &tick).await {
        Ok(done) => {
            bar.finish_and_clear();
            // Its commits did not wait for the disk: "imported" is said once they are on it.
            if let Err(e) = db.make_durable().await {
                exit(&format!("the import is not on disk yet ({e}): run it again"));
            }
            let span = match (done.first_day, done.last_day) {
                (Some(a), Some(b)) => format!("{a} to {b}"),
                _ => String::new(),
            };
            if check {
                println!(
                    "{}: {} customers ({} new members), {} orders, {span}. Nothing written (--check).",
                    input.display(),
                    done.customers,
                    done.new_members,
                    done.orders
                );
            } else {
                println!(
                    "Imported into program {program}: {} customers ({} new members), {} orders ({} booked now,                      the rest before), {span}, {} points earned.",
                    done.customers, done.new_members, done.orders, done.booked, done.points
                );
            }
        }
        Err(Refused::Lines(lines)) => {
            bar.abandon();
            for line in lines.iter().take(50) {
                eprintln!("{}: {line}", input.display());
            }
            if lines.len() > 50 {
                eprintln!("... and {} more", lines.len() - 50);
            }
            exit(&format!("{} problems; nothing was imported", lines.len()))
        }
        Err(Refused::App(e)) => {
            bar.abandon();
            exit(&e.to_string())
        }
    }
}

fn exit(message: &str) -> ! {
    eprintln!("omniloyal: {message}");
    std::process::exit(1)
}

async fn rollups(db: &Db, action: RollupsCommand) {
    use omniloyal::server::service::rollups;
    let started = std::time::Instant::now();
    match action {
        RollupsCommand::CatchUp => match rollups::catch_up(db).await {
            Ok(n) => println!(
                "Folded {n} queued items in {:.1} s.",
                started.elapsed().as_secs_f64()
            ),
            Err(e) => exit(&e.to_string()),
        },
        RollupsCommand::Rebuild => match rollups::rebuild(db).await {
            Ok(r) => {
                println!(
                    "Rebuilt from {} transactions and {} memberships in {:.1} s.",
                    r.transactions,
                    r.memberships,
                    started.elapsed().as_secs_f64()
                );
                println!("daily facts: {} rows, {} differed", r.facts, r.facts_differing);
                println!(
                    "member days: {} sets, {} differed",
                    r.day_sets, r.day_sets_differing
                );
                println!(
                    "member summaries: {} rows, {} differed",
                    r.summaries, r.summaries_differing
                );
                println!(
                    "reward days: {} rows, {} differed",
                    r.rewards, r.rewards_differing
                );
                println!(
                    "tier moves: {} rows, {} differed",
                    r.tier_moves, r.tier_moves_differing
                );
                println!(
                    "survey days: {} rows, {} differed",
                    r.survey_days, r.survey_days_differing
                );
                for e in &r.examples {
                    println!("  {e}");
                }
                if r.differs() {
                    std::process::exit(1);
                }
            }
            Err(e) => exit(&e.to_string()),
        },
    }
}
