//! Members: sign-up, profiles, program memberships (joining, and entering one for a
//! booking under its lock) and history. Who an identifier names is `identity`.

use crate::domain::lang;
use crate::i18n::td_string;
use crate::model::ids::{MemberId, MembershipId, ProgramId, UserId};
use rand::Rng;
use sqlx::AnyConnection;

use crate::domain::{card, forms};
use crate::error::{AppError, FieldError};
use crate::model::member::{Member, MemberKind};
use crate::model::rules::Channel;
use crate::model::time::Timestamp;
use crate::server::db::{is_unique_violation, values, Db};

use super::ledger::{self, Standing};

const MEMBER_COLUMNS: &str = "id, name, email, phone, card_number, kind, birth_date, created_at";

/// Inserts a member profile with a fresh card number, retrying the rare collision. The
/// conflict is absorbed by `ON CONFLICT` rather than caught as an error: on PostgreSQL an
/// error would abort the surrounding transaction and no retry could run in it.
pub async fn insert_profile(
    conn: &mut AnyConnection,
    user_id: Option<UserId>,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
    now: Timestamp,
) -> Result<MemberId, AppError> {
    for _ in 0..5 {
        let card_number = card::from_random(rand::thread_rng().gen_range(0..10_000_000_000u64));
        let result: Result<Option<MemberId>, sqlx::Error> = sqlx::query_scalar(
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
            Ok(Some(id)) => {
                super::names::index(conn, id, name).await?;
                return Ok(id);
            }
            Ok(None) => continue, // card number taken: draw another
            Err(e) if is_unique_violation(&e, "members_email_key", "members.email") => {
                return Err(AppError::field(
                    "email",
                    td_string!(lang::current().locale, errors.members.email_taken),
                ));
            }
            Err(e) if is_unique_violation(&e, "members_phone_key", "members.phone") => {
                return Err(AppError::field(
                    "phone",
                    td_string!(lang::current().locale, errors.members.phone_taken),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    tracing::error!("could not find a free card number in 5 tries");
    Err(AppError::Internal)
}

/// The member whose referral code this is (None for no code); an unknown code is a field
/// error on `referral_code`.
pub(super) async fn referrer(db: &Db, code: Option<&str>) -> Result<Option<MemberId>, AppError> {
    let Some(code) = code else {
        return Ok(None);
    };
    sqlx::query_scalar::<_, MemberId>("SELECT id FROM members WHERE referral_code = $1")
        .bind(code)
        .fetch_optional(&db.pool)
        .await?
        .map(Some)
        .ok_or_else(|| {
            AppError::field(
                "referral_code",
                td_string!(lang::current().locale, errors.members.no_referral),
            )
        })
}

/// What a new profile has beside its name and contacts: the date of birth (recorded with
/// when it was given) and who referred the member.
pub(super) async fn complete_profile(
    conn: &mut AnyConnection,
    member_id: MemberId,
    birth_date: Option<&str>,
    referrer: Option<MemberId>,
    now: Timestamp,
) -> Result<(), AppError> {
    if let Some(birth_date) = birth_date {
        write_birth_date(conn, member_id, Some(birth_date), now).await?;
    }
    if let Some(referrer) = referrer {
        sqlx::query("UPDATE members SET referred_by = $1 WHERE id = $2")
            .bind(referrer)
            .bind(member_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What enrolling or changing a member could not do because the email or phone number is
/// another member's: the fields taken (the caller answers it as a conflict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved<T> {
    Done(T),
    Taken(Vec<FieldError>),
}

/// Where a channel enrols a member: its channel and, when it names one, its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinedIn<'a> {
    pub channel: Channel,
    pub store: Option<&'a str>,
}

/// A channel (the API) enrols a member in a program: the profile (without a sign-in), the
/// membership with the channel and store it was made in, the referral, and `member.created`,
/// in one transaction. Only an active program takes members. An email or phone number
/// another member has is answered `Saved::Taken`, whichever program that member is in.
#[tracing::instrument(skip(db, details), err(level = "debug"))]
pub async fn enrol(
    db: &Db,
    program_id: ProgramId,
    joined: JoinedIn<'_>,
    details: &forms::account::ValidDetails,
) -> Result<Saved<Member>, AppError> {
    if !crate::server::store::programs::get(db, program_id).await?.active {
        return Err(AppError::ProgramInactive);
    }
    let referrer = referrer(db, details.referral_code.as_deref()).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let store_id = match joined.store {
        Some(code) => Some(
            crate::server::store::stores::resolve(&mut tx, "store", code)
                .await?
                .0,
        ),
        None => None,
    };
    let phone =
        super::phones::to_store(&mut tx, details.phone.as_deref(), Some(program_id), store_id).await?;
    let taken = taken_by_others(&mut tx, None, details.email.as_deref(), phone.as_deref()).await?;
    if !taken.is_empty() {
        return Ok(Saved::Taken(taken));
    }
    let member_id = match insert_profile(
        &mut tx,
        None,
        &details.name,
        details.email.as_deref(),
        phone.as_deref(),
        now,
    )
    .await
    {
        Ok(id) => id,
        // Taken by a member enrolled at the same moment (the check above ran before it).
        Err(AppError::Validation { fields, .. }) => return Ok(Saved::Taken(fields)),
        Err(e) => return Err(e),
    };
    complete_profile(&mut tx, member_id, details.birth_date.as_deref(), referrer, now).await?;
    let membership_id = join_in(&mut tx, member_id, program_id, now).await?;
    sqlx::query("UPDATE memberships SET joined_channel = $1, joined_store_id = $2 WHERE id = $3")
        .bind(joined.channel.as_str())
        .bind(store_id)
        .bind(membership_id)
        .execute(&mut *tx)
        .await?;
    announce_created(&mut tx, member_id, "registered", joined.channel.as_str(), now).await?;
    let member = profile_in(&mut tx, member_id).await?;
    tx.commit().await?;
    Ok(Saved::Done(member))
}

/// Changes a member's name, email, phone or date of birth, in one transaction. The member
/// keeps an email or a phone number; one another member has is answered `Saved::Taken`; a
/// member who signs in keeps their sign-in email (it is changed where they sign in); a
/// printed card's holder has no profile to change. A new date of birth is recorded with
/// its time, as on the portal (`set_birth_date`).
#[tracing::instrument(skip(db, changes), err(level = "debug"))]
pub async fn update_profile(
    db: &Db,
    member_id: MemberId,
    changes: &forms::account::ProfileChanges,
) -> Result<Saved<Member>, AppError> {
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let member = profile_in(&mut tx, member_id).await?;
    if member.kind != MemberKind::Registered {
        return Err(AppError::conflict(td_string!(
            lang::current().locale,
            errors.members.unregistered_card
        )));
    }
    let signs_in: Option<Option<UserId>> = sqlx::query_scalar("SELECT user_id FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_optional(&mut *tx)
        .await?;
    if signs_in.flatten().is_some() && changes.email.as_ref().is_some_and(|e| *e != member.email) {
        return Err(AppError::field(
            "email",
            td_string!(lang::current().locale, errors.members.sign_in_email),
        ));
    }
    let email = changes.email.clone().unwrap_or(member.email.clone());
    let phone = match &changes.phone {
        // A new number is read in the country of the member's first program.
        Some(typed) => {
            let program: Option<ProgramId> = sqlx::query_scalar(
                "SELECT program_id FROM memberships WHERE member_id = $1 ORDER BY id LIMIT 1",
            )
            .bind(member_id)
            .fetch_optional(&mut *tx)
            .await?;
            super::phones::to_store(&mut tx, typed.as_deref(), program, None).await?
        }
        None => member.phone.clone(),
    };
    if email.is_none() && phone.is_none() {
        return Err(AppError::field(
            "email",
            td_string!(lang::current().locale, errors.members.keep_contact),
        ));
    }
    let taken = taken_by_others(&mut tx, Some(member_id), email.as_deref(), phone.as_deref()).await?;
    if !taken.is_empty() {
        return Ok(Saved::Taken(taken));
    }
    let name = changes.name.clone().unwrap_or(member.name.clone());
    let updated = sqlx::query("UPDATE members SET name = $1, email = $2, phone = $3 WHERE id = $4")
        .bind(&name)
        .bind(&email)
        .bind(&phone)
        .bind(member_id)
        .execute(&mut *tx)
        .await;
    match updated {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e, "members_email_key", "members.email") => {
            return Ok(Saved::Taken(vec![taken_field("email")]));
        }
        Err(e) if is_unique_violation(&e, "members_phone_key", "members.phone") => {
            return Ok(Saved::Taken(vec![taken_field("phone")]));
        }
        Err(e) => return Err(e.into()),
    }
    if name != member.name {
        super::names::index(&mut tx, member_id, &name).await?;
    }
    if let Some(birth_date) = &changes.birth_date {
        write_birth_date(&mut tx, member_id, birth_date.as_deref(), now).await?;
    }
    let member = profile_in(&mut tx, member_id).await?;
    tx.commit().await?;
    Ok(Saved::Done(member))
}

/// The fields whose value another member (not `except`) already has.
pub(super) async fn taken_by_others(
    conn: &mut AnyConnection,
    except: Option<MemberId>,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<Vec<FieldError>, AppError> {
    let mut taken = Vec::new();
    for (field, column, value) in [("email", "email", email), ("phone", "phone", phone)] {
        let Some(value) = value else { continue };
        let owner: Option<MemberId> =
            sqlx::query_scalar(&format!("SELECT id FROM members WHERE {column} = $1"))
                .bind(value)
                .fetch_optional(&mut *conn)
                .await?;
        if owner.is_some_and(|id| Some(id) != except) {
            taken.push(taken_field(field));
        }
    }
    Ok(taken)
}

fn taken_field(field: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: match field {
            "email" => td_string!(lang::current().locale, errors.members.other_has_email).into(),
            _ => td_string!(lang::current().locale, errors.members.other_has_phone).into(),
        },
    }
}

/// A member row read inside a transaction.
async fn profile_in(conn: &mut AnyConnection, member_id: MemberId) -> Result<Member, AppError> {
    sqlx::query_as(&format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1"))
        .bind(member_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(lang::current().locale, errors.what.member)))
}

/// The `member.created` webhook, in the transaction that made the member.
pub async fn announce_created(
    conn: &mut AnyConnection,
    member_id: MemberId,
    kind: &str,
    channel: &str,
    at: Timestamp,
) -> Result<(), AppError> {
    let data = serde_json::json!({ "member_id": member_id, "kind": kind, "channel": channel });
    crate::server::webhooks::enqueue(conn, "member.created", data, at).await
}

pub async fn get(db: &Db, id: MemberId) -> Result<Member, AppError> {
    sqlx::query_as(&format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(lang::current().locale, errors.what.member)))
}

/// The member profile of a signed-in member account.
pub async fn for_user(db: &Db, user_id: UserId) -> Result<Member, AppError> {
    sqlx::query_as(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| AppError::not_found(td_string!(lang::current().locale, errors.what.member_profile)))
}

/// A member row with where it was merged to (almost always nowhere).
#[derive(sqlx::FromRow)]
pub struct Row {
    #[sqlx(flatten)]
    pub member: Member,
    pub merged_into: Option<MemberId>,
}

/// The member whose `column` is `value`, as it stands now (followed through merges).
pub async fn by_column(db: &Db, column: &str, value: &str) -> Result<Option<Member>, AppError> {
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

/// The member as it stands now: a member merged into another one is found as that one.
pub async fn current(db: &Db, member: Member) -> Result<Member, AppError> {
    let mut member = member;
    // Merges re-point earlier merges, so one step is the norm; the bound guards bad data.
    for _ in 0..8 {
        let into: Option<MemberId> = sqlx::query_scalar("SELECT merged_into FROM members WHERE id = $1")
            .bind(member.id)
            .fetch_optional(&db.pool)
            .await?
            .flatten();
        match into {
            Some(id) => member = get(db, id).await?,
            None => return Ok(member),
        }
    }
    tracing::error!(member_id = %member.id, "merge chain too long");
    Err(AppError::Internal)
}

/// A member's membership as a booking needs it, under its row lock.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub membership_id: MembershipId,
    pub standing: Standing,
    pub tier_id: Option<i64>,
    /// Who referred the member (their first purchase settles the referral).
    pub referred_by: Option<MemberId>,
}

/// `join_in` and `ledger::lock` together, with the tier and the referrer: one statement for
/// a member buying again (the common case), the join on a first purchase.
pub async fn enter(
    conn: &mut AnyConnection,
    member_id: MemberId,
    program_id: ProgramId,
    now: Timestamp,
) -> Result<Entry, AppError> {
    for _ in 0..2 {
        if let Some((_, entry, merged, _)) = enter_many(conn, &[(member_id, program_id)], false).await?.pop()
        {
            if merged {
                return Err(ledger::merged_away());
            }
            return Ok(entry);
        }
        join_in(conn, member_id, program_id, now).await?;
    }
    tracing::error!(%member_id, %program_id, "membership vanished after joining");
    Err(AppError::Internal)
}

/// `enter` for several (member, program) pairs, in one statement, without joining: the
/// entry of each pair that has a membership, with whether it was merged away (the caller
/// books those one by one, which joins the missing and refuses the merged). With
/// `segments`, also the segments each is in now (None when not asked), read in the same
/// statement (a booking's segment rules and campaigns ask; one round trip of the writer less
/// than a read of its own).
pub async fn enter_many(
    conn: &mut AnyConnection,
    pairs: &[(MemberId, ProgramId)],
    segments: bool,
) -> Result<Vec<((MemberId, ProgramId), Entry, bool, Option<Vec<i64>>)>, AppError> {
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
    let in_segments = match (segments, conn.backend_name()) {
        (false, _) => "CAST(NULL AS TEXT)",
        (true, "PostgreSQL") => {
            "(SELECT string_agg(CAST(s.segment_id AS TEXT), ',') FROM segment_spans s \
             WHERE s.membership_id = m.id AND s.left_at IS NULL)"
        }
        (true, _) => {
            "(SELECT group_concat(s.segment_id) FROM segment_spans s \
             WHERE s.membership_id = m.id AND s.left_at IS NULL)"
        }
    };
    let sql = format!(
        "SELECT m.member_id, m.program_id, m.id, m.balance, m.pending, m.lifetime_points, m.merged_into, \
         m.tier_id, mb.referred_by, {in_segments} FROM memberships m JOIN members mb ON mb.id = m.member_id \
         WHERE (m.member_id, m.program_id) IN (VALUES {rows}){lock}"
    );
    type Row = (
        MemberId,
        ProgramId,
        MembershipId,
        i64,
        i64,
        i64,
        Option<MembershipId>,
        Option<i64>,
        Option<MemberId>,
        Option<String>,
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
                in_segments,
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
                let segments = segments.then(|| {
                    (in_segments.iter())
                        .flat_map(|list| list.split(','))
                        .filter_map(|id| id.parse().ok())
                        .collect()
                });
                ((member_id, program_id), entry, merged_into.is_some(), segments)
            },
        )
        .collect())
}

/// Enrolls a member in a program inside the caller's transaction; joining twice is a no-op.
/// Returns the membership id. `ON CONFLICT DO NOTHING` makes concurrent first purchases of
/// one member (PostgreSQL runs them in parallel) share one membership instead of failing.
pub async fn join_in(
    conn: &mut AnyConnection,
    member_id: MemberId,
    program_id: ProgramId,
    now: Timestamp,
) -> Result<MembershipId, AppError> {
    // The common case, a member buying again, costs one read.
    if let Some(id) = find_membership(conn, member_id, program_id).await? {
        return Ok(id); // a merged member's membership is refused by `ledger::lock`
    }
    // Read under the member's row lock: a merge running now (it locks the member first)
    // either finishes before this, and is seen, or waits until this membership exists and
    // then moves it with the others.
    let merged: Option<Option<MemberId>> = sqlx::query_scalar(
        "UPDATE members SET merged_into = merged_into WHERE id = $1 RETURNING merged_into",
    )
    .bind(member_id)
    .fetch_optional(&mut *conn)
    .await?;
    match merged {
        None => {
            return Err(AppError::not_found(td_string!(
                lang::current().locale,
                errors.what.member
            )))
        }
        Some(Some(_)) => {
            return Err(AppError::try_again(td_string!(
                lang::current().locale,
                errors.members.merged_look_again
            )));
        }
        Some(None) => {}
    }
    let exists: Option<ProgramId> = sqlx::query_scalar("SELECT id FROM programs WHERE id = $1")
        .bind(program_id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Err(AppError::not_found(td_string!(
            lang::current().locale,
            errors.what.program
        )));
    }
    let joined: Option<i64> = sqlx::query_scalar(
        "INSERT INTO memberships (member_id, program_id, balance, lifetime_points, joined_at) \
         VALUES ($1, $2, 0, 0, $3) ON CONFLICT (member_id, program_id) DO NOTHING RETURNING id",
    )
    .bind(member_id)
    .bind(program_id)
    .bind(now.0)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = joined {
        crate::server::store::rollups::enqueue(conn, "join", &[id]).await?;
    }
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
    // Inserted above or by a concurrent first purchase: it exists now.
    find_membership(conn, member_id, program_id)
        .await?
        .ok_or_else(|| {
            tracing::error!(
                member = member_id.get(),
                program = program_id.get(),
                "membership missing after join"
            );
            AppError::Internal
        })
}

/// A member joins a program (on the portal): only an active one.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn join(db: &Db, member_id: MemberId, program_id: ProgramId) -> Result<(), AppError> {
    if !crate::server::store::programs::get(db, program_id).await?.active {
        return Err(AppError::ProgramInactive);
    }
    let mut tx = db.begin_write().await?;
    join_in(&mut tx, member_id, program_id, db.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// The id of a member's membership in a program.
pub async fn membership_id(
    db: &Db,
    member_id: MemberId,
    program_id: ProgramId,
) -> Result<MembershipId, AppError> {
    find_membership(&mut *db.pool.acquire().await?, member_id, program_id)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(lang::current().locale, errors.what.membership)))
}

/// The member's membership of the program, if they joined it (in the caller's connection).
pub async fn find_membership(
    conn: &mut sqlx::AnyConnection,
    member_id: MemberId,
    program_id: ProgramId,
) -> Result<Option<MembershipId>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM memberships WHERE member_id = $1 AND program_id = $2")
            .bind(member_id)
            .bind(program_id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// The member's referral code, made on first use: 8 characters, no look-alike letters.
pub async fn referral_code(db: &Db, member_id: MemberId) -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for _ in 0..5 {
        let existing: Option<Option<String>> =
            sqlx::query_scalar("SELECT referral_code FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_optional(&db.pool)
                .await?;
        match existing {
            None => {
                return Err(AppError::not_found(td_string!(
                    lang::current().locale,
                    errors.what.member
                )))
            }
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
    tracing::error!(%member_id, "could not find a free referral code in 5 tries");
    Err(AppError::Internal)
}

/// Sets (or clears, with an empty input) the member's date of birth. A change is recorded
/// with its time: a birthday is celebrated only for a date on file a month before it
/// (`birthdays::celebrated`), so changing it cannot collect the award on demand.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn set_birth_date(db: &Db, member_id: MemberId, input: &str) -> Result<Option<String>, AppError> {
    let now = db.now();
    let date = crate::domain::birthdays::parse_birth_date(input, now.date())
        .map_err(|m| AppError::field("birth_date", m))?;
    let mut tx = db.begin_write().await?;
    write_birth_date(&mut tx, member_id, date.as_deref(), now).await?;
    tx.commit().await?;
    Ok(date)
}

/// Sets the date of birth a profile does not have yet (a store's profile claimed at sign-up
/// keeps the one it has), recording when.
pub(super) async fn fill_birth_date(
    conn: &mut AnyConnection,
    member_id: MemberId,
    date: Option<&str>,
    now: Timestamp,
) -> Result<(), AppError> {
    let Some(date) = date else { return Ok(()) };
    sqlx::query(
        "UPDATE members SET birth_date = $1, birth_date_set_at = $2 WHERE id = $3 AND birth_date IS NULL",
    )
    .bind(date)
    .bind(now.0)
    .bind(member_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets (or clears) the date of birth, recording when, unless it is unchanged.
async fn write_birth_date(
    conn: &mut AnyConnection,
    member_id: MemberId,
    date: Option<&str>,
    now: Timestamp,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE members SET birth_date = $1, birth_date_set_at = $2 WHERE id = $3 \
         AND (birth_date IS NULL OR $1 IS NULL OR birth_date <> $1)",
    )
    .bind(date)
    .bind(now.0)
    .bind(member_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
