-- Survey answers per program, UTC day, channel, store (0: none), tier (0: none) and score,
-- with how many came with a comment: the Satisfaction page's counts without reading every
-- answer of its range (~200 ms a year's view at 600k members). Written with each answer, in
-- its transaction (answers are never changed), and recounted by `rollups rebuild`.
CREATE TABLE survey_days (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    day        BIGINT NOT NULL,
    channel    TEXT   NOT NULL,
    store_id   BIGINT NOT NULL,
    tier_id    BIGINT NOT NULL,
    score      BIGINT NOT NULL,
    answers    BIGINT NOT NULL DEFAULT 0,
    comments   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, day, channel, store_id, tier_id, score)
);
INSERT INTO survey_days (program_id, day, channel, store_id, tier_id, score, answers, comments)
SELECT program_id, answered_at / 86400, channel, COALESCE(store_id, 0), COALESCE(tier_id, 0), score,
       COUNT(*), SUM(CASE WHEN comment IS NULL THEN 0 ELSE 1 END)
FROM survey_answers
GROUP BY program_id, answered_at / 86400, channel, COALESCE(store_id, 0), COALESCE(tier_id, 0), score;
