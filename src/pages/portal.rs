//! The member portal: balance, tier and progress, digital card, history, programs to join.
//! Rendered on the server (it works without JavaScript); once hydrated it refreshes itself
//! every few seconds so a purchase booked at the till shows up without a reload.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::portal::{joinable_programs, my_portal, JoinProgram};
use crate::components::field::FormNotice;
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::{card, currency};
use crate::model::member::{LedgerLine, MembershipView, PortalOverview};
use crate::model::program::multiplier_label;

const REFRESH_EVERY: Duration = Duration::from_secs(4);

#[component]
pub fn PortalPage() -> impl IntoView {
    let join = ServerAction::<JoinProgram>::new();
    let tick = RwSignal::new(0u32);
    // Runs in the browser only: effects do not run during server rendering.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|n| *n += 1), REFRESH_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    let overview = Resource::new(move || (join.version().get(), tick.get()), |_| my_portal());
    let joinable = Resource::new(move || join.version().get(), |_| joinable_programs());
    view! {
        <Title text="Portal" />
        <h1>"My loyalty"</h1>
        <Transition fallback=|| view! { <Loading what="your account" /> }>
            {move || overview.get().map(|r| or_error(r, overview_view))}
        </Transition>
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

fn overview_view(o: PortalOverview) -> impl IntoView {
    let PortalOverview {
        member,
        memberships,
        history,
    } = o;
    view! {
        <div class="columns">
            <section class="card loyalty-card" aria-label="Digital card">
                <p class="muted">"Show this at the till"</p>
                <p class="card-holder">{member.name.clone()}</p>
                <p class="card-number mono" aria-label="Card number">{card::grouped(&member.card_number)}</p>
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
    let progress = match &m.next_tier {
        Some(next) => format!(
            "{} {} to {}",
            next.threshold_points - m.lifetime_points,
            m.currency_name,
            next.name
        ),
        None => "Top tier reached".to_string(),
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
            <p>
                <span class="badge">{tier_name}</span>
                " earns " {multiplier}
            </p>
            <progress max="100" value=m.progress_pct aria-label=label></progress>
            <p class="muted">{progress}</p>
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
                                    {l.reference.clone().map(|r| view! { <span class="muted">{format!(" · receipt {r}")}</span> })}
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
