//! Builds the SIP side of the host from the configuration and the store: the
//! registrar with its phone accounts (the file's, and the store's made from the panel;
//! its bindings kept in the store), and the trunks and routes.

use std::sync::Arc;

use anyhow::Context as _;
use ringhost_config::{Config, TransportName, TrunkConfig};
use ringhost_sip::account::AccountFuture;
use ringhost_sip::binding::BindingFuture;
use ringhost_sip::digest::Algorithm;
use ringhost_sip::{
    Binding, BindingStore, DigestLogin, PhoneAccounts, PhoneSecret, Protocol, Registrar,
    RegistrarSettings, TrunkSpec,
};
use ringhost_store::Store;
use ringhost_store::sip_binding::Binding as BindingRow;

/// The registrar, with the accounts of `[[phones]]` and of the store, and the bindings
/// kept in the store.
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
            accounts: Some(Arc::new(StoredAccounts(store.clone()))),
        },
        Arc::new(StoredBindings(store.clone())),
    )
    .await?;
    let purging = registrar.clone();
    tokio::spawn(async move {
        // The first purge a period after start: `Registrar::new` has just read only
        // the live bindings.
        let period = std::time::Duration::from_secs(60);
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            every.tick().await;
            purging.purge().await;
        }
    });
    Ok(registrar)
}

/// The phone accounts made from the panel, in the store's `phone_account` table.
struct StoredAccounts(Store);

impl PhoneAccounts for StoredAccounts {
    fn secret<'a>(&'a self, user: &'a str) -> AccountFuture<'a, Option<PhoneSecret>> {
        Box::pin(async move {
            Ok(self.0.phone_account(user).await?.map(|row| PhoneSecret {
                realm: row.realm,
                ha1_md5: row.ha1_md5,
                ha1_sha256: row.ha1_sha256,
            }))
        })
    }
}

/// The registrar's bindings in the store's `sip_binding` table.
struct StoredBindings(Store);

impl BindingStore for StoredBindings {
    fn put<'a>(&'a self, b: &'a Binding, now_ms: i64) -> BindingFuture<'a, ()> {
        let row = BindingRow {
            aor: b.aor.clone(),
            contact: b.contact.clone(),
            source: b.source.clone(),
            transport: b.transport.clone(),
            call_id: b.call_id.clone(),
            cseq: b.cseq,
            user_agent: b.user_agent.clone(),
            expires_at_ms: b.expires_at_ms,
        };
        Box::pin(async move { self.0.put_binding(&row, now_ms).await })
    }

    fn remove<'a>(&'a self, aor: &'a str, contact: Option<&'a str>) -> BindingFuture<'a, ()> {
        Box::pin(self.0.remove_bindings(aor, contact))
    }

    fn live<'a>(&'a self, aor: Option<&'a str>, now_ms: i64) -> BindingFuture<'a, Vec<Binding>> {
        Box::pin(async move {
            let rows = self.0.live_bindings(aor, now_ms).await?;
            Ok(rows
                .into_iter()
                .map(|r| Binding {
                    aor: r.aor,
                    contact: r.contact,
                    source: r.source,
                    transport: r.transport,
                    call_id: r.call_id,
                    cseq: r.cseq,
                    user_agent: r.user_agent,
                    expires_at_ms: r.expires_at_ms,
                })
                .collect())
        })
    }

    fn purge(&self, now_ms: i64) -> BindingFuture<'_, u64> {
        Box::pin(self.0.purge_bindings(now_ms))
    }
}

/// The trunks of the configuration file and of the store (the file wins on a name
/// clash), and the routes of the file.
pub(crate) async fn trunk_plan(
    config: &Config,
    store: Option<&Store>,
) -> anyhow::Result<(Vec<TrunkSpec>, Vec<(String, Vec<String>)>)> {
    let mut trunks: Vec<TrunkConfig> = config.trunks.clone();
    if let Some(store) = store {
        for stored in store.trunks().await? {
            if trunks.iter().any(|t| t.name == stored.name) {
                tracing::warn!(trunk = %stored.name, "trunk in the store shadowed by the configuration file");
                continue;
            }
            let mut trunk: TrunkConfig = serde_json::from_str(&stored.settings)
                .with_context(|| format!("stored trunk `{}` is not valid", stored.name))?;
            trunk.name = stored.name;
            trunks.push(trunk);
        }
    }
    let specs = trunks.into_iter().map(trunk_spec).collect();
    let routes = config
        .routes
        .iter()
        .map(|r| (r.name.clone(), r.trunks.clone()))
        .collect();
    Ok((specs, routes))
}

fn trunk_spec(t: TrunkConfig) -> TrunkSpec {
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    TrunkSpec {
        login: non_empty(t.username).map(|username| DigestLogin {
            username,
            password: t.password,
        }),
        name: t.name,
        address: t.address,
        protocol: match t.transport {
            TransportName::Udp => Protocol::Udp,
            TransportName::Tcp => Protocol::Tcp,
        },
        domain: t.domain,
        outbound_proxy: t.outbound_proxy,
        register: t.register,
        register_expires: t.register_expires,
        caller_id: t.caller_id,
        asserted_identity: non_empty(t.asserted_identity),
        channels: t.channels,
        cps: t.cps,
        keepalive: t.keepalive,
        follow_redirect: t.follow_redirect,
    }
}
