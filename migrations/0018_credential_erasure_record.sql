ALTER TABLE "credential_settings" ALTER COLUMN "erasure_policy" SET DEFAULT 'keep_record';--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
-- No page offered a choice before: every row holds the old default, so all move to the new one.
UPDATE "credential_settings" SET "erasure_policy" = 'keep_record';
