//! A program's rewards catalogue: what members can redeem, at what cost, how many, for whom.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::catalog::{list_rewards, DeactivateReward, SaveReward};
use crate::api::programs::get_program;
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loading};
use crate::components::table::{DataTable, RowAction};
use crate::model::program::ProgramDetail;
use crate::model::reward::{Reward, RewardKind};
use crate::model::rules::Channel;

#[component]
pub fn RewardsPage() -> impl IntoView {
    let id = super::program_id_param();
    let save = form_action::<SaveReward>();
    let deactivate = form_action::<DeactivateReward>();
    let (saved, removed) = (successes(save), successes(deactivate));
    let program = Resource::new(id, get_program);
    let list = Resource::new(
        move || (id(), saved.get(), removed.get()),
        |(id, ..)| list_rewards(id),
    );
    view! {
        <Title text="Rewards" />
        <p><A href=move || format!("/manage/programs/{}", id())>"← Program"</A></p>
        <Transition fallback=|| view! { <Loading what="rewards" /> }>
            {move || {
                let detail = program.get();
                let rewards = list.get();
                detail.zip(rewards).map(|(d, r)| {
                    or_error(d, move |d: ProgramDetail| {
                        let code = d.program.currency_code.clone();
                        or_error(r.clone(), move |rewards: Vec<Reward>| {
                            view! {
                                <div class="columns">
                                    <section class="card">
                                        <h2>{format!("Rewards of {}", d.program.name)}</h2>
                                        <FormNotice result=deactivate.value() />
                                        {catalogue(rewards, &code, deactivate)}
                                    </section>
                                    <section class="card">
                                        <h2>"Add a reward"</h2>
                                        <RewardForm action=save detail=d.clone() />
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

fn catalogue(rewards: Vec<Reward>, code: &str, deactivate: ServerAction<DeactivateReward>) -> AnyView {
    if rewards.is_empty() {
        return view! { <Empty><p>"No rewards yet. Add the first one: members need something to collect for."</p></Empty> }
            .into_any();
    }
    let rows = rewards
        .into_iter()
        .map(|r| {
            let label = r.value_label(code);
            let (program_id, reward_id) = (r.program_id, r.id);
            view! {
                <tr>
                    <td>
                        <strong>{r.name.clone()}</strong>
                        <span class="muted">{format!(" · {label}")}</span>
                    </td>
                    <td class="num">{if r.cost_points == 0 { "Free".to_string() } else { crate::domain::wording::grouped(r.cost_points) }}</td>
                    <td class="num">{match (r.stock_left(), r.uses_pool) {
                        (Some(s), true) => format!("{s} codes left"),
                        (Some(s), false) => s.to_string(),
                        (None, _) => "unlimited".into(),
                    }}</td>
                    <td>
                        {if r.active {
                            view! {
                                <RowAction
                                    action=deactivate
                                    fields=vec![("program_id", program_id.to_string()), ("reward_id", reward_id.to_string())]
                                    label="Withdraw"
                                    target=r.name.clone()
                                    danger=true
                                />
                            }
                                .into_any()
                        } else {
                            view! { <span class="badge">"withdrawn"</span> }.into_any()
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable columns=&["Reward", "Cost", "Stock left", "Status"] numeric=&[1, 2]>
            {rows}
        </DataTable>
    }
    .into_any()
}

#[component]
fn RewardForm(action: ServerAction<SaveReward>, detail: ProgramDetail) -> impl IntoView {
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
                <p class="notice ok" role="status">"Reward added."</p>
            </Show>
            <Field label="Reward name" name="input[name]" error=err("name") />
            <Field label="Description (optional)" name="input[description]" error=err("description") />
            <div class="field" class:invalid=move || err("kind").get().is_some()>
                <label for="input-kind">"Kind"</label>
                <select id="input-kind" name="input[kind]">
                    {RewardKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                </select>
                {select_error("kind")}
            </div>
            <Field
                label="Cost in points"
                name="input[cost_points]"
                inputmode="numeric"
                hint="0 for a free reward: a perk of the minimum tier below, or, with no tier, a stamp card's reward that members cannot take from the catalogue."
                error=err("cost_points")
            />
            <Field
                label="Value"
                name="input[value]"
                inputmode="decimal"
                hint="Money off or gift card value (e.g. 5.00), or percent for a percent discount."
                error=err("value")
            />
            <Field label="Product SKU" name="input[sku]" hint="For free products." error=err("sku") />
            <Field label="Stock" name="input[stock]" inputmode="numeric" hint="Empty for unlimited." error=err("stock") />
            <Field
                label="Limit per member"
                name="input[per_member_limit]"
                inputmode="numeric"
                hint="Empty for no limit."
                error=err("per_member_limit")
            />
            <Field
                label="Offered from"
                name="input[valid_from]"
                kind="date"
                hint="Empty: from now."
                error=err("valid_from")
            />
            <Field
                label="Offered until"
                name="input[valid_until]"
                kind="date"
                hint="The last day, included. Empty: no end."
                error=err("valid_until")
            />
            <Field
                label="Code valid for (days)"
                name="input[code_valid_days]"
                inputmode="numeric"
                hint="How long a redeemed code can be used; 30 if empty."
                error=err("code_valid_days")
            />
            <div class="field" class:invalid=move || err("min_tier_id").get().is_some()>
                <label for="input-min_tier_id">"Only for tier and above"</label>
                <select id="input-min_tier_id" name="input[min_tier_id]">
                    <option value="">"Everyone"</option>
                    {detail.tiers.iter().map(|t| view! { <option value=t.id>{t.name.clone()}</option> }).collect_view()}
                </select>
                {select_error("min_tier_id")}
            </div>
            <fieldset class:invalid=move || err("channels").get().is_some()>
                <legend>"Usable in (none ticked: everywhere)"</legend>
                {Channel::ALL
                    .iter()
                    .map(|c| {
                        let id = format!("reward-channel-{}", c.as_str());
                        view! {
                            <div class="field check">
                                <input id=id.clone() type="checkbox" name="input[channels][]" value=c.as_str() />
                                <label for=id>{c.as_str()}</label>
                            </div>
                        }
                    })
                    .collect_view()}
                {select_error("channels")}
            </fieldset>
            <div class="field" class:invalid=move || err("pool_codes").get().is_some()>
                <label for="input-pool_codes">"Voucher codes (one per line)"</label>
                <textarea id="input-pool_codes" name="input[pool_codes]" rows="3"></textarea>
                <p class="hint">"For partner vouchers: each redemption hands out the next code."</p>
                {select_error("pool_codes")}
            </div>
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || if pending.get() { "Saving…" } else { "Add reward" }}
            </button>
        </ActionForm>
    }
}
