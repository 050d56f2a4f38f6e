CREATE TABLE "e2e_ballots" (
	"ceremony_id" uuid NOT NULL,
	"seat_id" uuid NOT NULL,
	"weight" integer NOT NULL,
	"split" boolean NOT NULL,
	"tracker" text NOT NULL,
	"ballot" jsonb NOT NULL,
	CONSTRAINT "e2e_ballots_weight_check" CHECK ("e2e_ballots"."weight" >= 1)
);
--> statement-breakpoint
CREATE TABLE "e2e_ceremonies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"conference_id" uuid NOT NULL,
	"context" jsonb NOT NULL,
	"threshold" integer NOT NULL,
	"teller_account_ids" jsonb NOT NULL,
	"shape" jsonb NOT NULL,
	"phase" text DEFAULT 'identities' NOT NULL,
	"qualified" jsonb,
	"public_key" text,
	"aggregate" jsonb,
	"totals" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "e2e_ceremonies_subject_kind_check" CHECK ("e2e_ceremonies"."subject_kind" in ('vote','election')),
	CONSTRAINT "e2e_ceremonies_phase_check" CHECK ("e2e_ceremonies"."phase" in ('identities','dealings','checks','ready','failed','decrypting','decrypted')),
	CONSTRAINT "e2e_ceremonies_threshold_check" CHECK ("e2e_ceremonies"."threshold" >= 1)
);
--> statement-breakpoint
CREATE TABLE "e2e_tellers" (
	"ceremony_id" uuid NOT NULL,
	"index" integer NOT NULL,
	"account_id" uuid NOT NULL,
	"identity" jsonb,
	"dealing" jsonb,
	"complaints" jsonb,
	"partial" jsonb,
	CONSTRAINT "e2e_tellers_ceremony_id_index_pk" PRIMARY KEY("ceremony_id","index"),
	CONSTRAINT "e2e_tellers_index_check" CHECK ("e2e_tellers"."index" >= 1)
);
--> statement-breakpoint
ALTER TABLE "votes" DROP CONSTRAINT "votes_mode_check";--> statement-breakpoint
ALTER TABLE "votes" DROP CONSTRAINT "votes_state_check";--> statement-breakpoint
ALTER TABLE "votes" DROP CONSTRAINT "votes_secret_no_change_check";--> statement-breakpoint
ALTER TABLE "elections" DROP CONSTRAINT "elections_mode_check";--> statement-breakpoint
ALTER TABLE "elections" DROP CONSTRAINT "elections_state_check";--> statement-breakpoint
ALTER TABLE "e2e_ballots" ADD CONSTRAINT "e2e_ballots_ceremony_id_e2e_ceremonies_id_fk" FOREIGN KEY ("ceremony_id") REFERENCES "public"."e2e_ceremonies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "e2e_ceremonies" ADD CONSTRAINT "e2e_ceremonies_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "e2e_tellers" ADD CONSTRAINT "e2e_tellers_ceremony_id_e2e_ceremonies_id_fk" FOREIGN KEY ("ceremony_id") REFERENCES "public"."e2e_ceremonies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "e2e_tellers" ADD CONSTRAINT "e2e_tellers_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "e2e_ballots_ceremony_seat_uq" ON "e2e_ballots" USING btree ("ceremony_id","seat_id");--> statement-breakpoint
CREATE UNIQUE INDEX "e2e_ballots_tracker_uq" ON "e2e_ballots" USING btree ("tracker");--> statement-breakpoint
CREATE UNIQUE INDEX "e2e_ceremonies_subject_uq" ON "e2e_ceremonies" USING btree ("subject_kind","subject_id");--> statement-breakpoint
ALTER TABLE "votes" ADD CONSTRAINT "votes_mode_check" CHECK ("votes"."mode" in ('roll_call','secret','secret_e2e'));--> statement-breakpoint
ALTER TABLE "votes" ADD CONSTRAINT "votes_state_check" CHECK ("votes"."state" in ('draft','open','counting','closed','cancelled'));--> statement-breakpoint
ALTER TABLE "votes" ADD CONSTRAINT "votes_secret_no_change_check" CHECK (not ("votes"."mode" in ('secret','secret_e2e') and "votes"."allow_change"));--> statement-breakpoint
ALTER TABLE "elections" ADD CONSTRAINT "elections_mode_check" CHECK ("elections"."mode" in ('roll_call','secret','secret_e2e'));--> statement-breakpoint
ALTER TABLE "elections" ADD CONSTRAINT "elections_state_check" CHECK ("elections"."state" in ('draft','open','counting','closed','cancelled'));--> statement-breakpoint
-- Encrypted ballots are append-only, as every other ballot table is (0002, 0007): the record's
-- ballots and the aggregate computed from them must be the ballots the voters cast.
CREATE TRIGGER e2e_ballots_append_only BEFORE UPDATE OR DELETE ON e2e_ballots FOR EACH ROW EXECUTE FUNCTION plenary_refuse_change();
--> statement-breakpoint
CREATE TRIGGER e2e_ballots_no_truncate BEFORE TRUNCATE ON e2e_ballots FOR EACH STATEMENT EXECUTE FUNCTION plenary_refuse_change();
