//! A member's consent to hear from the brand: per channel (email, SMS, push, the portal's
//! inbox) and per topic (offers, points and expiry reminders, surveys). Service messages
//! (receipts, password resets) need no topic consent, only an open account. Consent is
//! opt-in: nothing is given until the member gives it, except the inbox inside the portal
//! they signed up for. Every change is kept with when, how and by whom it was made.

use serde::{Deserialize, Serialize};

use crate::model::time::Timestamp;

vocabulary! {
    /// What a member can consent to: a channel or a topic.
    pub enum ConsentName {
        Email = "email",
        Sms = "sms",
        Push = "push",
        InApp = "in_app",
        Offers = "offers",
        Reminders = "reminders",
        Surveys = "surveys",
    }
}

impl ConsentName {
    /// Its bit in `members.consents`.
    pub fn bit(self) -> i64 {
        1 << (Self::ALL.iter().position(|n| *n == self).unwrap_or(0) as i64)
    }

    /// A channel (as opposed to a topic).
    pub fn is_channel(self) -> bool {
        matches!(self, Self::Email | Self::Sms | Self::Push | Self::InApp)
    }
}

/// What a new member has consented to: the portal's inbox only.
pub const DEFAULT_CONSENTS: i64 = 8;

vocabulary! {
    /// How a consent was given or withdrawn.
    pub enum ConsentSource {
        /// By the member on the portal.
        Portal = "portal",
        /// By a channel system (a web shop's newsletter checkbox) through the API.
        Api = "api",
        /// By staff at the Desk, as the member asked.
        Desk = "desk",
        /// By a one-click unsubscribe link.
        Unsubscribe = "unsubscribe",
    }
}

/// The consents a member holds now, one bit per `ConsentName`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consents(pub i64);

impl Consents {
    pub fn has(self, name: ConsentName) -> bool {
        self.0 & name.bit() != 0
    }

    /// With `name` given (or withdrawn).
    pub fn with(self, name: ConsentName, granted: bool) -> Consents {
        if granted {
            Consents(self.0 | name.bit())
        } else {
            Consents(self.0 & !name.bit())
        }
    }

    /// The names given.
    pub fn granted(self) -> Vec<ConsentName> {
        ConsentName::ALL
            .iter()
            .copied()
            .filter(|n| self.has(*n))
            .collect()
    }
}

/// One consent given or withdrawn, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConsentChange {
    pub name: ConsentName,
    pub granted: bool,
    pub source: ConsentSource,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub at: Timestamp,
}

/// A member's consents with their history, newest change first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConsentView {
    /// The names given now.
    pub granted: Vec<ConsentName>,
    pub history: Vec<ConsentChange>,
}

/// The portal's preferences form: the names ticked (every other is withdrawn).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsentForm {
    /// Always sent (a hidden field), so a form with nothing ticked still arrives.
    pub form: String,
    pub granted: Vec<String>,
}

/// A channel system's change of a member's consents: each named one given (true) or withdrawn
/// (false); those left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentUpdate {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub push: Option<bool>,
    pub in_app: Option<bool>,
    pub offers: Option<bool>,
    pub reminders: Option<bool>,
    pub surveys: Option<bool>,
}

impl ConsentUpdate {
    /// The changes it asks for, in `ConsentName` order.
    pub fn changes(&self) -> Vec<(ConsentName, bool)> {
        let asked = [
            (ConsentName::Email, self.email),
            (ConsentName::Sms, self.sms),
            (ConsentName::Push, self.push),
            (ConsentName::InApp, self.in_app),
            (ConsentName::Offers, self.offers),
            (ConsentName::Reminders, self.reminders),
            (ConsentName::Surveys, self.surveys),
        ];
        asked.into_iter().filter_map(|(n, v)| Some((n, v?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_has_its_own_bit_and_the_inbox_is_given_by_default() {
        let bits: Vec<i64> = ConsentName::ALL.iter().map(|n| n.bit()).collect();
        assert_eq!(bits, vec![1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(Consents(DEFAULT_CONSENTS).granted(), vec![ConsentName::InApp]);
        let c = Consents(0)
            .with(ConsentName::Email, true)
            .with(ConsentName::Offers, true);
        assert!(c.has(ConsentName::Email) && c.has(ConsentName::Offers) && !c.has(ConsentName::Sms));
        assert_eq!(
            c.with(ConsentName::Email, false).granted(),
            vec![ConsentName::Offers]
        );
        assert!(ConsentName::Push.is_channel() && !ConsentName::Surveys.is_channel());
    }

    #[test]
    fn an_update_changes_only_what_it_names() {
        let u: ConsentUpdate = serde_json::from_str(r#"{"email": true, "offers": false}"#).unwrap();
        assert_eq!(
            u.changes(),
            vec![(ConsentName::Email, true), (ConsentName::Offers, false)]
        );
        assert!(serde_json::from_str::<ConsentUpdate>(r#"{"fax": true}"#).is_err());
    }
}
