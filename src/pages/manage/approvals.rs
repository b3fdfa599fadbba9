//! Adjustments over a program's limit, for an admin to approve or reject.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::approvals::{list_adjustment_requests, DecideAdjustment};
use crate::components::field::{successes, FormNotice};
use crate::components::states::{Empty, Loaded};
use crate::domain::card;
use crate::model::member::AdjustmentRequest;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let decide = form_action::<DecideAdjustment>();
    let decided = successes(decide);
    let requests = Resource::new(move || decided.get(), |_| list_adjustment_requests());
    view! {
        <Title text="Approvals" />
        <section class="card">
            <h2>"Adjustments waiting for approval"</h2>
            <p class="muted">
                "Staff adjustments larger than a program's limit (Program settings) wait here. Approving books them now; a debit the balance no longer covers is refused and stays waiting."
            </p>
            <FormNotice result=decide.value() />
            <Loaded what="adjustments" resource=requests view=move |list| table(list, decide) />
        </section>
    }
}

fn table(list: Vec<AdjustmentRequest>, decide: ServerAction<DecideAdjustment>) -> AnyView {
    if list.is_empty() {
        return view! { <Empty><p>"No adjustment has needed an approval yet."</p></Empty> }.into_any();
    }
    let pending = decide.pending();
    view! {
        <div class="table-scroll">
        <table>
            <thead>
                <tr>
                    <th scope="col">"Member"</th>
                    <th scope="col">"Program"</th>
                    <th scope="col">"Points"</th>
                    <th scope="col">"Reason"</th>
                    <th scope="col">"Asked by"</th>
                    <th scope="col">"Decision"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|r| {
                        let waiting = r.status == crate::model::member::AdjustmentStatus::Pending;
                        let label = format!("{} {} for {}", signed(r.points), r.currency_name, r.member_name);
                        let (approve_label, reject_label) = (format!("Approve {label}"), format!("Reject {label}"));
                        view! {
                            <tr>
                                <td>{r.member_name.clone()} <br /> <span class="muted mono">{card::grouped(&r.card_number)}</span></td>
                                <td>{r.program_name.clone()}</td>
                                <td class="num">{format!("{} {}", signed(r.points), r.currency_name)}</td>
                                <td>{r.reason.clone()}</td>
                                <td>{r.requested_by.clone().unwrap_or_default()} <br /> <span class="muted">{r.requested_at.display()}</span></td>
                                <td>
                                    {if waiting {
                                        view! {
                                            <ActionForm action=decide attr:class="inline">
                                                <input type="hidden" name="id" value=r.id />
                                                <input type="hidden" name="approve" value="true" />
                                                <button type="submit" class="button" disabled=move || pending.get()
                                                    aria-label=approve_label>"Approve"</button>
                                            </ActionForm>
                                            <ActionForm action=decide attr:class="inline">
                                                <input type="hidden" name="id" value=r.id />
                                                <input type="hidden" name="approve" value="false" />
                                                <button type="submit" class="button secondary" disabled=move || pending.get()
                                                    aria-label=reject_label>"Reject"</button>
                                            </ActionForm>
                                        }.into_any()
                                    } else {
                                        let verdict = if r.status == crate::model::member::AdjustmentStatus::Approved { "Approved" } else { "Rejected" };
                                        view! {
                                            <span class="badge">{verdict}</span>
                                            " " {r.decided_by.clone().map(|b| format!("by {b}")).unwrap_or_default()}
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

/// "+6,000", "-250".
fn signed(points: i64) -> String {
    let sign = if points > 0 { "+" } else { "" };
    format!("{sign}{}", crate::domain::wording::grouped(points))
}
