CREATE TABLE "election_ballots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"election_id" uuid NOT NULL,
	"round" integer NOT NULL,
	"seat_id" uuid NOT NULL,
	"part" integer DEFAULT 1 NOT NULL,
	"weight" integer NOT NULL,
	"cast_by_account_id" uuid,
	"cast_by_delegate_id" uuid,
	"cast_via" text NOT NULL,
	"cast_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "election_ballots_cast_via_check" CHECK ("election_ballots"."cast_via" in ('self','proxy','head','paper')),
	CONSTRAINT "election_ballots_weight_check" CHECK ("election_ballots"."weight" >= 1 and "election_ballots"."part" >= 1)
);
--> statement-breakpoint
CREATE TABLE "election_candidates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"election_id" uuid NOT NULL,
	"ordinal" integer NOT NULL,
	"name" text NOT NULL,
	"delegate_id" uuid,
	"delegation_id" uuid,
	"quota_group" text,
	"state" text DEFAULT 'nominated' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "election_candidates_state_check" CHECK ("election_candidates"."state" in ('nominated','withdrawn'))
);
--> statement-breakpoint
CREATE TABLE "election_choices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"election_id" uuid NOT NULL,
	"round" integer NOT NULL,
	"weight" integer NOT NULL,
	"count" integer NOT NULL,
	"ballot" jsonb NOT NULL,
	"paper" boolean NOT NULL,
	"seat_id" uuid,
	"batch_id" uuid,
	"receipt" text NOT NULL,
	CONSTRAINT "election_choices_positive_check" CHECK ("election_choices"."weight" >= 1 and "election_choices"."count" >= 1)
);
--> statement-breakpoint
CREATE TABLE "election_seats" (
	"election_id" uuid NOT NULL,
	"seat_id" uuid NOT NULL,
	"delegation_id" uuid NOT NULL,
	"delegate_id" uuid,
	"weight" integer NOT NULL,
	"present" boolean NOT NULL,
	"castable_by_id" uuid,
	CONSTRAINT "election_seats_election_id_seat_id_pk" PRIMARY KEY("election_id","seat_id"),
	CONSTRAINT "election_seats_weight_check" CHECK ("election_seats"."weight" >= 0)
);
--> statement-breakpoint
CREATE TABLE "elections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"title" text NOT NULL,
	"seats" integer NOT NULL,
	"method" text NOT NULL,
	"mode" text NOT NULL,
	"weighting" text NOT NULL,
	"quota" jsonb,
	"settings" jsonb NOT NULL,
	"state" text DEFAULT 'draft' NOT NULL,
	"round" integer DEFAULT 0 NOT NULL,
	"candidate_order" jsonb,
	"seed" text,
	"seed_hash" text,
	"electorate_hash" text,
	"rounds" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"result" jsonb,
	"opened_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "elections_seats_check" CHECK ("elections"."seats" >= 1),
	CONSTRAINT "elections_method_check" CHECK ("elections"."method" in ('yes_no_abstain','approval','majority_rounds','stv_scottish')),
	CONSTRAINT "elections_mode_check" CHECK ("elections"."mode" in ('roll_call','secret')),
	CONSTRAINT "elections_weighting_check" CHECK ("elections"."weighting" in ('delegate','delegation')),
	CONSTRAINT "elections_state_check" CHECK ("elections"."state" in ('draft','open','closed','cancelled'))
);
--> statement-breakpoint
ALTER TABLE "election_ballots" ADD CONSTRAINT "election_ballots_election_id_elections_id_fk" FOREIGN KEY ("election_id") REFERENCES "public"."elections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_ballots" ADD CONSTRAINT "election_ballots_cast_by_account_id_accounts_id_fk" FOREIGN KEY ("cast_by_account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_ballots" ADD CONSTRAINT "election_ballots_cast_by_delegate_id_delegates_id_fk" FOREIGN KEY ("cast_by_delegate_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_candidates" ADD CONSTRAINT "election_candidates_election_id_elections_id_fk" FOREIGN KEY ("election_id") REFERENCES "public"."elections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_candidates" ADD CONSTRAINT "election_candidates_delegate_id_delegates_id_fk" FOREIGN KEY ("delegate_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_candidates" ADD CONSTRAINT "election_candidates_delegation_id_delegations_id_fk" FOREIGN KEY ("delegation_id") REFERENCES "public"."delegations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_choices" ADD CONSTRAINT "election_choices_election_id_elections_id_fk" FOREIGN KEY ("election_id") REFERENCES "public"."elections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_seats" ADD CONSTRAINT "election_seats_election_id_elections_id_fk" FOREIGN KEY ("election_id") REFERENCES "public"."elections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_seats" ADD CONSTRAINT "election_seats_delegation_id_delegations_id_fk" FOREIGN KEY ("delegation_id") REFERENCES "public"."delegations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_seats" ADD CONSTRAINT "election_seats_delegate_id_delegates_id_fk" FOREIGN KEY ("delegate_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "election_seats" ADD CONSTRAINT "election_seats_castable_by_id_delegates_id_fk" FOREIGN KEY ("castable_by_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "elections" ADD CONSTRAINT "elections_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "elections" ADD CONSTRAINT "elections_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "election_ballots_seat_uq" ON "election_ballots" USING btree ("election_id","round","seat_id","part");--> statement-breakpoint
CREATE UNIQUE INDEX "election_candidates_ordinal_uq" ON "election_candidates" USING btree ("election_id","ordinal");--> statement-breakpoint
CREATE INDEX "election_choices_election_idx" ON "election_choices" USING btree ("election_id","round");--> statement-breakpoint
CREATE UNIQUE INDEX "election_choices_receipt_uq" ON "election_choices" USING btree ("receipt");--> statement-breakpoint
CREATE INDEX "elections_conference_idx" ON "elections" USING btree ("conference_id","created_at");