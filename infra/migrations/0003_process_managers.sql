-- Process managers: their position in the global log, and the sagas in flight with their next
-- wake-up (durable deadlines: a deadline that came due while the engine was down is found here on
-- restart).
CREATE TABLE process_checkpoints (
    process  text   PRIMARY KEY,
    position bigint NOT NULL
);

CREATE TABLE saga_wakeups (
    saga_id uuid        PRIMARY KEY,
    wake_at timestamptz,
    updated timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saga_wakeups_due_idx ON saga_wakeups (wake_at NULLS FIRST);
