CREATE TABLE "guardian_links" (
	"child_account_id" text PRIMARY KEY NOT NULL,
	"guardian_email" text NOT NULL,
	"token_hash" text,
	"token_expires_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"account_id" text,
	"org_id" text,
	"purpose" text NOT NULL,
	"granted_at" timestamp with time zone,
	"wording_version" text,
	"source" text NOT NULL,
	"withdrawn_at" timestamp with time zone,
	"withdrawn_via" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mail_messages" ADD COLUMN "headers" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "birth_date" date;--> statement-breakpoint
ALTER TABLE "guardian_links" ADD CONSTRAINT "guardian_links_child_account_id_accounts_id_fk" FOREIGN KEY ("child_account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "guardian_links_token_hash_idx" ON "guardian_links" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "guardian_links_guardian_email_idx" ON "guardian_links" USING btree ("guardian_email");--> statement-breakpoint
CREATE INDEX "consents_email_purpose_idx" ON "consents" USING btree ("email","purpose","created_at");