//! An order as a channel sends it (the API, or the Desk through its purchase form): an id
//! of the channel's own, sane amounts, lines that add up, a store code, a date that is
//! neither in the future nor too old. Checked before anything is read or written.

use crate::domain::earning;
use crate::domain::lang::current;
use crate::error::{count, AppError, Validator};
use crate::i18n::td_string;
use crate::model::order::OrderInput;
use crate::model::time::{Timestamp, SECONDS_PER_DAY};

/// Largest quantity on one line; more is a typo (a barcode in the quantity field).
pub const MAX_QUANTITY: i64 = 100_000;
/// How far back an order may be dated; older ones are refused rather than re-dated.
pub const MAX_BACKDATE_SECS: i64 = 90 * SECONDS_PER_DAY;

/// An id a channel gives us (order, return, event): 1 to 64 visible ASCII characters.
pub fn channel_id(field: &str, input: &str) -> Result<String, AppError> {
    let s = input.trim();
    if s.is_empty() || s.len() > 64 || !s.chars().all(|c| c.is_ascii_graphic()) {
        let lang = current();
        return Err(AppError::field(
            field,
            td_string!(
                lang.locale,
                errors.forms.channel_id,
                min = count(lang, 1),
                max = count(lang, 64)
            )
            .to_string(),
        ));
    }
    Ok(s.to_string())
}

/// When an event happened: now when not given; a few minutes ahead (clocks differ) or up
/// to 90 days back.
pub fn occurred(input: Option<Timestamp>, now: Timestamp) -> Result<Timestamp, AppError> {
    match input {
        None => Ok(now),
        Some(t) if t.0 > now.0 + 300 => Err(AppError::field(
            "occurred_at",
            td_string!(current().locale, errors.forms.in_future),
        )),
        Some(t) if t.0 < now.0 - MAX_BACKDATE_SECS => Err(AppError::field(
            "occurred_at",
            td_string!(
                current().locale,
                errors.forms.order_too_old,
                days = count(current(), MAX_BACKDATE_SECS / SECONDS_PER_DAY)
            )
            .to_string(),
        )),
        Some(t) => Ok(t),
    }
}

/// Checks an order before anything is read or written: sane amounts, lines that add up.
pub fn validate_order(input: &OrderInput, now: Timestamp) -> Result<(String, Timestamp), AppError> {
    let lang = current();
    let l = lang.locale;
    // "1,000,000.00": the largest amount, in minor units of a two-decimal currency.
    let max_amount = lang.decimal_minor(earning::MAX_PURCHASE_MINOR, "EUR");
    let chars = count(lang, 64);
    let mut v = Validator::new();
    let order_id = v.check(
        "channel_order_id",
        channel_id("channel_order_id", &input.channel_order_id).map_err(|e| msg(&e, "channel_order_id")),
    );
    if !(0..=earning::MAX_PURCHASE_MINOR).contains(&input.amount_minor) {
        v.add(
            "amount_minor",
            td_string!(
                l,
                errors.forms.order_amount,
                min = count(lang, 0),
                max = max_amount.clone()
            )
            .to_string(),
        );
    }
    if input.lines.len() > 500 {
        v.add(
            "lines",
            td_string!(l, errors.forms.order_lines, n = count(lang, 500)).to_string(),
        );
    }
    for (i, line) in input.lines.iter().enumerate() {
        if line.sku.trim().is_empty() || line.sku.chars().count() > 64 {
            v.add(
                &format!("lines[{i}].sku"),
                td_string!(l, errors.forms.line_sku, n = chars.clone()).to_string(),
            );
        }
        if line.category.as_deref().is_some_and(|c| c.chars().count() > 64) {
            v.add(
                &format!("lines[{i}].category"),
                td_string!(l, errors.forms.line_category, n = chars.clone()).to_string(),
            );
        }
        if line.tags.len() > 20 || line.tags.iter().any(|t| t.chars().count() > 64) {
            v.add(
                &format!("lines[{i}].tags"),
                td_string!(
                    l,
                    errors.forms.line_tags,
                    tags = count(lang, 20),
                    n = chars.clone()
                )
                .to_string(),
            );
        }
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            v.add(
                &format!("lines[{i}].quantity"),
                td_string!(
                    l,
                    errors.forms.line_quantity,
                    min = lang.number(1),
                    max = lang.number(MAX_QUANTITY)
                )
                .to_string(),
            );
        }
        if !(0..=earning::MAX_PURCHASE_MINOR).contains(&line.amount_minor) {
            v.add(
                &format!("lines[{i}].amount_minor"),
                td_string!(
                    l,
                    errors.forms.line_amount,
                    min = count(lang, 0),
                    max = max_amount.clone()
                )
                .to_string(),
            );
        }
    }
    if !input.lines.is_empty() {
        let sum: i128 = input.lines.iter().map(|l| l.amount_minor as i128).sum();
        if sum != input.amount_minor as i128 {
            v.add(
                "lines",
                td_string!(
                    l,
                    errors.forms.lines_sum,
                    sum = count(lang, i64::try_from(sum).unwrap_or(i64::MAX)),
                    total = count(lang, input.amount_minor)
                )
                .to_string(),
            );
        }
    }
    if let Some(store) = &input.store {
        v.check("store", super::store::code(store));
    }
    let at = match occurred(input.occurred_at, now) {
        Ok(t) => Some(t),
        Err(e) => {
            v.add("occurred_at", msg(&e, "occurred_at"));
            None
        }
    };
    v.finish()?;
    Ok((order_id.unwrap_or_default(), at.unwrap_or(now)))
}

fn msg(e: &AppError, field: &str) -> String {
    e.field_message(field).unwrap_or_else(|| e.message(current()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rules::{Channel, OrderLine};

    fn order(amount_minor: i64, lines: Vec<(&str, i64, i64)>) -> OrderInput {
        OrderInput {
            channel: Channel::Web,
            channel_order_id: "W-1".into(),
            amount_minor,
            lines: lines
                .into_iter()
                .map(|(sku, quantity, amount_minor)| OrderLine {
                    sku: sku.into(),
                    category: None,
                    tags: Vec::new(),
                    quantity,
                    amount_minor,
                })
                .collect(),
            store: None,
            receipt: None,
            occurred_at: None,
        }
    }

    #[test]
    fn lines_must_add_up_and_be_sane() {
        let now = Timestamp(1_800_000_000);
        assert!(validate_order(&order(1500, vec![("A", 1, 1000), ("B", 2, 500)]), now).is_ok());
        let e = validate_order(&order(1600, vec![("A", 1, 1000), ("B", 2, 500)]), now).unwrap_err();
        assert!(e.field_message("lines").unwrap().contains("1500"), "{e:?}");
        let e = validate_order(&order(1000, vec![(" ", 0, 1000)]), now).unwrap_err();
        assert!(e.field_message("lines[0].sku").is_some() && e.field_message("lines[0].quantity").is_some());
    }

    #[test]
    fn store_codes_and_dates_are_checked() {
        let now = Timestamp(1_800_000_000);
        let mut o = order(100, Vec::new());
        o.store = Some("paris 1".into());
        let e = validate_order(&o, now).unwrap_err();
        assert!(e.field_message("store").is_some());
        o.store = Some("paris-1".into());
        o.occurred_at = Some(Timestamp(now.0 - MAX_BACKDATE_SECS - 1));
        let e = validate_order(&o, now).unwrap_err();
        assert!(e.field_message("occurred_at").unwrap().contains("90 days"));
        o.occurred_at = Some(Timestamp(now.0 - 60));
        assert_eq!(
            validate_order(&o, now).unwrap(),
            ("W-1".to_string(), Timestamp(now.0 - 60))
        );
    }
}
