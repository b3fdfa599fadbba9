//! The channel API's endpoints. Each is thin: authenticate (the `Caller` extractor), check
//! scope and program (`Caller::in_program`), parse, call the repository, answer. Writes take
//! a `write::Write`, which runs them once per Idempotency-Key.

use crate::model::ids::{MemberId, ProgramId};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::identifier::IdKind;
use crate::error::AppError;
use crate::model::member::MemberKind;
use crate::model::order::{ActionInput, EarnReceipt, OrderInput, ReturnInput, ReturnReceipt};
use crate::model::rules::{Award, Channel, EarnEvent, OrderLine};
use crate::model::time::Timestamp;
use crate::server::auth::ratelimit::Limit;
use crate::server::query::{member_view, stamp_view};
use crate::server::service::identity::{Lookup, Named};
use crate::server::service::{adjustments, identity, members, orders};
use crate::server::state::AppState;
use crate::server::store::idempotency::Keyed;

use super::auth::Caller;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::idempotency::created_unless;
use super::write::Write;

/// A purchase as a channel sends it. The channel is the API key's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// Email, phone, card number or external id of the member.
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub member: String,
    /// The channel's own order number (1 to 64 visible ASCII characters); the same order
    /// is booked once.
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub channel_order_id: String,
    /// Order total in minor units (cents), up to 1,000,000.00.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub amount_minor: i64,
    /// What was bought (up to 500 lines); when given, the lines add up to `amount_minor`.
    /// They are kept with the order.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub lines: Vec<OrderLine>,
    /// The code of a store set up in Manage (any case: "paris-1" is PARIS-1); an unknown
    /// code is refused.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub store: Option<String>,
    /// When the purchase happened, seconds since the epoch (UTC); default now. At most 90
    /// days back and 5 minutes ahead.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub occurred_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub channel_order_id: String,
    /// The channel the order was placed in (store, web or app), for an order returned in
    /// another one: bought online, brought back to a store. Default: the key's channel.
    #[serde(default)]
    pub order_channel: Option<Channel>,
    /// The channel's id for this return; the same return is booked once.
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub return_id: String,
    /// Refunded amount in minor units, up to the order's amount not yet returned.
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub member: String,
    /// signup, profile_completed, review, survey, social_share, checkin, or a custom type a
    /// rule of the program names (others are refused). Referral and birthday points are
    /// booked by Omniloyal; purchases are orders.
    #[schema(pattern = r"^[a-z0-9_]{1,40}$")]
    pub event_type: String,
    /// The channel's id for this action; an action of one type with the same id from the
    /// same channel is booked once per member.
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub event_id: String,
    /// The code of a store set up in Manage; an unknown code is refused.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub store: Option<String>,
    /// Seconds since the epoch (UTC); default now. At most 90 days back and 5 minutes ahead.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub occurred_at: Option<Timestamp>,
    /// A `survey` event's answer to the program's open survey: how likely the member is to
    /// recommend the program, 0-10. One answer per member per survey period; a second is
    /// refused with 409.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10)]
    pub score: Option<i64>,
    /// The member's comment on their score (with a score only), up to 1,000 characters.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
}

/// What to evaluate without booking: an order (event_type "purchase") or an action.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    #[serde(default)]
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub member: Option<String>,
    #[serde(default = "purchase")]
    #[schema(pattern = r"^[a-z0-9_]{1,40}$")]
    pub event_type: String,
    /// In minor units, up to 1,000,000.00; when `lines` are given, their total.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub amount_minor: i64,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub lines: Vec<OrderLine>,
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub store: Option<String>,
    /// Seconds since the epoch (UTC); default now. At most 90 days back and 5 minutes ahead.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub occurred_at: Option<Timestamp>,
}

fn purchase() -> String {
    "purchase".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub member: String,
    /// Positive to give, negative to take; not zero, at most 10,000,000 either way (and
    /// within the program's limit per adjustment for channel keys).
    #[schema(minimum = -10_000_000, maximum = 10_000_000)]
    pub points: i64,
    /// Why: kept with the entry for the audit trail. 3 to 200 characters.
    #[schema(min_length = 3, max_length = 200, pattern = r"^\s*\S.*\S.*\S")]
    pub reason: String,
}

/// A member's standing in one program.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BalanceResponse {
    pub member_id: MemberId,
    pub program_id: ProgramId,
    pub currency_name: String,
    pub balance: i64,
    pub pending: i64,
    pub lifetime_points: i64,
    /// What the balance is worth, in minor units of `currency_code`.
    pub value_minor: i64,
    pub currency_code: String,
    pub tier: Option<String>,
    pub next_tier: Option<String>,
    /// "points" (tiers by points earned) or "spend" (by whole currency units spent).
    pub tier_basis: String,
    /// What counts towards the tiers in the program's window (lifetime, calendar year or
    /// rolling 12 months), in the unit of `tier_basis`.
    pub qualifying: i64,
    /// What is still needed for the next tier, in the unit of `tier_basis`.
    pub points_to_next_tier: Option<i64>,
    /// Stamps on each active stamp card of the program.
    pub stamps: Vec<crate::model::card::StampBalance>,
}

/// A member found by an identifier, with every program they belong to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberResponse {
    /// Which kind of identifier named the member: this channel's own customer id
    /// ("external"), "email", "card" or "phone". Kinds are tried in that order; prefix the
    /// identifier with `kind:` (`phone:554035386`) to name one kind only.
    pub matched_by: IdKind,
    pub member_id: MemberId,
    pub name: String,
    pub card_number: String,
    /// False for a printed card nobody has registered yet (its points wait on the card).
    pub registered: bool,
    pub programs: Vec<BalanceResponse>,
}

pub(super) async fn standing(
    state: &AppState,
    member_id: MemberId,
) -> Result<Vec<BalanceResponse>, ApiError> {
    let views = member_view::memberships(&state.db, member_id).await?;
    let stamps = stamp_view::balances(&state.db, member_id).await?;
    let mut out = Vec::with_capacity(views.len());
    for v in views {
        out.push(BalanceResponse {
            stamps: stamps
                .iter()
                .filter(|s| s.program_id == v.program_id)
                .cloned()
                .collect(),
            member_id,
            program_id: v.program_id,
            currency_name: v.currency_name,
            balance: v.balance,
            pending: v.pending,
            lifetime_points: v.lifetime_points,
            value_minor: v.balance.max(0).saturating_mul(v.point_value_minor),
            currency_code: v.currency_code,
            tier: v.tier.map(|t| t.name),
            points_to_next_tier: v
                .next_tier
                .as_ref()
                .map(|t| (t.threshold_points - v.qualifying).max(0)),
            next_tier: v.next_tier.map(|t| t.name),
            tier_basis: v.tier_basis,
            qualifying: v.qualifying,
        });
    }
    Ok(out)
}

/// Look up a member by any identifier. A read: a printed card nobody has used yet is
/// answered 404 `card_not_used` (its first order or action makes its account).
#[utoipa::path(get, path = "/members/{identifier}", tag = "members",
    params(("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$")),
    responses((status = 200, body = MemberResponse), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn lookup_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(identifier): Path<String>,
) -> Result<Json<MemberResponse>, ApiError> {
    caller.require("members:read")?;
    let (member, matched) =
        match identity::name(&state.db, &identifier, caller.key.channel, Lookup::Read).await? {
            Named::Member(m, kind) => (m, kind),
            Named::UnusedCard { program_id } if caller.key.program_id.is_none_or(|p| p == program_id) => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "card_not_used",
                    "This printed card has not been used yet: its first order or action opens its account.",
                ))
            }
            Named::UnusedCard { .. } | Named::Nobody => return Err(AppError::not_found("Member").into()),
        };
    in_scope(&state, &caller, &member).await?;
    member_response(&state, &caller, member, matched).await
}

/// How identifiers are read, for the OpenAPI document.
pub(super) const IDENTIFIER: &str = "This channel's customer id, email, card number or phone, tried in that \
    order; prefix with `external:`, `email:`, `card:` or `phone:` to name one kind only";

/// A key bound to one program only sees (and changes) that program's members.
pub(super) async fn in_scope(
    state: &AppState,
    caller: &Caller,
    member: &crate::model::member::Member,
) -> Result<(), ApiError> {
    if let Some(program_id) = caller.key.program_id {
        members::membership_id(&state.db, member.id, program_id)
            .await
            .map_err(|_| crate::error::AppError::not_found("Member"))?;
    }
    Ok(())
}

/// The member with the programs this key may see.
async fn member_response(
    state: &AppState,
    caller: &Caller,
    member: crate::model::member::Member,
    matched_by: IdKind,
) -> Result<Json<MemberResponse>, ApiError> {
    let mut programs = standing(state, member.id).await?;
    if let Some(p) = caller.key.program_id {
        programs.retain(|b| b.program_id == p);
    }
    Ok(Json(MemberResponse {
        matched_by,
        member_id: member.id,
        name: member.name,
        card_number: member.card_number,
        registered: member.kind == MemberKind::Registered,
        programs,
    }))
}

/// Balance and tier of a member in a program.
#[utoipa::path(get, path = "/programs/{program_id}/members/{identifier}/balance", tag = "members",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$")),
    responses((status = 200, body = BalanceResponse), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn balance(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier)): Path<(ProgramId, String)>,
) -> Result<Json<BalanceResponse>, ApiError> {
    caller.in_program("members:read", program_id)?;
    let (member, _) = identity::identify(&state.db, &identifier, caller.key.channel, Lookup::Read).await?;
    standing(&state, member.id)
        .await?
        .into_iter()
        .find(|b| b.program_id == program_id)
        .map(Json)
        .ok_or_else(|| crate::error::AppError::not_found("Membership").into())
}

/// Record a purchase; the points it earns are in the answer, with the explanation.
#[utoipa::path(post, path = "/programs/{program_id}/orders", tag = "orders",
    params(("program_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = OrderRequest,
    responses((status = 201, body = EarnReceipt), (status = 200, description = "Already recorded", body = EarnReceipt),
        (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn record_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(program_id): Path<ProgramId>,
    write: Write<OrderRequest>,
) -> Response {
    let (state, caller) = (&state, &caller);
    write
        .keyed(&state.db, caller, |r, slot| async move {
            caller.in_program("orders:write", program_id)?;
            let member = identity::resolve(&state.db, &r.member, caller.key.channel, program_id).await?;
            let input = OrderInput {
                channel: caller.key.channel,
                channel_order_id: r.channel_order_id.clone(),
                amount_minor: r.amount_minor,
                lines: r.lines.clone(),
                store: r.store.clone(),
                receipt: None,
                occurred_at: r.occurred_at,
            };
            let booked = orders::record_order_keyed(
                &state.db,
                program_id,
                member.id,
                &input,
                None,
                slot.as_ref(),
                Some(caller.epoch),
            )
            .await?;
            Ok(match booked {
                Keyed::Done(receipt) => Keyed::Done((created_unless(receipt.replayed), receipt)),
                Keyed::Taken => Keyed::Taken,
            })
        })
        .await
}

/// Record a return of part or all of an order; points are taken back proportionally.
#[utoipa::path(post, path = "/programs/{program_id}/returns", tag = "orders",
    params(("program_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = ReturnRequest,
    responses((status = 201, body = ReturnReceipt), (status = 200, description = "Already recorded", body = ReturnReceipt),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn record_return(
    State(state): State<AppState>,
    caller: Caller,
    Path(program_id): Path<ProgramId>,
    write: Write<ReturnRequest>,
) -> Response {
    let (state, caller) = (&state, &caller);
    write
        .once(&state.db, caller, |r, _| async move {
            caller.in_program("orders:write", program_id)?;
            let input = ReturnInput {
                channel: r.order_channel.unwrap_or(caller.key.channel),
                returned_in: Some(caller.key.channel),
                channel_order_id: r.channel_order_id,
                return_id: r.return_id,
                amount_minor: r.amount_minor,
            };
            let receipt = orders::record_return(&state.db, program_id, &input, None).await?;
            Ok((created_unless(receipt.replayed), receipt))
        })
        .await
}

/// Record an action (review, survey, check-in, referral, custom...).
#[utoipa::path(post, path = "/programs/{program_id}/events", tag = "events",
    params(("program_id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = ActionRequest,
    responses((status = 201, body = EarnReceipt), (status = 200, description = "Already recorded", body = EarnReceipt),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn record_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(program_id): Path<ProgramId>,
    write: Write<ActionRequest>,
) -> Response {
    let (state, caller) = (&state, &caller);
    write
        .once(&state.db, caller, |r, _| async move {
            caller.in_program("events:write", program_id)?;
            // Referral rewards are booked by the referral itself (on the friend's first purchase),
            // birthdays by the daily job: a channel's backdated birthday would take the year's.
            if matches!(r.event_type.as_str(), "referral" | "referred" | "birthday") {
                return Err(crate::error::AppError::field(
                    "event_type",
                    "Referral and birthday points are booked by Omniloyal itself.",
                )
                .into());
            }
            if r.score.is_some() || r.comment.is_some() {
                return answer_survey(state, caller, program_id, r).await;
            }
            let member = identity::resolve(&state.db, &r.member, caller.key.channel, program_id).await?;
            let input = ActionInput {
                event_type: r.event_type,
                channel: caller.key.channel,
                event_id: r.event_id,
                store: r.store,
                occurred_at: r.occurred_at,
            };
            let receipt = orders::record_action(&state.db, program_id, member.id, &input, None).await?;
            Ok((created_unless(receipt.replayed), receipt))
        })
        .await
}

/// A `survey` event with its answer: checked before the member is looked up, so a refused
/// answer enrols nobody.
async fn answer_survey(
    state: &AppState,
    caller: &Caller,
    program_id: ProgramId,
    r: ActionRequest,
) -> Result<(StatusCode, EarnReceipt), ApiError> {
    use crate::domain::lang::current;
    use crate::i18n::td_string;
    use crate::server::service::surveys;
    let l = current().locale;
    if r.event_type != "survey" {
        return Err(
            crate::error::AppError::field("score", td_string!(l, errors.surveys.score_needs_survey)).into(),
        );
    }
    let Some(score) = r.score else {
        return Err(crate::error::AppError::field(
            "score",
            td_string!(l, errors.surveys.comment_needs_score),
        )
        .into());
    };
    // Checked here as well as in the service, so a bad score is refused before anyone is enrolled.
    let score = score.to_string();
    let comment = r.comment.unwrap_or_default();
    crate::domain::surveys::score(&score).map_err(|m| crate::error::AppError::field("score", m))?;
    crate::domain::surveys::comment(&comment).map_err(|m| crate::error::AppError::field("comment", m))?;
    let member = identity::resolve(&state.db, &r.member, caller.key.channel, program_id).await?;
    let input = surveys::AnswerInput {
        channel: caller.key.channel,
        event_id: r.event_id,
        store: r.store,
        occurred_at: r.occurred_at,
        score: &score,
        comment: &comment,
        only: None,
    };
    let receipt = surveys::answer(&state.db, program_id, member.id, input).await?;
    Ok((created_unless(receipt.replayed), receipt))
}

/// Evaluate an order or action against the rules without writing anything (dry run).
#[utoipa::path(post, path = "/programs/{program_id}/evaluate", tag = "orders",
    params(("program_id" = i64, Path)),
    request_body = EvaluateRequest,
    responses((status = 200, body = Award), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn evaluate(
    State(state): State<AppState>,
    caller: Caller,
    Path(program_id): Path<ProgramId>,
    body: ApiJson<EvaluateRequest>,
) -> Result<Json<Award>, ApiError> {
    caller.in_program("members:read", program_id)?;
    let r = body.value;
    let member_id = match &r.member {
        Some(m) => Some(
            identity::identify(&state.db, m, caller.key.channel, Lookup::Read)
                .await?
                .0
                .id,
        ),
        None => None,
    };
    let now = state.db.now();
    // The same checks a booking would make, so a dry run refuses what a booking would.
    crate::domain::forms::order::validate_order(
        &OrderInput {
            channel: caller.key.channel,
            channel_order_id: "dry-run".into(),
            amount_minor: r.amount_minor,
            lines: r.lines.clone(),
            store: r.store.clone(),
            receipt: None,
            occurred_at: r.occurred_at,
        },
        now,
    )?;
    // And the store a booking would name: an unknown code is refused here as there.
    let store = match &r.store {
        Some(code) => Some(
            crate::server::store::stores::resolve(
                &mut *state.db.pool.acquire().await.map_err(AppError::from)?,
                "store",
                code,
            )
            .await?
            .1,
        ),
        None => None,
    };
    let event = EarnEvent {
        event_type: r.event_type,
        channel: caller.key.channel,
        store,
        amount_minor: r.amount_minor,
        lines: r.lines,
        occurred_at: r.occurred_at.unwrap_or(now),
        utc_offset_secs: 0,
    };
    Ok(Json(
        orders::dry_run(&state.db, program_id, member_id, &event).await?,
    ))
}

/// Give or take points by hand, with a reason. Requires an Idempotency-Key.
#[utoipa::path(post, path = "/programs/{program_id}/adjustments", tag = "points",
    params(("program_id" = i64, Path), ("Idempotency-Key" = String, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = AdjustmentRequest,
    responses((status = 201, body = BalanceResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn adjust(
    State(state): State<AppState>,
    caller: Caller,
    Path(program_id): Path<ProgramId>,
    write: Write<AdjustmentRequest>,
) -> Response {
    let write = match write
        .needs_key("Adjustments need an Idempotency-Key header, so a retry cannot give points twice.")
    {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    let (state, caller) = (&state, &caller);
    write
        .once(&state.db, caller, |r, request_id| async move {
            caller.in_program("points:adjust", program_id)?;
            let member = identity::resolve(&state.db, &r.member, caller.key.channel, program_id).await?;
            let membership_id = members::membership_id(&state.db, member.id, program_id).await?;
            let request_id = request_id.unwrap_or_default();
            let by = adjustments::Requester::Key {
                channel: caller.key.channel.as_str(),
                name: &caller.key.name,
            };
            adjustments::adjust(&state.db, by, membership_id, r.points, &r.reason, &request_id).await?;
            let b = standing(state, member.id)
                .await?
                .into_iter()
                .find(|b| b.program_id == program_id)
                .ok_or_else(|| crate::error::AppError::not_found("Membership"))?;
            Ok((StatusCode::CREATED, b))
        })
        .await
}

/// Another identifier for a member: the channel's customer id or an extra card.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifierRequest {
    /// "external" (this channel's customer id) or "card" (a physical card number).
    #[schema(pattern = "^(external|card)$")]
    pub kind: String,
    /// The customer id (1 to 64 visible ASCII characters) or the card number.
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub value: String,
    /// The security code printed on a card; web and app keys must send it to link a printed
    /// card (its points move to the member), a store key may leave it out (card in hand).
    #[serde(default)]
    pub security_code: Option<String>,
}

/// Link a customer id or card number to a member, so it finds them from then on. Wrong
/// security codes are counted per card (a few lock it for a while) and per key. With an
/// Idempotency-Key, a retry gets the first answer.
#[utoipa::path(post, path = "/members/{identifier}/identifiers", tag = "members",
    params(("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$"), ("Idempotency-Key" = Option<String>, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = IdentifierRequest,
    responses((status = 200, body = MemberResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn link_identifier(
    State(state): State<AppState>,
    caller: Caller,
    Path(identifier): Path<String>,
    write: Write<IdentifierRequest>,
) -> Response {
    let (state, caller, identifier) = (&state, &caller, &identifier);
    write
        .once(&state.db, caller, |r, _| async move {
            caller.require("members:write")?;
            let (member, matched) =
                identity::identify(&state.db, identifier, caller.key.channel, Lookup::Read).await?;
            in_scope(state, caller, &member).await?;
            let code = r.security_code.as_deref();
            // Wrong codes across cards, per key: one guess at many cards is slowed down too.
            let guesses = [Limit::new(format!("key-codes:{}", caller.key.id), 50)];
            if let Err(secs) = state.throttle.check(&guesses, std::time::Instant::now()) {
                return Err(AppError::RateLimited {
                    retry_after_secs: secs,
                }
                .into());
            }
            let (channel, program) = (caller.key.channel, caller.key.program_id);
            match identity::link_identifier(&state.db, member.id, channel, &r.kind, &r.value, code, program)
                .await
            {
                Ok(()) => {}
                Err(AppError::Forbidden) => {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "forbidden",
                        "This card holds points in another program than this key's; link it with a key \
                     for all programs or at the desk.",
                    ))
                }
                Err(e) => {
                    if e.field_message("security_code").is_some() {
                        state.throttle.record_failure(&guesses, std::time::Instant::now());
                    }
                    return Err(e.into());
                }
            }
            let Json(answer) = member_response(state, caller, member, matched).await?;
            Ok((StatusCode::OK, answer))
        })
        .await
}
