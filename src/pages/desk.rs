//! The in-store desk: find a member by email, phone (typed the national way or not), card
//! number or name, record a purchase and see what it earned and why, redeem a reward.

use crate::model::ids::{MemberId, ProgramId};
use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::desk::{
    desk_search, AddPaperStamps, AdjustPoints, LinkCard, MergeMembers, RecordPurchase, RedeemReward,
    ReverseMerge, StartCard, UseRewardCode,
};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::scroll::scroll_to;
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::{card, wording};
use crate::error::AppError;
use crate::model::card::{MemberMerge, StampBalance, StampReceipt};
use crate::model::member::{
    DeskMember, DeskResults, Member, MemberKind, MembershipView, Searched, NAME_PAGE_SIZE as PAGE_SIZE,
};
use crate::model::program::Program;
use crate::model::reward::RewardKind;
use crate::model::reward::{IssuedReward, Offer};
use crate::model::store::Store;

/// The page for its roles; anyone else gets a 401 or 403 page without its forms.
#[component]
pub fn DeskPage() -> impl IntoView {
    view! {
        <crate::components::access::Gate allow=crate::model::user::Role::can_use_desk>
            <DeskBody />
        </crate::components::access::Gate>
    }
}

#[component]
fn DeskBody() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let purchase = form_action::<RecordPurchase>();
    let redeem = form_action::<RedeemReward>();
    let use_code = form_action::<UseRewardCode>();
    let adjust = form_action::<AdjustPoints>();
    let identity = IdentityActions {
        link: form_action::<LinkCard>(),
        merge: form_action::<MergeMembers>(),
        reverse: form_action::<ReverseMerge>(),
        paper: form_action::<AddPaperStamps>(),
        start: form_action::<StartCard>(),
    };
    let adjusted = successes(adjust);
    let booked = successes(purchase);
    let redeemed = successes(redeem);
    let used = successes(use_code);
    let changed = identity.successes();
    // Which reward's Redeem was pressed last (with JavaScript): its outcome is drawn under it.
    let last_redeem = RwSignal::new(None::<(MemberId, i64)>);
    // The new code is drawn under its reward; bring it into view (the page may be long).
    Effect::new(move |_| {
        if redeemed.get() > 0 {
            scroll_to("[data-testid=redeemed]");
        }
    });
    let search = Resource::new(
        move || {
            (
                q(),
                page(),
                booked.get(),
                redeemed.get(),
                used.get(),
                adjusted.get(),
                changed.get(),
            )
        },
        |(q, page, ..)| desk_search(q, page),
    );
    // A query the search could not read: said under the search box, the field it is about.
    let search_error = move || {
        search
            .get()
            .and_then(Result::err)
            .and_then(|e| e.field_message("query"))
    };
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
                        placeholder="Email, phone, card number or name"
                        autocomplete="off"
                        aria-describedby="q-hint q-error"
                    />
                    <p class="hint" id="q-hint">
                        "A phone may be typed the national way (06 12 34 56 78); a name by its first letters (Léa Mar, martin)."
                    </p>
                    <Transition fallback=|| ()>
                        {move || search_error().map(|e| view! { <p class="error" id="q-error" role="alert">{e}</p> })}
                    </Transition>
                </div>
                <button type="submit" class="button">"Find"</button>
            </Form>
        </section>
        <UseCode action=use_code />
        <Receipt action=purchase />
        <IdentityNotices actions=identity />
        {move || {
            adjust.value().get().and_then(Result::ok).map(|r| {
                let text = if r.awaiting_approval {
                    format!(
                        "An adjustment of {} is over the program's limit: it waits for an admin's approval (balance still {}).",
                        crate::domain::wording::grouped(r.points),
                        crate::domain::wording::grouped(r.balance)
                    )
                } else {
                    format!("Adjusted by {}; balance now {}.", r.points, r.balance)
                };
                view! { <p class="notice ok" role="status">{text}</p> }
            })
        }}
        <Transition fallback=|| view! { <Loading what="members" /> }>
            {move || {
                let query_text = q();
                search
                    .get()
                    .map(move |r| match r {
                        // Shown under the search box.
                        Err(e) if e.field_message("query").is_some() => ().into_any(),
                        r => or_error(r, move |found: DeskResults| {
                            results(found, query_text, purchase, Redeeming { action: redeem, last: last_redeem }, adjust, identity)
                        }),
                    })
            }}
        </Transition>
    }
}

/// The desk's redeem action and which reward's button was pressed last.
#[derive(Clone, Copy)]
struct Redeeming {
    action: ServerAction<RedeemReward>,
    last: RwSignal<Option<(MemberId, i64)>>,
}

fn results(
    found: DeskResults,
    query: String,
    purchase: ServerAction<RecordPurchase>,
    redeem: Redeeming,
    adjust: ServerAction<AdjustPoints>,
    identity: IdentityActions,
) -> AnyView {
    if query.trim().is_empty() {
        return view! {
            <Empty>
                <p>"Scan or type the member's card number, ask for their email or phone, or type their name."</p>
            </Empty>
        }
        .into_any();
    }
    if let (true, Some((number, program))) = (found.members.is_empty(), found.unused_card.clone()) {
        return view! { <UnusedCard number program action=identity.start /> }.into_any();
    }
    if !found.matches.is_empty() {
        let name = match &found.searched {
            Some(Searched::Name(n)) => n.clone(),
            _ => query,
        };
        return view! { <NameMatches name matches=found.matches page=found.page more=found.more /> }
            .into_any();
    }
    if found.members.is_empty() {
        let said = match (&found.searched, found.page) {
            (Some(Searched::Name(n)), page) if page > 0 => format!("No more members named “{n}…”."),
            (Some(searched), _) => searched.not_found(),
            (None, _) => format!("No member matches “{query}”."),
        };
        return view! {
            <Empty>
                <p role="status" data-testid="not-found">{said}</p>
            </Empty>
        }
        .into_any();
    }
    let DeskResults {
        members,
        programs,
        stores,
        nonce,
        last_program_id,
        last_store_id,
        ..
    } = found;
    members
        .into_iter()
        .map(|m| {
            view! {
                <MemberCard
                    found=m
                    programs=programs.clone()
                    stores=stores.clone()
                    last_program_id
                    last_store_id
                    nonce=nonce.clone()
                    purchase
                    redeem
                    adjust
                    identity
                />
            }
        })
        .collect_view()
        .into_any()
}

/// The link to a page of a name search (`?q=..&page=..`: it works without JavaScript).
fn search_href(q: &str, page: u32) -> String {
    let q = percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC);
    if page == 0 {
        format!("?q={q}")
    } else {
        format!("?q={q}&page={page}")
    }
}

/// The members whose first or last name starts with what was typed, a page at a time: each
/// opens by its card number.
#[component]
fn NameMatches(name: String, matches: Vec<Member>, page: u32, more: bool) -> impl IntoView {
    let first = page as usize * PAGE_SIZE + 1;
    let last = first + matches.len() - 1;
    view! {
        <section class="card" aria-label="Members found">
            <h2>{format!("Members named “{name}…”")}</h2>
            <p class="muted" data-testid="page-range">{format!("{first}–{last}{}", if more { ", more on the next page" } else { "" })}</p>
            <div class="table-scroll">
            <table class="matches">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Phone"</th>
                        <th scope="col">"Card"</th>
                    </tr>
                </thead>
                <tbody>
                    {matches
                        .into_iter()
                        .map(|m| {
                            view! {
                                <tr>
                                    <td><a href=search_href(&m.card_number, 0)>{m.name.clone()}</a></td>
                                    <td>{m.email.clone().unwrap_or_default()}</td>
                                    <td>{m.phone.clone().unwrap_or_default()}</td>
                                    <td class="mono">{card::grouped(&m.card_number)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            </div>
            <nav class="pager" aria-label="Pages of members">
                {(page > 0).then(|| view! { <a class="button secondary" rel="prev" href=search_href(&name, page - 1)>"Previous"</a> })}
                " "
                {more.then(|| view! { <a class="button secondary" rel="next" href=search_href(&name, page + 1)>"Next"</a> })}
            </nav>
        </section>
    }
}

/// A printed card nobody has used yet: its account is opened on purpose, not by a search.
#[component]
fn UnusedCard(number: String, program: String, action: ServerAction<StartCard>) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    view! {
        <section class="card member" aria-label="Unused printed card">
            <h2>{format!("Printed card {}", card::grouped(&number))}</h2>
            <p>{format!("This {program} card has not been used yet. Open its account to record its first purchase; its points wait on the card until someone registers it.")}</p>
            <FormNotice result=value />
            <ActionForm action attr:class="inline">
                <input type="hidden" name="card_number" value=number.clone() />
                <button type="submit" class="button" disabled=move || pending.get()>"Open the card's account"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn MemberCard(
    found: DeskMember,
    programs: Vec<Program>,
    /// The open stores, offered for the purchase.
    stores: Vec<Store>,
    /// The program this desk user last booked in: the purchase form starts there.
    last_program_id: Option<ProgramId>,
    /// The store this desk user last booked in, likewise.
    last_store_id: Option<i64>,
    nonce: String,
    purchase: ServerAction<RecordPurchase>,
    redeem: Redeeming,
    adjust: ServerAction<AdjustPoints>,
    identity: IdentityActions,
) -> impl IntoView {
    let adjust_nonce = nonce.clone();
    let DeskMember {
        member,
        memberships,
        rewards,
        open_rewards,
        stamps,
        merges,
    } = found;
    let registered = member.kind == MemberKind::Registered;
    // Points are adjusted by hand only in programs that have points.
    let adjust_programs: Vec<(ProgramId, String)> = memberships
        .iter()
        .filter(|m| m.earns_points)
        .map(|m| (m.program_id, format!("{} ({})", m.program_name, m.currency_name)))
        .collect();
    let redeem_nonce = nonce.clone();
    let value = purchase.value();
    let pending = purchase.pending();
    let err = move |f| field_error(move || value.get(), f);
    let member_id = member.id;
    // A new id only after a success: a double click, or a retry after an error or a lost
    // answer (the server may have booked it), books once.
    let booked = successes(purchase);
    let request_id = move || format!("{nonce}-{member_id}-{}", booked.get());
    // The program staff last booked in (they work one program's till), else the member's first.
    let default_program = last_program_id
        .filter(|id| programs.iter().any(|p| p.id == *id))
        .or_else(|| memberships.first().map(|m| m.program_id));
    let redeem_value = redeem.action.value();
    // Each program with what the member has in it: balance, tier, stamp cards, rewards, codes.
    let panels = memberships
        .iter()
        .map(|ms| {
            let pid = ms.program_id;
            view! {
                <ProgramPanel
                    member_id
                    membership=ms.clone()
                    offers=rewards.iter().filter(|o| o.reward.program_id == pid).cloned().collect()
                    codes=open_rewards.iter().filter(|r| r.program_id == pid).cloned().collect()
                    stamps=stamps.iter().filter(|s| s.program_id == pid).cloned().collect()
                    nonce=redeem_nonce.clone()
                    redeem
                />
            }
        })
        .collect_view();
    view! {
        <section class="card member" aria-label=format!("Member {}", member.name)>
            <header class="member-head">
                <h2>
                    {member.name.clone()}
                    {(!registered).then(|| view! { " " <span class="badge">"Unregistered card"</span> })}
                </h2>
                <p class="muted">
                    {member.email.clone().unwrap_or_default()} " · " {member.phone.clone().unwrap_or_else(|| "no phone".into())}
                    " · card " <span class="mono">{card::grouped(&member.card_number)}</span>
                </p>
            </header>
            {memberships.is_empty().then(|| view! { <p class="muted">"In no program yet: a purchase enrols them in its program."</p> })}
            // A redeem refused without JavaScript (which reward it was is not known then).
            {move || (redeem.last.get().is_none()).then(|| view! { <FormNotice result=redeem_value /> })}
            {panels}
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
                        {(!stores.is_empty()).then(|| {
                            let id = format!("store-{member_id}");
                            view! {
                                <div class="field" class:invalid=move || err("store").get().is_some()>
                                    <label for=id.clone()>"Store"</label>
                                    <select
                                        id=id
                                        name="input[store]"
                                        aria-invalid=move || err("store").get().is_some().then_some("true")
                                    >
                                        <option value="">"No store"</option>
                                        {stores
                                            .iter()
                                            .map(|st| {
                                                let selected = Some(st.id) == last_store_id;
                                                view! {
                                                    <option value=st.code.clone() selected=selected>
                                                        {format!("{} ({})", st.name, st.code)}
                                                    </option>
                                                }
                                            })
                                            .collect_view()}
                                    </select>
                                    {move || err("store").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                                </div>
                            }
                        })}
                        <Field
                            label="Amount paid"
                            name="input[amount]"
                            scope=format!("member-{member_id}")
                            inputmode="decimal"
                            hint="In the program's currency, e.g. 12.50; empty when the lines below give it."
                            error=err("amount")
                        />
                        <Field
                            label="Receipt number (optional)"
                            name="input[reference]"
                            scope=format!("member-{member_id}")
                            error=err("reference")
                        />
                        <PurchaseLines member_id action=purchase />
                        <button type="submit" class="button" disabled=move || pending.get()>
                            {move || if pending.get() { "Recording…" } else { "Record purchase" }}
                        </button>
                    </ActionForm>
                }
                    .into_any()
            }}
            <Adjust member_id programs=adjust_programs nonce=adjust_nonce action=adjust />
            <PaperStamps member_id stamps action=identity.paper />
            {registered.then(|| view! {
                <LinkCardForm member_id action=identity.link />
                <MergeForm member_id name=member.name.clone() action=identity.merge />
            })}
            <Merges member_id merges action=identity.reverse />
        </section>
    }
}

/// What the member has in one program, in its own terms: points (only where it gives
/// points), tier (only where it has tiers), stamp cards, rewards to redeem and codes to use.
#[component]
fn ProgramPanel(
    member_id: MemberId,
    membership: MembershipView,
    offers: Vec<Offer>,
    codes: Vec<IssuedReward>,
    stamps: Vec<StampBalance>,
    nonce: String,
    redeem: Redeeming,
) -> impl IntoView {
    let ms = membership;
    let standing = ms.earns_points.then(|| {
        let held = (ms.pending > 0).then(|| format!(" · {} held for returns", wording::points(ms.pending, &ms.currency_name)));
        view! {
            <span class="balance" data-testid="balance">{wording::points(ms.balance, &ms.currency_name)}</span>
            <span class="muted">{held}</span>
        }
    });
    let tier = ms.has_tiers.then(|| {
        view! { <span class="badge">{ms.tier.as_ref().map(|t| t.name.clone()).unwrap_or_else(|| "No tier yet".into())}</span> }
    });
    let nothing = !ms.earns_points && stamps.is_empty() && offers.is_empty() && codes.is_empty();
    view! {
        <section class="program" aria-label=format!("{} program", ms.program_name) data-program=ms.program_id>
            <h3>{ms.program_name.clone()}</h3>
            {(ms.earns_points || ms.has_tiers).then(|| view! { <p class="balances">{standing} " " {tier}</p> })}
            {nothing.then(|| view! { <p class="muted">"Nothing collected in this program yet."</p> })}
            <Stamps stamps />
            <RewardList member_id currency_name=ms.currency_name.clone() offers nonce redeem />
            <OpenRewards rewards=codes />
        </section>
    }
}

/// One program's catalogue for this member: Redeem asks once, naming the cost, then the
/// new code and PIN are shown under the reward.
#[component]
fn RewardList(
    member_id: MemberId,
    currency_name: String,
    offers: Vec<Offer>,
    nonce: String,
    redeem: Redeeming,
) -> impl IntoView {
    if offers.is_empty() {
        return ().into_any();
    }
    let rows = offers
        .into_iter()
        .map(|o| reward_row(o, member_id, &currency_name, nonce.clone(), redeem))
        .collect_view();
    view! {
        <h4>"Rewards"</h4>
        <ul class="rewards">{rows}</ul>
    }
    .into_any()
}

fn reward_row(
    o: Offer,
    member_id: MemberId,
    currency_name: &str,
    nonce: String,
    redeem: Redeeming,
) -> impl IntoView {
    let Redeeming { action, last } = redeem;
    let value = action.value();
    let pending = action.pending();
    let reward_id = o.reward.id;
    // New only after a success (a retry after a lost answer redeems once).
    let redeemed = successes(action);
    let request_id = move || format!("{nonce}-r{member_id}-{reward_id}-{}", redeemed.get());
    let blocked = o.blocked();
    let paying = o.reward.kind == RewardKind::PointsPayment;
    let points_id = format!("pay-{member_id}-{reward_id}");
    let pay_label = format!("{currency_name} to pay with");
    let cost = match wording::price(o.reward.cost_points, currency_name) {
        price if paying && o.reward.cost_points > 0 => format!("from {price}"),
        price => price,
    };
    let question = if paying {
        format!(
            "Take {currency_name} off this purchase (at least {})?",
            wording::points(o.reward.cost_points, currency_name)
        )
    } else if o.reward.cost_points == 0 {
        format!("Give {} now?", o.reward.name)
    } else {
        format!("Spend {cost} on {}?", o.reward.name)
    };
    let name = o.reward.name.clone();
    let verb = if paying { "Pay with" } else { "Redeem" };
    let mine = move || last.get().is_none_or(|l| l == (member_id, reward_id));
    let currency = currency_name.to_string();
    // The outcome under the reward it is about: the new code and PIN, or why not.
    let outcome = move || {
        value.get().and_then(|r| match r {
            Ok(issued) if issued.reward_id == reward_id && mine() => Some(
                view! {
                    <div class="notice ok redeemed" role="status" data-testid="redeemed">
                        <p>
                            <strong>
                                {if issued.kind == RewardKind::PointsPayment {
                                    format!("Paid with points: {} off this purchase.", crate::domain::currency::plain_minor(issued.value, ""))
                                } else {
                                    format!("{} redeemed.", issued.reward_name)
                                }}
                            </strong>
                            " Code " <span class="mono code-big" dir="ltr">{issued.code.clone()}</span>
                            " · PIN " <span class="mono" dir="ltr">{issued.pin.clone()}</span>
                        </p>
                        <p class="hint">{format!("{} spent · valid until {}", wording::points(issued.points, &currency), issued.expires_at.display())}</p>
                    </div>
                }
                .into_any(),
            ),
            Err(e) if last.get() == Some((member_id, reward_id)) && e.field_message("points").is_none() => {
                Some(view! { <p class="notice error" role="alert">{e.to_string()}</p> }.into_any())
            }
            _ => None,
        })
    };
    view! {
        <li class="reward" id=format!("reward-{member_id}-{reward_id}")>
            <div>
                <strong>{o.reward.name.clone()}</strong>
                <span class="muted">{format!(" · {cost}")}</span>
                {blocked.clone().map(|b| view! { <p class="hint">{b}</p> })}
            </div>
            {match blocked {
                Some(_) => view! {
                    <button type="button" class="button secondary" disabled=true aria-label=format!("{verb} {name}")>
                        {if paying { "Pay" } else { "Redeem" }}
                    </button>
                }
                .into_any(),
                None => view! {
                    // Asks once, with or without JavaScript: the first button only opens the
                    // question; the form inside spends.
                    <details class="confirm" open=move || paying && value.with(|v| matches!(v, Some(Err(e)) if e.field_message("points").is_some()))>
                        <summary class="button secondary" aria-label=format!("{verb} {name}")>{if paying { "Pay" } else { "Redeem" }}</summary>
                        <ActionForm action attr:class="inline confirm-form">
                            <p>{question}</p>
                            <input type="hidden" name="input[member_id]" value=member_id />
                            <input type="hidden" name="input[reward_id]" value=reward_id />
                            <input type="hidden" name="input[request_id]" prop:value=request_id.clone() value=request_id />
                            {paying.then(|| {
                                let points_err = field_error(move || value.get(), "points");
                                let err_id = format!("{points_id}-error");
                                view! {
                                    <label for=points_id.clone()>{pay_label.clone()}</label>
                                    <input
                                        id=points_id.clone()
                                        name="input[points]"
                                        inputmode="numeric"
                                        size="7"
                                        aria-invalid=move || points_err.get().is_some().then_some("true")
                                        aria-describedby=err_id.clone()
                                    />
                                    {move || points_err.get().map(|e| view! { <p class="error" id=err_id.clone() role="alert">{e}</p> })}
                                }
                            })}
                            <button
                                type="submit"
                                class="button"
                                disabled=move || pending.get()
                                on:click=move |_| last.set(Some((member_id, reward_id)))
                            >
                                {move || match (pending.get(), paying) {
                                    (true, _) => "Redeeming…",
                                    (false, true) => "Yes, pay",
                                    (false, false) => "Yes, redeem",
                                }}
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

/// Gives or takes points by hand; the reason is kept in the ledger with who did it.
#[component]
fn Adjust(
    member_id: MemberId,
    programs: Vec<(ProgramId, String)>,
    nonce: String,
    action: ServerAction<AdjustPoints>,
) -> impl IntoView {
    if programs.is_empty() {
        return ().into_any();
    }
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let adjusted = successes(action);
    let request_id = move || format!("{nonce}-a{member_id}-{}", adjusted.get());
    let scope = format!("adjust-{member_id}");
    view! {
        <details class="adjust" open=move || value.with(Option::is_some)>
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

/// Codes the member holds in one program and has not used yet.
#[component]
fn OpenRewards(rewards: Vec<IssuedReward>) -> impl IntoView {
    (!rewards.is_empty()).then(|| {
        view! {
            <h4>"Unused reward codes"</h4>
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

/// How many line rows the purchase form offers.
const LINE_ROWS: usize = 5;

/// What was bought, optional: rows of SKU, category, quantity and line total. Blank rows
/// are ignored; with lines and no amount, the amount is their sum.
#[component]
fn PurchaseLines(member_id: MemberId, action: ServerAction<RecordPurchase>) -> impl IntoView {
    let value = action.value();
    let error = move |field: String| {
        move || {
            value
                .get()
                .and_then(Result::err)
                .and_then(|e| e.field_message(&field))
        }
    };
    let rows = (0..LINE_ROWS)
        .map(|i| {
            let cell = move |key: &'static str, label: &'static str, mode: Option<&'static str>| {
                let id = format!("member-{member_id}-line-{i}-{key}");
                let message = error(format!("lines[{i}].{key}"));
                let invalid = error(format!("lines[{i}].{key}"));
                let error_id = format!("{id}-error");
                let described = {
                    let (invalid, error_id) = (invalid.clone(), error_id.clone());
                    move || invalid().map(|_| error_id.clone())
                };
                view! {
                    <td class:invalid={
                        let invalid = invalid.clone();
                        move || invalid().is_some()
                    }>
                        <label class="visually-hidden" for=id.clone()>{format!("{label}, line {}", i + 1)}</label>
                        <input
                            id=id
                            name=format!("input[lines][{i}][{key}]")
                            inputmode=mode
                            aria-invalid={
                                let invalid = invalid.clone();
                                move || invalid().is_some().then_some("true")
                            }
                            aria-describedby=described
                        />
                        {move || message().map(|e| view! { <p class="error" id=error_id.clone()>{e}</p> })}
                    </td>
                }
            };
            view! {
                <tr>
                    {cell("sku", "SKU", None)}
                    {cell("category", "Category", None)}
                    {cell("quantity", "Quantity", Some("numeric"))}
                    {cell("amount", "Line total", Some("decimal"))}
                </tr>
            }
        })
        .collect_view();
    // Open when a line is wrong, so its error is seen (also after a page load without
    // JavaScript).
    let wrong_line = move || {
        matches!(value.get(), Some(Err(AppError::Validation { fields, .. }))
            if fields.iter().any(|f| f.field.starts_with("lines")))
    };
    view! {
        <details class="lines" open=wrong_line>
            <summary>"What was bought (optional)"</summary>
            {move || error("lines".into())().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <table class="line-entry">
                <thead>
                    <tr>
                        <th scope="col">"SKU"</th>
                        <th scope="col">"Category"</th>
                        <th scope="col">"Qty"</th>
                        <th scope="col">"Line total"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}

/// What the last purchase earned, and why: points where the program gives points, the
/// stamps it added to each stamp card.
#[component]
fn Receipt(action: ServerAction<RecordPurchase>) -> impl IntoView {
    move || {
        action.value().get().and_then(Result::ok).map(|r| {
            let stamp_lines: Vec<String> = r.stamps.iter().filter(|s| s.added != 0).map(stamp_line).collect();
            let points = (r.earns_points || r.points != 0)
                .then(|| format!("+{}", wording::points(r.points, &r.currency_name)));
            let earned = match (&points, stamp_lines.first()) {
                (Some(p), _) => p.clone(),
                (None, Some(first)) => first.clone(),
                (None, None) => "Recorded, nothing earned".to_string(),
            };
            // The stamp lines not already in the heading.
            let more_stamps: Vec<String> = stamp_lines.iter().skip(usize::from(points.is_none())).cloned().collect();
            let codes: Vec<String> = r.stamps.iter().flat_map(|s| s.rewards.clone()).collect();
            view! {
                <section class="card receipt" role="status" aria-live="polite" data-testid="receipt">
                    {if r.replayed {
                        let which = r.reference.clone().map(|n| format!("Receipt {n}")).unwrap_or_else(|| "This purchase".into());
                        view! {
                            <h2>{format!("{which} was already recorded in {}", r.program_name)}</h2>
                            <p class="notice">{format!("Nothing was booked again. It earned {earned}.")}</p>
                        }.into_any()
                    } else {
                        view! { <h2>{format!("{earned} for {} in {}", r.member_name, r.program_name)}</h2> }.into_any()
                    }}
                    {r.pending.then_some(view! { <p class="hint">"Held until the return window closes."</p> })}
                    {more_stamps.into_iter().map(|l| view! { <p>{l}</p> }).collect_view()}
                    {(!codes.is_empty()).then(|| view! { <p class="notice ok">{format!("Stamp card full: reward code {} issued.", codes.join(", "))}</p> })}
                    {r.earns_points.then(|| view! { <p>{r.explanation.clone()}</p> })}
                    <p class="muted">
                        {r.earns_points.then(|| format!("{} balance: {}", r.program_name, wording::points(r.balance, &r.currency_name)))}
                        {r.reference.clone().map(|n| format!(" · receipt {n}"))}
                    </p>
                </section>
            }
        })
    }
}

/// "+1 stamp on Pastry card: 4 / 6".
fn stamp_line(s: &StampReceipt) -> String {
    let unit = if s.added.abs() == 1 { "stamp" } else { "stamps" };
    format!(
        "{:+} {unit} on {}: {} / {}",
        s.added, s.name, s.stamps, s.stamps_required
    )
}

/// The desk's identity actions: link a card, merge, reverse a merge, paper stamps.
#[derive(Clone, Copy)]
struct IdentityActions {
    link: ServerAction<LinkCard>,
    merge: ServerAction<MergeMembers>,
    reverse: ServerAction<ReverseMerge>,
    paper: ServerAction<AddPaperStamps>,
    start: ServerAction<StartCard>,
}

impl IdentityActions {
    /// Changes on every successful identity action, so the search reloads.
    fn successes(self) -> Signal<usize> {
        let (a, b, c, d, e) = (
            successes(self.link),
            successes(self.merge),
            successes(self.reverse),
            successes(self.paper),
            successes(self.start),
        );
        Signal::derive(move || a.get() + b.get() + c.get() + d.get() + e.get())
    }
}

/// What the last identity action did.
#[component]
fn IdentityNotices(actions: IdentityActions) -> impl IntoView {
    let ok = |text: String| view! { <p class="notice success" role="status">{text}</p> };
    view! {
        {move || actions.link.value().get().and_then(Result::ok).map(|r| ok(format!(
            "Card {} linked: {} points and {} stamps moved to the account.",
            card::grouped(&r.card_number), r.points, r.stamps
        )))}
        {move || actions.merge.value().get().and_then(Result::ok).map(|m| ok(format!(
            "{} merged into {}: {}.", m.source_name, m.target_name, m.summary
        )))}
        {move || actions.reverse.value().get().and_then(Result::ok).map(|m| ok(format!(
            "Merge reversed: {} stands on its own again.", m.source_name
        )))}
        {move || actions.paper.value().get().and_then(Result::ok).map(|r| ok(if r.rewards.is_empty() {
            format!("{} stamps added; the card now has {}.", r.added, r.stamps)
        } else {
            format!("{} stamps added; reward issued: {}.", r.added, r.rewards.join(", "))
        }))}
    }
}

/// Stamps on each stamp card, as "3 / 10".
#[component]
fn Stamps(stamps: Vec<StampBalance>) -> impl IntoView {
    (!stamps.is_empty()).then(|| {
        view! {
            <h4>"Stamp cards"</h4>
            <ul class="stamps">
                {stamps
                    .into_iter()
                    .map(|s| {
                        view! {
                            <li>
                                <strong>{s.name.clone()}</strong>
                                <span>{format!(" {} / {} stamps", s.stamps, s.stamps_required)}</span>
                                <meter min="0" max=s.stamps_required value=s.stamps aria-label=format!("{} stamps", s.name)></meter>
                                <span class="muted">{format!(" → {}", s.reward_name)}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

/// Stamps from a paper card the member brings in, counted once per paper card.
#[component]
fn PaperStamps(
    member_id: MemberId,
    stamps: Vec<StampBalance>,
    action: ServerAction<AddPaperStamps>,
) -> impl IntoView {
    if stamps.is_empty() {
        return ().into_any();
    }
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let scope = format!("paper-{member_id}");
    view! {
        <details class="adjust" open=move || value.with(Option::is_some)>
            <summary>"Add stamps from a paper card"</summary>
            <ActionForm action attr:class="purchase">
                <input type="hidden" name="input[member_id]" value=member_id />
                <FormNotice result=value />
                <div class="field">
                    <label for=format!("{scope}-card")>"Stamp card"</label>
                    <select id=format!("{scope}-card") name="input[stamp_card_id]">
                        {stamps.into_iter().map(|s| view! { <option value=s.stamp_card_id>{s.name}</option> }).collect_view()}
                    </select>
                </div>
                <Field label="Stamps on the paper card" name="input[stamps]" scope=scope.clone() inputmode="numeric" error=err("stamps") />
                <Field
                    label="Paper card number"
                    name="input[paper_serial]"
                    scope=scope
                    hint="Printed on the card; a paper card counts once."
                    error=err("paper_serial")
                />
                <button type="submit" class="button secondary" disabled=move || pending.get()>"Add stamps"</button>
            </ActionForm>
        </details>
    }
    .into_any()
}

/// Links a printed card (points collected on it move over).
#[component]
fn LinkCardForm(member_id: MemberId, action: ServerAction<LinkCard>) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <details class="adjust" open=move || value.with(Option::is_some)>
            <summary>"Link a printed card"</summary>
            <ActionForm action attr:class="purchase">
                <input type="hidden" name="input[member_id]" value=member_id />
                <FormNotice result=value />
                <Field
                    label="Card number"
                    name="input[card_number]"
                    scope=format!("link-{member_id}")
                    inputmode="numeric"
                    hint="Points and stamps collected on the card move to this member."
                    error=err("card_number")
                    autocomplete="off"
                />
                <button type="submit" class="button secondary" disabled=move || pending.get()>"Link card"</button>
            </ActionForm>
        </details>
    }
}

/// Merges a duplicate record into this member.
#[component]
fn MergeForm(member_id: MemberId, name: String, action: ServerAction<MergeMembers>) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let scope = format!("merge-{member_id}");
    view! {
        <details class="adjust" open=move || value.with(Option::is_some)>
            <summary>"Merge a duplicate into this member"</summary>
            <ActionForm action attr:class="purchase">
                <input type="hidden" name="input[target_member_id]" value=member_id />
                <FormNotice result=value />
                <Field
                    label="The duplicate's email, phone or card"
                    name="input[source]"
                    scope=scope.clone()
                    hint="Its points, stamps, orders and identifiers move here; the merge can be reversed."
                    error=err("source")
                    autocomplete="off"
                />
                <Field label="Reason for the merge" name="input[reason]" scope=scope hint="Kept with the merge and your name." error=err("reason") />
                <button type="submit" class="button secondary" disabled=move || pending.get()>
                    {format!("Merge into {name}")}
                </button>
            </ActionForm>
        </details>
    }
}

/// The merges into or out of this member, with a Reverse button for those still in effect.
#[component]
fn Merges(
    member_id: MemberId,
    merges: Vec<MemberMerge>,
    action: ServerAction<ReverseMerge>,
) -> impl IntoView {
    if merges.is_empty() {
        return ().into_any();
    }
    let value = action.value();
    let pending = action.pending();
    view! {
        <h3>"Merges"</h3>
        <FormNotice result=value />
        <ul class="merges">
            {merges
                .into_iter()
                .map(|m| {
                    let when = m.merged_at.display();
                    let by = m.merged_by.clone().map(|b| format!(" by {b}")).unwrap_or_default();
                    let reversible = m.reversed_at.is_none() && m.target_member_id == member_id;
                    view! {
                        <li>
                            <span>{format!("{} → {} · {} · {}{} · {}", m.source_name, m.target_name, m.reason, when, by, m.summary)}</span>
                            {m.reversed_at.map(|_| view! { " " <span class="badge">{format!("Reversed{}", m.reversed_by.clone().map(|b| format!(" by {b}")).unwrap_or_default())}</span> })}
                            {reversible.then(|| view! {
                                <ActionForm action attr:class="inline">
                                    <input type="hidden" name="merge_id" value=m.id />
                                    <button type="submit" class="button secondary" disabled=move || pending.get()
                                        aria-label=format!("Reverse the merge of {}", m.source_name)>
                                        "Reverse"
                                    </button>
                                </ActionForm>
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
