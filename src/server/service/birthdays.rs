//! The yearly birthday award: members whose birthday fell in the last few days get the
//! `birthday` event in each program whose rules reward it. The event books once per UTC
//! year, so running the job every minute (or on two servers) awards once.

use crate::domain::birthdays;
use crate::error::AppError;
use crate::model::ids::{MemberId, ProgramId};
use crate::model::order::ActionInput;
use crate::model::rules::Channel;
use crate::model::time::Timestamp;
use crate::server::db::Db;

/// Awards the birthdays due at `now`. Returns how many were booked. A member who cannot be
/// awarded (program closed meanwhile, already rewarded this year) is skipped, not fatal.
pub async fn award_due(db: &Db, now: Timestamp) -> Result<u64, AppError> {
    // Only programs with an active rule for birthdays: elsewhere the event would book 0.
    let mut programs = Vec::new();
    for p in crate::server::store::programs::list(db).await? {
        let rewards_birthdays = super::rules::list(db, p.id)
            .await?
            .iter()
            .any(|r| r.active && r.conditions.event_types.iter().any(|t| t == "birthday"));
        if p.active && rewards_birthdays {
            programs.push(p.id);
        }
    }
    if programs.is_empty() {
        return Ok(0);
    }
    let real_now = db.now();
    let mut booked = 0;
    for day in birthdays::due_days(now.date()) {
        let year = day.format("%Y").to_string();
        let key = format!("birthday:{year}");
        for mmdd in birthdays::birthdays_on(day) {
            let due: Vec<(MemberId, ProgramId, Option<i64>, Option<i64>)> = sqlx::query_as(
                "SELECT m.id, ms.program_id, m.birth_date_set_at, \
                 (SELECT MAX(l.created_at) FROM ledger_transactions l WHERE l.kind = 'event' \
                 AND l.reference >= 'birthday:' AND l.reference < 'birthday;' \
                 AND l.membership_id IN (SELECT o.id FROM memberships o WHERE o.id = ms.id OR o.merged_into = ms.id)) \
                 FROM members m JOIN memberships ms ON ms.member_id = m.id \
                 WHERE m.birth_date IS NOT NULL AND substr(m.birth_date, 6, 5) = $1 \
                 AND m.merged_into IS NULL AND ms.merged_into IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.kind = 'event' AND t.reference = $2 \
                 AND t.membership_id IN (SELECT o.id FROM memberships o WHERE o.id = ms.id OR o.merged_into = ms.id)) \
                 ORDER BY m.id",
            )
            .bind(&mmdd)
            .bind(&key)
            .fetch_all(&db.pool)
            .await?;
            let starts = Timestamp::start_of(day).0;
            let due = due.into_iter().filter(|(_, p, set_at, last)| {
                programs.contains(p) && birthdays::celebrated(*set_at, starts, *last)
            });
            for (member_id, program_id, ..) in due {
                // The event happens on the birthday (in its year), never after the real clock.
                let at = Timestamp(Timestamp::start_of(day).0.min(real_now.0));
                let input = ActionInput {
                    event_type: "birthday".into(),
                    channel: Channel::Web,
                    event_id: format!("auto-birthday-{year}"),
                    store: None,
                    occurred_at: Some(at),
                };
                match super::orders::record_action(db, program_id, member_id, &input, None).await {
                    Ok(r) if !r.replayed => booked += 1,
                    Ok(_) => {}
                    Err(e) => tracing::debug!(%member_id, %program_id, error = %e, "birthday not awarded"),
                }
            }
        }
    }
    Ok(booked)
}
