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
CREATE INDEX "retention_runs_trigger_ran_idx" ON "retention_runs" USING btree ("trigger","ran_at");