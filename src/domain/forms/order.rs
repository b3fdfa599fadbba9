//! An order as a channel sends it (the API, or the Desk through its purchase form): an id
//! of the channel's own, sane amounts, lines that add up, a store code, a date that is
//! neither in the future nor too old. Checked before anything is read or written.

use crate::domain::earning;
use crate::error::{AppError, Validator};
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
        return Err(AppError::field(
            field,
            "Use 1 to 64 letters, digits or punctuation, no spaces.",
        ));
    }
    Ok(s.to_string())
}

/// When an event happened: now when not given; a few minutes ahead (clocks differ) or up
/// to 90 days back.
pub fn occurred(input: Option<Timestamp>, now: Timestamp) -> Result<Timestamp, AppError> {
    match input {
        None => Ok(now),
        Some(t) if t.0 > now.0 + 300 => Err(AppError::field("occurred_at", "That is in the future.")),
        Some(t) if t.0 < now.0 - MAX_BACKDATE_SECS => Err(AppError::field(
            "occurred_at",
            "Orders older than 90 days cannot be recorded.",
        )),
        Some(t) => Ok(t),
    }
}

/// Checks an order before anything is read or written: sane amounts, lines that add up.
pub fn validate_order(input: &OrderInput, now: Timestamp) -> Result<(String, Timestamp), AppError> {
    let mut v = Validator::new();
    let order_id = v.check(
        "channel_order_id",
        channel_id("channel_order_id", &input.channel_order_id).map_err(|e| msg(&e, "channel_order_id")),
    );
    if !(0..=earning::MAX_PURCHASE_MINOR).contains(&input.amount_minor) {
        v.add("amount_minor", "The amount must be between 0 and 1,000,000.00.");
    }
    if input.lines.len() > 500 {
        v.add("lines", "An order may have at most 500 lines.");
    }
    for (i, line) in input.lines.iter().enumerate() {
        if line.sku.trim().is_empty() || line.sku.chars().count() > 64 {
            v.add(
                &format!("lines[{i}].sku"),
                "Every line needs a SKU of up to 64 characters.",
            );
        }
        if line.category.as_deref().is_some_and(|c| c.chars().count() > 64) {
            v.add(
                &format!("lines[{i}].category"),
                "Categories are at most 64 characters.",
            );
        }
        if line.tags.len() > 20 || line.tags.iter().any(|t| t.chars().count() > 64) {
            v.add(
                &format!("lines[{i}].tags"),
                "A line has at most 20 tags of up to 64 characters.",
            );
        }
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            v.add(
                &format!("lines[{i}].quantity"),
                "Quantities run from 1 to 100,000.",
            );
        }
        if !(0..=earning::MAX_PURCHASE_MINOR).contains(&line.amount_minor) {
            v.add(
                &format!("lines[{i}].amount_minor"),
                "Line amounts run from 0 to 1,000,000.00.",
            );
        }
    }
    if !input.lines.is_empty() {
        let sum: i128 = input.lines.iter().map(|l| l.amount_minor as i128).sum();
        if sum != input.amount_minor as i128 {
            v.add(
                "lines",
                format!(
                    "The lines add up to {sum}, not the order total {}.",
                    input.amount_minor
                ),
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
    e.field_message(field).unwrap_or_else(|| e.to_string())
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
