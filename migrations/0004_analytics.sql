CREATE TABLE "credential_events" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"credential_id" text NOT NULL,
	"achievement_id" text,
	"kind" text NOT NULL,
	"channel" text NOT NULL,
	"outcome" text,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "credential_events_org_idx" ON "credential_events" USING btree ("org_id","occurred_at");--> statement-breakpoint
CREATE INDEX "credential_events_achievement_idx" ON "credential_events" USING btree ("achievement_id","occurred_at");--> statement-breakpoint
CREATE INDEX "credential_events_credential_idx" ON "credential_events" USING btree ("credential_id","occurred_at");