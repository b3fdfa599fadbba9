//! Printed loyalty cards: batches made for a program, and cards used before anyone
//! registers them (their points wait on a holder member). Linking a card to a person is
//! `identity::link_card`.

use crate::domain::lang::current;
use crate::i18n::td_string;
use rand::Rng;

use crate::domain::card;
use crate::error::{count, AppError};
use crate::model::card::{BatchInput, BatchPrint, CardBatch, PrintedCard};
use crate::model::ids::{MemberId, ProgramId, UserId};
use crate::server::db::Db;

/// The largest batch made in one go (a print run).
pub const MAX_BATCH: i64 = 10_000;

const BATCH_COLUMNS: &str = "b.id, b.program_id, p.name AS program_name, b.label, b.size, \
     CAST((SELECT COUNT(*) FROM cards c WHERE c.batch_id = b.id AND c.member_id IS NOT NULL) AS BIGINT) AS in_use, \
     b.created_at";

/// A printed card's number: "7", ten random digits and the Luhn check digit (member
/// cards made at sign-up start with 6, so the two never collide).
fn new_number() -> String {
    card::with_check_digit(&format!(
        "7{:010}",
        rand::thread_rng().gen_range(0..10_000_000_000u64)
    ))
}

fn new_security_code() -> String {
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

/// Makes a batch of `size` cards with unique numbers and security codes.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn create_batch(db: &Db, input: &BatchInput, by: Option<UserId>) -> Result<CardBatch, AppError> {
    let label = input.label.trim();
    let size = crate::domain::validate::typed_number(&input.size)
        .trim()
        .parse::<i64>()
        .ok();
    let mut errors = crate::error::Validator::new();
    if label.is_empty() || label.chars().count() > 80 {
        let lang = current();
        errors.add(
            "label",
            td_string!(
                lang.locale,
                errors.cards.batch_label,
                min = count(lang, 1),
                max = count(lang, 80)
            )
            .to_string(),
        );
    }
    match size {
        Some(n) if (1..=MAX_BATCH).contains(&n) => {}
        _ => {
            let lang = current();
            errors.add(
                "size",
                td_string!(
                    lang.locale,
                    errors.cards.batch_size,
                    min = count(lang, 1),
                    max = count(lang, MAX_BATCH)
                )
                .to_string(),
            )
        }
    }
    errors.finish()?;
    let size = size.unwrap_or(0);
    crate::server::store::programs::get(db, input.program_id).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let batch_id: i64 = sqlx::query_scalar(
        "INSERT INTO card_batches (program_id, label, size, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(input.program_id)
    .bind(label)
    .bind(size)
    .bind(by)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await?;
    // Multi-row inserts of 200; a number drawn twice is skipped and drawn again.
    let mut made = 0;
    let mut rounds = 0;
    while made < size {
        rounds += 1;
        if rounds > size / 200 + 50 {
            tracing::error!(batch_id, made, "could not draw enough free card numbers");
            return Err(AppError::Internal);
        }
        let chunk = (size - made).min(200) as usize;
        let values: Vec<String> = (0..chunk)
            .map(|i| format!("(${}, ${}, ${})", i * 3 + 1, i * 3 + 2, i * 3 + 3))
            .collect();
        let sql = format!(
            "INSERT INTO cards (batch_id, number, security_code) VALUES {} ON CONFLICT (number) DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for _ in 0..chunk {
            q = q.bind(batch_id).bind(new_number()).bind(new_security_code());
        }
        made += q.execute(&mut *tx).await?.rows_affected() as i64;
    }
    tx.commit().await?;
    tracing::info!(batch_id, size, "card batch created");
    batch(db, batch_id).await
}

async fn batch(db: &Db, id: i64) -> Result<CardBatch, AppError> {
    sqlx::query_as(&format!(
        "SELECT {BATCH_COLUMNS} FROM card_batches b JOIN programs p ON p.id = b.program_id WHERE b.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.card_batch)))
}

/// Every batch, newest first.
pub async fn batches(db: &Db) -> Result<Vec<CardBatch>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {BATCH_COLUMNS} FROM card_batches b JOIN programs p ON p.id = b.program_id ORDER BY b.id DESC"
    ))
    .fetch_all(&db.pool)
    .await?)
}

/// A batch with its numbers and security codes, for the printer.
pub async fn print(db: &Db, batch_id: i64) -> Result<BatchPrint, AppError> {
    let batch = batch(db, batch_id).await?;
    let cards: Vec<PrintedCard> =
        sqlx::query_as("SELECT number, security_code FROM cards WHERE batch_id = $1 ORDER BY id")
            .bind(batch_id)
            .fetch_all(&db.pool)
            .await?;
    Ok(BatchPrint { batch, cards })
}

/// A printed card as a read finds it: the member holding its points (None while the card
/// has never been used) and the program of its batch. None when the number is not a
/// printed card. Reads never make a holder (`holder` does, on the card's first use).
pub async fn holder_of(db: &Db, number: &str) -> Result<Option<(Option<MemberId>, ProgramId)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT c.member_id, b.program_id FROM cards c JOIN card_batches b ON b.id = c.batch_id WHERE c.number = $1",
    )
    .bind(number)
    .fetch_optional(&db.pool)
    .await?)
}

/// The member who holds a printed card's points: the registered member it is linked to, or
/// a holder made on the card's first use (enrolled in the batch's program). None when the
/// number is not a printed card. Concurrent first uses share one holder.
pub async fn holder(db: &Db, number: &str) -> Result<Option<MemberId>, AppError> {
    let Some((member_id, program_id)) = holder_of(db, number).await? else {
        return Ok(None);
    };
    if member_id.is_some() {
        return Ok(member_id);
    }
    let now = db.now();
    let mut tx = db.begin_write().await?;
    // Lock the card row, then decide: a concurrent first use may have made the holder.
    let locked: Option<MemberId> =
        sqlx::query_scalar("UPDATE cards SET member_id = member_id WHERE number = $1 RETURNING member_id")
            .bind(number)
            .fetch_one(&mut *tx)
            .await?;
    if let Some(id) = locked {
        tx.commit().await?;
        return Ok(Some(id));
    }
    let id: MemberId = sqlx::query_scalar(
        "INSERT INTO members (name, card_number, kind, created_at) VALUES ($1, $2, 'card', $3) RETURNING id",
    )
    .bind(format!("Card {}", card::grouped(number)))
    .bind(number)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await?;
    super::members::join_in(&mut tx, id, program_id, now).await?;
    super::members::announce_created(&mut tx, id, "card", "store", now).await?;
    sqlx::query("UPDATE cards SET member_id = $1 WHERE number = $2")
        .bind(id)
        .bind(number)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(member_id = %id, "holder made for an unregistered card");
    Ok(Some(id))
}
