//! The task that reads a long report's lines from the store while they are written
//! out: it sends them in batches through a small channel, so that a slow reader (a
//! browser downloading) holds the reading back rather than memory filling up, and a
//! reader that stops (a page that has its first lines) stops it. The batches written
//! come back to it ([`Rows::recycle`]), to be reused or freed on the thread that made
//! them.

use std::future::Future;

use futures_util::{Stream, StreamExt as _};
use tokio::sync::mpsc;

use crate::table::{Batch, Cell, Rows};

/// Lines per batch: enough that the channel costs nothing per line.
const BATCH: usize = 1024;
/// Batches read ahead of the writer.
const AHEAD: usize = 4;

/// Where a reader task sends its lines, in batches, and gets the batches back once
/// written.
pub(crate) struct Out {
    batch: Batch,
    /// Lines written already, whose cells new lines may reuse ([`Out::spare`]).
    spare: Batch,
    batches: mpsc::Sender<anyhow::Result<Batch>>,
    spent: mpsc::UnboundedReceiver<Batch>,
}

impl Out {
    /// A line written already, for a new line to be made in (its cells' texts keep
    /// their memory), or an empty one: a million lines then cost the allocator next
    /// to nothing.
    pub(crate) fn spare(&mut self) -> Vec<Cell> {
        if self.spare.is_empty()
            && let Ok(batch) = self.spent.try_recv()
        {
            self.spare = batch;
        }
        self.spare.pop().unwrap_or_default()
    }

    /// Adds a line, sending the batch when it is full; false when the reader is gone.
    pub(crate) async fn push(&mut self, line: Vec<Cell>) -> bool {
        self.batch.push(line);
        if self.batch.len() < BATCH {
            return true;
        }
        // The batches written since, which no line has reused, are freed here (one is
        // kept for the lines to come); the next batch is the spare one once used up.
        while let Ok(batch) = self.spent.try_recv() {
            if self.spare.is_empty() {
                self.spare = batch;
            }
        }
        let next = if self.spare.is_empty() {
            std::mem::take(&mut self.spare)
        } else {
            Vec::with_capacity(BATCH)
        };
        let full = std::mem::replace(&mut self.batch, next);
        self.batches.send(Ok(full)).await.is_ok()
    }

    /// Sends the last lines.
    pub(crate) async fn finish(self) {
        if !self.batch.is_empty() {
            let _ = self.batches.send(Ok(self.batch)).await;
        }
    }

    /// Ends the lines with an error, so that the reader hears why.
    pub(crate) async fn fail(self, error: anyhow::Error) {
        let _ = self.batches.send(Err(error)).await;
    }
}

/// Rows arriving from `work`, a task that reads the store (with its own clone of it)
/// and sends the lines to its [`Out`] ([`pump`]).
pub(crate) fn spawn<F, Fut>(total: u64, work: F) -> Rows
where
    F: FnOnce(Out) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(AHEAD);
    let (spent_tx, spent_rx) = mpsc::unbounded_channel();
    tokio::spawn(work(Out {
        batch: Vec::with_capacity(BATCH),
        spare: Vec::new(),
        batches: tx,
        spent: spent_rx,
    }));
    Rows::Arriving {
        total,
        batches: rx,
        spent: spent_tx,
    }
}

/// Sends `lines`, each made cells by `line`, to `out`; stops at the first error (sent
/// on) or when the reader is gone.
pub(crate) async fn pump<T>(
    lines: impl Stream<Item = anyhow::Result<T>>,
    mut line: impl FnMut(T) -> Vec<Cell>,
    mut out: Out,
) {
    futures_util::pin_mut!(lines);
    while let Some(item) = lines.next().await {
        match item {
            Ok(item) => {
                if !out.push(line(item)).await {
                    return;
                }
            }
            Err(error) => return out.fail(error).await,
        }
    }
    out.finish().await;
}
