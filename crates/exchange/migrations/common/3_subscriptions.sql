-- Subscriptions of members to the registry's change feed (exchange::subscriptions): which changes
-- (kinds), delivered how (an HTTP callback URL or a NATS JetStream subject), and the checkpoint —
-- the id of the last change event delivered and acknowledged. Delivery goes on from the checkpoint,
-- so a subscriber that was down gets every change it missed, in order.
CREATE TABLE exchange_subscriptions (
    id TEXT PRIMARY KEY,
    member_code TEXT NOT NULL REFERENCES exchange_members (code),
    subsystem_code TEXT NOT NULL,
    purpose TEXT NOT NULL,
    kinds TEXT NOT NULL,
    transport TEXT NOT NULL,
    target TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    delivered BIGINT NOT NULL DEFAULT 0,
    last_delivered_at BIGINT,
    last_error TEXT,
    failing_since BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    cancelled_at BIGINT
);
CREATE INDEX exchange_subscriptions_member ON exchange_subscriptions (member_code);
