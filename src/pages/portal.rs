//! The member portal: balance, tier and progress, digital card, history, programs to join.
//! Rendered on the server (it works without JavaScript). Reached inside the app it hydrates
//! and its resources refresh it every few seconds; opened directly it is sent as islands
//! (see `app::shell`) and `KeepFresh` refreshes the account region instead, with the forms
//! working as plain HTML forms that still say what they did (`components::outcome`). Either
//! way a purchase at the till shows without a reload.

use std::time::Duration;

mod account;
mod inbox;

use leptos::prelude::*;

use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::i18n::{td, td_string};
use leptos_meta::Title;

use crate::api::campaigns::ClaimOffer;
use crate::api::portal::{
    joinable_programs, my_consents, my_portal, JoinProgram, LinkMyCard, RedeemMyReward, SetMyBirthDate,
    SetMyConsents,
};
use crate::api::surveys::{my_surveys, AnswerMySurvey};
use crate::components::campaign_offer::{claimable, offer_text};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::fresh::KeepFresh;
use crate::components::scroll::scroll_to;
use crate::components::states::{Empty, Loaded};
use crate::components::table::DataTable;
use crate::domain::lang::{Digits, Lang};
use crate::domain::{card, currency};
use crate::i18n::Locale;
use crate::model::campaign::CampaignOffer;
use crate::model::card::StampBalance;
use crate::model::consent::{ConsentName, ConsentSource};
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
    let claim = form_action::<ClaimOffer>();
    let claimed = successes(claim);
    let birthday = form_action::<SetMyBirthDate>();
    let consents = form_action::<SetMyConsents>();
    let tick = RwSignal::new(0u32);
    // Runs in the browser only: effects do not run during server rendering.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|n| *n += 1), REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let overview = Resource::new(
        move || {
            (
                join.version().get(),
                redeemed.get(),
                linked.get(),
                claimed.get(),
                tick.get(),
            )
        },
        |_| my_portal(),
    );
    let joinable = Resource::new(move || join.version().get(), |_| joinable_programs());
    let lang = use_lang();
    view! {
        <Title text=td_string!(lang.locale, portal.title) />
        <h1>{td!(lang.locale, portal.heading)}</h1>
        <Welcome />
        // What the page shows of the account, kept current on a first load sent as islands
        // by `KeepFresh` (and in the whole app by the resources above).
        <div id="portal-live">
            <Loaded what=td_string!(lang.locale, portal.loading_what) resource=overview view=move |o| overview_view(o, redeem, last_redeemed, claim) />
        </div>
        {crate::app::rendered_as_islands()
            .then(|| view! { <KeepFresh region="portal-live".to_string() every_ms=REFRESH_EVERY.as_millis() as u64 /> })}
        <inbox::InboxSection />
        <SurveyForms joined=join.version() />
        <LinkCardForm action=link />
        <BirthdayForm action=birthday />
        <account::AccountSection />
        <ConsentsForm action=consents />
        <Transition fallback=|| ()>
            {move || {
                joinable
                    .get()
                    .and_then(Result::ok)
                    .filter(|list| !list.is_empty())
                    .map(|list| {
                        view! {
                            <section class="card">
                                <h2>{td!(lang.locale, portal.join.title)}</h2>
                                <FormNotice result=join.value() />
                                <ul class="list">
                                    {list
                                        .into_iter()
                                        .map(|p| {
                                            let l = lang.locale;
                                            let (name, unit) = (p.name.clone(), p.currency_name.clone());
                                            let collect = td_string!(l, portal.join.collect, program = name.clone(), unit = unit);
                                            let button = td_string!(l, portal.join.button, program = name).to_string();
                                            view! {
                                                <li>
                                                    <span>{collect.to_string()}</span>
                                                    <ActionForm action=join attr:class="inline">
                                                        <input type="hidden" name="program_id" value=p.id />
                                                        <button type="submit" class="button">{button}</button>
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

/// The greeting after a sign-up link made the account (`confirm_signup` says what it did in
/// the address it sends the member to).
#[component]
fn Welcome() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let l = use_lang().locale;
    let welcome = move || query.read().get("welcome");
    let phone_taken = move || query.read().get("phone").as_deref() == Some("taken");
    view! {
        <Show when=move || welcome().is_some()>
            <p class="notice success" role="status">
                {move || {
                    if welcome().as_deref() == Some("claimed") {
                        td_string!(l, portal.welcome.claimed)
                    } else {
                        td_string!(l, portal.welcome.new)
                    }
                }}
            </p>
        </Show>
        <Show when=phone_taken>
            <p class="notice" role="status">{td!(l, portal.welcome.phone_taken)}</p>
        </Show>
    }
}

/// `last` is the reward whose redeem form was sent last (kept by the page, so a refresh of the
/// overview does not forget where to show the answer).
fn overview_view(
    o: PortalOverview,
    redeem: ServerAction<RedeemMyReward>,
    last: RwSignal<Option<i64>>,
    claim: ServerAction<ClaimOffer>,
) -> impl IntoView {
    let PortalOverview {
        member,
        memberships,
        rewards,
        campaign_offers,
        issued,
        history,
        referral_code,
        stamps,
    } = o;
    let lang = use_lang();
    let nonce = format!("{}-{}", member.id, history.first().map(|l| l.id).unwrap_or(0));
    let programs: Vec<ProgramLabel> = memberships.iter().map(ProgramLabel::of).collect();
    view! {
        <div class="columns">
            <section class="card loyalty-card" aria-label=td_string!(lang.locale, portal.card.label)>
                <p class="muted">{td!(lang.locale, portal.card.show)}</p>
                <p class="card-holder">{member.name.clone()}</p>
                <p class="card-number mono" aria-label=td_string!(lang.locale, portal.card.number) dir="ltr">
                    {card::grouped(&member.card_number)}
                </p>
                <p class="muted">
                    {match &member.birth_date {
                        Some(d) => td_string!(lang.locale, portal.card.birthday, day = birth_day(lang, d)).to_string(),
                        None => td_string!(lang.locale, portal.card.no_birthday).to_string(),
                    }}
                </p>
            </section>
            {if memberships.is_empty() {
                view! {
                    <section class="card">
                        <Empty>
                            <p>{td!(lang.locale, portal.no_programs)}</p>
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
        {deals_view(campaign_offers, &programs, claim)}
        {issued_view(issued, &programs)}
        {offers_view(rewards, &programs, nonce, redeem, last)}
        <section class="card" aria-label=td_string!(lang.locale, portal.invite.title)>
            <h2>{td!(lang.locale, portal.invite.title)}</h2>
            <p>
                {td!(lang.locale, portal.invite.code)}
                " "
                <strong class="mono" data-testid="referral-code" dir="ltr">{referral_code.clone()}</strong>
            </p>
            <p class="muted">
                {td!(lang.locale, portal.invite.how)}
                " "
                <a href=format!("/signup?ref={referral_code}") dir="ltr">{format!("/signup?ref={referral_code}")}</a>
            </p>
        </section>
        <section class="card" aria-label=td_string!(lang.locale, portal.history.title)>
            <h2>{td!(lang.locale, portal.history.title)}</h2>
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
    let lang = use_lang();
    let worth = lang.money(m.balance.saturating_mul(m.point_value_minor), &m.currency_code);
    let points = m.earns_points.then(|| {
        view! {
            <p class="balance-big">
                <span data-testid="balance">{lang.number(m.balance)}</span>
                " "
                {m.currency_name.clone()}
            </p>
            {(m.point_value_minor > 0)
                .then(|| view! { <p class="muted">{td_string!(lang.locale, portal.membership.worth, money = worth).to_string()}</p> })}
            {(m.pending > 0)
                .then(|| {
                    let pending = format!("{}{}", plus(lang), lang.points(m.pending, &m.currency_name));
                    view! {
                        <p class="muted" data-testid="pending">
                            {td_string!(lang.locale, portal.membership.pending, points = pending).to_string()}
                        </p>
                    }
                })}
        }
    });
    let tier = m.has_tiers.then(|| tier_standing(lang, &m));
    let nothing = (!m.earns_points && !m.has_tiers && stamps.is_empty())
        .then(|| view! { <p class="muted">{td!(lang.locale, portal.membership.nothing)}</p> });
    view! {
        <section class="card membership" aria-label=m.program_name.clone()>
            <h2>{m.program_name.clone()}</h2>
            {points}
            {tier}
            {stamps_view(lang, stamps)}
            {nothing}
        </section>
    }
}

/// Tier, multiplier and the way to the next tier, in the program's own terms (points or
/// spend, lifetime or this year).
fn tier_standing(lang: Lang, m: &MembershipView) -> impl IntoView {
    let l = lang.locale;
    let tier_name = m
        .tier
        .as_ref()
        .map(|t| t.name.clone())
        .unwrap_or_else(|| td_string!(l, portal.tier.none).to_string());
    let multiplier = multiplier(lang, m.tier.as_ref().map_or(100, |t| t.multiplier_pct));
    let progress = match &m.next_tier {
        Some(next) => {
            let left = (next.threshold_points - m.qualifying).max(0);
            let tier = next.name.clone();
            if m.tier_basis == "spend" {
                let left = lang.money(
                    left.saturating_mul(currency::minor_per_unit(&m.currency_code)),
                    &m.currency_code,
                );
                match m.tier_window.as_str() {
                    "calendar_year" => {
                        td_string!(l, portal.tier.spend_year, left = left, tier = tier).to_string()
                    }
                    "rolling_12m" => {
                        td_string!(l, portal.tier.spend_12m, left = left, tier = tier).to_string()
                    }
                    _ => td_string!(l, portal.tier.spend_lifetime, left = left, tier = tier).to_string(),
                }
            } else {
                let left = lang.points(left, &m.currency_name);
                match m.tier_window.as_str() {
                    "calendar_year" => {
                        td_string!(l, portal.tier.points_year, left = left, tier = tier).to_string()
                    }
                    "rolling_12m" => {
                        td_string!(l, portal.tier.points_12m, left = left, tier = tier).to_string()
                    }
                    _ => td_string!(l, portal.tier.points_lifetime, left = left, tier = tier).to_string(),
                }
            }
        }
        None => td_string!(l, portal.tier.top, tier = tier_name.clone()).to_string(),
    };
    // Under a scheduled review a member keeps the tier until then, whatever happens before.
    let review = match (m.tier_review.as_str(), &m.tier) {
        ("monthly", Some(t)) if t.threshold_points > 0 => {
            Some(td_string!(l, portal.tier.review_monthly, tier = t.name.clone()).to_string())
        }
        ("yearly", Some(t)) if t.threshold_points > 0 => {
            Some(td_string!(l, portal.tier.review_yearly, tier = t.name.clone()).to_string())
        }
        _ => None,
    };
    let label = td_string!(
        l,
        portal.tier.progress_label,
        percent = percent(lang, m.progress_pct)
    )
    .to_string();
    // A native <progress> (no inline geometry) fills from the start of the line: from the
    // right on a right-to-left page.
    view! {
        <p>
            <span class="badge">{tier_name}</span>
            " " {td!(l, portal.tier.earns)} " " {multiplier}
        </p>
        {m.next_tier.is_some().then(|| view! { <progress max="100" value=m.progress_pct aria-label=label></progress> })}
        <p class="muted" data-testid="tier-progress">{progress}</p>
        {review.map(|r| view! { <p class="muted" data-testid="tier-review">{r}</p> })}
    }
}

/// A tier's earn multiplier: "x1.5" in English, "×١٫٥" in Arabic.
fn multiplier(lang: Lang, pct: i64) -> String {
    let label = multiplier_label(pct);
    match lang.locale {
        Locale::en => label,
        Locale::ar => format!("×{}", lang.digits_of(label.trim_start_matches('x'))),
    }
}

/// The sign before a positive number, as CLDR writes it (Arabic marks keep it beside the number).
fn plus(lang: Lang) -> &'static str {
    match (lang.locale, lang.digits) {
        (Locale::en, _) => "+",
        (Locale::ar, Digits::ArabicIndic) => "\u{061C}+",
        (Locale::ar, Digits::Western) => "\u{200E}+",
    }
}

/// A whole percentage: "40%", "٤٠٪؜".
fn percent(lang: Lang, pct: impl Into<i64>) -> String {
    let n = lang.number(pct.into());
    match (lang.locale, lang.digits) {
        (Locale::ar, Digits::ArabicIndic) => format!("{n}\u{066A}\u{061C}"),
        _ => format!("{n}%"),
    }
}

/// The day of a birthday (`YYYY-MM-DD`): "04-21" in English, as it always was; "٢١ أبريل" in
/// Arabic. Anything else is shown as it is.
fn birth_day(lang: Lang, iso: &str) -> String {
    match (lang.locale, chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")) {
        (Locale::en, _) => iso.get(5..).unwrap_or(iso).to_string(),
        (Locale::ar, Ok(day)) => {
            let date = lang.date(day);
            // "٢١ أبريل ١٩٩٠" without the year.
            date.rsplit_once(' ')
                .map_or(date.clone(), |(day_month, _)| day_month.to_string())
        }
        (Locale::ar, Err(_)) => iso.to_string(),
    }
}

/// A date of birth as saved (`YYYY-MM-DD`): as typed in English, "٢١ أبريل ١٩٩٠" in Arabic.
fn birth_date(lang: Lang, iso: &str) -> String {
    match (lang.locale, chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")) {
        (Locale::ar, Ok(day)) => lang.date(day),
        _ => iso.to_string(),
    }
}

/// The history, one table per program: each has its own currency and its own balance.
fn history_view(history: Vec<LedgerLine>, programs: &[ProgramLabel]) -> AnyView {
    let lang = use_lang();
    let l = lang.locale;
    if history.is_empty() {
        return view! { <Empty><p>{td!(l, portal.history.empty)}</p></Empty> }.into_any();
    }
    by_program(history, programs, |line| line.program_id)
        .into_iter()
        .map(|(p, lines)| {
            let label = td_string!(l, portal.history.of, program = p.name.clone()).to_string();
            view! {
                <h3>{p.name.clone()}</h3>
                <div class="table-scroll">
                    <table class="history" aria-label=label>
                        <thead>
                            <tr>
                                <th scope="col">{td!(l, portal.history.when)}</th>
                                <th scope="col">{td!(l, portal.history.what)}</th>
                                <th scope="col">{td!(l, portal.history.place)}</th>
                                <th scope="col" class="num">{p.currency_name.clone()}</th>
                                <th scope="col" class="num">{td!(l, portal.history.balance)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {lines
                                .into_iter()
                                .map(|line| {
                                    let sign = if line.points > 0 { plus(lang) } else { "" };
                                    view! {
                                        <tr>
                                            <td>{lang.date_time(line.created_at, None)}</td>
                                            <td>
                                                {line.sentence.clone()}
                                                {(line.account == "pending")
                                                    .then_some(view! { " " <span class="badge">{td!(l, portal.history.pending)}</span> })}
                                            </td>
                                            <td>{where_view(lang, &line)}</td>
                                            <td class="num">{format!("{sign}{}", lang.number(line.points))}</td>
                                            <td class="num">{lang.number(line.balance_after)}</td>
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

/// Where a line happened, as a member would say it ("In store PARIS-1", "Online"); the store's
/// code keeps its order on a right-to-left page.
fn where_view(lang: Lang, line: &LedgerLine) -> impl IntoView {
    let l = lang.locale;
    let channel = match line.channel.as_str() {
        "store" | "desk" => td_string!(l, portal.history.in_store),
        "web" => td_string!(l, portal.history.online),
        "app" => td_string!(l, portal.history.in_app),
        _ => "—",
    };
    let store = line
        .store
        .clone()
        .map(|code| view! { " " <bdi dir="ltr">{code}</bdi> });
    view! { {channel} {store} }
}

/// Rewards the member has redeemed, in a table: the ones to use first (code and PIN to show
/// at the till), then those used, cancelled or expired.
fn issued_view(issued: Vec<IssuedReward>, programs: &[ProgramLabel]) -> Option<impl IntoView> {
    let lang = use_lang();
    let l = lang.locale;
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
            let mut columns = vec![td_string!(l, portal.issued.reward)];
            if several {
                columns.push(td_string!(l, portal.issued.program));
            }
            columns.extend([
                td_string!(l, portal.issued.code),
                td_string!(l, portal.issued.pin),
                td_string!(l, portal.issued.status),
            ]);
            view! {
                <DataTable columns label class="codes-table">
                    {rows
                        .into_iter()
                        .map(|(r, program)| {
                            let status = match r.status {
                                RewardStatus::Issued => {
                                    let date = lang.date_time(r.expires_at, None);
                                    td_string!(l, portal.issued.ready_until, date = date).to_string()
                                }
                                RewardStatus::Reserved => td_string!(l, portal.issued.reserved).to_string(),
                                RewardStatus::Used => td_string!(l, portal.issued.used).to_string(),
                                RewardStatus::Released => td_string!(l, portal.issued.released).to_string(),
                                RewardStatus::Expired => td_string!(l, portal.issued.expired).to_string(),
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
            <section class="card" aria-label=td_string!(l, portal.issued.title)>
                <h2>{td!(l, portal.issued.title)}</h2>
                {if open.is_empty() {
                    view! { <Empty><p>{td!(l, portal.issued.none)}</p></Empty> }.into_any()
                } else {
                    table(open, td_string!(l, portal.issued.open)).into_any()
                }}
                {(past_count > 0).then(|| view! {
                    <details class="past-codes">
                        <summary>{td_string!(l, portal.issued.past_summary, n = lang.number(past_count as i64)).to_string()}</summary>
                        {table(past, td_string!(l, portal.issued.past))}
                    </details>
                })}
            </section>
        }
    })
}

/// The catalogue by program: what the member can redeem now, and why not otherwise. Redeeming
/// asks once (the cost named), and the code appears under the reward just redeemed.
/// What running campaigns offer the member; a reward is taken with one button (free, once).
fn deals_view(
    offers: Vec<CampaignOffer>,
    programs: &[ProgramLabel],
    claim: ServerAction<ClaimOffer>,
) -> Option<impl IntoView> {
    let lang = use_lang();
    let l = lang.locale;
    (!offers.is_empty()).then(|| {
        let several = programs.len() > 1;
        view! {
            <section class="card" aria-label=td_string!(l, portal.deals.title)>
                <h2>{td!(l, portal.deals.title)}</h2>
                <FormNotice result=claim.value() />
                {by_program(offers, programs, |o| crate::model::ids::ProgramId(o.program_id))
                    .into_iter()
                    .map(|(p, list)| {
                        view! {
                            {several.then(|| view! { <h3>{p.name.clone()}</h3> })}
                            <ul class="list">
                                {list
                                    .into_iter()
                                    .map(|o| {
                                        // Taken here only where the web is one of its channels.
                                        let here = o.channels.is_empty() || o.channels.contains(&crate::model::rules::Channel::Web);
                                        let button = (here && claimable(&o)).then(|| {
                                            let label = td_string!(l, portal.deals.claim_label, reward = o.reward_name.clone()).to_string();
                                            view! {
                                                <ActionForm action=claim attr:class="inline">
                                                    <input type="hidden" name="program_id" value=o.program_id />
                                                    <input type="hidden" name="campaign_id" value=o.campaign_id />
                                                    <button type="submit" class="button" aria-label=label disabled=move || claim.pending().get()>
                                                        {td!(l, portal.deals.claim)}
                                                    </button>
                                                </ActionForm>
                                            }
                                        });
                                        view! { <li data-testid="campaign-offer">{offer_text(lang, &o)} {button}</li> }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })
                    .collect_view()}
            </section>
        }
    })
}

fn offers_view(
    offers: Vec<Offer>,
    programs: &[ProgramLabel],
    nonce: String,
    redeem: ServerAction<RedeemMyReward>,
    last: RwSignal<Option<i64>>,
) -> Option<impl IntoView> {
    let lang = use_lang();
    (!offers.is_empty()).then(|| {
        let several = programs.len() > 1;
        // An error from a plain post (no JavaScript: no row was clicked here) shows on top.
        let unplaced = move || redeem.value().get().filter(|r| r.is_err() && last.get().is_none());
        view! {
            <section class="card" aria-label=td_string!(lang.locale, portal.offers.title)>
                <h2>{td!(lang.locale, portal.offers.title)}</h2>
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
    let lang = use_lang();
    let l = lang.locale;
    let pending = redeem.pending();
    let reward_id = o.reward.id;
    // A new id only after a success: a retry after an error or a lost answer (the server may
    // have redeemed it) is the same redemption.
    let redeemed = successes(redeem);
    let request_id = move || format!("p{nonce}-{reward_id}-{}", redeemed.get());
    let blocked = o.blocked();
    let cost = lang.price(o.reward.cost_points, &p.currency_name);
    let question = if o.reward.cost_points == 0 {
        td_string!(l, portal.offers.get_now, reward = o.reward.name.clone()).to_string()
    } else {
        td_string!(
            l,
            portal.offers.spend_on,
            cost = cost.clone(),
            reward = o.reward.name.clone()
        )
        .to_string()
    };
    let redeem_label = td_string!(l, portal.offers.redeem_label, reward = o.reward.name.clone()).to_string();
    // The outcome under the reward it is about: the new code, or why not.
    let outcome = move || {
        redeem.value().get().and_then(|r| match r {
            Ok(issued) if issued.reward_id == reward_id => Some(
                view! {
                    <div class="notice ok redeemed" role="status" data-testid="redeemed">
                        <p>
                            <strong>{td_string!(l, portal.offers.yours, reward = issued.reward_name.clone()).to_string()}</strong>
                            " " {td!(l, portal.offers.show_code)} " "
                            <span class="mono code-big" dir="ltr">{issued.code.clone()}</span>
                            " · " {td!(l, portal.issued.pin)} " "
                            <span class="mono" dir="ltr">{issued.pin.clone()}</span>
                        </p>
                        <p class="hint">
                            {td_string!(l, portal.offers.valid_until, date = lang.date_time(issued.expires_at, None)).to_string()}
                        </p>
                    </div>
                }
                .into_any(),
            ),
            Err(e) if last.get() == Some(reward_id) => {
                Some(view! { <p class="notice error" role="alert">{e.message(lang)}</p> }.into_any())
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
                    <button type="button" class="button secondary" disabled=true aria-label=redeem_label>
                        {td!(l, portal.offers.redeem)}
                    </button>
                }
                .into_any(),
                None => view! {
                    // A disclosure asks once, with or without JavaScript: the first button only
                    // opens the question; the form inside spends.
                    <details class="confirm">
                        <summary class="button secondary" aria-label=redeem_label>{td!(l, portal.offers.redeem)}</summary>
                        <ActionForm action=redeem attr:class="confirm-form">
                            <p>{question}</p>
                            <input type="hidden" name="reward_id" value=reward_id />
                            <input type="hidden" name="request_id" prop:value=request_id.clone() value=request_id />
                            <button type="submit" class="button" disabled=move || pending.get() on:click=move |_| last.set(Some(reward_id))>
                                {move || {
                                    if pending.get() {
                                        td_string!(l, portal.offers.redeeming)
                                    } else {
                                        td_string!(l, portal.offers.confirm)
                                    }
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

/// Stamp cards of one program: how far each is from its reward.
fn stamps_view(lang: Lang, stamps: Vec<StampBalance>) -> impl IntoView {
    let l = lang.locale;
    (!stamps.is_empty()).then(|| {
        view! {
            <ul class="stamps" aria-label=td_string!(l, portal.stamps.label)>
                {stamps
                    .into_iter()
                    .map(|s| {
                        let left = (s.stamps_required - s.stamps).max(0);
                        let count = td_string!(
                            l,
                            portal.stamps.count,
                            count = s.stamps_required.max(0) as u64,
                            n = lang.number(s.stamps),
                            total = lang.number(s.stamps_required)
                        )
                        .to_string();
                        let more = td_string!(
                            l,
                            portal.stamps.left,
                            count = left as u64,
                            n = lang.number(left),
                            reward = s.reward_name.clone()
                        )
                        .to_string();
                        let meter = td_string!(l, portal.stamps.meter, card = s.name.clone()).to_string();
                        view! {
                            <li>
                                <strong>{s.name.clone()}</strong>
                                <span>" " {count}</span>
                                <meter min="0" max=s.stamps_required value=s.stamps aria-label=meter></meter>
                                <span class="muted">" " {more}</span>
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
    let lang = use_lang();
    let l = lang.locale;
    view! {
        <section class="card" aria-label=td_string!(l, portal.link.label)>
            // Open when it has something to say: after a plain post the page is drawn again.
            <details open=move || value.with(Option::is_some)>
                <summary>{td!(l, portal.link.summary)}</summary>
                <ActionForm action attr:class="purchase">
                    <FormNotice result=value />
                    <Field
                        label=td_string!(l, portal.link.number)
                        name="input[card_number]"
                        scope="link"
                        inputmode="numeric"
                        dir="ltr"
                        error=err("card_number")
                        autocomplete="off"
                    />
                    <Field
                        label=td_string!(l, portal.link.code)
                        name="input[security_code]"
                        scope="link"
                        inputmode="numeric"
                        dir="ltr"
                        hint=td_string!(l, portal.link.code_hint)
                        error=err("security_code")
                        autocomplete="off"
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>{td!(l, portal.link.submit)}</button>
                </ActionForm>
                {move || value.get().and_then(Result::ok).map(|r| {
                    let number = card::grouped(&r.card_number);
                    let card = move || view! { <bdi dir="ltr">{number.clone()}</bdi> };
                    view! {
                        <p class="notice success" role="status">
                            {td!(l, portal.link.done, card, points = lang.number(r.points), stamps = lang.number(r.stamps))}
                        </p>
                    }
                })}
            </details>
        </section>
    }
}

/// The surveys the member can answer now, each a 0-10 scale and a comment. Kept outside the
/// refreshing overview so a half-written comment is never redrawn away.
/// `joined` counts the programs joined on the page: a new program may have a survey.
#[component]
fn SurveyForms(joined: RwSignal<usize>) -> impl IntoView {
    let action = form_action::<AnswerMySurvey>();
    let answered = successes(action);
    let offers = Resource::new(move || (answered.get(), joined.get()), |_| my_surveys());
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let lang = use_lang();
    let l = lang.locale;
    let thanks = move || {
        value.get().and_then(Result::ok).map(|r| {
            let text = if r.points > 0 {
                td_string!(l, portal.survey.thanks_points, points = lang.number(r.points)).to_string()
            } else {
                td_string!(l, portal.survey.thanks).to_string()
            };
            view! { <p class="notice success" role="status" data-testid="survey-thanks">{text}</p> }
        })
    };
    view! {
        {thanks}
        // One notice for the forms (a member in several programs may have several).
        <FormNotice result=value />
        <Transition fallback=|| ()>
            {move || {
                offers.get().and_then(Result::ok).map(|list| {
                    list.into_iter()
                        .map(|o| {
                            let question = if o.question.is_empty() {
                                td_string!(l, portal.survey.question, program = o.program_name.clone()).to_string()
                            } else {
                                o.question.clone()
                            };
                            let scale = (0..=10)
                                .map(|n| {
                                    let id = format!("score-{}-{n}", o.survey_id);
                                    view! {
                                        <span class="scale-point">
                                            <input type="radio" id=id.clone() name="score" value=n.to_string() required=true />
                                            <label for=id>{lang.number(n)}</label>
                                        </span>
                                    }
                                })
                                .collect_view();
                            let comment_id = format!("comment-{}", o.survey_id);
                            let (hint_id, error_id) = (format!("scale-hint-{}", o.survey_id), format!("score-error-{}", o.survey_id));
                            let described = {
                                let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
                                move || match err("score").get() {
                                    Some(_) => format!("{hint_id} {error_id}"),
                                    None => hint_id.clone(),
                                }
                            };
                            view! {
                                <section class="card" aria-label=td_string!(l, portal.survey.label) data-testid="survey">
                                    <h2>{td!(l, portal.survey.title)}</h2>
                                    <ActionForm action attr:class="survey">
                                        <input type="hidden" name="survey_id" value=o.survey_id />
                                        <fieldset
                                            class="field scale"
                                            class:invalid=move || err("score").get().is_some()
                                            aria-invalid=move || err("score").get().map(|_| "true")
                                            aria-describedby=described
                                        >
                                            <legend>{question}</legend>
                                            <div class="scale-points" dir="ltr">{scale}</div>
                                            <p class="hint" id=hint_id>{td!(l, portal.survey.scale_hint)}</p>
                                            {move || {
                                                let id = error_id.clone();
                                                err("score").get().map(|e| view! { <p class="error" id=id role="alert">{e}</p> })
                                            }}
                                        </fieldset>
                                        <div class="field" class:invalid=move || err("comment").get().is_some()>
                                            <label for=comment_id.clone()>{td!(l, portal.survey.comment)}</label>
                                            <textarea id=comment_id name="comment" rows="3" maxlength="1000"></textarea>
                                            {move || err("comment").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                                        </div>
                                        <button type="submit" class="button" disabled=move || pending.get()>
                                            {td!(l, portal.survey.submit)}
                                        </button>
                                    </ActionForm>
                                </section>
                            }
                        })
                        .collect_view()
                })
            }}
        </Transition>
    }
}

/// The member's date of birth, for the yearly birthday reward.
#[component]
fn BirthdayForm(action: ServerAction<SetMyBirthDate>) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let lang = use_lang();
    let l = lang.locale;
    view! {
        <section class="card" aria-label=td_string!(l, portal.birthday.label)>
            <details open=move || value.with(Option::is_some)>
                <summary>{td!(l, portal.birthday.summary)}</summary>
                <ActionForm action attr:class="purchase">
                    <FormNotice result=value />
                    <Field
                        label=td_string!(l, portal.birthday.field)
                        name="birth_date"
                        kind="date"
                        autocomplete="bday"
                        hint=td_string!(l, portal.birthday.hint)
                        error=err("birth_date")
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>{td!(l, portal.birthday.submit)}</button>
                </ActionForm>
                {move || value.get().and_then(Result::ok).map(|d| view! {
                    <p class="notice success" role="status">
                        {match d {
                            Some(d) => td_string!(l, portal.birthday.saved, date = birth_date(lang, &d)).to_string(),
                            None => td_string!(l, portal.birthday.removed).to_string(),
                        }}
                    </p>
                })}
            </details>
        </section>
    }
}

/// A consent's name on the preferences form, and what it means.
fn consent_label(lang: Lang, name: ConsentName) -> (&'static str, &'static str) {
    let l = lang.locale;
    match name {
        ConsentName::Email => (
            td_string!(l, portal.consents.email),
            td_string!(l, portal.consents.email_hint),
        ),
        ConsentName::Sms => (
            td_string!(l, portal.consents.sms),
            td_string!(l, portal.consents.sms_hint),
        ),
        ConsentName::Push => (
            td_string!(l, portal.consents.push),
            td_string!(l, portal.consents.push_hint),
        ),
        ConsentName::InApp => (
            td_string!(l, portal.consents.in_app),
            td_string!(l, portal.consents.in_app_hint),
        ),
        ConsentName::Offers => (
            td_string!(l, portal.consents.offers),
            td_string!(l, portal.consents.offers_hint),
        ),
        ConsentName::Reminders => (
            td_string!(l, portal.consents.reminders),
            td_string!(l, portal.consents.reminders_hint),
        ),
        ConsentName::Surveys => (
            td_string!(l, portal.consents.surveys),
            td_string!(l, portal.consents.surveys_hint),
        ),
    }
}

/// How a consent change was made, as the member reads it.
fn consent_source(lang: Lang, source: ConsentSource) -> &'static str {
    let l = lang.locale;
    match source {
        ConsentSource::Portal => td_string!(l, portal.consents.by_portal),
        ConsentSource::Api => td_string!(l, portal.consents.by_api),
        ConsentSource::Desk => td_string!(l, portal.consents.by_desk),
        ConsentSource::Unsubscribe => td_string!(l, portal.consents.by_unsubscribe),
    }
}

/// What the member agrees to hear about and where: channels and topics, ticked as they stand,
/// with the last changes (when and how). Works without JavaScript (the form posts and the
/// page comes back with the new choices).
#[component]
fn ConsentsForm(action: ServerAction<SetMyConsents>) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let lang = use_lang();
    let l = lang.locale;
    let saved = successes(action);
    let current = Resource::new(move || saved.get(), |_| my_consents());
    let boxes = move |names: &'static [ConsentName], granted: Vec<ConsentName>| {
        names
            .iter()
            .map(|&n| {
                let (label, hint) = consent_label(lang, n);
                let id = format!("consent-{}", n.as_str());
                let hint_id = format!("{id}-hint");
                view! {
                    <div class="field check">
                        <input type="checkbox" id=id.clone() name="input[granted][]" value=n.as_str() checked=granted.contains(&n) aria-describedby=hint_id.clone() />
                        <label for=id>{label}</label>
                        <p class="hint" id=hint_id>{hint}</p>
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <section class="card" aria-label=td_string!(l, portal.consents.label)>
            <details open=move || value.with(Option::is_some)>
                <summary>{td!(l, portal.consents.summary)}</summary>
                <Transition fallback=|| ()>
                    {move || {
                        current.get().and_then(Result::ok).map(|c| {
                            let recent: Vec<_> = c.history.iter().take(5).cloned().collect();
                            view! {
                                <ActionForm action attr:class="purchase">
                                    <FormNotice result=value />
                                    <input type="hidden" name="input[form]" value="consents" />
                                    <fieldset>
                                        <legend>{td!(l, portal.consents.channels)}</legend>
                                        {boxes(&CHANNELS, c.granted.clone())}
                                    </fieldset>
                                    <fieldset>
                                        <legend>{td!(l, portal.consents.topics)}</legend>
                                        {boxes(&TOPICS, c.granted.clone())}
                                    </fieldset>
                                    <p class="hint">{td!(l, portal.consents.service)}</p>
                                    <button type="submit" class="button" disabled=move || pending.get()>{td!(l, portal.consents.submit)}</button>
                                </ActionForm>
                                {move || value.get().and_then(Result::ok).map(|_| view! {
                                    <p class="notice success" role="status">{td!(l, portal.consents.saved)}</p>
                                })}
                                {(!recent.is_empty()).then(|| view! {
                                    <h3>{td!(l, portal.consents.history)}</h3>
                                    <ul class="list" data-testid="consent-history">
                                        {recent
                                            .into_iter()
                                            .map(|h| {
                                                let what = consent_label(lang, h.name).0;
                                                let line = if h.granted {
                                                    td_string!(l, portal.consents.given, what = what, date = lang.date(h.at.date()), how = consent_source(lang, h.source))
                                                } else {
                                                    td_string!(l, portal.consents.withdrawn, what = what, date = lang.date(h.at.date()), how = consent_source(lang, h.source))
                                                };
                                                view! { <li>{line.to_string()}</li> }
                                            })
                                            .collect_view()}
                                    </ul>
                                })}
                            }
                        })
                    }}
                </Transition>
            </details>
        </section>
    }
}

/// The channels, then the topics, as the form lists them.
const CHANNELS: [ConsentName; 4] = [
    ConsentName::Email,
    ConsentName::Sms,
    ConsentName::Push,
    ConsentName::InApp,
];
const TOPICS: [ConsentName; 3] = [ConsentName::Offers, ConsentName::Reminders, ConsentName::Surveys];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_in_each_language() {
        assert_eq!(multiplier(Lang::ENGLISH, 150), "x1.5");
        assert_eq!(multiplier(Lang::ARABIC, 150), "×١٫٥");
        assert_eq!(multiplier(Lang::ARABIC, 100), "×١");
        assert_eq!(percent(Lang::ENGLISH, 40u8), "40%");
        assert_eq!(percent(Lang::ARABIC, 40u8), "٤٠٪\u{61c}");
        assert_eq!(
            format!("{}{}", plus(Lang::ENGLISH), Lang::ENGLISH.number(125)),
            "+125"
        );
        assert_eq!(birth_day(Lang::ENGLISH, "1990-04-21"), "04-21");
        assert_eq!(birth_day(Lang::ARABIC, "1990-04-21"), "٢١ أبريل");
        assert_eq!(birth_date(Lang::ENGLISH, "1990-02-03"), "1990-02-03");
        assert_eq!(birth_date(Lang::ARABIC, "1990-02-03"), "٣ فبراير ١٩٩٠");
        assert_eq!(birth_day(Lang::ARABIC, "not a date"), "not a date");
    }

    #[test]
    fn stamp_cards_count_in_arabic_plurals() {
        use crate::i18n::td_string;
        let ar = Lang::ARABIC;
        let count = |n: i64, total: i64| {
            td_string!(
                ar.locale,
                portal.stamps.count,
                count = total as u64,
                n = ar.number(n),
                total = ar.number(total)
            )
            .to_string()
        };
        assert_eq!(count(3, 5), "٣ من ٥ طوابع");
        assert_eq!(count(3, 12), "٣ من ١٢ طابعًا");
        assert_eq!(count(1, 2), "١ من طابعين");
        let en = Lang::ENGLISH;
        let count = td_string!(
            en.locale,
            portal.stamps.count,
            count = 5u64,
            n = en.number(3),
            total = en.number(5)
        );
        assert_eq!(count.to_string(), "3 / 5 stamps");
    }
}
