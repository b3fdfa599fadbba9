//! Labelled form fields that show the server's message for them, and the form-level notice.

use leptos::prelude::*;

use crate::components::lang::use_lang;
use crate::error::AppError;

/// The message for `field` from the latest result of an action, if it failed on that field.
pub fn field_error<T: Send + Sync + 'static>(
    result: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || match result() {
        Some(Err(e)) => e.field_message(field),
        _ => None,
    })
}

/// Counts an action's successful completions. Resources keyed on this reload after a save
/// but not after a failed submit, which would redraw the form and lose what was typed.
pub fn successes<S>(action: ServerAction<S>) -> Signal<usize>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let count = RwSignal::new(0usize);
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            count.update(|n| *n += 1);
        }
    });
    count.into()
}

/// Empties `form` each time `action` succeeds, for forms that make a new thing each time (a
/// key, a webhook): what was typed for the last one is not left to be sent again.
pub fn reset_on_success<S>(action: ServerAction<S>, form: NodeRef<leptos::html::Form>)
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let done = successes(action);
    Effect::new(move |_| {
        if done.get() > 0 {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
}

/// An input with its label, optional hint and error. `name` is the form name the server
/// function reads (e.g. `input[name]`); the id is derived from it and from `scope`, which a
/// form repeated on one page (a row per tier, a card per member) sets to keep ids unique.
#[component]
pub fn Field(
    #[prop(into)] label: Oco<'static, str>,
    name: &'static str,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(into, optional)] value: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(into, optional)] scope: Option<String>,
    /// `ltr` for what is written left to right on any page (an e-mail, a code, a time zone).
    #[prop(optional)]
    dir: Option<&'static str>,
) -> impl IntoView {
    let base = name.replace(['[', ']'], "-").trim_end_matches('-').to_string();
    let id = match scope {
        Some(scope) => format!("{scope}-{base}"),
        None => base,
    };
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind.unwrap_or("text")
                prop:value=move || value.get()
                value=move || value.get()
                required=required
                autocomplete=autocomplete
                inputmode=inputmode
                dir=dir
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described
            />
            // Hints are written with Western digits; the page's language writes them its way.
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{use_lang().digits_of(h)}</p> })}
            {move || error.get().map(|e| view! { <p class="error" id=error_id.clone() role="alert">{e}</p> })}
        </div>
    }
}

/// The form-level message for a failed action: what went wrong when no single field is to blame,
/// or a summary when some are.
#[component]
pub fn FormNotice<T: Clone + Send + Sync + 'static>(
    #[prop(into)] result: Signal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    let lang = use_lang();
    move || match result.get() {
        Some(Err(e)) => Some(view! { <p class="notice error" role="alert">{e.message(lang)}</p> }),
        _ => None,
    }
}
