CREATE TABLE "portal_run_items" (
	"run_id" text NOT NULL,
	"exam_session_id" text NOT NULL,
	"org_id" text NOT NULL,
	"position" integer NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"rule" text,
	"message" text,
	"portal_session_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "portal_run_items_run_id_exam_session_id_pk" PRIMARY KEY("run_id","exam_session_id")
);
--> statement-breakpoint
CREATE TABLE "portal_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"action" text NOT NULL,
	"cancel_reason" text,
	"state" text DEFAULT 'queued' NOT NULL,
	"total" integer NOT NULL,
	"claim_id" text,
	"heartbeat_at" timestamp with time zone,
	"job_id" text,
	"message" text,
	"token_wiped_at" timestamp with time zone,
	"created_by_account_id" text NOT NULL,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "portal_run_items_run_idx" ON "portal_run_items" USING btree ("run_id","state","position");--> statement-breakpoint
CREATE INDEX "portal_runs_org_idx" ON "portal_runs" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "portal_runs_state_idx" ON "portal_runs" USING btree ("state");