//! `BenchArgs`: the command line every benchmark binary takes:
//! `[--quick] [--results FILE] [--NAME VALUE]...`.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::error::BenchError;

/// The options of one benchmark run.
#[derive(Debug, Clone, Default)]
pub struct BenchArgs {
    /// Smaller sizes and shorter runs (the CI smoke check).
    pub quick: bool,
    /// Where the figures are appended (tab-separated); `None` prints them only.
    pub results: Option<PathBuf>,
    options: HashMap<String, String>,
}

impl BenchArgs {
    /// Parses the process's arguments.
    pub fn from_env() -> Result<Self, BenchError> {
        Self::parse(std::env::args().skip(1))
    }

    /// Parses `arguments` (without the program name).
    pub fn parse(arguments: impl IntoIterator<Item = String>) -> Result<Self, BenchError> {
        let mut parsed = Self::default();
        let mut arguments = arguments.into_iter();
        while let Some(argument) = arguments.next() {
            let Some(name) = argument.strip_prefix("--") else {
                return Err(BenchError::Usage(format!(
                    "unexpected argument {argument:?}"
                )));
            };
            if name == "quick" {
                parsed.quick = true;
                continue;
            }
            let value = arguments
                .next()
                .ok_or_else(|| BenchError::Usage(format!("--{name} needs a value")))?;
            if name == "results" {
                parsed.results = Some(PathBuf::from(value));
            } else {
                parsed.options.insert(name.to_owned(), value);
            }
        }
        Ok(parsed)
    }

    /// The value of `--name`, required.
    pub fn required(&self, name: &str) -> Result<&str, BenchError> {
        self.options
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| BenchError::Usage(format!("--{name} is required")))
    }

    /// The value of `--name`, when given.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    /// `full` normally, `quick` with `--quick`.
    pub fn size<T>(&self, full: T, quick: T) -> T {
        if self.quick { quick } else { full }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<BenchArgs, BenchError> {
        BenchArgs::parse(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn reads_quick_results_and_named_options() {
        let parsed = args(&[
            "--quick",
            "--results",
            "/tmp/r.tsv",
            "--wrk",
            "/usr/bin/wrk",
        ])
        .expect("valid arguments");
        assert!(parsed.quick);
        assert_eq!(parsed.results, Some(PathBuf::from("/tmp/r.tsv")));
        assert_eq!(parsed.required("wrk").expect("given"), "/usr/bin/wrk");
        assert_eq!(parsed.optional("pgbench"), None);
        assert_eq!(parsed.size(10, 1), 1);
    }

    #[test]
    fn refuses_a_missing_value_and_stray_words() {
        assert!(args(&["--results"]).is_err());
        assert!(args(&["quick"]).is_err());
        assert!(args(&[]).expect("no arguments").required("wrk").is_err());
    }
}
