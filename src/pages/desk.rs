//! The in-store desk: find a member by email, phone or card number, record a purchase and
//! see what it earned and why.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::desk::{desk_search, RecordPurchase};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::card;
use crate::model::member::{DeskMember, DeskResults};
use crate::model::program::Program;

#[component]
pub fn DeskPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let purchase = ServerAction::<RecordPurchase>::new();
    let booked = successes(purchase);
    let search = Resource::new(move || (q(), booked.get()), |(q, _)| desk_search(q));
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
        <Receipt action=purchase />
        <Transition fallback=|| view! { <Loading what="members" /> }>
            {move || {
                let query_text = q();
                search.get().map(move |r| or_error(r, move |found: DeskResults| results(found, query_text, purchase)))
            }}
        </Transition>
    }
}

fn results(found: DeskResults, query: String, purchase: ServerAction<RecordPurchase>) -> AnyView {
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
        .map(|m| view! { <MemberCard found=m programs=programs.clone() nonce=nonce.clone() purchase /> })
        .collect_view()
        .into_any()
}

#[component]
fn MemberCard(
    found: DeskMember,
    programs: Vec<Program>,
    nonce: String,
    purchase: ServerAction<RecordPurchase>,
) -> impl IntoView {
    let DeskMember { member, memberships } = found;
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
