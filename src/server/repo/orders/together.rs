//! Orders booked together: the orders queued to SQLite's writer at one moment, booked with
//! one statement per table for all of them instead of one per table per order. It writes
//! what booking them one after another (`book_order`) would, in the same order. An order
//! whose id or Idempotency-Key is already taken, or a member's orders after one that
//! changed its tier, undo the batch, which runs again without them; they are booked alone
//! after. A budget slot that is full undoes them all, and each is booked alone. Orders whose
//! member has no membership yet or was merged away, or dated on another day than the
//! first, are left to be booked alone.

use std::sync::Arc;

use sqlx::AnyConnection;

use crate::domain::rules as engine;
use crate::error::AppError;
use crate::model::rules::RuleUsage;
use crate::model::time::Timestamp;
use crate::server::db::{Batch, ConnFuture};
use crate::server::repo::idempotency::{Keyed, Slot};
use crate::server::repo::ledger::{self, NewLot, Posting, Standing};
use crate::server::repo::{budgets, members, rules, stamps, tiers};

use super::{
    announce_earned, award_parts, base_rate, budget_charges, hold_until, insert_orders, json, member_context,
    order_status, purchase, receipt, BookedOrder, Evaluation, NewOrder, OrderBooking, Told,
};

/// `BookTogether` for orders.
pub(super) fn book<'c>(
    conn: &'c mut AnyConnection,
    items: &'c [Arc<OrderBooking>],
) -> ConnFuture<'c, Result<Batch<BookedOrder>, AppError>> {
    Box::pin(book_all(conn, items))
}

/// A membership with orders here, as they leave it one after another.
struct Member {
    id: i64,
    /// As read under its lock, before these orders.
    standing: Standing,
    tier_id: Option<i64>,
    usage: Vec<RuleUsage>,
    orders: usize,
}

/// One order, evaluated.
struct Evaluated {
    item: usize,
    member: usize,
    referred_by: Option<i64>,
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

async fn book_all(
    conn: &mut AnyConnection,
    items: &[Arc<OrderBooking>],
) -> Result<Batch<BookedOrder>, AppError> {
    let mut answers: Vec<Option<BookedOrder>> = items.iter().map(|_| None).collect();
    let Some(first) = items.first() else {
        return Ok(Batch::Done(answers));
    };
    let mut pairs: Vec<(i64, i64)> = items.iter().map(|b| (b.member_id, b.setup.program.id)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let entries = members::enter_many(conn, &pairs).await?;
    // Caps are counted per day and month: one day's usage is read for all.
    let day = rules::day_and_month(first.at);
    let mut members: Vec<Member> = Vec::new();
    let mut chosen: Vec<(usize, usize, Option<i64>)> = Vec::new();
    for (i, b) in items.iter().enumerate() {
        let entry = entries
            .iter()
            .find(|(pair, _, merged)| *pair == (b.member_id, b.setup.program.id) && !merged);
        let (Some((_, entry, _)), true) = (entry, rules::day_and_month(b.at) == day) else {
            continue;
        };
        let m = match members.iter().position(|m| m.id == entry.membership_id) {
            Some(m) => m,
            None => {
                members.push(Member {
                    id: entry.membership_id,
                    standing: entry.standing,
                    tier_id: entry.tier_id,
                    usage: Vec::new(),
                    orders: 0,
                });
                members.len() - 1
            }
        };
        members[m].orders += 1;
        chosen.push((i, m, entry.referred_by));
    }
    if chosen.len() < 2 {
        return Ok(Batch::Done(answers));
    }
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    for (id, usage) in
        rules::usage_many(conn, &ids, first.at, items.iter().flat_map(|b| &b.setup.rules)).await?
    {
        if let Some(m) = members.iter_mut().find(|m| m.id == id) {
            m.usage = usage;
        }
    }

    // Evaluated one after another, each seeing what the ones before gave its member.
    let mut evaluated = Vec::with_capacity(chosen.len());
    for (item, member, referred_by) in chosen {
        let b = &items[item];
        let (setup, m) = (&b.setup, &mut members[member]);
        let ctx = member_context(&setup.tiers, m.tier_id, Vec::new());
        let award = engine::evaluate(
            &base_rate(&setup.program),
            &setup.rules,
            &purchase(&b.input, b.at),
            &ctx,
            &m.usage,
        );
        let eval = Evaluation {
            award,
            rules: setup.rules.clone(),
            at: b.at,
        };
        let (by_rule, given) = award_parts(&eval);
        for &(rule_id, points) in &given {
            match m.usage.iter_mut().find(|u| u.rule_id == rule_id) {
                Some(u) => {
                    u.member_day += points;
                    u.member_month += points;
                }
                None => m.usage.push(RuleUsage {
                    rule_id,
                    member_day: points,
                    member_month: points,
                }),
            }
        }
        let budgeted = budget_charges(&by_rule);
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

    // The ledger: transactions, memberships and postings, three statements for all.
    let metas: Vec<ledger::Meta> = evaluated.iter().map(|e| items[e.item].meta(&e.told)).collect();
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
    let members = &members;
    let given: Vec<rules::Given> = evaluated
        .iter()
        .zip(&booked)
        .flat_map(|(e, &(tx_id, _))| {
            e.given.iter().map(move |&(rule_id, points)| rules::Given {
                rule_id,
                membership_id: members[e.member].id,
                transaction_id: tx_id,
                points,
                at: e.eval.at,
            })
        })
        .collect();
    rules::record_awards(conn, &given).await?;

    // The orders; an id taken (before, or twice here) has them booked one by one.
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
                amount_minor: b.input.amount_minor,
                points: e.eval.award.total,
                tx_id,
                at: b.now,
            }
        })
        .collect();
    let order_rows = insert_orders(conn, &new).await?;
    // An order id taken before (a retry) or by an earlier order here: the others again
    // without it; it is booked alone after (and answered as a repeat, or refused).
    let taken: Vec<usize> = evaluated
        .iter()
        .zip(&order_rows)
        .filter(|(_, row)| row.is_none())
        .map(|(e, _)| e.item)
        .collect();
    if !taken.is_empty() {
        return Ok(Batch::Without(taken));
    }
    let order_rows: Vec<i64> = order_rows.into_iter().flatten().collect();
    let holds: Vec<(i64, i64, i64, Timestamp, Option<i64>)> = evaluated
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
        let stamps = stamps::for_order(
            conn,
            &setup.stamp_cards,
            membership_id,
            row,
            &b.input,
            b.recorded_by,
            b.now,
        )
        .await?;
        let held = e.held.is_some();
        announce_earned(
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
        let mut receipt = receipt(
            &setup.program,
            b.member_id,
            tx_id,
            e.eval.award.clone(),
            held,
            standing,
        );
        receipt.stamps = stamps;
        receipts.push(receipt);
    }
    // Upgrades, once per member after its last order here. Had an earlier one of its
    // orders upgraded it, the later ones would have earned at the new tier: the batch again
    // with only its first, the rest booked alone after it.
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
        return Ok(Batch::Without(later));
    }
    let charges: Vec<(i64, i64, i64)> = evaluated
        .iter()
        .flat_map(|e| {
            e.budgeted
                .iter()
                .map(|&(rule, points)| (rule, members[e.member].id, points))
        })
        .collect();
    if !budgets::charge_many(conn, &charges).await? {
        return Ok(Batch::Again);
    }
    let bodies: Vec<(usize, u16, String)> = evaluated
        .iter()
        .zip(&receipts)
        .filter(|(e, _)| items[e.item].slot.is_some())
        .map(|(e, r)| (e.item, order_status(r), json(r)))
        .collect();
    let keys: Vec<(&Slot, u16, &str)> = bodies
        .iter()
        .filter_map(|(i, status, body)| Some((items[*i].slot.as_ref()?, *status, body.as_str())))
        .collect();
    // A key stored before (a retry, or the same key with another body): the others again
    // without it; booked alone after, it is answered from what the key holds.
    let stored = Slot::keep_many(conn, &keys).await?;
    let taken: Vec<usize> = bodies
        .iter()
        .zip(&stored)
        .filter(|(_, &kept)| !kept)
        .map(|((i, _, _), _)| *i)
        .collect();
    if !taken.is_empty() {
        return Ok(Batch::Without(taken));
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
    Ok(Batch::Done(answers))
}
