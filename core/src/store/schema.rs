// One portable schema for both backends; it mirrors migrations/{sqlite,postgres}.
// Kept by hand (diesel print-schema would differ per dialect); the dialect test checks it.

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    people (id) {
        id -> Text,
        email -> Nullable<Text>,
        name -> Nullable<Text>,
        is_admin -> Bool,
        reminders_enabled -> Bool,
        erased_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    programmes (id) {
        id -> Text,
        code -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    programme_versions (id) {
        id -> Text,
        programme_id -> Text,
        version -> Integer,
        title -> Text,
        definition -> Text,
        published_at -> Timestamp,
    }
}

diesel::table! {
    cohorts (id) {
        id -> Text,
        programme_version_id -> Text,
        organisation_id -> Text,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cohort_tutors (cohort_id, person_id) {
        cohort_id -> Text,
        person_id -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        cohort_id -> Text,
        module_code -> Nullable<Text>,
        title -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        register_version -> Integer,
        created_at -> Timestamp,
        cancelled_at -> Nullable<Timestamp>,
        cancel_reason -> Nullable<Text>,
    }
}

diesel::table! {
    enrolments (id) {
        id -> Text,
        cohort_id -> Text,
        person_id -> Text,
        enrolled_on -> Date,
        status -> Text,
        created_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawal_reason -> Nullable<Text>,
    }
}

diesel::table! {
    attendance (session_id, person_id) {
        session_id -> Text,
        person_id -> Text,
        status -> Text,
        note -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        version -> Integer,
        checked_in_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    check_in_secrets (session_id) {
        session_id -> Text,
        secret -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assessments (id) {
        id -> Text,
        cohort_id -> Text,
        person_id -> Text,
        module_code -> Text,
        outcome -> Text,
        note -> Nullable<Text>,
        assessed_by -> Text,
        assessed_on -> Date,
        verified_by -> Nullable<Text>,
        verified_on -> Nullable<Date>,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    placements (id) {
        id -> Text,
        person_id -> Text,
        organisation_id -> Text,
        supervisor_id -> Text,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        created_at -> Timestamp,
        cohort_id -> Nullable<Text>,
        tutor_supervision_allowed_by -> Nullable<Text>,
    }
}

diesel::table! {
    supervision_sessions (id) {
        id -> Text,
        placement_id -> Text,
        occurred_on -> Date,
        duration_minutes -> Integer,
        format -> Text,
        notes -> Nullable<Text>,
        logged_by -> Text,
        verified_by -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        declined_by -> Nullable<Text>,
        declined_at -> Nullable<Timestamp>,
        decline_reason -> Nullable<Text>,
    }
}

diesel::table! {
    practice_hours (id) {
        id -> Text,
        placement_id -> Text,
        worked_on -> Date,
        minutes -> Integer,
        description -> Nullable<Text>,
        logged_by -> Text,
        verified_by -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cpd_records (id) {
        id -> Text,
        person_id -> Text,
        completed_on -> Date,
        minutes -> Integer,
        category -> Text,
        title -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    certificate_sequences (programme_id, year) {
        programme_id -> Text,
        year -> Integer,
        last_number -> Integer,
    }
}

diesel::table! {
    certificates (id) {
        id -> Text,
        number -> Text,
        verification_code -> Text,
        person_id -> Text,
        programme_id -> Text,
        programme_version_id -> Text,
        cohort_id -> Nullable<Text>,
        holder_name -> Nullable<Text>,
        issued_on -> Date,
        expires_on -> Nullable<Date>,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        issued_by -> Text,
        created_at -> Timestamp,
        status_list_id -> Nullable<Text>,
        status_list_index -> Nullable<Integer>,
    }
}

diesel::table! {
    status_lists (id) {
        id -> Text,
        purpose -> Text,
        size -> Integer,
        allocated -> Integer,
        stride -> Integer,
        start_offset -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    certificate_renewals (id) {
        id -> Text,
        certificate_id -> Text,
        previous_expires_on -> Date,
        new_expires_on -> Date,
        renewed_by -> Text,
        renewed_at -> Timestamp,
    }
}

diesel::table! {
    certificate_reissues (id) {
        id -> Text,
        certificate_id -> Text,
        previous_name -> Nullable<Text>,
        new_name -> Nullable<Text>,
        reissued_by -> Text,
        reissued_at -> Timestamp,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        person_id -> Text,
        organisation_id -> Text,
        granted_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        organisation_id -> Text,
        name -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    access_tokens (id) {
        id -> Text,
        person_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    access_log (id) {
        id -> BigInt,
        person_id -> Text,
        organisation_id -> Text,
        api_key_id -> Nullable<Text>,
        endpoint -> Text,
        accessed_at -> Timestamp,
    }
}

diesel::table! {
    access_log_pending (id) {
        id -> BigInt,
        organisation_id -> Text,
        api_key_id -> Nullable<Text>,
        endpoint -> Text,
        accessed_at -> Timestamp,
        person_ids -> Text,
    }
}

diesel::table! {
    change_events (id) {
        id -> BigInt,
        kind -> Text,
        person_id -> Text,
        certificate_id -> Nullable<Text>,
        organisation_id -> Nullable<Text>,
        programme_id -> Nullable<Text>,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        idempotency_key -> Text,
        channel -> Text,
        template -> Text,
        recipient -> Text,
        person_id -> Nullable<Text>,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        give_up_at -> Timestamp,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        actor_id -> Nullable<Text>,
        actor_label -> Text,
        action -> Text,
        entity_kind -> Text,
        entity_id -> Text,
        details -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        organisation_id -> Text,
        url -> Text,
        secret -> Text,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(programme_versions -> programmes (programme_id));
diesel::joinable!(cohorts -> programme_versions (programme_version_id));
diesel::joinable!(cohorts -> organisations (organisation_id));
diesel::joinable!(cohort_tutors -> cohorts (cohort_id));
diesel::joinable!(cohort_tutors -> people (person_id));
diesel::joinable!(sessions -> cohorts (cohort_id));
diesel::joinable!(enrolments -> cohorts (cohort_id));
diesel::joinable!(enrolments -> people (person_id));
diesel::joinable!(attendance -> sessions (session_id));
diesel::joinable!(check_in_secrets -> sessions (session_id));
diesel::joinable!(assessments -> cohorts (cohort_id));
diesel::joinable!(placements -> organisations (organisation_id));
diesel::joinable!(supervision_sessions -> placements (placement_id));
diesel::joinable!(practice_hours -> placements (placement_id));
diesel::joinable!(cpd_records -> people (person_id));
diesel::joinable!(certificate_sequences -> programmes (programme_id));
diesel::joinable!(certificates -> programmes (programme_id));
diesel::joinable!(certificates -> programme_versions (programme_version_id));
diesel::joinable!(certificates -> cohorts (cohort_id));
diesel::joinable!(certificate_renewals -> certificates (certificate_id));
diesel::joinable!(certificate_reissues -> certificates (certificate_id));
diesel::joinable!(certificate_renewals -> people (renewed_by));
diesel::joinable!(consents -> people (person_id));
diesel::joinable!(consents -> organisations (organisation_id));
diesel::joinable!(api_keys -> organisations (organisation_id));
diesel::joinable!(access_tokens -> people (person_id));
diesel::joinable!(access_log -> people (person_id));
diesel::joinable!(access_log -> organisations (organisation_id));
diesel::joinable!(access_log -> api_keys (api_key_id));
diesel::joinable!(change_events -> people (person_id));
diesel::joinable!(change_events -> certificates (certificate_id));
diesel::joinable!(change_events -> organisations (organisation_id));
diesel::joinable!(change_events -> programmes (programme_id));
diesel::joinable!(outbox -> people (person_id));
diesel::joinable!(audit_events -> people (actor_id));

diesel::joinable!(webhooks -> organisations (organisation_id));

diesel::table! {
    rate_limits (key) {
        key -> Text,
        count -> Integer,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    calendar_feeds (id) {
        id -> Text,
        person_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(calendar_feeds -> people (person_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    people,
    programmes,
    programme_versions,
    cohorts,
    cohort_tutors,
    sessions,
    enrolments,
    attendance,
    check_in_secrets,
    assessments,
    placements,
    supervision_sessions,
    practice_hours,
    cpd_records,
    certificate_sequences,
    certificates,
    certificate_renewals,
    certificate_reissues,
    consents,
    api_keys,
    access_tokens,
    access_log,
    change_events,
    outbox,
    audit_events,
    webhooks,
    status_lists,
    rate_limits,
    calendar_feeds,
);
