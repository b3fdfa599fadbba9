//! Messages to members and staff: the channel each goes by, the topic consent it needs, what
//! happens when caps or quiet hours hold it, and its state in the outbox. Also the portal's
//! inbox and a program's messaging settings (time zone, quiet hours, caps).

use serde::{Deserialize, Serialize};

use crate::model::consent::{ConsentName, Consents};
use crate::model::time::Timestamp;

vocabulary! {
    /// How a message reaches its reader.
    pub enum Channel {
        /// The inbox on the portal.
        InApp = "in_app",
        Email = "email",
        Sms = "sms",
        Push = "push",
    }
}

impl Channel {
    /// The consent that lets the brand use this channel.
    pub fn consent(self) -> ConsentName {
        match self {
            Self::InApp => ConsentName::InApp,
            Self::Email => ConsentName::Email,
            Self::Sms => ConsentName::Sms,
            Self::Push => ConsentName::Push,
        }
    }
}

/// A channel's name as Manage shows it, in `l`.
pub fn channel_label(l: crate::i18n::Locale, c: Channel) -> &'static str {
    use crate::i18n::td_string;
    match c {
        Channel::InApp => td_string!(l, manage.messages.channel.in_app),
        Channel::Email => td_string!(l, manage.messages.channel.email),
        Channel::Sms => td_string!(l, manage.messages.channel.sms),
        Channel::Push => td_string!(l, manage.messages.channel.push),
    }
}

vocabulary! {
    /// What a message is about, and so which consent it needs beyond its channel's.
    pub enum Topic {
        /// Account and transaction messages (a password reset, a receipt): no topic consent,
        /// no caps or quiet hours, never to a closed account.
        Service = "service",
        Offers = "offers",
        Reminders = "reminders",
        Surveys = "surveys",
    }
}

impl Topic {
    /// The topic consent needed, if any.
    pub fn consent(self) -> Option<ConsentName> {
        match self {
            Self::Service => None,
            Self::Offers => Some(ConsentName::Offers),
            Self::Reminders => Some(ConsentName::Reminders),
            Self::Surveys => Some(ConsentName::Surveys),
        }
    }

    /// Whether a member holding `consents` may get a message of this topic on `channel`.
    /// Service messages sent by email to the address that asked for them (a reset) need no
    /// channel consent either: the member asked for this very message.
    pub fn allowed(self, channel: Channel, consents: Consents) -> bool {
        match self.consent() {
            None => channel == Channel::Email || consents.has(channel.consent()),
            Some(topic) => consents.has(channel.consent()) && consents.has(topic),
        }
    }
}

vocabulary! {
    /// What the outbox does with a message that caps or quiet hours hold back.
    pub enum IfLimited {
        /// Send it when they allow (a points reminder still matters tomorrow).
        Defer = "defer",
        /// Drop it (a flash offer is pointless late).
        Drop = "drop",
    }
}

vocabulary! {
    /// Where a message is in the outbox.
    pub enum MessageStatus {
        /// Waiting for its time, a retry, or caps and quiet hours.
        Pending = "pending",
        /// Handed to its channel (the inbox holds it, the SMTP server took it...).
        Sent = "sent",
        /// Every attempt failed; the last error is kept.
        Failed = "failed",
        /// Not sent, and never will be: `reason` says why.
        Suppressed = "suppressed",
    }
}

vocabulary! {
    /// Why a message was held back or not sent: counted in reports.
    pub enum HoldReason {
        QuietHours = "quiet_hours",
        DailyCap = "cap_day",
        WeeklyCap = "cap_week",
        MonthlyCap = "cap_month",
        MinimumGap = "min_gap",
        /// The member has not consented to the channel or topic.
        NoConsent = "no_consent",
        /// The account is closed (disabled or erased).
        Closed = "closed",
        /// Nowhere to send it (no email address or phone number on file).
        NoAddress = "no_address",
        /// An account email whose link is no longer needed (a sign-up confirmed, or
        /// replaced by a newer one, before its email went).
        Spent = "spent",
        /// A campaign's message still waiting when the campaign ended or was stopped.
        OfferEnded = "offer_ended",
    }
}

vocabulary! {
    /// The kind of device a push token is for.
    pub enum Platform {
        Ios = "ios",
        Android = "android",
        Web = "web",
    }
}

/// Longest push token accepted (a web push subscription's endpoint fits).
pub const MAX_PUSH_TOKEN_CHARS: usize = 2048;
/// Most devices kept per member: registering one more forgets the one seen longest ago.
pub const MAX_PUSH_DEVICES: i64 = 20;

/// A device registered for a member's push messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PushDevice {
    pub id: i64,
    pub platform: Platform,
    /// The push provider's token for the device.
    pub token: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub registered_at: Timestamp,
    /// When it was last registered (apps register on every start).
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub last_seen_at: Timestamp,
}

/// A device to register, as an app sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeviceInput {
    /// The push provider's token (printable ASCII, no spaces, up to 2048 characters).
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 1, max_length = 2048, pattern = r"^[!-~]+$")
    )]
    pub token: String,
    /// "ios", "android" or "web".
    #[cfg_attr(feature = "ssr", schema(value_type = Platform))]
    pub platform: String,
}

/// A program's rules for messages: its time zone (quiet hours, days, weeks and months are
/// local), quiet hours, and caps per member per channel. Service messages ignore them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSettings {
    /// IANA time zone, e.g. "Asia/Dubai".
    pub time_zone: String,
    /// Quiet hours as minutes after local midnight, start and end ("21:00"–"09:00" spans
    /// midnight); None when there are none.
    pub quiet_hours: Option<(u16, u16)>,
    /// Most messages per member per channel in a local day, week (Monday to Sunday) and
    /// calendar month; None is no cap.
    pub cap_day: Option<u32>,
    pub cap_week: Option<u32>,
    pub cap_month: Option<u32>,
    /// Least time between two messages to a member on a channel, in minutes.
    pub min_gap_minutes: u32,
}

impl Default for MessageSettings {
    /// Quiet from 21:00 to 09:00 UTC, at most 1 a day, 3 a week and 8 a month per channel.
    fn default() -> Self {
        Self {
            time_zone: "UTC".into(),
            quiet_hours: Some((21 * 60, 9 * 60)),
            cap_day: Some(1),
            cap_week: Some(3),
            cap_month: Some(8),
            min_gap_minutes: 0,
        }
    }
}

/// A message in a member's inbox on the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMessage {
    pub id: i64,
    pub subject: String,
    pub body: String,
    pub at: Timestamp,
    pub read: bool,
}

/// The inbox: its newest messages and how many are unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub messages: Vec<InboxMessage>,
    pub unread: i64,
}

/// The Manage form for a program's messaging settings, as typed ("21:00", "" for none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageSettingsForm {
    pub program_id: crate::model::ids::ProgramId,
    pub time_zone: String,
    pub quiet_start: String,
    pub quiet_end: String,
    pub cap_day: String,
    pub cap_week: String,
    pub cap_month: String,
    pub min_gap_minutes: String,
}

/// "21:00" for 1260 minutes after midnight.
pub fn clock_time(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl MessageSettingsForm {
    /// The form filled with saved settings.
    pub fn of(program_id: crate::model::ids::ProgramId, s: &MessageSettings) -> Self {
        let cap = |c: Option<u32>| c.map(|c| c.to_string()).unwrap_or_default();
        Self {
            program_id,
            time_zone: s.time_zone.clone(),
            quiet_start: s.quiet_hours.map(|q| clock_time(q.0)).unwrap_or_default(),
            quiet_end: s.quiet_hours.map(|q| clock_time(q.1)).unwrap_or_default(),
            cap_day: cap(s.cap_day),
            cap_week: cap(s.cap_week),
            cap_month: cap(s.cap_month),
            min_gap_minutes: s.min_gap_minutes.to_string(),
        }
    }
}

/// How many messages of one kind on one channel are in one state (and why, when held or
/// suppressed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryCount {
    pub kind: String,
    pub channel: Channel,
    pub status: MessageStatus,
    pub reason: Option<HoldReason>,
    pub count: i64,
}

/// A message that failed, for the list a manager follows up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedMessage {
    pub id: i64,
    pub member_id: Option<i64>,
    pub recipient: String,
    pub channel: Channel,
    pub kind: String,
    pub attempts: i64,
    pub error: String,
    pub at: Timestamp,
}

/// One of a member's messages, as Manage lists them (what became of each, and why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberMessage {
    pub id: i64,
    pub created_at: Timestamp,
    pub kind: String,
    pub channel: Channel,
    pub subject: String,
    pub status: MessageStatus,
    /// Why it waits or was not sent.
    pub reason: Option<HoldReason>,
    pub attempts: i64,
    /// The last delivery error (a bounce, a provider's refusal).
    pub error: Option<String>,
    pub delivered_at: Option<Timestamp>,
}

/// A member's messages in a program, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberMessages {
    pub member_name: String,
    pub messages: Vec<MemberMessage>,
}

/// A program's messaging page: its settings and what its messages did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagesOverview {
    pub settings: MessageSettingsForm,
    pub counts: Vec<DeliveryCount>,
    pub failed: Vec<FailedMessage>,
}

/// An email kept in the development mailbox (no SMTP server set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct KeptEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub delivered_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_need_their_consent_and_the_channels() {
        let inbox_only = Consents(crate::model::consent::DEFAULT_CONSENTS);
        assert!(Topic::Service.allowed(Channel::InApp, inbox_only));
        assert!(Topic::Service.allowed(Channel::Email, inbox_only));
        assert!(!Topic::Service.allowed(Channel::Sms, inbox_only));
        assert!(!Topic::Offers.allowed(Channel::InApp, inbox_only));
        let offers = inbox_only.with(ConsentName::Offers, true);
        assert!(Topic::Offers.allowed(Channel::InApp, offers));
        assert!(!Topic::Offers.allowed(Channel::Email, offers));
        assert!(Topic::Offers.allowed(Channel::Email, offers.with(ConsentName::Email, true)));
        assert!(!Topic::Reminders.allowed(Channel::Email, offers.with(ConsentName::Email, true)));
    }
}
