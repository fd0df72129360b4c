CREATE TABLE "certificate_designs" (
	"achievement_id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"layout" text NOT NULL,
	"primary_color" text NOT NULL,
	"accent_color" text NOT NULL,
	"paper_size" text NOT NULL,
	"logo_data" "bytea",
	"signature_data" "bytea",
	"signer_name" text DEFAULT '' NOT NULL,
	"signer_title" text DEFAULT '' NOT NULL,
	"custom_fields" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
