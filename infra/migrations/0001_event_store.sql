-- The event store: one append-only table, a command ledger and one append function.
--
-- Global positions are assigned by construction in commit order (docs/adr/0002): the position of an
-- event is (xid of its transaction << 16) + its index in the append. A reader only reads events of
-- transactions older than the oldest one still running (pg_snapshot_xmin), so every event it reads
-- has a final position: nothing can ever be committed below it afterwards. Appends to one stream are
-- serialised by an advisory lock taken *before* the transaction gets its xid, so stream order and
-- global order agree.

CREATE TABLE events (
    global_position bigint      PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version > 0),
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    payload         jsonb       NOT NULL,
    metadata        jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL,
    UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_type_idx ON events (event_type, global_position);
CREATE INDEX events_correlation_idx ON events (((metadata ->> 'correlation_id')::uuid), global_position);

-- Events are the record: never updated, never deleted.
CREATE FUNCTION skyfly_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable (% on event store)', TG_OP USING ERRCODE = 'SF001';
END $$;
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION skyfly_events_immutable();

-- Commands that appended events, recorded in the same transaction: a redelivered command (same id)
-- appends nothing and learns what the first delivery appended.
CREATE TABLE commands (
    command_id     uuid        PRIMARY KEY,
    stream_id      text        NOT NULL,
    stream_version bigint      NOT NULL,
    last_position  bigint      NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);

-- p_expected: -1 = any, -2 = no stream, n >= 0 = exact version n.
-- Returns ('appended' | 'duplicate' | 'conflict', stream version, last position).
CREATE FUNCTION skyfly_append(p_stream text, p_expected bigint, p_command uuid, p_events jsonb)
RETURNS TABLE (outcome text, version bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_current bigint;
    v_base    bigint;
    v_count   bigint := jsonb_array_length(p_events);
BEGIN
    IF v_count = 0 OR v_count > 65535 THEN
        RAISE EXCEPTION 'an append carries 1 to 65535 events, not %', v_count USING ERRCODE = 'SF002';
    END IF;
    -- Serialise appends to this stream. Advisory locks do not assign an xid, so the xid taken below
    -- is younger than that of every earlier append to the stream.
    PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));

    IF p_command IS NOT NULL THEN
        RETURN QUERY SELECT 'duplicate'::text, c.stream_version, c.last_position
                     FROM commands c WHERE c.command_id = p_command;
        IF FOUND THEN RETURN; END IF;
    END IF;

    SELECT coalesce(max(e.stream_version), 0) INTO v_current FROM events e WHERE e.stream_id = p_stream;
    IF (p_expected = -2 AND v_current <> 0) OR (p_expected >= 0 AND v_current <> p_expected) THEN
        RETURN QUERY SELECT 'conflict'::text, v_current, 0::bigint;
        RETURN;
    END IF;

    v_base := (pg_current_xact_id()::text::bigint) << 16;
    INSERT INTO events (global_position, event_id, stream_id, stream_version, event_type,
                        schema_version, payload, metadata, recorded_at)
    SELECT v_base + t.ord, (t.e ->> 'event_id')::uuid, p_stream, v_current + t.ord,
           t.e ->> 'event_type', (t.e ->> 'schema_version')::integer, t.e -> 'payload',
           t.e -> 'metadata', (t.e ->> 'recorded_at')::timestamptz
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(e, ord);

    IF p_command IS NOT NULL THEN
        INSERT INTO commands (command_id, stream_id, stream_version, last_position)
        VALUES (p_command, p_stream, v_current + v_count, v_base + v_count);
    END IF;
    RETURN QUERY SELECT 'appended'::text, v_current + v_count, v_base + v_count;
END $$;

-- Everything below this position is final (no transaction that could still commit is older).
CREATE FUNCTION skyfly_watermark() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint) << 16
$$;
