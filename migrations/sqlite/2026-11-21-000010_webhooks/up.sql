-- Partner organisations that prefer push register a URL; change-feed events they may see are
-- delivered there through the outbox, signed with HMAC-SHA256 using the webhook's secret.
-- The secret is kept as given: signing needs it (unlike API keys, which are only compared).
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);
CREATE INDEX webhooks_organisation ON webhooks (organisation_id);
