-- Idempotency keys (docs/api.md): a running request now marks its key with an advisory lock held
-- by its own transaction, and a key's row is written only with its answer. Rows without an answer
-- were left by requests that died under the earlier scheme: they mean nothing now.
DELETE FROM idempotency_keys WHERE status IS NULL;

-- Keys expire after a time to live and are pruned by age.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
