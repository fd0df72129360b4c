ALTER TABLE "credentials" ADD COLUMN "locale" text DEFAULT 'en' NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "locale" text;--> statement-breakpoint
ALTER TABLE "orgs" ADD COLUMN "default_locale" text DEFAULT 'en' NOT NULL;