-- Phones' SIP accounts made from the panel (the configuration file's [[phones]] are
-- not here): the registrar reads one on each REGISTER, so an account works as soon as
-- it is saved. No password is kept: HA1 = H(user:realm:password) for each digest
-- algorithm, made for `realm` (a registrar of another realm cannot use them).
CREATE TABLE phone_account (
    username TEXT PRIMARY KEY,
    realm TEXT NOT NULL,
    ha1_md5 TEXT NOT NULL,
    ha1_sha256 TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
