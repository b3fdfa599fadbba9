-- Program-side balances are derived from ledger_postings (see server/repo/ledger.rs): a
-- running-balance row per program account was updated by every order of the program and
-- serialised all of them on its row lock.
DROP TABLE program_accounts;
