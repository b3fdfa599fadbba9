//! Printed card batches (numbers and security codes for the printer) and stamp cards.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::api::cards::{
    card_batch_print, list_card_batches, list_stamp_cards, CreateCardBatch, DeactivateStampCard,
    SaveStampCard,
};
use crate::api::catalog::list_rewards;
use crate::api::programs::list_programs;
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loaded, Loading};
use crate::components::table::RowAction;
use crate::error::AppError;
use crate::model::card::{BatchPrint, CardBatch, StampCard};
use crate::model::program::Program;
use crate::model::reward::Reward;

/// What the stamp card section shows: the chosen program (the first one unless `?program=`
/// names another), its stamp cards and its active rewards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StampSection {
    programs: Vec<Program>,
    program: Program,
    cards: Vec<StampCard>,
    rewards: Vec<Reward>,
}

async fn load_stamp_section(chosen: Option<ProgramId>) -> Result<Option<StampSection>, AppError> {
    let programs = list_programs().await?;
    let Some(program) = chosen
        .and_then(|id| programs.iter().find(|p| p.id == id))
        .or_else(|| programs.first())
        .cloned()
    else {
        return Ok(None);
    };
    let cards = list_stamp_cards(program.id).await?;
    let rewards = list_rewards(program.id)
        .await?
        .into_iter()
        .filter(|r| r.active)
        .collect();
    Ok(Some(StampSection {
        programs,
        program,
        cards,
        rewards,
    }))
}

async fn load_print(batch_id: Option<i64>) -> Result<Option<BatchPrint>, AppError> {
    match batch_id {
        Some(id) => card_batch_print(id).await.map(Some),
        None => Ok(None),
    }
}

/// The link that opens a batch's printer file, keeping the chosen stamp card program.
fn print_href(batch_id: i64, program: Option<ProgramId>) -> String {
    match program {
        Some(p) => format!("/manage/cards?print={batch_id}&program={p}"),
        None => format!("/manage/cards?print={batch_id}"),
    }
}

/// The printer's file: a header line, then one `number,security_code` line per card.
fn printer_csv(cards: &[crate::model::card::PrintedCard]) -> String {
    let mut csv = String::from("number,security_code\n");
    for c in cards {
        csv.push_str(&c.number);
        csv.push(',');
        csv.push_str(&c.security_code);
        csv.push('\n');
    }
    csv
}

#[component]
pub fn CardsPage() -> impl IntoView {
    let query = use_query_map();
    let print_id = move || {
        query
            .read()
            .get("print")
            .and_then(|s| s.trim().parse::<i64>().ok())
    };
    let chosen = move || {
        query
            .read()
            .get("program")
            .and_then(|s| s.trim().parse::<ProgramId>().ok())
    };

    let create = form_action::<CreateCardBatch>();
    let save = form_action::<SaveStampCard>();
    let stop = form_action::<DeactivateStampCard>();
    let (made, saved, stopped) = (successes(create), successes(save), successes(stop));

    let batches = Resource::new(move || made.get(), |_| list_card_batches());
    // Keyed on `made` too, so the batch form is drawn afresh (emptied) after a batch is made.
    let programs = Resource::new(move || made.get(), |_| list_programs());
    let print = Resource::new(print_id, load_print);
    let stamps = Resource::new(
        move || (chosen(), saved.get(), stopped.get()),
        |(chosen, ..)| load_stamp_section(chosen),
    );
    let made_value = create.value();

    view! {
        <Title text="Cards" />
        <Loaded what="printer file" resource=print view={|p: Option<BatchPrint>| p.map(print_section)} />
        <div class="columns">
            <section class="card">
                <h2>"Card batches"</h2>
                <p class="muted">
                    "Printed cards collect points from the first purchase; members register them online later."
                </p>
                <Transition fallback=|| view! { <Loading what="batches" /> }>
                    {move || {
                        batches.get().map(|r| or_error(r, move |list| batch_table(list, chosen())))
                    }}
                </Transition>
            </section>
            <section class="card">
                <h2>"Make a batch"</h2>
                {move || {
                    made_value
                        .get()
                        .and_then(Result::ok)
                        .map(|b: CardBatch| {
                            view! {
                                <div class="notice ok" role="status">
                                    <p>
                                        {format!("Batch “{}” made: {} cards. ", b.label, b.size)}
                                        <A href=print_href(b.id, chosen())>"Numbers for the printer"</A>
                                    </p>
                                </div>
                            }
                        })
                }}
                <Transition fallback=|| view! { <Loading what="programs" /> }>
                    {move || {
                        programs
                            .get()
                            .map(|r| {
                                or_error(
                                    r,
                                    move |list: Vec<Program>| {
                                        if list.is_empty() {
                                            return view! {
                                                <Empty>
                                                    <p>
                                                        "No programs yet: cards belong to a program. "
                                                        <A href="/manage">"Create a program"</A>
                                                        " first."
                                                    </p>
                                                </Empty>
                                            }
                                                .into_any();
                                        }
                                        view! { <BatchForm action=create programs=list /> }.into_any()
                                    },
                                )
                            })
                    }}
                </Transition>
            </section>
        </div>
        <Transition fallback=|| view! { <Loading what="stamp cards" /> }>
            {move || {
                stamps
                    .get()
                    .map(|r| {
                        or_error(
                            r,
                            move |s: Option<StampSection>| match s {
                                None => {
                                    view! {
                                        <section class="card">
                                            <h2>"Stamp cards"</h2>
                                            <Empty>
                                                <p>
                                                    "No programs yet: stamp cards belong to a program. "
                                                    <A href="/manage">"Create a program"</A>
                                                    " first."
                                                </p>
                                            </Empty>
                                        </section>
                                    }
                                        .into_any()
                                }
                                Some(s) => stamp_section(s, save, stop).into_any(),
                            },
                        )
                    })
            }}
        </Transition>
    }
}

fn print_section(p: BatchPrint) -> impl IntoView {
    let csv = printer_csv(&p.cards);
    view! {
        <section class="card" aria-labelledby="print-title">
            <h2 id="print-title">{format!("Printer file for “{}”", p.batch.label)}</h2>
            <p class="muted">
                {format!("{} · {} cards", p.batch.program_name, p.cards.len())}
            </p>
            <div class="field">
                <label for="printer-file">"Printer file (CSV)"</label>
                <textarea id="printer-file" readonly rows="10" aria-describedby="printer-file-hint">{csv}</textarea>
                <p class="hint" id="printer-file-hint">
                    "Print the card number on the card and the security code under a scratch panel. "
                    "Members scratch it off to register the card online with both."
                </p>
            </div>
            <p><A href="/manage/cards">"Close"</A></p>
        </section>
    }
}

fn batch_table(list: Vec<CardBatch>, program: Option<ProgramId>) -> AnyView {
    if list.is_empty() {
        return view! { <Empty><p>"No batches yet. Make the first one with the form."</p></Empty> }
            .into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="history">
            <thead>
                <tr>
                    <th scope="col">"Batch"</th>
                    <th scope="col">"Program"</th>
                    <th scope="col" class="num">"Cards"</th>
                    <th scope="col" class="num">"In use"</th>
                    <th scope="col">"Made"</th>
                    <th scope="col">"Print"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|b| {
                        let made = b.created_at.to_datetime().format("%Y-%m-%d").to_string();
                        view! {
                            <tr>
                                <td><strong>{b.label.clone()}</strong></td>
                                <td>{b.program_name.clone()}</td>
                                <td class="num">{b.size}</td>
                                <td class="num">{b.in_use}</td>
                                <td>{made}</td>
                                <td>
                                    <A
                                        href=print_href(b.id, program)
                                        attr:aria-label=format!("Numbers for the printer: {}", b.label)
                                    >
                                        "Numbers for the printer"
                                    </A>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

#[component]
fn BatchForm(action: ServerAction<CreateCardBatch>, programs: Vec<Program>) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <ActionForm action=action>
            <FormNotice result=value />
            <div class="field" class:invalid=move || err("program_id").get().is_some()>
                <label for="batch-input-program_id">"Program"</label>
                <select id="batch-input-program_id" name="input[program_id]">
                    {programs.into_iter().map(|p| view! { <option value=p.id>{p.name}</option> }).collect_view()}
                </select>
                {move || err("program_id").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
            <Field
                label="Batch name"
                name="input[label]"
                scope="batch"
                hint="E.g. Spring print run."
                error=err("label")
            />
            <Field
                label="Number of cards"
                name="input[size]"
                scope="batch"
                inputmode="numeric"
                hint="1 to 10,000."
                error=err("size")
            />
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || if pending.get() { "Making…" } else { "Make batch" }}
            </button>
        </ActionForm>
    }
}

fn stamp_section(
    s: StampSection,
    save: ServerAction<SaveStampCard>,
    stop: ServerAction<DeactivateStampCard>,
) -> impl IntoView {
    let selected = s.program.id;
    let code = s.program.currency_code.clone();
    view! {
        <div class="columns">
            <section class="card">
                <h2>"Stamp cards"</h2>
                <Form method="GET" action="" attr:class="filters">
                    <div class="field">
                        <label for="stamp-program">"Program"</label>
                        <select id="stamp-program" name="program">
                            {s.programs
                                .iter()
                                .map(|p| view! { <option value=p.id selected=p.id == selected>{p.name.clone()}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    <button type="submit" class="button secondary">"Show"</button>
                </Form>
                <FormNotice result=stop.value() />
                {stamp_table(s.cards, &code, stop)}
            </section>
            <section class="card">
                <h2>"Add a stamp card"</h2>
                <p class="muted">{format!("For {}", s.program.name)}</p>
                {if s.rewards.is_empty() {
                    view! {
                        <Empty>
                            <p>
                                "A full stamp card gives a reward, and this program has none yet. "
                                <A href=format!("/manage/programs/{}/rewards", s.program.id)>"Add a reward"</A>
                                " first."
                            </p>
                        </Empty>
                    }
                        .into_any()
                } else {
                    view! { <StampCardForm action=save program_id=s.program.id rewards=s.rewards /> }.into_any()
                }}
            </section>
        </div>
    }
}

fn stamp_table(cards: Vec<StampCard>, code: &str, stop: ServerAction<DeactivateStampCard>) -> AnyView {
    if cards.is_empty() {
        return view! { <Empty><p>"No stamp cards in this program yet. Add one with the form."</p></Empty> }
            .into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="history">
            <thead>
                <tr>
                    <th scope="col">"Card"</th>
                    <th scope="col">"Full card"</th>
                    <th scope="col">"Earned by"</th>
                    <th scope="col">"Status"</th>
                </tr>
            </thead>
            <tbody>
                {cards
                    .into_iter()
                    .map(|c| {
                        let earns = c.earns(code);
                        let full = format!("{} stamps → {}", c.stamps_required, c.reward_name);
                        let (program_id, stamp_card_id) = (c.program_id, c.id);
                        view! {
                            <tr>
                                <td><strong>{c.name.clone()}</strong></td>
                                <td>{full}</td>
                                <td>{earns}</td>
                                <td>
                                    {if c.active {
                                        view! {
                                            <span class="badge">"active"</span>
                                            " "
                                            <RowAction
                                                action=stop
                                                fields=vec![("program_id", program_id.to_string()), ("stamp_card_id", stamp_card_id.to_string())]
                                                label="Stop"
                                                target=c.name.clone()
                                                danger=true
                                            />
                                        }
                                            .into_any()
                                    } else {
                                        view! { <span class="badge">"stopped"</span> }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

#[component]
fn StampCardForm(
    action: ServerAction<SaveStampCard>,
    program_id: ProgramId,
    rewards: Vec<Reward>,
) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <ActionForm action=action>
            <input type="hidden" name="input[program_id]" value=program_id />
            <FormNotice result=value />
            <Show when=move || matches!(value.get(), Some(Ok(_)))>
                <p class="notice ok" role="status">"Stamp card added."</p>
            </Show>
            <Field label="Name" name="input[name]" scope="stamp" hint="E.g. Coffee card." error=err("name") />
            <Field
                label="Stamps required"
                name="input[stamps_required]"
                scope="stamp"
                inputmode="numeric"
                hint="E.g. 10."
                error=err("stamps_required")
            />
            <div class="field" class:invalid=move || err("reward_id").get().is_some()>
                <label for="stamp-input-reward_id">"Reward for a full card"</label>
                <select id="stamp-input-reward_id" name="input[reward_id]">
                    {rewards.into_iter().map(|r| view! { <option value=r.id>{r.name}</option> }).collect_view()}
                </select>
                {move || err("reward_id").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
            <Field label="Product SKU (optional)" name="input[sku]" scope="stamp" error=err("sku") />
            <Field
                label="Category (optional)"
                name="input[category]"
                scope="stamp"
                hint="Leave both empty for one stamp per order."
                error=err("category")
            />
            <Field
                label="Minimum order (optional)"
                name="input[min_amount]"
                scope="stamp"
                inputmode="decimal"
                hint="E.g. 5.00."
                error=err("min_amount")
            />
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || if pending.get() { "Saving…" } else { "Add stamp card" }}
            </button>
        </ActionForm>
    }
}
