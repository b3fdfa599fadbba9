//! The in-store desk: find a member by email, phone or card number, record a purchase and
//! see what it earned and why.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::desk::{desk_search, AdjustPoints, RecordPurchase, RedeemReward, UseRewardCode};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::card;
use crate::model::member::{DeskMember, DeskResults};
use crate::model::program::Program;
use crate::model::reward::{IssuedReward, Offer};

#[component]
pub fn DeskPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let purchase = ServerAction::<RecordPurchase>::new();
    let redeem = ServerAction::<RedeemReward>::new();
    let use_code = ServerAction::<UseRewardCode>::new();
    let adjust = ServerAction::<AdjustPoints>::new();
    let adjusted = successes(adjust);
    let booked = successes(purchase);
    let redeemed = successes(redeem);
    let used = successes(use_code);
    let search = Resource::new(
        move || (q(), booked.get(), redeemed.get(), used.get(), adjusted.get()),
        |(q, ..)| desk_search(q),
    );
    view! {
        <Title text="Desk" />
        <h1>"Store desk"</h1>
        <section class="card">
            <Form method="GET" action="" attr:class="search" attr:role="search">
                <div class="field grow">
                    <label for="q">"Find a member"</label>
                    <input
                        id="q"
                        name="q"
                        type="search"
                        prop:value=q
                        value=q
                        placeholder="Email, phone or card number"
                        autocomplete="off"
                    />
                </div>
                <button type="submit" class="button">"Find"</button>
            </Form>
        </section>
        <UseCode action=use_code />
        <Receipt action=purchase />
        <RewardReceipt action=redeem />
        {move || {
            adjust.value().get().and_then(Result::ok).map(|r| {
                view! {
                    <p class="notice ok" role="status">{format!("Adjusted by {}; balance now {}.", r.points, r.balance)}</p>
                }
            })
        }}
        <Transition fallback=|| view! { <Loading what="members" /> }>
            {move || {
                let query_text = q();
                search
                    .get()
                    .map(move |r| {
                        or_error(r, move |found: DeskResults| results(found, query_text, purchase, redeem, adjust))
                    })
            }}
        </Transition>
    }
}

fn results(
    found: DeskResults,
    query: String,
    purchase: ServerAction<RecordPurchase>,
    redeem: ServerAction<RedeemReward>,
    adjust: ServerAction<AdjustPoints>,
) -> AnyView {
    if query.trim().is_empty() {
        return view! {
            <Empty>
                <p>"Scan or type the member's card number, or ask for their email or phone."</p>
            </Empty>
        }
        .into_any();
    }
    if found.members.is_empty() {
        return view! {
            <Empty>
                <p>{format!("No member matches “{query}”.")}</p>
            </Empty>
        }
        .into_any();
    }
    let DeskResults {
        members,
        programs,
        nonce,
    } = found;
    members
        .into_iter()
        .map(|m| view! { <MemberCard found=m programs=programs.clone() nonce=nonce.clone() purchase redeem adjust /> })
        .collect_view()
        .into_any()
}

#[component]
fn MemberCard(
    found: DeskMember,
    programs: Vec<Program>,
    nonce: String,
    purchase: ServerAction<RecordPurchase>,
    redeem: ServerAction<RedeemReward>,
    adjust: ServerAction<AdjustPoints>,
) -> impl IntoView {
    let adjust_nonce = nonce.clone();
    let DeskMember {
        member,
        memberships,
        rewards,
        open_rewards,
    } = found;
    let adjust_programs: Vec<(i64, String)> = memberships
        .iter()
        .map(|m| (m.program_id, m.program_name.clone()))
        .collect();
    let redeem_nonce = nonce.clone();
    let value = purchase.value();
    let pending = purchase.pending();
    let err = move |f| field_error(move || value.get(), f);
    let member_id = member.id;
    // A new id per completed attempt: a double click or a retry of the same attempt books once.
    let request_id = move || format!("{nonce}-{member_id}-{}", purchase.version().get());
    let default_program = memberships.first().map(|m| m.program_id);
    view! {
        <section class="card member" aria-label=format!("Member {}", member.name)>
            <header class="member-head">
                <h2>{member.name.clone()}</h2>
                <p class="muted">
                    {member.email.clone().unwrap_or_default()} " · " {member.phone.clone().unwrap_or_else(|| "no phone".into())}
                    " · card " <span class="mono">{card::grouped(&member.card_number)}</span>
                </p>
            </header>
            <ul class="balances">
                {memberships
                    .iter()
                    .map(|ms| {
                        view! {
                            <li>
                                <strong>{ms.program_name.clone()}</strong>
                                <span class="balance">{format!("{} {}", ms.balance, ms.currency_name)}</span>
                                <span class="badge">{ms.tier.as_ref().map(|t| t.name.clone()).unwrap_or_else(|| "No tier".into())}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {if programs.is_empty() {
                view! { <Empty><p>"No program is set up yet, so purchases cannot be recorded."</p></Empty> }.into_any()
            } else {
                view! {
                    <ActionForm action=purchase attr:class="purchase">
                        <h3>"Record an in-store purchase"</h3>
                        <input type="hidden" name="input[member_id]" value=member_id />
                        <input type="hidden" name="input[request_id]" prop:value=request_id.clone() value=request_id />
                        <FormNotice result=value />
                        <div class="field">
                            <label for=format!("program-{member_id}")>"Program"</label>
                            <select id=format!("program-{member_id}") name="input[program_id]">
                                {programs
                                    .iter()
                                    .map(|p| {
                                        let selected = Some(p.id) == default_program;
                                        view! {
                                            <option value=p.id selected=selected>
                                                {format!("{} ({})", p.name, p.currency_code)}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                        <Field
                            label="Amount paid"
                            name="input[amount]"
                            scope=format!("member-{member_id}")
                            inputmode="decimal"
                            hint="In the program's currency, e.g. 12.50."
                            error=err("amount")
                        />
                        <Field
                            label="Receipt number (optional)"
                            name="input[reference]"
                            scope=format!("member-{member_id}")
                            error=err("reference")
                        />
                        <button type="submit" class="button" disabled=move || pending.get()>
                            {move || if pending.get() { "Recording…" } else { "Record purchase" }}
                        </button>
                    </ActionForm>
                }
                    .into_any()
            }}
            <RewardList member_id offers=rewards nonce=redeem_nonce redeem />
            <OpenRewards rewards=open_rewards />
            <Adjust member_id programs=adjust_programs nonce=adjust_nonce action=adjust />
        </section>
    }
}

/// The catalogue for this member: each reward they can afford has a Redeem button.
#[component]
fn RewardList(
    member_id: i64,
    offers: Vec<Offer>,
    nonce: String,
    redeem: ServerAction<RedeemReward>,
) -> impl IntoView {
    let value = redeem.value();
    let pending = redeem.pending();
    if offers.is_empty() {
        return view! { <p class="muted">"No rewards in this member's programs yet."</p> }.into_any();
    }
    let rows = offers
        .into_iter()
        .map(|o| {
            let reward_id = o.reward.id;
            let nonce = nonce.clone();
            let request_id = move || format!("{nonce}-r{member_id}-{reward_id}-{}", redeem.version().get());
            let blocked = o.unavailable.clone().or_else(|| (!o.affordable).then(|| "Not enough points yet.".to_string()));
            view! {
                <li class="reward">
                    <div>
                        <strong>{o.reward.name.clone()}</strong>
                        <span class="muted">{format!(" · {} points", o.reward.cost_points)}</span>
                        {blocked.clone().map(|b| view! { <p class="hint">{b}</p> })}
                    </div>
                    <ActionForm action=redeem attr:class="inline">
                        <input type="hidden" name="input[member_id]" value=member_id />
                        <input type="hidden" name="input[reward_id]" value=reward_id />
                        <input type="hidden" name="input[request_id]" prop:value=request_id.clone() value=request_id />
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
        .collect_view();
    view! {
        <h3>"Rewards"</h3>
        <FormNotice result=value />
        <ul class="rewards">{rows}</ul>
    }
    .into_any()
}

/// Gives or takes points by hand; the reason is kept in the ledger with who did it.
#[component]
fn Adjust(
    member_id: i64,
    programs: Vec<(i64, String)>,
    nonce: String,
    action: ServerAction<AdjustPoints>,
) -> impl IntoView {
    if programs.is_empty() {
        return ().into_any();
    }
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let request_id = move || format!("{nonce}-a{member_id}-{}", action.version().get());
    let scope = format!("adjust-{member_id}");
    view! {
        <details class="adjust">
            <summary>"Adjust the balance by hand"</summary>
            <ActionForm action attr:class="purchase">
                <input type="hidden" name="input[member_id]" value=member_id />
                <input type="hidden" name="input[request_id]" prop:value=request_id.clone() value=request_id />
                <FormNotice result=value />
                <div class="field">
                    <label for=format!("{scope}-program")>"Program"</label>
                    <select id=format!("{scope}-program") name="input[program_id]">
                        {programs.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </div>
                <Field
                    label="Points"
                    name="input[points]"
                    scope=scope.clone()
                    inputmode="numeric"
                    hint="250 to give, -250 to take."
                    error=err("points")
                />
                <Field label="Reason" name="input[reason]" scope=scope hint="Kept in the ledger with your name." error=err("reason") />
                <button type="submit" class="button secondary" disabled=move || pending.get()>"Adjust"</button>
            </ActionForm>
        </details>
    }
    .into_any()
}

/// Codes the member holds and has not used yet.
#[component]
fn OpenRewards(rewards: Vec<IssuedReward>) -> impl IntoView {
    (!rewards.is_empty()).then(|| {
        view! {
            <h3>"Unused reward codes"</h3>
            <ul class="codes">
                {rewards
                    .into_iter()
                    .map(|r| {
                        view! {
                            <li>
                                <span class="mono">{r.code.clone()}</span>
                                " · " {r.reward_name.clone()} " · until " {r.expires_at.display()}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

/// The code just handed out, to read to the member or print.
#[component]
fn RewardReceipt(action: ServerAction<RedeemReward>) -> impl IntoView {
    move || {
        action.value().get().and_then(Result::ok).map(|r| {
            view! {
                <section class="card receipt" role="status" aria-live="polite">
                    <h2>{format!("Redeemed: {}", r.reward_name)}</h2>
                    <p>
                        "Code " <strong class="mono">{r.code.clone()}</strong> " · PIN "
                        <strong class="mono">{r.pin.clone()}</strong>
                    </p>
                    <p class="muted">{format!("{} points spent · valid until {}", r.points, r.expires_at.display())}</p>
                </section>
            }
        })
    }
}

/// A member shows a reward code (from the portal or a receipt): staff check the PIN and use it.
#[component]
fn UseCode(action: ServerAction<UseRewardCode>) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <section class="card">
            <ActionForm action attr:class="search">
                <h2>"Use a reward code"</h2>
                <FormNotice result=value />
                <Field label="Reward code" name="input[code]" scope="use" error=err("code") autocomplete="off" />
                <Field label="PIN" name="input[pin]" scope="use" inputmode="numeric" error=err("pin") autocomplete="off" />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || if pending.get() { "Checking…" } else { "Use code" }}
                </button>
            </ActionForm>
            {move || {
                value.get().and_then(Result::ok).map(|r| {
                    view! {
                        <p class="notice success" role="status">
                            {format!("Used: {} ({}). Hand it over.", r.reward_name, r.code)}
                        </p>
                    }
                })
            }}
        </section>
    }
}

/// What the last purchase earned, and why.
#[component]
fn Receipt(action: ServerAction<RecordPurchase>) -> impl IntoView {
    move || {
        action.value().get().and_then(Result::ok).map(|r| {
            view! {
                <section class="card receipt" role="status" aria-live="polite">
                    <h2>{format!("+{} {} for {}", r.points, r.currency_name, r.member_name)}</h2>
                    {r.pending.then_some(view! { <p class="hint">"Held until the return window closes."</p> })}
                    <p>{r.explanation.clone()}</p>
                    <p class="muted">
                        {format!("New balance: {} {}", r.balance, r.currency_name)}
                        {r.replayed.then_some(" · already recorded, not booked twice")}
                    </p>
                </section>
            }
        })
    }
}
