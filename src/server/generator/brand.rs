//! The generated brand: a grocery-and-household chain with shops in three cities, a web
//! shop and an app, a points program with three tiers judged on the last twelve months,
//! points held for a 14-day return window and expiring after a year, earning rules for the
//! app, fresh food and big baskets, a referral pair, and rewards to spend points on. Set up
//! through the same services Manage uses.

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::program::{ProgramInput, TierInput};
use crate::model::reward::RewardInput;
use crate::model::rules::{Channel, EarningRule, RuleCaps, RuleConditions, RuleEffect};
use crate::model::store::StoreInput;
use crate::server::db::Db;
use crate::server::service::{rewards, rules, tiers};
use crate::server::store::{programs, stores};

use super::simulate::Product;

/// The shops (code, name, time zone); web and app orders go to WEB and APP.
pub const SHOPS: [(&str, &str, &str); 6] = [
    ("NW-LONDON-1", "Northwind Market Camden, London", "Europe/London"),
    ("NW-LONDON-2", "Northwind Market Clapham, London", "Europe/London"),
    ("NW-PARIS-1", "Northwind Market Bastille, Paris", "Europe/Paris"),
    ("NW-PARIS-2", "Northwind Market Montmartre, Paris", "Europe/Paris"),
    ("NW-DUBAI-1", "Northwind Market Marina, Dubai", "Asia/Dubai"),
    ("NW-RIYADH-1", "Northwind Market Olaya, Riyadh", "Asia/Riyadh"),
];

pub const CATALOGUE: [Product; 16] = [
    Product {
        sku: "NW-APPLES",
        category: "fresh",
    },
    Product {
        sku: "NW-BREAD",
        category: "fresh",
    },
    Product {
        sku: "NW-MILK",
        category: "fresh",
    },
    Product {
        sku: "NW-DATES",
        category: "fresh",
    },
    Product {
        sku: "NW-COFFEE",
        category: "pantry",
    },
    Product {
        sku: "NW-RICE",
        category: "pantry",
    },
    Product {
        sku: "NW-OLIVE-OIL",
        category: "pantry",
    },
    Product {
        sku: "NW-TEA",
        category: "pantry",
    },
    Product {
        sku: "NW-SOAP",
        category: "household",
    },
    Product {
        sku: "NW-DETERGENT",
        category: "household",
    },
    Product {
        sku: "NW-TOWELS",
        category: "household",
    },
    Product {
        sku: "NW-SHAMPOO",
        category: "beauty",
    },
    Product {
        sku: "NW-CREAM",
        category: "beauty",
    },
    Product {
        sku: "NW-PERFUME",
        category: "beauty",
    },
    Product {
        sku: "NW-KETTLE",
        category: "electronics",
    },
    Product {
        sku: "NW-HEADPHONES",
        category: "electronics",
    },
];

/// What the replay needs of the brand once it is set up.
pub struct Brand {
    pub program_id: ProgramId,
    /// Each shop's code and store id, in `SHOPS` order.
    pub shops: Vec<(String, i64)>,
    /// The web shop's and the app's store (code, id).
    pub web: (String, i64),
    pub app: (String, i64),
    /// Rewards members spend points on: (id, cost in points), cheapest first.
    pub rewards: Vec<(i64, i64)>,
}

impl Brand {
    /// The store (code, id) an order in `channel` names.
    pub fn store(&self, channel: Channel, shop: usize) -> &(String, i64) {
        match channel {
            Channel::Store => &self.shops[shop % self.shops.len()],
            Channel::Web => &self.web,
            Channel::App => &self.app,
        }
    }
}

/// The web shop's and the app's store codes.
const WEB: &str = "NW-WEB";
const APP: &str = "NW-APP";

/// The brand of a generation that goes on where an earlier run stopped, as `set_up` left it.
pub async fn load(db: &Db, program_id: ProgramId) -> Result<Brand, AppError> {
    let code = |code: &'static str| async move {
        let id: i64 = sqlx::query_scalar("SELECT id FROM stores WHERE code = $1")
            .bind(code)
            .fetch_one(&db.pool)
            .await?;
        Ok::<_, AppError>((code.to_string(), id))
    };
    let mut shops = Vec::new();
    for (c, _, _) in SHOPS {
        shops.push(code(c).await?);
    }
    let rewards: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, cost_points FROM rewards WHERE program_id = $1 ORDER BY cost_points, id")
            .bind(program_id)
            .fetch_all(&db.pool)
            .await?;
    Ok(Brand {
        program_id,
        shops,
        web: code(WEB).await?,
        app: code(APP).await?,
        rewards,
    })
}

/// Sets the brand up at the database's current time; its program's name is "Northwind
/// Market", numbered when that name is taken (a second generated brand in one database).
pub async fn set_up(db: &Db) -> Result<Brand, AppError> {
    let taken: Vec<String> = programs::list(db).await?.into_iter().map(|p| p.name).collect();
    let name = (1..)
        .map(|n| {
            if n == 1 {
                "Northwind Market".to_string()
            } else {
                format!("Northwind Market {n}")
            }
        })
        .find(|n| !taken.contains(n))
        .unwrap_or_default();
    let program = programs::save(
        db,
        &ProgramInput {
            id: None,
            name,
            currency_name: "Points".into(),
            currency_code: "EUR".into(),
            point_value_minor: "1".into(),
            points_per_unit: "1".into(),
            expiry_mode: "fixed".into(),
            expiry_months: "12".into(),
            pending_days: "14".into(),
            tier_window: "rolling_12m".into(),
            tier_basis: "points".into(),
            tier_review: "monthly".into(),
            allow_negative: None,
            active: Some("yes".into()),
            adjust_limit: "2000".into(),
        },
    )
    .await?;
    for (name, threshold, multiplier) in [
        ("Member", "0", "1"),
        ("Silver", "800", "1.25"),
        ("Gold", "2500", "1.5"),
    ] {
        tiers::save_tier(
            db,
            &TierInput {
                id: None,
                program_id: program.id,
                name: name.into(),
                threshold_points: threshold.into(),
                multiplier: multiplier.into(),
            },
        )
        .await?;
    }
    let rule = |name: &str, priority: i64, effect: RuleEffect, conditions: RuleConditions, caps: RuleCaps| {
        EarningRule::stacking(program.id, name, priority, effect, conditions, caps)
    };
    let event = |kind: &str| RuleConditions {
        event_types: vec![kind.into()],
        ..RuleConditions::default()
    };
    for r in [
        rule(
            "App orders earn double",
            20,
            RuleEffect::Multiplier { pct: 200 },
            RuleConditions {
                channels: vec![Channel::App],
                ..RuleConditions::default()
            },
            RuleCaps {
                per_member_day: Some(200),
                ..RuleCaps::default()
            },
        ),
        rule(
            "Fresh food bonus",
            10,
            RuleEffect::PerItem { points: 2 },
            RuleConditions {
                include_categories: vec!["fresh".into()],
                ..RuleConditions::default()
            },
            RuleCaps {
                per_member_day: Some(40),
                ..RuleCaps::default()
            },
        ),
        rule(
            "Big basket",
            5,
            RuleEffect::FixedPoints { points: 25 },
            RuleConditions {
                min_order_minor: Some(10_000),
                ..RuleConditions::default()
            },
            RuleCaps::default(),
        ),
        rule(
            "Refer a friend",
            10,
            RuleEffect::FixedPoints { points: 150 },
            event("referral"),
            RuleCaps {
                per_member_month: Some(750),
                ..RuleCaps::default()
            },
        ),
        rule(
            "Welcome from a friend",
            10,
            RuleEffect::FixedPoints { points: 75 },
            event("referred"),
            RuleCaps::default(),
        ),
        rule(
            "Thanks for your answer",
            10,
            RuleEffect::FixedPoints { points: 20 },
            event("survey"),
            RuleCaps::default(),
        ),
    ] {
        rules::save(db, &r).await?;
    }
    // The NPS question, asked once a quarter after a purchase.
    crate::server::service::surveys::open(
        db,
        &crate::model::survey::SurveyInput {
            program_id: program.id.to_string(),
            question: String::new(),
            frequency: "quarter".into(),
        },
    )
    .await?;
    let mut shops = Vec::new();
    for (code, name, zone) in SHOPS {
        shops.push(store(db, code, name, "store", zone).await?);
    }
    let web = store(db, WEB, "Northwind Market online", "web", "Europe/London").await?;
    let app = store(db, APP, "Northwind Market app", "app", "Europe/London").await?;
    let mut spend = Vec::new();
    for (name, kind, cost, value, sku) in [
        ("Free coffee", "free_product", "150", "", "NW-COFFEE"),
        ("5 EUR off", "discount_fixed", "500", "5.00", ""),
        ("15 EUR off", "discount_fixed", "1400", "15.00", ""),
    ] {
        let reward = rewards::save(
            db,
            &RewardInput {
                program_id: program.id,
                name: name.into(),
                kind: kind.into(),
                cost_points: cost.into(),
                value: value.into(),
                sku: sku.into(),
                ..RewardInput::default()
            },
        )
        .await?;
        spend.push((reward.id, reward.cost_points));
    }
    spend.sort_by_key(|r| r.1);
    Ok(Brand {
        program_id: program.id,
        shops,
        web,
        app,
        rewards: spend,
    })
}

/// A store by its code: saved (or renamed to this) and its (code, id).
async fn store(
    db: &Db,
    code: &str,
    name: &str,
    channel: &str,
    zone: &str,
) -> Result<(String, i64), AppError> {
    let s = stores::save(
        db,
        &StoreInput {
            code: code.into(),
            name: name.into(),
            channel: channel.into(),
            time_zone: zone.into(),
        },
    )
    .await?;
    Ok((s.code, s.id))
}
