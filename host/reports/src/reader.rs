//! The task that reads a long report's lines from the store while they are written
//! out: it sends them in batches through a small channel, so that a slow reader (a
//! browser downloading) holds the reading back rather than memory filling up, and a
//! reader that stops (a page that has its first lines) stops it.

use std::future::Future;

use futures_util::{Stream, StreamExt as _};
use tokio::sync::mpsc;

use crate::table::{Batch, Cell, Rows};

/// Lines per batch: enough that the channel costs nothing per line.
const BATCH: usize = 1024;
/// Batches read ahead of the writer.
const AHEAD: usize = 4;

/// Rows arriving from `work`, a task that reads the store (with its own clone of it)
/// and [`pump`]s the lines out.
pub(crate) fn spawn<F, Fut>(total: u64, work: F) -> Rows
where
    F: FnOnce(mpsc::Sender<anyhow::Result<Batch>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(AHEAD);
    tokio::spawn(work(tx));
    Rows::Arriving { total, batches: rx }
}

/// Sends `lines`, each made cells by `line`, in batches to `out`; stops at the first
/// error (sent on, so that the reader hears why) or when the reader is gone.
pub(crate) async fn pump<T>(
    lines: impl Stream<Item = anyhow::Result<T>>,
    mut line: impl FnMut(T) -> Vec<Cell>,
    out: mpsc::Sender<anyhow::Result<Batch>>,
) {
    futures_util::pin_mut!(lines);
    let mut batch: Batch = Vec::with_capacity(BATCH);
    while let Some(item) = lines.next().await {
        match item {
            Ok(item) => batch.push(line(item)),
            Err(error) => {
                let _ = out.send(Err(error)).await;
                return;
            }
        }
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if out.send(Ok(full)).await.is_err() {
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = out.send(Ok(batch)).await;
    }
}
