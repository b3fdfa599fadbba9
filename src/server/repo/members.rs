//! Members: sign-up, lookup at the desk, program memberships and history.

use rand::Rng;
use sqlx::AnyConnection;

use crate::domain::identifier::{self, IdKind};
use crate::domain::{card, forms, validate};
use crate::error::AppError;
use crate::model::member::{JoinableProgram, LedgerLine, Member, MembershipView};
use crate::model::program::Tier;
use crate::model::rules::Channel;
use crate::model::time::Timestamp;
use crate::model::user::{Role, SessionUser, SignupInput};
use crate::server::auth::password;
use crate::server::db::{is_unique_violation, values, Db};

use super::ledger::{self, Standing};
use super::users;

const MEMBER_COLUMNS: &str = "id, name, email, phone, card_number, kind, birth_date, created_at";

/// Inserts a member profile with a fresh card number, retrying the rare collision. The
/// conflict is absorbed by `ON CONFLICT` rather than caught as an error: on PostgreSQL an
/// error would abort the surrounding transaction and no retry could run in it.
pub async fn insert_profile(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
    now: Timestamp,
) -> Result<i64, AppError> {
    for _ in 0..5 {
        let card_number = card::from_random(rand::thread_rng().gen_range(0..10_000_000_000u64));
        let result: Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(
            "INSERT INTO members (user_id, name, email, phone, card_number, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (card_number) DO NOTHING RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(&card_number)
        .bind(now.0)
        .fetch_optional(&mut *conn)
        .await;
        match result {
            Ok(Some(id)) => return Ok(id),
            Ok(None) => continue, // card number taken: draw another
            Err(e) if is_unique_violation(&e, "members_email_key", "members.email") => {
                return Err(AppError::field(
                    "email",
                    "An account with this email already exists.",
                ));
            }
            Err(e) if is_unique_violation(&e, "members_phone_key", "members.phone") => {
                return Err(AppError::field(
                    "phone",
                    "This phone number belongs to another member.",
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    tracing::error!("could not find a free card number in 5 tries");
    Err(AppError::Internal)
}

/// A member signs up on the portal: account and profile in one transaction.
#[tracing::instrument(skip(db, input), fields(email = %input.email), err(level = "debug"))]
pub async fn signup(db: &Db, input: &SignupInput) -> Result<SessionUser, AppError> {
    let v = forms::signup(input)?;
    let referrer = match &v.referral_code {
        Some(code) => Some(
            sqlx::query_scalar::<_, i64>("SELECT id FROM members WHERE referral_code = $1")
                .bind(code)
                .fetch_optional(&db.pool)
                .await?
                .ok_or_else(|| AppError::field("referral_code", "No member has this referral code."))?,
        ),
        None => None,
    };
    let hash = password::hash(v.password.clone()).await?;
    let now = Timestamp::now();
    let mut tx = db.begin_write().await?;
    let user_id = users::insert(&mut tx, &v.email, &v.name, Role::Member, &hash, now).await?;
    let member_id = insert_profile(
        &mut tx,
        Some(user_id),
        &v.name,
        Some(&v.email),
        v.phone.as_deref(),
        now,
    )
    .await?;
    if let Some(birth_date) = &v.birth_date {
        sqlx::query("UPDATE members SET birth_date = $1, birth_date_set_at = $2 WHERE id = $3")
            .bind(birth_date)
            .bind(now.0)
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(referrer) = referrer {
        sqlx::query("UPDATE members SET referred_by = $1 WHERE id = $2")
            .bind(referrer)
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
    }
    announce_created(&mut tx, member_id, "registered", "web", now).await?;
    tx.commit().await?;
    Ok(SessionUser {
        id: user_id,
        email: v.email,
        display_name: v.name,
        role: Role::Member,
    })
}

/// The `member.created` webhook, in the transaction that made the member.
pub async fn announce_created(
    conn: &mut AnyConnection,
    member_id: i64,
    kind: &str,
    channel: &str,
    at: Timestamp,
) -> Result<(), AppError> {
    let data = serde_json::json!({ "member_id": member_id, "kind": kind, "channel": channel });
    crate::server::webhooks::enqueue(conn, "member.created", data, at).await
}

pub async fn get(db: &Db, id: i64) -> Result<Member, AppError> {
    sqlx::query_as(&format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AppError::not_found("Member"))
}

/// The member profile of a signed-in member account.
pub async fn for_user(db: &Db, user_id: i64) -> Result<Member, AppError> {
    sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| AppError::not_found("Member profile"))
}

/// A member row with where it was merged to (almost always nowhere).
#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    member: Member,
    merged_into: Option<i64>,
}

/// The member whose `column` is `value`, as it stands now (followed through merges).
async fn by_column(db: &Db, column: &str, value: &str) -> Result<Option<Member>, AppError> {
    let found: Option<Row> = sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS}, merged_into FROM members WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(&db.pool)
    .await?;
    match found {
        None => Ok(None),
        Some(Row {
            member,
            merged_into: None,
        }) => Ok(Some(member)),
        Some(Row { member, .. }) => Ok(Some(current(db, member).await?)),
    }
}

/// Whether a lookup may create what an identifier names: a printed card's holder is made
/// on the card's first use, which is a write (an order, an action) in the card's own
/// program, never a read (nor a write in another program).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Read,
    /// A write in this program.
    Write(i64),
}

/// What an identifier named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// A member, and the kind of identifier that matched.
    Member(Member, IdKind),
    /// A printed card nobody has used yet (its batch's program): a read finds no member.
    UnusedCard {
        program_id: i64,
    },
    Nobody,
}

/// The member behind a card number: its own card, an extra card linked to it, or a printed
/// card it holds (made on first use when `lookup` is a write).
async fn by_card(db: &Db, number: &str, lookup: Lookup) -> Result<Named, AppError> {
    if let Some(m) = by_column(db, "card_number", number).await? {
        return Ok(Named::Member(m, IdKind::Card));
    }
    let linked: Option<i64> =
        sqlx::query_scalar("SELECT member_id FROM member_identifiers WHERE kind = 'card' AND value = $1")
            .bind(number)
            .fetch_optional(&db.pool)
            .await?;
    if let Some(id) = linked {
        return Ok(Named::Member(
            current(db, get(db, id).await?).await?,
            IdKind::Card,
        ));
    }
    let holder = match (super::cards::holder_of(db, number).await?, lookup) {
        (None, _) => return Ok(Named::Nobody),
        (Some((Some(id), _)), _) => id,
        (Some((None, batch)), Lookup::Write(program_id)) if batch == program_id => {
            match super::cards::holder(db, number).await? {
                Some(id) => id,
                None => return Ok(Named::Nobody),
            }
        }
        (Some((None, program_id)), _) => return Ok(Named::UnusedCard { program_id }),
    };
    Ok(Named::Member(
        current(db, get(db, holder).await?).await?,
        IdKind::Card,
    ))
}

/// Desk lookup by exact email, phone or card number (as typed, normalized). Identifiers
/// only, never partial names: staff must not be able to browse the member base. A read: a
/// printed card nobody has used yet finds nobody (`cards::holder_of` tells the desk so).
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn find(db: &Db, query: &str) -> Result<Vec<Member>, AppError> {
    let q = query.trim();
    if q.is_empty() {
        return Err(AppError::field("query", "Enter an email, phone or card number."));
    }
    let found = if q.contains('@') {
        let email = validate::email(q).map_err(|m| AppError::field("query", m))?;
        by_column(db, "email", &email).await?
    } else if let Some(number) = card::normalize(q) {
        match by_card(db, &number, Lookup::Read).await? {
            Named::Member(m, _) => Some(m),
            Named::UnusedCard { .. } | Named::Nobody => None,
        }
    } else if let Ok(Some(phone)) = validate::phone(q) {
        by_column(db, "phone", &phone).await?
    } else {
        return Err(AppError::field(
            "query",
            "That is not an email, a phone number or a valid card number.",
        ));
    };
    Ok(found.into_iter().collect())
}

/// The member as it stands now: a member merged into another one is found as that one.
pub async fn current(db: &Db, member: Member) -> Result<Member, AppError> {
    let mut member = member;
    // Merges re-point earlier merges, so one step is the norm; the bound guards bad data.
    for _ in 0..8 {
        let into: Option<i64> = sqlx::query_scalar("SELECT merged_into FROM members WHERE id = $1")
            .bind(member.id)
            .fetch_optional(&db.pool)
            .await?
            .flatten();
        match into {
            Some(id) => member = get(db, id).await?,
            None => return Ok(member),
        }
    }
    tracing::error!(member_id = member.id, "merge chain too long");
    Err(AppError::Internal)
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    membership_id: i64,
    program_id: i64,
    program_name: String,
    currency_name: String,
    currency_code: String,
    point_value_minor: i64,
    balance: i64,
    pending: i64,
    lifetime_points: i64,
    joined_at: i64,
    tier_id: Option<i64>,
}

/// The member's programs with tier standing.
pub async fn memberships(db: &Db, member_id: i64) -> Result<Vec<MembershipView>, AppError> {
    let rows: Vec<MembershipRow> = sqlx::query_as(
        "SELECT m.id AS membership_id, p.id AS program_id, p.name AS program_name, p.currency_name, \
         p.currency_code, p.point_value_minor, m.balance, m.pending, m.lifetime_points, m.joined_at, m.tier_id \
         FROM memberships m JOIN programs p ON p.id = m.program_id WHERE m.member_id = $1 ORDER BY p.name",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let now = Timestamp::now();
    for r in rows {
        let program = super::programs::get(db, r.program_id).await?;
        let program_tiers: Vec<Tier> = super::programs::tiers(db, r.program_id).await?;
        // The tier held is kept on the membership; progress counts the current window.
        // (A connection is taken only for this query, never held across other pool reads.)
        let working = {
            let mut conn = db.pool.acquire().await?;
            super::tiers::current_window_total(&mut conn, &program, r.membership_id, now).await?
        };
        let tier = r
            .tier_id
            .and_then(|id| program_tiers.iter().find(|t| t.id == id).cloned());
        let floor = tier.as_ref().map_or(0, |t| t.threshold_points);
        let next_tier = program_tiers
            .iter()
            .filter(|t| t.threshold_points > floor)
            .min_by_key(|t| t.threshold_points)
            .cloned();
        let progress_pct = match &next_tier {
            None => 100,
            Some(n) => {
                let span = (n.threshold_points - floor).max(1);
                (((working - floor).clamp(0, span) as i128 * 100) / span as i128) as u8
            }
        };
        out.push(MembershipView {
            membership_id: r.membership_id,
            program_id: r.program_id,
            program_name: r.program_name,
            currency_name: r.currency_name,
            currency_code: r.currency_code,
            point_value_minor: r.point_value_minor,
            balance: r.balance,
            pending: r.pending,
            lifetime_points: r.lifetime_points,
            qualifying: working,
            tier_basis: program.tier_basis.clone(),
            tier_window: program.tier_window.clone(),
            tier_review: program.tier_review.clone(),
            tier,
            next_tier,
            progress_pct,
            joined_at: Timestamp(r.joined_at),
        });
    }
    Ok(out)
}

/// A member's membership as a booking needs it, under its row lock.
pub struct Entry {
    pub membership_id: i64,
    pub standing: Standing,
    pub tier_id: Option<i64>,
    /// Who referred the member (their first purchase settles the referral).
    pub referred_by: Option<i64>,
}

/// `join_in` and `ledger::lock` together, with the tier and the referrer: one statement for
/// a member buying again (the common case), the join on a first purchase.
pub async fn enter(
    conn: &mut AnyConnection,
    member_id: i64,
    program_id: i64,
    now: Timestamp,
) -> Result<Entry, AppError> {
    for _ in 0..2 {
        if let Some((_, entry, merged)) = enter_many(conn, &[(member_id, program_id)]).await?.pop() {
            if merged {
                return Err(ledger::merged_away());
            }
            return Ok(entry);
        }
        join_in(conn, member_id, program_id, now).await?;
    }
    tracing::error!(member_id, program_id, "membership vanished after joining");
    Err(AppError::Internal)
}

/// `enter` for several (member, program) pairs, in one statement, without joining: the
/// entry of each pair that has a membership, with whether it was merged away (the caller
/// books those one by one, which joins the missing and refuses the merged).
pub async fn enter_many(
    conn: &mut AnyConnection,
    pairs: &[(i64, i64)],
) -> Result<Vec<((i64, i64), Entry, bool)>, AppError> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let rows = values(pairs.len(), 2);
    // PostgreSQL locks the memberships FOR UPDATE (a no-op UPDATE would write a new version
    // of each row), in id order as merges do (`merges::lock_pair`), so two writers never wait
    // on each other in reverse; on SQLite the write transaction (BEGIN IMMEDIATE) already
    // holds the lock.
    let lock = if conn.backend_name() == "PostgreSQL" {
        " ORDER BY m.id FOR UPDATE OF m"
    } else {
        ""
    };
    let sql = format!(
        "SELECT m.member_id, m.program_id, m.id, m.balance, m.pending, m.lifetime_points, m.merged_into, \
         m.tier_id, mb.referred_by FROM memberships m JOIN members mb ON mb.id = m.member_id \
         WHERE (m.member_id, m.program_id) IN (VALUES {rows}){lock}"
    );
    type Row = (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let mut lock_rows = sqlx::query_as::<_, Row>(&sql);
    for (member_id, program_id) in pairs {
        lock_rows = lock_rows.bind(member_id).bind(program_id);
    }
    let rows = lock_rows.fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                member_id,
                program_id,
                id,
                balance,
                pending,
                lifetime_points,
                merged_into,
                tier_id,
                referred_by,
            )| {
                let entry = Entry {
                    membership_id: id,
                    standing: Standing {
                        balance,
                        pending,
                        lifetime_points,
                    },
                    tier_id,
                    referred_by,
                };
                ((member_id, program_id), entry, merged_into.is_some())
            },
        )
        .collect())
}

/// Enrolls a member in a program inside the caller's transaction; joining twice is a no-op.
/// Returns the membership id. `ON CONFLICT DO NOTHING` makes concurrent first purchases of
/// one member (PostgreSQL runs them in parallel) share one membership instead of failing.
pub async fn join_in(
    conn: &mut AnyConnection,
    member_id: i64,
    program_id: i64,
    now: Timestamp,
) -> Result<i64, AppError> {
    // The common case, a member buying again, costs one read.
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM memberships WHERE member_id = $1 AND program_id = $2")
            .bind(member_id)
            .bind(program_id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(id) = existing {
        return Ok(id); // a merged member's membership is refused by `ledger::lock`
    }
    // Read under the member's row lock: a merge running now (it locks the member first)
    // either finishes before this, and is seen, or waits until this membership exists and
    // then moves it with the others.
    let merged: Option<Option<i64>> = sqlx::query_scalar(
        "UPDATE members SET merged_into = merged_into WHERE id = $1 RETURNING merged_into",
    )
    .bind(member_id)
    .fetch_optional(&mut *conn)
    .await?;
    match merged {
        None => return Err(AppError::not_found("Member")),
        Some(Some(_)) => {
            return Err(AppError::try_again(
                "This member was merged into another member; look the member up again.",
            ));
        }
        Some(None) => {}
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM programs WHERE id = $1")
        .bind(program_id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Err(AppError::not_found("Program"));
    }
    sqlx::query(
        "INSERT INTO memberships (member_id, program_id, balance, lifetime_points, joined_at) \
         VALUES ($1, $2, 0, 0, $3) ON CONFLICT (member_id, program_id) DO NOTHING",
    )
    .bind(member_id)
    .bind(program_id)
    .bind(now.0)
    .execute(&mut *conn)
    .await?;
    // New members start in the entry tier (the one that needs nothing), if the program has one.
    sqlx::query(
        "UPDATE memberships SET tier_id = (SELECT t.id FROM tiers t WHERE t.program_id = $2 \
         AND t.threshold_points <= 0 ORDER BY t.threshold_points DESC LIMIT 1) \
         WHERE member_id = $1 AND program_id = $2 AND tier_id IS NULL",
    )
    .bind(member_id)
    .bind(program_id)
    .execute(&mut *conn)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM memberships WHERE member_id = $1 AND program_id = $2")
            .bind(member_id)
            .bind(program_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// A member joins a program (on the portal): only an active one.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn join(db: &Db, member_id: i64, program_id: i64) -> Result<(), AppError> {
    if !super::programs::get(db, program_id).await?.active {
        return Err(AppError::ProgramInactive);
    }
    let mut tx = db.begin_write().await?;
    join_in(&mut tx, member_id, program_id, Timestamp::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Programs the member can still join.
pub async fn joinable(db: &Db, member_id: i64) -> Result<Vec<JoinableProgram>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        currency_name: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, currency_name FROM programs WHERE active = 1 AND id NOT IN \
         (SELECT program_id FROM memberships WHERE member_id = $1) ORDER BY name",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| JoinableProgram {
            id: r.id,
            name: r.name,
            currency_name: r.currency_name,
        })
        .collect())
}

/// The member's ledger, newest first.
pub async fn history(db: &Db, member_id: i64, limit: i64) -> Result<Vec<LedgerLine>, AppError> {
    Ok(sqlx::query_as(
        "SELECT p.id, t.kind, p.account, p.points, p.balance_after, t.channel, t.amount_minor, t.reference, \
         t.description, t.created_at FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id \
         JOIN memberships m ON m.id = p.membership_id \
         WHERE (m.member_id = $1 OR (m.merged_into IN (SELECT id FROM memberships WHERE member_id = $1) \
         AND t.kind <> 'merge')) \
         ORDER BY p.id DESC LIMIT $2",
    )
    .bind(member_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// What an identifier names for `channel`, trying its kinds in order
/// (`domain::identifier::candidates`): the channel's own customer id first (a web shop's
/// customer 554035386 is not the phone number 554035386, nor the app's customer
/// 554035386), then email, card (own, linked, or printed) and phone. One statement tries
/// them all (a booking reads the member once); a printed card nobody has used yet is looked
/// at only when nothing matched.
pub async fn name(db: &Db, identifier: &str, channel: Channel, lookup: Lookup) -> Result<Named, AppError> {
    let candidates = identifier::candidates(identifier).map_err(|m| AppError::field("member", m))?;
    let mut tries = Vec::with_capacity(candidates.len());
    let mut values: Vec<String> = Vec::new();
    let param = |v: String, values: &mut Vec<String>| {
        values.push(v);
        format!("${}", values.len())
    };
    for (i, (kind, value)) in candidates.iter().enumerate() {
        let pos = format!("CAST({i} AS BIGINT)");
        let v = param(value.clone(), &mut values);
        tries.push(match kind {
            IdKind::External => {
                let k = param(external_kind(channel), &mut values);
                format!("SELECT {pos} AS pos, member_id FROM member_identifiers WHERE kind = {k} AND value = {v}")
            }
            IdKind::Email => format!("SELECT {pos} AS pos, id AS member_id FROM members WHERE email = {v}"),
            IdKind::Phone => format!("SELECT {pos} AS pos, id AS member_id FROM members WHERE phone = {v}"),
            IdKind::Card => format!(
                "SELECT {pos} AS pos, id AS member_id FROM members WHERE card_number = {v} \
                 UNION ALL SELECT {pos}, member_id FROM member_identifiers WHERE kind = 'card' AND value = {v} \
                 UNION ALL SELECT {pos}, member_id FROM cards WHERE number = {v} AND member_id IS NOT NULL"
            ),
        });
    }
    let sql = format!(
        "SELECT t.pos, {HIT_COLUMNS} FROM ({}) t JOIN members m ON m.id = t.member_id ORDER BY t.pos LIMIT 1",
        tries.join(" UNION ALL ")
    );
    let mut query = sqlx::query_as::<_, Hit>(&sql);
    for v in &values {
        query = query.bind(v);
    }
    if let Some(hit) = query.fetch_optional(&db.pool).await? {
        let kind = candidates[usize::try_from(hit.pos).unwrap_or_default()].0;
        let member = match hit.row.merged_into {
            None => hit.row.member,
            Some(_) => current(db, hit.row.member).await?,
        };
        return Ok(Named::Member(member, kind));
    }
    match candidates.iter().find(|(k, _)| *k == IdKind::Card) {
        Some((_, number)) => by_card(db, number, lookup).await,
        None => Ok(Named::Nobody),
    }
}

/// The member columns, prefixed for `name`'s join.
const HIT_COLUMNS: &str =
    "m.id, m.name, m.email, m.phone, m.card_number, m.kind, m.birth_date, m.created_at, \
     m.merged_into";

/// A member found by `name`, with the position of the kind that matched.
#[derive(sqlx::FromRow)]
struct Hit {
    pos: i64,
    #[sqlx(flatten)]
    row: Row,
}

/// The member an identifier names for `channel` (see `name`), with the kind that matched.
pub async fn identify(
    db: &Db,
    identifier: &str,
    channel: Channel,
    lookup: Lookup,
) -> Result<(Member, IdKind), AppError> {
    match name(db, identifier, channel, lookup).await? {
        Named::Member(m, kind) => Ok((m, kind)),
        Named::UnusedCard { .. } | Named::Nobody => Err(AppError::not_found("Member")),
    }
}

/// `identify` for a write in `program_id` (a printed card of that program's first use makes
/// its holder), the member only.
pub async fn resolve(
    db: &Db,
    identifier: &str,
    channel: Channel,
    program_id: i64,
) -> Result<Member, AppError> {
    identify(db, identifier, channel, Lookup::Write(program_id))
        .await
        .map(|(m, _)| m)
}

/// The member a membership belongs to.
pub async fn member_of(conn: &mut AnyConnection, membership_id: i64) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT member_id FROM memberships WHERE id = $1")
            .bind(membership_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// The identifier kind of a channel's own customer ids.
fn external_kind(channel: Channel) -> String {
    format!("external:{}", channel.as_str())
}

/// The id of a member's membership in a program.
pub async fn membership_id(db: &Db, member_id: i64, program_id: i64) -> Result<i64, AppError> {
    sqlx::query_scalar("SELECT id FROM memberships WHERE member_id = $1 AND program_id = $2")
        .bind(member_id)
        .bind(program_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AppError::not_found("Membership"))
}

/// The member's referral code, made on first use: 8 characters, no look-alike letters.
pub async fn referral_code(db: &Db, member_id: i64) -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for _ in 0..5 {
        let existing: Option<Option<String>> =
            sqlx::query_scalar("SELECT referral_code FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_optional(&db.pool)
                .await?;
        match existing {
            None => return Err(AppError::not_found("Member")),
            Some(Some(code)) => return Ok(code),
            Some(None) => {}
        }
        let code: String = {
            let mut rng = rand::thread_rng();
            (0..8)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect()
        };
        let mut tx = db.begin_write().await?;
        // A code taken by someone else leaves ours unset; the loop draws again.
        sqlx::query(
            "UPDATE members SET referral_code = $1 WHERE id = $2 AND referral_code IS NULL \
             AND NOT EXISTS (SELECT 1 FROM members WHERE referral_code = $1)",
        )
        .bind(&code)
        .bind(member_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    tracing::error!(member_id, "could not find a free referral code in 5 tries");
    Err(AppError::Internal)
}

/// Links another identifier to a member, for `channel`: its own customer id (`kind`
/// "external", stored as "external:<channel>", a namespace of that channel's own) or an
/// extra physical card ("card", Luhn-checked, one member's only). A printed card (its
/// holder's points move over) needs the `security_code` printed on it unless the channel
/// sees the card in person (`Channel::in_person`); `only_program` (a key bound to one
/// program) may only bring over a card whose points are all in that program.
#[tracing::instrument(skip(db, security_code), err(level = "debug"))]
pub async fn link_identifier(
    db: &Db,
    member_id: i64,
    channel: Channel,
    kind: &str,
    value: &str,
    security_code: Option<&str>,
    only_program: Option<i64>,
) -> Result<(), AppError> {
    let (kind, value) = match kind {
        "card" => (
            "card".to_string(),
            card::normalize(value)
                .ok_or_else(|| AppError::field("value", "That is not a valid card number."))?,
        ),
        "external" => (
            external_kind(channel),
            identifier::external(value).map_err(|m| AppError::field("value", m))?,
        ),
        _ => return Err(AppError::field("kind", "Use \"card\" or \"external\".")),
    };
    get(db, member_id).await?;
    if kind == "card" {
        if super::cards::holder_of(db, &value).await?.is_some() {
            // A printed card: linking it brings over what was collected on it.
            let security_code = security_code.map(str::trim).filter(|c| !c.is_empty());
            if security_code.is_none() && !channel.in_person() {
                return Err(AppError::field(
                    "security_code",
                    "Send the security code printed on the card.",
                ));
            }
            return super::cards::link_for(db, &value, member_id, security_code, None, only_program)
                .await
                .map(|_| ());
        }
        // Another member's own card number is theirs.
        match by_column(db, "card_number", &value).await? {
            Some(m) if m.id == member_id => return Ok(()),
            Some(_) => return Err(AppError::conflict("This identifier belongs to another member.")),
            None => {}
        }
    }
    let mut tx = db.begin_write().await?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO member_identifiers (member_id, kind, value, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, value) DO NOTHING RETURNING member_id",
    )
    .bind(member_id)
    .bind(&kind)
    .bind(&value)
    .bind(Timestamp::now().0)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    match inserted {
        Some(_) => Ok(()),
        None => {
            let owner: Option<i64> =
                sqlx::query_scalar("SELECT member_id FROM member_identifiers WHERE kind = $1 AND value = $2")
                    .bind(&kind)
                    .bind(&value)
                    .fetch_optional(&db.pool)
                    .await?;
            if owner == Some(member_id) {
                Ok(())
            } else {
                Err(AppError::conflict("This identifier belongs to another member."))
            }
        }
    }
}

/// Sets (or clears, with an empty input) the member's date of birth. A change is recorded
/// with its time: a birthday is celebrated only for a date on file a month before it
/// (`birthdays::celebrated`), so changing it cannot collect the award on demand.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn set_birth_date(db: &Db, member_id: i64, input: &str) -> Result<Option<String>, AppError> {
    let now = Timestamp::now();
    let date = crate::domain::birthdays::parse_birth_date(input, now.date())
        .map_err(|m| AppError::field("birth_date", m))?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE members SET birth_date = $1, birth_date_set_at = $2 WHERE id = $3 \
         AND (birth_date IS NULL OR $1 IS NULL OR birth_date <> $1)",
    )
    .bind(&date)
    .bind(now.0)
    .bind(member_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(date)
}
