-- The language a signed-in person chose (a tag such as 'ar', 'ar-MA' or 'en'): pages are
-- shown in it on any device once they sign in. NULL: none chosen; the browser's is used.
ALTER TABLE users ADD COLUMN locale TEXT;
