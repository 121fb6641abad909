//! The opt-in profile read policy: once a DBA enables it, `authenticated` (as PostgREST runs a
//! request, with the JWT's claims) reads exactly the relationship_profiles rows of the user its
//! claim names, and nothing else; the claim is configurable; disabling it closes the table again.

use crate::support::{
    API_ROLES, SupabaseDatabase, as_role, assert_permission_denied, describe, draft, execute,
    strings, sync_profiles, user,
};

/// A stand-in for Supabase's `auth.jwt()`: the request's claims as PostgREST sets them; the
/// owner may use the schema, as `postgres` may on Supabase.
const AUTH_JWT: &str = "CREATE SCHEMA auth;
    CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE
        AS $$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb $$;
    GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role, pulse_test_owner;";

const READ_OWN: &str = "SELECT source_id FROM relationship_profiles ORDER BY source_id";

/// A migrated Supabase-like database with profiles of u1 (two) and u2 (one), and `auth.jwt()`
/// when `with_auth_jwt`.
async fn database_with_profiles(with_auth_jwt: bool) -> SupabaseDatabase {
    let supabase = SupabaseDatabase::migrated().await;
    if with_auth_jwt {
        execute(&supabase.admin, AUTH_JWT).await;
    }
    let store = supabase.store();
    sync_profiles(
        &store,
        &user("u1"),
        &[draft("people/u1-a", "Ada"), draft("people/u1-b", "Bob")],
    )
    .await;
    sync_profiles(&store, &user("u2"), &[draft("people/u2-a", "Cy")]).await;
    supabase
}

/// What `authenticated` reads from relationship_profiles with `claims`.
async fn profiles_read_with(supabase: &SupabaseDatabase, claims: &str) -> Vec<String> {
    as_role(&supabase.admin, "authenticated", Some(claims), READ_OWN)
        .await
        .unwrap_or_else(|error| panic!("authenticated reads with {claims}: {}", describe(&error)))
        .rows
}

async fn policy_condition(supabase: &SupabaseDatabase) -> Vec<String> {
    strings(
        &supabase.admin,
        "SELECT qual FROM pg_policies WHERE tablename = 'relationship_profiles'",
    )
    .await
}

#[tokio::test]
async fn each_user_reads_only_their_own_profiles_and_nothing_else() {
    let supabase = database_with_profiles(true).await;
    let owner = supabase.owner().await;
    let u1 = Some(r#"{"sub": "u1", "role": "authenticated"}"#);
    let off = as_role(&supabase.admin, "authenticated", u1, READ_OWN).await;
    assert_permission_denied(off, "before the policy is enabled");

    execute(&owner, "SELECT pulse_enable_profile_read_policy()").await;
    let condition = policy_condition(&supabase).await;
    assert_eq!(condition.len(), 1);
    assert!(condition[0].contains("auth.jwt()"), "{condition:?}");

    assert_eq!(
        profiles_read_with(&supabase, r#"{"sub": "u1"}"#).await,
        ["people/u1-a", "people/u1-b"]
    );
    assert_eq!(
        profiles_read_with(&supabase, r#"{"sub": "u2"}"#).await,
        ["people/u2-a"]
    );
    assert_eq!(
        profiles_read_with(&supabase, r#"{"sub": "u3"}"#).await,
        Vec::<String>::new()
    );
    assert_eq!(
        profiles_read_with(&supabase, r#"{"role": "authenticated"}"#).await,
        Vec::<String>::new()
    );
    let users = as_role(
        &supabase.admin,
        "authenticated",
        u1,
        "SELECT DISTINCT user_id FROM relationship_profiles",
    )
    .await
    .expect("read");
    assert_eq!(users.rows, ["u1"]);

    for statement in [
        "INSERT INTO relationship_profiles (user_id, source_id) VALUES ('u1', 'people/new')",
        "UPDATE relationship_profiles SET display_name = 'Mallory'",
        "DELETE FROM relationship_profiles",
        "TRUNCATE relationship_profiles",
    ] {
        let answer = as_role(&supabase.admin, "authenticated", u1, statement).await;
        assert_permission_denied(answer, statement);
    }
    let others: Vec<String> = supabase
        .tables()
        .await
        .into_iter()
        .filter(|table| table != "relationship_profiles")
        .collect();
    assert!(others.len() >= 6, "{others:?}");
    for table in &others {
        let answer = as_role(
            &supabase.admin,
            "authenticated",
            u1,
            &format!("SELECT 1 FROM {table}"),
        )
        .await;
        assert_permission_denied(answer, &format!("authenticated reads {table}"));
    }
    for role in API_ROLES
        .into_iter()
        .filter(|role| *role != "authenticated")
    {
        let answer = as_role(&supabase.admin, role, u1, READ_OWN).await;
        assert_permission_denied(answer, &format!("{role} reads profiles"));
    }

    execute(&owner, "SELECT pulse_disable_profile_read_policy()").await;
    assert_eq!(policy_condition(&supabase).await, Vec::<String>::new());
    let disabled = as_role(&supabase.admin, "authenticated", u1, READ_OWN).await;
    assert_permission_denied(disabled, "after the policy is disabled");
}

#[tokio::test]
async fn the_claim_that_names_the_user_is_configurable() {
    let supabase = database_with_profiles(true).await;
    let owner = supabase.owner().await;
    let claims = r#"{"sub": "u2", "workspace_id": "u1"}"#;

    execute(
        &owner,
        "SELECT pulse_enable_profile_read_policy('workspace_id')",
    )
    .await;
    assert_eq!(
        profiles_read_with(&supabase, claims).await,
        ["people/u1-a", "people/u1-b"]
    );
    assert_eq!(
        profiles_read_with(&supabase, r#"{"sub": "u1"}"#).await,
        Vec::<String>::new()
    );

    // Enabling again replaces the policy.
    execute(&owner, "SELECT pulse_enable_profile_read_policy('sub')").await;
    assert_eq!(policy_condition(&supabase).await.len(), 1);
    assert_eq!(profiles_read_with(&supabase, claims).await, ["people/u2-a"]);

    let refused = owner
        .batch_execute("SELECT pulse_enable_profile_read_policy('')")
        .await;
    assert!(refused.is_err(), "an empty claim name is refused");
}

#[tokio::test]
async fn without_auth_jwt_the_policy_reads_postgrest_claims_setting() {
    let supabase = database_with_profiles(false).await;
    let owner = supabase.owner().await;
    execute(&owner, "SELECT pulse_enable_profile_read_policy()").await;
    let condition = policy_condition(&supabase).await;
    assert!(condition[0].contains("request.jwt.claims"), "{condition:?}");

    assert_eq!(
        profiles_read_with(&supabase, r#"{"sub": "u2"}"#).await,
        ["people/u2-a"]
    );
    // Without claims (the setting unset, or empty after an earlier request) no row is visible.
    let unset = as_role(&supabase.admin, "authenticated", None, READ_OWN)
        .await
        .expect("read without claims");
    assert_eq!(unset.rows, Vec::<String>::new());
}
