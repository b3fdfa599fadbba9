//! KPI arithmetic, defined once: how each program-side posting counts in the daily facts,
//! the slices a member's day is filed under, a member's purchase summary, and every formula
//! the Insights pages show (rates, liability, the IFRS 15 deferred revenue, NPS).

use serde::{Deserialize, Serialize};

/// Additive facts of a day (or a range: they add up). Points are in the program's unit,
/// money in minor units of its currency; nothing of two programs is ever added together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flows {
    pub orders: i64,
    pub sales_minor: i64,
    pub returned_minor: i64,
    pub redemptions: i64,
    pub enrolments: i64,
    /// Points given for orders, actions and stamp cards (out of issuance and campaigns).
    pub issued: i64,
    /// The part of `issued` given for orders.
    pub order_points: i64,
    /// Points taken back for returned orders (back into issuance and campaigns).
    pub returned: i64,
    /// Points spent on rewards, and those given back when a reward was released unused.
    pub redeemed: i64,
    pub unredeemed: i64,
    /// Points that expired (net of any put back).
    pub expired: i64,
    /// Points given and taken by hand.
    pub adjusted_in: i64,
    pub adjusted_out: i64,
}

impl Flows {
    pub fn add(&mut self, o: &Flows) {
        self.orders += o.orders;
        self.sales_minor += o.sales_minor;
        self.returned_minor += o.returned_minor;
        self.redemptions += o.redemptions;
        self.enrolments += o.enrolments;
        self.issued += o.issued;
        self.order_points += o.order_points;
        self.returned += o.returned;
        self.redeemed += o.redeemed;
        self.unredeemed += o.unredeemed;
        self.expired += o.expired;
        self.adjusted_in += o.adjusted_in;
        self.adjusted_out += o.adjusted_out;
    }

    /// Counts one posting on a program account (member-side postings are the other half of
    /// the same transaction and are not counted twice).
    pub fn count_posting(&mut self, account: &str, points: i64) {
        match account {
            "issuance" | "campaign" if points < 0 => self.issued -= points,
            "issuance" | "campaign" => self.returned += points,
            "redemption" if points > 0 => self.redeemed += points,
            "redemption" => self.unredeemed -= points,
            "expiry" => self.expired += points,
            "adjustment" if points < 0 => self.adjusted_in -= points,
            "adjustment" => self.adjusted_out += points,
            _ => {}
        }
    }

    /// Points issued less those taken back for returns.
    pub fn net_issued(&self) -> i64 {
        self.issued - self.returned
    }

    /// Points spent less those given back.
    pub fn net_redeemed(&self) -> i64 {
        self.redeemed - self.unredeemed
    }

    /// Adjustments, given less taken.
    pub fn net_adjusted(&self) -> i64 {
        self.adjusted_in - self.adjusted_out
    }

    /// Sales less refunds.
    pub fn net_sales_minor(&self) -> i64 {
        self.sales_minor - self.returned_minor
    }

    /// How much the points members hold (wallet and pending) moved: summed over all time,
    /// the outstanding points, as the ledger's member-side balances have them.
    pub fn outstanding_change(&self) -> i64 {
        self.net_issued() - self.net_redeemed() - self.expired + self.net_adjusted()
    }

    pub fn is_zero(&self) -> bool {
        *self == Flows::default()
    }
}

/// What a member did on a day, filed in the member-day bitmaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Activity {
    Buy,
    Redeem,
    Join,
    /// A reward redeemed (issued, used or run out; a released one is not), filed by where
    /// and which reward (`slices` with the reward in the tier's place).
    Reward,
}

impl Activity {
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Buy => "buy",
            Activity::Redeem => "redeem",
            Activity::Join => "join",
            Activity::Reward => "reward",
        }
    }
}

/// Every slice a member's day is filed under: where (anywhere, the channel, the store) by
/// which tier (any, theirs), so a filter on any of them reads one slice.
pub fn slices(channel: &str, store_id: Option<i64>, tier_id: Option<i64>) -> Vec<String> {
    let mut wheres = vec!["*".to_string(), format!("c:{channel}")];
    if let Some(s) = store_id {
        wheres.push(format!("s:{s}"));
    }
    let mut tiers = vec!["*".to_string()];
    if let Some(t) = tier_id {
        tiers.push(t.to_string());
    }
    let mut out = Vec::with_capacity(wheres.len() * tiers.len());
    for w in &wheres {
        for t in &tiers {
            out.push(format!("{w}|{t}"));
        }
    }
    out
}

/// The one slice a filter reads: a store names its channel too, so it wins.
pub fn slice_for(channel: Option<&str>, store_id: Option<i64>, tier_id: Option<i64>) -> String {
    let w = match (store_id, channel) {
        (Some(s), _) => format!("s:{s}"),
        (None, Some(c)) => format!("c:{c}"),
        (None, None) => "*".into(),
    };
    let t = tier_id.map_or("*".into(), |t| t.to_string());
    format!("{w}|{t}")
}

/// The bit of a purchase channel in `MemberSummary::channels`.
pub fn channel_bit(channel: &str) -> i64 {
    match channel {
        "store" => 1,
        "web" => 2,
        "app" => 4,
        _ => 8,
    }
}

/// A membership's purchase history in brief (what CLV models and segments read). Days are
/// UTC epoch days; sales are net of returns. Folding is order-free (a late order from an
/// offline till lands where it belongs), given whether its day was new to the member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberSummary {
    pub orders: i64,
    pub buy_days: i64,
    pub first_buy_day: Option<i64>,
    pub last_buy_day: Option<i64>,
    pub sales_minor: i64,
    /// Net sales of the first purchase day (CLV's spend per repeat purchase leaves it out).
    pub first_day_minor: i64,
    pub redemptions: i64,
    pub last_active_day: Option<i64>,
    pub channels: i64,
}

impl MemberSummary {
    /// An order of `amount` on `day` in `channel`; `new_day` when the member had not
    /// bought on that day before.
    pub fn buy(&mut self, day: i64, amount: i64, channel: &str, new_day: bool) {
        self.orders += 1;
        self.sales_minor += amount;
        self.buy_days += i64::from(new_day);
        match self.first_buy_day {
            Some(f) if f < day => {}
            Some(f) if f == day => self.first_day_minor += amount,
            _ => {
                self.first_buy_day = Some(day);
                self.first_day_minor = amount;
            }
        }
        self.last_buy_day = Some(self.last_buy_day.map_or(day, |l| l.max(day)));
        self.channels |= channel_bit(channel);
        self.touch(day);
    }

    /// A refund of `amount` on an order bought on `order_day`.
    pub fn refund(&mut self, order_day: i64, amount: i64) {
        self.sales_minor -= amount;
        if self.first_buy_day == Some(order_day) {
            self.first_day_minor -= amount;
        }
    }

    pub fn redeem(&mut self, day: i64) {
        self.redemptions += 1;
        self.touch(day);
    }

    fn touch(&mut self, day: i64) {
        self.last_active_day = Some(self.last_active_day.map_or(day, |l| l.max(day)));
    }

    /// Repeat purchase days (BG/NBD's x), days from the first purchase day to the last
    /// (t_x), and average net spend per repeat day in minor units (Gamma-Gamma's m_x).
    pub fn rfm(&self) -> Option<(i64, i64, f64)> {
        let (first, last) = (self.first_buy_day?, self.last_buy_day?);
        let x = self.buy_days - 1;
        let m = if x > 0 {
            (self.sales_minor - self.first_day_minor) as f64 / x as f64
        } else {
            0.0
        };
        Some((x, last - first, m))
    }
}

/// `n / d`, or None when there is nothing to divide by.
pub fn ratio(n: i64, d: i64) -> Option<f64> {
    (d != 0).then(|| n as f64 / d as f64)
}

/// The change from `before` to `now` as a fraction of `before`.
pub fn change(now: i64, before: i64) -> Option<f64> {
    (before != 0).then(|| (now - before) as f64 / before.abs() as f64)
}

/// Expected redemption rate from points whose fate is settled: redeemed / (redeemed +
/// expired). With none settled yet, 1: every outstanding point is assumed to be redeemed,
/// the prudent liability.
pub fn observed_redemption_rate(net_redeemed: i64, expired: i64) -> f64 {
    let settled = net_redeemed + expired;
    if settled <= 0 {
        1.0
    } else {
        (net_redeemed.max(0) as f64 / settled as f64).clamp(0.0, 1.0)
    }
}

/// Revenue deferred for points under IFRS 15 (B39-B43, the customer loyalty programme of
/// example 52, IE267-IE270): the consideration of the sales that earned points is allocated
/// between the goods and the points by relative stand-alone selling price (the points' is
/// their face value times the share expected to be redeemed at the sale); the points' part
/// is recognised as points are redeemed, against the total now expected to be redeemed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deferral {
    /// The points' share of the consideration.
    pub allocated: f64,
    pub recognised: f64,
    pub deferred: f64,
}

/// `sales` earned `points` worth `point_value` each; at the sale `allocation_rate` of them
/// were expected to be redeemed; now `expected_points` in all are, of which `redeemed` were.
pub fn deferral(
    sales: f64,
    points: f64,
    point_value: f64,
    allocation_rate: f64,
    expected_points: f64,
    redeemed: f64,
) -> Deferral {
    let ssp = points * point_value * allocation_rate;
    let allocated = if sales + ssp > 0.0 {
        sales * ssp / (sales + ssp)
    } else {
        0.0
    };
    let share = if expected_points > 0.0 {
        (redeemed / expected_points).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let recognised = allocated * share;
    Deferral {
        allocated,
        recognised,
        deferred: allocated - recognised,
    }
}

/// Net Promoter Score from answers 0-10: promoters (9-10) less detractors (0-6), in
/// percent of all answers; None without answers.
pub fn nps(promoters: i64, passives: i64, detractors: i64) -> Option<f64> {
    let all = promoters + passives + detractors;
    (all > 0).then(|| 100.0 * (promoters - detractors) as f64 / all as f64)
}

/// The retention curve of monthly cohorts: for each month since joining k, the members of
/// every cohort active in its month k over the members of those cohorts (only cohorts old
/// enough to have a month k count). `cohorts` are (size, active in month 0, 1, ...).
pub fn retention_curve(cohorts: &[(u64, Vec<u64>)]) -> Vec<Option<f64>> {
    let longest = cohorts.iter().map(|(_, a)| a.len()).max().unwrap_or(0);
    (0..longest)
        .map(|k| {
            let (mut active, mut size) = (0u64, 0u64);
            for (n, a) in cohorts {
                if let Some(x) = a.get(k) {
                    active += x;
                    size += n;
                }
            }
            ratio(active as i64, size as i64)
        })
        .collect()
}

/// Churn: of the members active in the period before, the share not active in this one.
pub fn churn_rate(active_before: u64, returning: u64) -> Option<f64> {
    ratio(
        active_before.saturating_sub(returning) as i64,
        active_before as i64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retention_curve_weighs_cohorts_by_size_and_skips_the_too_young() {
        // January: 100 joined, 40 active a month later, 30 two months later; February: 50,
        // 10 a month later; March: 10, none yet.
        let c = vec![(100, vec![100, 40, 30]), (50, vec![50, 10]), (10, vec![10])];
        let curve = retention_curve(&c);
        assert_eq!(curve[0], Some(1.0));
        assert_eq!(curve[1], Some(50.0 / 150.0));
        assert_eq!(curve[2], Some(0.3));
        assert_eq!(retention_curve(&[]), Vec::<Option<f64>>::new());
        assert_eq!(churn_rate(200, 150), Some(0.25));
        assert_eq!(churn_rate(0, 0), None);
    }

    #[test]
    fn postings_count_in_the_column_of_their_account_and_direction() {
        let mut f = Flows::default();
        // An order: 100 issued (into pending), a return takes 30 back.
        f.count_posting("issuance", -100);
        f.count_posting("issuance", 30);
        f.count_posting("campaign", -20);
        // A reward for 50, a released one gives 10 back.
        f.count_posting("redemption", 50);
        f.count_posting("redemption", -10);
        f.count_posting("expiry", 7);
        f.count_posting("adjustment", -5);
        f.count_posting("adjustment", 2);
        f.count_posting("wallet", 999);
        assert_eq!((f.issued, f.returned, f.net_issued()), (120, 30, 90));
        assert_eq!((f.redeemed, f.unredeemed, f.net_redeemed()), (50, 10, 40));
        assert_eq!((f.expired, f.net_adjusted()), (7, 3));
        // What members hold moved by 90 - 40 - 7 + 3: minus the program postings' sum.
        let program_side = -100 + 30 - 20 + 50 - 10 + 7 - 5 + 2;
        assert_eq!(f.outstanding_change(), -program_side);
        assert_eq!(f.outstanding_change(), 46);
    }

    #[test]
    fn a_day_is_filed_under_each_where_by_each_tier() {
        assert_eq!(
            slices("store", Some(3), Some(2)),
            vec!["*|*", "*|2", "c:store|*", "c:store|2", "s:3|*", "s:3|2"]
        );
        assert_eq!(slices("web", None, None), vec!["*|*", "c:web|*"]);
        assert_eq!(slice_for(None, None, None), "*|*");
        assert_eq!(slice_for(Some("store"), Some(3), None), "s:3|*");
        assert_eq!(slice_for(Some("web"), None, Some(2)), "c:web|2");
        // The filter's slice is always one the day was filed under.
        for (c, s, t) in [
            (Some("store"), Some(3), Some(2)),
            (None, None, Some(2)),
            (Some("store"), None, None),
        ] {
            assert!(slices("store", Some(3), Some(2)).contains(&slice_for(c, s, t)));
        }
    }

    #[test]
    fn a_summary_folds_orders_in_any_order_to_the_same_result() {
        // Day 10: 40 + 10, day 12: 30, day 20: 25, with a refund of 5 on day 10's.
        let orders = [
            (12, 30, "web"),
            (10, 40, "store"),
            (20, 25, "store"),
            (10, 10, "store"),
        ];
        let mut a = MemberSummary::default();
        let mut seen = std::collections::HashSet::new();
        for (day, amount, ch) in orders {
            a.buy(day, amount, ch, seen.insert(day));
        }
        a.refund(10, 5);
        let mut b = MemberSummary::default();
        let mut seen = std::collections::HashSet::new();
        for (day, amount, ch) in orders.iter().rev() {
            b.buy(*day, *amount, ch, seen.insert(*day));
        }
        b.refund(10, 5);
        assert_eq!(a, b);
        assert_eq!(
            (a.orders, a.buy_days, a.sales_minor, a.first_day_minor),
            (4, 3, 100, 45)
        );
        assert_eq!(
            (a.first_buy_day, a.last_buy_day, a.channels),
            (Some(10), Some(20), 3)
        );
        // x = 2 repeat days, t_x = 10 days, m_x = (100 - 45) / 2.
        assert_eq!(a.rfm(), Some((2, 10, 27.5)));
        assert_eq!(MemberSummary::default().rfm(), None);
    }

    #[test]
    fn rates_and_changes_have_no_value_without_a_base() {
        assert_eq!(ratio(1, 4), Some(0.25));
        assert_eq!(ratio(1, 0), None);
        assert_eq!(change(150, 100), Some(0.5));
        assert_eq!(change(50, -100), Some(1.5));
        assert_eq!(change(5, 0), None);
        assert_eq!(observed_redemption_rate(0, 0), 1.0);
        assert_eq!(observed_redemption_rate(75, 25), 0.75);
    }

    /// IFRS 15, illustrative example 52 (IE267-IE270): sales of CU100,000 earn 10,000 points
    /// worth CU1 each, 95 % expected to be redeemed: CU8,676 allocated to the points. Year 1:
    /// 4,500 redeemed, CU4,110 recognised. Year 2: 8,500 redeemed in all, 9,700 now
    /// expected: CU7,603 recognised in all (3,493 in the year), CU1,073 still deferred.
    #[test]
    fn the_deferred_revenue_of_ifrs_15_example_52() {
        let y1 = deferral(100_000.0, 10_000.0, 1.0, 0.95, 9_500.0, 4_500.0);
        assert_eq!(y1.allocated.round(), 8_676.0);
        assert_eq!(y1.recognised.round(), 4_110.0);
        assert_eq!(y1.deferred.round(), 4_566.0);
        let y2 = deferral(100_000.0, 10_000.0, 1.0, 0.95, 9_700.0, 8_500.0);
        assert_eq!(y2.recognised.round(), 7_603.0);
        assert_eq!((y2.recognised - y1.recognised).round(), 3_493.0);
        assert_eq!(y2.deferred.round(), 1_073.0);
        // Nothing sold: nothing allocated.
        assert_eq!(deferral(0.0, 0.0, 1.0, 0.9, 0.0, 0.0).deferred, 0.0);
    }

    #[test]
    fn nps_is_promoters_less_detractors_in_percent() {
        assert_eq!(nps(5, 3, 2), Some(30.0));
        assert_eq!(nps(0, 0, 4), Some(-100.0));
        assert_eq!(nps(0, 0, 0), None);
    }
}
