//! The member's inbox on the portal: messages from the brand, newest first, with the unread
//! count; a message is marked read one at a time or all at once. Works without JavaScript
//! (each button is a form post).

use leptos::prelude::*;

use crate::api::portal::{my_inbox, MarkMyMessagesRead};
use crate::components::field::successes;
use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::components::states::{Empty, Loaded};
use crate::i18n::{td, td_string};
use crate::model::message::Inbox;

#[component]
pub fn InboxSection() -> impl IntoView {
    let mark = form_action::<MarkMyMessagesRead>();
    let marked = successes(mark);
    let inbox = Resource::new(move || marked.get(), |_| my_inbox());
    let lang = use_lang();
    let l = lang.locale;
    view! {
        <section class="card inbox" aria-labelledby="inbox-heading">
            <Loaded what=td_string!(l, portal.inbox.loading_what) resource=inbox view=move |i: Inbox| {
                let unread = i.unread;
                view! {
                    <h2 id="inbox-heading">
                        {td!(l, portal.inbox.title)}
                        {(unread > 0).then(|| view! {
                            " " <span class="badge" data-testid="unread">
                                {td_string!(l, portal.inbox.unread, count = unread as u64, n = lang.number(unread)).to_string()}
                            </span>
                        })}
                    </h2>
                    {if i.messages.is_empty() {
                        view! { <Empty>{td!(l, portal.inbox.empty)}</Empty> }.into_any()
                    } else {
                        view! {
                            {(unread > 0).then(|| view! {
                                <ActionForm action=mark>
                                    <button type="submit" class="button ghost">{td!(l, portal.inbox.mark_all)}</button>
                                </ActionForm>
                            })}
                            <ul class="list messages">
                                {i.messages.into_iter().map(|m| {
                                    let id = m.id.to_string();
                                    view! {
                                        <li class:unread=!m.read data-testid="inbox-message">
                                            <details>
                                                <summary>
                                                    <strong>{m.subject}</strong>
                                                    " · " <time>{lang.date(m.at.date())}</time>
                                                    {(!m.read).then(|| view! { " " <span class="visually-hidden">{td!(l, portal.inbox.new)}</span> })}
                                                </summary>
                                                <p class="message-body">{m.body}</p>
                                            </details>
                                            {(!m.read).then(|| view! {
                                                <ActionForm action=mark>
                                                    <input type="hidden" name="id" value=id />
                                                    <button type="submit" class="button ghost">{td!(l, portal.inbox.mark_read)}</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                }
            } />
        </section>
    }
}
