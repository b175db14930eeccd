//! The web panel as an operator meets it: users made with `ringhost user`, then
//! signing in to `serve` over a real socket (the failure logged with the address, as
//! fail2ban reads it), and a disabled user refused.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;

use crate::sip::sipp_uac;
use crate::support::{Host, RINGHOST, write_config};

/// Runs `ringhost ARGS` with the password in the environment; exit code and output.
fn user_command(dir: &Path, args: &[&str], password: &str) -> (i32, String) {
    let out = Command::new(RINGHOST)
        .args(args)
        .current_dir(dir)
        .env_remove("RINGHOST_DATABASE_URL")
        .env("RINGHOST_USER_PASSWORD", password)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// One HTTP/1.1 exchange: status, headers (lowercase names) and body.
fn exchange(addr: SocketAddr, request: &str) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// The value of cookie `name` set by `headers`.
fn set_cookie(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| {
            v.strip_prefix(&format!("{name}="))?
                .split(';')
                .next()
                .map(str::to_owned)
        })
}

/// Signs in as `name`; the status and the session cookie, if one was set.
pub fn sign_in(addr: SocketAddr, name: &str, password: &str) -> (u16, Option<String>) {
    let (status, headers, body) = exchange(
        addr,
        &format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 200, "{body}");
    let form_token = set_cookie(&headers, "rh_sign_in").expect("the sign-in form's cookie");
    assert!(body.contains(&format!("value=\"{form_token}\"")), "{body}");
    let form = format!("name={name}&password={password}&csrf={form_token}");
    let (status, headers, _) = exchange(
        addr,
        &format!(
            "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Cookie: rh_sign_in={form_token}\r\n\r\n{form}",
            form.len()
        ),
    );
    (status, set_cookie(&headers, "rh_session"))
}

/// `GET path` with the session cookie: status and body.
fn get_page(addr: SocketAddr, path: &str, session: &str) -> (u16, String) {
    let (status, _, body) = exchange(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: rh_session={session}\r\n\r\n"
        ),
    );
    (status, body)
}

/// `POST path` of the url-encoded `form` with the session cookie: status and body.
fn post_form(addr: SocketAddr, path: &str, session: &str, form: &str) -> (u16, String) {
    let (status, _, body) = exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Cookie: rh_session={session}\r\n\r\n{form}",
            form.len()
        ),
    );
    (status, body)
}

/// The anti-forgery token of the first form of `page`.
fn form_token(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form's token")
        .to_owned()
}

/// Makes the admin `ada` on the command line, then serves `config`; the host and
/// ada's session.
fn serve_with_admin(dir: &Path, config: &str, http: SocketAddr) -> (Host, String) {
    let (code, out) = user_command(
        dir,
        &[
            "user",
            "create",
            "ada",
            "--role",
            "admin",
            "--language",
            "en",
            "-c",
            config,
        ],
        "ada-password-1",
    );
    assert_eq!(code, 0, "{out}");
    let mut host = Host::start(dir, &["serve", "--config", config], http, &[]);
    host.wait_healthy();
    let session = sign_in(host.http, "ada", "ada-password-1")
        .1
        .expect("a session");
    (host, session)
}

#[test]
fn users_made_on_the_command_line_sign_in_to_serve() {
    let dir = tempfile::tempdir().unwrap();
    let (config, http) = write_config(dir.path(), "");
    let config = config.to_str().unwrap();
    let create = |name: &str, role: &str, password: &str| {
        user_command(
            dir.path(),
            &[
                "user",
                "create",
                name,
                "--role",
                role,
                "--language",
                "en",
                "-c",
                config,
            ],
            password,
        )
    };
    let (code, out) = create("ada", "admin", "ada-password-1");
    assert_eq!(code, 0, "{out}");
    let (code, out) = create("bo", "agent", "short");
    assert_eq!(code, 1, "a short password is refused: {out}");
    assert!(out.contains("at least 8 characters"), "{out}");
    let (code, out) = create("eve", "boss", "eve-password-1");
    assert_eq!(code, 2, "an unknown role is a usage error: {out}");
    let (code, out) = create("ada", "agent", "ada-password-2");
    assert_eq!(code, 1, "names are unique: {out}");
    let (code, out) = user_command(dir.path(), &["user", "list", "-c", config], "");
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.trim(), "ada\tadmin\ten\tada");

    let mut host = Host::start(dir.path(), &["serve", "--config", config], http, &[]);
    host.wait_healthy();
    let addr = host.http;
    let (status, session) = sign_in(addr, "ada", "wrong-password");
    assert_eq!((status, session), (401, None));
    let failed = host
        .logs()
        .lines()
        .find(|l| l.contains("web sign-in failed"))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no failure logged:\n{}", host.logs()));
    assert!(
        failed.contains("127.0.0.1") && failed.contains("ada"),
        "{failed}"
    );
    assert!(
        !host.logs().contains("wrong-password"),
        "a password reached the log"
    );

    let (status, session) = sign_in(addr, "ada", "ada-password-1");
    assert_eq!(status, 303);
    let session = session.expect("a session cookie");
    let (status, _, body) = exchange(
        addr,
        &format!(
            "GET /admin/lists HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: rh_session={session}\r\n\r\n"
        ),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Contact lists"), "{body}");

    // Disabled on the command line while the host runs: signed out, and refused.
    let (code, out) = user_command(dir.path(), &["user", "disable", "ada", "-c", config], "");
    assert_eq!(code, 0, "{out}");
    let (status, headers, _) = exchange(
        addr,
        &format!(
            "GET /home HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: rh_session={session}\r\n\r\n"
        ),
    );
    assert_eq!(status, 303);
    assert!(
        headers.iter().any(|(k, v)| k == "location" && v == "/"),
        "{headers:?}"
    );
    assert_eq!(sign_in(addr, "ada", "ada-password-1").0, 401);
}

/// An agent added from the panel with a phone password: their phone (SIPp, MD5)
/// registers at once, with no `[[phones]]` in the file and no restart; before, it was
/// refused.
#[test]
fn a_phone_account_made_in_the_panel_registers_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // SIPp reads only the first challenge, so MD5 is offered first.
    let (config, http) = write_config(
        dir.path(),
        "[registrar]\nalgorithms = [\"MD5\", \"SHA-256\"]\n",
    );
    let config = config.to_str().unwrap();
    let (mut host, session) = serve_with_admin(dir.path(), config, http);
    let sip_port = host.sip_port();
    let phone = ["-s", "1001", "-au", "1001", "-ap", "phone-pass-1001"];
    let (code, _, _) = sipp_uac(dir.path(), sip_port, "phone_register", &phone);
    assert_ne!(
        code,
        0,
        "a phone without an account registered:\n{}",
        host.logs()
    );

    let addr = host.http;
    let (status, page) = get_page(addr, "/admin/agents", &session);
    assert_eq!(status, 200, "{page}");
    let form = format!(
        "name=anna&extension=1001&wrap_up_s=10&phone_password=phone-pass-1001&csrf={}",
        form_token(&page)
    );
    let (status, body) = post_form(addr, "/admin/agents", &session, &form);
    assert_eq!(status, 303, "{body}");

    let (code, errors, _) = sipp_uac(dir.path(), sip_port, "phone_register", &phone);
    assert_eq!(code, 0, "SIPp phone failed:\n{errors}\n{}", host.logs());
    assert!(host.stop("TERM").success());
    assert!(
        !host.logs().contains("phone-pass-1001"),
        "a password reached the log"
    );
    let rows = crate::support::sqlite_rows(
        &dir.path().join("ringhost-data/ringhost.db"),
        "SELECT username, realm FROM phone_account",
    );
    assert_eq!(rows, vec![("1001".to_owned(), Some("ringhost".to_owned()))]);
}

/// A trunk made in the panel is kept in the database, shown as waiting for the next
/// start, and runs after a restart, with its channels.
#[test]
fn a_trunk_made_in_the_panel_runs_from_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (config, http) = write_config(dir.path(), "");
    let config = config.to_str().unwrap();
    let (mut host, session) = serve_with_admin(dir.path(), config, http);
    let (status, page) = get_page(host.http, "/admin/trunks/new", &session);
    assert_eq!(status, 200, "{page}");
    // Loopback, where nothing answers: the keepalive's OPTIONS go nowhere else.
    let form = format!(
        "name=carrier-b&address=127.0.0.1%3A5999&transport=udp&channels=4&cps=2&caller_id=0612345678&csrf={}",
        form_token(&page)
    );
    let (status, body) = post_form(host.http, "/admin/trunks", &session, &form);
    assert_eq!(status, 303, "{body}");
    let (_, page) = get_page(host.http, "/admin/trunks", &session);
    assert!(page.contains("from the next start"), "{page}");
    assert!(host.stop("TERM").success());

    let mut host = Host::start(dir.path(), &["serve", "--config", config], http, &[]);
    host.wait_healthy();
    let session = sign_in(host.http, "ada", "ada-password-1")
        .1
        .expect("a session");
    let (status, page) = get_page(host.http, "/admin/trunks", &session);
    assert_eq!(status, 200, "{page}");
    let row = page
        .split("<tr data-trunk=\"carrier-b\">")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row for the trunk:\n{page}\n{}", host.logs()));
    assert!(row.contains("0 / 4") && row.contains("database"), "{row}");
    assert!(!row.contains("from the next start"), "{row}");
    assert!(host.stop("TERM").success());
}
