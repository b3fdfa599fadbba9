//! Adjustments over a program's limit, for an admin to approve or reject.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::approvals::{list_adjustment_requests, DecideAdjustment};
use crate::components::field::{successes, FormNotice};
use crate::components::lang::use_lang;
use crate::components::states::{Empty, Loaded};
use crate::domain::card;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::member::AdjustmentRequest;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let decide = form_action::<DecideAdjustment>();
    let decided = successes(decide);
    let requests = Resource::new(move || decided.get(), |_| list_adjustment_requests());
    view! {
        <Title text=td_string!(l, manage.approvals.title) />
        <section class="card">
            <h2>{td!(l, manage.approvals.heading)}</h2>
            <p class="muted">{td!(l, manage.approvals.intro)}</p>
            <FormNotice result=decide.value() />
            <Loaded
                what=td_string!(l, manage.approvals.loading)
                resource=requests
                view=move |list| table(lang, list, decide)
            />
        </section>
    }
}

fn table(lang: Lang, list: Vec<AdjustmentRequest>, decide: ServerAction<DecideAdjustment>) -> AnyView {
    let l = lang.locale;
    if list.is_empty() {
        return view! { <Empty><p>{td!(l, manage.approvals.empty)}</p></Empty> }.into_any();
    }
    let pending = decide.pending();
    view! {
        <div class="table-scroll">
        <table>
            <thead>
                <tr>
                    <th scope="col">{td!(l, manage.approvals.col_member)}</th>
                    <th scope="col">{td!(l, manage.approvals.col_program)}</th>
                    <th scope="col">{td!(l, manage.approvals.col_points)}</th>
                    <th scope="col">{td!(l, manage.approvals.col_reason)}</th>
                    <th scope="col">{td!(l, manage.approvals.col_asked_by)}</th>
                    <th scope="col">{td!(l, manage.approvals.col_decision)}</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|r| {
                        let waiting = r.status == crate::model::member::AdjustmentStatus::Pending;
                        let label = td_string!(
                            l,
                            manage.approvals.what,
                            points = signed(lang, r.points),
                            unit = lang.isolate(&r.currency_name),
                            member = lang.isolate(&r.member_name)
                        )
                        .to_string();
                        let approve_label = td_string!(l, manage.approvals.approve_label, what = label.clone()).to_string();
                        let reject_label = td_string!(l, manage.approvals.reject_label, what = label).to_string();
                        view! {
                            <tr>
                                <td>{r.member_name.clone()} <br /> <span class="muted mono" dir="ltr">{card::grouped(&r.card_number)}</span></td>
                                <td>{r.program_name.clone()}</td>
                                <td class="num">{format!("{} {}", signed(lang, r.points), lang.isolate(&r.currency_name))}</td>
                                <td>{r.reason.clone()}</td>
                                <td>{r.requested_by.clone().unwrap_or_default()} <br /> <span class="muted">{lang.date_time(r.requested_at, None)}</span></td>
                                <td>
                                    {if waiting {
                                        view! {
                                            <ActionForm action=decide attr:class="inline">
                                                <input type="hidden" name="id" value=r.id />
                                                <input type="hidden" name="approve" value="true" />
                                                <button type="submit" class="button" disabled=move || pending.get()
                                                    aria-label=approve_label>{td!(l, manage.approvals.approve)}</button>
                                            </ActionForm>
                                            <ActionForm action=decide attr:class="inline">
                                                <input type="hidden" name="id" value=r.id />
                                                <input type="hidden" name="approve" value="false" />
                                                <button type="submit" class="button secondary" disabled=move || pending.get()
                                                    aria-label=reject_label>{td!(l, manage.approvals.reject)}</button>
                                            </ActionForm>
                                        }.into_any()
                                    } else {
                                        let verdict = if r.status == crate::model::member::AdjustmentStatus::Approved {
                                            td_string!(l, manage.approvals.approved)
                                        } else {
                                            td_string!(l, manage.approvals.rejected)
                                        };
                                        let by = r.decided_by.clone().map(|b| {
                                            td_string!(l, manage.approvals.decided_by, name = lang.isolate(&b)).to_string()
                                        });
                                        view! {
                                            <span class="badge">{verdict}</span>
                                            " " {by.unwrap_or_default()}
                                        }.into_any()
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

/// "+6,000", "-250"; on an Arabic page with the sign CLDR writes (a letter mark keeps it
/// beside its number): "؜+٦٬٠٠٠".
fn signed(lang: Lang, points: i64) -> String {
    use crate::domain::lang::Digits;
    use crate::i18n::Locale;
    let plus = match (lang.locale, lang.digits) {
        (Locale::en, _) => "+",
        (Locale::ar, Digits::ArabicIndic) => "\u{061C}+",
        (Locale::ar, Digits::Western) => "\u{200E}+",
    };
    let sign = if points > 0 { plus } else { "" };
    format!("{sign}{}", lang.number(points))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_points() {
        assert_eq!(signed(Lang::ENGLISH, 6000), "+6,000");
        assert_eq!(signed(Lang::ENGLISH, -250), "-250");
        assert_eq!(signed(Lang::ENGLISH, 0), "0");
        assert_eq!(signed(Lang::ARABIC, 6000), "\u{061C}+٦٬٠٠٠");
    }
}
