//! `docs/configuration.md` lists exactly the variables the code reads: its table equals
//! `settings::VARIABLES`, and so does the set of variables the command line (every flag's `env`),
//! the Google configuration and the logging actually read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Mutex;

use clap::CommandFactory;
use pulse_google::GoogleConfig;
use pulse_server::cli::Cli;
use pulse_server::settings::VARIABLES;
use pulse_server::settings::variables::{
    PULSE_ADMIN_API_KEY, PULSE_ADMIN_API_KEY_FILE, PULSE_PG_BIN_DIRS, RUST_LOG,
};

const DOC: &str = include_str!("../../../docs/configuration.md");

/// The rows of the doc's variable table: (name, default, meaning).
fn documented_rows() -> Vec<(String, String, String)> {
    DOC.lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect();
            assert_eq!(
                cells.len(),
                3,
                "a row has a name, a default and a meaning: {line}"
            );
            let name = cells[0].trim_matches('`').to_owned();
            (name, cells[1].clone(), cells[2].clone())
        })
        .collect()
}

fn variables() -> BTreeSet<String> {
    VARIABLES.iter().map(|name| (*name).to_owned()).collect()
}

/// Every `env` of every flag of every subcommand.
fn command_line_variables(command: &clap::Command, found: &mut BTreeSet<String>) {
    for argument in command.get_arguments() {
        if let Some(name) = argument.get_env() {
            found.insert(name.to_string_lossy().into_owned());
        }
    }
    for subcommand in command.get_subcommands() {
        command_line_variables(subcommand, found);
    }
}

/// The names `GoogleConfig::from_lookup` asks for.
fn google_variables() -> BTreeSet<String> {
    let asked = Mutex::new(BTreeSet::new());
    let config = GoogleConfig::from_lookup(|name| {
        asked.lock().unwrap().insert(name.to_owned());
        match name {
            "GOOGLE_CLIENT_ID" | "GOOGLE_CLIENT_SECRET" => Some("x".to_owned()),
            "GOOGLE_REDIRECT_URL" => Some("http://127.0.0.1:3003/callback".to_owned()),
            _ => None,
        }
    });
    assert!(config.is_ok(), "{config:?}");
    asked.into_inner().unwrap()
}

#[test]
fn the_variable_list_has_no_duplicates() {
    assert_eq!(variables().len(), VARIABLES.len());
}

#[test]
fn the_doc_lists_every_variable_and_no_other() {
    let rows = documented_rows();
    let documented: BTreeSet<String> = rows.iter().map(|(name, _, _)| name.clone()).collect();
    assert_eq!(documented.len(), rows.len(), "a variable is listed twice");
    let code = variables();
    let missing: Vec<&String> = code.difference(&documented).collect();
    let unknown: Vec<&String> = documented.difference(&code).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "not documented: {missing:?}; documented but not read: {unknown:?}"
    );
    for (name, default, meaning) in rows {
        assert!(!default.is_empty(), "{name} has a default column");
        assert!(meaning.len() > 10, "{name} says what it means");
    }
}

#[test]
fn the_code_reads_exactly_the_listed_variables() {
    let mut read = BTreeSet::new();
    command_line_variables(&Cli::command(), &mut read);
    read.extend(google_variables());
    read.insert(RUST_LOG.to_owned());
    // Read by the storage crate's local cluster, not through a flag.
    read.insert(PULSE_PG_BIN_DIRS.to_owned());
    // Read from the environment only, never a flag (the admin key must not show in `ps`).
    read.insert(PULSE_ADMIN_API_KEY.to_owned());
    read.insert(PULSE_ADMIN_API_KEY_FILE.to_owned());
    let listed = variables();
    let unlisted: Vec<&String> = read.difference(&listed).collect();
    let unread: Vec<&String> = listed.difference(&read).collect();
    assert!(
        unlisted.is_empty() && unread.is_empty(),
        "read but not listed: {unlisted:?}; listed but never read: {unread:?}"
    );
}
