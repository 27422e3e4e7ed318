-- The dashboards read lodging events by the time they were written (lodging::tourism): new
-- notifications and declarations by submitted_at, check-outs by checked_out_at, alerts by
-- created_at, paged in (time, id) order. Each window query is a range scan of one of these
-- indexes, which also gives that order.
CREATE INDEX lodging_notifications_submitted ON lodging_notifications (submitted_at, id);
CREATE INDEX lodging_declarations_submitted ON lodging_declarations (submitted_at, id);
CREATE INDEX lodging_checkins_checked_out ON lodging_checkins (checked_out_at, id);
CREATE INDEX lodging_alerts_created ON lodging_alerts (created_at, id);
