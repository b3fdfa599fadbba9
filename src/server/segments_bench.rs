//! How fast segments answer on a database of generated data (`omniloyal demo
//! bench-segments`): the builder's live count of five-condition segments (three shapes, in
//! turn: purchase and profile facts; RFM, channels and predictions in OR groups; stores,
//! products and windows of orders); saving ten segments (each evaluated as it is saved, its
//! members entering), and a full refresh of all of them with new RFM cuts. A benchmark, not a
//! test: it prints figures and checks nothing.

use std::time::Instant;

use chrono::Months;

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::rules::Channel;
use crate::model::segment::{Condition, Definition, Join, RfmDimension};
use crate::server::db::Db;
use crate::server::service::{rollups, segments};

/// What a run measured.
#[derive(Debug)]
pub struct Figures {
    pub members: i64,
    pub counts: usize,
    /// Live count by shape (a, b, c): the first count of the shape in ms (its orders read;
    /// the members' facts are read by an unmeasured count before), then median, p95 and max of
    /// the others (what was read kept, `segments::KEEP_SECS`), and the most members matched.
    pub by_shape: Vec<(char, f64, f64, f64, f64, i64)>,
    /// The unmeasured first count: every member's facts read.
    pub load_ms: f64,
    /// Seconds to save the ten segments (each evaluated), and to refresh them all.
    pub save_s: f64,
    pub refresh_s: f64,
    /// Members in the ten segments after the refresh.
    pub in_segments: i64,
}

/// The three shapes, each with five conditions; `k` varies the thresholds.
fn shape(
    which: char,
    k: i64,
    tiers: &[i64],
    stores: &[i64],
    categories: &[String],
    today: chrono::NaiveDate,
) -> Definition {
    let all = |conditions: Vec<Condition>| Definition {
        join: Join::All,
        within: Join::All,
        groups: vec![conditions],
    };
    match which {
        'a' => all(vec![
            Condition::Spend {
                days: 90,
                min: Some(2_000 + 500 * k),
                max: None,
            },
            Condition::Orders {
                days: 0,
                min: Some(2),
                max: None,
            },
            Condition::Inactive {
                min: None,
                max: Some(60 + k),
            },
            Condition::Balance {
                min: Some(50 * k),
                max: None,
            },
            Condition::BirthdayMonth {
                months: (1..=6).collect(),
            },
        ]),
        'b' => Definition {
            join: Join::All,
            within: Join::Any,
            groups: vec![
                vec![
                    Condition::Rfm {
                        dimension: RfmDimension::Recency,
                        min: 4,
                        max: 5,
                    },
                    Condition::Rfm {
                        dimension: RfmDimension::Monetary,
                        min: 4,
                        max: 5,
                    },
                ],
                vec![Condition::Channels {
                    channels: vec![Channel::Web, Channel::App],
                }],
                vec![Condition::Tier {
                    tier_ids: tiers.iter().copied().skip(k as usize % 2).collect(),
                }],
                vec![Condition::PAlive {
                    min: Some(40 + k as u8),
                    max: None,
                }],
            ],
        },
        _ => all(vec![
            Condition::Stores {
                days: 90,
                store_ids: stores.iter().copied().take(2).collect(),
            },
            Condition::Products {
                days: 365,
                skus: Vec::new(),
                categories: categories.to_vec(),
            },
            Condition::Spend {
                days: 365,
                min: Some(1_000 * k),
                max: None,
            },
            Condition::Orders {
                days: 365,
                min: Some(2),
                max: None,
            },
            Condition::Enrolled {
                from: today.checked_sub_months(Months::new(24)),
                to: None,
            },
        ]),
    }
}

pub async fn run(db: &Db, n: usize) -> Result<Figures, AppError> {
    rollups::catch_up(db).await?;
    let program: Option<i64> = sqlx::query_scalar(
        "SELECT program_id FROM memberships GROUP BY program_id ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    let program = ProgramId(program.unwrap_or(0));
    let tiers: Vec<i64> = sqlx::query_scalar("SELECT id FROM tiers WHERE program_id = $1 ORDER BY id")
        .bind(program.0)
        .fetch_all(&db.pool)
        .await?;
    let stores: Vec<i64> = sqlx::query_scalar("SELECT id FROM stores ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    let categories: Vec<String> = sqlx::query_scalar(
        "SELECT category FROM order_lines WHERE category IS NOT NULL GROUP BY category ORDER BY category LIMIT 2",
    )
    .fetch_all(&db.pool)
    .await?;
    let today = db.now().date();
    let shapes = ['a', 'b', 'c'];
    let mut times: Vec<Vec<(f64, i64)>> = vec![Vec::new(); 3];
    let mut members = 0;
    // One count first, of no condition's orders: it reads every member's facts.
    let started = Instant::now();
    segments::count(
        db,
        program,
        &Definition {
            join: Join::All,
            within: Join::All,
            groups: vec![vec![Condition::Balance {
                min: Some(0),
                max: None,
            }]],
        },
    )
    .await?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    for i in 0..n {
        let (s, k) = (i % 3, (i / 3) as i64 % 5);
        let d = shape(shapes[s], k, &tiers, &stores, &categories, today);
        let started = Instant::now();
        let p = segments::count(db, program, &d).await?;
        times[s].push((started.elapsed().as_secs_f64() * 1000.0, p.matching));
        members = p.members;
    }
    let by_shape = shapes
        .iter()
        .zip(times)
        .map(|(c, mut t)| {
            let first = t.first().map_or(f64::NAN, |x| x.0);
            let matched = t.iter().map(|x| x.1).max().unwrap_or(0);
            if !t.is_empty() {
                t.remove(0);
            }
            t.sort_by(|a, b| a.0.total_cmp(&b.0));
            let q = |q: f64| {
                t.get(((t.len().max(1) - 1) as f64 * q).round() as usize)
                    .map_or(f64::NAN, |x| x.0)
            };
            (*c, first, q(0.5), q(0.95), q(1.0), matched)
        })
        .collect();
    // Ten segments, saved once (a second run updates them), then refreshed.
    let existing = segments::list(db, program).await?;
    let started = Instant::now();
    for i in 0..10i64 {
        let d = shape(shapes[i as usize % 3], i % 5, &tiers, &stores, &categories, today);
        let name = format!("Bench segment {i}");
        let id = existing.iter().find(|s| s.name == name).map(|s| s.id);
        segments::save_definition(db, program, id, &name, &d).await?;
    }
    let save_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (_, in_segments) = segments::refresh_program(db, program).await?;
    let refresh_s = started.elapsed().as_secs_f64();
    Ok(Figures {
        members,
        counts: n,
        by_shape,
        load_ms,
        save_s,
        refresh_s,
        in_segments,
    })
}
