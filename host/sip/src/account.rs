//! Phone accounts kept outside the configuration file (the store's, made from the
//! panel when an agent is added). The registrar asks for an account its file does not
//! name on each REGISTER, so an account added while the host runs works at once,
//! without a restart.

use std::future::Future;
use std::pin::Pin;

use crate::digest::Algorithm;

/// What an account lookup returns.
pub type AccountFuture<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// What proves a phone's password without being it: HA1 = `H(user:realm:password)`
/// for each digest algorithm the registrar offers, as SIP servers keep them (a leaked
/// table gives no password, and only for this realm).
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneSecret {
    /// The realm the hashes were made for; a registrar of another realm cannot use
    /// them.
    pub realm: String,
    /// HA1 with MD5, lowercase hex.
    pub ha1_md5: String,
    /// HA1 with SHA-256, lowercase hex.
    pub ha1_sha256: String,
}

impl std::fmt::Debug for PhoneSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the hashes: they log in as the phone.
        f.debug_struct("PhoneSecret")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl PhoneSecret {
    /// The secret of `user` with `password` in `realm`.
    pub fn new(user: &str, realm: &str, password: &str) -> PhoneSecret {
        let a1 = format!("{user}:{realm}:{password}");
        PhoneSecret {
            realm: realm.to_owned(),
            ha1_md5: Algorithm::Md5.hash(&a1),
            ha1_sha256: Algorithm::Sha256.hash(&a1),
        }
    }

    /// HA1 for `algorithm`.
    pub fn ha1(&self, algorithm: Algorithm) -> &str {
        match algorithm {
            Algorithm::Md5 => &self.ha1_md5,
            Algorithm::Sha256 => &self.ha1_sha256,
        }
    }
}

/// Where the registrar finds the accounts its configuration does not list.
pub trait PhoneAccounts: Send + Sync {
    /// The secret of the account `user`, if there is one.
    fn secret<'a>(&'a self, user: &'a str) -> AccountFuture<'a, Option<PhoneSecret>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Challenge;

    #[test]
    fn a_response_is_proved_by_the_hashes_as_by_the_password() {
        for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
            let challenge = Challenge {
                realm: "ringhost".into(),
                nonce: "5f1a.abc".into(),
                opaque: None,
                algorithm,
                qop_auth: true,
                stale: false,
            };
            let credentials = challenge.answer("1001", "s3cret", "REGISTER", "sip:127.0.0.1");
            let right = PhoneSecret::new("1001", "ringhost", "s3cret");
            assert!(credentials.verify_ha1(right.ha1(algorithm), "REGISTER"));
            let wrong = PhoneSecret::new("1001", "ringhost", "s3cret!");
            assert!(!credentials.verify_ha1(wrong.ha1(algorithm), "REGISTER"));
            let elsewhere = PhoneSecret::new("1001", "other", "s3cret");
            assert!(!credentials.verify_ha1(elsewhere.ha1(algorithm), "REGISTER"));
        }
        let secret = PhoneSecret::new("1001", "ringhost", "s3cret");
        assert!(!format!("{secret:?}").contains(&secret.ha1_md5));
    }
}
