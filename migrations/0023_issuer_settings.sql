CREATE TABLE "issuer_settings" (
	"org_id" text PRIMARY KEY NOT NULL,
	"did_method" text,
	"cryptosuite" text DEFAULT 'eddsa-rdfc-2022' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "issuer_keys" ADD COLUMN "key_type" text DEFAULT 'Ed25519' NOT NULL;