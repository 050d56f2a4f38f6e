-- An election's ballots, their contents and its frozen electorate are append-only, as a vote's are.
CREATE TRIGGER election_ballots_append_only BEFORE UPDATE OR DELETE ON election_ballots FOR EACH ROW EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER election_ballots_no_truncate BEFORE TRUNCATE ON election_ballots FOR EACH STATEMENT EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER election_choices_append_only BEFORE UPDATE OR DELETE ON election_choices FOR EACH ROW EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER election_choices_no_truncate BEFORE TRUNCATE ON election_choices FOR EACH STATEMENT EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER election_seats_append_only BEFORE UPDATE OR DELETE ON election_seats FOR EACH ROW EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER election_seats_no_truncate BEFORE TRUNCATE ON election_seats FOR EACH STATEMENT EXECUTE FUNCTION plenary_refuse_change();
