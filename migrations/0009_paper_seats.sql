ALTER TABLE "delegates" ADD COLUMN "votes_on_paper" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "electorate_seats" ADD COLUMN "on_paper" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "election_seats" ADD COLUMN "on_paper" boolean DEFAULT false NOT NULL;