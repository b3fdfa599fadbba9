//! A program's rewards catalogue: what members can redeem, at what cost, how many, for whom.

use leptos::prelude::*;

use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::domain::lang::{Digits, Lang};
use crate::i18n::{td, td_string};
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::catalog::{list_rewards, DeactivateReward, SaveReward};
use crate::api::programs::get_program;
use crate::api::segments::list_segments;
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loading};
use crate::components::table::{DataTable, RowAction};
use crate::model::program::ProgramDetail;
use crate::model::reward::{Reward, RewardKind};
use crate::model::rules::Channel;
use crate::model::segment::Segment;

#[component]
pub fn RewardsPage() -> impl IntoView {
    let lang = use_lang();
    let id = super::program_id_param();
    let save = form_action::<SaveReward>();
    let deactivate = form_action::<DeactivateReward>();
    let (saved, removed) = (successes(save), successes(deactivate));
    let program = Resource::new(id, get_program);
    let segments = Resource::new(id, list_segments);
    let list = Resource::new(
        move || (id(), saved.get(), removed.get()),
        |(id, ..)| list_rewards(id),
    );
    view! {
        <Title text=td_string!(lang.locale, offers.rewards.title) />
        <p><A href=move || format!("/manage/programs/{}", id())>{td!(lang.locale, offers.back_to_program)}</A></p>
        <Transition fallback=move || view! { <Loading what=td_string!(lang.locale, offers.rewards.loading) /> }>
            {move || {
                let detail = program.get();
                let rewards = list.get();
                detail.zip(rewards).zip(segments.get()).map(|((d, r), s)| {
                    or_error(d, move |d: ProgramDetail| {
                        let code = d.program.currency_code.clone();
                        let segs: Vec<Segment> = s.clone().unwrap_or_default();
                        or_error(r.clone(), move |rewards: Vec<Reward>| {
                            view! {
                                <div class="columns">
                                    <section class="card">
                                        <h2>
                                            {td!(
                                                lang.locale,
                                                offers.rewards.heading,
                                                program = { let v = d.program.name.clone(); move || view! { <bdi>{v.clone()}</bdi> } }
                                            )}
                                        </h2>
                                        <FormNotice result=deactivate.value() />
                                        {catalogue(lang, rewards, &segs, &code, deactivate)}
                                    </section>
                                    <section class="card">
                                        <h2>{td!(lang.locale, offers.rewards.add_heading)}</h2>
                                        <RewardForm action=save detail=d.clone() segments=segs.clone() />
                                    </section>
                                </div>
                            }
                        })
                    })
                })
            }}
        </Transition>
    }
}

/// A reward kind's name on the form, in `lang`.
fn kind_label(lang: Lang, kind: RewardKind) -> &'static str {
    let l = lang.locale;
    match kind {
        RewardKind::DiscountFixed => td_string!(l, offers.reward_kind.discount_fixed),
        RewardKind::DiscountPercent => td_string!(l, offers.reward_kind.discount_percent),
        RewardKind::Voucher => td_string!(l, offers.reward_kind.voucher),
        RewardKind::FreeProduct => td_string!(l, offers.reward_kind.free_product),
        RewardKind::GiftCard => td_string!(l, offers.reward_kind.gift_card),
        RewardKind::Entitlement => td_string!(l, offers.reward_kind.entitlement),
        RewardKind::PointsPayment => td_string!(l, offers.reward_kind.points_payment),
    }
}

/// What a reward gives, in `lang`: "€5.00 off", "10% off", "Free FLAT-WHITE"... (in English
/// the words of `Reward::value_label`).
fn value_label(lang: Lang, r: &Reward, code: &str) -> String {
    let l = lang.locale;
    match r.kind {
        RewardKind::DiscountFixed => td_string!(
            l,
            offers.reward_value.money_off,
            amount = lang.money(r.value, code)
        )
        .to_string(),
        RewardKind::DiscountPercent => {
            let pct = match lang.digits {
                Digits::Western => format!("{}%", r.value),
                Digits::ArabicIndic => format!("{}٪", lang.digits_of(&r.value.to_string())),
            };
            td_string!(l, offers.reward_value.percent_off, pct = pct).to_string()
        }
        RewardKind::GiftCard => td_string!(
            l,
            offers.reward_value.gift_card,
            amount = lang.money(r.value, code)
        )
        .to_string(),
        RewardKind::FreeProduct => match r.sku.as_deref() {
            Some(sku) => td_string!(l, offers.reward_value.free_sku, sku = sku).to_string(),
            None => td_string!(l, offers.reward_value.free_product).to_string(),
        },
        RewardKind::Voucher => td_string!(l, offers.reward_value.voucher).to_string(),
        RewardKind::PointsPayment => td_string!(l, offers.reward_value.points_payment).to_string(),
        RewardKind::Entitlement => td_string!(l, offers.reward_value.entitlement).to_string(),
    }
}

/// The stock column: codes left for a reward from a partner's codes, else what the stock
/// allows, or "unlimited".
fn stock_label(lang: Lang, r: &Reward) -> String {
    let l = lang.locale;
    match (r.stock_left(), r.uses_pool) {
        (Some(s), true) => td_string!(
            l,
            offers.rewards.codes_left,
            count = s.max(0) as u64,
            n = lang.digits_of(&s.to_string())
        )
        .to_string(),
        (Some(s), false) => lang.digits_of(&s.to_string()),
        (None, _) => td_string!(l, offers.rewards.unlimited).to_string(),
    }
}

fn catalogue(
    lang: Lang,
    rewards: Vec<Reward>,
    segments: &[Segment],
    code: &str,
    deactivate: ServerAction<DeactivateReward>,
) -> AnyView {
    let l = lang.locale;
    if rewards.is_empty() {
        return view! { <Empty><p>{td!(l, offers.rewards.empty)}</p></Empty> }.into_any();
    }
    let rows = rewards
        .into_iter()
        .map(|r| {
            let label = value_label(lang, &r, code);
            let (program_id, reward_id) = (r.program_id, r.id);
            // Offered to one segment only: which (a withdrawn reward may name a deleted one).
            let only = r.segment_id.map(|id| {
                let name = segments
                    .iter()
                    .find(|s| s.id == id)
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| td_string!(l, manage.campaigns.segment_gone).to_string());
                td_string!(l, offers.rewards.only_segment, segment = lang.isolate(&name)).to_string()
            });
            view! {
                <tr>
                    <td>
                        <strong>{r.name.clone()}</strong>
                        <span class="muted">{format!(" · {label}")}</span>
                        {only.map(|o| view! { <br /><span class="muted">{o}</span> })}
                    </td>
                    <td class="num">
                        {if r.cost_points == 0 {
                            td_string!(l, common.free).to_string()
                        } else {
                            lang.number(r.cost_points)
                        }}
                    </td>
                    <td class="num">{stock_label(lang, &r)}</td>
                    <td>
                        {if r.active {
                            view! {
                                <RowAction
                                    action=deactivate
                                    fields=vec![("program_id", program_id.to_string()), ("reward_id", reward_id.to_string())]
                                    label=td_string!(l, offers.rewards.withdraw)
                                    target=r.name.clone()
                                    danger=true
                                />
                            }
                                .into_any()
                        } else {
                            view! { <span class="badge">{td!(l, offers.rewards.withdrawn)}</span> }.into_any()
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable
            columns=vec![
                td_string!(l, offers.rewards.col_reward),
                td_string!(l, offers.rewards.col_cost),
                td_string!(l, offers.rewards.col_stock),
                td_string!(l, offers.rewards.col_status),
            ]
            numeric=&[1, 2]
        >
            {rows}
        </DataTable>
    }
    .into_any()
}

#[component]
fn RewardForm(
    action: ServerAction<SaveReward>,
    detail: ProgramDetail,
    segments: Vec<Segment>,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let select_error = move |f: &'static str| {
        move || {
            err(f)
                .get()
                .map(|e| view! { <p class="error" role="alert">{e}</p> })
        }
    };
    view! {
        <ActionForm action=action>
            <input type="hidden" name="input[program_id]" value=detail.program.id />
            <FormNotice result=value />
            <Show when=move || matches!(value.get(), Some(Ok(_)))>
                <p class="notice ok" role="status">{td!(l, offers.rewards.added)}</p>
            </Show>
            <Field label=td_string!(l, offers.rewards.name) name="input[name]" error=err("name") />
            <Field label=td_string!(l, offers.rewards.description) name="input[description]" error=err("description") />
            <div class="field" class:invalid=move || err("kind").get().is_some()>
                <label for="input-kind">{td!(l, offers.rewards.kind)}</label>
                <select id="input-kind" name="input[kind]">
                    {RewardKind::ALL
                        .iter()
                        .map(|k| view! { <option value=k.as_str()>{kind_label(lang, *k)}</option> })
                        .collect_view()}
                </select>
                {select_error("kind")}
            </div>
            <Field
                label=td_string!(l, offers.rewards.cost)
                name="input[cost_points]"
                inputmode="numeric"
                hint=td_string!(l, offers.rewards.cost_hint)
                error=err("cost_points")
            />
            <Field
                label=td_string!(l, offers.rewards.value)
                name="input[value]"
                inputmode="decimal"
                hint=td_string!(l, offers.rewards.value_hint)
                error=err("value")
            />
            <Field
                label=td_string!(l, offers.rewards.sku)
                name="input[sku]"
                hint=td_string!(l, offers.rewards.sku_hint)
                error=err("sku")
                dir="ltr"
            />
            <Field
                label=td_string!(l, offers.rewards.stock)
                name="input[stock]"
                inputmode="numeric"
                hint=td_string!(l, offers.rewards.stock_hint)
                error=err("stock")
            />
            <Field
                label=td_string!(l, offers.rewards.limit)
                name="input[per_member_limit]"
                inputmode="numeric"
                hint=td_string!(l, offers.rewards.limit_hint)
                error=err("per_member_limit")
            />
            <Field
                label=td_string!(l, offers.rewards.valid_from)
                name="input[valid_from]"
                kind="date"
                hint=td_string!(l, offers.rewards.valid_from_hint)
                error=err("valid_from")
            />
            <Field
                label=td_string!(l, offers.rewards.valid_until)
                name="input[valid_until]"
                kind="date"
                hint=td_string!(l, offers.rewards.valid_until_hint)
                error=err("valid_until")
            />
            <Field
                label=td_string!(l, offers.rewards.code_days)
                name="input[code_valid_days]"
                inputmode="numeric"
                hint=td_string!(l, offers.rewards.code_days_hint)
                error=err("code_valid_days")
            />
            <div class="field" class:invalid=move || err("min_tier_id").get().is_some()>
                <label for="input-min_tier_id">{td!(l, offers.rewards.min_tier)}</label>
                <select id="input-min_tier_id" name="input[min_tier_id]">
                    <option value="">{td!(l, offers.rewards.everyone)}</option>
                    {detail.tiers.iter().map(|t| view! { <option value=t.id>{t.name.clone()}</option> }).collect_view()}
                </select>
                {select_error("min_tier_id")}
            </div>
            <div class="field" class:invalid=move || err("segment_id").get().is_some()>
                <label for="input-segment_id">{td!(l, offers.rewards.segment)}</label>
                <select id="input-segment_id" name="input[segment_id]" aria-describedby="input-segment_id-hint">
                    <option value="">{td!(l, offers.rewards.every_member)}</option>
                    {segments.iter().map(|s| view! { <option value=s.id>{s.name.clone()}</option> }).collect_view()}
                </select>
                <p class="hint" id="input-segment_id-hint">{td!(l, offers.rewards.segment_hint)}</p>
                {select_error("segment_id")}
            </div>
            <fieldset class:invalid=move || err("channels").get().is_some()>
                <legend>{td!(l, offers.rewards.channels)}</legend>
                {Channel::ALL
                    .iter()
                    .map(|c| {
                        let id = format!("reward-channel-{}", c.as_str());
                        view! {
                            <div class="field check">
                                <input id=id.clone() type="checkbox" name="input[channels][]" value=c.as_str() />
                                <label for=id>{c.label(lang)}</label>
                            </div>
                        }
                    })
                    .collect_view()}
                {select_error("channels")}
            </fieldset>
            <div class="field" class:invalid=move || err("pool_codes").get().is_some()>
                <label for="input-pool_codes">{td!(l, offers.rewards.pool)}</label>
                <textarea id="input-pool_codes" name="input[pool_codes]" rows="3" dir="ltr"></textarea>
                <p class="hint">{td!(l, offers.rewards.pool_hint)}</p>
                {select_error("pool_codes")}
            </div>
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || {
                    if pending.get() {
                        td_string!(l, offers.saving)
                    } else {
                        td_string!(l, offers.rewards.submit)
                    }
                }}
            </button>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reward(kind: RewardKind, value: i64, sku: Option<&str>) -> Reward {
        Reward {
            id: 1,
            program_id: Default::default(),
            name: "R".into(),
            description: String::new(),
            kind,
            cost_points: 100,
            value,
            sku: sku.map(str::to_string),
            stock: Some(10),
            issued: 3,
            per_member_limit: None,
            valid_from: None,
            valid_until: None,
            min_tier_id: None,
            segment_id: None,
            channels: String::new(),
            code_valid_days: 30,
            uses_pool: false,
            active: true,
            pool_left: None,
        }
    }

    /// The English words are the model's (`Reward::value_label`, `RewardKind::label`), so
    /// the page reads as it did before the catalogue.
    #[test]
    fn reward_words_in_english_are_the_models() {
        for kind in RewardKind::ALL.iter().copied() {
            assert_eq!(kind_label(Lang::ENGLISH, kind), kind.label());
            assert_ne!(kind_label(Lang::ARABIC, kind), kind.label());
            for sku in [None, Some("FLAT-WHITE")] {
                let r = reward(kind, 500, sku);
                for code in ["EUR", "KWD", "JPY"] {
                    assert_eq!(value_label(Lang::ENGLISH, &r, code), r.value_label(code));
                }
            }
        }
        let pct = reward(RewardKind::DiscountPercent, 10, None);
        assert_eq!(value_label(Lang::ARABIC, &pct, "SAR"), "خصم ١٠٪");
        let stock = reward(RewardKind::Voucher, 0, None);
        assert_eq!(stock_label(Lang::ENGLISH, &stock), "7");
        assert_eq!(stock_label(Lang::ARABIC, &stock), "٧");
    }
}
