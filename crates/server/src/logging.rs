//! Logging: tracing to standard error, filtered by `RUST_LOG` (default `info`), as text or as
//! JSON lines (`PULSE_LOG_FORMAT=json`, where `span` holds the ids of the job a line belongs to).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::settings::SettingsError;
use crate::settings::variables::RUST_LOG;

/// The filter used when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the process's log subscriber; an invalid `RUST_LOG` is a settings error.
pub fn init(format: LogFormat) -> Result<(), SettingsError> {
    let filter = filter_from(std::env::var_os(RUST_LOG))?;
    let stderr_is_terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests calling commands in process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.with_ansi(stderr_is_terminal).try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    Ok(())
}

/// The filter for a `RUST_LOG` value (the default when unset or blank).
fn filter_from(value: Option<std::ffi::OsString>) -> Result<EnvFilter, SettingsError> {
    let Some(value) = value else {
        return Ok(EnvFilter::new(DEFAULT_FILTER));
    };
    let text = value.into_string().map_err(|_| SettingsError::Invalid {
        variable: RUST_LOG,
        reason: "it is not valid UTF-8".to_owned(),
    })?;
    if text.trim().is_empty() {
        return Ok(EnvFilter::new(DEFAULT_FILTER));
    }
    EnvFilter::try_new(&text).map_err(|error| SettingsError::Invalid {
        variable: RUST_LOG,
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_or_blank_means_info_and_bad_directives_name_rust_log() {
        assert_eq!(filter_from(None).unwrap().to_string(), "info");
        assert_eq!(filter_from(Some(" ".into())).unwrap().to_string(), "info");
        assert!(filter_from(Some("warn,pulse_scheduler=debug".into())).is_ok());
        let error = filter_from(Some("pulse_api=loud".into())).unwrap_err();
        assert!(error.to_string().contains(RUST_LOG), "{error}");
    }
}
