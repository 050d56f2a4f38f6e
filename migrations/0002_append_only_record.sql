-- The record is append-only: ballots, secret choices, the electorate snapshot, corrections
-- and the event log can be inserted, never updated, deleted or truncated, whatever the
-- service's code does. A changed ballot is a new row with the next revision.
CREATE OR REPLACE FUNCTION plenary_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the % table is append-only: % is refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'P0001', HINT = 'plenary_append_only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER ballots_append_only BEFORE UPDATE OR DELETE ON ballots FOR EACH ROW EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ballots_no_truncate BEFORE TRUNCATE ON ballots FOR EACH STATEMENT EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER secret_choices_append_only BEFORE UPDATE OR DELETE ON secret_choices FOR EACH ROW EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER secret_choices_no_truncate BEFORE TRUNCATE ON secret_choices FOR EACH STATEMENT EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER electorate_seats_append_only BEFORE UPDATE OR DELETE ON electorate_seats FOR EACH ROW EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER electorate_seats_no_truncate BEFORE TRUNCATE ON electorate_seats FOR EACH STATEMENT EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER corrections_append_only BEFORE UPDATE OR DELETE ON corrections FOR EACH ROW EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION plenary_refuse_change();
