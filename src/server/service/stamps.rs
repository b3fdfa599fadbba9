//! Stamp cards, a second kind of balance: purchases (or a paper card typed in at the desk)
//! add stamps, and a full card issues its reward and starts again. Every change is an
//! append-only movement next to the balance it leaves, written in one transaction.

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::{MembershipId, ProgramId, UserId};
use sqlx::AnyConnection;

use crate::domain::campaigns::ArmRange;
use crate::error::{count, AppError, Validator};
use crate::model::card::{PaperStampsInput, StampCard, StampCardInput, StampReceipt};
use crate::model::ledger::TxKind;
use crate::model::order::OrderInput;
use crate::model::rules::Channel;
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::service::ledger::{self, Meta};

const CARD_SELECT: &str =
    "SELECT s.id, s.program_id, s.name, s.stamps_required, s.reward_id, r.name AS reward_name, \
     s.sku, s.category, s.min_amount_minor, s.active FROM stamp_cards s JOIN rewards r ON r.id = s.reward_id";

/// A program's stamp cards (active ones first).
pub async fn list(db: &Db, program_id: ProgramId) -> Result<Vec<StampCard>, AppError> {
    Ok(sqlx::query_as(&format!(
        "{CARD_SELECT} WHERE s.program_id = $1 ORDER BY s.active DESC, s.name"
    ))
    .bind(program_id)
    .fetch_all(&db.pool)
    .await?)
}

async fn card(conn: &mut AnyConnection, id: i64) -> Result<StampCard, AppError> {
    sqlx::query_as(&format!("{CARD_SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.stamp_card)))
}

fn optional_code(v: &mut Validator, field: &str, input: &str) -> Option<String> {
    let t = input.trim();
    if t.is_empty() {
        return None;
    }
    if t.len() > 64 || !t.chars().all(|c| c.is_ascii_graphic()) {
        let lang = current();
        v.add(
            field,
            td_string!(lang.locale, errors.stamps.code, n = count(lang, 64)).to_string(),
        );
        return None;
    }
    Some(t.to_string())
}

/// Adds a stamp card to a program.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn save(db: &Db, input: &StampCardInput) -> Result<StampCard, AppError> {
    let program = crate::server::store::programs::get(db, input.program_id).await?;
    let mut v = Validator::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        let lang = current();
        v.add(
            "name",
            td_string!(
                lang.locale,
                errors.stamps.card_name,
                min = count(lang, 1),
                max = count(lang, 60)
            )
            .to_string(),
        );
    }
    let required = v.check(
        "stamps_required",
        crate::domain::validate::typed_number(&input.stamps_required)
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (2..=100).contains(n))
            .ok_or_else(|| {
                let lang = current();
                td_string!(
                    lang.locale,
                    errors.stamps.stamps_required,
                    min = count(lang, 2),
                    max = count(lang, 100)
                )
                .to_string()
            }),
    );
    let reward_id = input.reward_id.trim().parse::<i64>().ok();
    let rewards = super::rewards::list(db, program.id).await?;
    if !reward_id.is_some_and(|id| rewards.iter().any(|r| r.id == id && r.active)) {
        v.add(
            "reward_id",
            td_string!(current().locale, errors.stamps.choose_active_reward),
        );
    }
    let sku = optional_code(&mut v, "sku", &input.sku);
    let category = optional_code(&mut v, "category", &input.category);
    if sku.is_some() && category.is_some() {
        v.add(
            "category",
            td_string!(current().locale, errors.stamps.product_or_category),
        );
    }
    let min_amount = if input.min_amount.trim().is_empty() {
        Some(0)
    } else {
        v.check(
            "min_amount",
            crate::domain::validate::amount(&input.min_amount, &program.currency_code),
        )
    };
    v.finish()?;
    let mut tx = db.begin_write().await?;
    let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO stamp_cards (program_id, name, stamps_required, reward_id, sku, category, min_amount_minor, \
         active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) RETURNING id",
    )
    .bind(program.id)
    .bind(name)
    .bind(required.unwrap_or(10))
    .bind(reward_id)
    .bind(&sku)
    .bind(&category)
    .bind(min_amount.unwrap_or(0))
    .bind(db.now().0)
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e)
            if crate::server::db::is_unique_violation(
                &e,
                "stamp_cards_program_name",
                "stamp_cards.program_id",
            ) =>
        {
            return Err(AppError::field(
                "name",
                td_string!(current().locale, errors.stamps.name_taken),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let saved = card(&mut tx, id).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Stops a card collecting stamps; stamps already collected stay visible.
pub async fn deactivate(db: &Db, program_id: ProgramId, id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    // A campaign that has not ended gives (or will give) stamps on it.
    let now = db.now();
    for c in crate::server::store::campaigns::not_ended(&mut tx, program_id.0, now).await? {
        if c.variants.iter().any(|v| v.incentive.stamp_card() == Some(id)) {
            return Err(AppError::conflict(
                td_string!(current().locale, errors.stamps.in_campaign, name = c.name.clone()).to_string(),
            ));
        }
    }
    let n = sqlx::query("UPDATE stamp_cards SET active = 0 WHERE id = $1 AND program_id = $2")
        .bind(id)
        .bind(program_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    if n == 0 {
        return Err(AppError::not_found(td_string!(
            current().locale,
            errors.what.stamp_card
        )));
    }
    Ok(())
}

/// One movement of stamps on a member's card, as appended.
#[derive(Clone, Copy)]
struct Movement<'a> {
    kind: &'a str,
    /// Added (or, negative, taken).
    stamps: i64,
    reference: Option<&'a str>,
    /// Counts it once (an order's stamps on a card, a paper card, a return).
    dedup_key: Option<&'a str>,
    issued_reward_id: Option<i64>,
    /// The campaign that gave them (once per member: a unique index).
    campaign_id: Option<i64>,
    by: Option<UserId>,
    at: Timestamp,
}

impl<'a> Movement<'a> {
    fn new(kind: &'a str, stamps: i64, by: Option<UserId>, at: Timestamp) -> Self {
        Movement {
            kind,
            stamps,
            reference: None,
            dedup_key: None,
            issued_reward_id: None,
            campaign_id: None,
            by,
            at,
        }
    }
}

/// Adds (or with a negative count, takes) stamps and appends the movement. Returns the
/// stamps after. The caller holds the membership lock.
async fn apply(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
    card_id: i64,
    m: &Movement<'_>,
) -> Result<i64, AppError> {
    // Adding may create the row; taking only updates it (the CHECK refuses a negative new row).
    let sql = if m.stamps >= 0 {
        "INSERT INTO stamp_balances (membership_id, stamp_card_id, stamps) VALUES ($1, $2, $3) \
         ON CONFLICT (membership_id, stamp_card_id) DO UPDATE SET stamps = stamp_balances.stamps + excluded.stamps \
         RETURNING stamps"
    } else {
        "UPDATE stamp_balances SET stamps = stamps + $3 WHERE membership_id = $1 AND stamp_card_id = $2 RETURNING stamps"
    };
    let after: i64 = sqlx::query_scalar(sql)
        .bind(membership_id)
        .bind(card_id)
        .bind(m.stamps)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO stamp_movements (membership_id, stamp_card_id, kind, stamps, stamps_after, reference, dedup_key, \
         issued_reward_id, campaign_id, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(membership_id)
    .bind(card_id)
    .bind(m.kind)
    .bind(m.stamps)
    .bind(after)
    .bind(m.reference)
    .bind(m.dedup_key)
    .bind(m.issued_reward_id)
    .bind(m.campaign_id)
    .bind(m.by)
    .bind(m.at.0)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        // Two desks entering one paper card at once: the second is told it was counted.
        if crate::server::db::is_unique_violation(&e, "stamp_movements_dedup_key_key", "stamp_movements.dedup_key") {
            AppError::conflict(td_string!(current().locale, errors.stamps.already_counted))
        } else {
            e.into()
        }
    })?;
    Ok(after)
}

/// Adds stamps once per `m.dedup_key`, then turns every full card into its reward. When the
/// reward is out of stock the stamps stay and the card fills again later.
async fn add(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
    card: &StampCard,
    m: &Movement<'_>,
) -> Result<StampReceipt, AppError> {
    let seen: Option<i64> =
        sqlx::query_scalar("SELECT stamps_after FROM stamp_movements WHERE dedup_key = $1")
            .bind(m.dedup_key)
            .fetch_optional(&mut *conn)
            .await?;
    if seen.is_some() {
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.stamps.already_counted
        )));
    }
    let mut now_stamps = apply(conn, membership_id, card.id, m).await?;
    let mut codes = Vec::new();
    while now_stamps >= card.stamps_required {
        let reward = super::rewards::get(conn, card.reward_id).await?;
        let pool_empty = reward.uses_pool && {
            let free: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM reward_pool_codes WHERE reward_id = $1 AND issued_id IS NULL LIMIT 1",
            )
            .bind(reward.id)
            .fetch_optional(&mut *conn)
            .await?;
            free.is_none()
        };
        if !reward.active || pool_empty || !super::rewards::take_stock(conn, reward.id).await? {
            tracing::warn!(
                card = card.id,
                reward = reward.id,
                "stamp card full but its reward is unavailable"
            );
            break;
        }
        // The reward costs no points; the zero-point transaction keeps it in the ledger's history.
        let description = format!("{} full: {}", card.name, reward.name);
        let meta = Meta {
            reference: Some(&card.name),
            recorded_by: m.by,
            ..Meta::new(TxKind::Stamps, "store", &description)
        };
        let issued =
            super::rewards::issue_free(conn, card.program_id, membership_id, &reward, &meta, m.at).await?;
        let spent = Movement {
            reference: Some(&reward.name),
            issued_reward_id: Some(issued.id),
            ..Movement::new("reward", -card.stamps_required, m.by, m.at)
        };
        now_stamps = apply(conn, membership_id, card.id, &spent).await?;
        let member_id = super::ledger::member_of(conn, membership_id).await?;
        super::rewards::announce_issued(conn, member_id, card.program_id, &reward, &issued, m.at).await?;
        codes.push(issued.code);
    }
    Ok(StampReceipt {
        stamp_card_id: card.id,
        name: card.name.clone(),
        added: m.stamps,
        stamps: now_stamps,
        stamps_required: card.stamps_required,
        rewards: codes,
    })
}

/// A launched campaign's variant that gives stamps, as bookings read it with the program's
/// setup (`campaigns::stamp_bonuses`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampBonus {
    pub campaign_id: i64,
    pub segment_id: i64,
    /// Empty: every channel.
    pub channels: Vec<Channel>,
    pub starts_at: Timestamp,
    /// Its end, or when it was stopped.
    pub ends_at: Timestamp,
    /// The variant's members.
    pub arm: ArmRange,
    pub stamp_card_id: i64,
    pub stamps: i64,
    pub min_order_minor: i64,
}

impl StampBonus {
    /// Whether a purchase made at `at` falls within its dates.
    pub fn open_at(&self, at: Timestamp) -> bool {
        (self.starts_at..self.ends_at).contains(&at)
    }

    /// Whether the order earns it (before the once-per-member check): made within its dates
    /// (`at`, as the campaign's points rules read them), in its channels, large enough, by a
    /// member of its segment in its variant.
    pub fn applies(
        &self,
        membership_id: MembershipId,
        segments: &[i64],
        input: &OrderInput,
        at: Timestamp,
    ) -> bool {
        self.open_at(at)
            && (self.channels.is_empty() || self.channels.contains(&input.channel))
            && input.amount_minor > 0
            && input.amount_minor >= self.min_order_minor
            && segments.contains(&self.segment_id)
            && self.arm.holds(membership_id.get())
    }
}

/// Whether a campaign gave the membership its stamps.
pub async fn campaign_gave(
    conn: &mut AnyConnection,
    campaign_id: i64,
    membership_id: i64,
) -> Result<bool, AppError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM stamp_movements WHERE campaign_id = $1 AND membership_id = $2")
            .bind(campaign_id)
            .bind(membership_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// The stamps a campaign gave, per membership.
pub async fn campaign_given(conn: &mut AnyConnection, campaign_id: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT membership_id, stamps FROM stamp_movements WHERE campaign_id = $1 ORDER BY membership_id",
    )
    .bind(campaign_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// What a full card's reward is worth in money (minor units; 0 for a reward without a money
/// value) and how many stamps fill the card.
pub async fn stamp_value(conn: &mut AnyConnection, card_id: i64) -> Result<(i64, i64), AppError> {
    let card = card(conn, card_id).await?;
    let reward = super::rewards::get(conn, card.reward_id).await?;
    let value = if reward.kind.value_is_money() {
        reward.value
    } else {
        0
    };
    Ok((value, card.stamps_required))
}

/// A stamp card's name (empty when there is no such card).
pub async fn name_of(conn: &mut AnyConnection, id: i64) -> Result<String, AppError> {
    Ok(sqlx::query_scalar("SELECT name FROM stamp_cards WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_default())
}

/// The program's active stamp cards.
pub async fn active_cards(
    conn: &mut AnyConnection,
    program_id: ProgramId,
) -> Result<Vec<StampCard>, AppError> {
    Ok(sqlx::query_as(&format!(
        "{CARD_SELECT} WHERE s.program_id = $1 AND s.active = 1 ORDER BY s.id"
    ))
    .bind(program_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// An order being booked, as its stamps need it.
pub struct StampedOrder<'a> {
    pub membership_id: MembershipId,
    /// The segments the member is in now (read when a campaign gives stamps).
    pub segments: &'a [i64],
    pub order_row: i64,
    pub input: &'a OrderInput,
    pub by: Option<UserId>,
    /// When it is booked.
    pub at: Timestamp,
    /// When the purchase was made (a till may send it late): what a campaign's dates hold.
    pub occurred: Timestamp,
}

/// Stamps an order earns on `cards` (the program's active ones), inside the order's
/// transaction: one per matching item, or one per order of at least the card's minimum,
/// counted once per order; then any campaign's bonus stamps (`bonuses`), once per member and
/// campaign. One receipt per card.
pub async fn for_order(
    conn: &mut AnyConnection,
    cards: &[StampCard],
    bonuses: &[StampBonus],
    o: &StampedOrder<'_>,
) -> Result<Vec<StampReceipt>, AppError> {
    let mut out = Vec::new();
    for card in cards {
        let input = o.input;
        // Only paid items count, and one order fills the card at most twice (a line of
        // 10,000 free coffees must not print 1,000 rewards).
        let paid = input.lines.iter().filter(|l| l.amount_minor > 0);
        let count: i64 = match (&card.sku, &card.category) {
            (Some(sku), _) => paid.filter(|l| &l.sku == sku).map(|l| l.quantity.max(0)).sum(),
            (None, Some(cat)) => paid
                .filter(|l| l.category.as_ref() == Some(cat))
                .map(|l| l.quantity.max(0))
                .sum(),
            (None, None) => i64::from(input.amount_minor > 0 && input.amount_minor >= card.min_amount_minor),
        };
        let count = count.min(card.stamps_required * 2);
        let mut receipt: Option<StampReceipt> = None;
        if count > 0 {
            let key = format!("order:{}:{}", o.order_row, card.id);
            let m = Movement {
                reference: Some(&input.channel_order_id),
                dedup_key: Some(&key),
                ..Movement::new("order", count, o.by, o.at)
            };
            receipt = Some(add(conn, o.membership_id, card, &m).await?);
        }
        for bonus in bonuses.iter().filter(|b| b.stamp_card_id == card.id) {
            if !bonus.applies(o.membership_id, o.segments, input, o.occurred)
                || campaign_gave(conn, bonus.campaign_id, o.membership_id.get()).await?
            {
                continue;
            }
            // Under the order's key, so a return takes them back in proportion and a replayed
            // receipt shows them.
            let key = format!("order:{}:{}:campaign:{}", o.order_row, card.id, bonus.campaign_id);
            let m = Movement {
                reference: Some(&input.channel_order_id),
                dedup_key: Some(&key),
                campaign_id: Some(bonus.campaign_id),
                ..Movement::new("campaign", bonus.stamps, o.by, o.at)
            };
            let more = add(conn, o.membership_id, card, &m).await?;
            match &mut receipt {
                Some(r) => r.then(more),
                None => receipt = Some(more),
            }
        }
        out.extend(receipt);
    }
    Ok(out)
}

/// The keys starting with `prefix`, as a range an index can serve (LIKE cannot: it is
/// case-insensitive on SQLite and collation-bound on PostgreSQL). Prefixes end in ':', and
/// ';' is the next character.
pub fn key_range(prefix: &str) -> (String, String) {
    let upper = match prefix.strip_suffix(':') {
        Some(stem) => format!("{stem};"),
        None => format!("{prefix}\u{10FFFF}"),
    };
    (prefix.to_string(), upper)
}

/// A return takes back the order's stamps in proportion to what was refunded so far
/// (`returned` of `amount`), as far as the member still has them.
pub async fn for_return(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
    order_row: i64,
    (returned, amount): (i64, i64),
    return_id: &str,
    at: Timestamp,
) -> Result<(), AppError> {
    let (from, to) = key_range(&format!("order:{order_row}:"));
    let given: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT stamp_card_id, CAST(SUM(stamps) AS BIGINT) FROM stamp_movements \
         WHERE dedup_key >= $1 AND dedup_key < $2 GROUP BY stamp_card_id ORDER BY stamp_card_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    for (card_id, stamps) in given {
        let due = if amount <= 0 {
            stamps
        } else {
            ((stamps as i128 * returned.min(amount) as i128) / amount as i128) as i64
        };
        let (from, to) = key_range(&format!("return:{order_row}:{card_id}:"));
        let taken: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(-SUM(stamps), 0) AS BIGINT) FROM stamp_movements \
             WHERE dedup_key >= $1 AND dedup_key < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
        let have: i64 = sqlx::query_scalar(
            "SELECT stamps FROM stamp_balances WHERE membership_id = $1 AND stamp_card_id = $2",
        )
        .bind(membership_id)
        .bind(card_id)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(0);
        let take = (due - taken).min(have);
        if take > 0 {
            let key = format!("return:{order_row}:{card_id}:{return_id}");
            let m = Movement {
                reference: Some(return_id),
                dedup_key: Some(&key),
                ..Movement::new("return", -take, None, at)
            };
            apply(conn, membership_id, card_id, &m).await?;
        }
    }
    Ok(())
}

/// What an order's stamps came to, for a replayed receipt.
pub async fn receipts_for_order(
    conn: &mut AnyConnection,
    order_row: i64,
) -> Result<Vec<StampReceipt>, AppError> {
    let (from, to) = key_range(&format!("order:{order_row}:"));
    let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT m.stamp_card_id, c.name, m.stamps, m.stamps_after, c.stamps_required \
         FROM stamp_movements m JOIN stamp_cards c ON c.id = m.stamp_card_id \
         WHERE m.dedup_key >= $1 AND m.dedup_key < $2 ORDER BY m.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    // One per card, as the booking answered: the order's own stamps and a campaign's, which
    // follow them on the same card.
    let mut out: Vec<StampReceipt> = Vec::new();
    for (stamp_card_id, name, added, stamps, stamps_required) in rows {
        let r = StampReceipt {
            stamp_card_id,
            name,
            added,
            stamps,
            stamps_required,
            rewards: Vec::new(),
        };
        match out.last_mut() {
            Some(last) if last.stamp_card_id == stamp_card_id => last.then(r),
            _ => out.push(r),
        }
    }
    Ok(out)
}

/// Stamps from a paper card, typed in at the desk. The paper card's serial counts once.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn add_paper(
    db: &Db,
    input: &PaperStampsInput,
    by: Option<UserId>,
) -> Result<StampReceipt, AppError> {
    let now = db.now();
    let card = card(&mut *db.pool.acquire().await?, input.stamp_card_id).await?;
    let mut v = Validator::new();
    let stamps = v.check(
        "stamps",
        crate::domain::validate::typed_number(&input.stamps)
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=card.stamps_required * 5).contains(n))
            .ok_or_else(|| {
                let lang = current();
                td_string!(
                    lang.locale,
                    errors.stamps.paper_stamps,
                    min = count(lang, 1),
                    max = count(lang, card.stamps_required * 5)
                )
                .to_string()
            }),
    );
    let serial = crate::domain::validate::typed_number(&input.paper_serial);
    let serial = serial.trim();
    if serial.is_empty() || serial.chars().count() > 40 {
        let lang = current();
        v.add(
            "paper_serial",
            td_string!(
                lang.locale,
                errors.stamps.paper_serial,
                min = count(lang, 1),
                max = count(lang, 40)
            )
            .to_string(),
        );
    }
    v.finish()?;
    if !card.active {
        return Err(AppError::field(
            "stamp_card_id",
            td_string!(current().locale, errors.stamps.card_retired),
        ));
    }
    super::members::get(db, input.member_id).await?;
    let program = crate::server::store::programs::active(db, card.program_id).await?;
    let mut tx = db.begin_write().await?;
    let membership_id = super::members::join_in(&mut tx, input.member_id, program.id, now).await?;
    ledger::lock(&mut tx, membership_id).await?;
    let key = format!("paper:{}:{}", card.id, serial.to_uppercase());
    let reference = format!("Paper card {serial}");
    let m = Movement {
        reference: Some(&reference),
        dedup_key: Some(&key),
        ..Movement::new("paper", stamps.unwrap_or(0), by, now)
    };
    let receipt = add(&mut tx, membership_id, &card, &m)
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => AppError::field(
                "paper_serial",
                td_string!(current().locale, errors.stamps.paper_counted),
            ),
            e => e,
        })?;
    tx.commit().await?;
    Ok(receipt)
}

/// Moves stamps between two locked memberships (merges and their reversal).
#[allow(clippy::too_many_arguments)]
pub async fn move_stamps(
    conn: &mut AnyConnection,
    card_id: i64,
    from: MembershipId,
    to: MembershipId,
    stamps: i64,
    reference: &str,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<(), AppError> {
    if stamps <= 0 {
        return Ok(());
    }
    let taken = Movement {
        reference: Some(reference),
        ..Movement::new("merge", -stamps, by, at)
    };
    apply(conn, from, card_id, &taken).await?;
    apply(conn, to, card_id, &Movement { stamps, ..taken }).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::key_range;

    #[test]
    fn key_ranges_hold_exactly_the_keys_with_the_prefix() {
        let (from, to) = key_range("order:5:");
        let inside = |k: &str| k >= from.as_str() && k < to.as_str();
        assert!(inside("order:5:1"));
        assert!(inside("order:5:12"));
        assert!(!inside("order:55:1"));
        assert!(!inside("order:5;"));
        assert!(!inside("order:4:9"));
    }
}
