-- State that is deliberately *not* in the event log.

-- Password hashes stay out of events: the log is exported to auditors and never deleted.
CREATE TABLE credentials (
    user_id       uuid        PRIMARY KEY,
    email         text        NOT NULL UNIQUE,
    password_hash text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('customer', 'staff')),
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Refresh tokens, stored as SHA-256 digests. Rotation keeps a family: presenting a token that was
-- already rotated away revokes the whole family (a stolen token is detected on its second use).
CREATE TABLE refresh_tokens (
    token_hash  bytea       PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES credentials (user_id),
    family_id   uuid        NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    replaced_by bytea,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- HTTP idempotency: the first response to (caller, key), returned verbatim to retries.
CREATE TABLE idempotency_keys (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash bytea       NOT NULL,
    status       smallint,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- Settings the engine generates for itself on first start (the JWT secret when none is given).
CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- Airport reference data (not event-sourced: public facts, loaded at start).
CREATE TABLE airports (
    code      char(3) PRIMARY KEY,
    name      text    NOT NULL,
    city      text    NOT NULL,
    country   text    NOT NULL,
    time_zone text    NOT NULL
);
