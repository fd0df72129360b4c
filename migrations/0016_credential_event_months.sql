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
CREATE UNIQUE INDEX "credential_event_months_key_idx" ON "credential_event_months" USING btree ("credential_id","kind","channel","month");--> statement-breakpoint
CREATE INDEX "credential_event_months_org_idx" ON "credential_event_months" USING btree ("org_id","month");