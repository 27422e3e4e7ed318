-- Events for NATS JetStream, written in the transaction of the change that causes them and sent
-- by the publisher in id order (lodging::outbox). An identity is never given twice, which
-- JetStream's de-duplication by id relies on.
CREATE TABLE lodging_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX lodging_outbox_pending ON lodging_outbox (id) WHERE published_at IS NULL;
CREATE INDEX lodging_outbox_published ON lodging_outbox (published_at) WHERE published_at IS NOT NULL;
