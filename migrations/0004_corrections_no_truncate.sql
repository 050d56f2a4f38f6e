-- Issue 20, S6: corrections had the row triggers of 0002 but not the statement trigger
-- that refuses TRUNCATE, which every other table of the record has.
CREATE TRIGGER corrections_no_truncate BEFORE TRUNCATE ON corrections FOR EACH STATEMENT EXECUTE FUNCTION plenary_refuse_change();
