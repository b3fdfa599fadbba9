//! Services: the use cases, each in one transaction — the booking pipeline (`booking`, with
//! `awards` for actions and `orders` for its entry points), the ledger and its lots,
//! redemption and codes, identity (resolve, link, merge), tiers, stamps, expiry and the
//! program setup the bookings read. A service may call stores and other services, never in a
//! circle.

pub mod account_changes;
pub mod account_mail;
pub mod accounts;
pub mod adjustments;
pub mod api_keys;
pub mod awards;
pub mod birthdays;
pub mod booking;
pub mod campaigns;
pub mod cards;
pub mod consents;
pub mod customer_value;
pub mod devices;
pub mod enrolment;
pub mod expiry;
pub mod identity;
pub mod journeys;
pub mod ledger;
pub mod members;
pub mod merges;
pub mod message_log;
pub mod names;
pub mod orders;
pub mod password_reset;
pub mod phones;
pub mod referrals;
pub mod rewards;
pub mod rollups;
pub mod rules;
pub mod segments;
pub mod setup;
pub mod signups;
pub mod stamps;
pub mod surveys;
pub mod templates;
pub mod tiers;
