//! What can go wrong in fitting and predicting, each worded for the person running the
//! command (the CLI prints these as they are).

/// A model that cannot be fitted or a prediction that is undefined.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClvError {
    /// Not enough customers (or repeat buyers) for the model to be identified.
    #[error("too little data: {0}")]
    TooLittleData(String),
    /// Parameters that are not positive finite numbers.
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    /// Gamma-Gamma with q <= 1: the mean of the spend distribution, p·gamma/(q - 1), does not
    /// exist, so neither does the expected spend of a customer without repeat purchases.
    #[error(
        "Gamma-Gamma q = {0} is not above 1: the expected spend per purchase (p·gamma/(q-1)) is \
         undefined, so no spend or CLV can be predicted"
    )]
    SpendUndefined(f64),
    /// The optimiser failed or ended on parameters that the data does not pin down.
    #[error("the {model} fit did not converge: {reason}")]
    NoConvergence {
        model: &'static str,
        reason: String,
        /// The parameters (by position) that ran off to infinity, when that is why.
        to_infinity: Vec<usize>,
    },
    /// 2F1 outside the domain implemented here, or a series that would not converge.
    #[error("2F1({a}, {b}; {c}; {z}): {reason}")]
    Hyp2f1 {
        a: f64,
        b: f64,
        c: f64,
        z: f64,
        reason: &'static str,
    },
}
