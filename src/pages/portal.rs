//! The member portal: balance, tier and progress, digital card, history, programs to join.
//! Rendered on the server (it works without JavaScript). Reached inside the app it hydrates
//! and its resources refresh it every few seconds; opened directly it is sent as islands
//! (see `app::shell`) and `KeepFresh` refreshes the account region instead, with the forms
//! working as plain HTML forms that still say what they did (`components::outcome`). Either
//! way a purchase at the till shows without a reload.

use std::time::Duration;

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::portal::{
    joinable_programs, my_portal, JoinProgram, LinkMyCard, RedeemMyReward, SetMyBirthDate,
};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::fresh::KeepFresh;
use crate::components::states::{Empty, Loaded};
use crate::domain::{card, currency};
use crate::model::card::StampBalance;
use crate::model::member::{LedgerLine, MembershipView, PortalOverview};
use crate::model::program::multiplier_label;
use crate::model::reward::RewardStatus;
use crate::model::reward::{IssuedReward, Offer};

const REFRESH_EVERY: Duration = Duration::from_secs(4);

#[component]
pub fn PortalPage() -> impl IntoView {
    let join = form_action::<JoinProgram>();
    let redeem = form_action::<RedeemMyReward>();
    let redeemed = successes(redeem);
    let link = form_action::<LinkMyCard>();
    let linked = successes(link);
    let birthday = form_action::<SetMyBirthDate>();
    let tick = RwSignal::new(0u32);
    // Runs in the browser only: effects do not run during server rendering.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|n| *n += 1), REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let overview = Resource::new(
        move || (join.version().get(), redeemed.get(), linked.get(), tick.get()),
        |_| my_portal(),
    );
    let joinable = Resource::new(move || join.version().get(), |_| joinable_programs());
    view! {
        <Title text="Portal" />
        <h1>"My loyalty"</h1>
        // What the page shows of the account, kept current on a first load sent as islands
        // by `KeepFresh` (and in the whole app by the resources above).
        <div id="portal-live">
            <Loaded what="your account" resource=overview view=move |o| overview_view(o, redeem) />
        </div>
        {crate::app::rendered_as_islands()
            .then(|| view! { <KeepFresh region="portal-live".to_string() every_ms=REFRESH_EVERY.as_millis() as u64 /> })}
        <LinkCardForm action=link />
        <BirthdayForm action=birthday />
        <Transition fallback=|| ()>
            {move || {
                joinable
                    .get()
                    .and_then(Result::ok)
                    .filter(|list| !list.is_empty())
                    .map(|list| {
                        view! {
                            <section class="card">
                                <h2>"Programs you can join"</h2>
                                <FormNotice result=join.value() />
                                <ul class="list">
                                    {list
                                        .into_iter()
                                        .map(|p| {
                                            view! {
                                                <li>
                                                    <span>{format!("{} — collect {}", p.name, p.currency_name)}</span>
                                                    <ActionForm action=join attr:class="inline">
                                                        <input type="hidden" name="program_id" value=p.id />
                                                        <button type="submit" class="button">{format!("Join {}", p.name)}</button>
                                                    </ActionForm>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                    })
            }}
        </Transition>
    }
}

fn overview_view(o: PortalOverview, redeem: ServerAction<RedeemMyReward>) -> impl IntoView {
    let PortalOverview {
        member,
        memberships,
        rewards,
        issued,
        history,
        referral_code,
        stamps,
    } = o;
    let nonce = format!("{}-{}", member.id, history.first().map(|l| l.id).unwrap_or(0));
    view! {
        <div class="columns">
            <section class="card loyalty-card" aria-label="Digital card">
                <p class="muted">"Show this at the till"</p>
                <p class="card-holder">{member.name.clone()}</p>
                <p class="card-number mono" aria-label="Card number">{card::grouped(&member.card_number)}</p>
                <p class="muted">
                    {match &member.birth_date {
                        Some(d) => format!("Birthday: {}", &d[5..]),
                        None => "Add your birthday below for a yearly treat.".into(),
                    }}
                </p>
            </section>
            {if memberships.is_empty() {
                view! {
                    <section class="card">
                        <Empty>
                            <p>"You have not joined a program yet. Pick one below to start collecting."</p>
                        </Empty>
                    </section>
                }
                    .into_any()
            } else {
                memberships.into_iter().map(membership_view).collect_view().into_any()
            }}
        </div>
        {stamps_view(stamps)}
        {issued_view(issued)}
        <section class="card" aria-label="Invite friends">
            <h2>"Invite friends"</h2>
            <p>
                "Your referral code: " <strong class="mono" data-testid="referral-code">{referral_code.clone()}</strong>
            </p>
            <p class="muted">
                "Friends who join with it and make their first purchase earn a welcome bonus, and so do you. Share "
                <a href=format!("/signup?ref={referral_code}")>{format!("/signup?ref={referral_code}")}</a>
            </p>
        </section>
        {offers_view(rewards, nonce, redeem)}
        <section class="card">
            <h2>"History"</h2>
            {history_view(history)}
        </section>
    }
}

fn membership_view(m: MembershipView) -> impl IntoView {
    let worth = currency::format_minor(m.balance.saturating_mul(m.point_value_minor), &m.currency_code);
    let tier_name = m
        .tier
        .as_ref()
        .map(|t| t.name.clone())
        .unwrap_or_else(|| "No tier yet".into());
    let multiplier = m
        .tier
        .as_ref()
        .map(|t| multiplier_label(t.multiplier_pct))
        .unwrap_or_else(|| "x1".into());
    let unit = if m.tier_basis == "spend" {
        format!("{} to spend", m.currency_code)
    } else {
        m.currency_name.clone()
    };
    let period = match m.tier_window.as_str() {
        "calendar_year" => " this year",
        "rolling_12m" => " within 12 months",
        _ => "",
    };
    let progress = match &m.next_tier {
        Some(next) => format!(
            "{} more {unit}{period} to reach {}",
            (next.threshold_points - m.qualifying).max(0),
            next.name
        ),
        None => "Top tier reached".to_string(),
    };
    // Under a scheduled review a member keeps the tier until then, whatever happens before.
    let review = match (m.tier_review.as_str(), &m.tier) {
        ("monthly", Some(t)) if t.threshold_points > 0 => Some(format!(
            "You keep {} at least until the review on the 1st of next month.",
            t.name
        )),
        ("yearly", Some(t)) if t.threshold_points > 0 => Some(format!(
            "You keep {} at least until the review on 1 January.",
            t.name
        )),
        _ => None,
    };
    let label = format!("Progress to next tier: {}%", m.progress_pct);
    view! {
        <section class="card membership" aria-label=m.program_name.clone()>
            <h2>{m.program_name.clone()}</h2>
            <p class="balance-big">
                <span data-testid="balance">{m.balance}</span>
                " "
                {m.currency_name.clone()}
            </p>
            <p class="muted">{format!("Worth {worth}")}</p>
            {(m.pending > 0)
                .then(|| {
                    view! {
                        <p class="muted" data-testid="pending">
                            {format!("+{} {} pending until the return window closes", m.pending, m.currency_name)}
                        </p>
                    }
                })}
            <p>
                <span class="badge">{tier_name}</span>
                " earns " {multiplier}
            </p>
            <progress max="100" value=m.progress_pct aria-label=label></progress>
            <p class="muted">{progress}</p>
            {review.map(|r| view! { <p class="muted" data-testid="tier-review">{r}</p> })}
        </section>
    }
}

fn history_view(history: Vec<LedgerLine>) -> AnyView {
    if history.is_empty() {
        return view! { <Empty><p>"No activity yet. Your purchases and points will show up here."</p></Empty> }.into_any();
    }
    view! {
        <table class="history">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"What"</th>
                    <th scope="col" class="num">"Points"</th>
                    <th scope="col" class="num">"Balance"</th>
                </tr>
            </thead>
            <tbody>
                {history
                    .into_iter()
                    .map(|l| {
                        let sign = if l.points > 0 { "+" } else { "" };
                        view! {
                            <tr>
                                <td>{l.created_at.display()}</td>
                                <td>
                                    {l.description.clone()}
                                    {(l.kind == crate::model::ledger::TxKind::Earn)
                                        .then(|| l.reference.clone())
                                        .flatten()
                                        .map(|r| view! { <span class="muted">{format!(" · ref {r}")}</span> })}
                                    {(l.account == "pending").then_some(view! { <span class="badge">"pending"</span> })}
                                </td>
                                <td class="num">{format!("{sign}{}", l.points)}</td>
                                <td class="num">{l.balance_after}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Rewards the member has redeemed: code and PIN to show at the till, and what became of them.
fn issued_view(issued: Vec<IssuedReward>) -> Option<impl IntoView> {
    (!issued.is_empty()).then(|| {
        view! {
            <section class="card" aria-label="Your rewards">
                <h2>"Your rewards"</h2>
                <ul class="codes">
                    {issued
                        .into_iter()
                        .map(|r| {
                            let status = match r.status {
                                RewardStatus::Issued => format!("ready to use until {}", r.expires_at.display()),
                                RewardStatus::Reserved => "reserved at a checkout".to_string(),
                                RewardStatus::Used => "used".to_string(),
                                RewardStatus::Released => "cancelled, points returned".to_string(),
                                RewardStatus::Expired => "expired".to_string(),
                            };
                            view! {
                                <li class=format!("code {}", r.status)>
                                    <strong>{r.reward_name.clone()}</strong>
                                    " · code " <span class="mono">{r.code.clone()}</span>
                                    " · PIN " <span class="mono">{r.pin.clone()}</span>
                                    " · " <span class="status">{status}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

/// The catalogue: what the member can redeem now, and why not otherwise.
fn offers_view(
    offers: Vec<Offer>,
    nonce: String,
    redeem: ServerAction<RedeemMyReward>,
) -> Option<impl IntoView> {
    (!offers.is_empty()).then(|| {
        let pending = redeem.pending();
        view! {
            <section class="card" aria-label="Rewards to redeem">
                <h2>"Rewards to redeem"</h2>
                <FormNotice result=redeem.value() />
                <ul class="rewards">
                    {offers
                        .into_iter()
                        .map(|o| {
                            let reward_id = o.reward.id;
                            let nonce = nonce.clone();
                            let request_id = move || format!("p{nonce}-{reward_id}-{}", redeem.version().get());
                            let blocked = o
                                .unavailable
                                .clone()
                                .or_else(|| (!o.affordable).then(|| "Not enough points yet.".to_string()));
                            view! {
                                <li class="reward">
                                    <div>
                                        <strong>{o.reward.name.clone()}</strong>
                                        <span class="muted">{format!(" · {} points", o.reward.cost_points)}</span>
                                        {(!o.reward.description.is_empty()).then(|| view! { <p>{o.reward.description.clone()}</p> })}
                                        {blocked.clone().map(|b| view! { <p class="hint">{b}</p> })}
                                    </div>
                                    <ActionForm action=redeem attr:class="inline">
                                        <input type="hidden" name="reward_id" value=reward_id />
                                        <input type="hidden" name="request_id" prop:value=request_id.clone() value=request_id />
                                        <button
                                            type="submit"
                                            class="button secondary"
                                            disabled=move || blocked.is_some() || pending.get()
                                            aria-label=format!("Redeem {}", o.reward.name)
                                        >
                                            "Redeem"
                                        </button>
                                    </ActionForm>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

/// Stamp cards: how far each is from its reward.
fn stamps_view(stamps: Vec<StampBalance>) -> impl IntoView {
    (!stamps.is_empty()).then(|| {
        view! {
            <section class="card" aria-label="Stamp cards">
                <h2>"Stamp cards"</h2>
                <ul class="stamps">
                    {stamps
                        .into_iter()
                        .map(|s| {
                            let left = (s.stamps_required - s.stamps).max(0);
                            view! {
                                <li>
                                    <strong>{s.name.clone()}</strong>
                                    <span>{format!(" {} / {} stamps", s.stamps, s.stamps_required)}</span>
                                    <meter min="0" max=s.stamps_required value=s.stamps aria-label=format!("{} stamps", s.name)></meter>
                                    <span class="muted">{format!(" {left} more for {}", s.reward_name)}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

/// Registers a printed card: what was collected on it moves into the account. Kept outside
/// the refreshing overview so typing is never redrawn away.
#[component]
fn LinkCardForm(action: ServerAction<LinkMyCard>) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <section class="card" aria-label="Register a card">
            // Open when it has something to say: after a plain post the page is drawn again.
            <details open=move || value.with(Option::is_some)>
                <summary>"Have a printed card? Register it"</summary>
                <ActionForm action attr:class="purchase">
                    <FormNotice result=value />
                    <Field label="Printed card number" name="input[card_number]" scope="link" inputmode="numeric" error=err("card_number") autocomplete="off" />
                    <Field
                        label="Security code"
                        name="input[security_code]"
                        scope="link"
                        inputmode="numeric"
                        hint="Under the scratch panel on the back of the card."
                        error=err("security_code")
                        autocomplete="off"
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>"Register card"</button>
                </ActionForm>
                {move || value.get().and_then(Result::ok).map(|r| view! {
                    <p class="notice success" role="status">
                        {format!("Card {} registered: {} points and {} stamps added.", card::grouped(&r.card_number), r.points, r.stamps)}
                    </p>
                })}
            </details>
        </section>
    }
}

/// The member's date of birth, for the yearly birthday reward.
#[component]
fn BirthdayForm(action: ServerAction<SetMyBirthDate>) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <section class="card" aria-label="Birthday">
            <details open=move || value.with(Option::is_some)>
                <summary>"Your birthday"</summary>
                <ActionForm action attr:class="purchase">
                    <FormNotice result=value />
                    <Field
                        label="Date of birth"
                        name="birth_date"
                        kind="date"
                        autocomplete="bday"
                        hint="Programs with a birthday reward give it once a year, on the day, for a date given at least 30 days before it."
                        error=err("birth_date")
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>"Save birthday"</button>
                </ActionForm>
                {move || value.get().and_then(Result::ok).map(|d| view! {
                    <p class="notice success" role="status">
                        {match d { Some(d) => format!("Saved: {d}."), None => "Birthday removed.".into() }}
                    </p>
                })}
            </details>
        </section>
    }
}
