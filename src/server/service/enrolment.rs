//! Members enrolled in bulk: the demo data generator, and a brand's past customers loaded
//! from a file. Profiles without a sign-in (a member claims the account later), each with a
//! card number, searchable by name, a membership in the entry tier with the channel and
//! store it was made in, and the referrer: a few statements per thousand members, in the
//! caller's transaction. Unlike `members::enrol` it announces no `member.created` (loading
//! a million past customers is not a million sign-ups a subscriber should hear of).

use rand::Rng;
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments};

use crate::domain::lang::current;
use crate::domain::{card, names};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::{MemberId, MembershipId, ProgramId};
use crate::model::rules::Channel;
use crate::model::time::Timestamp;
use crate::server::db::{params, values};

/// One member to enrol.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub name: String,
    pub email: Option<String>,
    pub referred_by: Option<MemberId>,
    pub joined_at: Timestamp,
    pub channel: Channel,
    pub store_id: Option<i64>,
    /// Given at joining: recorded as set then.
    pub birth_date: Option<chrono::NaiveDate>,
}

/// Rows per statement: 8 values a member, well under SQLite's 32,766 parameters.
const CHUNK: usize = 1_000;

/// Enrols `members` in the program, in order: each one's member and membership id. Card
/// numbers are drawn from `rng`; one already taken is drawn again.
pub async fn enrol_many(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    members: &[NewMember],
    rng: &mut impl Rng,
) -> Result<Vec<(MemberId, MembershipId)>, AppError> {
    let entry_tier: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM tiers WHERE program_id = $1 AND threshold_points <= 0 \
         ORDER BY threshold_points DESC LIMIT 1",
    )
    .bind(program_id)
    .fetch_optional(&mut *conn)
    .await?;
    emails_free(conn, members).await?;
    let mut out = Vec::with_capacity(members.len());
    for chunk in members.chunks(CHUNK) {
        let ids = insert_profiles(conn, chunk, rng).await?;
        index_names(conn, chunk, &ids).await?;
        let memberships = insert_memberships(conn, program_id, entry_tier, chunk, &ids).await?;
        out.extend(ids.into_iter().zip(memberships));
    }
    Ok(out)
}

/// Refuses the whole batch when an e-mail address is given twice in it or belongs to a
/// member already (a unique violation would abort the caller's transaction on PostgreSQL).
async fn emails_free(conn: &mut AnyConnection, members: &[NewMember]) -> Result<(), AppError> {
    let emails: Vec<&str> = members.iter().filter_map(|m| m.email.as_deref()).collect();
    let mut seen = std::collections::HashSet::with_capacity(emails.len());
    if let Some(twice) = emails.iter().find(|e| !seen.insert(**e)) {
        tracing::debug!(email = twice, "an e-mail address given to two members");
        return Err(email_taken());
    }
    for chunk in emails.chunks(CHUNK) {
        let sql = format!(
            "SELECT email FROM members WHERE email IN ({})",
            params(1, chunk.len())
        );
        let mut taken = sqlx::query_scalar::<_, String>(&sql);
        for e in chunk {
            taken = taken.bind(*e);
        }
        if let Some(e) = taken.fetch_optional(&mut *conn).await? {
            tracing::debug!(email = e, "an e-mail address of another member");
            return Err(email_taken());
        }
    }
    Ok(())
}

fn email_taken() -> AppError {
    AppError::field("email", td_string!(current().locale, errors.members.email_taken))
}

/// The profiles, each with a free card number: their ids, in order.
async fn insert_profiles(
    conn: &mut AnyConnection,
    members: &[NewMember],
    rng: &mut impl Rng,
) -> Result<Vec<MemberId>, AppError> {
    let mut ids: Vec<Option<MemberId>> = vec![None; members.len()];
    // A card number taken (by a member before, or drawn twice) leaves its row out; those
    // rows draw again. Five rounds is a chance of 1e-50 at a million members.
    for _ in 0..5 {
        let left: Vec<usize> = (0..members.len()).filter(|&i| ids[i].is_none()).collect();
        if left.is_empty() {
            break;
        }
        let cards: Vec<String> = left
            .iter()
            .map(|_| card::from_random(rng.gen_range(0..10_000_000_000u64)))
            .collect();
        let sql = format!(
            "INSERT INTO members (name, email, card_number, referred_by, kind, created_at, birth_date, \
             birth_date_set_at) VALUES {} ON CONFLICT (card_number) DO NOTHING RETURNING id, card_number",
            values(left.len(), 8)
        );
        let mut args = AnyArguments::default();
        for (&i, card) in left.iter().zip(&cards) {
            let m = &members[i];
            let mut add = || {
                args.add(m.name.as_str())?;
                args.add(m.email.as_deref())?;
                args.add(card.as_str())?;
                args.add(m.referred_by)?;
                args.add("registered")?;
                args.add(m.joined_at.0)?;
                args.add(m.birth_date.map(|d| d.format("%Y-%m-%d").to_string()))?;
                args.add(m.birth_date.map(|_| m.joined_at.0))
            };
            add().map_err(sqlx::Error::Encode)?;
        }
        let rows: Vec<(MemberId, String)> = sqlx::query_as_with(&sql, args).fetch_all(&mut *conn).await?;
        // Two rows of one statement with the same number: only one was inserted.
        let by_card: std::collections::HashMap<&str, usize> =
            cards.iter().enumerate().map(|(k, c)| (c.as_str(), k)).collect();
        for (id, number) in rows {
            if let Some(&k) = by_card.get(number.as_str()) {
                ids[left[k]] = Some(id);
            }
        }
    }
    ids.into_iter()
        .map(|id| {
            id.ok_or_else(|| {
                tracing::error!("no free card number in 5 draws");
                AppError::Internal
            })
        })
        .collect()
}

/// The name keys the Desk searches by (`names::index` for many).
async fn index_names(
    conn: &mut AnyConnection,
    members: &[NewMember],
    ids: &[MemberId],
) -> Result<(), AppError> {
    let keys: Vec<(String, MemberId)> = members
        .iter()
        .zip(ids)
        .flat_map(|(m, id)| names::tails(&m.name).into_iter().map(move |t| (t, *id)))
        .collect();
    for chunk in keys.chunks(CHUNK * 4) {
        let sql = format!(
            "INSERT INTO member_name_keys (tail, member_id) VALUES {} ON CONFLICT DO NOTHING",
            values(chunk.len(), 2)
        );
        let mut insert = sqlx::query(&sql);
        for (tail, id) in chunk {
            insert = insert.bind(tail.as_str()).bind(id);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The memberships, in the entry tier: their ids, in order.
async fn insert_memberships(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    entry_tier: Option<i64>,
    members: &[NewMember],
    ids: &[MemberId],
) -> Result<Vec<MembershipId>, AppError> {
    let sql = format!(
        "INSERT INTO memberships (member_id, program_id, balance, lifetime_points, joined_at, tier_id, \
         joined_channel, joined_store_id) VALUES {} RETURNING id, member_id",
        values(members.len(), 8)
    );
    let mut args = AnyArguments::default();
    for (m, id) in members.iter().zip(ids) {
        let mut add = || {
            args.add(*id)?;
            args.add(program_id)?;
            args.add(0i64)?;
            args.add(0i64)?;
            args.add(m.joined_at.0)?;
            args.add(entry_tier)?;
            args.add(m.channel.as_str())?;
            args.add(m.store_id)
        };
        add().map_err(sqlx::Error::Encode)?;
    }
    let rows: Vec<(MembershipId, MemberId)> = sqlx::query_as_with(&sql, args).fetch_all(&mut *conn).await?;
    let joined: Vec<i64> = rows.iter().map(|(m, _)| m.get()).collect();
    crate::server::store::rollups::enqueue(conn, "join", &joined).await?;
    let by_member: std::collections::HashMap<MemberId, MembershipId> =
        rows.into_iter().map(|(m, id)| (id, m)).collect();
    ids.iter()
        .map(|id| {
            by_member.get(id).copied().ok_or_else(|| {
                tracing::error!(member_id = %id, "an enrolled member has no membership");
                AppError::Internal
            })
        })
        .collect()
}
