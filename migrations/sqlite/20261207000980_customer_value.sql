-- Predictive CLV, fitted per program once a day from the member summaries (BG/NBD and
-- Gamma-Gamma): the fit and its report as the Customer value page shows them, and each
-- member's prediction, so the page lists members at risk by an index instead of scoring a
-- million members per view.
CREATE TABLE clv_fits (
    id         INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    fitted_at  BIGINT NOT NULL,
    -- model::insights::CustomerValue as JSON.
    report     TEXT   NOT NULL
);
CREATE INDEX clv_fits_program ON clv_fits (program_id, fitted_at);

CREATE TABLE member_predictions (
    membership_id      BIGINT NOT NULL PRIMARY KEY REFERENCES memberships (id),
    program_id         BIGINT NOT NULL REFERENCES programs (id),
    -- Probability of still being active, in millionths.
    p_alive_ppm        BIGINT NOT NULL,
    -- Expected repeat purchases in the next 12 months, in thousandths.
    expected_milli     BIGINT NOT NULL,
    -- Predicted value over the horizon and net spend so far, in minor units.
    clv_minor          BIGINT NOT NULL,
    historical_minor   BIGINT NOT NULL
);
-- Members at risk (P(active) under 50 %), the biggest spenders first: read in index order.
CREATE INDEX member_predictions_risk ON member_predictions (program_id, historical_minor)
    WHERE p_alive_ppm < 500000;
