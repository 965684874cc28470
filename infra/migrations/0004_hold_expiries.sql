-- Seat holds that expire unless committed or released first (durable: found again after a restart).
CREATE TABLE hold_expiries (
    flight_id  text        NOT NULL,
    booking_id uuid        NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (flight_id, booking_id)
);
CREATE INDEX hold_expiries_due_idx ON hold_expiries (expires_at);
