DROP INDEX "audit_entries_id_idx";--> statement-breakpoint
DROP INDEX "audit_entries_org_recorded_idx";--> statement-breakpoint
CREATE INDEX "audit_entries_org_recorded_idx" ON "audit_entries" USING btree ("org_id","recorded_at") WHERE org_id is not null;