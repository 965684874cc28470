-- What the last rebuild of each read model came to, for operators (GET /admin/projections): one
-- rebuild of a read model runs at a time (a session advisory lock, projections/src/rebuild.rs),
-- and a failed one stays visible here with its reason.
CREATE TABLE projection_rebuilds (
    name        text        PRIMARY KEY,
    state       text        NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    done        bigint      NOT NULL,
    total       bigint      NOT NULL,
    error       text,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz
);
