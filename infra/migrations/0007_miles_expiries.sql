-- When each loyalty account next has miles to expire (DOMAIN.md: expiry is an event produced by a
-- scheduled process). Durable, so expiries that came due while the engine was down still happen.
CREATE TABLE miles_expiries (
    account_id uuid        NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, expires_at)
);
CREATE INDEX miles_expiries_due_idx ON miles_expiries (expires_at);
