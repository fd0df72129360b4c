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
CREATE INDEX "policy_versions_policy_idx" ON "policy_versions" USING btree ("policy","effective_at");