//! A program's journeys: the list (status, members in and converted, start and pause, the
//! report), and the editor: a name, a trigger, a goal and a list of steps, each with what
//! its kind takes. Saved journeys start as drafts; a running one is paused to be edited.
//! Without JavaScript every row shows every input and two blank rows stand for "Add a step".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::journeys::{
    list_journeys, load_journey_choices, load_journey_form, DeleteJourney, SaveJourney, SetJourneyStatus,
};
use crate::components::field::{field_error, successes, FormNotice};
use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::components::states::{Empty, Loaded};
use crate::components::table::{DataTable, RowAction};
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::journey::{
    Goal, JourneyChoices, JourneyForm, JourneyListed, JourneyStatus, Step, StepKind, StepRow, Target, Test,
    TriggerKind,
};
use crate::model::message::{Channel, Topic};

use super::messages::channel_label;

/// Blank rows after a journey's steps (without JavaScript there is no "Add a step").
const BLANK_ROWS: usize = 2;

pub fn trigger_label(lang: Lang, t: TriggerKind) -> &'static str {
    let l = lang.locale;
    match t {
        TriggerKind::Enrolled => td_string!(l, manage.journeys.trigger.enrolled),
        TriggerKind::FirstPurchase => td_string!(l, manage.journeys.trigger.first_purchase),
        TriggerKind::Inactive => td_string!(l, manage.journeys.trigger.inactive),
        TriggerKind::TierUp => td_string!(l, manage.journeys.trigger.tier_up),
        TriggerKind::PointsExpiring => td_string!(l, manage.journeys.trigger.points_expiring),
        TriggerKind::Birthday => td_string!(l, manage.journeys.trigger.birthday),
        TriggerKind::Detractor => td_string!(l, manage.journeys.trigger.detractor),
        TriggerKind::Return => td_string!(l, manage.journeys.trigger.return_),
        TriggerKind::RewardUnused => td_string!(l, manage.journeys.trigger.reward_unused),
    }
}

pub fn status_label(lang: Lang, s: JourneyStatus) -> &'static str {
    let l = lang.locale;
    match s {
        JourneyStatus::Draft => td_string!(l, manage.journeys.status.draft),
        JourneyStatus::Active => td_string!(l, manage.journeys.status.active),
        JourneyStatus::Paused => td_string!(l, manage.journeys.status.paused),
    }
}

fn topic_label(lang: Lang, t: Topic) -> &'static str {
    let l = lang.locale;
    match t {
        Topic::Service => td_string!(l, manage.journeys.topic.service),
        Topic::Offers => td_string!(l, manage.journeys.topic.offers),
        Topic::Reminders => td_string!(l, manage.journeys.topic.reminders),
        Topic::Surveys => td_string!(l, manage.journeys.topic.surveys),
    }
}

/// The step kinds the editor offers, with their names.
fn kinds(lang: Lang) -> Vec<(&'static str, &'static str)> {
    let l = lang.locale;
    vec![
        ("message", td_string!(l, manage.journeys.kind.message)),
        ("wait", td_string!(l, manage.journeys.kind.wait)),
        (
            "wait_for_purchase",
            td_string!(l, manage.journeys.kind.wait_for_purchase),
        ),
        ("condition", td_string!(l, manage.journeys.kind.condition)),
        ("points", td_string!(l, manage.journeys.kind.points)),
        ("reward", td_string!(l, manage.journeys.kind.reward)),
        ("exit", td_string!(l, manage.journeys.kind.exit)),
    ]
}

fn name_of(list: &[(i64, String)], id: i64) -> String {
    list.iter()
        .find(|(i, _)| *i == id)
        .map_or_else(|| format!("#{id}"), |(_, n)| n.clone())
}

fn target_label(lang: Lang, steps: &[Step], t: Target) -> String {
    let l = lang.locale;
    match t {
        Target::Next => td_string!(l, manage.journeys.target_next).to_string(),
        Target::Exit => td_string!(l, manage.journeys.target_exit).to_string(),
        Target::Step(id) => {
            let n = steps.iter().position(|s| s.id == id).map_or(0, |p| p + 1);
            td_string!(l, manage.journeys.target_step, n = lang.number(n as i64)).to_string()
        }
    }
}

/// A step in words ("Wait 48 hours", "Message “welcome” by email").
pub fn describe(lang: Lang, steps: &[Step], step: &Step, choices: &JourneyChoices) -> String {
    let l = lang.locale;
    let count = |v: i64| v.max(0) as u64;
    let hours = |v: i64| {
        td_string!(
            l,
            manage.journeys.hours_count,
            count = count(v),
            n = lang.number(v)
        )
        .to_string()
    };
    match &step.kind {
        StepKind::Wait { hours: h } => {
            td_string!(l, manage.journeys.says.wait, hours = hours(*h)).to_string()
        }
        StepKind::WaitForPurchase { hours: h, if_not } => td_string!(
            l,
            manage.journeys.says.wait_for_purchase,
            hours = hours(*h),
            then = target_label(lang, steps, *if_not)
        )
        .to_string(),
        StepKind::Condition { test, if_not } => {
            let question = match test {
                Test::InSegment { segment_id } => td_string!(
                    l,
                    manage.journeys.says.in_segment,
                    name = lang.isolate(&name_of(&choices.segments, *segment_id))
                )
                .to_string(),
                Test::Tier { tier_id } => td_string!(
                    l,
                    manage.journeys.says.tier,
                    name = lang.isolate(&name_of(&choices.tiers, *tier_id))
                )
                .to_string(),
                Test::OptedIn { channel } => td_string!(
                    l,
                    manage.journeys.says.opted_in,
                    channel = channel_label(lang, *channel)
                )
                .to_string(),
                Test::ActiveWithin { days } => {
                    let days = td_string!(
                        l,
                        manage.journeys.days_count,
                        count = count(*days),
                        n = lang.number(*days)
                    );
                    td_string!(l, manage.journeys.says.active_within, days = days).to_string()
                }
                Test::PurchasedSinceEntry => td_string!(l, manage.journeys.says.purchased).to_string(),
            };
            td_string!(
                l,
                manage.journeys.says.condition,
                question = question,
                then = target_label(lang, steps, *if_not)
            )
            .to_string()
        }
        StepKind::Points { points } => {
            let points = td_string!(
                l,
                manage.journeys.points_given,
                count = count(*points),
                n = lang.number(*points)
            );
            td_string!(l, manage.journeys.says.points, points = points).to_string()
        }
        StepKind::Reward { reward_id } => td_string!(
            l,
            manage.journeys.says.reward,
            name = lang.isolate(&name_of(&choices.rewards, *reward_id))
        )
        .to_string(),
        StepKind::Message {
            template,
            channel,
            topic,
        } => td_string!(
            l,
            manage.journeys.says.message,
            name = lang.isolate(template),
            channel = channel_label(lang, *channel),
            topic = topic_label(lang, *topic)
        )
        .to_string(),
        StepKind::Exit => td_string!(l, manage.journeys.says.exit).to_string(),
    }
}

#[component]
pub fn JourneysPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let id = super::program_id_param();
    let query = use_query_map();
    let editing = move || query.read().get("edit").and_then(|s| s.parse::<i64>().ok());
    let save = form_action::<SaveJourney>();
    let status = form_action::<SetJourneyStatus>();
    let delete = form_action::<DeleteJourney>();
    let (saved, changed, deleted) = (successes(save), successes(status), successes(delete));
    let list = Resource::new(
        move || (id(), saved.get(), changed.get(), deleted.get()),
        |(id, ..)| list_journeys(id),
    );
    let choices = Resource::new(id, load_journey_choices);
    let start = Resource::new(
        move || (id(), editing(), saved.get(), changed.get()),
        |(id, edit, ..)| load_journey_form(id, edit),
    );
    view! {
        <Title text=td_string!(l, manage.journeys.title) />
        <p><A href=move || format!("/manage/programs/{}", id())>{td!(l, offers.back_to_program)}</A></p>
        <h1>{td!(l, manage.journeys.title)}</h1>
        <p class="muted">{td!(l, manage.journeys.intro)}</p>
        <div class="columns">
            <section class="card">
                <h2>{td!(l, manage.journeys.list)}</h2>
                <FormNotice result=status.value() />
                <FormNotice result=delete.value() />
                <Loaded what=td_string!(l, manage.journeys.loading) resource=list
                    view={move |rows: Vec<JourneyListed>| journey_table(lang, rows, status, delete)} />
            </section>
            <section class="card">
                <Loaded what=td_string!(l, manage.journeys.loading) resource=choices view={move |c: JourneyChoices| {
                    view! {
                        <Loaded what=td_string!(l, manage.journeys.loading) resource=start view={move |form: JourneyForm| {
                            view! { <Editor initial=form choices=c.clone() save /> }
                        }} />
                    }
                }} />
            </section>
        </div>
    }
}

fn journey_table(
    lang: Lang,
    rows: Vec<JourneyListed>,
    status: ServerAction<SetJourneyStatus>,
    delete: ServerAction<DeleteJourney>,
) -> AnyView {
    let l = lang.locale;
    if rows.is_empty() {
        return view! { <Empty><p>{td!(l, manage.journeys.empty)}</p></Empty> }.into_any();
    }
    let columns = vec![
        td_string!(l, manage.journeys.col_name),
        td_string!(l, manage.journeys.col_trigger),
        td_string!(l, manage.journeys.col_status),
        td_string!(l, manage.journeys.col_entered),
        td_string!(l, manage.journeys.col_active),
        td_string!(l, manage.journeys.col_converted),
        td_string!(l, manage.journeys.col_actions),
    ];
    view! {
        <DataTable columns numeric=&[3, 4, 5]>
            {rows
                .into_iter()
                .map(|r| {
                    let j = r.journey;
                    let pid = j.program_id.get();
                    let base = format!("/manage/programs/{pid}/journeys");
                    let (next, label) = if j.status == JourneyStatus::Active {
                        ("paused", td_string!(l, manage.journeys.pause))
                    } else {
                        ("active", td_string!(l, manage.journeys.start))
                    };
                    let trigger = match j.trigger_days {
                        Some(d) if j.trigger.takes_days() => td_string!(
                            l,
                            manage.journeys.trigger_days,
                            trigger = trigger_label(lang, j.trigger),
                            days = lang.number(d)
                        )
                        .to_string(),
                        _ => trigger_label(lang, j.trigger).to_string(),
                    };
                    let fields = vec![("program_id", pid.to_string()), ("id", j.id.to_string())];
                    let mut with_status = fields.clone();
                    with_status.push(("status", next.to_string()));
                    view! {
                        <tr>
                            <td><bdi>{j.name.clone()}</bdi></td>
                            <td>{trigger}</td>
                            <td><span class=format!("badge {}", j.status.as_str())>{status_label(lang, j.status)}</span></td>
                            <td class="num">{lang.number(r.entered)}</td>
                            <td class="num">{lang.number(r.active)}</td>
                            <td class="num">{lang.number(r.converted)}</td>
                            <td>
                                <a href=format!("{base}/{}", j.id)
                                    aria-label=td_string!(l, common.row_action, action = td_string!(l, manage.journeys.report), target = j.name.clone()).to_string()>
                                    {td!(l, manage.journeys.report)}
                                </a>
                                " · "
                                <a href=format!("{base}?edit={}", j.id)
                                    aria-label=td_string!(l, common.row_action, action = td_string!(l, manage.journeys.edit), target = j.name.clone()).to_string()>
                                    {td!(l, manage.journeys.edit)}
                                </a>
                                " "
                                <RowAction action=status fields=with_status label target=j.name.clone() />
                                {(r.entered == 0).then(|| view! {
                                    <RowAction action=delete fields=fields.clone()
                                        label=td_string!(l, manage.journeys.delete) target=j.name.clone() danger=true />
                                })}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
    .into_any()
}

/// The editor: name, trigger and its days, re-entry, goal, and a row per step.
#[component]
fn Editor(initial: JourneyForm, choices: JourneyChoices, save: ServerAction<SaveJourney>) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let value = save.value();
    let err = move |f: &'static str| {
        let e = field_error(move || value.get(), f);
        move || e.get().map(|m| view! { <p class="error" role="alert">{m}</p> })
    };
    let rows = RwSignal::new(initial.steps.len() + BLANK_ROWS);
    let typed = initial.steps.clone();
    let heading = if initial.id.is_empty() {
        td_string!(l, manage.journeys.new_heading)
    } else {
        td_string!(l, manage.journeys.edit_heading)
    };
    let trigger = initial.trigger.clone();
    let goal = initial.goal.clone();
    view! {
        <h2>{heading}</h2>
        {move || value.get().and_then(Result::ok).map(|j| view! {
            <p class="notice ok" role="status">
                {td_string!(l, manage.journeys.saved, name = lang.isolate(&j.name)).to_string()}
            </p>
        })}
        <ActionForm action=save>
            <FormNotice result=value />
            <input type="hidden" name="input[program_id]" value=initial.program_id />
            <input type="hidden" name="input[id]" value=initial.id.clone() />
            <div class="field">
                <label for="journey-name">{td!(l, manage.journeys.name)}</label>
                <input id="journey-name" name="input[name]" value=initial.name.clone() required=true maxlength="80" />
                {err("name")}
            </div>
            <div class="field">
                <label for="journey-trigger">{td!(l, manage.journeys.trigger_label)}</label>
                <select id="journey-trigger" name="input[trigger]">
                    <option value="" selected=trigger.is_empty()>{td!(l, manage.journeys.choose)}</option>
                    {TriggerKind::ALL.iter().map(|t| view! {
                        <option value=t.as_str() selected=trigger == t.as_str()>{trigger_label(lang, *t)}</option>
                    }).collect_view()}
                </select>
                {err("trigger")}
            </div>
            <div class="field">
                <label for="journey-days">{td!(l, manage.journeys.days)}</label>
                <input id="journey-days" name="input[trigger_days]" inputmode="numeric" value=initial.trigger_days.clone()
                    aria-describedby="journey-days-hint" />
                <p class="hint" id="journey-days-hint">{td!(l, manage.journeys.days_hint)}</p>
                {err("trigger_days")}
            </div>
            <div class="field check">
                <input type="checkbox" id="journey-reentry" name="input[reentry]" value="on" checked=!initial.reentry.is_empty() />
                <label for="journey-reentry">{td!(l, manage.journeys.reentry)}</label>
            </div>
            <div class="field">
                <label for="journey-goal">{td!(l, manage.journeys.goal)}</label>
                <select id="journey-goal" name="input[goal]">
                    <option value="none" selected=goal != Goal::Purchase.as_str()>{td!(l, manage.journeys.goal_none)}</option>
                    <option value="purchase" selected=goal == Goal::Purchase.as_str()>{td!(l, manage.journeys.goal_purchase)}</option>
                </select>
                {err("goal")}
            </div>
            <h3>{td!(l, manage.journeys.steps)}</h3>
            {err("steps")}
            <ol class="conditions journey-steps">
                <For each=move || 0..rows.get() key=|i| *i let:i>
                    <StepEditor i row=typed.get(i).cloned().unwrap_or_default() total=rows choices=choices.clone() saved=Signal::derive(move || value.get()) />
                </For>
            </ol>
            <p>
                <button type="button" class="button ghost" on:click=move |_| rows.update(|n| *n += 1)>
                    {td!(l, manage.journeys.add_step)}
                </button>
            </p>
            <button type="submit" class="button" disabled=move || save.pending().get()>{td!(l, manage.journeys.save)}</button>
        </ActionForm>
    }
}

/// One step row: its kind and what the kind takes.
#[component]
fn StepEditor(
    i: usize,
    row: StepRow,
    total: RwSignal<usize>,
    choices: JourneyChoices,
    /// The save's answer, for this row's field errors.
    saved: Signal<Option<Result<crate::model::journey::Journey, crate::error::AppError>>>,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let save_value = saved;
    let kind = RwSignal::new(row.kind.clone());
    let name = move |f: &str| format!("input[steps][{i}][{f}]");
    let id = move |f: &str| format!("step-{i}-{f}");
    let err = move |f: &str| {
        let field = format!("steps.{i}.{f}");
        move || {
            save_value
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field_message(&field))
                .map(|m| view! { <p class="error" role="alert">{m}</p> })
        }
    };
    let test_now = if row.value.is_empty() || row.test == "active_within" {
        row.test.clone()
    } else {
        format!("{}:{}", row.test, row.value)
    };
    // What the row's question and branch are now: kept when "Add a step" redraws the branch's
    // options, and read by `shows`.
    let test_choice = RwSignal::new(test_now.clone());
    let target_choice = RwSignal::new(row.target.clone());
    let value_now = if row.test == "active_within" {
        row.value.clone()
    } else {
        String::new()
    };
    // Until the page is alive every row shows every input; after, only its kind's own.
    let alive = RwSignal::new(false);
    Effect::new(move |_| alive.set(true));
    let shows = move |f: &'static str| {
        move || {
            if !alive.get() {
                return true;
            }
            let all: &[&str] = match kind.get().as_str() {
                "wait" => &["hours"],
                "wait_for_purchase" => &["hours", "target"],
                // The days input only for "active in the last … days".
                "condition" if test_choice.get() == "active_within" => &["test", "value", "target"],
                "condition" => &["test", "target"],
                "points" => &["points"],
                "reward" => &["reward_id"],
                "message" => &["template", "channel", "topic"],
                _ => &[],
            };
            all.contains(&f)
        }
    };
    let mut tests: Vec<(String, String)> = vec![(
        "purchased".into(),
        td_string!(l, manage.journeys.test.purchased).into(),
    )];
    tests.push((
        "active_within".into(),
        td_string!(l, manage.journeys.test.active_within).into(),
    ));
    for (sid, n) in &choices.segments {
        tests.push((
            format!("in_segment:{sid}"),
            td_string!(l, manage.journeys.test.in_segment, name = n.clone()).to_string(),
        ));
    }
    for (tid, n) in &choices.tiers {
        tests.push((
            format!("tier:{tid}"),
            td_string!(l, manage.journeys.test.tier, name = n.clone()).to_string(),
        ));
    }
    for c in Channel::ALL {
        tests.push((
            format!("opted_in:{}", c.as_str()),
            td_string!(
                l,
                manage.journeys.test.opted_in,
                channel = channel_label(lang, *c)
            )
            .to_string(),
        ));
    }
    let mut names: Vec<String> = choices.templates.iter().map(|(n, _)| n.clone()).collect();
    names.dedup();
    let select = move |f: &'static str,
                       label: &'static str,
                       chosen: String,
                       options: Vec<(String, String)>| {
        // A branch has a default (the next step); the other selects ask for a choice.
        let ask = f != "target";
        view! {
            <div class="field" class:hidden=move || !shows(f)()>
                <label for=id(f)>{label}</label>
                <select id=id(f) name=name(f) on:change=move |ev| match f {
                    "test" => test_choice.set(event_target_value(&ev)),
                    "target" => target_choice.set(event_target_value(&ev)),
                    _ => {}
                }>
                    {ask.then(|| view! { <option value="" selected=chosen.is_empty()>{td!(l, manage.journeys.choose)}</option> })}
                    {options.into_iter().map(|(v, text)| {
                        let on = chosen == v;
                        view! { <option value=v selected=on>{text}</option> }
                    }).collect_view()}
                </select>
                {err(f)}
            </div>
        }
    };
    let input = move |f: &'static str, label: &'static str, now: String| {
        view! {
            <div class="field" class:hidden=move || !shows(f)()>
                <label for=id(f)>{label}</label>
                <input id=id(f) name=name(f) inputmode="numeric" value=now />
                {err(f)}
            </div>
        }
    };
    let targets = move || {
        let mut t = vec![
            (
                "next".to_string(),
                td_string!(l, manage.journeys.target_next).to_string(),
            ),
            (
                "exit".to_string(),
                td_string!(l, manage.journeys.target_exit).to_string(),
            ),
        ];
        for n in (i + 3)..=total.get() {
            t.push((
                n.to_string(),
                td_string!(l, manage.journeys.target_step, n = lang.number(n as i64)).to_string(),
            ));
        }
        t
    };
    view! {
        <li class="condition">
            <input type="hidden" name=name("id") value=row.id.clone() />
            <div class="field">
                <label for=id("kind")>{td_string!(l, manage.journeys.step_n, n = lang.number(i as i64 + 1)).to_string()}</label>
                <select id=id("kind") name=name("kind") on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="" selected=row.kind.is_empty()>{td!(l, manage.journeys.no_step)}</option>
                    {kinds(lang).into_iter().map(|(k, text)| view! {
                        <option value=k selected=row.kind == k>{text}</option>
                    }).collect_view()}
                </select>
                {err("kind")}
            </div>
            {input("hours", td_string!(l, manage.journeys.hours), row.hours.clone())}
            {select("test", td_string!(l, manage.journeys.test_label), test_now, tests)}
            {input("value", td_string!(l, manage.journeys.value_days), value_now)}
            {move || select("target", td_string!(l, manage.journeys.target_label), target_choice.get_untracked(), targets())}
            {input("points", td_string!(l, manage.journeys.points), row.points.clone())}
            {select("reward_id", td_string!(l, manage.journeys.reward), row.reward_id.clone(),
                choices.rewards.iter().map(|(rid, n)| (rid.to_string(), n.clone())).collect())}
            {select("template", td_string!(l, manage.journeys.template), row.template.clone(),
                names.iter().map(|n| (n.clone(), n.clone())).collect())}
            {select("channel", td_string!(l, manage.journeys.channel), row.channel.clone(),
                Channel::ALL.iter().map(|c| (c.as_str().to_string(), channel_label(lang, *c).to_string())).collect())}
            {select("topic", td_string!(l, manage.journeys.topic_label), row.topic.clone(),
                Topic::ALL.iter().filter(|t| **t != Topic::Service)
                    .map(|t| (t.as_str().to_string(), topic_label(lang, *t).to_string())).collect())}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::describe;
    use crate::domain::lang::Lang;
    use crate::model::journey::{JourneyChoices, Step, StepKind, Target, Test};

    fn says(lang: Lang, kind: StepKind) -> String {
        let step = Step { id: 1, kind };
        describe(
            lang,
            std::slice::from_ref(&step),
            &step,
            &JourneyChoices::default(),
        )
    }

    #[test]
    fn step_descriptions_count_in_each_language() {
        let (en, ar) = (Lang::ENGLISH, Lang::ARABIC);
        assert_eq!(says(en, StepKind::Wait { hours: 1 }), "Wait 1 hour");
        assert_eq!(says(en, StepKind::Wait { hours: 48 }), "Wait 48 hours");
        assert_eq!(says(ar, StepKind::Wait { hours: 1 }), "انتظر ساعة واحدة");
        assert_eq!(says(ar, StepKind::Wait { hours: 2 }), "انتظر ساعتين");
        assert_eq!(says(ar, StepKind::Wait { hours: 5 }), "انتظر ٥ ساعات");
        assert_eq!(says(ar, StepKind::Wait { hours: 48 }), "انتظر ٤٨ ساعة");
        assert_eq!(says(en, StepKind::Points { points: 1 }), "Give 1 point");
        assert_eq!(says(ar, StepKind::Points { points: 3 }), "امنح ٣ نقاط");
        assert_eq!(says(ar, StepKind::Points { points: 200 }), "امنح ٢٠٠ نقطة");
        let active = |days| StepKind::Condition {
            test: Test::ActiveWithin { days },
            if_not: Target::Exit,
        };
        assert!(says(en, active(30)).contains("active in the last 30 days"));
        assert!(says(ar, active(2)).contains("نشط خلال آخر يومين"));
        assert!(says(ar, active(14)).contains("نشط خلال آخر ١٤ يومًا"));
        let wait = says(
            ar,
            StepKind::WaitForPurchase {
                hours: 10,
                if_not: Target::Exit,
            },
        );
        assert!(wait.starts_with("انتظر حتى ١٠ ساعات لعملية شراء"), "{wait}");
    }
}
