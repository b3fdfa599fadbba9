//! Printed card batches (numbers and security codes for the printer) and stamp cards.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
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

/// A count as the tables show it (ungrouped), in the page's digits.
fn plain(lang: Lang, n: i64) -> String {
    lang.digits_of(&n.to_string())
}

/// How a stamp card is earned, in `lang`: "1 stamp per FLAT-WHITE", "1 stamp per order of
/// €5.00 or more"... (in English the words of `StampCard::earns`).
fn earns_label(lang: Lang, c: &StampCard, currency_code: &str) -> String {
    let l = lang.locale;
    match (&c.sku, &c.category) {
        (Some(sku), _) => td_string!(l, offers.stamps.earns_sku, sku = sku).to_string(),
        (None, Some(cat)) => td_string!(l, offers.stamps.earns_category, category = cat).to_string(),
        (None, None) if c.min_amount_minor > 0 => td_string!(
            l,
            offers.stamps.earns_min,
            amount = lang.money(c.min_amount_minor, currency_code)
        )
        .to_string(),
        (None, None) => td_string!(l, offers.stamps.earns_order).to_string(),
    }
}

/// "10 stamps → Free coffee".
fn full_label(lang: Lang, c: &StampCard) -> String {
    td_string!(
        lang.locale,
        offers.stamps.full,
        count = c.stamps_required.max(0) as u64,
        n = plain(lang, c.stamps_required),
        reward = &c.reward_name
    )
    .to_string()
}

#[component]
pub fn CardsPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
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
        <Title text=td_string!(l, offers.cards.title) />
        <Loaded
            what=td_string!(l, offers.cards.loading_print)
            resource=print
            view={move |p: Option<BatchPrint>| p.map(|p| print_section(lang, p))}
        />
        <div class="columns">
            <section class="card">
                <h2>{td!(l, offers.cards.batches_heading)}</h2>
                <p class="muted">{td!(l, offers.cards.batches_intro)}</p>
                <Transition fallback=move || view! { <Loading what=td_string!(l, offers.cards.loading_batches) /> }>
                    {move || {
                        batches.get().map(|r| or_error(r, move |list| batch_table(lang, list, chosen())))
                    }}
                </Transition>
            </section>
            <section class="card">
                <h2>{td!(l, offers.cards.make_heading)}</h2>
                {move || {
                    made_value
                        .get()
                        .and_then(Result::ok)
                        .map(|b: CardBatch| {
                            view! {
                                <div class="notice ok" role="status">
                                    <p>
                                        {td_string!(
                                            l,
                                            offers.cards.made,
                                            count = b.size.max(0) as u64,
                                            label = &b.label,
                                            n = plain(lang, b.size)
                                        )
                                            .to_string()}
                                        <A href=print_href(b.id, chosen())>{td!(l, offers.cards.numbers_link)}</A>
                                    </p>
                                </div>
                            }
                        })
                }}
                <Transition fallback=move || view! { <Loading what=td_string!(l, offers.cards.loading_programs) /> }>
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
                                                        {td!(
                                                            l,
                                                            offers.cards.no_programs,
                                                            <link> = |children: ChildrenFn| view! { <A href="/manage">{children()}</A> }
                                                        )}
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
        <Transition fallback=move || view! { <Loading what=td_string!(l, offers.stamps.loading) /> }>
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
                                            <h2>{td!(l, offers.stamps.heading)}</h2>
                                            <Empty>
                                                <p>
                                                    {td!(
                                                        l,
                                                        offers.stamps.no_programs,
                                                        <link> = |children: ChildrenFn| view! { <A href="/manage">{children()}</A> }
                                                    )}
                                                </p>
                                            </Empty>
                                        </section>
                                    }
                                        .into_any()
                                }
                                Some(s) => stamp_section(lang, s, save, stop).into_any(),
                            },
                        )
                    })
            }}
        </Transition>
    }
}

fn print_section(lang: Lang, p: BatchPrint) -> impl IntoView {
    let l = lang.locale;
    let csv = printer_csv(&p.cards);
    let count = p.cards.len();
    view! {
        <section class="card" aria-labelledby="print-title">
            <h2 id="print-title">
                {td!(l, offers.cards.print_heading, label = { let v = p.batch.label.clone(); move || view! { <bdi>{v.clone()}</bdi> } })}
            </h2>
            <p class="muted">
                {td_string!(
                    l,
                    offers.cards.print_meta,
                    count = count as u64,
                    program = &p.batch.program_name,
                    n = plain(lang, count as i64)
                )
                    .to_string()}
            </p>
            <div class="field">
                <label for="printer-file">{td!(l, offers.cards.printer_file)}</label>
                <textarea id="printer-file" readonly rows="10" dir="ltr" aria-describedby="printer-file-hint">{csv}</textarea>
                <p class="hint" id="printer-file-hint">{td!(l, offers.cards.printer_hint)}</p>
            </div>
            <p><A href="/manage/cards">{td!(l, offers.cards.close)}</A></p>
        </section>
    }
}

fn batch_table(lang: Lang, list: Vec<CardBatch>, program: Option<ProgramId>) -> AnyView {
    let l = lang.locale;
    if list.is_empty() {
        return view! { <Empty><p>{td!(l, offers.cards.empty)}</p></Empty> }.into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="history">
            <thead>
                <tr>
                    <th scope="col">{td!(l, offers.cards.col_batch)}</th>
                    <th scope="col">{td!(l, offers.cards.col_program)}</th>
                    <th scope="col" class="num">{td!(l, offers.cards.col_cards)}</th>
                    <th scope="col" class="num">{td!(l, offers.cards.col_in_use)}</th>
                    <th scope="col">{td!(l, offers.cards.col_made)}</th>
                    <th scope="col">{td!(l, offers.cards.col_print)}</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|b| {
                        let made = lang.digits_of(&b.created_at.to_datetime().format("%Y-%m-%d").to_string());
                        view! {
                            <tr>
                                <td><strong>{b.label.clone()}</strong></td>
                                <td>{b.program_name.clone()}</td>
                                <td class="num">{plain(lang, b.size)}</td>
                                <td class="num">{plain(lang, b.in_use)}</td>
                                <td>{made}</td>
                                <td>
                                    <A
                                        href=print_href(b.id, program)
                                        attr:aria-label=td_string!(l, offers.cards.numbers_aria, label = &b.label).to_string()
                                    >
                                        {td!(l, offers.cards.numbers_link)}
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
    let lang = use_lang();
    let l = lang.locale;
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <ActionForm action=action>
            <FormNotice result=value />
            <div class="field" class:invalid=move || err("program_id").get().is_some()>
                <label for="batch-input-program_id">{td!(l, offers.cards.program)}</label>
                <select id="batch-input-program_id" name="input[program_id]">
                    {programs.into_iter().map(|p| view! { <option value=p.id>{p.name}</option> }).collect_view()}
                </select>
                {move || err("program_id").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
            <Field
                label=td_string!(l, offers.cards.batch_name)
                name="input[label]"
                scope="batch"
                hint=td_string!(l, offers.cards.batch_name_hint)
                error=err("label")
            />
            <Field
                label=td_string!(l, offers.cards.size)
                name="input[size]"
                scope="batch"
                inputmode="numeric"
                hint=td_string!(l, offers.cards.size_hint)
                error=err("size")
            />
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || {
                    if pending.get() {
                        td_string!(l, offers.cards.making)
                    } else {
                        td_string!(l, offers.cards.make)
                    }
                }}
            </button>
        </ActionForm>
    }
}

fn stamp_section(
    lang: Lang,
    s: StampSection,
    save: ServerAction<SaveStampCard>,
    stop: ServerAction<DeactivateStampCard>,
) -> impl IntoView {
    let l = lang.locale;
    let selected = s.program.id;
    let code = s.program.currency_code.clone();
    view! {
        <div class="columns">
            <section class="card">
                <h2>{td!(l, offers.stamps.heading)}</h2>
                <Form method="GET" action="" attr:class="filters">
                    <div class="field">
                        <label for="stamp-program">{td!(l, offers.stamps.program)}</label>
                        <select id="stamp-program" name="program">
                            {s.programs
                                .iter()
                                .map(|p| view! { <option value=p.id selected=p.id == selected>{p.name.clone()}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    <button type="submit" class="button secondary">{td!(l, offers.stamps.show)}</button>
                </Form>
                <FormNotice result=stop.value() />
                {stamp_table(lang, s.cards, &code, stop)}
            </section>
            <section class="card">
                <h2>{td!(l, offers.stamps.add_heading)}</h2>
                <p class="muted">
                    {td!(l, offers.stamps.for_program, program = { let v = s.program.name.clone(); move || view! { <bdi>{v.clone()}</bdi> } })}
                </p>
                {if s.rewards.is_empty() {
                    view! {
                        <Empty>
                            <p>
                                {td!(
                                    l,
                                    offers.stamps.no_rewards,
                                    <link> = move |children: ChildrenFn| {
                                        view! { <A href=format!("/manage/programs/{}/rewards", selected)>{children()}</A> }
                                    }
                                )}
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

fn stamp_table(
    lang: Lang,
    cards: Vec<StampCard>,
    code: &str,
    stop: ServerAction<DeactivateStampCard>,
) -> AnyView {
    let l = lang.locale;
    if cards.is_empty() {
        return view! { <Empty><p>{td!(l, offers.stamps.empty)}</p></Empty> }.into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="history">
            <thead>
                <tr>
                    <th scope="col">{td!(l, offers.stamps.col_card)}</th>
                    <th scope="col">{td!(l, offers.stamps.col_full)}</th>
                    <th scope="col">{td!(l, offers.stamps.col_earned_by)}</th>
                    <th scope="col">{td!(l, offers.stamps.col_status)}</th>
                </tr>
            </thead>
            <tbody>
                {cards
                    .into_iter()
                    .map(|c| {
                        let earns = earns_label(lang, &c, code);
                        let full = full_label(lang, &c);
                        let (program_id, stamp_card_id) = (c.program_id, c.id);
                        view! {
                            <tr>
                                <td><strong>{c.name.clone()}</strong></td>
                                <td>{full}</td>
                                <td>{earns}</td>
                                <td>
                                    {if c.active {
                                        view! {
                                            <span class="badge">{td!(l, offers.stamps.active)}</span>
                                            " "
                                            <RowAction
                                                action=stop
                                                fields=vec![("program_id", program_id.to_string()), ("stamp_card_id", stamp_card_id.to_string())]
                                                label=td_string!(l, offers.stamps.stop)
                                                target=c.name.clone()
                                                danger=true
                                            />
                                        }
                                            .into_any()
                                    } else {
                                        view! { <span class="badge">{td!(l, offers.stamps.stopped)}</span> }.into_any()
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
    let lang = use_lang();
    let l = lang.locale;
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <ActionForm action=action>
            <input type="hidden" name="input[program_id]" value=program_id />
            <FormNotice result=value />
            <Show when=move || matches!(value.get(), Some(Ok(_)))>
                <p class="notice ok" role="status">{td!(l, offers.stamps.added)}</p>
            </Show>
            <Field
                label=td_string!(l, offers.stamps.name)
                name="input[name]"
                scope="stamp"
                hint=td_string!(l, offers.stamps.name_hint)
                error=err("name")
            />
            <Field
                label=td_string!(l, offers.stamps.stamps_required)
                name="input[stamps_required]"
                scope="stamp"
                inputmode="numeric"
                hint=td_string!(l, offers.stamps.stamps_required_hint)
                error=err("stamps_required")
            />
            <div class="field" class:invalid=move || err("reward_id").get().is_some()>
                <label for="stamp-input-reward_id">{td!(l, offers.stamps.reward)}</label>
                <select id="stamp-input-reward_id" name="input[reward_id]">
                    {rewards.into_iter().map(|r| view! { <option value=r.id>{r.name}</option> }).collect_view()}
                </select>
                {move || err("reward_id").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
            <Field label=td_string!(l, offers.stamps.sku) name="input[sku]" scope="stamp" error=err("sku") dir="ltr" />
            <Field
                label=td_string!(l, offers.stamps.category)
                name="input[category]"
                scope="stamp"
                hint=td_string!(l, offers.stamps.category_hint)
                error=err("category")
            />
            <Field
                label=td_string!(l, offers.stamps.min_amount)
                name="input[min_amount]"
                scope="stamp"
                inputmode="decimal"
                hint=td_string!(l, offers.stamps.min_amount_hint)
                error=err("min_amount")
            />
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || {
                    if pending.get() {
                        td_string!(l, offers.saving)
                    } else {
                        td_string!(l, offers.stamps.submit)
                    }
                }}
            </button>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sentence with a link keeps its spaces around the link, in both languages.
    #[test]
    fn sentences_with_a_link_read_as_before() {
        let render = |l: crate::i18n::Locale| {
            td!(l, offers.cards.no_programs, <link> = |c: ChildrenFn| view! { <a href="/manage">{c()}</a> })
                .to_html()
                // Builds with erase_components mark text nodes with `<!>`.
                .replace("<!>", "")
        };
        let en = render(crate::i18n::Locale::en);
        assert!(
            en.contains(
                "No programs yet: cards belong to a program. <a href=\"/manage\">Create a program</a> first."
            ),
            "{en}"
        );
        let ar = render(crate::i18n::Locale::ar);
        assert!(ar.contains("<a href=\"/manage\">أنشئ برنامجًا</a> أولًا."), "{ar}");
    }

    /// The English words are the model's (`StampCard::earns`), so the page reads as before.
    #[test]
    fn stamp_card_words_in_english_are_the_models() {
        let card = |sku: Option<&str>, category: Option<&str>, min: i64| StampCard {
            id: 1,
            program_id: ProgramId(1),
            name: "Coffee card".into(),
            stamps_required: 10,
            reward_id: 2,
            reward_name: "Free coffee".into(),
            sku: sku.map(str::to_string),
            category: category.map(str::to_string),
            min_amount_minor: min,
            active: true,
        };
        for c in [
            card(Some("FLAT-WHITE"), None, 0),
            card(None, Some("coffee"), 0),
            card(None, None, 500),
            card(None, None, 0),
        ] {
            assert_eq!(earns_label(Lang::ENGLISH, &c, "EUR"), c.earns("EUR"));
            assert_ne!(earns_label(Lang::ARABIC, &c, "EUR"), c.earns("EUR"));
        }
        let c = card(None, None, 0);
        assert_eq!(full_label(Lang::ENGLISH, &c), "10 stamps → Free coffee");
        assert_eq!(full_label(Lang::ARABIC, &c), "١٠ طوابع ← Free coffee");
    }
}
