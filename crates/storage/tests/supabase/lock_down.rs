//! The lock-down migration on a Supabase-like database: the Data API roles can neither read nor
//! change any table nor call any function, RLS hides every row even from a role granted a table,
//! the issue's attacks fail, the service (the owner) keeps working, and down/up/up applies.

use pulse_domain::ports::{ApiKeyRepository, ConfigRepository, ProfileQuery, ProfileRepository};
use tokio_postgres::Client;

use crate::support::{
    API_ROLES, LOCK_DOWN_MIGRATION, PULSE_TABLES, RLS_ROLES, SupabaseDatabase, as_role,
    assert_error, assert_permission_denied, count, execute, migration_folders, run_file,
    seed_through_the_service, strings, user,
};

/// The first column of `table` (quoted), for an UPDATE that changes nothing.
async fn first_column(client: &Client, table: &str) -> String {
    let query = format!(
        "SELECT quote_ident(attname) FROM pg_attribute \
         WHERE attrelid = '{table}'::regclass AND attnum > 0 AND NOT attisdropped \
         ORDER BY attnum LIMIT 1"
    );
    strings(client, &query)
        .await
        .pop()
        .unwrap_or_else(|| panic!("{table} has no column"))
}

/// SELECT, INSERT, UPDATE, DELETE and TRUNCATE on `table`.
async fn every_statement(client: &Client, table: &str) -> [String; 5] {
    let column = first_column(client, table).await;
    [
        format!("SELECT count(*) FROM {table}"),
        format!("INSERT INTO {table} DEFAULT VALUES"),
        format!("UPDATE {table} SET {column} = {column}"),
        format!("DELETE FROM {table}"),
        format!("TRUNCATE {table}"),
    ]
}

/// Asserts that `tables` include every pulse-sync table and that each of them holds a row.
async fn assert_every_table_has_rows(supabase: &SupabaseDatabase, tables: &[String]) {
    for table in PULSE_TABLES {
        assert!(
            tables.iter().any(|listed| listed == table),
            "{table} in {tables:?}"
        );
    }
    for table in tables {
        assert!(
            count(&supabase.admin, table).await > 0,
            "{table} must hold a row, so a hidden row is told from an empty table"
        );
    }
}

#[tokio::test]
async fn the_api_roles_can_neither_read_nor_change_any_table_while_the_service_works() {
    let supabase = SupabaseDatabase::migrated().await;
    let store = supabase.store();
    assert!(
        store
            .pending_migrations()
            .await
            .expect("pending")
            .is_empty()
    );
    seed_through_the_service(&store, "ada").await;
    let tables = supabase.tables().await;
    assert_every_table_has_rows(&supabase, &tables).await;

    for table in &tables {
        let statements = every_statement(&supabase.admin, table).await;
        for role in API_ROLES {
            for statement in &statements {
                let answer = as_role(&supabase.admin, role, None, statement).await;
                assert_permission_denied(answer, &format!("{role}: {statement}"));
            }
        }
    }

    // No privilege of any kind remains (REFERENCES and TRIGGER included), on tables and sequences.
    let roles = API_ROLES.map(|role| format!("'{role}'")).join(", ");
    let granted = strings(
        &supabase.admin,
        &format!(
            "SELECT r.rolname || ' on ' || c.relname FROM pg_class c CROSS JOIN pg_roles r \
             WHERE c.relnamespace = 'public'::regnamespace AND r.rolname IN ({roles}) AND ( \
                (c.relkind IN ('r', 'p') AND has_table_privilege(r.oid, c.oid, \
                    'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')) \
                OR (c.relkind = 'S' AND has_sequence_privilege(r.oid, c.oid, 'USAGE, SELECT, UPDATE')))"
        ),
    )
    .await;
    assert_eq!(granted, Vec::<String>::new());

    // RLS is on, not forced (the owner is exempt), and no table has a policy.
    let unprotected = strings(
        &supabase.admin,
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace \
         AND relkind IN ('r', 'p') AND (NOT relrowsecurity OR relforcerowsecurity)",
    )
    .await;
    assert_eq!(unprotected, Vec::<String>::new());
    let policies = strings(&supabase.admin, "SELECT policyname FROM pg_policies").await;
    assert_eq!(policies, Vec::<String>::new());

    // The service still reads and writes after all that.
    seed_through_the_service(&store, "grace").await;
    let profiles = store
        .list_profiles(&ProfileQuery {
            user_id: user("grace"),
            limit: 10,
            cursor: None,
            search: None,
            include_deleted: false,
        })
        .await
        .expect("list profiles");
    assert_eq!(profiles.items.len(), 1);
    assert_eq!(store.list_keys().await.expect("list keys").len(), 2);
}

#[tokio::test]
async fn row_level_security_hides_every_row_even_from_a_role_granted_the_table() {
    let supabase = SupabaseDatabase::migrated().await;
    seed_through_the_service(&supabase.store(), "ada").await;
    let tables = supabase.tables().await;
    assert_every_table_has_rows(&supabase, &tables).await;

    for table in &tables {
        let column = first_column(&supabase.admin, table).await;
        for role in RLS_ROLES {
            // A grant made by mistake (or by a later default) still shows and changes nothing.
            execute(
                &supabase.admin,
                &format!("GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}"),
            )
            .await;
            let seen = as_role(
                &supabase.admin,
                role,
                None,
                &format!("SELECT 1 FROM {table}"),
            )
            .await
            .expect("granted select");
            assert_eq!(seen.rows.len(), 0, "{role} sees rows of {table}");
            for statement in [
                format!("UPDATE {table} SET {column} = {column}"),
                format!("DELETE FROM {table}"),
            ] {
                let changed = as_role(&supabase.admin, role, None, &statement)
                    .await
                    .expect("granted statement");
                assert_eq!(changed.affected, 0, "{role}: {statement}");
            }
            execute(
                &supabase.admin,
                &format!("REVOKE ALL ON {table} FROM {role}"),
            )
            .await;
        }
    }

    execute(&supabase.admin, "GRANT INSERT ON api_keys TO anon").await;
    let insert = as_role(
        &supabase.admin,
        "anon",
        None,
        &format!(
            "INSERT INTO api_keys (key_hash, scope) VALUES ('{}', 'admin')",
            "a".repeat(64)
        ),
    )
    .await;
    assert_error(
        insert,
        "new row violates row-level security policy for table \"api_keys\"",
        "a granted insert",
    );
}

#[tokio::test]
async fn the_attacks_of_the_issue_fail_and_change_nothing() {
    let supabase = SupabaseDatabase::migrated().await;
    let store = supabase.store();
    seed_through_the_service(&store, "ada").await;
    let schedule_before = store.find_config(&user("ada")).await.expect("config");
    let forged_hash = "f".repeat(64);
    let attacks = [
        "SELECT display_name FROM relationship_profiles".to_owned(),
        "SELECT key_hash FROM api_keys".to_owned(),
        "SELECT user_id FROM google_contacts_auto_sync_config".to_owned(),
        format!(
            "INSERT INTO api_keys (key_hash, scope, name) VALUES ('{forged_hash}', 'admin', 'x')"
        ),
        "DELETE FROM api_keys".to_owned(),
        "UPDATE api_keys SET revoked_at = now()".to_owned(),
        "UPDATE google_contacts_auto_sync_config SET interval_hours = 1, enabled = false"
            .to_owned(),
        "DELETE FROM __diesel_schema_migrations".to_owned(),
        // The change feed's sequence tells how many changes were made, and taking numbers (or
        // the workspace lock) would meddle with the service's writers.
        "SELECT last_value FROM relationship_profile_change_seq".to_owned(),
        "SELECT nextval('relationship_profile_change_seq')".to_owned(),
        "SELECT setval('relationship_profile_change_seq', 1)".to_owned(),
        "SELECT pulse_lock_profiles_of('ada')".to_owned(),
    ];
    for role in ["anon", "authenticated"] {
        for attack in &attacks {
            let answer = as_role(&supabase.admin, role, None, attack).await;
            assert_permission_denied(answer, &format!("{role}: {attack}"));
        }
    }

    let now = crate::support::now();
    assert_eq!(
        store
            .authenticate(&forged_hash, now)
            .await
            .expect("authenticate"),
        None
    );
    let keys = store.list_keys().await.expect("list keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].revoked_at, None);
    assert_eq!(
        store.find_config(&user("ada")).await.expect("config"),
        schedule_before
    );
    assert!(
        store
            .pending_migrations()
            .await
            .expect("pending")
            .is_empty()
    );
}

#[tokio::test]
async fn the_api_roles_cannot_call_any_function() {
    let supabase = SupabaseDatabase::migrated().await;
    let functions = strings(
        &supabase.admin,
        "SELECT oid::regprocedure::text FROM pg_proc \
         WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
    )
    .await;
    for function in [
        "pulse_disable_profile_read_policy()",
        "pulse_enable_profile_read_policy(text)",
        "pulse_lock_down_function(regprocedure)",
        "pulse_lock_down_table(regclass)",
        "pulse_lock_profiles_of(text)",
        "pulse_notify_sync_jobs()",
        "pulse_revoke_from_api_roles(text,text)",
    ] {
        assert!(
            functions.iter().any(|f| f == function),
            "{function} in {functions:?}"
        );
    }
    for function in &functions {
        for role in API_ROLES {
            let query = format!("SELECT has_function_privilege('{role}', '{function}', 'EXECUTE')");
            assert_eq!(
                strings(&supabase.admin, &query).await,
                ["f"],
                "{role} may execute {function}"
            );
        }
    }
    for role in API_ROLES {
        for call in [
            "SELECT pulse_enable_profile_read_policy()",
            "SELECT pulse_lock_down_table('api_keys')",
        ] {
            let answer = as_role(&supabase.admin, role, None, call).await;
            assert_permission_denied(answer, &format!("{role}: {call}"));
        }
    }
}

#[tokio::test]
async fn without_the_lock_down_the_default_privileges_open_the_tables_and_it_closes_them() {
    let supabase = SupabaseDatabase::create().await;
    let owner = supabase.owner().await;
    let folders = migration_folders();
    let (before, after): (Vec<_>, Vec<_>) = folders.iter().partition(|folder| {
        folder
            .file_name()
            .is_some_and(|name| name.to_string_lossy().as_ref() < LOCK_DOWN_MIGRATION)
    });
    assert!(
        after
            .first()
            .is_some_and(|folder| folder.ends_with(LOCK_DOWN_MIGRATION)),
        "the lock-down migration is in the folder"
    );
    for folder in &before {
        run_file(&owner, folder, "up.sql").await;
    }
    execute(
        &owner,
        "INSERT INTO relationship_profiles (user_id, source_id) VALUES ('ada', 'people/1')",
    )
    .await;
    let insert = format!(
        "INSERT INTO api_keys (key_hash, scope) VALUES ('{}', 'admin')",
        "a".repeat(64)
    );

    // The issue, reproduced: the anonymous role reads profiles and mints an admin key.
    let read = as_role(
        &supabase.admin,
        "anon",
        None,
        "SELECT source_id FROM relationship_profiles",
    )
    .await
    .expect("anon reads before the lock-down");
    assert_eq!(read.rows, ["people/1"]);
    let minted = as_role(&supabase.admin, "anon", None, &insert)
        .await
        .expect("anon inserts before the lock-down");
    assert_eq!(minted.affected, 1);

    run_file(&owner, after[0], "up.sql").await;
    for role in API_ROLES {
        for statement in [
            "SELECT source_id FROM relationship_profiles",
            insert.as_str(),
        ] {
            let answer = as_role(&supabase.admin, role, None, statement).await;
            assert_permission_denied(answer, &format!("{role}: {statement}"));
        }
    }
}

#[tokio::test]
async fn down_then_up_again_applies_with_the_api_roles_present() {
    let supabase = SupabaseDatabase::migrated().await;
    let owner = supabase.owner().await;
    let migrated_tables = supabase.tables().await;
    let folders = migration_folders();
    for folder in folders.iter().rev() {
        run_file(&owner, folder, "down.sql").await;
    }
    assert_eq!(supabase.tables().await, ["__diesel_schema_migrations"]);
    let functions = strings(
        &supabase.admin,
        "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace",
    )
    .await;
    assert_eq!(functions, Vec::<String>::new());
    let diesel_rls = "SELECT relrowsecurity::text FROM pg_class \
                      WHERE oid = '__diesel_schema_migrations'::regclass";
    assert_eq!(strings(&supabase.admin, diesel_rls).await, ["false"]);

    for folder in &folders {
        run_file(&owner, folder, "up.sql").await;
    }
    let tables = supabase.tables().await;
    assert_eq!(tables, migrated_tables);
    assert_eq!(strings(&supabase.admin, diesel_rls).await, ["true"]);
    for table in &tables {
        for role in API_ROLES {
            let answer = as_role(
                &supabase.admin,
                role,
                None,
                &format!("SELECT 1 FROM {table}"),
            )
            .await;
            assert_permission_denied(answer, &format!("{role} reads {table}"));
        }
    }
}

#[tokio::test]
async fn tables_that_are_not_pulse_syncs_keep_their_grants() {
    let supabase = SupabaseDatabase::migrated().await;
    let owner = supabase.owner().await;
    // A table of the CRM in the same schema, created after the migrations: the default
    // privileges (the Supabase setup of these tests) grant it, and the lock-down leaves it be.
    execute(&owner, "CREATE TABLE crm_notes (body text)").await;
    let written = as_role(
        &supabase.admin,
        "anon",
        None,
        "INSERT INTO crm_notes VALUES ('hello') RETURNING body",
    )
    .await
    .expect("anon writes the CRM's table");
    assert_eq!(written.rows, ["hello"]);
}
