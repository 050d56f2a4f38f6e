CREATE TABLE "floor_settings" (
	"conference_id" uuid PRIMARY KEY NOT NULL,
	"settings" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "motions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"list_id" uuid NOT NULL,
	"type" text NOT NULL,
	"params" jsonb NOT NULL,
	"mover_delegate_id" uuid,
	"moved_by" uuid,
	"state" text DEFAULT 'pending' NOT NULL,
	"majority" jsonb NOT NULL,
	"vote_id" uuid,
	"decided_by" text,
	"effect" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	CONSTRAINT "motions_state_check" CHECK ("motions"."state" in ('pending','voting','adopted','rejected','lapsed'))
);
--> statement-breakpoint
CREATE TABLE "speaker_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"list_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"delegate_id" uuid NOT NULL,
	"delegation_id" uuid NOT NULL,
	"quota_group" text,
	"first_congress" boolean NOT NULL,
	"kind" text NOT NULL,
	"category" text,
	"motion_id" uuid,
	"private" boolean DEFAULT false NOT NULL,
	"state" text DEFAULT 'waiting' NOT NULL,
	"limit_ms" integer,
	"pin_after" uuid,
	"pin_order" integer,
	"pinned" boolean DEFAULT false NOT NULL,
	"requested_by" uuid,
	"requested_at" timestamp with time zone NOT NULL,
	"speech_no" integer,
	"waived" boolean DEFAULT false NOT NULL,
	"ends_list" boolean DEFAULT false NOT NULL,
	"started_at" timestamp with time zone,
	"paused_at" timestamp with time zone,
	"paused_ms" integer DEFAULT 0 NOT NULL,
	"ended_at" timestamp with time zone,
	"spoken_ms" integer,
	CONSTRAINT "speaker_requests_kind_check" CHECK ("speaker_requests"."kind" in ('contribution','for','against','point_of_order','reply','question','procedural_motion')),
	CONSTRAINT "speaker_requests_state_check" CHECK ("speaker_requests"."state" in ('waiting','speaking','paused','done','withdrawn')),
	CONSTRAINT "speaker_requests_time_check" CHECK ("speaker_requests"."paused_ms" >= 0 and coalesce("speaker_requests"."spoken_ms", 0) >= 0)
);
--> statement-breakpoint
CREATE TABLE "speakers_lists" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"conference_id" uuid NOT NULL,
	"agenda_item_id" uuid NOT NULL,
	"subject_key" text DEFAULT 'item' NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"rule_set" text NOT NULL,
	"rules" jsonb NOT NULL,
	"limits" jsonb NOT NULL,
	"delegation_budget_ms" integer,
	"debate_closed" boolean DEFAULT false NOT NULL,
	"assembly_continued_at" integer,
	"next_seq" integer DEFAULT 0 NOT NULL,
	"pin_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "speakers_lists_state_check" CHECK ("speakers_lists"."state" in ('open','closed'))
);
--> statement-breakpoint
ALTER TABLE "delegates" ADD COLUMN "quota_group" text;--> statement-breakpoint
ALTER TABLE "delegates" ADD COLUMN "first_congress" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "floor_settings" ADD CONSTRAINT "floor_settings_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "motions" ADD CONSTRAINT "motions_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "motions" ADD CONSTRAINT "motions_list_id_speakers_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "public"."speakers_lists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "motions" ADD CONSTRAINT "motions_mover_delegate_id_delegates_id_fk" FOREIGN KEY ("mover_delegate_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "motions" ADD CONSTRAINT "motions_moved_by_accounts_id_fk" FOREIGN KEY ("moved_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "motions" ADD CONSTRAINT "motions_vote_id_votes_id_fk" FOREIGN KEY ("vote_id") REFERENCES "public"."votes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "speaker_requests" ADD CONSTRAINT "speaker_requests_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "speaker_requests" ADD CONSTRAINT "speaker_requests_list_id_speakers_lists_id_fk" FOREIGN KEY ("list_id") REFERENCES "public"."speakers_lists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "speaker_requests" ADD CONSTRAINT "speaker_requests_delegate_id_delegates_id_fk" FOREIGN KEY ("delegate_id") REFERENCES "public"."delegates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "speaker_requests" ADD CONSTRAINT "speaker_requests_delegation_id_delegations_id_fk" FOREIGN KEY ("delegation_id") REFERENCES "public"."delegations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "speaker_requests" ADD CONSTRAINT "speaker_requests_motion_id_motions_id_fk" FOREIGN KEY ("motion_id") REFERENCES "public"."motions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "speaker_requests" ADD CONSTRAINT "speaker_requests_requested_by_accounts_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "speakers_lists" ADD CONSTRAINT "speakers_lists_conference_id_conferences_id_fk" FOREIGN KEY ("conference_id") REFERENCES "public"."conferences"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "speakers_lists" ADD CONSTRAINT "speakers_lists_agenda_item_id_agenda_items_id_fk" FOREIGN KEY ("agenda_item_id") REFERENCES "public"."agenda_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "motions_list_idx" ON "motions" USING btree ("list_id");--> statement-breakpoint
CREATE UNIQUE INDEX "motions_one_pending_uq" ON "motions" USING btree ("list_id") WHERE "motions"."state" in ('pending','voting');--> statement-breakpoint
CREATE UNIQUE INDEX "speaker_requests_list_seq_uq" ON "speaker_requests" USING btree ("list_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "speaker_requests_one_speaking_uq" ON "speaker_requests" USING btree ("list_id") WHERE "speaker_requests"."state" in ('speaking','paused');--> statement-breakpoint
CREATE UNIQUE INDEX "speaker_requests_no_duplicate_uq" ON "speaker_requests" USING btree ("list_id","delegate_id","kind") WHERE "speaker_requests"."state" = 'waiting' and "speaker_requests"."motion_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "speaker_requests_motion_side_uq" ON "speaker_requests" USING btree ("motion_id","kind") WHERE "speaker_requests"."motion_id" is not null and "speaker_requests"."state" <> 'withdrawn';--> statement-breakpoint
CREATE UNIQUE INDEX "speaker_requests_list_speech_uq" ON "speaker_requests" USING btree ("list_id","speech_no");--> statement-breakpoint
CREATE INDEX "speaker_requests_delegate_idx" ON "speaker_requests" USING btree ("delegate_id");--> statement-breakpoint
CREATE UNIQUE INDEX "speakers_lists_item_subject_uq" ON "speakers_lists" USING btree ("agenda_item_id","subject_key");