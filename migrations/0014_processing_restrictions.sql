CREATE TABLE "processing_restrictions" (
	"email" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
