-- Single sign-on per organization (OpenID Connect) and the email domains it owns.
--
-- One connection per organization. The client secret is sealed under SECRETS_KEY,
-- bound to the organization (it is never shown again). `active` turns sign-in through
-- the provider on; it can only be set after "Test connection" succeeded with the
-- settings as they are (`tested_at` is cleared by every change of them).
CREATE TABLE sso_connections (
    org_id               uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    issuer_url           text NOT NULL CHECK (length(issuer_url) <= 2000),
    client_id            text NOT NULL CHECK (length(client_id) <= 500),
    client_secret_sealed bytea NOT NULL,
    default_role         text NOT NULL DEFAULT 'viewer'
        CHECK (default_role IN ('administrator', 'developer', 'billing_manager', 'viewer')),
    active               boolean NOT NULL DEFAULT false,
    tested_at            timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- A domain an organization claims; verified by a DNS TXT record
-- `teamwork-verification=<token>`. Many organizations may claim a domain, only one may
-- have it verified (the partial unique index), and only a verified domain routes
-- "Continue with SSO" or falls under "Require SSO".
CREATE TABLE verified_domains (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain      text NOT NULL CHECK (length(domain) <= 253 AND domain = lower(domain)),
    token       text NOT NULL,
    verified_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, domain)
);

CREATE UNIQUE INDEX verified_domains_one_org ON verified_domains (domain)
    WHERE verified_at IS NOT NULL;

-- Members with an address in a verified domain reach the organization only through its
-- identity provider (administrators with two-factor keep a logged break-glass path).
ALTER TABLE organizations ADD COLUMN require_sso boolean NOT NULL DEFAULT false;
