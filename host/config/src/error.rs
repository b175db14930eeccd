//! Errors that point at the exact place in the operator's file.

use std::path::{Path, PathBuf};

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("{}: cannot read the configuration file: {source}", path.display())]
    Read {
        /// The file named on the command line.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file was read but is not valid TOML or not a valid configuration.
    #[error(
        "{}:{line}:{column}: {}{message}",
        path.display(),
        key.as_deref().map(|k| format!("key `{k}`: ")).unwrap_or_default()
    )]
    Invalid {
        /// The file named on the command line.
        path: PathBuf,
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
        /// The dotted key at fault (`sip.udp`), when the fault is tied to one.
        key: Option<String>,
        /// What is wrong, in serde's or TOML's words.
        message: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(
        path: &Path,
        text: &str,
        key: Option<String>,
        error: &toml::de::Error,
    ) -> ConfigError {
        let offset = error.span().map_or(0, |span| span.start);
        let (line, column) = line_and_column(text, offset);
        ConfigError::Invalid {
            path: path.to_owned(),
            line,
            column,
            // serde_path_to_error names the document root `.`; that is no key.
            key: key.filter(|k| k != "."),
            message: error.message().trim_end().to_owned(),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
