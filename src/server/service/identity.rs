//! Who an identifier names, and identifiers linked to members: the desk's search, a
//! channel's lookup (its own customer ids first, then email, card and phone), extra cards
//! and customer ids, and printed cards linked to their member (a merge of the card's
//! holder, `merges`).

use crate::domain::lang;
use crate::i18n::td_string;
use crate::model::ids::{MemberId, ProgramId, UserId};
use subtle::ConstantTimeEq;

use crate::domain::identifier::{self, IdKind};
use crate::domain::{card, phone, validate};
use crate::error::AppError;
use crate::model::card::LinkedCard;
use crate::model::member::Member;
use crate::model::member::{MemberKind, Searched};
use crate::model::rules::Channel;
use crate::server::db::Db;

use super::members::{by_column, current, get, Row};
use super::{cards, merges};
use crate::server::store::attempts;

/// Whether a lookup may create what an identifier names: a printed card's holder is made
/// on the card's first use, which is a write (an order, an action) in the card's own
/// program, never a read (nor a write in another program).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Read,
    /// A write in this program.
    Write(ProgramId),
}

/// What an identifier named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// A member, and the kind of identifier that matched.
    Member(Member, IdKind),
    /// A printed card nobody has used yet (its batch's program): a read finds no member.
    UnusedCard {
        program_id: ProgramId,
    },
    Nobody,
}

/// The member behind a card number: its own card, an extra card linked to it, or a printed
/// card it holds (made on first use when `lookup` is a write).
async fn by_card(db: &Db, number: &str, lookup: Lookup) -> Result<Named, AppError> {
    if let Some(m) = by_column(db, "card_number", number).await? {
        return Ok(Named::Member(m, IdKind::Card));
    }
    let linked: Option<MemberId> =
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
    let holder = match (cards::holder_of(db, number).await?, lookup) {
        (None, _) => return Ok(Named::Nobody),
        (Some((Some(id), _)), _) => id,
        (Some((None, batch)), Lookup::Write(program_id)) if batch == program_id => {
            match cards::holder(db, number).await? {
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

/// Desk lookup by exact email, phone or card number (as typed, normalized; a phone read in
/// each of `countries`, `domain::phone::search_forms`). Identifiers only, never names: this
/// finds the member a merge names. A read: a printed card nobody has used yet finds nobody
/// (`cards::holder_of` tells the desk so).
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn find(db: &Db, query: &str, countries: &[String]) -> Result<Vec<Member>, AppError> {
    match identifier_of(query, countries)? {
        Some(searched) => by_identifier(db, query, &searched, countries).await,
        None => Err(AppError::field(
            "query",
            td_string!(lang::current().locale, errors.identity.not_an_identifier),
        )),
    }
}

/// What a Desk search found: what it looked for, the members (a page of a name's), and
/// whether more have that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub searched: Searched,
    pub members: Vec<Member>,
    pub more: bool,
}

/// The Desk's search: an exact email, phone (read in each of `countries`) or card number,
/// else the start of a first or last name, case and accents aside ("lea mart", "Martin"),
/// `names::PAGE_SIZE` members at a time (`page` from 0). Staff only (the caller checks).
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn search(db: &Db, query: &str, countries: &[String], page: u32) -> Result<Found, AppError> {
    if let Some(searched) = identifier_of(query, countries)? {
        let members = by_identifier(db, query, &searched, countries).await?;
        return Ok(Found {
            searched,
            members,
            more: false,
        });
    }
    let q = query.trim();
    if !q.chars().any(char::is_alphabetic) {
        return Err(AppError::field(
            "query",
            td_string!(lang::current().locale, errors.identity.not_a_search),
        ));
    }
    let typed: String = q.chars().take(crate::domain::names::MAX_QUERY_CHARS).collect();
    if crate::domain::names::fold(&typed).chars().count() < crate::domain::names::MIN_QUERY_CHARS {
        return Err(AppError::field(
            "query",
            td_string!(lang::current().locale, errors.identity.two_letters),
        ));
    }
    let (members, more) = super::names::search(db, &typed, page).await?;
    Ok(Found {
        searched: Searched::Name(typed),
        members,
        more,
    })
}

/// What an identifier in a search is: an email, a card number or a phone number; None for
/// anything else (a name). An email that is not one is a field error.
fn identifier_of(query: &str, countries: &[String]) -> Result<Option<Searched>, AppError> {
    let q = query.trim();
    if q.is_empty() {
        return Err(AppError::field(
            "query",
            td_string!(lang::current().locale, errors.identity.search_required),
        ));
    }
    if q.contains('@') {
        let email = validate::email(q).map_err(|m| AppError::field("query", m))?;
        return Ok(Some(Searched::Email(email)));
    }
    if let Some(number) = card::normalize(q) {
        return Ok(Some(Searched::Card(number)));
    }
    Ok(phone::search_forms(q, countries).map(|(shown, _)| Searched::Phone(shown)))
}

/// The members an identifier names (a phone in each form it may have been kept in, read
/// from `query` as typed: the number `searched` shows is only its likeliest reading).
async fn by_identifier(
    db: &Db,
    query: &str,
    searched: &Searched,
    countries: &[String],
) -> Result<Vec<Member>, AppError> {
    let mut found: Vec<Member> = Vec::new();
    match searched {
        Searched::Email(email) => found.extend(by_column(db, "email", email).await?),
        Searched::Card(number) => {
            if let Named::Member(m, _) = by_card(db, number, Lookup::Read).await? {
                found.push(m);
            }
        }
        Searched::Phone(_) => {
            let forms = phone::search_forms(query.trim(), countries).map_or_else(Vec::new, |(_, f)| f);
            for form in forms {
                if let Some(m) = by_column(db, "phone", &form).await? {
                    if !found.iter().any(|f| f.id == m.id) {
                        found.push(m);
                    }
                }
            }
        }
        Searched::Name(_) => {}
    }
    Ok(found)
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
    // A phone kept in another form than the one typed: in E.164 when it was written
    // nationally, or nationally when it was written before phones were kept in E.164.
    if let Some((_, typed)) = candidates.iter().find(|(k, _)| *k == IdKind::Phone) {
        let program = match lookup {
            Lookup::Write(program_id) => Some(program_id),
            Lookup::Read => None,
        };
        let countries = super::phones::countries(&mut *db.pool.acquire().await?, program, None).await?;
        if let Some((_, forms)) = phone::search_forms(typed, &countries) {
            // Booked against only when one member has it in any of its forms: two readings
            // (or two members kept in two forms) name nobody rather than the wrong one.
            let mut found: Vec<Member> = Vec::new();
            for form in forms.iter().filter(|f| *f != typed) {
                if let Some(m) = by_column(db, "phone", form).await? {
                    if !found.iter().any(|f| f.id == m.id) {
                        found.push(m);
                    }
                }
            }
            match found.len() {
                1 => return Ok(Named::Member(found.remove(0), IdKind::Phone)),
                0 => {}
                n => tracing::warn!(members = n, "a phone's forms name several members: none taken"),
            }
        }
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
        Named::UnusedCard { .. } | Named::Nobody => Err(AppError::not_found(td_string!(
            lang::current().locale,
            errors.what.member
        ))),
    }
}

/// `identify` for a write in `program_id` (a printed card of that program's first use makes
/// its holder), the member only.
pub async fn resolve(
    db: &Db,
    identifier: &str,
    channel: Channel,
    program_id: ProgramId,
) -> Result<Member, AppError> {
    identify(db, identifier, channel, Lookup::Write(program_id))
        .await
        .map(|(m, _)| m)
}

/// The identifier kind of a channel's own customer ids.
fn external_kind(channel: Channel) -> String {
    format!("external:{}", channel.as_str())
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
    member_id: MemberId,
    channel: Channel,
    kind: &str,
    value: &str,
    security_code: Option<&str>,
    only_program: Option<ProgramId>,
) -> Result<(), AppError> {
    let (kind, value) = match kind {
        "card" => (
            "card".to_string(),
            card::normalize(value).ok_or_else(|| {
                AppError::field(
                    "value",
                    td_string!(lang::current().locale, errors.identifier.card_number),
                )
            })?,
        ),
        "external" => (
            external_kind(channel),
            identifier::external(value).map_err(|m| AppError::field("value", m))?,
        ),
        _ => {
            return Err(AppError::field(
                "kind",
                td_string!(lang::current().locale, errors.identity.card_or_external),
            ))
        }
    };
    get(db, member_id).await?;
    if kind == "card" {
        if cards::holder_of(db, &value).await?.is_some() {
            // A printed card: linking it brings over what was collected on it.
            let security_code = security_code.map(str::trim).filter(|c| !c.is_empty());
            if security_code.is_none() && !channel.in_person() {
                return Err(AppError::field(
                    "security_code",
                    td_string!(lang::current().locale, errors.identity.security_code_required),
                ));
            }
            return link_card_for(db, &value, member_id, security_code, None, only_program)
                .await
                .map(|_| ());
        }
        // Another member's own card number is theirs.
        match by_column(db, "card_number", &value).await? {
            Some(m) if m.id == member_id => return Ok(()),
            Some(_) => {
                return Err(AppError::conflict(td_string!(
                    lang::current().locale,
                    errors.identity.belongs_to_another
                )))
            }
            None => {}
        }
    }
    let mut tx = db.begin_write().await?;
    let inserted: Option<MemberId> = sqlx::query_scalar(
        "INSERT INTO member_identifiers (member_id, kind, value, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, value) DO NOTHING RETURNING member_id",
    )
    .bind(member_id)
    .bind(&kind)
    .bind(&value)
    .bind(db.now().0)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    match inserted {
        Some(_) => Ok(()),
        None => {
            let owner: Option<MemberId> =
                sqlx::query_scalar("SELECT member_id FROM member_identifiers WHERE kind = $1 AND value = $2")
                    .bind(&kind)
                    .bind(&value)
                    .fetch_optional(&db.pool)
                    .await?;
            if owner == Some(member_id) {
                Ok(())
            } else {
                Err(AppError::conflict(td_string!(
                    lang::current().locale,
                    errors.identity.belongs_to_another
                )))
            }
        }
    }
}

/// Links a printed card to a registered member. What was collected on the card (points,
/// pending points, stamps, open rewards) moves to the member by a merge, which staff can
/// reverse. A member linking online proves they hold the card with its security code; staff
/// at the desk see the card. Linking a card twice to the same member changes nothing.
#[tracing::instrument(skip(db, security_code), err(level = "debug"))]
pub async fn link_card(
    db: &Db,
    number: &str,
    member_id: MemberId,
    security_code: Option<&str>,
    by: Option<UserId>,
) -> Result<LinkedCard, AppError> {
    link_card_for(db, number, member_id, security_code, by, None).await
}

/// `link` for a caller bound to one program (`only_program`, a channel key of that
/// program): it may only bring over a card of that program's batch whose holder has points,
/// stamps or rewards in no other program (a merge moves every program's).
pub async fn link_card_for(
    db: &Db,
    number: &str,
    member_id: MemberId,
    security_code: Option<&str>,
    by: Option<UserId>,
    only_program: Option<ProgramId>,
) -> Result<LinkedCard, AppError> {
    let number = card::normalize(number).ok_or_else(|| {
        AppError::field(
            "card_number",
            td_string!(lang::current().locale, errors.identifier.card_number),
        )
    })?;
    let code: Option<String> = sqlx::query_scalar("SELECT security_code FROM cards WHERE number = $1")
        .bind(&number)
        .fetch_optional(&db.pool)
        .await?;
    let Some(code) = code else {
        return Err(AppError::field(
            "card_number",
            td_string!(lang::current().locale, errors.identity.not_our_card),
        ));
    };
    // A caller of one program learns nothing about another program's cards, codes included:
    // they are answered as numbers that are no printed card at all.
    if let Some(program_id) = only_program {
        if cards::holder_of(db, &number)
            .await?
            .is_some_and(|(_, batch)| batch != program_id)
        {
            return Err(AppError::field(
                "card_number",
                td_string!(lang::current().locale, errors.identity.not_our_card),
            ));
        }
    }
    if let Some(given) = security_code {
        check_security_code(db, &number, &code, given).await?;
    }
    let member = get(db, member_id).await?;
    if member.kind != MemberKind::Registered {
        return Err(AppError::field(
            "card_number",
            td_string!(lang::current().locale, errors.identity.registered_only),
        ));
    }
    let holder_id = cards::holder(db, &number)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(lang::current().locale, errors.what.card)))?;
    let holder = current(db, get(db, holder_id).await?).await?;
    if holder.id == member_id {
        mark_linked(db, &number).await?; // a retry of a link whose last step did not run
        return Ok(LinkedCard {
            card_number: number,
            points: 0,
            stamps: 0,
            merge_id: None,
        });
    }
    if holder.id != holder_id || holder.kind != MemberKind::Card {
        return Err(AppError::conflict(td_string!(
            lang::current().locale,
            errors.identity.card_taken
        )));
    }
    let reason = format!("Card {} linked", card::grouped(&number));
    let merged = merges::merge_for(db, holder_id, member_id, &reason, by, only_program).await?;
    mark_linked(db, &number).await?;
    Ok(LinkedCard {
        card_number: number,
        points: merged.points,
        stamps: merged.stamps,
        merge_id: Some(merged.id),
    })
}

/// Compares a security code typed for a card under the card's row lock, so guesses at one
/// card, however many at once, are counted one by one (`attempts`): a few wrong ones lock
/// the card for a while, for every caller.
async fn check_security_code(db: &Db, number: &str, code: &str, given: &str) -> Result<(), AppError> {
    let now = db.now();
    let subject = format!("card:{number}");
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE cards SET member_id = member_id WHERE number = $1")
        .bind(number)
        .execute(&mut *tx)
        .await?;
    attempts::check(&mut tx, &subject, now).await?;
    // Typed on an Arabic keyboard, the code's digits are read as 0-9.
    let given = crate::domain::validate::typed_number(given);
    if !bool::from(given.trim().as_bytes().ct_eq(code.as_bytes())) {
        attempts::failed(&mut tx, &subject, now).await?;
        tx.commit().await?;
        return Err(AppError::field(
            "security_code",
            td_string!(lang::current().locale, errors.identity.security_code_wrong),
        ));
    }
    attempts::succeeded(&mut tx, &subject).await?;
    tx.commit().await?;
    Ok(())
}

/// Records when the card was linked (kept from the first link).
async fn mark_linked(db: &Db, number: &str) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE cards SET linked_at = $1 WHERE number = $2 AND linked_at IS NULL")
        .bind(db.now().0)
        .bind(number)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
