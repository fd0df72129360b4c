CREATE TABLE "breach_affected_people" (
	"id" text PRIMARY KEY NOT NULL,
	"incident_id" text NOT NULL,
	"org_id" text NOT NULL,
	"email" text NOT NULL,
	"account_id" text,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "breach_incidents" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"title" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"discovered_at" timestamp with time zone NOT NULL,
	"what_happened" text NOT NULL,
	"data_categories" jsonb NOT NULL,
	"measures_taken" text NOT NULL,
	"what_people_can_do" text NOT NULL,
	"contact_info" text NOT NULL,
	"protection_measures" text NOT NULL,
	"advice" text NOT NULL,
	"cure_steps" text NOT NULL,
	"cure_timeframe" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"regulator_notified_at" timestamp with time zone,
	"created_by_account_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "breach_letters" (
	"id" text PRIMARY KEY NOT NULL,
	"affected_person_id" text NOT NULL,
	"incident_id" text NOT NULL,
	"org_id" text NOT NULL,
	"mail_message_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"policy" text NOT NULL,
	"content_hash" text NOT NULL,
	"content" jsonb NOT NULL,
	"effective_at" timestamp with time zone NOT NULL,
	"is_material_change" boolean DEFAULT false NOT NULL,
	"notified_through_account_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "breach_affected_people" ADD CONSTRAINT "breach_affected_people_incident_id_breach_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."breach_incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "breach_letters" ADD CONSTRAINT "breach_letters_affected_person_id_breach_affected_people_id_fk" FOREIGN KEY ("affected_person_id") REFERENCES "public"."breach_affected_people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "breach_affected_people_incident_email_idx" ON "breach_affected_people" USING btree ("incident_id","email");--> statement-breakpoint
CREATE INDEX "breach_affected_people_email_idx" ON "breach_affected_people" USING btree ("email");--> statement-breakpoint
CREATE INDEX "breach_incidents_org_idx" ON "breach_incidents" USING btree ("org_id","discovered_at");--> statement-breakpoint
CREATE UNIQUE INDEX "breach_letters_person_idx" ON "breach_letters" USING btree ("affected_person_id");--> statement-breakpoint
CREATE INDEX "breach_letters_incident_idx" ON "breach_letters" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "policy_versions_policy_idx" ON "policy_versions" USING btree ("policy","effective_at");