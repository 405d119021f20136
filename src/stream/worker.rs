//! The stream worker: claims organizations whose stream is behind, POSTs their entries
//! in seq order outside any transaction, and moves each cursor after every 2xx.
//!
//! At least once, in order: an entry counts as delivered only after its 2xx, and the
//! cursor moves only while this worker holds the stream's lease (`FOR UPDATE SKIP
//! LOCKED` claim, `lease_token`), so a second instance never sends the same
//! organization's entries at the same time. An entry whose 2xx was not recorded (a crash
//! between the two) is sent again; receivers de-duplicate by `org_id` and `seq`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use tokio::sync::Notify;
use uuid::Uuid;

use super::Sender;
use crate::db::{Db, DbError};
use crate::models::audit_streams::{self, Claimed, Target};

#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// How often streams are looked at for new entries and retries that fell due.
    pub poll_interval: Duration,
    /// Organizations claimed at once (delivered concurrently, each in order).
    pub streams_per_pass: i64,
    /// Entries sent to one organization per claim.
    pub entries_per_pass: i64,
    /// How long a claim is exclusive; a pass gives the rest back after half of it.
    pub lease: Duration,
    /// Delay before the first retry; it doubles with each failure up to `backoff_cap`.
    /// Deliveries are retried for as long as the stream is on: skipping would lose entries.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for StreamOptions {
    /// Production values: poll every second, retry after 5 s, 10 s, 20 s, ... at most an
    /// hour apart.
    fn default() -> Self {
        StreamOptions {
            poll_interval: Duration::from_secs(1),
            streams_per_pass: 10,
            entries_per_pass: 200,
            lease: Duration::from_secs(300),
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(3600),
        }
    }
}

/// A running stream worker. Cheap to clone.
#[derive(Clone)]
pub struct StreamWorker {
    inner: Arc<Inner>,
}

struct Inner {
    stop: Notify,
    stopping: AtomicBool,
    task: Mutex<Option<actix_web::rt::task::JoinHandle<()>>>,
}

impl StreamWorker {
    /// Stops the worker after the delivery in flight; the claimed streams are given back.
    pub async fn stop(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.stop.notify_one();
        let task = self
            .inner
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "audit stream worker ended abnormally");
        }
    }

    fn stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::SeqCst)
    }
}

/// Starts a worker on the current actix runtime; any number may run against one database.
pub fn spawn(db: Db, sender: Sender, options: StreamOptions) -> StreamWorker {
    let worker = StreamWorker {
        inner: Arc::new(Inner {
            stop: Notify::new(),
            stopping: AtomicBool::new(false),
            task: Mutex::new(None),
        }),
    };
    let handle = worker.clone();
    let task = actix_web::rt::spawn(async move {
        let mut failing = false;
        while !handle.stopping() {
            let pause = match work_once(&db, &sender, &options, &handle).await {
                Ok(claimed) => {
                    failing = false;
                    if claimed as i64 >= options.streams_per_pass {
                        Duration::ZERO
                    } else {
                        options.poll_interval
                    }
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "audit stream worker cannot use the database");
                    }
                    failing = true;
                    options.poll_interval.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                _ = handle.inner.stop.notified() => {}
                _ = actix_web::rt::time::sleep(pause) => {}
            }
        }
        tracing::info!("audit stream worker stopped");
    });
    *worker
        .inner
        .task
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(task);
    worker
}

/// Claims the streams that are due and delivers to each; returns how many were claimed.
async fn work_once(
    db: &Db,
    sender: &Sender,
    options: &StreamOptions,
    worker: &StreamWorker,
) -> Result<usize, DbError> {
    let token = Uuid::new_v4();
    let (limit, lease) = (options.streams_per_pass, options.lease);
    let claimed = db
        .run(move |conn| Ok::<_, DbError>(audit_streams::claim(conn, token, limit, lease)?))
        .await?;
    let count = claimed.len();
    let deliveries = claimed
        .into_iter()
        .map(|stream| deliver(db, sender, options, worker, token, stream));
    for result in futures_util::future::join_all(deliveries).await {
        result?;
    }
    Ok(count)
}

/// Sends the next entries of one claimed stream in seq order, stopping at the first
/// failure (later entries wait for it: order before throughput).
async fn deliver(
    db: &Db,
    sender: &Sender,
    options: &StreamOptions,
    worker: &StreamWorker,
    token: Uuid,
    stream: Claimed,
) -> Result<(), DbError> {
    let (org_id, after, limit) = (
        stream.org_id,
        stream.delivered_seq,
        options.entries_per_pass,
    );
    let rows = db
        .run(move |conn| {
            Ok::<_, DbError>(audit_streams::entries_after(conn, org_id, after, limit)?)
        })
        .await?;
    let target = Target {
        org_id: stream.org_id,
        url: stream.url,
        secret: stream.secret,
    };
    let started = Instant::now();
    for row in rows {
        if worker.stopping() || started.elapsed() > options.lease / 2 {
            break;
        }
        let seq = row.seq;
        match sender.send_entry(&target, &row).await {
            Ok(()) => {
                let recorded = db
                    .run(move |conn| {
                        Ok::<_, DbError>(audit_streams::delivered(
                            conn,
                            org_id,
                            token,
                            seq,
                            Utc::now(),
                        )?)
                    })
                    .await?;
                if !recorded {
                    // Turned off, or the lease passed to another worker: it goes on from
                    // the cursor; this entry may reach the endpoint twice.
                    return Ok(());
                }
            }
            Err(reason) => {
                let attempts = stream.attempts.saturating_add(1);
                let delay = backoff(attempts, options.backoff_base, options.backoff_cap);
                tracing::info!(%org_id, seq, attempts, %reason, retry_in = ?delay,
                    "audit stream delivery failed; will retry");
                let now = Utc::now();
                let retry_at = now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(1));
                db.run(move |conn| {
                    Ok::<_, DbError>(audit_streams::failed(
                        conn, org_id, token, attempts, &reason, now, retry_at,
                    )?)
                })
                .await?;
                return Ok(());
            }
        }
    }
    db.run(move |conn| Ok::<_, DbError>(audit_streams::release(conn, org_id, token)?))
        .await
}

/// `base * 2^(attempts-1)`, at most `cap`.
fn backoff(attempts: i32, base: Duration, cap: Duration) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 31) as u32;
    base.saturating_mul(2u32.saturating_pow(doublings)).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let (base, cap) = (Duration::from_secs(5), Duration::from_secs(3600));
        let delays: Vec<u64> = (1..=12).map(|n| backoff(n, base, cap).as_secs()).collect();
        assert_eq!(
            delays,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
    }
}
