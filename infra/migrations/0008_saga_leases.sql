-- Scale-out (docs/adr/0005): a worker claims the sagas it drives. A claim names the worker and
-- lapses unless renewed, so the sagas of a worker that died are taken over by the others.
ALTER TABLE saga_wakeups
    ADD COLUMN lease_owner uuid,
    ADD COLUMN lease_until timestamptz;
CREATE INDEX saga_wakeups_lease_idx ON saga_wakeups (lease_owner) WHERE lease_owner IS NOT NULL;
