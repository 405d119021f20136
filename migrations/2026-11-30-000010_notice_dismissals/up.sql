-- Notices a person has dismissed in one organization (the "only one administrator"
-- nudge): dismissed once, gone for that person there, still shown to the others.
CREATE TABLE notice_dismissals (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    notice text NOT NULL CHECK (notice IN ('second_admin')),
    dismissed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id, notice)
);
