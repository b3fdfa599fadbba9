//! The in-store desk: find a member by email, phone (typed the national way or not), card
//! number or name, record a purchase and see what it earned and why, redeem a reward.
//! Every word is the catalogue's (`locales/*/desk.json`); figures are the page's language's.

use crate::model::ids::{MemberId, ProgramId};
use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::campaigns::GiveOffer;
use crate::api::desk::{
    desk_search, AddPaperStamps, AdjustPoints, LinkCard, MergeMembers, RecordPurchase, RedeemReward,
    ReverseMerge, StartCard, UseRewardCode,
};
use crate::components::campaign_offer::{claimable, offer_text};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::scroll::scroll_to;
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::card;
use crate::domain::lang::{ascii_digits, Lang};
use crate::error::AppError;
use crate::i18n::{td, td_string};
use crate::model::campaign::CampaignOffer;
use crate::model::card::{MemberMerge, StampBalance, StampReceipt};
use crate::model::member::{
    DeskMember, DeskResults, Member, MemberKind, MembershipView, Searched, NAME_PAGE_SIZE as PAGE_SIZE,
};
use crate::model::program::Program;
use crate::model::reward::RewardKind;
use crate::model::reward::{IssuedReward, Offer};
use crate::model::store::Store;

/// A name inside a sentence of the catalogue (`<bdi>…</bdi>` in the message): isolated, so a
/// Latin name cannot reorder the Arabic around it, nor an Arabic one the English.
fn bdi(children: ChildrenFn) -> impl IntoView {
    view! { <bdi>{children()}</bdi> }
}

/// A code, card number, phone or e-mail inside a sentence (`<ltr>…</ltr>` in the message):
/// isolated and kept left to right on an Arabic page.
fn ltr(children: ChildrenFn) -> impl IntoView {
    view! { <bdi dir="ltr">{children()}</bdi> }
}

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
    let lang = use_lang();
    let l = lang.locale;
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
        give: form_action::<GiveOffer>(),
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
        // A phone or card number typed with Arabic-Indic digits is looked for as 0-9.
        |(q, page, ..)| desk_search(ascii_digits(&q), page),
    );
    // A query the search could not read: said under the search box, the field it is about.
    let search_error = move || {
        search
            .get()
            .and_then(Result::err)
            .and_then(|e| e.field_message("query"))
    };
    view! {
        <Title text=td_string!(l, desk.title) />
        <h1>{td!(l, desk.heading)}</h1>
        <section class="card">
            <Form method="GET" action="" attr:class="search" attr:role="search">
                <div class="field grow">
                    <label for="q">{td!(l, desk.search.label)}</label>
                    // `auto`: a phone, card or e-mail reads left to right, an Arabic name right to left.
                    <input
                        id="q"
                        name="q"
                        type="search"
                        dir="auto"
                        prop:value=q
                        value=q
                        placeholder=td_string!(l, desk.search.placeholder)
                        autocomplete="off"
                        aria-describedby="q-hint q-error"
                    />
                    <p class="hint" id="q-hint">
                        {td!(l, desk.search.hint, <ltr> = ltr, <bdi> = bdi)}
                    </p>
                    <Transition fallback=|| ()>
                        {move || search_error().map(|e| view! { <p class="error" id="q-error" role="alert">{e}</p> })}
                    </Transition>
                </div>
                <button type="submit" class="button">{td!(l, desk.search.submit)}</button>
            </Form>
        </section>
        <UseCode action=use_code />
        <Receipt action=purchase />
        <IdentityNotices actions=identity />
        {move || {
            adjust.value().get().and_then(Result::ok).map(|r| {
                let (points, balance) = (lang.number(r.points), lang.number(r.balance));
                let text = if r.awaiting_approval {
                    td_string!(l, desk.adjust.awaiting, points = points, balance = balance).to_string()
                } else {
                    td_string!(l, desk.adjust.done, points = points, balance = balance).to_string()
                };
                view! { <p class="notice ok" role="status">{text}</p> }
            })
        }}
        <Transition fallback=move || view! { <Loading what=td_string!(l, desk.loading_members) /> }>
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
    let lang = use_lang();
    if query.trim().is_empty() {
        return view! {
            <Empty>
                <p>{td!(lang.locale, desk.search.start)}</p>
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
        let said = not_found(lang, found.searched.as_ref(), found.page, query);
        return view! {
            <Empty>
                <p role="status" data-testid="not-found">{said}</p>
            </Empty>
        }
        .into_any();
    }
    // Times are shown in the zone of the store this desk user last booked in, else in UTC.
    let zone = found
        .stores
        .iter()
        .find(|s| Some(s.id) == found.last_store_id)
        .map(|s| s.time_zone.clone());
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
                    zone=zone.clone()
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

/// What to say when nobody matched: "No member with the phone +33 6 12 34 56 78."
fn not_found(lang: Lang, searched: Option<&Searched>, page: u32, query: String) -> AnyView {
    let l = lang.locale;
    match searched {
        Some(Searched::Name(n)) if page > 0 => {
            td!(l, desk.search.no_more_named, name = n.clone(), <bdi> = bdi).into_any()
        }
        Some(Searched::Name(n)) => td!(l, desk.search.no_name, name = n.clone(), <bdi> = bdi).into_any(),
        Some(Searched::Email(e)) => td!(l, desk.search.no_email, email = e.clone(), <ltr> = ltr).into_any(),
        Some(Searched::Phone(p)) => td!(l, desk.search.no_phone, phone = p.clone(), <ltr> = ltr).into_any(),
        Some(Searched::Card(c)) => {
            td!(l, desk.search.no_card, card = card::grouped(c), <ltr> = ltr).into_any()
        }
        None => td!(l, desk.search.no_match, query = query, <bdi> = bdi).into_any(),
    }
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
    let lang = use_lang();
    let l = lang.locale;
    let first = page as usize * PAGE_SIZE + 1;
    let last = first + matches.len() - 1;
    let (first, last) = (lang.number(first as i64), lang.number(last as i64));
    let range = if more {
        td_string!(l, desk.matches.range_more, first = first, last = last).to_string()
    } else {
        td_string!(l, desk.matches.range, first = first, last = last).to_string()
    };
    view! {
        <section class="card" aria-label=td_string!(l, desk.matches.aria)>
            <h2>{td!(l, desk.matches.title, name = name.clone(), <bdi> = bdi)}</h2>
            <p class="muted" data-testid="page-range">{range}</p>
            <div class="table-scroll">
            <table class="matches">
                <thead>
                    <tr>
                        <th scope="col">{td!(l, desk.matches.name)}</th>
                        <th scope="col">{td!(l, desk.matches.email)}</th>
                        <th scope="col">{td!(l, desk.matches.phone)}</th>
                        <th scope="col">{td!(l, desk.matches.card)}</th>
                    </tr>
                </thead>
                <tbody>
                    {matches
                        .into_iter()
                        .map(|m| {
                            view! {
                                <tr>
                                    <td><a href=search_href(&m.card_number, 0)>{m.name.clone()}</a></td>
                                    <td><bdi dir="ltr">{m.email.clone().unwrap_or_default()}</bdi></td>
                                    <td><bdi dir="ltr">{m.phone.clone().unwrap_or_default()}</bdi></td>
                                    <td class="mono"><bdi dir="ltr">{card::grouped(&m.card_number)}</bdi></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            </div>
            <nav class="pager" aria-label=td_string!(l, desk.matches.pages_aria)>
                {(page > 0).then(|| view! { <a class="button secondary" rel="prev" href=search_href(&name, page - 1)>{td!(l, desk.matches.previous)}</a> })}
                " "
                {more.then(|| view! { <a class="button secondary" rel="next" href=search_href(&name, page + 1)>{td!(l, desk.matches.next)}</a> })}
            </nav>
        </section>
    }
}

/// A printed card nobody has used yet: its account is opened on purpose, not by a search.
#[component]
fn UnusedCard(number: String, program: String, action: ServerAction<StartCard>) -> impl IntoView {
    let l = use_lang().locale;
    let value = action.value();
    let pending = action.pending();
    view! {
        <section class="card member" aria-label=td_string!(l, desk.unused.aria)>
            <h2>{td!(l, desk.unused.title, number = card::grouped(&number), <ltr> = ltr)}</h2>
            <p>{td!(l, desk.unused.body, program = program, <bdi> = bdi)}</p>
            <FormNotice result=value />
            <ActionForm action attr:class="inline">
                <input type="hidden" name="card_number" value=number.clone() />
                <button type="submit" class="button" disabled=move || pending.get()>{td!(l, desk.unused.open)}</button>
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
    /// The time zone times are shown in (that store's), UTC when none.
    zone: Option<String>,
    nonce: String,
    purchase: ServerAction<RecordPurchase>,
    redeem: Redeeming,
    adjust: ServerAction<AdjustPoints>,
    identity: IdentityActions,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let adjust_nonce = nonce.clone();
    let DeskMember {
        member,
        memberships,
        rewards,
        campaign_offers,
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
                    zone=zone.clone()
                    nonce=redeem_nonce.clone()
                    redeem
                />
            }
        })
        .collect_view();
    let phone = match member.phone.clone() {
        Some(phone) => view! { <bdi dir="ltr">{phone}</bdi> }.into_any(),
        None => td!(l, desk.member.no_phone).into_any(),
    };
    view! {
        <section class="card member" aria-label=td_string!(l, desk.member.aria, name = member.name.clone()).to_string()>
            <header class="member-head">
                <h2>
                    {member.name.clone()}
                    {(!registered).then(|| view! { " " <span class="badge">{td!(l, desk.member.unregistered)}</span> })}
                </h2>
                <p class="muted">
                    <bdi dir="ltr">{member.email.clone().unwrap_or_default()}</bdi> " · " {phone}
                    " · " {td!(l, desk.member.card)} " " <span class="mono" dir="ltr">{card::grouped(&member.card_number)}</span>
                </p>
            </header>
            {memberships.is_empty().then(|| view! { <p class="muted">{td!(l, desk.member.no_programs)}</p> })}
            // A redeem refused without JavaScript (which reward it was is not known then).
            {move || (redeem.last.get().is_none()).then(|| view! { <FormNotice result=redeem_value /> })}
            {panels}
            {deals(campaign_offers, member_id, identity.give)}
            {if programs.is_empty() {
                view! { <Empty><p>{td!(l, desk.member.no_program_setup)}</p></Empty> }.into_any()
            } else {
                view! {
                    <ActionForm action=purchase attr:class="purchase">
                        <h3>{td!(l, desk.purchase.heading)}</h3>
                        <input type="hidden" name="input[member_id]" value=member_id />
                        <input type="hidden" name="input[request_id]" prop:value=request_id.clone() value=request_id />
                        <FormNotice result=value />
                        <div class="field">
                            <label for=format!("program-{member_id}")>{td!(l, desk.purchase.program)}</label>
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
                                    <label for=id.clone()>{td!(l, desk.purchase.store)}</label>
                                    <select
                                        id=id
                                        name="input[store]"
                                        aria-invalid=move || err("store").get().is_some().then_some("true")
                                    >
                                        <option value="">{td!(l, desk.purchase.no_store)}</option>
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
                            label=td_string!(l, desk.purchase.amount)
                            name="input[amount]"
                            scope=format!("member-{member_id}")
                            inputmode="decimal"
                            hint=td_string!(l, desk.purchase.amount_hint)
                            error=err("amount")
                        />
                        <Field
                            label=td_string!(l, desk.purchase.reference)
                            name="input[reference]"
                            scope=format!("member-{member_id}")
                            error=err("reference")
                        />
                        <PurchaseLines member_id action=purchase />
                        <button type="submit" class="button" disabled=move || pending.get()>
                            {move || if pending.get() { td_string!(l, desk.purchase.recording) } else { td_string!(l, desk.purchase.submit) }}
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
            <Merges member_id merges zone action=identity.reverse />
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
    /// The time zone times are shown in, UTC when none.
    zone: Option<String>,
    nonce: String,
    redeem: Redeeming,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let ms = membership;
    let standing = ms.earns_points.then(|| {
        let held = (ms.pending > 0).then(|| {
            let points = lang.points(ms.pending, &ms.currency_name);
            format!(" · {}", td_string!(l, desk.program.held, points = points))
        });
        view! {
            <span class="balance" data-testid="balance">{lang.points(ms.balance, &ms.currency_name)}</span>
            <span class="muted">{held}</span>
        }
    });
    let tier = ms.has_tiers.then(|| {
        let name = ms
            .tier
            .as_ref()
            .map(|t| t.name.clone())
            .unwrap_or_else(|| td_string!(l, desk.program.no_tier).to_string());
        view! { <span class="badge">{name}</span> }
    });
    let nothing = !ms.earns_points && stamps.is_empty() && offers.is_empty() && codes.is_empty();
    view! {
        <section
            class="program"
            aria-label=td_string!(l, desk.program.aria, program = ms.program_name.clone()).to_string()
            data-program=ms.program_id
        >
            <h3>{ms.program_name.clone()}</h3>
            {(ms.earns_points || ms.has_tiers).then(|| view! { <p class="balances">{standing} " " {tier}</p> })}
            {nothing.then(|| view! { <p class="muted">{td!(l, desk.program.nothing)}</p> })}
            <Stamps stamps />
            <RewardList
                member_id
                currency_name=ms.currency_name.clone()
                currency_code=ms.currency_code.clone()
                offers
                zone=zone.clone()
                nonce
                redeem
            />
            <OpenRewards rewards=codes zone />
        </section>
    }
}

/// One program's catalogue for this member: Redeem asks once, naming the cost, then the
/// new code and PIN are shown under the reward.
#[component]
fn RewardList(
    member_id: MemberId,
    /// What the program calls its points ("Stars"), as typed.
    currency_name: String,
    /// The program's currency ("EUR"), for the money a payment with points takes off.
    currency_code: String,
    offers: Vec<Offer>,
    zone: Option<String>,
    nonce: String,
    redeem: Redeeming,
) -> impl IntoView {
    if offers.is_empty() {
        return ().into_any();
    }
    let l = use_lang().locale;
    let rows = offers
        .into_iter()
        .map(|o| {
            let unit = Unit {
                name: currency_name.clone(),
                code: currency_code.clone(),
            };
            reward_row(o, member_id, unit, zone.clone(), nonce.clone(), redeem)
        })
        .collect_view();
    view! {
        <h4>{td!(l, desk.program.rewards)}</h4>
        <ul class="rewards">{rows}</ul>
    }
    .into_any()
}

/// A program's points and money: what it calls its points, and its currency.
struct Unit {
    name: String,
    code: String,
}

fn reward_row(
    o: Offer,
    member_id: MemberId,
    unit: Unit,
    zone: Option<String>,
    nonce: String,
    redeem: Redeeming,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
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
    let Unit {
        name: currency_name,
        code: currency_code,
    } = unit;
    let cost = match lang.price(o.reward.cost_points, &currency_name) {
        price if paying && o.reward.cost_points > 0 => {
            td_string!(l, desk.redeem.price_from, price = price).to_string()
        }
        price => price,
    };
    let question = if paying {
        let least = lang.points(o.reward.cost_points, &currency_name);
        td!(l, desk.redeem.pay_question, unit = currency_name.clone(), points = least, <bdi> = bdi).into_any()
    } else if o.reward.cost_points == 0 {
        td!(l, desk.redeem.give_question, reward = o.reward.name.clone(), <bdi> = bdi).into_any()
    } else {
        td!(
            l,
            desk.redeem.spend_question,
            cost = cost.clone(),
            reward = o.reward.name.clone(),
            <bdi> = bdi
        )
        .into_any()
    };
    let name = o.reward.name.clone();
    let aria = if paying {
        td_string!(l, desk.redeem.pay_aria, reward = name.clone()).to_string()
    } else {
        td_string!(l, desk.redeem.redeem_aria, reward = name.clone()).to_string()
    };
    let verb = if paying {
        td_string!(l, desk.redeem.pay)
    } else {
        td_string!(l, desk.redeem.redeem)
    };
    let mine = move || last.get().is_none_or(|l| l == (member_id, reward_id));
    let pay_label = currency_name.clone();
    // The outcome under the reward it is about: the new code and PIN, or why not.
    let outcome = move || {
        value.get().and_then(|r| match r {
            Ok(issued) if issued.reward_id == reward_id && mine() => {
                let headline = if issued.kind == RewardKind::PointsPayment {
                    let off = lang.decimal_minor(issued.value, &currency_code);
                    td!(l, desk.redeem.paid, amount = off).into_any()
                } else {
                    td!(l, desk.redeem.redeemed, reward = issued.reward_name.clone(), <bdi> = bdi).into_any()
                };
                let spent = td_string!(
                    l,
                    desk.redeem.spent,
                    points = lang.points(issued.points, &currency_name),
                    date = lang.date_time(issued.expires_at, zone.as_deref())
                )
                .to_string();
                Some(
                    view! {
                        <div class="notice ok redeemed" role="status" data-testid="redeemed">
                            <p>
                                <strong>{headline}</strong>
                                " " {td!(l, desk.redeem.code)} " " <span class="mono code-big" dir="ltr">{issued.code.clone()}</span>
                                " · " {td!(l, desk.redeem.pin)} " " <span class="mono" dir="ltr">{issued.pin.clone()}</span>
                            </p>
                            <p class="hint">{spent}</p>
                        </div>
                    }
                    .into_any(),
                )
            }
            Err(e) if last.get() == Some((member_id, reward_id)) && e.field_message("points").is_none() => {
                Some(view! { <p class="notice error" role="alert">{e.message(lang)}</p> }.into_any())
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
                    <button type="button" class="button secondary" disabled=true aria-label=aria>
                        {verb}
                    </button>
                }
                .into_any(),
                None => view! {
                    // Asks once, with or without JavaScript: the first button only opens the
                    // question; the form inside spends.
                    <details class="confirm" open=move || paying && value.with(|v| matches!(v, Some(Err(e)) if e.field_message("points").is_some()))>
                        <summary class="button secondary" aria-label=aria>{verb}</summary>
                        <ActionForm action attr:class="inline confirm-form">
                            <p>{question}</p>
                            <input type="hidden" name="input[member_id]" value=member_id />
                            <input type="hidden" name="input[reward_id]" value=reward_id />
                            <input type="hidden" name="input[request_id]" prop:value=request_id.clone() value=request_id />
                            {paying.then(|| {
                                let points_err = field_error(move || value.get(), "points");
                                let err_id = format!("{points_id}-error");
                                view! {
                                    <label for=points_id.clone()>{td!(l, desk.redeem.pay_label, unit = pay_label, <bdi> = bdi)}</label>
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
                                    (true, _) => td_string!(l, desk.redeem.redeeming),
                                    (false, true) => td_string!(l, desk.redeem.yes_pay),
                                    (false, false) => td_string!(l, desk.redeem.yes_redeem),
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
    let l = use_lang().locale;
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let adjusted = successes(action);
    let request_id = move || format!("{nonce}-a{member_id}-{}", adjusted.get());
    let scope = format!("adjust-{member_id}");
    view! {
        <details class="adjust" open=move || value.with(Option::is_some)>
            <summary>{td!(l, desk.adjust.summary)}</summary>
            <ActionForm action attr:class="purchase">
                <input type="hidden" name="input[member_id]" value=member_id />
                <input type="hidden" name="input[request_id]" prop:value=request_id.clone() value=request_id />
                <FormNotice result=value />
                <div class="field">
                    <label for=format!("{scope}-program")>{td!(l, desk.adjust.program)}</label>
                    <select id=format!("{scope}-program") name="input[program_id]">
                        {programs.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </div>
                <Field
                    label=td_string!(l, desk.adjust.points)
                    name="input[points]"
                    scope=scope.clone()
                    inputmode="numeric"
                    hint=td_string!(l, desk.adjust.points_hint)
                    error=err("points")
                />
                <Field
                    label=td_string!(l, desk.adjust.reason)
                    name="input[reason]"
                    scope=scope
                    hint=td_string!(l, desk.adjust.reason_hint)
                    error=err("reason")
                />
                <button type="submit" class="button secondary" disabled=move || pending.get()>{td!(l, desk.adjust.submit)}</button>
            </ActionForm>
        </details>
    }
    .into_any()
}

/// Codes the member holds in one program and has not used yet.
#[component]
fn OpenRewards(
    rewards: Vec<IssuedReward>,
    /// The time zone times are shown in, UTC when none.
    zone: Option<String>,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    (!rewards.is_empty()).then(|| {
        view! {
            <h4>{td!(l, desk.program.open_codes)}</h4>
            <ul class="codes">
                {rewards
                    .into_iter()
                    .map(|r| {
                        let until = td_string!(
                            l,
                            desk.program.until,
                            date = lang.date_time(r.expires_at, zone.as_deref())
                        )
                        .to_string();
                        view! {
                            <li>
                                <span class="mono" dir="ltr">{r.code.clone()}</span>
                                <span>" · " <bdi>{r.reward_name.clone()}</bdi> " · " {until}</span>
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
    let l = use_lang().locale;
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <section class="card">
            <ActionForm action attr:class="search">
                <h2>{td!(l, desk.use_code.heading)}</h2>
                <FormNotice result=value />
                <Field label=td_string!(l, desk.use_code.code) name="input[code]" scope="use" dir="ltr" error=err("code") autocomplete="off" />
                <Field label=td_string!(l, desk.use_code.pin) name="input[pin]" scope="use" dir="ltr" inputmode="numeric" error=err("pin") autocomplete="off" />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || if pending.get() { td_string!(l, desk.use_code.checking) } else { td_string!(l, desk.use_code.submit) }}
                </button>
            </ActionForm>
            {move || {
                value.get().and_then(Result::ok).map(|r| {
                    view! {
                        <p class="notice success" role="status">
                            {td!(l, desk.use_code.used, reward = r.reward_name.clone(), code = r.code.clone(), <bdi> = bdi, <ltr> = ltr)}
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
    let lang = use_lang();
    let l = lang.locale;
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
                let line = lang.number(i as i64 + 1);
                view! {
                    <td class:invalid={
                        let invalid = invalid.clone();
                        move || invalid().is_some()
                    }>
                        <label class="visually-hidden" for=id.clone()>
                            {td_string!(l, desk.purchase.line_label, label = label, n = line).to_string()}
                        </label>
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
                    {cell("sku", td_string!(l, desk.purchase.sku), None)}
                    {cell("category", td_string!(l, desk.purchase.category), None)}
                    {cell("quantity", td_string!(l, desk.purchase.quantity), Some("numeric"))}
                    {cell("amount", td_string!(l, desk.purchase.line_total), Some("decimal"))}
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
            <summary>{td!(l, desk.purchase.lines)}</summary>
            {move || error("lines".into())().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <table class="line-entry">
                <thead>
                    <tr>
                        <th scope="col">{td!(l, desk.purchase.sku)}</th>
                        <th scope="col">{td!(l, desk.purchase.category)}</th>
                        <th scope="col">{td!(l, desk.purchase.qty)}</th>
                        <th scope="col">{td!(l, desk.purchase.line_total)}</th>
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
    let lang = use_lang();
    let l = lang.locale;
    move || {
        action.value().get().and_then(Result::ok).map(|r| {
            let stamp_lines: Vec<String> = r
                .stamps
                .iter()
                .filter(|s| s.added != 0)
                .map(|s| stamp_line(lang, s))
                .collect();
            let points = (r.earns_points || r.points != 0).then(|| {
                let points = lang.points(r.points, &r.currency_name);
                td_string!(l, desk.receipt.points, points = points).to_string()
            });
            let earned = match (&points, stamp_lines.first()) {
                (Some(p), _) => p.clone(),
                (None, Some(first)) => first.clone(),
                (None, None) => td_string!(l, desk.receipt.nothing).to_string(),
            };
            // The stamp lines not already in the heading.
            let more_stamps: Vec<String> = stamp_lines.iter().skip(usize::from(points.is_none())).cloned().collect();
            let codes: Vec<String> = r.stamps.iter().flat_map(|s| s.rewards.clone()).collect();
            let program = r.program_name.clone();
            let heading = if r.replayed {
                let title = match r.reference.clone() {
                    Some(reference) => td!(
                        l,
                        desk.receipt.already_receipt,
                        reference = reference,
                        program = program.clone(),
                        <ltr> = ltr,
                        <bdi> = bdi
                    )
                    .into_any(),
                    None => td!(l, desk.receipt.already_purchase, program = program.clone(), <bdi> = bdi).into_any(),
                };
                let again = td_string!(l, desk.receipt.not_again, earned = earned).to_string();
                view! {
                    <h2>{title}</h2>
                    <p class="notice">{again}</p>
                }
                .into_any()
            } else {
                view! {
                    <h2>
                        {td!(
                            l,
                            desk.receipt.earned_for,
                            earned = earned,
                            member = r.member_name.clone(),
                            program = program.clone(),
                            <bdi> = bdi
                        )}
                    </h2>
                }
                .into_any()
            };
            let balance = r.earns_points.then(|| {
                let points = lang.points(r.balance, &r.currency_name);
                td!(l, desk.receipt.balance, program = program.clone(), points = points, <bdi> = bdi)
            });
            view! {
                <section class="card receipt" role="status" aria-live="polite" data-testid="receipt">
                    {heading}
                    {r.pending.then(|| view! { <p class="hint">{td!(l, desk.receipt.held)}</p> })}
                    {more_stamps.into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
                    {(!codes.is_empty()).then(|| view! {
                        <p class="notice ok">{td!(l, desk.receipt.card_full, codes = codes.join(", "), <ltr> = ltr)}</p>
                    })}
                    {r.earns_points.then(|| view! { <p>{r.explanation.clone()}</p> })}
                    <p class="muted">
                        {balance}
                        {r.reference.clone().map(|n| view! { " · " {td!(l, desk.receipt.reference, reference = n, <ltr> = ltr)} })}
                    </p>
                </section>
            }
        })
    }
}

/// "+1 stamp on Pastry card: 4 / 6".
fn stamp_line(lang: Lang, s: &StampReceipt) -> String {
    let l = lang.locale;
    let count = s.added.unsigned_abs();
    let n = lang.number(i64::try_from(count).unwrap_or(i64::MAX));
    let card = lang.isolate(&s.name);
    let (stamps, required) = (lang.number(s.stamps), lang.number(s.stamps_required));
    if s.added > 0 {
        td_string!(
            l,
            desk.receipt.stamp_added,
            count = count,
            n = n,
            card = card,
            stamps = stamps,
            required = required
        )
        .to_string()
    } else {
        td_string!(
            l,
            desk.receipt.stamp_removed,
            count = count,
            n = n,
            card = card,
            stamps = stamps,
            required = required
        )
        .to_string()
    }
}

/// The desk's identity actions: link a card, merge, reverse a merge, paper stamps.
#[derive(Clone, Copy)]
struct IdentityActions {
    link: ServerAction<LinkCard>,
    merge: ServerAction<MergeMembers>,
    reverse: ServerAction<ReverseMerge>,
    paper: ServerAction<AddPaperStamps>,
    start: ServerAction<StartCard>,
    /// A campaign's reward given at the counter (its code then shows among the codes).
    give: ServerAction<GiveOffer>,
}

impl IdentityActions {
    /// Changes on every successful identity action, so the search reloads.
    fn successes(self) -> Signal<usize> {
        let (a, b, c, d, e, f) = (
            successes(self.link),
            successes(self.merge),
            successes(self.reverse),
            successes(self.paper),
            successes(self.start),
            successes(self.give),
        );
        Signal::derive(move || a.get() + b.get() + c.get() + d.get() + e.get() + f.get())
    }
}

/// What running campaigns offer the member in store; staff give a reward with one button
/// (free, once per member: its code then shows among the member's codes, to use).
fn deals(
    offers: Vec<CampaignOffer>,
    member_id: MemberId,
    give: ServerAction<GiveOffer>,
) -> Option<impl IntoView> {
    let lang = use_lang();
    let l = lang.locale;
    (!offers.is_empty()).then(|| {
        let given = move || {
            give.value().get().and_then(Result::ok).map(|r| {
                view! { <p class="notice ok" role="status">{td_string!(l, desk.deals.given, code = r.code).to_string()}</p> }
            })
        };
        view! {
            <section class="deals" aria-label=td_string!(l, desk.deals.title)>
                <h3>{td!(l, desk.deals.title)}</h3>
                <FormNotice result=give.value() />
                {given}
                <ul class="list">
                    {offers
                        .into_iter()
                        .map(|o| {
                            let button = claimable(&o).then(|| {
                                let label = td_string!(l, desk.deals.give_label, reward = o.reward_name.clone()).to_string();
                                view! {
                                    <ActionForm action=give attr:class="inline">
                                        <input type="hidden" name="member_id" value=member_id />
                                        <input type="hidden" name="program_id" value=o.program_id />
                                        <input type="hidden" name="campaign_id" value=o.campaign_id />
                                        <button type="submit" class="button" aria-label=label disabled=move || give.pending().get()>
                                            {td!(l, desk.deals.give)}
                                        </button>
                                    </ActionForm>
                                }
                            });
                            view! { <li data-testid="campaign-offer">{offer_text(lang, &o)} {button}</li> }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}

/// What the last identity action did.
#[component]
fn IdentityNotices(actions: IdentityActions) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let ok = |text: AnyView| view! { <p class="notice success" role="status">{text}</p> };
    view! {
        {move || actions.link.value().get().and_then(Result::ok).map(|r| ok(td!(
            l,
            desk.link.linked,
            number = card::grouped(&r.card_number),
            points = lang.number(r.points),
            stamps = lang.number(r.stamps),
            <ltr> = ltr
        ).into_any()))}
        {move || actions.merge.value().get().and_then(Result::ok).map(|m| ok(td!(
            l,
            desk.merge.merged,
            source = m.source_name.clone(),
            target = m.target_name.clone(),
            summary = m.summary.clone(),
            <bdi> = bdi
        ).into_any()))}
        {move || actions.reverse.value().get().and_then(Result::ok).map(|m| ok(
            td!(l, desk.merge.reversed, name = m.source_name.clone(), <bdi> = bdi).into_any()
        ))}
        {move || actions.paper.value().get().and_then(Result::ok).map(|r| ok(if r.rewards.is_empty() {
            td_string!(l, desk.paper.added, added = lang.number(r.added), stamps = lang.number(r.stamps))
                .to_string()
                .into_any()
        } else {
            td!(l, desk.paper.added_reward, added = lang.number(r.added), codes = r.rewards.join(", "), <bdi> = bdi, <ltr> = ltr)
                .into_any()
        }))}
    }
}

/// Stamps on each stamp card, as "3 / 10".
#[component]
fn Stamps(stamps: Vec<StampBalance>) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    (!stamps.is_empty()).then(|| {
        view! {
            <h4>{td!(l, desk.program.stamp_cards)}</h4>
            <ul class="stamps">
                {stamps
                    .into_iter()
                    .map(|s| {
                        let count = td_string!(
                            l,
                            desk.program.stamps,
                            stamps = lang.number(s.stamps),
                            required = lang.number(s.stamps_required)
                        )
                        .to_string();
                        view! {
                            <li>
                                <strong>{s.name.clone()}</strong>
                                <span>{count}</span>
                                <meter
                                    min="0"
                                    max=s.stamps_required
                                    value=s.stamps
                                    aria-label=td_string!(l, desk.program.stamps_aria, card = s.name.clone()).to_string()
                                ></meter>
                                <span class="muted">{td!(l, desk.program.leads_to, reward = s.reward_name.clone(), <bdi> = bdi)}</span>
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
    let l = use_lang().locale;
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let scope = format!("paper-{member_id}");
    view! {
        <details class="adjust" open=move || value.with(Option::is_some)>
            <summary>{td!(l, desk.paper.summary)}</summary>
            <ActionForm action attr:class="purchase">
                <input type="hidden" name="input[member_id]" value=member_id />
                <FormNotice result=value />
                <div class="field">
                    <label for=format!("{scope}-card")>{td!(l, desk.paper.card)}</label>
                    <select id=format!("{scope}-card") name="input[stamp_card_id]">
                        {stamps.into_iter().map(|s| view! { <option value=s.stamp_card_id>{s.name}</option> }).collect_view()}
                    </select>
                </div>
                <Field
                    label=td_string!(l, desk.paper.stamps)
                    name="input[stamps]"
                    scope=scope.clone()
                    inputmode="numeric"
                    error=err("stamps")
                />
                <Field
                    label=td_string!(l, desk.paper.serial)
                    name="input[paper_serial]"
                    dir="ltr"
                    scope=scope
                    hint=td_string!(l, desk.paper.serial_hint)
                    error=err("paper_serial")
                />
                <button type="submit" class="button secondary" disabled=move || pending.get()>{td!(l, desk.paper.submit)}</button>
            </ActionForm>
        </details>
    }
    .into_any()
}

/// Links a printed card (points collected on it move over).
#[component]
fn LinkCardForm(member_id: MemberId, action: ServerAction<LinkCard>) -> impl IntoView {
    let l = use_lang().locale;
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <details class="adjust" open=move || value.with(Option::is_some)>
            <summary>{td!(l, desk.link.summary)}</summary>
            <ActionForm action attr:class="purchase">
                <input type="hidden" name="input[member_id]" value=member_id />
                <FormNotice result=value />
                <Field
                    label=td_string!(l, desk.link.card)
                    name="input[card_number]"
                    dir="ltr"
                    scope=format!("link-{member_id}")
                    inputmode="numeric"
                    hint=td_string!(l, desk.link.card_hint)
                    error=err("card_number")
                    autocomplete="off"
                />
                <button type="submit" class="button secondary" disabled=move || pending.get()>{td!(l, desk.link.submit)}</button>
            </ActionForm>
        </details>
    }
}

/// Merges a duplicate record into this member.
#[component]
fn MergeForm(member_id: MemberId, name: String, action: ServerAction<MergeMembers>) -> impl IntoView {
    let l = use_lang().locale;
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let scope = format!("merge-{member_id}");
    view! {
        <details class="adjust" open=move || value.with(Option::is_some)>
            <summary>{td!(l, desk.merge.summary)}</summary>
            <ActionForm action attr:class="purchase">
                <input type="hidden" name="input[target_member_id]" value=member_id />
                <FormNotice result=value />
                <Field
                    label=td_string!(l, desk.merge.source)
                    name="input[source]"
                    dir="ltr"
                    scope=scope.clone()
                    hint=td_string!(l, desk.merge.source_hint)
                    error=err("source")
                    autocomplete="off"
                />
                <Field
                    label=td_string!(l, desk.merge.reason)
                    name="input[reason]"
                    scope=scope
                    hint=td_string!(l, desk.merge.reason_hint)
                    error=err("reason")
                />
                <button type="submit" class="button secondary" disabled=move || pending.get()>
                    {td!(l, desk.merge.submit, name = name, <bdi> = bdi)}
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
    /// The time zone times are shown in, UTC when none.
    zone: Option<String>,
    action: ServerAction<ReverseMerge>,
) -> impl IntoView {
    if merges.is_empty() {
        return ().into_any();
    }
    let lang = use_lang();
    let l = lang.locale;
    let value = action.value();
    let pending = action.pending();
    view! {
        <h3>{td!(l, desk.merge.heading)}</h3>
        <FormNotice result=value />
        <ul class="merges">
            {merges
                .into_iter()
                .map(|m| {
                    let when = lang.date_time(m.merged_at, zone.as_deref());
                    let line = match m.merged_by.clone() {
                        Some(user) => td!(
                            l,
                            desk.merge.line_by,
                            source = m.source_name.clone(),
                            target = m.target_name.clone(),
                            reason = m.reason.clone(),
                            when = when,
                            user = user,
                            summary = m.summary.clone(),
                            <bdi> = bdi
                        )
                        .into_any(),
                        None => td!(
                            l,
                            desk.merge.line,
                            source = m.source_name.clone(),
                            target = m.target_name.clone(),
                            reason = m.reason.clone(),
                            when = when,
                            summary = m.summary.clone(),
                            <bdi> = bdi
                        )
                        .into_any(),
                    };
                    let reversed = m.reversed_at.map(|_| match m.reversed_by.clone() {
                        Some(user) => td_string!(l, desk.merge.reversed_by, user = user).to_string(),
                        None => td_string!(l, desk.merge.reversed_badge).to_string(),
                    });
                    let reversible = m.reversed_at.is_none() && m.target_member_id == member_id;
                    view! {
                        <li>
                            <span>{line}</span>
                            {reversed.map(|b| view! { " " <span class="badge">{b}</span> })}
                            {reversible.then(|| view! {
                                <ActionForm action attr:class="inline">
                                    <input type="hidden" name="merge_id" value=m.id />
                                    <button type="submit" class="button secondary" disabled=move || pending.get()
                                        aria-label=td_string!(l, desk.merge.reverse_aria, name = m.source_name.clone()).to_string()>
                                        {td!(l, desk.merge.reverse)}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(added: i64, stamps: i64) -> StampReceipt {
        StampReceipt {
            stamp_card_id: 1,
            name: "Pastry card".into(),
            added,
            stamps,
            stamps_required: 6,
            rewards: Vec::new(),
        }
    }

    #[test]
    fn stamp_lines_in_english_read_as_before() {
        assert_eq!(
            stamp_line(Lang::ENGLISH, &receipt(1, 4)),
            "+1 stamp on Pastry card: 4 / 6"
        );
        assert_eq!(
            stamp_line(Lang::ENGLISH, &receipt(2, 5)),
            "+2 stamps on Pastry card: 5 / 6"
        );
        assert_eq!(
            stamp_line(Lang::ENGLISH, &receipt(-1, 0)),
            "-1 stamp on Pastry card: 0 / 6"
        );
    }

    #[test]
    fn stamp_lines_in_arabic_count_in_arabic() {
        let card = "\u{2068}Pastry card\u{2069}";
        assert_eq!(
            stamp_line(Lang::ARABIC, &receipt(1, 4)),
            format!("+طابع واحد على {card}: ٤ / ٦")
        );
        assert_eq!(
            stamp_line(Lang::ARABIC, &receipt(2, 5)),
            format!("+طابعان على {card}: ٥ / ٦")
        );
        assert_eq!(
            stamp_line(Lang::ARABIC, &receipt(3, 3)),
            format!("+٣ طوابع على {card}: ٣ / ٦")
        );
        assert_eq!(
            stamp_line(Lang::ARABIC, &receipt(11, 5)),
            format!("+١١ طابعًا على {card}: ٥ / ٦")
        );
    }

    /// The words a view shows, without its tags and hydration comments.
    fn text(html: String) -> String {
        let mut out = String::new();
        let mut tag = false;
        for c in html.chars() {
            match c {
                '<' => tag = true,
                '>' => tag = false,
                c if !tag => out.push(c),
                _ => {}
            }
        }
        out
    }

    /// Messages with names in `<bdi>` read in English exactly as the page said them before.
    #[test]
    fn sentences_with_isolated_names_read_as_before() {
        use crate::i18n::Locale;
        let owner = Owner::new();
        owner.set();
        let l = Locale::en;
        // Builds with erase_components mark text nodes with `<!>`; the markup is otherwise the same.
        let html = view! {
            <p>{td!(l, desk.receipt.earned_for, earned = "+25 Stars".to_string(), member = "Mia".to_string(), program = "Café".to_string(), <bdi> = bdi)}</p>
        }
        .to_html()
        .replace("<!>", "");
        assert!(html.contains("<bdi>Mia</bdi>"), "{html}");
        assert_eq!(text(html), "+25 Stars for Mia in Café");
        let html = view! {
            <p>{td!(l, desk.redeem.spend_question, cost = "100 Stars".to_string(), reward = "Free coffee".to_string(), <bdi> = bdi)}</p>
        }
        .to_html()
        .replace("<!>", "");
        assert_eq!(text(html), "Spend 100 Stars on Free coffee?");
        let html = view! {
            <p>{td!(l, desk.paper.added_reward, added = "7".to_string(), codes = "RW-AAAA-BBBB".to_string(), <bdi> = bdi, <ltr> = ltr)}</p>
        }
        .to_html()
        .replace("<!>", "");
        assert!(html.contains("<bdi dir=\"ltr\">RW-AAAA-BBBB</bdi>"), "{html}");
        assert_eq!(text(html), "7 stamps added; reward issued: RW-AAAA-BBBB.");
        let html = view! {
            <p>{td!(l, desk.search.hint, <ltr> = ltr, <bdi> = bdi)}</p>
        }
        .to_html()
        .replace("<!>", "");
        assert_eq!(
            text(html),
            "A phone may be typed the national way (06 12 34 56 78); a name by its first letters (Léa Mar, martin)."
        );
        let html = view! {
            <p>{td!(l, desk.merge.line_by, source = "A".to_string(), target = "B".to_string(), reason = "Twice".to_string(), when = "3 Dec 2026, 14:05 UTC".to_string(), user = "Ada".to_string(), summary = "10 Stars".to_string(), <bdi> = bdi)}</p>
        }
        .to_html()
        .replace("<!>", "");
        assert_eq!(
            text(html),
            "A → B · Twice · 3 Dec 2026, 14:05 UTC by Ada · 10 Stars"
        );
        let html = view! {
            <p>{td!(Locale::ar, desk.redeem.spend_question, cost = "١٠٠ نجمة".to_string(), reward = "قهوة".to_string(), <bdi> = bdi)}</p>
        }
        .to_html()
        .replace("<!>", "");
        assert_eq!(text(html), "هل تصرف ١٠٠ نجمة مقابل قهوة؟");
    }
}
