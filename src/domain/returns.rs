//! Returns: how many of an order's points a return takes back. Cumulative, so partial
//! returns never take back more in total than returning everything at once: after each
//! return the order has given back `floor(points × returned so far / amount)`, and a return
//! takes what that adds to what earlier returns took.

use crate::domain::lang::current;
use crate::error::count;
use crate::i18n::td_string;

/// An order as returns see it, in minor units and points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Returnable {
    pub amount_minor: i64,
    /// Returned by earlier returns.
    pub returned_minor: i64,
    /// Earned by the order.
    pub points: i64,
    /// Taken back by earlier returns.
    pub clawed_back: i64,
}

/// What a return takes back: the order's total given back once it is booked, and the
/// points this return takes (never negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clawback {
    pub returned_minor: i64,
    pub points: i64,
}

/// The points a return of `returning_minor` takes back, or the message when more is returned
/// than is left of the order. An order of 0.00 gives all its points back on its return.
pub fn clawback(order: Returnable, returning_minor: i64) -> Result<Clawback, String> {
    let returned_minor = order.returned_minor.saturating_add(returning_minor);
    if returned_minor > order.amount_minor {
        let lang = current();
        return Err(td_string!(
            lang.locale,
            errors.returns.left_to_return,
            left = count(lang, order.amount_minor - order.returned_minor)
        )
        .to_string());
    }
    let target = if order.amount_minor == 0 {
        order.points
    } else {
        (order.points as i128 * returned_minor as i128 / order.amount_minor as i128) as i64
    };
    Ok(Clawback {
        returned_minor,
        points: (target - order.clawed_back).max(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(amount_minor: i64, points: i64) -> Returnable {
        Returnable {
            amount_minor,
            returned_minor: 0,
            points,
            clawed_back: 0,
        }
    }

    #[test]
    fn partial_returns_add_up_to_a_whole_one() {
        // 125 points on 12.50; returned in three parts: 3.33, 3.33, 5.84.
        let mut o = order(1250, 125);
        let mut taken = Vec::new();
        for part in [333, 333, 584] {
            let c = clawback(o, part).unwrap();
            taken.push(c.points);
            o.returned_minor = c.returned_minor;
            o.clawed_back += c.points;
        }
        // floor(125 × 333 / 1250) = 33, floor(125 × 666 / 1250) = 66, then all 125.
        assert_eq!(taken, vec![33, 33, 59]);
        assert_eq!(o.clawed_back, 125);
        assert_eq!(
            clawback(o, 1).unwrap_err(),
            "Only 0 of this order is left to return."
        );
    }

    #[test]
    fn edge_orders() {
        assert_eq!(
            clawback(order(0, 10), 0).unwrap().points,
            10,
            "a free order's return"
        );
        let big = order(100_000_000, i64::MAX / 2);
        assert_eq!(
            clawback(big, 100_000_000).unwrap().points,
            i64::MAX / 2,
            "no overflow"
        );
        let mut moved = order(1000, 100);
        moved.clawed_back = 80; // points taken back by hand before: nothing negative
        assert_eq!(clawback(moved, 500).unwrap().points, 0);
        assert!(clawback(order(1000, 100), 1001).is_err());
    }
}
