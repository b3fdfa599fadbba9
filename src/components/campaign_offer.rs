//! One campaign offer as the portal and the Desk show it: what it gives, which campaign,
//! where and until when, and where the member stands with it (a code claimed, a bonus had).

use leptos::prelude::*;

use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::campaign::{CampaignOffer, Incentive};
use crate::model::time::Timestamp;

/// The offer's text; the caller adds its own button beside it.
pub fn offer_text(lang: Lang, o: &CampaignOffer) -> impl IntoView {
    let l = lang.locale;
    // Its last day: the end is exclusive.
    let until = lang.date(Timestamp(o.ends_at.0 - 1).date());
    let channels = (!o.channels.is_empty()).then(|| {
        let comma = if lang == Lang::ARABIC { "، " } else { ", " };
        let list: Vec<&str> = o.channels.iter().map(|c| c.label(lang)).collect();
        td_string!(l, portal.deals.channels, list = list.join(comma)).to_string()
    });
    let state = match (&o.incentive, &o.claimed_code) {
        (_, Some(code)) => Some(view! {
            <span>
                {td!(l, portal.deals.code)} " " <strong class="mono" dir="ltr" data-testid="offer-code">{code.clone()}</strong>
                {o.used.then(|| view! { " · " {td!(l, portal.deals.used)} })}
            </span>
        }
        .into_any()),
        (Incentive::BonusPoints { .. } | Incentive::Stamps { .. }, None) if o.used => {
            Some(view! { <span class="badge">{td!(l, portal.deals.received)}</span> }.into_any())
        }
        _ => None,
    };
    view! {
        <strong data-testid="offer-headline">{o.headline.clone()}</strong>
        <span class="muted">
            " · " <bdi>{o.campaign_name.clone()}</bdi> " · "
            {td_string!(l, portal.deals.until, date = until).to_string()}
            {channels.map(|c| view! { " · " {c} })}
        </span>
        {state.map(|s| view! { " " {s} })}
    }
}

/// Whether the member can still take it: a reward not claimed yet.
pub fn claimable(o: &CampaignOffer) -> bool {
    matches!(o.incentive, Incentive::Reward { .. }) && o.claimed_code.is_none()
}
