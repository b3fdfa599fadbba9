//! A program's segments: the list with each one's size, a CSV of its members and a delete;
//! the builder, whose conditions are counted live while they are edited (nothing saved until
//! "Save"), with a sample of the members they match. Without JavaScript "Count" posts the
//! form and the page comes back with the count and the form as it was typed.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::programs::get_program;
use crate::api::segments::{
    list_segments, load_segment_form, CountSegment, DeleteSegment, PreviewSegment, RefreshSegments,
    SaveSegment,
};
use crate::components::field::{successes, FormNotice};
use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::components::states::{or_error, Empty, Loading};
use crate::components::table::{DataTable, RowAction};
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::i18n::{td, td_string};
use crate::model::program::ProgramDetail;
use crate::model::rules::Channel;
use crate::model::segment::{ConditionRow, ProfileFact, RfmDimension, SampleMember, Segment, SegmentForm};

use super::stores::channel_label;

/// Blank rows the builder adds to those a segment has (without JavaScript there is no
/// "Add a condition": a longer segment is saved and edited again).
const BLANK_ROWS: usize = 2;
/// Groups a row may be put in.
const GROUPS: i64 = 5;

/// The condition kinds, in the order the builder offers them, with their names.
fn kinds(lang: Lang) -> Vec<(&'static str, &'static str)> {
    let l = lang.locale;
    vec![
        ("rfm", td_string!(l, manage.segments.kind.rfm)),
        ("spend", td_string!(l, manage.segments.kind.spend)),
        ("orders", td_string!(l, manage.segments.kind.orders)),
        ("inactive", td_string!(l, manage.segments.kind.inactive)),
        ("tier", td_string!(l, manage.segments.kind.tier)),
        ("balance", td_string!(l, manage.segments.kind.balance)),
        ("channels", td_string!(l, manage.segments.kind.channels)),
        ("stores", td_string!(l, manage.segments.kind.stores)),
        ("products", td_string!(l, manage.segments.kind.products)),
        ("enrolled", td_string!(l, manage.segments.kind.enrolled)),
        (
            "birthday_month",
            td_string!(l, manage.segments.kind.birthday_month),
        ),
        ("profile", td_string!(l, manage.segments.kind.profile)),
        ("p_alive", td_string!(l, manage.segments.kind.p_alive)),
        ("clv", td_string!(l, manage.segments.kind.clv)),
    ]
}

fn dimension_label(lang: Lang, d: RfmDimension) -> &'static str {
    let l = lang.locale;
    match d {
        RfmDimension::Recency => td_string!(l, manage.segments.recency),
        RfmDimension::Frequency => td_string!(l, manage.segments.frequency),
        RfmDimension::Monetary => td_string!(l, manage.segments.monetary),
    }
}

fn fact_label(lang: Lang, f: ProfileFact) -> &'static str {
    let l = lang.locale;
    match f {
        ProfileFact::HasEmail => td_string!(l, manage.segments.has_email),
        ProfileFact::HasPhone => td_string!(l, manage.segments.has_phone),
        ProfileFact::HasBirthDate => td_string!(l, manage.segments.has_birth_date),
        ProfileFact::HasAccount => td_string!(l, manage.segments.has_account),
        ProfileFact::ConsentEmail => td_string!(l, manage.segments.consent_email),
        ProfileFact::ConsentSms => td_string!(l, manage.segments.consent_sms),
        ProfileFact::ConsentPush => td_string!(l, manage.segments.consent_push),
        ProfileFact::ConsentInApp => td_string!(l, manage.segments.consent_in_app),
        ProfileFact::ConsentOffers => td_string!(l, manage.segments.consent_offers),
        ProfileFact::ConsentReminders => td_string!(l, manage.segments.consent_reminders),
        ProfileFact::ConsentSurveys => td_string!(l, manage.segments.consent_surveys),
    }
}

/// The message for a field from whichever of the two actions answered last with it.
fn message(result: Option<Result<impl Sized, AppError>>, field: &str) -> Option<String> {
    match result {
        Some(Err(e)) => e.field_message(field),
        _ => None,
    }
}

#[component]
pub fn SegmentsPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let id = super::program_id_param();
    let query = use_query_map();
    let editing = move || query.read().get("edit").and_then(|s| s.parse::<i64>().ok());
    let save = form_action::<SaveSegment>();
    let preview = form_action::<PreviewSegment>();
    let count = form_action::<CountSegment>();
    let delete = form_action::<DeleteSegment>();
    let refresh = form_action::<RefreshSegments>();
    let (saved, deleted, refreshed) = (successes(save), successes(delete), successes(refresh));
    let program = Resource::new(id, get_program);
    let segments = Resource::new(
        move || (id(), saved.get(), deleted.get(), refreshed.get()),
        |(id, ..)| list_segments(id),
    );
    // The form to start from: a plain "Count" post's (as typed), else the segment being
    // edited (as saved, again after each save), else an empty one. The list reloading (a
    // delete, a refresh) leaves the builder and what is typed in it alone.
    let carried = count.value().get_untracked().and_then(Result::ok).map(|c| c.form);
    let start = Resource::new(
        move || (id(), editing(), saved.get()),
        move |(program_id, edit, _)| {
            let carried = carried.clone();
            async move {
                match (carried, edit) {
                    (Some(f), _) if f.program_id == program_id.0 => Ok(f),
                    (_, Some(edit)) => load_segment_form(program_id, edit).await,
                    _ => Ok(SegmentForm {
                        program_id: program_id.0,
                        ..SegmentForm::default()
                    }),
                }
            }
        },
    );
    view! {
        <Title text=td_string!(l, manage.segments.title) />
        <p><A href=move || format!("/manage/programs/{}", id())>{td!(l, offers.back_to_program)}</A></p>
        <div class="columns">
            <section class="card">
                <Transition fallback=move || view! { <Loading what=td_string!(l, manage.segments.loading) /> }>
                    {move || {
                        program.get().zip(segments.get()).map(|(d, s)| {
                            or_error(d, move |d: ProgramDetail| {
                                or_error(s.clone(), move |list: Vec<Segment>| {
                                    view! {
                                        <h2>
                                            {td!(
                                                l,
                                                manage.segments.heading,
                                                program = { let v = d.program.name.clone(); move || view! { <bdi>{v.clone()}</bdi> } }
                                            )}
                                        </h2>
                                        <p class="muted">{td!(l, manage.segments.intro)}</p>
                                        <FormNotice result=delete.value() />
                                        {segment_table(lang, list, d.program.id.0, delete)}
                                        <ActionForm action=refresh attr:class="inline">
                                            <input type="hidden" name="program_id" value=d.program.id.0 />
                                            <button type="submit" class="button ghost" disabled=move || refresh.pending().get()>
                                                {td!(l, manage.segments.refresh)}
                                            </button>
                                        </ActionForm>
                                        <FormNotice result=refresh.value() />
                                    }
                                })
                            })
                        })
                    }}
                </Transition>
            </section>
            <section class="card">
                <Transition fallback=move || view! { <Loading what=td_string!(l, manage.segments.loading) /> }>
                    {move || {
                        program.get().zip(start.get()).map(|(d, f)| {
                            or_error(d, move |d: ProgramDetail| {
                                or_error(f.clone(), move |form: SegmentForm| {
                                    let heading = if form.id.is_empty() {
                                        td_string!(l, manage.segments.new_heading)
                                    } else {
                                        td_string!(l, manage.segments.edit_heading)
                                    };
                                    view! {
                                        <h2>{heading}</h2>
                                        <Builder initial=form detail=d.clone() save preview count />
                                    }
                                })
                            })
                        })
                    }}
                </Transition>
            </section>
        </div>
    }
}

fn segment_table(
    lang: Lang,
    list: Vec<Segment>,
    program_id: i64,
    delete: ServerAction<DeleteSegment>,
) -> AnyView {
    let l = lang.locale;
    if list.is_empty() {
        return view! { <Empty><p>{td!(l, manage.segments.empty)}</p></Empty> }.into_any();
    }
    let columns = vec![
        td_string!(l, manage.segments.col_name),
        td_string!(l, manage.segments.col_members),
        td_string!(l, manage.segments.col_refreshed),
        td_string!(l, manage.segments.col_actions),
    ];
    view! {
        <DataTable columns numeric=&[1]>
            {list
                .into_iter()
                .map(|s| {
                    let edit = format!("/manage/programs/{program_id}/segments?edit={}", s.id);
                    let csv = format!("/manage/programs/{program_id}/segments/{}/members.csv", s.id);
                    let when = s.refreshed_at.map(|t| lang.date_time(t, None)).unwrap_or_default();
                    view! {
                        <tr>
                            <td>{s.name.clone()}</td>
                            <td class="num">{lang.number(s.members)}</td>
                            <td>{when}</td>
                            <td>
                                <a href=edit aria-label=td_string!(l, common.row_action, action = td_string!(l, manage.segments.edit), target = s.name.clone()).to_string()>
                                    {td!(l, manage.segments.edit)}
                                </a>
                                " · "
                                <a href=csv download="" aria-label=td_string!(l, common.row_action, action = td_string!(l, manage.segments.csv), target = s.name.clone()).to_string()>
                                    {td!(l, manage.segments.csv)}
                                </a>
                                " "
                                <RowAction
                                    action=delete
                                    fields=vec![("program_id", program_id.to_string()), ("id", s.id.to_string())]
                                    label=td_string!(l, manage.segments.delete)
                                    target=s.name.clone()
                                    danger=true
                                />
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
    .into_any()
}

/// The builder: name, how groups and conditions join, a row per condition; the live count
/// beside it.
#[component]
fn Builder(
    initial: SegmentForm,
    detail: ProgramDetail,
    save: ServerAction<SaveSegment>,
    preview: ServerAction<PreviewSegment>,
    /// The plain post of "Count" (without JavaScript): its answer is carried to the page.
    count: ServerAction<CountSegment>,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let rows = RwSignal::new(initial.rows.len() + BLANK_ROWS);
    let typed = initial.rows.clone();
    let (saved_value, preview_value, count_value) = (save.value(), preview.value(), count.value());
    let err = move |field: String| {
        move || {
            message(saved_value.get(), &field)
                .or_else(|| message(preview_value.get(), &field))
                .or_else(|| message(count_value.get(), &field))
                .map(|e| view! { <p class="error" role="alert">{e}</p> })
        }
    };
    // Counts again a moment after the last change (a burst of typing is counted once).
    let changes = StoredValue::new(0u64);
    let count_now = move || {
        let Some(form) = form_ref.get_untracked() else {
            return;
        };
        let Ok(data) = leptos::web_sys::FormData::new_with_form(&form) else {
            return;
        };
        if let Ok(args) = <PreviewSegment as leptos::form::FromFormData>::from_form_data(&data) {
            preview.dispatch(args);
        }
    };
    let changed = move |_| {
        changes.update_value(|n| *n += 1);
        let mine = changes.get_value();
        set_timeout(
            move || {
                if changes.get_value() == mine {
                    count_now();
                }
            },
            std::time::Duration::from_millis(350),
        );
    };
    let count_url = <CountSegment as leptos::server_fn::ServerFn>::PATH;
    let tiers: Vec<(i64, String)> = detail.tiers.iter().map(|t| (t.id, t.name.clone())).collect();
    let currency = detail.program.currency_code.clone();
    let join_select = move |name: &'static str,
                            id: &'static str,
                            label: &'static str,
                            chosen: String,
                            default: &'static str| {
        let chosen = if chosen.is_empty() {
            default.to_string()
        } else {
            chosen
        };
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <select id=id name=name>
                    <option value="all" selected=chosen == "all">{td!(l, manage.segments.join_all)}</option>
                    <option value="any" selected=chosen == "any">{td!(l, manage.segments.join_any)}</option>
                </select>
                {err(id.trim_start_matches("segment-").to_string())}
            </div>
        }
    };
    view! {
        <ActionForm action=save node_ref=form_ref on:input=changed on:change=changed>
            <input type="hidden" name="input[program_id]" value=initial.program_id />
            <input type="hidden" name="input[id]" value=initial.id.clone() />
            <FormNotice result=saved_value />
            {move || {
                saved_value.get().and_then(Result::ok).map(|s| {
                    view! {
                        <p class="notice ok" role="status">
                            {td_string!(l, manage.segments.saved, name = lang.isolate(&s.name), n = lang.number(s.members)).to_string()}
                        </p>
                    }
                })
            }}
            <div class="field">
                <label for="segment-name">{td!(l, manage.segments.name)}</label>
                <input id="segment-name" name="input[name]" value=initial.name.clone() required=true maxlength="80" />
                {err("name".into())}
            </div>
            {join_select("input[join]", "segment-join", td_string!(l, manage.segments.join), initial.join.clone(), "all")}
            {join_select("input[within]", "segment-within", td_string!(l, manage.segments.within), initial.within.clone(), "any")}
            <p class="muted">{td!(l, manage.segments.groups_hint)}</p>
            {err("rows".into())}
            <ol class="conditions">
                // Keyed by position: adding a row leaves what was typed in the others alone.
                <For each=move || 0..rows.get() key=|i| *i let:i>
                    <RowEditor
                        i
                        row=typed.get(i).cloned().unwrap_or_default()
                        tiers=tiers.clone()
                        currency=currency.clone()
                        err=err
                    />
                </For>
            </ol>
            <p>
                <button type="button" class="button ghost" on:click=move |_| rows.update(|n| *n += 1)>
                    {td!(l, manage.segments.add_row)}
                </button>
            </p>
            <LiveCount preview count />
            <p>
                <button
                    type="submit"
                    class="button ghost"
                    formaction=count_url
                    on:click=move |ev| {
                        ev.prevent_default();
                        count_now();
                    }
                >
                    {td!(l, manage.segments.count)}
                </button>
                " "
                <button type="submit" class="button" disabled=move || save.pending().get()>
                    {td!(l, manage.segments.save)}
                </button>
            </p>
        </ActionForm>
    }
}

/// One condition row: its group, kind and the values the kind takes.
#[component]
fn RowEditor<E, V>(
    i: usize,
    row: ConditionRow,
    tiers: Vec<(i64, String)>,
    currency: String,
    err: E,
) -> impl IntoView
where
    E: Fn(String) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let lang = use_lang();
    let l = lang.locale;
    let kind = RwSignal::new(row.kind.clone());
    let name = move |f: &str| format!("input[rows][{i}][{f}]");
    let id = move |f: &str| format!("row-{i}-{f}");
    let field = move |f: &str| format!("rows.{i}.{f}");
    // Until the page is alive every row shows every input (without JavaScript nothing would
    // show them when another kind is picked); after, only the chosen kind's own.
    let alive = RwSignal::new(false);
    Effect::new(move |_| alive.set(true));
    let shows = move |fields: &[&str], f: &str| fields.contains(&f);
    let uses = move |f: &'static str| {
        move || {
            let k = kind.get();
            if !alive.get() {
                return true;
            }
            let all: &[&str] = match k.as_str() {
                "rfm" => &["values", "min", "max"],
                "spend" | "orders" => &["days", "min", "max"],
                "stores" => &["days", "values"],
                "products" => &["days", "values", "categories"],
                "inactive" | "balance" | "p_alive" | "clv" | "enrolled" => &["min", "max"],
                "tier" | "channels" | "birthday_month" => &["values"],
                "profile" => &["values", "min"],
                _ => &[],
            };
            shows(all, f)
        }
    };
    let value_label = move || match kind.get().as_str() {
        "enrolled" => (
            td_string!(l, manage.segments.from),
            td_string!(l, manage.segments.to),
        ),
        "profile" => (td_string!(l, manage.segments.present), ""),
        "spend" | "clv" => (
            td_string!(l, manage.segments.at_least_money),
            td_string!(l, manage.segments.at_most_money),
        ),
        _ => (
            td_string!(l, manage.segments.at_least),
            td_string!(l, manage.segments.at_most),
        ),
    };
    let input_type = move || if kind.get() == "enrolled" { "date" } else { "text" };
    let (initial_values, initial_min) = (row.values.clone(), row.min.clone());
    let kinds_list = kinds(lang);
    let values_control = move || {
        let chosen = initial_values.clone();
        let select = |options: Vec<(String, String)>| {
            view! {
                <select id=id("values") name=name("values")>
                    {options
                        .into_iter()
                        .map(|(v, label)| {
                            let on = chosen.split(',').any(|c| c.trim() == v);
                            view! { <option value=v selected=on>{label}</option> }
                        })
                        .collect_view()}
                </select>
            }
            .into_any()
        };
        match kind.get().as_str() {
            "rfm" => select(
                RfmDimension::ALL
                    .iter()
                    .map(|d| (d.as_str().to_string(), dimension_label(lang, *d).to_string()))
                    .collect(),
            ),
            "profile" => select(
                ProfileFact::ALL
                    .iter()
                    .map(|f| (f.as_str().to_string(), fact_label(lang, *f).to_string()))
                    .collect(),
            ),
            "tier" => select(
                std::iter::once((
                    "0".to_string(),
                    td_string!(l, manage.segments.no_tier).to_string(),
                ))
                .chain(tiers.iter().map(|(id, n)| (id.to_string(), n.clone())))
                .collect(),
            ),
            "channels" => select(
                Channel::ALL
                    .iter()
                    .map(|c| (c.as_str().to_string(), channel_label(lang, *c).to_string()))
                    .collect(),
            ),
            "birthday_month" => select(
                (1..=12u32)
                    .map(|m| (m.to_string(), lang.month(m).to_string()))
                    .collect(),
            ),
            _ => view! { <input id=id("values") name=name("values") value=chosen.clone() dir="ltr" /> }
                .into_any(),
        }
    };
    let values_label = move || match kind.get().as_str() {
        "rfm" => td_string!(l, manage.segments.dimension),
        "profile" => td_string!(l, manage.segments.fact),
        "stores" => td_string!(l, manage.segments.store_codes),
        "products" => td_string!(l, manage.segments.skus),
        _ => td_string!(l, manage.segments.values),
    };
    let currency_hint = currency.clone();
    view! {
        <li class="condition">
            <div class="field">
                <label for=id("group")>{td!(l, manage.segments.group)}</label>
                <select id=id("group") name=name("group")>
                    {(1..=GROUPS)
                        .map(|g| {
                            let on = row.group.trim() == g.to_string() || (row.group.trim().is_empty() && g == 1);
                            view! { <option value=g selected=on>{lang.number(g)}</option> }
                        })
                        .collect_view()}
                </select>
                {err(field("group"))}
            </div>
            <div class="field">
                <label for=id("kind")>{td!(l, manage.segments.condition)}</label>
                <select id=id("kind") name=name("kind") on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="" selected=row.kind.is_empty()>{td!(l, manage.segments.none)}</option>
                    {kinds_list
                        .into_iter()
                        .map(|(k, label)| view! { <option value=k selected=row.kind == k>{label}</option> })
                        .collect_view()}
                </select>
                {err(field("kind"))}
            </div>
            <div class="field" class:hidden=move || !uses("values")()>
                <label for=id("values")>{values_label}</label>
                {values_control}
                {err(field("values"))}
            </div>
            <div class="field" class:hidden=move || !uses("categories")()>
                <label for=id("categories")>{td!(l, manage.segments.categories)}</label>
                <input id=id("categories") name=name("categories") value=row.categories.clone() />
                {err(field("categories"))}
            </div>
            <div class="field" class:hidden=move || !uses("days")()>
                <label for=id("days")>{td!(l, manage.segments.days)}</label>
                <input id=id("days") name=name("days") value=row.days.clone() inputmode="numeric" />
                {err(field("days"))}
            </div>
            <div class="field" class:hidden=move || !uses("min")()>
                <label for=id("min")>{move || value_label().0}</label>
                {move || if kind.get() == "profile" {
                    let no = initial_min.trim() == "no";
                    view! {
                        <select id=id("min") name=name("min")>
                            <option value="yes" selected=!no>{td!(l, manage.segments.yes)}</option>
                            <option value="no" selected=no>{td!(l, manage.segments.no)}</option>
                        </select>
                    }.into_any()
                } else {
                    view! { <input id=id("min") name=name("min") type=input_type value=initial_min.clone() inputmode="decimal" /> }.into_any()
                }}
                {err(field("min"))}
            </div>
            <div class="field" class:hidden=move || !uses("max")()>
                <label for=id("max")>{move || value_label().1}</label>
                <input id=id("max") name=name("max") type=input_type value=row.max.clone() inputmode="decimal" />
                {err(field("max"))}
            </div>
            <p class="muted hint" class:hidden=move || !matches!(kind.get().as_str(), "spend" | "clv")>
                {td_string!(l, manage.segments.money_hint, code = currency_hint.clone()).to_string()}
            </p>
        </li>
    }
}

/// "n of N members match", a bar, and a sample of them: the answer of the last count (the
/// browser's, or a plain post's, which carries no sample).
#[component]
fn LiveCount(preview: ServerAction<PreviewSegment>, count: ServerAction<CountSegment>) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let (value, plain) = (preview.value(), count.value());
    let pending = preview.pending();
    view! {
        <section class="live-count" aria-live="polite" aria-busy=move || pending.get().to_string()>
            <h3>{td!(l, manage.segments.live_heading)}</h3>
            {move || match (value.get(), plain.get()) {
                (Some(Err(e)), _) | (None, Some(Err(e))) => {
                    view! { <p class="muted">{td!(l, manage.segments.live_fix)} " " {e.message(lang)}</p> }.into_any()
                }
                (Some(Ok(p)), _) => counted(lang, p.matching, p.members, p.sample, p.currency).into_any(),
                (None, Some(Ok(c))) => counted(lang, c.matching, c.members, Vec::new(), String::new()).into_any(),
                (None, None) => view! { <p class="muted">{td!(l, manage.segments.live_empty)}</p> }.into_any(),
            }}
            {move || pending.get().then(|| view! { <p class="muted">{td!(l, manage.segments.counting)}</p> })}
            <p class="muted hint">{td!(l, manage.segments.live_note)}</p>
        </section>
    }
}

fn counted(
    lang: Lang,
    matching: i64,
    members: i64,
    sample: Vec<SampleMember>,
    currency: String,
) -> impl IntoView {
    let l = lang.locale;
    let share = if members > 0 {
        matching as f64 / members as f64
    } else {
        0.0
    };
    let columns = vec![
        td_string!(l, manage.segments.col_member),
        td_string!(l, manage.segments.col_card),
        td_string!(l, manage.segments.col_balance),
        td_string!(l, manage.segments.col_orders),
        td_string!(l, manage.segments.col_spend),
    ];
    view! {
        <p class="count" role="status">
            <strong>
                {td_string!(l, manage.segments.matching, n = lang.number(matching), total = lang.number(members)).to_string()}
            </strong>
        </p>
        <meter min="0" max="1" value=share aria-label=td_string!(l, manage.segments.share)>{format!("{:.0}%", share * 100.0)}</meter>
        {(!sample.is_empty()).then(|| view! {
            <DataTable columns numeric=&[2, 3, 4] label=td_string!(l, manage.segments.sample)>
                {sample
                    .iter()
                    .map(|m| view! {
                        <tr>
                            <td>{m.name.clone()}</td>
                            <td class="mono"><bdi>{m.card_number.clone()}</bdi></td>
                            <td class="num">{lang.number(m.balance)}</td>
                            <td class="num">{lang.number(m.orders)}</td>
                            <td class="num">{lang.money(m.spend_minor, &currency)}</td>
                        </tr>
                    })
                    .collect_view()}
            </DataTable>
        })}
    }
}
