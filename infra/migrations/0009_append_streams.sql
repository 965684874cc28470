-- One append to several streams in one transaction (a booking and its saga come into existence
-- together: issue 12 A). The same guarantees as skyfly_append (0001), for every part:
-- - every stream's advisory lock is taken before the transaction gets its xid (in one sorted
--   order, so two multi-stream appends cannot deadlock), so stream order and global order agree;
-- - every expected version is checked before anything is written: one conflict and nothing is;
-- - a part whose command is already recorded appends nothing ('duplicate'), the others append;
-- - positions are (xid << 16) + the event's index across all parts, so they never collide.
--
-- p_appends: [{"stream": text, "expected": bigint, "command": uuid|null, "events": [...]}, ...]
-- with "expected" and "events" as skyfly_append takes them.
-- Returns one row per part, in order: (part, outcome, version, last_position), or, on a conflict,
-- only the conflicting part's row ('conflict', its current version, 0).
CREATE FUNCTION skyfly_append_streams(p_appends jsonb)
RETURNS TABLE (part bigint, outcome text, version bigint, last_position bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_parts    bigint := jsonb_array_length(p_appends);
    v_stream   text;
    v_item     jsonb;
    v_i        integer;
    v_expected bigint;
    v_command  uuid;
    v_count    bigint;
    v_total    bigint := 0;
    v_current  bigint[] := '{}';
    v_dup      boolean[] := '{}';
    v_done     record;
    v_base     bigint;
    v_offset   bigint := 0;
BEGIN
    IF v_parts = 0 THEN
        RAISE EXCEPTION 'an append names at least one stream' USING ERRCODE = 'SF002';
    END IF;
    IF (SELECT count(DISTINCT a ->> 'stream') FROM jsonb_array_elements(p_appends) a) <> v_parts THEN
        RAISE EXCEPTION 'an append names each stream once' USING ERRCODE = 'SF002';
    END IF;
    FOR v_stream IN SELECT DISTINCT a ->> 'stream' FROM jsonb_array_elements(p_appends) a ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(v_stream, 0));
    END LOOP;

    -- Check every part before writing any.
    FOR v_i IN 1 .. v_parts LOOP
        v_item := p_appends -> (v_i - 1);
        v_stream := v_item ->> 'stream';
        v_expected := (v_item ->> 'expected')::bigint;
        v_command := (v_item ->> 'command')::uuid;
        v_count := jsonb_array_length(v_item -> 'events');
        IF v_count = 0 THEN
            RAISE EXCEPTION 'an append carries at least one event per stream' USING ERRCODE = 'SF002';
        END IF;
        v_dup := v_dup || (v_command IS NOT NULL AND EXISTS (SELECT 1 FROM commands c WHERE c.command_id = v_command));
        v_current := v_current || (SELECT coalesce(max(e.stream_version), 0) FROM events e WHERE e.stream_id = v_stream);
        IF NOT v_dup[v_i] THEN
            IF (v_expected = -2 AND v_current[v_i] <> 0) OR (v_expected >= 0 AND v_current[v_i] <> v_expected) THEN
                RETURN QUERY SELECT v_i::bigint, 'conflict'::text, v_current[v_i], 0::bigint;
                RETURN;
            END IF;
            v_total := v_total + v_count;
        END IF;
    END LOOP;
    IF v_total > 65535 THEN
        RAISE EXCEPTION 'an append carries at most 65535 events, not %', v_total USING ERRCODE = 'SF002';
    END IF;

    IF v_total > 0 THEN
        v_base := (pg_current_xact_id()::text::bigint) << 16;
    END IF;
    FOR v_i IN 1 .. v_parts LOOP
        v_item := p_appends -> (v_i - 1);
        v_stream := v_item ->> 'stream';
        v_command := (v_item ->> 'command')::uuid;
        IF v_dup[v_i] THEN
            SELECT c.stream_version, c.last_position INTO v_done FROM commands c WHERE c.command_id = v_command;
            RETURN QUERY SELECT v_i::bigint, 'duplicate'::text, v_done.stream_version, v_done.last_position;
            CONTINUE;
        END IF;
        v_count := jsonb_array_length(v_item -> 'events');
        INSERT INTO events (global_position, event_id, stream_id, stream_version, event_type,
                            schema_version, payload, metadata, recorded_at)
        SELECT v_base + v_offset + t.ord, (t.e ->> 'event_id')::uuid, v_stream, v_current[v_i] + t.ord,
               t.e ->> 'event_type', (t.e ->> 'schema_version')::integer, t.e -> 'payload',
               t.e -> 'metadata', (t.e ->> 'recorded_at')::timestamptz
        FROM jsonb_array_elements(v_item -> 'events') WITH ORDINALITY AS t(e, ord);
        v_offset := v_offset + v_count;
        IF v_command IS NOT NULL THEN
            INSERT INTO commands (command_id, stream_id, stream_version, last_position)
            VALUES (v_command, v_stream, v_current[v_i] + v_count, v_base + v_offset);
        END IF;
        RETURN QUERY SELECT v_i::bigint, 'appended'::text, v_current[v_i] + v_count, v_base + v_offset;
    END LOOP;
END $$;
