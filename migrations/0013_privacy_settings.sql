CREATE TABLE "privacy_settings" (
	"org_id" text PRIMARY KEY NOT NULL,
	"controller_name" text,
	"contact_email" text,
	"request_deadline_working_days" integer DEFAULT 7 NOT NULL,
	"holidays" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"child_age" integer DEFAULT 13 NOT NULL,
	"sub_processors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"international_transfers" text DEFAULT '' NOT NULL,
	"retention_days" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
