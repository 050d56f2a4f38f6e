CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text,
	"password_hash" text,
	"role" text NOT NULL,
	"conference_id" uuid,
	"delegate_id" uuid,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_role_check" CHECK ("accounts"."role" in ('admin','chair','delegate','auditor')),
	CONSTRAINT "accounts_delegate_bound_check" CHECK (("accounts"."role" = 'delegate') = ("accounts"."delegate_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "agenda_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"sitting_id" uuid,
	"title" text NOT NULL,
	"description" text,
	"resolution_id" uuid,
	"position" integer NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agenda_items_state_check" CHECK ("agenda_items"."state" in ('pending','current','done','deferred'))
);
--> statement-breakpoint
CREATE TABLE "amendments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"resolution_id" uuid NOT NULL,
	"clause_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"kind" text NOT NULL,
	"text" text,
	"status" text DEFAULT 'submitted' NOT NULL,
	"proposer_delegation_id" uuid,
	"proposer_account_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	CONSTRAINT "amendments_kind_check" CHECK ("amendments"."kind" in ('replace','insert_after','delete')),
	CONSTRAINT "amendments_status_check" CHECK ("amendments"."status" in ('submitted','admitted','inadmissible','withdrawn')),
	CONSTRAINT "amendments_text_check" CHECK (("amendments"."kind" = 'delete') = ("amendments"."text" is null))
);
--> statement-breakpoint
CREATE TABLE "ballots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vote_id" uuid NOT NULL,
	"seat_id" uuid NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"yes" integer,
	"no" integer,
	"abstain" integer,
	"weight" integer NOT NULL,
	"cast_by_account_id" uuid,
	"cast_by_delegate_id" uuid,
	"cast_via" text NOT NULL,
	"cast_at" timestamp with time zone DEFAULT now() NOT NULL,
	"receipt" text,
	CONSTRAINT "ballots_cast_via_check" CHECK ("ballots"."cast_via" in ('self','proxy','head','paper')),
	CONSTRAINT "ballots_non_negative_check" CHECK (coalesce("ballots"."yes",0) >= 0 and coalesce("ballots"."no",0) >= 0 and coalesce("ballots"."abstain",0) >= 0 and "ballots"."weight" >= 0),
	CONSTRAINT "ballots_split_within_weight_check" CHECK (coalesce("ballots"."yes",0) + coalesce("ballots"."no",0) + coalesce("ballots"."abstain",0) <= "ballots"."weight"),
	CONSTRAINT "ballots_revision_check" CHECK ("ballots"."revision" >= 1)
);
--> statement-breakpoint
CREATE TABLE "clauses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"resolution_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"position" integer NOT NULL,
	"text" text NOT NULL,
	"translations" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conferences" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"location" text,
	"starts_on" date,
	"ends_on" date,
	"visibility" text DEFAULT 'public' NOT NULL,
	"current_agenda_item_id" uuid,
	"event_seq" bigint DEFAULT 0 NOT NULL,
	"event_head" text DEFAULT '0000000000000000000000000000000000000000000000000000000000000000' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conferences_visibility_check" CHECK ("conferences"."visibility" in ('public','private'))
);
--> statement-breakpoint
CREATE TABLE "corrections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vote_id" uuid NOT NULL,
	"delegate_id" uuid NOT NULL,
	"intended" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "corrections_intended_check" CHECK ("corrections"."intended" in ('yes','no','abstain','not_voting'))
);
--> statement-breakpoint
CREATE TABLE "delegates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"delegation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"role" text DEFAULT 'delegate' NOT NULL,
	"weight" integer DEFAULT 1 NOT NULL,
	"external_id" text,
	"present" boolean DEFAULT false NOT NULL,
	"proxy_to_id" uuid,
	"access_code_hash" text,
	"access_code_issued_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "delegates_role_check" CHECK ("delegates"."role" in ('head','delegate','alternate')),
	CONSTRAINT "delegates_weight_check" CHECK ("delegates"."weight" >= 0),
	CONSTRAINT "delegates_proxy_not_self_check" CHECK ("delegates"."proxy_to_id" is null or "delegates"."proxy_to_id" <> "delegates"."id")
);
--> statement-breakpoint
CREATE TABLE "delegations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"party_id" uuid,
	"name" text NOT NULL,
	"votes" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "delegations_votes_check" CHECK ("delegations"."votes" >= 0)
);
--> statement-breakpoint
CREATE TABLE "electorate_seats" (
	"vote_id" uuid NOT NULL,
	"seat_id" uuid NOT NULL,
	"delegation_id" uuid NOT NULL,
	"delegate_id" uuid,
	"weight" integer NOT NULL,
	"present" boolean NOT NULL,
	"castable_by_id" uuid,
	CONSTRAINT "electorate_seats_vote_id_seat_id_pk" PRIMARY KEY("vote_id","seat_id"),
	CONSTRAINT "electorate_seats_weight_check" CHECK ("electorate_seats"."weight" >= 0)
);
--> statement-breakpoint
CREATE TABLE "events" (
	"conference_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"actor" text,
	"at" text NOT NULL,
	"data" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"content_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "events_conference_id_seq_pk" PRIMARY KEY("conference_id","seq")
);
--> statement-breakpoint
CREATE TABLE "idempotency_records" (
	"account_id" uuid NOT NULL,
	"key" text NOT NULL,
	"scope" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_records_account_id_key_pk" PRIMARY KEY("account_id","key")
);
--> statement-breakpoint
CREATE TABLE "parties" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"abbreviation" text,
	"country" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "resolutions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"title" text NOT NULL,
	"preamble" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "secret_choices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vote_id" uuid NOT NULL,
	"yes" integer NOT NULL,
	"no" integer NOT NULL,
	"abstain" integer NOT NULL,
	"receipt" text NOT NULL,
	CONSTRAINT "secret_choices_non_negative_check" CHECK ("secret_choices"."yes" >= 0 and "secret_choices"."no" >= 0 and "secret_choices"."abstain" >= 0)
);
--> statement-breakpoint
CREATE TABLE "service_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"algorithm" text NOT NULL,
	"public_jwk" jsonb,
	"private_jwk" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone,
	CONSTRAINT "service_keys_purpose_check" CHECK ("service_keys"."purpose" in ('record-signing','token-hmac'))
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_reason" text
);
--> statement-breakpoint
CREATE TABLE "sittings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"title" text NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"position" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "votes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"title" text NOT NULL,
	"question" text,
	"subject_type" text NOT NULL,
	"subject_id" uuid,
	"mode" text NOT NULL,
	"weighting" text NOT NULL,
	"majority" jsonb NOT NULL,
	"quorum" jsonb,
	"allow_change" boolean DEFAULT false NOT NULL,
	"results_visibility" text DEFAULT 'live' NOT NULL,
	"state" text DEFAULT 'draft' NOT NULL,
	"voting_list_position" integer,
	"opened_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"electorate_hash" text,
	"result" jsonb,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "votes_subject_type_check" CHECK ("votes"."subject_type" in ('clause','amendment','resolution','motion')),
	CONSTRAINT "votes_mode_check" CHECK ("votes"."mode" in ('roll_call','secret')),
	CONSTRAINT "votes_weighting_check" CHECK ("votes"."weighting" in ('delegate','delegation')),
	CONSTRAINT "votes_visibility_check" CHECK ("votes"."results_visibility" in ('live','after_close')),
	CONSTRAINT "votes_state_check" CHECK ("votes"."state" in ('draft','open','closed','cancelled')),
	CONSTRAINT "votes_secret_no_change_check" CHECK (not ("votes"."mode" = 'secret' and "votes"."allow_change"))
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_delegate_id_delegates_id_fk" FOREIGN KEY ("delegate_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agenda_items" ADD CONSTRAINT "agenda_items_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agenda_items" ADD CONSTRAINT "agenda_items_sitting_id_sittings_id_fk" FOREIGN KEY ("sitting_id") REFERENCES "public"."sittings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "amendments" ADD CONSTRAINT "amendments_resolution_id_resolutions_id_fk" FOREIGN KEY ("resolution_id") REFERENCES "public"."resolutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "amendments" ADD CONSTRAINT "amendments_clause_id_clauses_id_fk" FOREIGN KEY ("clause_id") REFERENCES "public"."clauses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "amendments" ADD CONSTRAINT "amendments_proposer_delegation_id_delegations_id_fk" FOREIGN KEY ("proposer_delegation_id") REFERENCES "public"."delegations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "amendments" ADD CONSTRAINT "amendments_proposer_account_id_accounts_id_fk" FOREIGN KEY ("proposer_account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ballots" ADD CONSTRAINT "ballots_vote_id_votes_id_fk" FOREIGN KEY ("vote_id") REFERENCES "public"."votes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ballots" ADD CONSTRAINT "ballots_cast_by_account_id_accounts_id_fk" FOREIGN KEY ("cast_by_account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ballots" ADD CONSTRAINT "ballots_cast_by_delegate_id_delegates_id_fk" FOREIGN KEY ("cast_by_delegate_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clauses" ADD CONSTRAINT "clauses_resolution_id_resolutions_id_fk" FOREIGN KEY ("resolution_id") REFERENCES "public"."resolutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "corrections" ADD CONSTRAINT "corrections_vote_id_votes_id_fk" FOREIGN KEY ("vote_id") REFERENCES "public"."votes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "corrections" ADD CONSTRAINT "corrections_delegate_id_delegates_id_fk" FOREIGN KEY ("delegate_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegates" ADD CONSTRAINT "delegates_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegates" ADD CONSTRAINT "delegates_delegation_id_delegations_id_fk" FOREIGN KEY ("delegation_id") REFERENCES "public"."delegations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_party_id_parties_id_fk" FOREIGN KEY ("party_id") REFERENCES "public"."parties"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "electorate_seats" ADD CONSTRAINT "electorate_seats_vote_id_votes_id_fk" FOREIGN KEY ("vote_id") REFERENCES "public"."votes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "electorate_seats" ADD CONSTRAINT "electorate_seats_delegation_id_delegations_id_fk" FOREIGN KEY ("delegation_id") REFERENCES "public"."delegations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "electorate_seats" ADD CONSTRAINT "electorate_seats_delegate_id_delegates_id_fk" FOREIGN KEY ("delegate_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "electorate_seats" ADD CONSTRAINT "electorate_seats_castable_by_id_delegates_id_fk" FOREIGN KEY ("castable_by_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_records" ADD CONSTRAINT "idempotency_records_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resolutions" ADD CONSTRAINT "resolutions_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "secret_choices" ADD CONSTRAINT "secret_choices_vote_id_votes_id_fk" FOREIGN KEY ("vote_id") REFERENCES "public"."votes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sittings" ADD CONSTRAINT "sittings_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "votes" ADD CONSTRAINT "votes_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "votes" ADD CONSTRAINT "votes_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_username_uq" ON "accounts" USING btree ("username");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_delegate_uq" ON "accounts" USING btree ("delegate_id");--> statement-breakpoint
CREATE INDEX "agenda_items_conference_idx" ON "agenda_items" USING btree ("conference_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "amendments_resolution_number_uq" ON "amendments" USING btree ("resolution_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "ballots_vote_seat_revision_uq" ON "ballots" USING btree ("vote_id","seat_id","revision");--> statement-breakpoint
CREATE UNIQUE INDEX "ballots_receipt_uq" ON "ballots" USING btree ("receipt");--> statement-breakpoint
CREATE UNIQUE INDEX "clauses_resolution_number_uq" ON "clauses" USING btree ("resolution_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "corrections_vote_delegate_uq" ON "corrections" USING btree ("vote_id","delegate_id");--> statement-breakpoint
CREATE INDEX "delegates_delegation_idx" ON "delegates" USING btree ("delegation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "delegates_conference_external_uq" ON "delegates" USING btree ("conference_id","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "delegates_access_code_uq" ON "delegates" USING btree ("access_code_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "delegations_conference_name_uq" ON "delegations" USING btree ("conference_id","name");--> statement-breakpoint
CREATE INDEX "secret_choices_vote_idx" ON "secret_choices" USING btree ("vote_id");--> statement-breakpoint
CREATE UNIQUE INDEX "secret_choices_receipt_uq" ON "secret_choices" USING btree ("receipt");--> statement-breakpoint
CREATE INDEX "sessions_account_idx" ON "sessions" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "sittings_conference_idx" ON "sittings" USING btree ("conference_id","position");--> statement-breakpoint
CREATE INDEX "votes_conference_idx" ON "votes" USING btree ("conference_id","created_at");--> statement-breakpoint
CREATE INDEX "votes_deadline_idx" ON "votes" USING btree ("deadline_at");