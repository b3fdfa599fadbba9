//! Integration tests: repositories and the whole HTTP app, each on a fresh SQLite file and a
//! fresh PostgreSQL database. One binary, so the app is linked once.

mod support;

mod accounts;
mod api_fuzz;
mod api_members;
mod authz;
mod automations;
mod campaigns;
mod channel_api;
mod checkout;
mod clv;
mod consents;
mod desk_search;
mod engine;
mod free_rewards;
mod generator;
mod history_import;
mod http_auth;
mod http_security;
mod identity;
mod journeys;
mod layers;
mod ledger_props;
mod mends;
mod messages;
mod repo_ledger;
mod repo_programs;
mod repo_users;
mod rollups;
mod safety_api;
mod safety_engine;
mod schema_parity;
mod segments;
mod signups;
mod stores;
mod surveys;
mod templates;
mod tier_reward_insights;
mod webhooks;
