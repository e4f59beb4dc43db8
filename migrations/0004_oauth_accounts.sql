-- OAuth2 accounts (XOAUTH2 / OAUTHBEARER): `secret` then holds the sealed access token, valid
-- until `secret_expires_at` (unix seconds); `refresh_secret` the sealed refresh token (empty
-- when the gateway cannot refresh) for `oauth_provider`. Password accounts keep the defaults.
ALTER TABLE accounts ADD COLUMN auth_kind TEXT NOT NULL DEFAULT 'password';
ALTER TABLE accounts ADD COLUMN secret_expires_at BIGINT;
ALTER TABLE accounts ADD COLUMN refresh_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN oauth_provider TEXT;
