CREATE TABLE "achievements" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL,
	"criteria" text NOT NULL,
	"image_data" "bytea",
	"image_type" text,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"alignments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"validity_months" integer,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bulk_issuances" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"file_name" text NOT NULL,
	"file_sha256" text NOT NULL,
	"state" text DEFAULT 'previewed' NOT NULL,
	"rows" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"total_rows" integer NOT NULL,
	"valid_rows" integer NOT NULL,
	"already_issued" integer DEFAULT 0 NOT NULL,
	"issued" integer DEFAULT 0 NOT NULL,
	"job_id" text,
	"created_by_account_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credential_settings" (
	"org_id" text PRIMARY KEY NOT NULL,
	"erasure_policy" text DEFAULT 'revoke' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "credentials" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"achievement_id" text,
	"recipient_email" text,
	"recipient_name" text NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone,
	"document" jsonb NOT NULL,
	"revocation_list_id" text NOT NULL,
	"revocation_index" integer NOT NULL,
	"suspension_list_id" text NOT NULL,
	"suspension_index" integer NOT NULL,
	"revoked_at" timestamp with time zone,
	"revocation_reason" text,
	"suspended_at" timestamp with time zone,
	"idempotency_key" text,
	"bulk_issuance_id" text,
	"is_indexable" boolean DEFAULT false NOT NULL,
	"issued_by_account_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issuer_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"public_key_multibase" text NOT NULL,
	"secret_key_encrypted" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "status_lists" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"purpose" text NOT NULL,
	"size" integer NOT NULL,
	"document" jsonb,
	"is_stale" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "achievements_org_idx" ON "achievements" USING btree ("org_id","name");--> statement-breakpoint
CREATE INDEX "credentials_org_created_idx" ON "credentials" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "credentials_org_email_idx" ON "credentials" USING btree ("org_id","recipient_email");--> statement-breakpoint
CREATE UNIQUE INDEX "credentials_idempotency_idx" ON "credentials" USING btree ("org_id","idempotency_key") WHERE idempotency_key is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "credentials_revocation_slot_idx" ON "credentials" USING btree ("revocation_list_id","revocation_index");--> statement-breakpoint
CREATE UNIQUE INDEX "credentials_suspension_slot_idx" ON "credentials" USING btree ("suspension_list_id","suspension_index");--> statement-breakpoint
CREATE INDEX "issuer_keys_org_idx" ON "issuer_keys" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "status_lists_org_idx" ON "status_lists" USING btree ("org_id","purpose");