// @generated automatically by Diesel CLI.

diesel::table! {
    activity (id) {
        id -> Uuid,
        org_id -> Uuid,
        actor_id -> Nullable<Uuid>,
        actor_name -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<Uuid>,
        target_label -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamptz,
        seq -> Int8,
        prev_hash -> Bytea,
        hash -> Bytea,
        personal_digests -> Jsonb,
        personal_salts -> Jsonb,
    }
}

diesel::table! {
    activity_chains (org_id) {
        org_id -> Uuid,
        seq -> Int8,
        hash -> Bytea,
    }
}

diesel::table! {
    activity_checkpoints (id) {
        id -> Uuid,
        org_id -> Uuid,
        seq -> Int8,
        hash -> Bytea,
        created_at -> Timestamptz,
        public_key -> Bytea,
        signature -> Bytea,
    }
}

diesel::table! {
    activity_verifications (org_id) {
        org_id -> Uuid,
        seq -> Int8,
        hash -> Bytea,
        verified_at -> Timestamptz,
        broken_seq -> Nullable<Int8>,
        broken_reason -> Nullable<Text>,
        broken_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        org_id -> Uuid,
        project_id -> Uuid,
        name -> Text,
        prefix -> Text,
        secret_hash -> Bytea,
        created_by -> Nullable<Uuid>,
        created_by_name -> Text,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        expires_at -> Nullable<Timestamptz>,
        replaced_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    audit_streams (org_id) {
        org_id -> Uuid,
        url -> Text,
        secret -> Text,
        enabled -> Bool,
        delivered_seq -> Int8,
        attempts -> Int4,
        last_attempt_at -> Nullable<Timestamptz>,
        last_delivered_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamptz,
        lease_token -> Nullable<Uuid>,
        leased_until -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    billing_accounts (org_id) {
        org_id -> Uuid,
        plan -> Text,
        balance_micro -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    credit_ledger (id) {
        id -> Int8,
        org_id -> Uuid,
        kind -> Text,
        amount_micro -> Int8,
        balance_after_micro -> Int8,
        reference -> Nullable<Text>,
        usage_event_id -> Nullable<Int8>,
        actor_id -> Nullable<Uuid>,
        actor_name -> Nullable<Text>,
        created_at -> Timestamptz,
        usage_event_ids -> Nullable<Array<Int8>>,
    }
}

diesel::table! {
    invitation_sends (id) {
        id -> Int8,
        org_id -> Uuid,
        inviter_id -> Uuid,
        email -> Text,
        sent_at -> Timestamptz,
    }
}

diesel::table! {
    invitations (id) {
        id -> Uuid,
        org_id -> Uuid,
        email -> Text,
        role -> Text,
        token_hash -> Bytea,
        status -> Text,
        invited_by -> Nullable<Uuid>,
        invited_by_name -> Text,
        expires_at -> Timestamptz,
        sent_at -> Timestamptz,
        send_count -> Int4,
        outbox_id -> Nullable<Uuid>,
        accepted_by -> Nullable<Uuid>,
        accepted_at -> Nullable<Timestamptz>,
        cancelled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        project_id -> Nullable<Uuid>,
        access_until -> Nullable<Date>,
        requested_again_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    known_devices (user_id, fingerprint) {
        user_id -> Uuid,
        fingerprint -> Bytea,
        first_seen_at -> Timestamptz,
        last_seen_at -> Timestamptz,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        email -> Text,
        ip -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    memberships (id) {
        id -> Uuid,
        org_id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        created_at -> Timestamptz,
        scim_managed -> Bool,
    }
}

diesel::table! {
    organizations (id) {
        id -> Uuid,
        name -> Text,
        slug -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        administrators -> Int4,
        developers -> Int4,
        billing_managers -> Int4,
        viewers -> Int4,
        pending_invitations -> Int4,
        project_only_members -> Int4,
        keep_personal_days -> Int4,
        require_two_factor -> Bool,
        deleted_at -> Nullable<Timestamptz>,
        deleted_by -> Nullable<Uuid>,
        require_sso -> Bool,
    }
}

diesel::table! {
    outbox (id) {
        id -> Uuid,
        org_id -> Nullable<Uuid>,
        kind -> Text,
        recipient -> Text,
        recipient_name -> Nullable<Text>,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_id -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        locked_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    project_members (id) {
        id -> Uuid,
        org_id -> Uuid,
        project_id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        created_at -> Timestamptz,
        access_until -> Nullable<Date>,
        week_notice_at -> Nullable<Timestamptz>,
        day_notice_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    projects (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        archived_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Uuid,
        user_id -> Uuid,
        code_hash -> Bytea,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (key_hash) {
        key_hash -> Bytea,
        user_id -> Nullable<Uuid>,
        state -> Jsonb,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        id -> Uuid,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    two_factor_secrets (user_id) {
        user_id -> Uuid,
        secret_encrypted -> Bytea,
        enabled_at -> Nullable<Timestamptz>,
        last_used_step -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    usage_events (id, occurred_at) {
        id -> Int8,
        org_id -> Uuid,
        project_id -> Uuid,
        api_key_id -> Uuid,
        model -> Text,
        requests -> Int4,
        input_tokens -> Int8,
        output_tokens -> Int8,
        occurred_at -> Timestamptz,
        created_at -> Timestamptz,
        cost_micro -> Int8,
    }
}

diesel::table! {
    usage_hourly (org_id, hour, project_id, api_key_id, model) {
        org_id -> Uuid,
        hour -> Timestamptz,
        project_id -> Uuid,
        api_key_id -> Uuid,
        model -> Text,
        reports -> Int8,
        requests -> Int8,
        input_tokens -> Int8,
        output_tokens -> Int8,
        cost_micro -> Int8,
    }
}

diesel::table! {
    usage_request_ids (org_id, request_id) {
        org_id -> Uuid,
        request_id -> Text,
        usage_event_id -> Int8,
        cost_micro -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        purpose -> Text,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        new_email -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        email_verified_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        last_active_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    alerts (id) {
        id -> Uuid,
        org_id -> Uuid,
        user_id -> Uuid,
        security -> Bool,
        message -> Text,
        created_at -> Timestamptz,
        handled_at -> Nullable<Timestamptz>,
        outbox_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    admin_keys (id) {
        id -> Uuid,
        org_id -> Uuid,
        name -> Text,
        prefix -> Text,
        secret_hash -> Bytea,
        scopes -> Array<Text>,
        created_by -> Nullable<Uuid>,
        created_by_name -> Text,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    email_preferences (user_id) {
        user_id -> Uuid,
        non_security -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sso_connections (org_id) {
        org_id -> Uuid,
        issuer_url -> Text,
        client_id -> Text,
        client_secret_sealed -> Bytea,
        default_role -> Text,
        active -> Bool,
        tested_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    admin_api_requests (key_id, idempotency_key) {
        key_id -> Uuid,
        idempotency_key -> Text,
        request_hash -> Bytea,
        status -> Int2,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    verified_domains (id) {
        id -> Uuid,
        org_id -> Uuid,
        domain -> Text,
        token -> Text,
        verified_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    access_health_badges (org_id) {
        org_id -> Uuid,
        open_checks -> Int4,
        computed_at -> Timestamptz,
    }
}

diesel::joinable!(access_health_badges -> organizations (org_id));
diesel::joinable!(activity -> organizations (org_id));
diesel::joinable!(activity_chains -> organizations (org_id));
diesel::joinable!(activity_checkpoints -> organizations (org_id));
diesel::joinable!(activity_verifications -> organizations (org_id));
diesel::joinable!(api_keys -> projects (project_id));
diesel::joinable!(api_keys -> users (created_by));
diesel::joinable!(audit_streams -> organizations (org_id));
diesel::joinable!(billing_accounts -> organizations (org_id));
diesel::joinable!(credit_ledger -> organizations (org_id));
diesel::joinable!(invitation_sends -> organizations (org_id));
diesel::joinable!(invitations -> organizations (org_id));
diesel::joinable!(invitations -> outbox (outbox_id));
diesel::joinable!(known_devices -> users (user_id));
diesel::joinable!(memberships -> organizations (org_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(outbox -> organizations (org_id));
diesel::joinable!(project_members -> projects (project_id));
diesel::joinable!(project_members -> users (user_id));
diesel::joinable!(projects -> organizations (org_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(two_factor_secrets -> users (user_id));
diesel::joinable!(usage_events -> api_keys (api_key_id));
diesel::joinable!(usage_events -> projects (project_id));
diesel::joinable!(usage_hourly -> api_keys (api_key_id));
diesel::joinable!(usage_request_ids -> organizations (org_id));
diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(alerts -> organizations (org_id));
diesel::joinable!(alerts -> users (user_id));
diesel::joinable!(email_preferences -> users (user_id));

diesel::joinable!(admin_keys -> organizations (org_id));
diesel::joinable!(admin_api_requests -> admin_keys (key_id));
diesel::joinable!(sso_connections -> organizations (org_id));
diesel::joinable!(verified_domains -> organizations (org_id));

diesel::allow_tables_to_appear_in_same_query!(
    access_health_badges,
    activity,
    activity_chains,
    activity_checkpoints,
    activity_verifications,
    api_keys,
    audit_streams,
    billing_accounts,
    credit_ledger,
    invitation_sends,
    invitations,
    known_devices,
    login_failures,
    memberships,
    organizations,
    outbox,
    project_members,
    projects,
    recovery_codes,
    sessions,
    two_factor_secrets,
    usage_events,
    usage_hourly,
    usage_request_ids,
    user_tokens,
    users,
    alerts,
    email_preferences,
    admin_keys,
    admin_api_requests,
    sso_connections,
    verified_domains,
    scim_tokens,
    scim_users,
    scim_groups,
    scim_group_members,
    scim_group_roles,
);

diesel::table! {
    scim_tokens (id) {
        id -> Uuid,
        org_id -> Uuid,
        secret_hash -> Bytea,
        prefix -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    scim_users (id) {
        id -> Uuid,
        org_id -> Uuid,
        user_id -> Uuid,
        user_name -> Text,
        external_id -> Nullable<Text>,
        active -> Bool,
        attributes -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    scim_groups (id) {
        id -> Uuid,
        org_id -> Uuid,
        display_name -> Text,
        external_id -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    scim_group_members (group_id, scim_user_id) {
        group_id -> Uuid,
        scim_user_id -> Uuid,
    }
}

diesel::table! {
    scim_group_roles (org_id, group_name) {
        org_id -> Uuid,
        group_name -> Text,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(scim_users -> users (user_id));
diesel::joinable!(scim_group_members -> scim_groups (group_id));
diesel::joinable!(scim_group_members -> scim_users (scim_user_id));
diesel::joinable!(scim_tokens -> organizations (org_id));
