-- The Desk finds members by phone however it was typed, and by name.
--
-- The country national phone numbers are read in ("06 12 34 56 78" is +33 6 12 34 56 78 in
-- FR), as ISO 3166-1 alpha-2: a program's, and a store's where it differs (NULL: a store's
-- is the country of its time zone). Programs paid in a currency of one country start with
-- that country; the others (EUR...) are read by their stores' countries until one is set.
ALTER TABLE programs ADD COLUMN country TEXT;
ALTER TABLE stores ADD COLUMN country TEXT;
UPDATE programs SET country = CASE currency_code
    WHEN 'GBP' THEN 'GB' WHEN 'CHF' THEN 'CH' WHEN 'USD' THEN 'US' WHEN 'CAD' THEN 'CA'
    WHEN 'JPY' THEN 'JP' WHEN 'AUD' THEN 'AU' WHEN 'NZD' THEN 'NZ' WHEN 'SEK' THEN 'SE'
    WHEN 'NOK' THEN 'NO' WHEN 'DKK' THEN 'DK' WHEN 'PLN' THEN 'PL' WHEN 'CZK' THEN 'CZ'
    WHEN 'HUF' THEN 'HU' WHEN 'RON' THEN 'RO' WHEN 'ISK' THEN 'IS' WHEN 'TRY' THEN 'TR'
    WHEN 'BRL' THEN 'BR' WHEN 'MXN' THEN 'MX' WHEN 'INR' THEN 'IN' WHEN 'SGD' THEN 'SG'
    WHEN 'HKD' THEN 'HK' WHEN 'KRW' THEN 'KR' WHEN 'CNY' THEN 'CN' WHEN 'ZAR' THEN 'ZA'
    WHEN 'MAD' THEN 'MA' WHEN 'AED' THEN 'AE'
    END;

-- Every tail of a registered member's folded name from a word on ("lea martin",
-- "martin"): a name search is a prefix range on `tail` ('lea mart' <= tail < 'lea maru'),
-- kept on every write of a name (`service::names`); names written before are indexed at
-- start-up. Bytewise order, so the range is the prefix whatever the database's locale.
CREATE TABLE member_name_keys (
    tail      TEXT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id),
    PRIMARY KEY (tail, member_id)
);
CREATE INDEX member_name_keys_member ON member_name_keys (member_id);
