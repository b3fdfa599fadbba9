//! Members over the channel API, for web shops and apps that sign customers up: enrol a
//! member in a program, change a profile, read a member's history page by page.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::forms::account;
use crate::error::{AppError, FieldError};
use crate::model::ids::{MemberId, ProgramId};
use crate::model::ledger::TxKind;
use crate::model::member::{LedgerLine, Member};
use crate::model::rules::Channel;
use crate::server::query::member_view::{self, HistoryFilter};
use crate::server::service::identity::{self, Lookup};
use crate::server::service::members::{self, JoinedIn, Saved};
use crate::server::state::AppState;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody, ErrorField};
use super::handlers::{in_scope, standing, BalanceResponse, IDENTIFIER};
use super::write::Write;

// The patterns below state what the server accepts (`domain::validate` for names, emails
// and phones; `domain::birthdays::parse_birth_date`; `domain::forms::account::
// referral_code`; store codes). Names: not only spaces, no control characters. Emails: one
// `@`, a dotted domain, visible ASCII (kept in lower case). Phones: 7 to 15 digits, an
// optional leading `+`, spaces, dashes, dots and brackets. Dates: YYYY-MM-DD (not in the
// future, at most 120 years ago). In a profile change, empty clears the field.

/// A customer a channel signs up. An email or a phone number (or both) is required; neither
/// may be another member's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(
        min_length = 5,
        max_length = 254,
        pattern = r"^[!-?A-~]+@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$"
    )]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(
        min_length = 7,
        max_length = 40,
        pattern = r"^\+?[ ().-]*(?:[0-9][ ().-]*){7,15}$"
    )]
    pub phone: Option<String>,
    /// YYYY-MM-DD: the program's birthday rule rewards it once a year (for a date on file a
    /// month before the day).
    #[serde(default)]
    #[schema(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date)]
    pub birth_date: Option<String>,
    /// Where the customer joined; default: the key's channel.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// The code of the store they joined in, set up in Manage (any case); an unknown code
    /// is refused.
    #[serde(default)]
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    pub store: Option<String>,
    /// A friend's referral code: the friend's first paid order in the program rewards both.
    #[serde(default)]
    #[schema(pattern = r"^[A-Za-z0-9-]{1,20}$")]
    pub referral_code: Option<String>,
}

/// Changes to a profile: fields left out stay as they are; an empty email, phone or date
/// of birth clears it (the member keeps an email or a phone number).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 80,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    /// A member who signs in on the portal keeps the email they sign in with.
    #[serde(default)]
    #[schema(
        max_length = 254,
        pattern = r"^$|^[!-?A-~]+@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$"
    )]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 40, pattern = r"^$|^\+?[ ().-]*(?:[0-9][ ().-]*){7,15}$")]
    pub phone: Option<String>,
    #[serde(default)]
    #[schema(pattern = r"^$|^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub birth_date: Option<String>,
}

/// A member's profile with their standing in the programs the key may see.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProfileResponse {
    pub member_id: MemberId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// YYYY-MM-DD.
    pub birth_date: Option<String>,
    pub card_number: String,
    pub programs: Vec<BalanceResponse>,
}

/// One page of a member's history, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryPage {
    pub lines: Vec<LedgerLine>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Most lines a history page holds, and how many when `limit` is left out.
pub const MAX_HISTORY_LIMIT: i64 = 100;
const DEFAULT_HISTORY_LIMIT: i64 = 25;

async fn profile(state: &AppState, caller: &Caller, member: Member) -> Result<ProfileResponse, ApiError> {
    let mut programs = standing(state, member.id).await?;
    if let Some(p) = caller.key.program_id {
        programs.retain(|b| b.program_id == p);
    }
    Ok(ProfileResponse {
        member_id: member.id,
        name: member.name,
        email: member.email,
        phone: member.phone,
        birth_date: member.birth_date,
        card_number: member.card_number,
        programs,
    })
}

/// An email or phone number another member has: 409 `member_exists`, naming the fields.
fn taken(fields: Vec<FieldError>) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::CONFLICT,
        "member_exists",
        "Another member has this email or phone number; look them up instead.",
    );
    e.body.fields = fields
        .into_iter()
        .map(|f| ErrorField {
            field: f.field,
            message: f.message,
        })
        .collect();
    e
}

/// Enrol a customer as a member of the program: profile, membership (with the channel and
/// store they joined in) and referral, in one go; `member.created` is announced. With an
/// Idempotency-Key, a retry gets the first answer; without one, a second enrolment of the
/// same email or phone is refused (`409 member_exists`).
#[utoipa::path(post, path = "/programs/{program_id}/members", tag = "members",
    params(("program_id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = EnrolRequest,
    responses((status = 201, body = ProfileResponse),
        (status = 409, description = "`member_exists` (with the `fields` taken), `program_inactive`, \
            `idempotency_in_progress` or `try_again`", body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn enrol(
    State(state): State<AppState>,
    caller: Caller,
    Path(program_id): Path<ProgramId>,
    write: Write<EnrolRequest>,
) -> Response {
    let (state, caller) = (&state, &caller);
    write
        .once(&state.db, caller, |r, _| async move {
            caller.in_program("members:enrol", program_id)?;
            let details = account::enrolment(
                &r.name,
                r.email.as_deref().unwrap_or_default(),
                r.phone.as_deref().unwrap_or_default(),
                r.birth_date.as_deref().unwrap_or_default(),
                r.referral_code.as_deref().unwrap_or_default(),
                state.db.now().date(),
            )?;
            let joined = JoinedIn {
                channel: r.channel.unwrap_or(caller.key.channel),
                store: r.store.as_deref(),
            };
            match members::enrol(&state.db, program_id, joined, &details).await? {
                Saved::Done(member) => Ok((StatusCode::CREATED, profile(state, caller, member).await?)),
                Saved::Taken(fields) => Err(taken(fields)),
            }
        })
        .await
}

/// Change a member's name, email, phone or date of birth. A key bound to one program
/// changes only that program's members.
#[utoipa::path(patch, path = "/members/{identifier}", tag = "members",
    params(("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$"),
        ("Idempotency-Key" = Option<String>, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = ProfileRequest,
    responses((status = 200, body = ProfileResponse),
        (status = 409, description = "`member_exists` (with the `fields` taken), `conflict` (a printed card \
            nobody registered has no profile), `idempotency_in_progress` or `try_again`", body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn update_profile(
    State(state): State<AppState>,
    caller: Caller,
    Path(identifier): Path<String>,
    write: Write<ProfileRequest>,
) -> Response {
    let (state, caller, identifier) = (&state, &caller, &identifier);
    write
        .once(&state.db, caller, |r, _| async move {
            caller.require("members:enrol")?;
            let changes = account::profile_changes(
                r.name.as_deref(),
                r.email.as_deref(),
                r.phone.as_deref(),
                r.birth_date.as_deref(),
                state.db.now().date(),
            )?;
            let (member, _) =
                identity::identify(&state.db, identifier, caller.key.channel, Lookup::Read).await?;
            in_scope(state, caller, &member).await?;
            match members::update_profile(&state.db, member.id, &changes).await? {
                Saved::Done(member) => Ok((StatusCode::OK, profile(state, caller, member).await?)),
                Saved::Taken(fields) => Err(taken(fields)),
            }
        })
        .await
}

/// A member's history: every movement of points, newest first, with its program's unit,
/// the balance after it, where it happened and why. Paged by `before` (the cursor the page
/// before gave). A key bound to one program sees that program's lines only.
#[utoipa::path(get, path = "/members/{identifier}/history", tag = "members",
    params(("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$"),
        ("program_id" = Option<i64>, Query, description = "Only this program's lines"),
        ("type" = Option<TxKind>, Query, description = "Only lines of this kind"),
        ("channel" = Option<Channel>, Query, description = "Only lines booked in this channel"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Lines per page (default 25)"),
        ("before" = Option<i64>, Query, minimum = 1, description = "Lines older than this line id: `next_before` of the page before")),
    responses((status = 200, body = HistoryPage)),
    security(("api_key" = [])))]
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(identifier): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<HistoryPage>, ApiError> {
    caller.require("members:read")?;
    let mut filter = history_filter(&query)?;
    match (caller.key.program_id, filter.program_id) {
        (Some(own), Some(asked)) if own != asked => caller.program(asked)?,
        (Some(own), _) => filter.program_id = Some(own),
        (None, _) => {}
    }
    let (member, _) = identity::identify(&state.db, &identifier, caller.key.channel, Lookup::Read).await?;
    in_scope(&state, &caller, &member).await?;
    // One line more than asked tells whether another page follows.
    let limit = filter.limit;
    filter.limit = limit + 1;
    let mut lines = member_view::history_page(&state.db, member.id, &filter).await?;
    let more = lines.len() as i64 > limit;
    lines.truncate(limit as usize);
    let next_before = if more { lines.last().map(|l| l.id) } else { None };
    Ok(Json(HistoryPage { lines, next_before }))
}

/// The history's query parameters, checked: each refused value is a `validation` field
/// error (unknown parameters are ignored, a repeated one takes its last value).
fn history_filter(query: &[(String, String)]) -> Result<HistoryFilter, AppError> {
    let mut v = crate::error::Validator::new();
    let mut filter = HistoryFilter {
        limit: DEFAULT_HISTORY_LIMIT,
        ..HistoryFilter::default()
    };
    for (name, value) in query {
        match name.as_str() {
            "limit" => {
                if let Some(n) = v.check(
                    "limit",
                    crate::domain::validate::integer(value, 1, MAX_HISTORY_LIMIT),
                ) {
                    filter.limit = n;
                }
            }
            "before" => {
                filter.before = v.check("before", crate::domain::validate::integer(value, 1, i64::MAX));
            }
            "program_id" => {
                filter.program_id = v
                    .check(
                        "program_id",
                        crate::domain::validate::integer(value, i64::MIN, i64::MAX),
                    )
                    .map(ProgramId);
            }
            "type" => {
                filter.kind = v.check(
                    "type",
                    TxKind::parse(value).ok_or_else(|| "Not a kind of ledger line.".to_string()),
                );
            }
            "channel" => {
                filter.channel = v.check(
                    "channel",
                    Channel::ALL
                        .into_iter()
                        .find(|c| c.as_str() == value)
                        .ok_or_else(|| "Use store, web or app.".to_string()),
                );
            }
            _ => {}
        }
    }
    v.finish()?;
    Ok(filter)
}
