//! A feed of messages between the hosts sharing a PostgreSQL database: PostgreSQL's
//! `NOTIFY` to send, a `LISTEN`ing connection to receive. The dialer carries its
//! events over it, so that every host's live pages show what every host does.
//!
//! A sender is one connection held for good: notifications from one session arrive
//! in the order they were sent, so a host's events (and so each call's) keep their
//! order. A message travels as it is; PostgreSQL refuses a payload of 8,000 bytes or
//! more, so the sender's caller keeps messages under [`MAX_MESSAGE`]. SQLite has one
//! host: no feed.

use anyhow::Context as _;
use sqlx::postgres::PgListener;

use crate::{Backend, Store};

/// The longest message sent (PostgreSQL's limit is 8,000 bytes, less its own).
pub const MAX_MESSAGE: usize = 7_900;

/// Sends messages on one channel, from one connection.
pub struct FeedSender {
    connection: sqlx::pool::PoolConnection<sqlx::Any>,
    channel: String,
}

/// Receives every message sent on one channel by any host, its own included.
pub struct FeedReceiver {
    listener: PgListener,
}

impl Store {
    /// The sending and receiving ends of the feed `channel`, or `None` on SQLite.
    ///
    /// # Errors
    /// When the database cannot be reached.
    pub async fn feed(&self, channel: &str) -> anyhow::Result<Option<(FeedSender, FeedReceiver)>> {
        let (Backend::Postgres, Some(url)) = (self.backend, &self.postgres_url) else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(&url.0)
            .await
            .context("cannot open a listening connection")?;
        listener
            .listen(channel)
            .await
            .with_context(|| format!("cannot listen on {channel}"))?;
        let connection = self
            .pool
            .acquire()
            .await
            .context("cannot hold a connection to notify on")?;
        Ok(Some((
            FeedSender {
                connection,
                channel: channel.to_owned(),
            },
            FeedReceiver { listener },
        )))
    }
}

impl FeedSender {
    /// Sends `message` to every host listening (this one included).
    ///
    /// # Errors
    /// When the database refuses it (too long a message) or cannot be reached.
    pub async fn send(&mut self, message: &str) -> anyhow::Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&self.channel)
            .bind(message)
            .execute(&mut *self.connection)
            .await
            .context("cannot notify")?;
        Ok(())
    }
}

impl FeedReceiver {
    /// The next message. A lost connection is made again (messages sent meanwhile are
    /// lost).
    ///
    /// # Errors
    /// When the database cannot be reached again.
    pub async fn recv(&mut self) -> anyhow::Result<String> {
        let notification = self
            .listener
            .recv()
            .await
            .context("the listening connection failed")?;
        Ok(notification.payload().to_owned())
    }
}
