//! The fixtures the integration tests share: a program with a member and staff (`world`),
//! orders, balances and the reconciliation every story ends with, rules and rewards, API keys
//! and requests, printed cards.

use omniloyal::model::api_key::ApiKeyInput;
use omniloyal::model::card::{BatchInput, StampCardInput};
use omniloyal::model::ids::{MemberId, MembershipId, ProgramId, UserId};
use omniloyal::model::order::OrderInput;
use omniloyal::model::program::{Program, ProgramInput, TierInput};
use omniloyal::model::reward::RewardInput;
use omniloyal::model::rules::{Channel, EarningRule, RuleCaps, RuleConditions, RuleEffect};
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::service::{api_keys, cards, ledger, members, rewards, stamps};
use omniloyal::server::store::programs;
use reqwest::StatusCode;
use serde_json::Value;

use super::{make_user, TestApp};
use omniloyal::server::query::member_view;

pub struct World {
    pub program: Program,
    pub member_id: MemberId,
    pub staff_id: UserId,
}

pub async fn world(db: &Db, tweak: impl FnOnce(&mut ProgramInput)) -> World {
    let mut input = program_input(&format!("P{}", rand::random::<u32>()));
    tweak(&mut input);
    let program = programs::save(db, &input).await.expect("program");
    let staff = make_user(db, Role::Staff, &format!("s{}@x.io", rand::random::<u32>())).await;
    let user = make_user(db, Role::Member, &format!("m{}@x.io", rand::random::<u32>())).await;
    let member = members::for_user(db, user.id).await.unwrap();
    members::join(db, member.id, program.id).await.unwrap();
    World {
        program,
        member_id: member.id,
        staff_id: staff.id,
    }
}

pub fn order(id: &str, amount_minor: i64) -> OrderInput {
    OrderInput {
        channel: Channel::Web,
        channel_order_id: id.into(),
        amount_minor,
        lines: Vec::new(),
        store: None,
        receipt: None,
        occurred_at: None,
    }
}

pub async fn membership(db: &Db, w: &World) -> MembershipId {
    members::membership_id(db, w.member_id, w.program.id)
        .await
        .unwrap()
}

pub async fn balance(db: &Db, w: &World) -> (i64, i64) {
    let m = member_view::memberships(db, w.member_id).await.unwrap();
    let m = m.iter().find(|m| m.program_id == w.program.id).unwrap();
    (m.balance, m.pending)
}

/// The double-entry books balance and the lots match the wallets.
pub async fn assert_reconciles(db: &Db, program_id: ProgramId) {
    let r = ledger::reconcile(db, program_id).await.unwrap();
    assert_eq!(r.postings_sum, 0, "every transaction balances: {r:?}");
    assert_eq!(
        r.wallets + r.pending + r.program_side,
        0,
        "member balances = -program accounts: {r:?}"
    );
    assert_eq!(
        r.open_lots, r.positive_wallets,
        "open lots = positive wallets: {r:?}"
    );
}

pub fn rule(program_id: ProgramId, name: &str, priority: i64, effect: RuleEffect) -> EarningRule {
    EarningRule::stacking(
        program_id,
        name,
        priority,
        effect,
        RuleConditions::default(),
        RuleCaps::default(),
    )
}

pub fn reward_input(program_id: ProgramId, name: &str, cost: &str) -> RewardInput {
    RewardInput {
        program_id,
        name: name.into(),
        kind: "free_product".into(),
        sku: "COFFEE".into(),
        cost_points: cost.into(),
        ..RewardInput::default()
    }
}

pub async fn key(db: &Db, scopes: &[&str], rate: &str) -> String {
    key_for(db, "store", scopes, rate).await
}

pub async fn key_for(db: &Db, channel: &str, scopes: &[&str], rate: &str) -> String {
    let admin = make_user(db, Role::Admin, &format!("a{}@x.io", rand::random::<u32>())).await;
    api_keys::create(
        db,
        admin.id,
        &ApiKeyInput {
            name: "Till 1".into(),
            channel: channel.into(),
            program_id: String::new(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            rate_per_sec: rate.into(),
        },
    )
    .await
    .unwrap()
    .secret
}

pub const ALL: &[&str] = &[
    "members:read",
    "members:write",
    "members:enrol",
    "orders:write",
    "events:write",
    "rewards:write",
    "points:adjust",
];

pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    idem: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = reqwest::Client::new().request(method, format!("{}/api/v1{path}", app.base));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(i) = idem {
        req = req.header("Idempotency-Key", i);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    )
}

pub async fn email(db: &Db, w: &World) -> String {
    members::get(db, w.member_id).await.unwrap().email.unwrap()
}

pub async fn batch(db: &Db, w: &World, size: &str) -> Vec<(String, String)> {
    let b = cards::create_batch(
        db,
        &BatchInput {
            program_id: w.program.id,
            label: "Spring print run".into(),
            size: size.into(),
        },
        Some(w.staff_id),
    )
    .await
    .expect("batch");
    cards::print(db, b.id)
        .await
        .unwrap()
        .cards
        .into_iter()
        .map(|c| (c.number, c.security_code))
        .collect()
}

pub async fn coffee_card(db: &Db, w: &World, required: &str) -> i64 {
    let reward = rewards::save(db, &reward_input(w.program.id, "Stamp coffee", "1000"))
        .await
        .unwrap();
    stamps::save(
        db,
        &StampCardInput {
            program_id: w.program.id,
            name: "Coffee card".into(),
            stamps_required: required.into(),
            reward_id: reward.id.to_string(),
            ..Default::default()
        },
    )
    .await
    .expect("stamp card")
    .id
}

pub async fn wallet(db: &Db, member_id: MemberId, program_id: ProgramId) -> (i64, i64) {
    member_view::memberships(db, member_id)
        .await
        .unwrap()
        .iter()
        .find(|m| m.program_id == program_id)
        .map(|m| (m.balance, m.pending))
        .unwrap_or((0, 0))
}

pub fn program_input(name: &str) -> ProgramInput {
    ProgramInput {
        id: None,
        name: name.into(),
        currency_name: "Stars".into(),
        currency_code: "EUR".into(),
        point_value_minor: "1".into(),
        points_per_unit: "10".into(),
        ..ProgramInput::default()
    }
}

pub fn tier_input(program_id: ProgramId, name: &str, threshold: &str, multiplier: &str) -> TierInput {
    TierInput {
        id: None,
        program_id,
        name: name.into(),
        threshold_points: threshold.into(),
        multiplier: multiplier.into(),
    }
}

/// A key bound to one program.
pub async fn program_key(db: &Db, channel: &str, program_id: ProgramId) -> String {
    let admin = make_user(db, Role::Admin, &format!("a{}@x.io", rand::random::<u32>())).await;
    api_keys::create(
        db,
        admin.id,
        &ApiKeyInput {
            name: "Program till".into(),
            channel: channel.into(),
            program_id: program_id.to_string(),
            scopes: ALL.iter().map(|s| s.to_string()).collect(),
            rate_per_sec: "1000".into(),
        },
    )
    .await
    .unwrap()
    .secret
}
