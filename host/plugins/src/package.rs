//! A plugin package: a folder, or a `.tar.gz` archive, holding `plugin.toml` and the
//! component it names.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::manifest::{Manifest, ManifestError};

/// The most an archive may unpack to: a gzip bomb is refused, not unpacked into memory.
/// JavaScript components are the largest seen (about 12 MB).
const ARCHIVE_LIMIT: u64 = 256 * 1024 * 1024;

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
    /// An archive lacks a file the package needs.
    #[error("{archive}: no {file} in the archive (at its top or in one top folder)")]
    Missing {
        /// The archive.
        archive: PathBuf,
        /// The file it lacks.
        file: String,
    },
}

impl Package {
    /// Whether `path` looks like a package: a folder with a manifest, or an archive.
    /// Anything else in the plugins folder (notes, a half-copied folder) is not one.
    pub fn is_package(path: &Path) -> bool {
        path.join("plugin.toml").is_file() || (is_archive(path) && path.is_file())
    }

    /// Reads the package at `path`: a folder, or a `.tar.gz` (or `.tgz`) archive whose
    /// files sit at its top or in one top folder.
    ///
    /// # Errors
    /// When the manifest or the component cannot be read, or the manifest is refused.
    pub fn read(path: &Path) -> Result<Package, PackageError> {
        if is_archive(path) {
            return Package::read_archive(path);
        }
        let read = |file: &Path| {
            std::fs::read(file).map_err(|source| PackageError::Read {
                path: file.to_path_buf(),
                source,
            })
        };
        let manifest_path = path.join("plugin.toml");
        let manifest = parse_manifest(&read(&manifest_path)?, manifest_path)?;
        let file = component_name(path, &manifest)?;
        let component = read(&path.join(&file))?;
        Ok(Package {
            path: path.to_path_buf(),
            manifest,
            component,
        })
    }

    fn read_archive(path: &Path) -> Result<Package, PackageError> {
        let file = std::fs::File::open(path).map_err(|source| PackageError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Package::unpack_archive(file, path)
    }

    /// Reads a `.tar.gz` package held in memory (an upload); `path` names it in errors
    /// and becomes its [`Package::path`].
    ///
    /// # Errors
    /// When it is not an archive, lacks the manifest or the component, or the manifest
    /// is refused.
    pub fn from_archive(bytes: &[u8], path: &Path) -> Result<Package, PackageError> {
        Package::unpack_archive(bytes, path)
    }

    fn unpack_archive(archive: impl Read, path: &Path) -> Result<Package, PackageError> {
        let io = |source| PackageError::Read {
            path: path.to_path_buf(),
            source,
        };
        let files = unpack(archive).map_err(io)?;
        let find = |name: &str| {
            files
                .iter()
                .find(|(file, _)| file == name)
                .map(|(_, bytes)| bytes.clone())
                .ok_or_else(|| PackageError::Missing {
                    archive: path.to_path_buf(),
                    file: name.to_owned(),
                })
        };
        let manifest = parse_manifest(&find("plugin.toml")?, path.join("plugin.toml"))?;
        let file = component_name(path, &manifest)?;
        let component = find(&file)?;
        Ok(Package {
            path: path.to_path_buf(),
            manifest,
            component,
        })
    }
}

/// Whether the file name says gzip-compressed tar.
fn is_archive(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

fn parse_manifest(bytes: &[u8], path: PathBuf) -> Result<Manifest, PackageError> {
    Manifest::parse(&String::from_utf8_lossy(bytes))
        .map_err(|source| PackageError::Manifest { path, source })
}

/// The component's file name, refused if it points anywhere but the package's top.
fn component_name(package: &Path, manifest: &Manifest) -> Result<String, PackageError> {
    let file = manifest.component_file();
    if Path::new(&file).components().count() != 1 || file.starts_with('.') {
        return Err(PackageError::Escapes(package.join(file)));
    }
    Ok(file)
}

/// The regular files of a `.tar.gz`, by their path with one common top folder taken
/// off. Entries are only read into memory, never written out, so a `..` in a name
/// cannot reach the file system; such names simply match nothing.
fn unpack(archive: impl Read) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let gz = flate2::read::GzDecoder::new(archive);
    let mut archive = tar::Archive::new(gz.take(ARCHIVE_LIMIT + 1));
    let mut files = Vec::new();
    let mut total = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name: Vec<String> = entry
            .path()?
            .components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        total += bytes.len() as u64;
        if total > ARCHIVE_LIMIT {
            return Err(std::io::Error::other(format!(
                "the archive unpacks to more than {ARCHIVE_LIMIT} bytes"
            )));
        }
        files.push((name, bytes));
    }
    // `tar czf x.tar.gz folder/` puts every file under `folder/`: take it off when all
    // files share it.
    let top = files.first().and_then(|(name, _)| name.first().cloned());
    let nested = files
        .iter()
        .all(|(name, _)| name.len() > 1 && name.first() == top.as_ref());
    Ok(files
        .into_iter()
        .map(|(name, bytes)| {
            let name = if nested { &name[1..] } else { &name[..] };
            (name.join("/"), bytes)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
name = "boxed"
version = "1.2.0"
kind = "pacer"
wit = "0.1.0"
"#;

    fn archive(dir: &Path, name: &str, files: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join(name);
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        for (file, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, file, *bytes).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
        path
    }

    #[test]
    fn archives_are_read_flat_or_in_one_top_folder() {
        let dir = tempfile::tempdir().unwrap();
        for (name, prefix) in [("flat.tar.gz", ""), ("nested.tgz", "boxed-1.2.0/")] {
            let manifest = format!("{prefix}plugin.toml");
            let component = format!("{prefix}boxed.wasm");
            let path = archive(
                dir.path(),
                name,
                &[(&manifest, MANIFEST.as_bytes()), (&component, b"\0asm")],
            );
            assert!(Package::is_package(&path));
            let package = Package::read(&path).unwrap();
            assert_eq!(package.manifest.name, "boxed");
            assert_eq!(package.component, b"\0asm");
        }
    }

    #[test]
    fn an_archive_without_its_component_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = archive(
            dir.path(),
            "broken.tar.gz",
            &[("plugin.toml", MANIFEST.as_bytes())],
        );
        let error = Package::read(&path).unwrap_err().to_string();
        assert!(error.contains("no boxed.wasm in the archive"), "{error}");
    }

    #[test]
    fn a_file_that_is_not_gzip_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.tar.gz");
        std::fs::write(&path, b"not an archive").unwrap();
        assert!(matches!(
            Package::read(&path),
            Err(PackageError::Read { .. })
        ));
    }
}
