//! The booking pipeline for orders: one order alone, or several together, go through the
//! same steps in the caller's transaction: enter the memberships (locked) → on a careful
//! run, answer a repeated order with its first receipt → read cap usage (and on a careful
//! run lock the budgets) → evaluate each order in `domain::rules`, each seeing what the ones
//! before gave its member → post to the ledger (transactions, balances, postings, lots,
//! activity, rule awards) → the order rows → held points → stamps and `points.earned` →
//! tiers → budgets → Idempotency-Keys → receipts.
//!
//! Together (the group-commit writer books the orders queued at one moment), each step is
//! one statement for all of them. An order whose id or Idempotency-Key is already taken, or
//! a member's orders after one that changed its tier, undo the batch, which runs again
//! without them; they are booked alone after. A budget slot that is full undoes them all,
//! and each is booked alone. Orders whose member has no membership yet or was merged away,
//! or dated on another day than the first, are left to be booked alone.
//!
//! Alone, the first run is optimistic about the order id and the budgets; when either was
//! wrong (the id was booked before, a budget moved) the writer undoes it and runs it again
//! careful: the earlier order is looked up first, and the budgets are locked before
//! evaluating.

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::{MemberId, MembershipId, ProgramId, UserId};
use std::sync::Arc;

use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Arguments};

use crate::domain::rules as engine;
use crate::error::AppError;
use crate::model::ledger::TxKind;
use crate::model::order::{EarnReceipt, OrderInput};
use crate::model::program::Program;
use crate::model::rules::{EarnEvent, EarningRule, OrderLine, RuleUsage};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::{positional, values, values_after, Batch, ConnFuture, Step};

use super::awards::{self, Evaluation, Told};
use super::ledger::{self, Meta, NewLot, Posting, Standing};
use super::setup::Setup;
use super::{members, rules, stamps, tiers};
use crate::server::store::budgets;
use crate::server::store::idempotency::{Keyed, Slot};

/// How a run books.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    /// The orders queued at one moment.
    Together,
    /// One order; `careful` on its second run.
    Alone { careful: bool },
}

/// What a run ends in (told to the group-commit writer as a `Batch` or a `Step`).
enum Booked {
    /// Keep what it wrote: each order's answer, or None for one to book alone after.
    Done(Vec<Option<BookedOrder>>),
    /// Undo what it wrote and answer this (alone: its Idempotency-Key was taken meanwhile).
    Undone(BookedOrder),
    /// Undo what it wrote and book the others again without these (positions), which are
    /// booked alone after.
    Without(Vec<usize>),
    /// Undo what it wrote and run again: alone, careful; together, each alone.
    Again,
}

/// Books the orders queued together (`BookTogether` for orders).
pub(super) fn book_together<'c>(
    conn: &'c mut AnyConnection,
    items: &'c [Arc<OrderBooking>],
) -> ConnFuture<'c, Result<Batch<BookedOrder>, AppError>> {
    Box::pin(async move {
        Ok(match book(conn, items, Run::Together).await? {
            Booked::Done(answers) => Batch::Done(answers),
            Booked::Without(left) => Batch::Without(left),
            Booked::Undone(_) | Booked::Again => Batch::Again,
        })
    })
}

/// Books one order alone; `Step::Again` when the optimistic run was wrong.
pub(super) async fn book_alone(
    conn: &mut AnyConnection,
    booking: &Arc<OrderBooking>,
    careful: bool,
) -> Result<Step<BookedOrder>, AppError> {
    let items = std::slice::from_ref(booking);
    Ok(match book(conn, items, Run::Alone { careful }).await? {
        Booked::Done(mut answers) => match answers.pop().flatten() {
            Some(answer) => Step::Done(answer),
            None => {
                tracing::error!("an order booked alone has no answer");
                return Err(AppError::Internal);
            }
        },
        Booked::Undone(answer) => Step::Undone(answer),
        Booked::Without(_) | Booked::Again => Step::Again,
    })
}

/// A membership with orders in the run, as they leave it one after another.
struct Member {
    id: MembershipId,
    /// As read under its lock, before these orders.
    standing: Standing,
    tier_id: Option<i64>,
    /// The segments the member is in now, read only when a rule or a campaign's stamps ask.
    segments: Vec<i64>,
    usage: Vec<RuleUsage>,
    orders: usize,
}

/// An order of the run with its membership: (position, member, the member's referrer).
type Chosen = (usize, usize, Option<MemberId>);

/// One order, evaluated.
struct Evaluated {
    item: usize,
    member: usize,
    referred_by: Option<MemberId>,
    eval: Evaluation,
    given: Vec<(i64, i64)>,
    budgeted: Vec<(i64, i64)>,
    total: i64,
    postings: Vec<Posting>,
    held: Option<Timestamp>,
    told: Told,
}

impl Evaluated {
    /// Whether it holds points as pending; otherwise it goes the wallet's way (a lot, and
    /// activity for lots that expire on inactivity), as `ledger::earn` does.
    fn holds(&self) -> bool {
        self.held.is_some() && self.total > 0
    }
}

async fn book(conn: &mut AnyConnection, items: &[Arc<OrderBooking>], run: Run) -> Result<Booked, AppError> {
    let mut answers: Vec<Option<BookedOrder>> = items.iter().map(|_| None).collect();
    let Some(first) = items.first() else {
        return Ok(Booked::Done(answers));
    };
    let careful = run == Run::Alone { careful: true };
    let (mut members, chosen) = enter(conn, items, run).await?;
    if chosen.is_empty() || (run == Run::Together && chosen.len() < 2) {
        return Ok(Booked::Done(answers));
    }
    // A repeated order id is rare (a till's retry without a key): the first run leaves it to
    // the order's insert, which finds the id taken, and the careful run looks it up first.
    if careful {
        if let Some(answer) = replay(conn, first, members[0].id).await? {
            return Ok(answer);
        }
    }
    // Budgets are read, not locked: the booking charges them last, with a conditional
    // update, so a campaign's row is held only for the end of each transaction instead of
    // serialising whole bookings. When that charge finds a budget moved, the order is booked
    // again careful, on budgets locked before evaluating.
    let locked = match careful {
        true => Some(awards::locked_budgets(conn, &first.setup.rules).await?),
        false => None,
    };
    let ids: Vec<MembershipId> = members.iter().map(|m| m.id).collect();
    // Caps are counted per day and month: one day's usage is read for all.
    let usage = match &locked {
        Some(rules) => rules::usage_many(conn, &ids, first.cap_period(), rules).await?,
        None => {
            let all = items.iter().flat_map(|b| &b.setup.rules);
            rules::usage_many(conn, &ids, first.cap_period(), all).await?
        }
    };
    for (id, usage) in usage {
        if let Some(m) = members.iter_mut().find(|m| m.id == id) {
            m.usage = usage;
        }
    }
    let evaluated = evaluate(items, &mut members, chosen, locked.as_deref());

    // The ledger: transactions, memberships and postings, three statements for all.
    let metas: Vec<Meta> = evaluated.iter().map(|e| items[e.item].meta(&e.told)).collect();
    let bookings: Vec<ledger::Booking> = evaluated
        .iter()
        .zip(&metas)
        .map(|(e, meta)| ledger::Booking {
            program_id: items[e.item].setup.program.id,
            membership_id: Some(members[e.member].id),
            meta,
            postings: &e.postings,
            at: items[e.item].now,
            // Points that reach the wallet are member activity.
            touch: e.held.is_none(),
        })
        .collect();
    let booked = ledger::book_many(conn, &bookings).await?;
    // A member none of whose orders moved anything keeps the standing read at the start.
    let booked: Vec<(i64, Standing)> = booked
        .into_iter()
        .zip(&evaluated)
        .map(|((tx_id, s), e)| (tx_id, s.unwrap_or(members[e.member].standing)))
        .collect();
    let lots: Vec<NewLot> = evaluated
        .iter()
        .zip(&booked)
        .filter(|(e, _)| !e.holds())
        .map(|(e, &(tx_id, standing))| NewLot {
            program: &items[e.item].setup.program,
            membership_id: members[e.member].id,
            tx_id,
            points: e.total,
            balance_after: standing.balance,
            at: items[e.item].now,
        })
        .collect();
    ledger::open_lots(conn, &lots).await?;
    // Lots expiring on inactivity move with each member's last activity here.
    for (mi, m) in members.iter().enumerate() {
        if let Some(e) = evaluated.iter().rev().find(|e| e.member == mi && !e.holds()) {
            ledger::move_deadlines(conn, &items[e.item].setup.program, m.id, items[e.item].now).await?;
        }
    }
    let given: Vec<rules::Given> = evaluated
        .iter()
        .flat_map(|e| {
            let membership_id = members[e.member].id;
            let recorded = e.given.iter().filter(|&&(rule_id, _)| e.eval.records(rule_id));
            recorded.map(move |&(rule_id, points)| rules::Given {
                rule_id,
                membership_id,
                points,
                period: e.eval.period,
            })
        })
        .collect();
    rules::record_awards(conn, &given).await?;

    // The orders. An id taken before (a retry) or by an earlier order here: together, the
    // others again without it, and it alone after; alone, once more careful, which answers
    // as a repeat or refuses another member's order.
    let new: Vec<NewOrder> = evaluated
        .iter()
        .zip(&booked)
        .map(|(e, &(tx_id, _))| {
            let b = &items[e.item];
            NewOrder {
                program_id: b.setup.program.id,
                membership_id: members[e.member].id,
                channel: b.input.channel.as_str(),
                order_id: &b.order_id,
                store_id: b.store_id,
                amount_minor: b.input.amount_minor,
                points: e.eval.award.total,
                tx_id,
                at: b.now,
            }
        })
        .collect();
    let lines_of: Vec<&[OrderLine]> = evaluated.iter().map(|e| &items[e.item].input.lines[..]).collect();
    let line_count: usize = lines_of.iter().map(|l| l.len()).sum();
    // On PostgreSQL the lines go in the orders' statement (one round trip less for the
    // writer, which is bound by them there); SQLite has no INSERT inside a WITH.
    let lines_with_orders = conn.backend_name() == "PostgreSQL" && line_count > 0 && line_count <= LINE_ROWS;
    let order_rows = insert_orders(conn, &new, lines_with_orders.then_some(&lines_of[..])).await?;
    let taken: Vec<usize> = evaluated
        .iter()
        .zip(&order_rows)
        .filter(|(_, row)| row.is_none())
        .map(|(e, _)| e.item)
        .collect();
    if !taken.is_empty() {
        // Careful, it was looked up first: another member's order with this id committed
        // while this one was evaluated (PostgreSQL).
        if careful {
            return Err(other_members_order());
        }
        return Ok(Booked::Without(taken));
    }
    let order_rows: Vec<i64> = order_rows.into_iter().flatten().collect();
    if !lines_with_orders {
        let lines: Vec<(i64, &[OrderLine])> = order_rows.iter().copied().zip(lines_of).collect();
        insert_lines(conn, &lines).await?;
    }
    let holds: Vec<(MembershipId, i64, i64, Timestamp, Option<i64>)> = evaluated
        .iter()
        .zip(&booked)
        .zip(&order_rows)
        .filter_map(|((e, &(tx_id, _)), &row)| {
            let until = e.held.filter(|_| e.holds())?;
            Some((members[e.member].id, tx_id, e.total, until, Some(row)))
        })
        .collect();
    ledger::hold_many(conn, &holds).await?;

    let mut receipts = Vec::with_capacity(evaluated.len());
    for ((e, &(tx_id, standing)), &row) in evaluated.iter().zip(&booked).zip(&order_rows) {
        let b = &items[e.item];
        let setup = &b.setup;
        let membership_id = members[e.member].id;
        let order = stamps::StampedOrder {
            membership_id,
            segments: &members[e.member].segments,
            order_row: row,
            input: &b.input,
            by: b.recorded_by,
            at: b.now,
            occurred: b.at,
        };
        let stamps = stamps::for_order(conn, &setup.stamp_cards, &setup.stamp_bonuses, &order).await?;
        let held = e.held.is_some();
        awards::announce_earned(
            conn,
            setup,
            b.member_id,
            tx_id,
            &e.eval.award,
            held,
            &standing,
            b.now,
        )
        .await?;
        let mut receipt = awards::receipt(
            &setup.program,
            b.member_id,
            tx_id,
            e.eval.shown().clone(),
            held,
            standing,
        );
        receipt.stamps = stamps;
        receipts.push(receipt);
    }
    // Upgrades are immediate, once per member after its last order here (downgrades wait
    // for the scheduled re-evaluation). Had an earlier one of its orders upgraded it, the
    // later ones would have earned at the new tier: the run again with only its first, the
    // rest booked alone after it.
    let mut later: Vec<usize> = Vec::new();
    for (mi, m) in members.iter().enumerate() {
        let Some((e, &(_, standing))) = evaluated.iter().zip(&booked).rev().find(|(e, _)| e.member == mi)
        else {
            continue;
        };
        let b = &items[e.item];
        let known = (m.tier_id, standing.lifetime_points);
        let changed =
            tiers::reevaluate_known(conn, &b.setup.program, &b.setup.tiers, m.id, known, b.now).await?;
        if changed.is_some() && m.orders > 1 {
            later.extend(
                evaluated
                    .iter()
                    .filter(|e| e.member == mi)
                    .skip(1)
                    .map(|e| e.item),
            );
        }
    }
    if !later.is_empty() {
        return Ok(Booked::Without(later));
    }
    // Budgets last, so their slots are held briefly; a slot that is full undoes the run.
    let charges: Vec<(i64, MembershipId, i64)> = evaluated
        .iter()
        .flat_map(|e| {
            e.budgeted
                .iter()
                .map(|&(rule, points)| (rule, members[e.member].id, points))
        })
        .collect();
    let charged = match run {
        Run::Together => budgets::charge_many(conn, &charges).await?,
        Run::Alone { careful } => budgets::charge_all(conn, &charges, careful).await?,
    };
    if !charged {
        return Ok(Booked::Again);
    }
    // A key stored before (a retry, or the same key with another body): together, the
    // others again without it, and alone after it is answered from what the key holds.
    let bodies: Vec<(usize, u16, String)> = evaluated
        .iter()
        .zip(&receipts)
        .filter(|(e, _)| items[e.item].slot.is_some())
        .map(|(e, r)| (e.item, order_status(r), awards::json(r)))
        .collect();
    let keys: Vec<(&Slot, u16, &str)> = bodies
        .iter()
        .filter_map(|(i, status, body)| Some((items[*i].slot.as_ref()?, *status, body.as_str())))
        .collect();
    let stored = Slot::keep_many(conn, &keys).await?;
    let taken: Vec<usize> = bodies
        .iter()
        .zip(&stored)
        .filter(|(_, &kept)| !kept)
        .map(|((i, _, _), _)| *i)
        .collect();
    if !taken.is_empty() {
        return Ok(match run {
            Run::Together => Booked::Without(taken),
            Run::Alone { .. } => Booked::Undone(key_taken()),
        });
    }
    for (e, receipt) in evaluated.iter().zip(receipts) {
        let b = &items[e.item];
        tracing::info!(
            tx_id = receipt.transaction_id,
            points = receipt.points,
            "order recorded"
        );
        // A 0.00 order is no purchase: it must not unlock referral rewards.
        let settle = (b.input.amount_minor > 0).then_some(e.referred_by);
        answers[e.item] = Some(BookedOrder {
            answer: Keyed::Done(receipt),
            settle,
        });
    }
    Ok(Booked::Done(answers))
}

fn other_members_order() -> AppError {
    AppError::conflict(td_string!(current().locale, errors.booking.other_members_order))
}

/// The answer when an order's Idempotency-Key was taken by another request meanwhile: the
/// booking is undone and the request answered from the key.
fn key_taken() -> BookedOrder {
    BookedOrder {
        answer: Keyed::Taken,
        settle: None,
    }
}

/// The memberships of the run's orders, locked, and which orders they take. Alone, a first
/// purchase joins the program and a member merged away is refused. Together, orders whose
/// member has no membership yet or was merged away, or dated on another day than the first
/// (caps count by local day, `cap_period`), are left out, to be booked alone.
async fn enter(
    conn: &mut AnyConnection,
    items: &[Arc<OrderBooking>],
    run: Run,
) -> Result<(Vec<Member>, Vec<Chosen>), AppError> {
    // The setup keeps campaigns that ended within the back-dating window: only one whose
    // dates hold an order here makes reading members' segments worth it.
    let segmented = items
        .iter()
        .any(|b| rules_use_segments(&b.setup.rules) || b.setup.stamp_bonuses.iter().any(|s| s.open_at(b.at)));
    let entries: Vec<(usize, members::Entry, Option<Vec<i64>>)> = match run {
        Run::Alone { .. } => {
            let b = &items[0];
            let entry = members::enter(conn, b.member_id, b.setup.program.id, b.now).await?;
            vec![(0, entry, None)]
        }
        Run::Together => {
            let mut pairs: Vec<(MemberId, ProgramId)> =
                items.iter().map(|b| (b.member_id, b.setup.program.id)).collect();
            pairs.sort_unstable();
            pairs.dedup();
            // The segments come in the same statement, one for the whole group.
            let found = members::enter_many(conn, &pairs, segmented).await?;
            let period = items[0].cap_period();
            items
                .iter()
                .enumerate()
                .filter(|(_, b)| b.cap_period() == period)
                .filter_map(|(i, b)| {
                    let pair = (b.member_id, b.setup.program.id);
                    let (_, entry, _, segments) =
                        found.iter().find(|(p, _, merged, _)| *p == pair && !merged)?;
                    Some((i, *entry, segments.clone()))
                })
                .collect()
        }
    };
    let mut members: Vec<Member> = Vec::new();
    let mut chosen = Vec::with_capacity(entries.len());
    let mut unread: Vec<i64> = Vec::new();
    for (i, entry, segments) in entries {
        let m = match members.iter().position(|m| m.id == entry.membership_id) {
            Some(m) => m,
            None => {
                if segmented && segments.is_none() {
                    unread.push(entry.membership_id.get());
                }
                members.push(Member {
                    id: entry.membership_id,
                    standing: entry.standing,
                    tier_id: entry.tier_id,
                    segments: segments.unwrap_or_default(),
                    usage: Vec::new(),
                    orders: 0,
                });
                members.len() - 1
            }
        };
        members[m].orders += 1;
        chosen.push((i, m, entry.referred_by));
    }
    // Alone, the membership may have just joined: its segments are read after.
    for (membership, segment) in crate::server::store::segments::of_memberships(conn, &unread).await? {
        if let Some(m) = members.iter_mut().find(|m| m.id.get() == membership) {
            m.segments.push(segment);
        }
    }
    Ok((members, chosen))
}

/// Whether any of the rules has a segment condition (then members' segments are read).
pub(crate) fn rules_use_segments(rules: &[EarningRule]) -> bool {
    rules.iter().any(|r| !r.conditions.segment_ids.is_empty())
}

/// On a careful run, an order whose id was booked before: the first receipt, kept as the
/// key's answer too (None when the id is new). Another member's order with that id is
/// refused.
async fn replay(
    conn: &mut AnyConnection,
    b: &OrderBooking,
    membership_id: MembershipId,
) -> Result<Option<Booked>, AppError> {
    let program = &b.setup.program;
    let Some(order) = find_order(conn, program.id, b.input.channel.as_str(), &b.order_id).await? else {
        return Ok(None);
    };
    if order.membership_id != membership_id {
        return Err(other_members_order());
    }
    let mut earlier =
        awards::earlier_receipt(conn, program, b.member_id, membership_id, order.transaction_id).await?;
    earlier.stamps = stamps::receipts_for_order(conn, order.id).await?;
    if let Some(slot) = &b.slot {
        if !slot
            .keep_in(conn, order_status(&earlier), &awards::json(&earlier))
            .await?
        {
            return Ok(Some(Booked::Undone(key_taken())));
        }
    }
    let answer = BookedOrder {
        answer: Keyed::Done(earlier),
        settle: None,
    };
    Ok(Some(Booked::Done(vec![Some(answer)])))
}

/// Evaluates the chosen orders one after another, each seeing what the ones before gave
/// its member (cap usage), on the budgets as locked when `locked` is given.
fn evaluate(
    items: &[Arc<OrderBooking>],
    members: &mut [Member],
    chosen: Vec<Chosen>,
    locked: Option<&[EarningRule]>,
) -> Vec<Evaluated> {
    let mut evaluated = Vec::with_capacity(chosen.len());
    for (item, member, referred_by) in chosen {
        let b = &items[item];
        let (setup, m) = (&b.setup, &mut members[member]);
        let rules = locked.unwrap_or(&setup.rules);
        let ctx = engine::member_context(&setup.tiers, m.tier_id, m.segments.clone(), m.id.get());
        let (base, mut order) = (engine::base_rate(&setup.program), purchase(&b.input, b.at));
        setup.zones.localise(&mut order);
        let award = engine::evaluate(&base, rules, &order, &ctx, &m.usage);
        let shown = (b.lang != crate::domain::lang::Lang::ENGLISH)
            .then(|| engine::evaluate_in(b.lang, &base, rules, &order, &ctx, &m.usage));
        let eval = Evaluation {
            budgets: awards::RuleBudget::of_award(&award, rules),
            award,
            shown,
            period: rules::CapPeriod::of(&order),
        };
        let (by_rule, given) = awards::award_parts(&eval);
        engine::count_given(&mut m.usage, &given);
        let budgeted = awards::budget_charges(&by_rule, &eval.budgets);
        let held = hold_until(&setup.program, b.now);
        let (total, postings) = ledger::earn_postings(&by_rule, held.is_some());
        let told = Told::of(&eval.award);
        evaluated.push(Evaluated {
            item,
            member,
            referred_by,
            eval,
            given,
            budgeted,
            total,
            postings,
            held,
            told,
        });
    }
    evaluated
}

#[derive(sqlx::FromRow)]
pub(super) struct OrderRow {
    pub(super) id: i64,
    pub(super) membership_id: MembershipId,
    pub(super) amount_minor: i64,
    pub(super) returned_minor: i64,
    pub(super) points: i64,
    pub(super) clawed_back: i64,
    pub(super) transaction_id: i64,
}

/// The order booked with this (program, channel, order id), if one was.
pub(super) async fn find_order(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    channel: &str,
    order_id: &str,
) -> Result<Option<OrderRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, membership_id, amount_minor, returned_minor, points, clawed_back, transaction_id FROM orders \
         WHERE program_id = $1 AND channel = $2 AND channel_order_id = $3",
    )
    .bind(program_id)
    .bind(channel)
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The API's status for an order answer: 201 when booked now, 200 when booked before.
fn order_status(receipt: &EarnReceipt) -> u16 {
    if receipt.replayed {
        200
    } else {
        201
    }
}

/// The earning event of an order.
fn purchase(input: &OrderInput, at: Timestamp) -> EarnEvent {
    EarnEvent {
        event_type: "purchase".into(),
        channel: input.channel,
        store: input.store.clone(),
        amount_minor: input.amount_minor,
        lines: input.lines.clone(),
        occurred_at: at,
        utc_offset_secs: 0,
    }
}

/// Until when an order's points are held (the program's return window), if they are.
fn hold_until(program: &Program, now: Timestamp) -> Option<Timestamp> {
    (program.pending_days > 0).then(|| Timestamp(now.0 + program.pending_days * SECONDS_PER_DAY))
}

/// An order checked and ready to book, with the program's setup as it was read.
pub(super) struct OrderBooking {
    pub(super) setup: std::sync::Arc<Setup>,
    pub(super) member_id: MemberId,
    pub(super) input: OrderInput,
    pub(super) order_id: String,
    /// The store the order names, as `stores::resolve` found it.
    pub(super) store_id: Option<i64>,
    pub(super) at: Timestamp,
    pub(super) now: Timestamp,
    pub(super) recorded_by: Option<UserId>,
    pub(super) slot: Option<Slot>,
    /// The language the receipt is told in (the ledger's record stays in English).
    pub(super) lang: crate::domain::lang::Lang,
}

impl OrderBooking {
    /// The local day and month its caps count in (its store's zone, else the program's).
    fn cap_period(&self) -> rules::CapPeriod {
        let offset = self.setup.zones.offset_secs(self.input.store.as_deref(), self.at);
        rules::CapPeriod::at(self.at, offset)
    }

    /// What its transaction says it is.
    fn meta<'a>(&'a self, told: &'a Told) -> Meta<'a> {
        Meta {
            amount_minor: Some(self.input.amount_minor),
            reference: Some(self.input.receipt.as_deref().unwrap_or(&self.order_id)),
            explanation: Some(&told.explanation),
            recorded_by: self.recorded_by,
            endpoints: Some(&self.setup.endpoints),
            store_id: self.store_id,
            ..Meta::new(TxKind::Earn, self.input.channel.as_str(), &told.description)
        }
    }
}

/// A booked order's answer; `settle` holds the member's referrer when this order may
/// settle a referral (a new, paid order), done after the commit.
pub(super) struct BookedOrder {
    pub(super) answer: Keyed<EarnReceipt>,
    pub(super) settle: Option<Option<MemberId>>,
}

/// An order's row, booked with its transaction.
struct NewOrder<'a> {
    pub(super) program_id: ProgramId,
    pub(super) membership_id: MembershipId,
    pub(super) channel: &'a str,
    pub(super) order_id: &'a str,
    pub(super) store_id: Option<i64>,
    pub(super) amount_minor: i64,
    pub(super) points: i64,
    pub(super) tx_id: i64,
    pub(super) at: Timestamp,
}

/// Most order lines in one statement: 7,000 parameters, under SQLite's 32,766 and
/// PostgreSQL's 65,535 (a group of 64 orders may carry 500 lines each).
const LINE_ROWS: usize = 1_000;

/// The columns of an order line, in the order `add_line` gives their values.
const LINE_COLUMNS: &str = "order_id, line_no, sku, category, tags, quantity, amount_minor";

/// An order's lines numbered from 1 in the order the channel sent them, each with `key`
/// (the order's row, or its transaction while the row is being inserted).
fn numbered(key: i64, lines: &[OrderLine]) -> impl Iterator<Item = (i64, i64, &OrderLine)> {
    (1..).zip(lines).map(move |(n, l)| (key, n, l))
}

/// Adds one numbered line's values to a statement's arguments, in `LINE_COLUMNS` order.
fn add_line<'q>(args: &mut AnyArguments<'q>, (key, n, l): (i64, i64, &'q OrderLine)) -> Result<(), AppError> {
    let mut add = || {
        args.add(key)?;
        args.add(n)?;
        args.add(l.sku.as_str())?;
        args.add(l.category.as_deref())?;
        args.add(awards::json(&l.tags))?;
        args.add(l.quantity)?;
        args.add(l.amount_minor)
    };
    add().map_err(|e| sqlx::Error::Encode(e).into())
}

/// Inserts the lines of booked orders, (order row, its lines).
async fn insert_lines(conn: &mut AnyConnection, orders: &[(i64, &[OrderLine])]) -> Result<(), AppError> {
    let rows: Vec<(i64, i64, &OrderLine)> = orders
        .iter()
        .flat_map(|&(order, lines)| numbered(order, lines))
        .collect();
    for chunk in rows.chunks(LINE_ROWS) {
        let sql = format!(
            "INSERT INTO order_lines ({LINE_COLUMNS}) VALUES {}",
            values(chunk.len(), 7)
        );
        let mut args = AnyArguments::default();
        for &row in chunk {
            add_line(&mut args, row)?;
        }
        let sql = positional(conn, sql);
        sqlx::query_with(&sql, args).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts orders in one statement: each one's row id, or None when its (program, channel,
/// order id) was taken (by an earlier order, or by one before it in `orders`). With `lines`
/// (each order's, PostgreSQL only) the same statement inserts the lines of the orders it
/// kept.
async fn insert_orders(
    conn: &mut AnyConnection,
    orders: &[NewOrder<'_>],
    lines: Option<&[&[OrderLine]]>,
) -> Result<Vec<Option<i64>>, AppError> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let insert_orders = format!(
        "INSERT INTO orders (program_id, membership_id, channel, channel_order_id, store_id, amount_minor, \
         points, transaction_id, created_at) VALUES {} \
         ON CONFLICT (program_id, channel, channel_order_id) DO NOTHING RETURNING id, transaction_id",
        values(orders.len(), 9)
    );
    let sql = match lines {
        None => insert_orders,
        // A line finds its order by the order's transaction, which is its own.
        Some(lines) => format!(
            "WITH o AS ({insert_orders}), \
             l AS (INSERT INTO order_lines ({LINE_COLUMNS}) \
             SELECT o.id, v.line_no, v.sku, v.category, v.tags, v.quantity, v.amount_minor \
             FROM (VALUES {}) AS v (transaction_id, line_no, sku, category, tags, quantity, amount_minor) \
             JOIN o ON o.transaction_id = v.transaction_id) \
             SELECT id, transaction_id FROM o",
            values_after(orders.len() * 9, lines.iter().map(|l| l.len()).sum(), 7)
        ),
    };
    let mut args = AnyArguments::default();
    for o in orders {
        let mut add = || {
            args.add(o.program_id)?;
            args.add(o.membership_id)?;
            args.add(o.channel)?;
            args.add(o.order_id)?;
            args.add(o.store_id)?;
            args.add(o.amount_minor)?;
            args.add(o.points)?;
            args.add(o.tx_id)?;
            args.add(o.at.0)
        };
        add().map_err(sqlx::Error::Encode)?;
    }
    for (o, lines) in orders.iter().zip(lines.unwrap_or_default()) {
        for row in numbered(o.tx_id, lines) {
            add_line(&mut args, row)?;
        }
    }
    let sql = positional(conn, sql);
    let kept: Vec<(i64, i64)> = sqlx::query_as_with(&sql, args).fetch_all(&mut *conn).await?;
    // Each order has a transaction of its own: that tells the rows apart.
    Ok(orders
        .iter()
        .map(|o| kept.iter().find(|k| k.1 == o.tx_id).map(|k| k.0))
        .collect())
}
