//! Messages through the outbox: `enqueue` writes one in the caller's transaction; the
//! worker (`deliver_due`) checks, when it is due, that the account is open, the member
//! consents to its channel and topic, and the program's caps and quiet hours allow it, then
//! hands it to its channel's adapter, retrying failures with the webhooks' backoff.

use sqlx::AnyConnection;

use crate::domain::message_limits::{gate, Gate};
use crate::error::AppError;
use crate::model::consent::Consents;
use crate::model::ids::{MemberId, ProgramId, UserId};
use crate::model::message::{Channel, HoldReason, IfLimited, MessageSettings, Topic};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::auth::session::new_token;
use crate::server::db::Db;
use crate::server::outbox::adapters::{Adapters, Outgoing};
use crate::server::outbox::{Lease, Queue};
use crate::server::store::messages as store;
use crate::server::store::password_resets::{self, LINK_MARKER};
use crate::server::store::{email_changes, push_devices, signup_requests};

/// A message to write.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub member_id: Option<MemberId>,
    /// A staff account's email (account messages to people who are not members).
    pub user_id: Option<UserId>,
    /// Whose caps, quiet hours and time zone apply (none: no limits, as for service).
    pub program_id: Option<ProgramId>,
    pub channel: Channel,
    pub topic: Topic,
    /// What caused it (`password_reset`, `welcome`...), for reports.
    pub kind: &'static str,
    pub if_limited: IfLimited,
    /// The email address or phone number now ("" for the inbox and push).
    pub recipient: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    /// The cause's own key: a second write with the same key writes nothing.
    pub dedupe_key: Option<String>,
    /// Not sent before this.
    pub not_before: Timestamp,
    /// The journey that sent it, for its report.
    pub journey_id: Option<i64>,
    /// The campaign that sent it, for its report.
    pub campaign_id: Option<i64>,
}

/// Writes `message` in the caller's transaction. False when its `dedupe_key` was written
/// before (nothing is written again).
pub async fn enqueue(
    conn: &mut AnyConnection,
    message: &NewMessage,
    now: Timestamp,
) -> Result<bool, AppError> {
    let written = sqlx::query(
        "INSERT INTO messages (member_id, user_id, program_id, channel, topic, kind, if_limited, recipient, \
         language, subject, body, dedupe_key, next_attempt_at, created_at, journey_id, \
         campaign_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(message.member_id)
    .bind(message.user_id)
    .bind(message.program_id)
    .bind(message.channel.as_str())
    .bind(message.topic.as_str())
    .bind(message.kind)
    .bind(message.if_limited.as_str())
    .bind(&message.recipient)
    .bind(&message.language)
    .bind(&message.subject)
    .bind(&message.body)
    .bind(&message.dedupe_key)
    .bind(message.not_before.0.max(now.0))
    .bind(now.0)
    .bind(message.journey_id)
    .bind(message.campaign_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(written == 1)
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: u64,
    /// Attempts that failed (retried later, or given up).
    pub failed: u64,
    /// Held back by caps or quiet hours (still pending).
    pub held: u64,
    /// Never to be sent (no consent, closed account, dropped by a limit).
    pub suppressed: u64,
}

#[derive(sqlx::FromRow)]
struct Due {
    member_id: Option<i64>,
    user_id: Option<i64>,
    program_id: Option<i64>,
    channel: String,
    topic: String,
    kind: String,
    if_limited: String,
    recipient: String,
    language: String,
    subject: String,
    body: String,
    dedupe_key: Option<String>,
    campaign_id: Option<i64>,
}

/// Where the site's address goes in a service message's text until it is sent (the worker
/// knows the public address; the request that wrote the message may not).
pub const SITE_MARKER: &str = "[site]";

/// How many messages a pass takes at most (the rest wait for the next).
const BATCH: i64 = 200;

/// Sends every message due at `now` once. Each is claimed first, so two workers (or two
/// servers) never send one message twice.
pub async fn deliver_due(db: &Db, adapters: &Adapters, now: Timestamp) -> Result<Pass, AppError> {
    let due: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, attempts FROM messages WHERE status = 'pending' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now.0)
    .bind(BATCH)
    .fetch_all(&db.pool)
    .await?;
    let mut pass = Pass::default();
    let mut limits = Limits::default();
    for (id, attempts) in due {
        let Some(lease) = Queue::MESSAGES.claim(db, id, attempts, now).await? else {
            continue;
        };
        let m: Due = sqlx::query_as(
            "SELECT member_id, user_id, program_id, channel, topic, kind, if_limited, recipient, language, subject, \
             body, dedupe_key, campaign_id FROM messages WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
        let (Some(channel), Some(topic)) = (Channel::parse(&m.channel), Topic::parse(&m.topic)) else {
            Queue::MESSAGES
                .give_up(db, lease, "unknown channel or topic")
                .await?;
            pass.failed += 1;
            continue;
        };
        let if_limited = IfLimited::parse(&m.if_limited).unwrap_or(IfLimited::Drop);
        if link_spent(db, &m).await? {
            store::suppress(&mut *db.pool.acquire().await?, lease, HoldReason::Spent).await?;
            pass.suppressed += 1;
            continue;
        }
        match decide(db, &m, lease, (channel, topic, if_limited), &mut limits).await? {
            Some(Gate::Send) => {}
            Some(Gate::Wait { .. }) => {
                pass.held += 1;
                continue;
            }
            Some(Gate::Drop(_)) => {
                pass.suppressed += 1;
                continue;
            }
            // Another worker holds it now.
            None => continue,
        }
        let body = match link_body(db, &m, lease.at, &adapters.public_url).await? {
            Some(body) => {
                if adapters.keeps_mail() {
                    // The development mailbox is where the link is read: keep it there.
                    store::set_body(db, id, &body).await?;
                }
                body
            }
            None if topic == Topic::Service => m.body.replace(SITE_MARKER, &adapters.public_url),
            None => m.body.clone(),
        };
        let unsubscribe = if channel == Channel::Email && topic != Topic::Service && m.member_id.is_some() {
            Some(unsubscribe_link(db, id, &adapters.public_url).await?)
        } else {
            None
        };
        // Push goes to the devices the member has now.
        let devices = match (channel, m.member_id, m.program_id) {
            (Channel::Push, Some(member), Some(program)) => {
                let mut conn = db.pool.acquire().await?;
                push_devices::of_member(&mut conn, ProgramId(program), MemberId(member)).await?
            }
            _ => Vec::new(),
        };
        let out = Outgoing {
            id,
            channel,
            devices: &devices,
            recipient: &m.recipient,
            subject: &m.subject,
            body: &body,
            language: &m.language,
            unsubscribe,
        };
        let answer = adapters.send(&out).await;
        if Queue::MESSAGES
            .record(db, lease, answer.code, answer.error)
            .await?
        {
            pass.sent += 1;
        } else {
            pass.failed += 1;
        }
        // After the outcome is recorded: a failure here must not send the message again.
        if let (false, Some(program), Some(member)) =
            (answer.dead_tokens.is_empty(), m.program_id, m.member_id)
        {
            let (program, member) = (ProgramId(program), MemberId(member));
            match forget_dead(db, program, member, &answer.dead_tokens).await {
                Ok(gone) => tracing::info!(
                    message = id,
                    gone,
                    "push tokens the provider called invalid are forgotten"
                ),
                Err(e) => {
                    tracing::warn!(message = id, error = %e, "push tokens the provider called invalid are kept")
                }
            }
        }
    }
    Ok(pass)
}

/// Forgets the member's `tokens` in `program` (a provider said they reach no device).
async fn forget_dead(
    db: &Db,
    program: ProgramId,
    member: MemberId,
    tokens: &[String],
) -> Result<u64, AppError> {
    let mut conn = db.pool.acquire().await?;
    push_devices::forget_tokens(&mut conn, program, member, tokens).await
}

/// Each program's settings and time zone, read once a pass rather than once a message.
#[derive(Default)]
struct Limits(std::collections::HashMap<ProgramId, (MessageSettings, chrono_tz::Tz)>);

impl Limits {
    async fn of(
        &mut self,
        db: &Db,
        program: ProgramId,
    ) -> Result<&(MessageSettings, chrono_tz::Tz), AppError> {
        Ok(match self.0.entry(program) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let settings = store::settings(db, program).await?;
                let zone = settings.time_zone.parse().unwrap_or(chrono_tz::UTC);
                e.insert((settings, zone))
            }
        })
    }
}

/// Whether an account email's link is no longer wanted: a confirmation (a sign-up, a new
/// sign-in email) confirmed or ended before the email went, or a reset link to an address
/// the account no longer signs in with.
async fn link_spent(db: &Db, m: &Due) -> Result<bool, AppError> {
    let key = m.dedupe_key.as_deref().unwrap_or_default();
    match m.kind.as_str() {
        "verify_signup" => match signup_requests::of_dedupe_key(key) {
            Some(request) => signup_requests::is_spent(db, request).await,
            None => Ok(false),
        },
        "verify_email_change" => match email_changes::of_dedupe_key(key) {
            Some(change) => email_changes::is_spent(db, change).await,
            None => Ok(false),
        },
        // A reset link goes only to the address the account signs in with now.
        "password_reset" => {
            let now_email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                .bind(m.user_id)
                .fetch_optional(&db.pool)
                .await?;
            Ok(now_email.as_deref() != Some(m.recipient.as_str()))
        }
        _ => Ok(false),
    }
}

/// An account email's text with a fresh link in place of its marker (a reset link, a
/// confirmation link for a sign-up or a new address), or None for a message that carries
/// none. The token is made now and only its hash kept, so no stored text holds a working link.
async fn link_body(db: &Db, m: &Due, now: Timestamp, public_url: &str) -> Result<Option<String>, AppError> {
    let key = m.dedupe_key.as_deref().unwrap_or_default();
    let link = match (m.kind.as_str(), m.user_id) {
        ("password_reset", Some(user)) => {
            let token = password_resets::issue(db, UserId(user), now).await?;
            Some((LINK_MARKER, format!("{public_url}/reset-password?token={token}")))
        }
        ("verify_signup", _) => match signup_requests::of_dedupe_key(key) {
            Some(request) => {
                let token = signup_requests::issue(db, request, now).await?;
                Some((
                    signup_requests::LINK_MARKER,
                    format!("{public_url}/verify-email?token={token}"),
                ))
            }
            None => None,
        },
        ("email_changed", _) => match email_changes::of_undo_key(key) {
            Some(change) => {
                let token = email_changes::issue_undo(db, change).await?;
                Some((
                    email_changes::UNDO_MARKER,
                    format!("{public_url}/undo-email?token={token}"),
                ))
            }
            None => None,
        },
        ("verify_email_change", _) => match email_changes::of_dedupe_key(key) {
            Some(change) => {
                let token = email_changes::issue(db, change, now).await?;
                Some((
                    email_changes::LINK_MARKER,
                    format!("{public_url}/confirm-email?token={token}"),
                ))
            }
            None => None,
        },
        _ => None,
    };
    Ok(link.map(|(marker, link)| m.body.replace(marker, &link).replace(SITE_MARKER, public_url)))
}

/// Whether message `m` may go now, with the member's row locked so that two workers take
/// turns over one member's caps: an open account, consent, an address, then (for all but
/// service messages to members) the program's caps and quiet hours. A message that may go
/// is reserved (its `delivered_at` counts towards caps while it is sent); one that may not
/// is held or suppressed. None when the lease was lost.
async fn decide(
    db: &Db,
    m: &Due,
    lease: Lease,
    (channel, topic, if_limited): (Channel, Topic, IfLimited),
    limits: &mut Limits,
) -> Result<Option<Gate>, AppError> {
    let now = lease.at;
    let mut tx = db.begin_write().await?;
    let (consents, closed) = match (m.member_id, m.user_id) {
        (Some(member), _) => {
            sqlx::query("UPDATE members SET consents = consents WHERE id = $1")
                .bind(member)
                .execute(&mut *tx)
                .await?;
            let row: (i64, Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT m.consents, u.disabled_at, m.merged_into FROM members m LEFT JOIN users u ON u.id = m.user_id \
                 WHERE m.id = $1",
            )
            .bind(member)
            .fetch_one(&mut *tx)
            .await?;
            (Some(Consents(row.0)), row.1.is_some() || row.2.is_some())
        }
        (None, Some(user)) => {
            let disabled: Option<i64> = sqlx::query_scalar("SELECT disabled_at FROM users WHERE id = $1")
                .bind(user)
                .fetch_one(&mut *tx)
                .await?;
            (None, disabled.is_some())
        }
        (None, None) => (None, false),
    };
    let gate = if closed {
        Gate::Drop(HoldReason::Closed)
    } else if store::offer_ended(&mut tx, m.campaign_id, now).await? {
        Gate::Drop(HoldReason::OfferEnded)
    } else if consents.is_some_and(|c| !topic.allowed(channel, c)) {
        Gate::Drop(HoldReason::NoConsent)
    } else if nowhere(&mut tx, m, channel).await? {
        Gate::Drop(HoldReason::NoAddress)
    } else {
        match (m.member_id, m.program_id, topic) {
            (Some(member), Some(program), t) if t != Topic::Service => {
                let (settings, zone) = limits.of(db, ProgramId(program)).await?;
                // A month and a day back covers the longest window (a calendar month in any zone).
                let since = Timestamp(now.0 - 32 * SECONDS_PER_DAY);
                let sent = store::sent_times(&mut tx, MemberId(member), channel, since).await?;
                gate(settings, zone, now, &sent, if_limited)
            }
            _ => Gate::Send,
        }
    };
    let kept = match gate {
        Gate::Send => store::reserve(&mut tx, lease, now).await?,
        Gate::Wait { until, why } => store::hold(&mut tx, lease, until, why).await?,
        Gate::Drop(why) => store::suppress(&mut tx, lease, why).await?,
    };
    tx.commit().await?;
    Ok(kept.then_some(gate))
}

/// Whether the message has nowhere to go: an email or SMS without an address, a push
/// message to someone without a device (a staff account never has one).
async fn nowhere(conn: &mut AnyConnection, m: &Due, channel: Channel) -> Result<bool, AppError> {
    Ok(match (channel, m.member_id, m.program_id) {
        (Channel::Email | Channel::Sms, ..) => m.recipient.trim().is_empty(),
        (Channel::Push, Some(member), Some(program)) => {
            push_devices::of_member(conn, ProgramId(program), MemberId(member))
                .await?
                .is_empty()
        }
        (Channel::Push, ..) => true,
        (Channel::InApp, ..) => false,
    })
}

/// A fresh one-click unsubscribe address for message `id`; only the token's hash is kept
/// (a retry makes a new one: the last sent is the one that works).
async fn unsubscribe_link(db: &Db, id: i64, public_url: &str) -> Result<String, AppError> {
    let (token, hash) = new_token();
    store::set_unsubscribe_hash(db, id, &hash).await?;
    Ok(format!("{public_url}/unsubscribe/{token}"))
}

/// Sends due messages every `every` until the process ends.
pub fn spawn_worker(db: Db, every: std::time::Duration, adapters: Adapters) {
    let adapters = std::sync::Arc::new(adapters);
    super::spawn_every("message delivery", every, move || {
        let (db, adapters) = (db.clone(), adapters.clone());
        async move {
            let pass = deliver_due(&db, &adapters, db.now()).await?;
            if pass != Pass::default() {
                tracing::debug!(?pass, "messages delivered");
            }
            Ok(())
        }
    });
}
