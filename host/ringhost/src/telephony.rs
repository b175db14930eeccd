//! Builds the SIP side of the host from the configuration and the store: the
//! registrar with its phone accounts, and (next) the trunks and routes.

use std::sync::Arc;

use anyhow::Context as _;
use ringhost_config::Config;
use ringhost_sip::digest::Algorithm;
use ringhost_sip::{Registrar, RegistrarSettings};
use ringhost_store::Store;

/// The registrar, with the accounts of `[[phones]]` and the bindings kept in the store.
pub(crate) async fn registrar(config: &Config, store: &Store) -> anyhow::Result<Arc<Registrar>> {
    let r = &config.registrar;
    let algorithms = r
        .algorithms
        .iter()
        .map(|name| {
            Algorithm::parse(name).with_context(|| {
                format!("registrar.algorithms: `{name}` is not a digest algorithm (SHA-256, MD5)")
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!algorithms.is_empty(), "registrar.algorithms is empty");
    let mut phones = std::collections::HashMap::new();
    for phone in &config.phones {
        anyhow::ensure!(
            !phone.username.is_empty(),
            "a [[phones]] entry has no username"
        );
        anyhow::ensure!(
            !phone.password.is_empty(),
            "phone `{}` has no password",
            phone.username
        );
        anyhow::ensure!(
            phones
                .insert(phone.username.clone(), phone.password.clone())
                .is_none(),
            "phone `{}` is configured twice",
            phone.username
        );
    }
    let registrar = Registrar::new(
        RegistrarSettings {
            realm: r.realm.clone(),
            algorithms,
            min_expires: r.min_expires,
            max_expires: r.max_expires,
            max_failures: r.max_failures,
            failure_window: r.failure_window,
            block_for: r.block_for,
            phones,
        },
        store.clone(),
    )
    .await?;
    let purging = registrar.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            purging.purge().await;
        }
    });
    Ok(registrar)
}
