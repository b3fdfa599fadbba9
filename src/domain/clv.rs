//! Predictive customer lifetime value from a transaction log: BG/NBD (Fader, Hardie and Lee
//! 2005) for how many purchases a customer will make and whether they are still active,
//! Gamma-Gamma (Fader and Hardie 2013) for how much they spend per purchase, fitted by
//! maximum likelihood and combined into a discounted CLV. Server only (the `omniloyal clv`
//! command); it keeps the optimiser out of the browser's bundle.
//!
//! The modules, in the order data flows: `transactions` (the log, the RFM summary),
//! `bgnbd` and `gamma_gamma` (likelihoods and predictions, over customers grouped by their
//! sufficient statistics), `hyp2f1` (the function BG/NBD's expectation needs), `fit`
//! (Nelder-Mead), `value` (the CLV), `report` (the command's output); `error` and
//! `parallel` (work over the cores) serve them all.

pub mod bgnbd;
pub mod error;
pub mod fit;
pub mod gamma_gamma;
pub mod hyp2f1;
pub mod parallel;
pub mod report;
pub mod transactions;
pub mod value;
