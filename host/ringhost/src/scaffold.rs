//! `ringhost plugin new`: a plugin skeleton that builds, in Rust, Python or JavaScript.
//!
//! A skeleton is self-contained: it carries the WIT package it was generated against
//! (and, for Rust, the SDK's source), so it builds outside this repository with only
//! the language's component tool installed. Templates live in `templates/`, with
//! `{{name}}`, `{{crate}}` and `{{world}}` filled in.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ringhost_plugins::Kind;

/// The languages a skeleton can be written in.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Lang {
    /// Rust with ringhost-sdk, built with cargo for wasm32-wasip2.
    Rust,
    /// Python, built with componentize-py.
    Python,
    /// JavaScript, built with componentize-js.
    Js,
}

/// The WIT package, as this binary was built with it.
const WIT: &[(&str, &str)] = &[
    ("host.wit", include_str!("../../../wit/host.wit")),
    ("pacer.wit", include_str!("../../../wit/pacer.wit")),
    (
        "disposition.wit",
        include_str!("../../../wit/disposition.wit"),
    ),
    ("ivr.wit", include_str!("../../../wit/ivr.wit")),
    ("crm.wit", include_str!("../../../wit/crm.wit")),
];

/// The SDK's source, so that a Rust skeleton builds without this repository.
const SDK: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../../sdk/Cargo.toml")),
    ("src/lib.rs", include_str!("../../../sdk/src/lib.rs")),
];

/// The skeleton's source files for `lang` and `kind`: (path in the skeleton, template).
fn sources(lang: Lang, kind: Kind) -> Vec<(&'static str, &'static str)> {
    match (lang, kind) {
        (Lang::Rust, kind) => vec![
            ("Cargo.toml", include_str!("../templates/rust/Cargo.toml")),
            ("build.sh", include_str!("../templates/rust/build.sh")),
            (
                "src/lib.rs",
                match kind {
                    Kind::Pacer => include_str!("../templates/rust/pacer.rs"),
                    Kind::DispositionMapper => {
                        include_str!("../templates/rust/disposition-mapper.rs")
                    }
                    Kind::Ivr => include_str!("../templates/rust/ivr.rs"),
                    Kind::CrmConnector => include_str!("../templates/rust/crm-connector.rs"),
                },
            ),
        ],
        (Lang::Python, kind) => {
            let mut files = vec![
                ("build.sh", include_str!("../templates/python/build.sh")),
                (
                    "app.py",
                    match kind {
                        Kind::Pacer => include_str!("../templates/python/pacer.py"),
                        Kind::DispositionMapper => {
                            include_str!("../templates/python/disposition-mapper.py")
                        }
                        Kind::Ivr => include_str!("../templates/python/ivr.py"),
                        Kind::CrmConnector => {
                            include_str!("../templates/python/crm-connector.py")
                        }
                    },
                ),
            ];
            if let Kind::Ivr = kind {
                // componentize-py finds a resource's class in a module named after
                // its interface.
                files.push((
                    "ivr_session.py",
                    include_str!("../templates/python/ivr_session.py"),
                ));
            }
            files
        }
        (Lang::Js, kind) => vec![
            ("build.sh", include_str!("../templates/js/build.sh")),
            (
                "app.js",
                match kind {
                    Kind::Pacer => include_str!("../templates/js/pacer.js"),
                    Kind::DispositionMapper => {
                        include_str!("../templates/js/disposition-mapper.js")
                    }
                    Kind::Ivr => include_str!("../templates/js/ivr.js"),
                    Kind::CrmConnector => include_str!("../templates/js/crm-connector.js"),
                },
            ),
        ],
    }
}

/// Writes the skeleton of a `kind` plugin called `name` in `lang` into `dir/name`;
/// returns that folder. Refuses to write into a folder that exists.
pub(crate) fn new(dir: &Path, name: &str, kind: Kind, lang: Lang) -> anyhow::Result<PathBuf> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!(
            "{name:?}: a plugin name is lowercase letters, digits and '-', starting with a letter"
        );
    }
    let root = dir.join(name);
    if root.exists() {
        bail!("{} exists already; nothing was written", root.display());
    }
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{crate}}", &name.replace('-', "_"))
            .replace("{{world}}", kind.world())
    };
    let mut files: Vec<(PathBuf, String)> = vec![(
        "plugin.toml".into(),
        fill(include_str!("../templates/plugin.toml")),
    )];
    files.extend(
        WIT.iter()
            .map(|(file, text)| (Path::new("wit").join(file), (*text).to_owned())),
    );
    if let Lang::Rust = lang {
        // The SDK declares a workspace of its own; in the skeleton it is a member of
        // the plugin's.
        files.extend(SDK.iter().map(|(file, text)| {
            (
                Path::new("ringhost-sdk").join(file),
                text.replace("\n[workspace]\n", "\n"),
            )
        }));
    }
    files.extend(
        sources(lang, kind)
            .into_iter()
            .map(|(file, template)| (PathBuf::from(file), fill(template))),
    );
    for (file, text) in files {
        let path = root.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(root)
}
