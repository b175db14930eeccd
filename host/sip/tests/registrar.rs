//! The registrar with SHA-256 digest (RFC 8760), which SIPp 3.6.1 cannot speak: a phone
//! played from a raw UDP socket, its answers computed with the digest module that the
//! RFC 7616 vectors check. Also expiry, 423 and unregistration.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ringhost_sip::account::AccountFuture;
use ringhost_sip::digest::{Algorithm, Challenge};
use ringhost_sip::{
    Endpoint, EndpointConfig, PhoneAccounts, PhoneSecret, Protocol, Registrar, RegistrarSettings,
};
use tokio::net::UdpSocket;

async fn registrar_endpoint() -> (Endpoint, Arc<Registrar>, SocketAddr) {
    let phones = HashMap::from([("1001".to_owned(), "s3cret".to_owned())]);
    registrar_endpoint_with(phones, None).await
}

async fn registrar_endpoint_with(
    phones: HashMap<String, String>,
    accounts: Option<Arc<dyn PhoneAccounts>>,
) -> (Endpoint, Arc<Registrar>, SocketAddr) {
    let store = Arc::new(ringhost_sip::MemoryBindings::default());
    let registrar = Registrar::new(
        RegistrarSettings {
            realm: "ringhost".into(),
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
            min_expires: Duration::from_secs(60),
            max_expires: Duration::from_secs(3600),
            max_failures: 5,
            failure_window: Duration::from_secs(60),
            block_for: Duration::from_secs(60),
            phones,
            accounts,
        },
        store,
    )
    .await
    .unwrap();
    let endpoint = Endpoint::bind(EndpointConfig {
        udp: vec!["127.0.0.1:0".parse().unwrap()],
        tcp: Vec::new(),
        timers: Default::default(),
        user_agent: "test".into(),
        trusted: Vec::new(),
        registrar: Some(registrar.clone()),
    })
    .await
    .unwrap();
    let addr = endpoint.transport().local_addr(Protocol::Udp).unwrap();
    (endpoint, registrar, addr)
}

struct Phone {
    socket: UdpSocket,
    registrar: SocketAddr,
    seq: u32,
}

impl Phone {
    async fn register(&mut self, expires: u32, authorization: Option<String>) -> String {
        self.seq += 1;
        let local = self.socket.local_addr().unwrap();
        let auth = authorization
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK{seq}x{expires}\r\n\
             From: <sip:1001@127.0.0.1>;tag=phone\r\n\
             To: <sip:1001@127.0.0.1>\r\n\
             Call-ID: reg-1@127.0.0.1\r\n\
             CSeq: {seq} REGISTER\r\n\
             Contact: <sip:1001@{local}>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000001>\"\r\n\
             {auth}Expires: {expires}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
            seq = self.seq
        );
        self.socket
            .send_to(request.as_bytes(), self.registrar)
            .await
            .unwrap();
        let mut buf = vec![0; 65536];
        let n = tokio::time::timeout(Duration::from_secs(5), self.socket.recv(&mut buf))
            .await
            .expect("no response to REGISTER")
            .unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    /// REGISTERs, answers the first challenge it can with `password`, returns the final
    /// response.
    async fn register_with(&mut self, expires: u32, password: &str) -> String {
        let challenged = self.register(expires, None).await;
        assert!(challenged.starts_with("SIP/2.0 401 "), "{challenged}");
        let challenge = challenged
            .lines()
            .filter_map(|l| l.strip_prefix("WWW-Authenticate: "))
            .find_map(Challenge::parse)
            .expect("no challenge");
        let answer = challenge.answer("1001", password, "REGISTER", "sip:127.0.0.1");
        self.register(expires, Some(answer.to_header_value())).await
    }
}

fn status(response: &str) -> &str {
    &response[8..11]
}

#[tokio::test]
async fn sha256_registration_expiry_and_unregistration() {
    let (_endpoint, registrar, addr) = registrar_endpoint().await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let phone_addr = socket.local_addr().unwrap();
    let mut phone = Phone {
        socket,
        registrar: addr,
        seq: 0,
    };

    // RFC 8760: SHA-256 offered first, MD5 second, both spelt as the RFC does.
    let challenged = phone.register(120, None).await;
    let challenges: Vec<_> = challenged
        .lines()
        .filter(|l| l.starts_with("WWW-Authenticate: "))
        .collect();
    assert_eq!(challenges.len(), 2, "{challenged}");
    assert!(challenges[0].contains("algorithm=SHA-256"), "{challenged}");
    assert!(challenges[1].contains("algorithm=MD5"), "{challenged}");

    let accepted = phone.register_with(120, "s3cret").await;
    assert_eq!(status(&accepted), "200", "{accepted}");
    assert!(
        accepted.contains(&format!("<sip:1001@{phone_addr}>;expires=120")),
        "{accepted}"
    );
    assert!(registrar.is_registered_source(phone_addr));
    assert_eq!(registrar.contacts("1001").len(), 1);

    // Longer than max_expires is shortened; shorter than min_expires is refused.
    let capped = phone.register_with(86_400, "s3cret").await;
    assert!(capped.contains(";expires=3600"), "{capped}");
    let brief = phone.register_with(10, "s3cret").await;
    assert_eq!(status(&brief), "423", "{brief}");
    assert!(brief.contains("Min-Expires: 60"), "{brief}");

    let wrong = phone.register_with(120, "S3cret").await;
    assert_eq!(status(&wrong), "403", "{wrong}");

    let gone = phone.register_with(0, "s3cret").await;
    assert_eq!(status(&gone), "200", "{gone}");
    assert!(!gone.contains("Contact:"), "{gone}");
    assert!(!registrar.is_registered_source(phone_addr));
}

/// A nonce the registrar did not sign is a failure even with a right hash.
#[tokio::test]
async fn forged_nonce_is_refused() {
    let (_endpoint, _registrar, addr) = registrar_endpoint().await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut phone = Phone {
        socket,
        registrar: addr,
        seq: 0,
    };
    let forged = Challenge {
        realm: "ringhost".into(),
        nonce: "6b000000.00000000000000000000000000000000".into(),
        opaque: None,
        algorithm: Algorithm::Sha256,
        qop_auth: true,
        stale: false,
    }
    .answer("1001", "s3cret", "REGISTER", "sip:127.0.0.1");
    let refused = phone.register(120, Some(forged.to_header_value())).await;
    assert_eq!(status(&refused), "403", "{refused}");
}

/// Accounts in memory, as the store keeps them: hashes, no password.
#[derive(Default)]
struct Accounts(std::sync::Mutex<HashMap<String, PhoneSecret>>);

impl PhoneAccounts for Accounts {
    fn secret<'a>(&'a self, user: &'a str) -> AccountFuture<'a, Option<PhoneSecret>> {
        let secret = self.0.lock().unwrap().get(user).cloned();
        Box::pin(async move { Ok(secret) })
    }
}

/// An account added while the host runs registers at once; its hashes prove the
/// password as the file's password does, and a wrong password or another realm's
/// hashes do not.
#[tokio::test]
async fn an_account_added_to_the_store_registers_without_a_restart() {
    let accounts = Arc::new(Accounts::default());
    let (_endpoint, registrar, addr) =
        registrar_endpoint_with(HashMap::new(), Some(accounts.clone())).await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let phone_addr = socket.local_addr().unwrap();
    let mut phone = Phone {
        socket,
        registrar: addr,
        seq: 0,
    };
    let unknown = phone.register_with(120, "s3cret").await;
    assert_eq!(status(&unknown), "403", "{unknown}");

    accounts.0.lock().unwrap().insert(
        "1001".into(),
        PhoneSecret::new("1001", "elsewhere", "s3cret"),
    );
    let other_realm = phone.register_with(120, "s3cret").await;
    assert_eq!(status(&other_realm), "403", "{other_realm}");

    accounts.0.lock().unwrap().insert(
        "1001".into(),
        PhoneSecret::new("1001", "ringhost", "s3cret"),
    );
    let wrong = phone.register_with(120, "S3cret").await;
    assert_eq!(status(&wrong), "403", "{wrong}");
    let accepted = phone.register_with(120, "s3cret").await;
    assert_eq!(status(&accepted), "200", "{accepted}");
    assert!(registrar.is_registered_source(phone_addr));
}
