//! A plugin package: a folder holding `plugin.toml` and the component it names.

use std::path::{Path, PathBuf};

use crate::manifest::{Manifest, ManifestError};

/// A package read from disk, not yet compiled.
#[derive(Debug, Clone)]
pub struct Package {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The component's bytes.
    pub component: Vec<u8>,
}

/// Why a package cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A file of the package cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The manifest is refused.
    #[error("{path}: {source}")]
    Manifest {
        /// The package.
        path: PathBuf,
        /// Why.
        source: ManifestError,
    },
    /// The component file names a path outside the package.
    #[error("{0}: the component must be a file inside the package")]
    Escapes(PathBuf),
}

impl Package {
    /// Reads the package in folder `path`.
    ///
    /// # Errors
    /// When the manifest or the component cannot be read, or the manifest is refused.
    pub fn read(path: &Path) -> Result<Package, PackageError> {
        let read = |file: &Path| {
            std::fs::read(file).map_err(|source| PackageError::Read {
                path: file.to_path_buf(),
                source,
            })
        };
        let manifest_path = path.join("plugin.toml");
        let text = String::from_utf8_lossy(&read(&manifest_path)?).into_owned();
        let manifest = Manifest::parse(&text).map_err(|source| PackageError::Manifest {
            path: manifest_path,
            source,
        })?;
        let file = manifest.component_file();
        if Path::new(&file).components().count() != 1 || file.starts_with('.') {
            return Err(PackageError::Escapes(path.join(file)));
        }
        let component = read(&path.join(&file))?;
        Ok(Package {
            path: path.to_path_buf(),
            manifest,
            component,
        })
    }
}
