//! Registrar bindings: which contact a phone's address of record reaches, from which
//! source address, until when. The registrar keeps a copy in memory for routing; a
//! [`BindingStore`] keeps what survives a restart (the host's database, through an
//! adapter the binary wires, so that this crate holds no SQL), or [`MemoryBindings`]
//! where nothing needs to survive.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// One registered contact of an address of record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Address of record: the phone account's user name.
    pub aor: String,
    /// The Contact URI the phone registered.
    pub contact: String,
    /// `ip:port` the REGISTER came from; requests to the phone go there.
    pub source: String,
    /// `udp` or `tcp`.
    pub transport: String,
    /// Call-ID of the REGISTER, to order refreshes (RFC 3261 10.3 step 7).
    pub call_id: String,
    /// CSeq number of the REGISTER.
    pub cseq: i64,
    /// The phone's User-Agent, for the supervisor's view.
    pub user_agent: String,
    /// When the binding lapses, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
}

/// A future a [`BindingStore`] method returns (boxed: the registrar holds the store
/// as a trait object).
pub type BindingFuture<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// Where bindings are kept. A binding is written before the registrar's 200 is sent.
pub trait BindingStore: Send + Sync {
    /// Adds or refreshes a binding (keyed by address of record and contact).
    fn put<'a>(&'a self, binding: &'a Binding, now_ms: i64) -> BindingFuture<'a, ()>;

    /// Removes one contact of an address of record, or all of them when `contact` is
    /// `None` (`Contact: *`).
    fn remove<'a>(&'a self, aor: &'a str, contact: Option<&'a str>) -> BindingFuture<'a, ()>;

    /// Bindings that have not lapsed at `now_ms`, of one address of record or of all,
    /// ordered by address of record and contact.
    fn live<'a>(&'a self, aor: Option<&'a str>, now_ms: i64) -> BindingFuture<'a, Vec<Binding>>;

    /// Deletes lapsed bindings; how many.
    fn purge(&self, now_ms: i64) -> BindingFuture<'_, u64>;
}

/// Bindings kept in memory only: for a registrar whose phones need not survive a
/// restart (tests, the simulated phones' own checks).
#[derive(Debug, Default)]
pub struct MemoryBindings {
    bindings: Mutex<BTreeMap<(String, String), Binding>>,
}

impl BindingStore for MemoryBindings {
    fn put<'a>(&'a self, binding: &'a Binding, _now_ms: i64) -> BindingFuture<'a, ()> {
        let key = (binding.aor.clone(), binding.contact.clone());
        self.bindings.lock().unwrap().insert(key, binding.clone());
        Box::pin(async { Ok(()) })
    }

    fn remove<'a>(&'a self, aor: &'a str, contact: Option<&'a str>) -> BindingFuture<'a, ()> {
        self.bindings
            .lock()
            .unwrap()
            .retain(|(a, c), _| a != aor || contact.is_some_and(|contact| contact != c));
        Box::pin(async { Ok(()) })
    }

    fn live<'a>(&'a self, aor: Option<&'a str>, now_ms: i64) -> BindingFuture<'a, Vec<Binding>> {
        let live = self
            .bindings
            .lock()
            .unwrap()
            .values()
            .filter(|b| aor.is_none_or(|aor| b.aor == aor) && b.expires_at_ms > now_ms)
            .cloned()
            .collect();
        Box::pin(async { Ok(live) })
    }

    fn purge(&self, now_ms: i64) -> BindingFuture<'_, u64> {
        let mut bindings = self.bindings.lock().unwrap();
        let before = bindings.len();
        bindings.retain(|_, b| b.expires_at_ms > now_ms);
        let purged = (before - bindings.len()) as u64;
        Box::pin(async move { Ok(purged) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(aor: &str, contact: &str, expires_at_ms: i64) -> Binding {
        Binding {
            aor: aor.into(),
            contact: contact.into(),
            source: "127.0.0.1:5070".into(),
            transport: "udp".into(),
            call_id: "c".into(),
            cseq: 1,
            user_agent: "phone".into(),
            expires_at_ms,
        }
    }

    #[tokio::test]
    async fn memory_bindings_keep_live_contacts_by_aor() {
        let store = MemoryBindings::default();
        store
            .put(&binding("1001", "sip:a@x", 100), 0)
            .await
            .unwrap();
        store.put(&binding("1001", "sip:b@x", 50), 0).await.unwrap();
        store
            .put(&binding("1002", "sip:c@x", 100), 0)
            .await
            .unwrap();
        // A refresh replaces its contact's binding.
        store
            .put(&binding("1001", "sip:a@x", 200), 0)
            .await
            .unwrap();
        let live = store.live(Some("1001"), 60).await.unwrap();
        assert_eq!(live, vec![binding("1001", "sip:a@x", 200)]);
        assert_eq!(store.live(None, 0).await.unwrap().len(), 3);
        assert_eq!(store.purge(60).await.unwrap(), 1);
        store.remove("1001", Some("sip:a@x")).await.unwrap();
        assert!(store.live(Some("1001"), 0).await.unwrap().is_empty());
        store.remove("1002", None).await.unwrap();
        assert!(store.live(None, 0).await.unwrap().is_empty());
    }
}
