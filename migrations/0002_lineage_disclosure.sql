ALTER TABLE "credential_settings" ADD COLUMN "public_fields" jsonb DEFAULT '["holderName","issueDate","expiry","result","evidence"]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "replaces_credential_id" text;--> statement-breakpoint
ALTER TABLE "credentials" ADD COLUMN "holder_hidden_fields" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "credentials_replaces_idx" ON "credentials" USING btree ("replaces_credential_id") WHERE replaces_credential_id is not null;