//! Stores: the brand's shops (and web shops or apps with a code of their own), where orders
//! are placed, named by code by tills, the channel API and the Desk.

use serde::{Deserialize, Serialize};

use crate::model::rules::Channel;
use crate::model::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    pub id: i64,
    /// In capitals: "PARIS-1".
    pub code: String,
    pub name: String,
    pub channel: Channel,
    /// An IANA time zone: "Europe/Paris".
    pub time_zone: String,
    /// Closed stores are not offered on the Desk; the API still books their late orders.
    pub active: bool,
    pub created_at: Timestamp,
}

/// The Manage form: a new store, or an existing code's new name, channel or time zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInput {
    pub code: String,
    pub name: String,
    /// "store", "web" or "app".
    pub channel: String,
    pub time_zone: String,
}
