//! Fresh identifiers: branches (RFC 3261 8.1.1.7), tags (19.3) and Call-IDs (8.1.1.4).
//! They must be unique across space and time, so they carry 64 random bits or more.
//! Also the wall clock that the registrar's nonces and bindings are stamped with.

/// A Via branch with RFC 3261's magic cookie.
pub fn branch() -> String {
    format!("z9hG4bK{:016x}", rand::random::<u64>())
}

/// A From or To tag.
pub fn tag() -> String {
    format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff)
}

/// A Call-ID scoped by the host that made it.
pub fn call_id(host: &str) -> String {
    format!(
        "{:016x}{:08x}@{host}",
        rand::random::<u64>(),
        rand::random::<u32>()
    )
}

/// Wall-clock milliseconds since the Unix epoch.
pub fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
