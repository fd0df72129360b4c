CREATE TABLE "portal_connections" (
	"org_id" text PRIMARY KEY NOT NULL,
	"base_url" text NOT NULL,
	"requests_per_second" integer DEFAULT 10 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_session_secrets" (
	"login_session_id" text NOT NULL,
	"purpose" text NOT NULL,
	"ciphertext" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "login_session_secrets_login_session_id_purpose_pk" PRIMARY KEY("login_session_id","purpose")
);
--> statement-breakpoint
ALTER TABLE "exam_sessions" ADD COLUMN "portal_session_id" text;--> statement-breakpoint
ALTER TABLE "proctors" ADD COLUMN "portal_proctor_id" text;--> statement-breakpoint
ALTER TABLE "login_session_secrets" ADD CONSTRAINT "login_session_secrets_login_session_id_login_sessions_id_fk" FOREIGN KEY ("login_session_id") REFERENCES "public"."login_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "exam_sessions_portal_idx" ON "exam_sessions" USING btree ("org_id","portal_session_id") WHERE portal_session_id is not null;