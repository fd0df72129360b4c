CREATE TABLE "credential_deliveries" (
	"credential_id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"mail_message_id" text NOT NULL,
	"resends" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "account_emails" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"email" text NOT NULL,
	"verified_at" timestamp with time zone,
	"token_hash" text,
	"token_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mail_messages" ADD COLUMN "html_encrypted" text;--> statement-breakpoint
ALTER TABLE "mail_messages" ADD COLUMN "attachments" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "mail_messages" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "credential_settings" ADD COLUMN "email_subject" text;--> statement-breakpoint
ALTER TABLE "credential_settings" ADD COLUMN "email_body" text;--> statement-breakpoint
ALTER TABLE "credential_settings" ADD COLUMN "is_pdf_attached" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "account_emails" ADD CONSTRAINT "account_emails_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "credential_deliveries_org_idx" ON "credential_deliveries" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "credential_deliveries_message_idx" ON "credential_deliveries" USING btree ("mail_message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "account_emails_account_email_idx" ON "account_emails" USING btree ("account_id","email");--> statement-breakpoint
CREATE UNIQUE INDEX "account_emails_verified_email_idx" ON "account_emails" USING btree ("email") WHERE verified_at is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "account_emails_token_hash_idx" ON "account_emails" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "credentials_email_idx" ON "credentials" USING btree ("recipient_email");