//! The Desk's purchase form: the amount paid, the receipt number, the store and, if staff
//! type them, the lines. With lines and no amount, the amount is their sum; with both, they
//! must agree.

use crate::domain::lang::current;
use crate::domain::validate;
use crate::error::{count, AppError, Validator};
use crate::i18n::td_string;
use crate::model::member::PurchaseInput;
use crate::model::rules::OrderLine;

use super::order::MAX_QUANTITY;
use super::store;

/// Most lines the form takes (the API takes up to 500).
pub const MAX_LINES: usize = 50;

/// A purchase as the form gave it, cleaned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPurchase {
    pub amount_minor: i64,
    pub reference: Option<String>,
    pub store: Option<String>,
    pub lines: Vec<OrderLine>,
}

pub fn purchase(input: &PurchaseInput, currency_code: &str) -> Result<ValidPurchase, AppError> {
    let mut v = Validator::new();
    let reference = v.check("reference", validate::receipt_number(&input.reference));
    let store = v.check("store", store::optional_code(&input.store));
    if input.lines.iter().filter(|l| !l.is_blank()).count() > MAX_LINES {
        let lang = current();
        v.add(
            "lines",
            td_string!(
                lang.locale,
                errors.forms.at_most_lines,
                n = count(lang, MAX_LINES as i64)
            )
            .to_string(),
        );
    }
    let mut lines = Vec::new();
    let mut whole = true;
    for (i, l) in input.lines.iter().enumerate().filter(|(_, l)| !l.is_blank()) {
        let field = |f: &str| format!("lines[{i}].{f}");
        let sku = v.check(&field("sku"), sku(&l.sku));
        let category = v.check(&field("category"), category(&l.category));
        let quantity = match l.quantity.trim() {
            "" => Some(1),
            typed => v.check(&field("quantity"), validate::integer(typed, 1, MAX_QUANTITY)),
        };
        let amount = v.check(&field("amount"), validate::amount(&l.amount, currency_code));
        match (sku, category, quantity, amount) {
            (Some(sku), Some(category), Some(quantity), Some(amount_minor)) => lines.push(OrderLine {
                sku,
                category,
                tags: Vec::new(),
                quantity,
                amount_minor,
            }),
            _ => whole = false,
        }
    }
    let sum: i64 = lines.iter().map(|l| l.amount_minor).sum();
    let typed_lines = input.lines.iter().any(|l| !l.is_blank());
    let amount_minor = match input.amount.trim() {
        // The lines give it; when one of them is wrong, that line's error says so.
        "" if typed_lines => whole.then_some(sum),
        typed => v.check("amount", validate::amount(typed, currency_code)),
    };
    if let Some(amount) = amount_minor.filter(|&a| whole && !lines.is_empty() && a != sum) {
        let lang = current();
        v.add(
            "amount",
            td_string!(
                lang.locale,
                errors.forms.lines_add_up_to,
                sum = lang.money(sum, currency_code),
                amount = lang.money(amount, currency_code)
            )
            .to_string(),
        );
    }
    if sum > crate::domain::earning::MAX_PURCHASE_MINOR {
        let lang = current();
        v.add(
            "amount",
            td_string!(
                lang.locale,
                errors.forms.lines_too_much,
                max = lang.decimal_minor(crate::domain::earning::MAX_PURCHASE_MINOR, "EUR")
            )
            .to_string(),
        );
    }
    v.finish()?;
    Ok(ValidPurchase {
        amount_minor: amount_minor.unwrap_or_default(),
        reference: reference.flatten(),
        store: store.flatten(),
        lines,
    })
}

/// "Use at most {n} characters, on one line."
fn one_line(n: i64) -> String {
    let lang = current();
    td_string!(lang.locale, errors.forms.one_line, n = count(lang, n)).to_string()
}

/// A line's SKU: 1 to 64 visible characters.
fn sku(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err(td_string!(current().locale, errors.forms.line_sku_required).into());
    }
    if s.chars().count() > 64 || s.chars().any(char::is_control) {
        return Err(one_line(64));
    }
    Ok(s.to_string())
}

/// A line's category, optional: at most 64 characters.
fn category(input: &str) -> Result<Option<String>, String> {
    match input.trim() {
        "" => Ok(None),
        s if s.chars().count() > 64 || s.chars().any(char::is_control) => Err(one_line(64)),
        s => Ok(Some(s.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::member::PurchaseLineInput;

    fn form(amount: &str, lines: &[(&str, &str, &str)]) -> PurchaseInput {
        PurchaseInput {
            member_id: crate::model::ids::MemberId(1),
            program_id: crate::model::ids::ProgramId(1),
            amount: amount.into(),
            reference: String::new(),
            store: " paris-1 ".into(),
            lines: lines
                .iter()
                .map(|(sku, quantity, amount)| PurchaseLineInput {
                    sku: sku.to_string(),
                    category: String::new(),
                    quantity: quantity.to_string(),
                    amount: amount.to_string(),
                })
                .collect(),
            request_id: "r".into(),
        }
    }

    #[test]
    fn lines_give_the_amount_or_must_match_it() {
        let p = purchase(
            &form("", &[("LATTE", "2", "7.00"), ("", "", ""), ("CAKE", "", "3.50")]),
            "EUR",
        )
        .unwrap();
        assert_eq!(p.amount_minor, 1050);
        assert_eq!(p.store.as_deref(), Some("PARIS-1"));
        assert_eq!(
            p.lines
                .iter()
                .map(|l| (l.sku.as_str(), l.quantity, l.amount_minor))
                .collect::<Vec<_>>(),
            vec![("LATTE", 2, 700), ("CAKE", 1, 350)]
        );
        let e = purchase(
            &form("11.00", &[("LATTE", "2", "7.00"), ("CAKE", "", "3.50")]),
            "EUR",
        )
        .unwrap_err();
        assert_eq!(
            e.field_message("amount").as_deref(),
            Some("The lines add up to €10.50, not €11.00.")
        );
        assert_eq!(
            purchase(
                &form("10.50", &[("LATTE", "2", "7.00"), ("CAKE", "1", "3.50")]),
                "EUR"
            )
            .unwrap()
            .amount_minor,
            1050
        );
    }

    #[test]
    fn a_bad_line_is_reported_where_it_is() {
        let e = purchase(&form("", &[("LATTE", "0", "7.00"), ("", "1", "x")]), "EUR").unwrap_err();
        assert!(e.field_message("lines[0].quantity").is_some(), "{e:?}");
        assert!(e.field_message("lines[1].sku").is_some() && e.field_message("lines[1].amount").is_some());
        // No sum is claimed from lines that did not parse.
        assert!(e.field_message("amount").is_none(), "{e:?}");
        let e = purchase(&form("", &[]), "EUR").unwrap_err();
        assert!(e.field_message("amount").is_some());
    }

    #[test]
    fn arabic_indic_digits_are_read_in_every_number() {
        let p = purchase(
            &form("١٠٫٥٠", &[("LATTE", "٢", "٧٫٠٠"), ("CAKE", "1", "3.50")]),
            "EUR",
        )
        .unwrap();
        assert_eq!(p.amount_minor, 1050);
        assert_eq!(
            p.lines
                .iter()
                .map(|l| (l.quantity, l.amount_minor))
                .collect::<Vec<_>>(),
            vec![(2, 700), (1, 350)]
        );
        let e = purchase(&form("١٠ب", &[]), "EUR").unwrap_err();
        assert_eq!(
            e.field_message("amount").as_deref(),
            Some("Enter an amount like 12.50.")
        );
    }

    #[test]
    fn currencies_without_decimals_add_up_in_whole_units() {
        let p = purchase(&form("", &[("RAMEN", "1", "1250"), ("TEA", "2", "300")]), "JPY").unwrap();
        assert_eq!(p.amount_minor, 1550);
    }
}
