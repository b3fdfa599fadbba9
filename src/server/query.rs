//! Read models: what a page or the channel API shows, read and written to nothing. A query
//! may call stores and the read helpers of services; no store or service calls a query.

pub mod channels;
pub mod insights;
pub mod member_values;
pub mod member_view;
pub mod redemptions;
pub mod retention;
pub mod reward_view;
pub mod satisfaction;
pub mod stamp_view;
pub mod tiers;
