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
use crate::components::scroll::scroll_to;
use crate::components::states::{Empty, Loaded};
use crate::components::table::DataTable;
use crate::domain::{card, currency, wording};
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
    let last_redeemed = RwSignal::new(None::<i64>);
    // The new code is drawn under the reward; bring it into view (the page may be long).
    Effect::new(move |_| {
        if redeemed.get() > 0 {
            scroll_to("[data-testid=redeemed]");
        }
    });
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
            <Loaded what="your account" resource=overview view=move |o| overview_view(o, redeem, last_redeemed) />
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

/// `last` is the reward whose redeem form was sent last (kept by the page, so a refresh of the
/// overview does not forget where to show the answer).
fn overview_view(
    o: PortalOverview,
    redeem: ServerAction<RedeemMyReward>,
    last: RwSignal<Option<i64>>,
) -> impl IntoView {
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
    let programs: Vec<ProgramLabel> = memberships.iter().map(ProgramLabel::of).collect();
    view! {
        <div class="columns">
            <section class="card loyalty-card" aria-label="Digital card">
                <p class="muted">"Show this at the till"</p>
                <p class="card-holder">{member.name.clone()}</p>
                <p class="card-number mono" aria-label="Card number" dir="ltr">{card::grouped(&member.card_number)}</p>
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
                memberships
                    .into_iter()
                    .map(|m| {
                        let mine = stamps.iter().filter(|s| s.program_id == m.program_id).cloned().collect();
                        membership_view(m, mine)
                    })
                    .collect_view()
                    .into_any()
            }}
        </div>
        {issued_view(issued, &programs)}
        {offers_view(rewards, &programs, nonce, redeem, last)}
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
        <section class="card" aria-label="History">
            <h2>"History"</h2>
            {history_view(history, &programs)}
        </section>
    }
}

/// What the lists of several programs need to say whose a row is.
#[derive(Clone)]
struct ProgramLabel {
    id: crate::model::ids::ProgramId,
    name: String,
    currency_name: String,
}

impl ProgramLabel {
    fn of(m: &MembershipView) -> Self {
        ProgramLabel {
            id: m.program_id,
            name: m.program_name.clone(),
            currency_name: m.currency_name.clone(),
        }
    }
}

/// The programs in the member's order, each with the items of `list` that are its own;
/// programs with none are left out.
fn by_program<T>(
    list: Vec<T>,
    programs: &[ProgramLabel],
    of: impl Fn(&T) -> crate::model::ids::ProgramId,
) -> Vec<(ProgramLabel, Vec<T>)> {
    let mut groups: Vec<(ProgramLabel, Vec<T>)> = programs.iter().map(|p| (p.clone(), Vec::new())).collect();
    for item in list {
        if let Some(g) = groups.iter_mut().find(|(p, _)| p.id == of(&item)) {
            g.1.push(item);
        }
    }
    groups.retain(|(_, items)| !items.is_empty());
    groups
}

/// One program as the member has it: points only where the program gives points, tier and
/// progress only where it has tiers, and its stamp cards.
fn membership_view(m: MembershipView, stamps: Vec<StampBalance>) -> impl IntoView {
    let worth = currency::format_minor(m.balance.saturating_mul(m.point_value_minor), &m.currency_code);
    let points = m.earns_points.then(|| {
        view! {
            <p class="balance-big">
                <span data-testid="balance">{wording::grouped(m.balance)}</span>
                " "
                {m.currency_name.clone()}
            </p>
            {(m.point_value_minor > 0).then(|| view! { <p class="muted">{format!("Worth {worth}")}</p> })}
            {(m.pending > 0)
                .then(|| {
                    view! {
                        <p class="muted" data-testid="pending">
                            {format!("+{} pending until the return window closes", wording::points(m.pending, &m.currency_name))}
                        </p>
                    }
                })}
        }
    });
    let tier = m.has_tiers.then(|| tier_standing(&m));
    let nothing = (!m.earns_points && !m.has_tiers && stamps.is_empty())
        .then(|| view! { <p class="muted">"Nothing to collect here yet."</p> });
    view! {
        <section class="card membership" aria-label=m.program_name.clone()>
            <h2>{m.program_name.clone()}</h2>
            {points}
            {tier}
            {stamps_view(stamps)}
            {nothing}
        </section>
    }
}

/// Tier, multiplier and the way to the next tier, in the program's own terms (points or
/// spend, lifetime or this year).
fn tier_standing(m: &MembershipView) -> impl IntoView {
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
    let period = match m.tier_window.as_str() {
        "calendar_year" => " this year",
        "rolling_12m" => " within 12 months",
        _ => "",
    };
    let progress = match &m.next_tier {
        Some(next) => {
            let left = (next.threshold_points - m.qualifying).max(0);
            let left = if m.tier_basis == "spend" {
                format!(
                    "{} more to spend",
                    currency::format_minor(
                        left * currency::minor_per_unit(&m.currency_code),
                        &m.currency_code
                    )
                )
            } else {
                format!("{} more", wording::points(left, &m.currency_name))
            };
            format!("{left}{period} to reach {}", next.name)
        }
        None => format!("{tier_name} is the top tier"),
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
    let label = format!("Progress to the next tier: {}%", m.progress_pct);
    view! {
        <p>
            <span class="badge">{tier_name}</span>
            " earns " {multiplier}
        </p>
        {m.next_tier.is_some().then(|| view! { <progress max="100" value=m.progress_pct aria-label=label></progress> })}
        <p class="muted" data-testid="tier-progress">{progress}</p>
        {review.map(|r| view! { <p class="muted" data-testid="tier-review">{r}</p> })}
    }
}

/// The history, one table per program: each has its own currency and its own balance.
fn history_view(history: Vec<LedgerLine>, programs: &[ProgramLabel]) -> AnyView {
    if history.is_empty() {
        return view! { <Empty><p>"No activity yet. Your purchases and points will show up here."</p></Empty> }.into_any();
    }
    by_program(history, programs, |l| l.program_id)
        .into_iter()
        .map(|(p, lines)| {
            let label = format!("History of {}", p.name);
            view! {
                <h3>{p.name.clone()}</h3>
                <div class="table-scroll">
                    <table class="history" aria-label=label>
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"Where"</th>
                                <th scope="col" class="num">{p.currency_name.clone()}</th>
                                <th scope="col" class="num">"Balance"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {lines
                                .into_iter()
                                .map(|l| {
                                    let sign = if l.points > 0 { "+" } else { "" };
                                    view! {
                                        <tr>
                                            <td>{l.created_at.display()}</td>
                                            <td>
                                                {l.sentence.clone()}
                                                {(l.account == "pending").then_some(view! { " " <span class="badge">"pending"</span> })}
                                            </td>
                                            <td>{where_label(&l)}</td>
                                            <td class="num">{format!("{sign}{}", wording::grouped(l.points))}</td>
                                            <td class="num">{wording::grouped(l.balance_after)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
        })
        .collect_view()
        .into_any()
}

/// Where a line happened, as a member would say it ("In store PARIS-1", "Online").
fn where_label(l: &LedgerLine) -> String {
    let channel = match l.channel.as_str() {
        "store" | "desk" => "In store",
        "web" => "Online",
        "app" => "In the app",
        _ => "—",
    };
    match &l.store {
        Some(code) => format!("{channel} {code}"),
        None => channel.to_string(),
    }
}

/// Rewards the member has redeemed, in a table: the ones to use first (code and PIN to show
/// at the till), then those used, cancelled or expired.
fn issued_view(issued: Vec<IssuedReward>, programs: &[ProgramLabel]) -> Option<impl IntoView> {
    (!issued.is_empty()).then(|| {
        let several = programs.len() > 1;
        let program_of = |r: &IssuedReward| {
            programs.iter().find(|p| p.id == r.program_id).map(|p| p.name.clone()).unwrap_or_default()
        };
        let (open, past): (Vec<_>, Vec<_>) = issued
            .into_iter()
            .map(|r| {
                let program = program_of(&r);
                (r, program)
            })
            .partition(|(r, _)| matches!(r.status, RewardStatus::Issued | RewardStatus::Reserved));
        let table = move |rows: Vec<(IssuedReward, String)>, label: &'static str| {
            let mut columns = vec!["Reward"];
            if several {
                columns.push("Program");
            }
            columns.extend(["Code", "PIN", "Status"]);
            view! {
                <DataTable columns label class="codes-table">
                    {rows
                        .into_iter()
                        .map(|(r, program)| {
                            let status = match r.status {
                                RewardStatus::Issued => format!("Ready to use until {}", r.expires_at.display()),
                                RewardStatus::Reserved => "Reserved at a checkout".to_string(),
                                RewardStatus::Used => "Used".to_string(),
                                RewardStatus::Released => "Cancelled, points returned".to_string(),
                                RewardStatus::Expired => "Expired".to_string(),
                            };
                            view! {
                                <tr class=format!("code {}", r.status)>
                                    <td>{r.reward_name.clone()}</td>
                                    {several.then(|| view! { <td>{program}</td> })}
                                    <td class="mono" dir="ltr">{r.code.clone()}</td>
                                    <td class="mono" dir="ltr">{r.pin.clone()}</td>
                                    <td class="status">{status}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
            }
        };
        let past_count = past.len();
        view! {
            <section class="card" aria-label="Your rewards">
                <h2>"Your rewards"</h2>
                {if open.is_empty() {
                    view! { <Empty><p>"No reward to use right now."</p></Empty> }.into_any()
                } else {
                    table(open, "Rewards to use").into_any()
                }}
                {(past_count > 0).then(|| view! {
                    <details class="past-codes">
                        <summary>{format!("Used, cancelled and expired ({past_count})")}</summary>
                        {table(past, "Used, cancelled and expired rewards")}
                    </details>
                })}
            </section>
        }
    })
}

/// The catalogue by program: what the member can redeem now, and why not otherwise. Redeeming
/// asks once (the cost named), and the code appears under the reward just redeemed.
fn offers_view(
    offers: Vec<Offer>,
    programs: &[ProgramLabel],
    nonce: String,
    redeem: ServerAction<RedeemMyReward>,
    last: RwSignal<Option<i64>>,
) -> Option<impl IntoView> {
    (!offers.is_empty()).then(|| {
        let several = programs.len() > 1;
        // An error from a plain post (no JavaScript: no row was clicked here) shows on top.
        let unplaced = move || redeem.value().get().filter(|r| r.is_err() && last.get().is_none());
        view! {
            <section class="card" aria-label="Rewards to redeem">
                <h2>"Rewards to redeem"</h2>
                <FormNotice result=Signal::derive(unplaced) />
                {by_program(offers, programs, |o| o.reward.program_id)
                    .into_iter()
                    .map(|(p, list)| {
                        let nonce = nonce.clone();
                        view! {
                            {several.then(|| view! { <h3>{p.name.clone()}</h3> })}
                            <ul class="rewards">
                                {list.into_iter().map(|o| offer_row(o, &p, nonce.clone(), redeem, last)).collect_view()}
                            </ul>
                        }
                    })
                    .collect_view()}
            </section>
        }
    })
}

/// `last` is the reward whose form was sent last from this page (an error is shown under it).
fn offer_row(
    o: Offer,
    p: &ProgramLabel,
    nonce: String,
    redeem: ServerAction<RedeemMyReward>,
    last: RwSignal<Option<i64>>,
) -> impl IntoView {
    let pending = redeem.pending();
    let reward_id = o.reward.id;
    // A new id only after a success: a retry after an error or a lost answer (the server may
    // have redeemed it) is the same redemption.
    let redeemed = successes(redeem);
    let request_id = move || format!("p{nonce}-{reward_id}-{}", redeemed.get());
    let blocked = o.blocked();
    let cost = wording::price(o.reward.cost_points, &p.currency_name);
    let question = if o.reward.cost_points == 0 {
        format!("Get {} now?", o.reward.name)
    } else {
        format!("Spend {cost} on {}?", o.reward.name)
    };
    let name = o.reward.name.clone();
    // The outcome under the reward it is about: the new code, or why not.
    let outcome = move || {
        redeem.value().get().and_then(|r| match r {
            Ok(issued) if issued.reward_id == reward_id => Some(
                view! {
                    <div class="notice ok redeemed" role="status" data-testid="redeemed">
                        <p>
                            <strong>{format!("{} is yours.", issued.reward_name)}</strong>
                            " Show this code at the till or enter it online: "
                            <span class="mono code-big" dir="ltr">{issued.code.clone()}</span>
                            " · PIN "
                            <span class="mono" dir="ltr">{issued.pin.clone()}</span>
                        </p>
                        <p class="hint">{format!("Valid until {}. It is also under Your rewards.", issued.expires_at.display())}</p>
                    </div>
                }
                .into_any(),
            ),
            Err(e) if last.get() == Some(reward_id) => {
                Some(view! { <p class="notice error" role="alert">{e.to_string()}</p> }.into_any())
            }
            _ => None,
        })
    };
    view! {
        <li class="reward">
            <div>
                <strong>{o.reward.name.clone()}</strong>
                <span class="muted">{format!(" · {cost}")}</span>
                {(!o.reward.description.is_empty()).then(|| view! { <p>{o.reward.description.clone()}</p> })}
                {blocked.clone().map(|b| view! { <p class="hint">{b}</p> })}
            </div>
            {match blocked {
                Some(_) => view! {
                    <button type="button" class="button secondary" disabled=true aria-label=format!("Redeem {name}")>"Redeem"</button>
                }
                .into_any(),
                None => view! {
                    // A disclosure asks once, with or without JavaScript: the first button only
                    // opens the question; the form inside spends.
                    <details class="confirm">
                        <summary class="button secondary" aria-label=format!("Redeem {name}")>"Redeem"</summary>
                        <ActionForm action=redeem attr:class="confirm-form">
                            <p>{question}</p>
                            <input type="hidden" name="reward_id" value=reward_id />
                            <input type="hidden" name="request_id" prop:value=request_id.clone() value=request_id />
                            <button type="submit" class="button" disabled=move || pending.get() on:click=move |_| last.set(Some(reward_id))>
                                {move || if pending.get() { "Redeeming…" } else { "Yes, redeem" }}
                            </button>
                        </ActionForm>
                    </details>
                }
                .into_any(),
            }}
            <div class="outcome">{outcome}</div>
        </li>
    }
}

/// Stamp cards of one program: how far each is from its reward.
fn stamps_view(stamps: Vec<StampBalance>) -> impl IntoView {
    (!stamps.is_empty()).then(|| {
        view! {
            <ul class="stamps" aria-label="Stamp cards">
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
