//! Passwords: hashed with argon2id (the `argon2` crate's defaults, OWASP's minimum
//! parameters) into a PHC string with its own salt; checked in constant time.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 8;

/// The PHC string of `password`.
///
/// # Errors
/// When the password is shorter than [`MIN_LENGTH`].
pub fn hash(password: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        password.chars().count() >= MIN_LENGTH,
        "a password needs at least {MIN_LENGTH} characters"
    );
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Whether `password` is the one `phc` was made from. A malformed `phc` matches
/// nothing.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify("correct horse", &phc));
        assert!(!verify("correct horsE", &phc));
        assert!(!verify("correct horse", "not a phc string"));
        // Salted: the same password hashes differently each time.
        assert_ne!(phc, hash("correct horse").unwrap());
        assert!(hash("short").is_err());
    }
}
