CREATE TABLE "credential_event_months" (
	"org_id" text NOT NULL,
	"credential_id" text NOT NULL,
	"achievement_id" text,
	"kind" text NOT NULL,
	"channel" text NOT NULL,
	"month" date NOT NULL,
	"total" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "retention_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"trigger" text NOT NULL,
	"ran_at" timestamp with time zone NOT NULL,
	"counts" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_entries" ADD COLUMN "format" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_entries" ADD COLUMN "personal_salt" text;--> statement-breakpoint
ALTER TABLE "audit_entries" ADD COLUMN "personal_digest" text;--> statement-breakpoint
ALTER TABLE "audit_entries" ADD COLUMN "pruned_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "audit_entries" ADD COLUMN "content_digest" text;--> statement-breakpoint
CREATE UNIQUE INDEX "credential_event_months_key_idx" ON "credential_event_months" USING btree ("credential_id","kind","channel","month");--> statement-breakpoint
CREATE INDEX "credential_event_months_org_idx" ON "credential_event_months" USING btree ("org_id","month");--> statement-breakpoint
CREATE INDEX "retention_runs_trigger_ran_idx" ON "retention_runs" USING btree ("trigger","ran_at");