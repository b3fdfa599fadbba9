//! A program's messages: its time zone, quiet hours and caps (which hold every message but
//! service ones), what its messages did (sent, waiting, not sent and why, failed) and the
//! failures to follow up; and, in development, the mailbox of emails not sent anywhere.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::messages::{dev_mailbox, program_messages, FindMemberMessages, SaveMessageSettings};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::components::states::{Empty, Loaded};
use crate::components::table::DataTable;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::message::{
    Channel, DeliveryCount, FailedMessage, HoldReason, KeptEmail, MemberMessage, MemberMessages,
    MessageSettingsForm, MessageStatus, MessagesOverview,
};
use crate::model::time::Timestamp;

pub fn channel_label(lang: Lang, c: Channel) -> &'static str {
    crate::model::message::channel_label(lang.locale, c)
}

pub fn reason_label(lang: Lang, r: HoldReason) -> &'static str {
    let l = lang.locale;
    match r {
        HoldReason::QuietHours => td_string!(l, manage.messages.reason.quiet_hours),
        HoldReason::DailyCap => td_string!(l, manage.messages.reason.cap_day),
        HoldReason::WeeklyCap => td_string!(l, manage.messages.reason.cap_week),
        HoldReason::MonthlyCap => td_string!(l, manage.messages.reason.cap_month),
        HoldReason::MinimumGap => td_string!(l, manage.messages.reason.min_gap),
        HoldReason::NoConsent => td_string!(l, manage.messages.reason.no_consent),
        HoldReason::Closed => td_string!(l, manage.messages.reason.closed),
        HoldReason::NoAddress => td_string!(l, manage.messages.reason.no_address),
        HoldReason::Spent => td_string!(l, manage.messages.reason.spent),
        HoldReason::OfferEnded => td_string!(l, manage.messages.reason.offer_ended),
    }
}

#[component]
pub fn MessagesPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let id = super::program_id_param();
    let save = form_action::<SaveMessageSettings>();
    let saved = successes(save);
    let overview = Resource::new(move || (id(), saved.get()), |(id, _)| program_messages(id));
    view! {
        <Title text=td_string!(l, manage.messages.title) />
        <p><A href=move || format!("/manage/programs/{}", id())>{td!(l, offers.back_to_program)}</A></p>
        <h1>{td!(l, manage.messages.title)}</h1>
        <p><A href=move || format!("/manage/programs/{}/templates", id())>{td!(l, manage.messages.templates_link)}</A></p>
        <Loaded what=td_string!(l, manage.messages.loading) resource=overview view={move |o: MessagesOverview| {
            view! {
                <div class="columns">
                    {settings_form(lang, o.settings.clone(), save)}
                    {delivery_report(lang, &o)}
                </div>
                <MemberLog program_id=o.settings.program_id.get() zone=o.settings.time_zone.clone() />
            }
        }} />
    }
}

fn settings_form(
    lang: Lang,
    s: MessageSettingsForm,
    save: ServerAction<SaveMessageSettings>,
) -> impl IntoView {
    let l = lang.locale;
    let value = save.value();
    let pending = save.pending();
    let err = move |f| field_error(move || value.get(), f);
    let v = |s: &str| Signal::stored(s.to_string());
    view! {
        <section class="card">
            <h2>{td!(l, manage.messages.settings)}</h2>
            <p class="muted">{td!(l, manage.messages.settings_intro)}</p>
            <p class="muted"><A href="/manage/mailbox">{td!(l, manage.messages.mailbox_link)}</A></p>
            {move || value.get().and_then(Result::ok).map(|_| view! {
                <p class="notice ok" role="status">{td!(l, manage.messages.saved)}</p>
            })}
            <ActionForm action=save>
                <FormNotice result=value />
                <input type="hidden" name="input[program_id]" value=s.program_id.get().to_string() />
                <Field label=td_string!(l, manage.messages.time_zone) name="input[time_zone]" dir="ltr" value=v(&s.time_zone)
                    hint=td_string!(l, manage.stores.time_zone_hint) error=err("time_zone") />
                <fieldset>
                    <legend>{td!(l, manage.messages.quiet_hours)}</legend>
                    <p class="hint">{td!(l, manage.messages.quiet_hint)}</p>
                    <Field label=td_string!(l, manage.messages.quiet_start) name="input[quiet_start]" kind="time" value=v(&s.quiet_start) error=err("quiet_start") />
                    <Field label=td_string!(l, manage.messages.quiet_end) name="input[quiet_end]" kind="time" value=v(&s.quiet_end) error=err("quiet_end") />
                </fieldset>
                <fieldset>
                    <legend>{td!(l, manage.messages.caps)}</legend>
                    <p class="hint">{td!(l, manage.messages.caps_hint)}</p>
                    <Field label=td_string!(l, manage.messages.cap_day) name="input[cap_day]" inputmode="numeric" value=v(&s.cap_day) error=err("cap_day") />
                    <Field label=td_string!(l, manage.messages.cap_week) name="input[cap_week]" inputmode="numeric" value=v(&s.cap_week) error=err("cap_week") />
                    <Field label=td_string!(l, manage.messages.cap_month) name="input[cap_month]" inputmode="numeric" value=v(&s.cap_month) error=err("cap_month") />
                    <Field label=td_string!(l, manage.messages.min_gap) name="input[min_gap_minutes]" inputmode="numeric" value=v(&s.min_gap_minutes)
                        hint=td_string!(l, manage.messages.min_gap_hint) error=err("min_gap_minutes") />
                </fieldset>
                <button type="submit" class="button" disabled=move || pending.get()>{td!(l, manage.messages.save)}</button>
            </ActionForm>
        </section>
    }
}

/// Per kind and channel: sent, waiting, not sent, failed.
fn totals(counts: &[DeliveryCount]) -> Vec<(String, Channel, [i64; 4])> {
    let mut rows: Vec<(String, Channel, [i64; 4])> = Vec::new();
    for c in counts {
        let at = match c.status {
            MessageStatus::Sent => 0,
            MessageStatus::Pending => 1,
            MessageStatus::Suppressed => 2,
            MessageStatus::Failed => 3,
        };
        match rows
            .iter_mut()
            .find(|(k, ch, _)| *k == c.kind && *ch == c.channel)
        {
            Some(row) => row.2[at] += c.count,
            None => {
                let mut n = [0; 4];
                n[at] = c.count;
                rows.push((c.kind.clone(), c.channel, n));
            }
        }
    }
    rows
}

/// Why messages wait or were not sent: (reason, waiting now, not sent).
fn reasons(counts: &[DeliveryCount]) -> Vec<(HoldReason, i64, i64)> {
    let mut rows: Vec<(HoldReason, i64, i64)> = Vec::new();
    for c in counts {
        let Some(r) = c.reason else { continue };
        let (waiting, dropped) = match c.status {
            MessageStatus::Pending => (c.count, 0),
            MessageStatus::Suppressed => (0, c.count),
            _ => continue,
        };
        match rows.iter_mut().find(|(x, ..)| *x == r) {
            Some(row) => {
                row.1 += waiting;
                row.2 += dropped;
            }
            None => rows.push((r, waiting, dropped)),
        }
    }
    rows
}

fn delivery_report(lang: Lang, o: &MessagesOverview) -> impl IntoView {
    let l = lang.locale;
    view! {
        <section class="card">
            <h2>{td!(l, manage.messages.report)}</h2>
            {delivery_tables(lang, &o.counts, o.failed.clone(), Some(o.settings.time_zone.clone()))}
        </section>
    }
}

/// What messages did: sent, waiting, not sent and failed per kind and channel, why they wait
/// or were not sent, and the newest failures with their errors (times in `zone`, else UTC).
pub(super) fn delivery_tables(
    lang: Lang,
    counts: &[DeliveryCount],
    failed: Vec<FailedMessage>,
    zone: Option<String>,
) -> impl IntoView {
    let l = lang.locale;
    let totals = totals(counts);
    let reasons = reasons(counts);
    view! {
            {if totals.is_empty() {
                view! { <Empty><p>{td!(l, manage.messages.none_yet)}</p></Empty> }.into_any()
            } else {
                view! {
                    <DataTable
                        columns=vec![
                            td_string!(l, manage.messages.col_kind),
                            td_string!(l, manage.messages.col_channel),
                            td_string!(l, manage.messages.col_sent),
                            td_string!(l, manage.messages.col_waiting),
                            td_string!(l, manage.messages.col_not_sent),
                            td_string!(l, manage.messages.col_failed),
                        ]
                        numeric=&[2, 3, 4, 5]
                    >
                        {totals.into_iter().map(|(kind, channel, n)| view! {
                            <tr>
                                <td class="mono"><bdi>{kind}</bdi></td>
                                <td>{channel_label(lang, channel)}</td>
                                {n.into_iter().map(|x| view! { <td class="num">{lang.number(x)}</td> }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </DataTable>
                }.into_any()
            }}
            {(!reasons.is_empty()).then(|| view! {
                <h3>{td!(l, manage.messages.why)}</h3>
                <DataTable
                    columns=vec![
                        td_string!(l, manage.messages.col_reason),
                        td_string!(l, manage.messages.col_waiting),
                        td_string!(l, manage.messages.col_not_sent),
                    ]
                    numeric=&[1, 2]
                >
                    {reasons.into_iter().map(|(r, waiting, dropped)| view! {
                        <tr>
                            <td>{reason_label(lang, r)}</td>
                            <td class="num">{lang.number(waiting)}</td>
                            <td class="num">{lang.number(dropped)}</td>
                        </tr>
                    }).collect_view()}
                </DataTable>
            })}
            {(!failed.is_empty()).then(|| view! {
                <h3>{td!(l, manage.messages.failures)}</h3>
                <DataTable
                    columns=vec![
                        td_string!(l, manage.messages.col_member),
                        td_string!(l, manage.messages.col_channel),
                        td_string!(l, manage.messages.col_kind),
                        td_string!(l, manage.messages.col_error),
                        td_string!(l, manage.messages.col_when),
                    ]
                >
                    {failed.into_iter().map(|f| view! {
                        <tr>
                            <td><bdi>{f.member_id.map(|m| format!("#{m}")).unwrap_or_default()} " " {f.recipient}</bdi></td>
                            <td>{channel_label(lang, f.channel)}</td>
                            <td class="mono"><bdi>{f.kind}</bdi></td>
                            <td><bdi dir="ltr">{f.error}</bdi></td>
                            <td>{lang.date_time(f.at, zone.as_deref())}</td>
                        </tr>
                    }).collect_view()}
                </DataTable>
            })}
    }
}

/// Look a member up: each message the program sent them and what became of it.
#[component]
fn MemberLog(program_id: i64, zone: String) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let find = form_action::<FindMemberMessages>();
    let value = find.value();
    let zone_at = StoredValue::new(zone);
    // Plain `fn`-like (copies only): used inside the reactive closure below.
    let status = move |m: &MemberMessage| -> String {
        match m.status {
            MessageStatus::Sent => td_string!(
                l,
                manage.messages.status.sent,
                when = m
                    .delivered_at
                    .map(|t| zone_at.with_value(|z| lang.date_time(t, Some(z))))
                    .unwrap_or_default()
            )
            .to_string(),
            MessageStatus::Pending => td_string!(l, manage.messages.status.pending).to_string(),
            MessageStatus::Failed => {
                td_string!(l, manage.messages.status.failed, n = lang.number(m.attempts)).to_string()
            }
            MessageStatus::Suppressed => td_string!(l, manage.messages.status.suppressed).to_string(),
        }
    };
    view! {
        <section class="card">
            <h2>{td!(l, manage.messages.member_log)}</h2>
            <p class="muted">{td!(l, manage.messages.member_log_intro)}</p>
            <ActionForm action=find>
                <FormNotice result=value />
                <input type="hidden" name="program_id" value=program_id.to_string() />
                <Field label=td_string!(l, manage.messages.member_field) name="member" dir="ltr" scope="log"
                    error=field_error(move || value.get(), "member") />
                <button type="submit" class="button ghost" disabled=move || find.pending().get()>{td!(l, manage.messages.show_member)}</button>
            </ActionForm>
            {move || value.get().and_then(Result::ok).map(|found: MemberMessages| {
                let name = lang.isolate(&found.member_name);
                if found.messages.is_empty() {
                    return view! { <Empty><p>{td_string!(l, manage.messages.member_none, name = name).to_string()}</p></Empty> }.into_any();
                }
                view! {
                    <h3>{td_string!(l, manage.messages.member_heading, name = name).to_string()}</h3>
                    <DataTable
                        columns=vec![
                            td_string!(l, manage.messages.col_when),
                            td_string!(l, manage.messages.col_kind),
                            td_string!(l, manage.messages.col_channel),
                            td_string!(l, manage.messages.col_subject),
                            td_string!(l, manage.messages.col_status),
                            td_string!(l, manage.messages.col_reason),
                            td_string!(l, manage.messages.col_error),
                        ]
                        label=td_string!(l, manage.messages.member_log)
                    >
                        {found.messages.into_iter().map(|m| {
                            let said = status(&m);
                            view! {
                                <tr data-testid="member-message">
                                    <td>{zone_at.with_value(|z| lang.date_time(m.created_at, Some(z)))}</td>
                                    <td class="mono"><bdi>{m.kind.clone()}</bdi></td>
                                    <td>{channel_label(lang, m.channel)}</td>
                                    <td><bdi>{m.subject.clone()}</bdi></td>
                                    <td>{said}</td>
                                    <td>{m.reason.map(|r| reason_label(lang, r)).unwrap_or_default()}</td>
                                    <td><bdi dir="ltr">{m.error.clone().unwrap_or_default()}</bdi></td>
                                </tr>
                            }
                        }).collect_view()}
                    </DataTable>
                }.into_any()
            })}
        </section>
    }
}

/// Admins read the emails that stayed here because no SMTP server is set (development).
#[component]
pub fn MailboxPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let mail = Resource::new(|| (), |_| dev_mailbox());
    view! {
        <Title text=td_string!(l, manage.mailbox.title) />
        <section class="card">
            <h1>{td!(l, manage.mailbox.title)}</h1>
            <p class="muted">{td!(l, manage.mailbox.intro)}</p>
            <Loaded what=td_string!(l, manage.mailbox.loading) resource=mail view={move |list: Vec<KeptEmail>| {
                if list.is_empty() {
                    return view! { <Empty><p>{td!(l, manage.mailbox.empty)}</p></Empty> }.into_any();
                }
                view! {
                    <ul class="list messages">
                        {list.into_iter().map(|m| view! {
                            <li data-testid="kept-email">
                                <details>
                                    <summary>
                                        <strong>{m.subject}</strong> " · " <bdi>{m.recipient}</bdi>
                                        " · " <time>{lang.date_time(Timestamp(m.delivered_at), None)}</time>
                                    </summary>
                                    <p class="message-body" dir="auto">{m.body}</p>
                                </details>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }} />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(
        kind: &str,
        channel: Channel,
        status: MessageStatus,
        reason: Option<HoldReason>,
        count: i64,
    ) -> DeliveryCount {
        DeliveryCount {
            kind: kind.into(),
            channel,
            status,
            reason,
            count,
        }
    }

    #[test]
    fn counts_fold_by_kind_channel_and_reason() {
        let c = vec![
            count("welcome", Channel::Email, MessageStatus::Sent, None, 5),
            count(
                "welcome",
                Channel::Email,
                MessageStatus::Pending,
                Some(HoldReason::QuietHours),
                2,
            ),
            count(
                "welcome",
                Channel::Email,
                MessageStatus::Suppressed,
                Some(HoldReason::NoConsent),
                3,
            ),
            count(
                "welcome",
                Channel::InApp,
                MessageStatus::Suppressed,
                Some(HoldReason::QuietHours),
                1,
            ),
            count("winback", Channel::Email, MessageStatus::Failed, None, 1),
        ];
        assert_eq!(
            totals(&c),
            vec![
                ("welcome".into(), Channel::Email, [5, 2, 3, 0]),
                ("welcome".into(), Channel::InApp, [0, 0, 1, 0]),
                ("winback".into(), Channel::Email, [0, 0, 0, 1]),
            ]
        );
        assert_eq!(
            reasons(&c),
            vec![(HoldReason::QuietHours, 2, 1), (HoldReason::NoConsent, 0, 3)]
        );
    }
}
