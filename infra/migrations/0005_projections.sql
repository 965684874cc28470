-- Projections: each read model's position in the global log, written in the same transaction as
-- its rows, so every event takes effect exactly once across crashes and restarts.
CREATE TABLE projection_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
