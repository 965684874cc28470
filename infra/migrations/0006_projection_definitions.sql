-- The table definition each read model was built with: when a new release changes it, the
-- projector rebuilds the read model from the log (into fresh tables, switched over atomically).
ALTER TABLE projection_checkpoints ADD COLUMN definition text;
