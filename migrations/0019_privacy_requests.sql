CREATE TABLE "privacy_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"subject_email" text,
	"subject_account_id" text,
	"subject_name" text,
	"details" text,
	"guardian_email" text,
	"acting_account_id" text,
	"identity_verification" text DEFAULT 'unverified' NOT NULL,
	"identity_verified_at" timestamp with time zone,
	"token_hash" text,
	"token_expires_at" timestamp with time zone,
	"received_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"outcome" text,
	"closed_at" timestamp with time zone,
	"near_due_notified_at" timestamp with time zone,
	"overdue_notified_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "privacy_requests_org_status_idx" ON "privacy_requests" USING btree ("org_id","status");--> statement-breakpoint
CREATE INDEX "privacy_requests_subject_email_idx" ON "privacy_requests" USING btree ("subject_email");--> statement-breakpoint
CREATE UNIQUE INDEX "privacy_requests_token_hash_idx" ON "privacy_requests" USING btree ("token_hash");