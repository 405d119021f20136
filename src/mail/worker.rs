//! The mail worker: claims due outbox rows, sends them outside any transaction, records the result.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::FutureExt;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use tokio::sync::Notify;

use super::outbox::{self, Claimed};
use super::runtime::{OnRuntime, dropped_on_runtime};
use super::transport::{SendError, Transport, bounded};
use super::{MAX_NAME_CHARS, MAX_SUBJECT_CHARS, MailError, header_text};
use crate::config::Config;
use crate::db::Db;
use crate::db::DbError;

/// Transient failures are retried until this long after the email was enqueued (R36).
pub const GIVE_UP_AFTER: TimeDelta = TimeDelta::hours(24);

/// Longest pause after consecutive database errors.
const MAX_ERROR_PAUSE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// `MAIL_FROM`, the sender of every email.
    pub from: Mailbox,
    /// How often the outbox is read when nobody calls [`WorkerHandle::wake`] (rows
    /// enqueued by other instances, retries that fall due).
    pub poll_interval: Duration,
    /// Rows claimed at once.
    pub batch: i64,
    /// How long a claim is exclusive. Rows of a worker that died mid-send are sent again
    /// by any worker after this; a batch that runs past half of it gives its rest back.
    pub lease: Duration,
    /// Delay before the first retry; it doubles with each attempt up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl WorkerOptions {
    /// Production values: poll every second, batches of 10, a 5-minute lease, retries after
    /// 5 s, 10 s, 20 s, ... at most an hour apart.
    pub fn from_config(config: &Config) -> Result<WorkerOptions, MailError> {
        let from = config
            .mail_from
            .parse::<Mailbox>()
            .map_err(|_| MailError::MailFrom)?;
        Ok(WorkerOptions {
            from,
            poll_interval: Duration::from_secs(1),
            batch: 10,
            lease: Duration::from_secs(300),
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(3600),
        })
    }
}

/// What a worker has done since it started (for logs and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerStats {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
}

/// A running worker, shared with handlers as `web::Data<WorkerHandle>`. Cheap to clone.
#[derive(Clone)]
pub struct WorkerHandle {
    inner: Arc<Inner>,
}

struct Inner {
    wake: Notify,
    stop: Notify,
    stopping: AtomicBool,
    task: Mutex<Option<actix_web::rt::task::JoinHandle<()>>>,
    sent: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    /// Completed reads of the outbox, successful or not.
    passes: AtomicU64,
}

impl WorkerHandle {
    /// A handle to no worker, for a process that sends no mail itself: `wake` does nothing
    /// and rows wait for a worker of another instance.
    pub fn detached() -> WorkerHandle {
        WorkerHandle {
            inner: Arc::new(Inner {
                wake: Notify::new(),
                stop: Notify::new(),
                stopping: AtomicBool::new(false),
                task: Mutex::new(None),
                sent: AtomicU64::new(0),
                retried: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                passes: AtomicU64::new(0),
            }),
        }
    }

    /// Asks the worker to read the outbox now instead of at its next poll. Call it after
    /// the commit that enqueued an email (before it, the worker would not see the row).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Stops the worker: the send in flight finishes and is recorded, claimed rows not yet
    /// attempted are given back to the queue. Returns when the worker has ended.
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
            tracing::error!(error = %e, "mail worker ended abnormally");
        }
    }

    pub fn stats(&self) -> WorkerStats {
        WorkerStats {
            sent: self.inner.sent.load(Ordering::Relaxed),
            retried: self.inner.retried.load(Ordering::Relaxed),
            failed: self.inner.failed.load(Ordering::Relaxed),
        }
    }

    /// How many times the worker has read the outbox and dealt with what it claimed: a
    /// test waits for two more passes to know that nothing else is about to be sent.
    pub fn passes(&self) -> u64 {
        self.inner.passes.load(Ordering::SeqCst)
    }

    fn stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::SeqCst)
    }
}

/// Starts a worker on the current actix runtime. Any number of workers (in one process or
/// in many instances) may run against one database: each row is claimed by one at a time.
pub fn spawn(db: Db, transport: Transport, options: WorkerOptions) -> WorkerHandle {
    let handle = WorkerHandle::detached();
    let worker = handle.clone();
    let transport = OnRuntime::new(transport);
    let task = actix_web::rt::spawn(async move {
        loop {
            let run = AssertUnwindSafe(run(&db, transport.get(), &options, &worker));
            if run.catch_unwind().await.is_ok() || worker.stopping() {
                break;
            }
            // A bug must not end mail delivery for the life of the process.
            tracing::error!("mail worker panicked; restarting it in 5 s");
            actix_web::rt::time::sleep(Duration::from_secs(5)).await;
        }
        transport.get().shutdown().await;
        tracing::info!(stats = ?worker.stats(), "mail worker stopped");
    });
    *handle
        .inner
        .task
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(task);
    handle
}

async fn run(db: &Db, transport: &Transport, options: &WorkerOptions, handle: &WorkerHandle) {
    let mut errors: u32 = 0;
    while !handle.stopping() {
        let worked = work_once(db, transport, options, handle).await;
        handle.inner.passes.fetch_add(1, Ordering::SeqCst);
        let pause = match worked {
            Ok(claimed) => {
                if errors > 0 {
                    tracing::info!("mail worker reaches the database again");
                }
                errors = 0;
                if claimed as i64 >= options.batch {
                    // A full batch: more rows may be due right now.
                    Duration::ZERO
                } else {
                    options.poll_interval
                }
            }
            Err(e) => {
                if errors == 0 {
                    tracing::warn!(error = %e, "mail worker cannot use the database");
                }
                errors = errors.saturating_add(1);
                options
                    .poll_interval
                    .saturating_mul(2u32.saturating_pow(errors.min(16)))
                    .min(MAX_ERROR_PAUSE)
            }
        };
        tokio::select! {
            _ = handle.inner.wake.notified() => {}
            _ = handle.inner.stop.notified() => {}
            _ = actix_web::rt::time::sleep(pause) => {}
        }
    }
}

/// Claims one batch and sends it; returns how many rows were claimed.
async fn work_once(
    db: &Db,
    transport: &Transport,
    options: &WorkerOptions,
    handle: &WorkerHandle,
) -> Result<usize, DbError> {
    let (batch, lease) = (options.batch, options.lease);
    let claimed = db
        .run(move |conn| Ok::<_, DbError>(outbox::claim(conn, batch, lease)?))
        .await?;
    let count = claimed.len();
    let started = Instant::now();
    let mut rows = claimed.into_iter();
    while let Some(row) = rows.next() {
        if handle.stopping() || started.elapsed() > options.lease / 2 {
            let unsent: Vec<(uuid::Uuid, i32)> = std::iter::once(row)
                .chain(rows)
                .map(|row| (row.id, row.attempts))
                .collect();
            db.run(move |conn| {
                for (id, attempts) in unsent {
                    outbox::release(conn, id, attempts)?;
                }
                Ok::<_, DbError>(())
            })
            .await?;
            break;
        }
        deliver(db, transport, options, handle, row).await?;
    }
    Ok(count)
}

/// Sends one claimed row (no transaction or lock is held meanwhile) and records the outcome.
async fn deliver(
    db: &Db,
    transport: &Transport,
    options: &WorkerOptions,
    handle: &WorkerHandle,
    row: Claimed,
) -> Result<(), DbError> {
    let outcome = match message(&options.from, &row) {
        Ok(message) => dropped_on_runtime(transport.send(&row.id.to_string(), message)).await,
        Err(reason) => Err(SendError::Permanent(reason)),
    };
    let (id, attempts) = (row.id, row.attempts);
    match outcome {
        Ok(()) => {
            let recorded = db
                .run(move |conn| Ok::<_, DbError>(outbox::mark_sent(conn, id)?))
                .await?;
            if !recorded {
                tracing::warn!(outbox_id = %id, "email sent twice: another worker took it over after the lease expired");
            }
            handle.inner.sent.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(outbox_id = %id, attempts, "email sent");
        }
        Err(SendError::Permanent(reason)) => {
            tracing::warn!(outbox_id = %id, attempts, %reason, "email refused");
            let recorded = db
                .run(move |conn| {
                    Ok::<_, DbError>(outbox::mark_failed(conn, id, attempts, &reason)?)
                })
                .await?;
            note_stale(id, recorded);
            handle.inner.failed.fetch_add(1, Ordering::Relaxed);
        }
        Err(SendError::Transient(reason)) => {
            let next = next_attempt(
                row.created_at,
                Utc::now(),
                attempts,
                options.backoff_base,
                options.backoff_cap,
            );
            match next {
                Some(at) => {
                    tracing::info!(outbox_id = %id, attempts, %reason, retry_at = %at, "email will be retried");
                    let recorded = db
                        .run(move |conn| {
                            Ok::<_, DbError>(outbox::retry_later(conn, id, attempts, at, &reason)?)
                        })
                        .await?;
                    note_stale(id, recorded);
                    handle.inner.retried.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    let reason = bounded(format!("gave up after 24 hours: {reason}"));
                    tracing::warn!(outbox_id = %id, attempts, %reason, "email given up");
                    let recorded = db
                        .run(move |conn| {
                            Ok::<_, DbError>(outbox::mark_failed(conn, id, attempts, &reason)?)
                        })
                        .await?;
                    note_stale(id, recorded);
                    handle.inner.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    Ok(())
}

fn note_stale(id: uuid::Uuid, recorded: bool) {
    if !recorded {
        tracing::warn!(outbox_id = %id, "result not recorded: the row was claimed again after the lease expired");
    }
}

/// When to try again after `attempts` failed attempts: `base * 2^(attempts-1)`, at most
/// `cap`, never past the give-up time; `None` once that time has come.
fn next_attempt(
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    attempts: i32,
    base: Duration,
    cap: Duration,
) -> Option<DateTime<Utc>> {
    let deadline = created_at + GIVE_UP_AFTER;
    if now >= deadline {
        return None;
    }
    let doublings = attempts.saturating_sub(1).clamp(0, 31) as u32;
    let delay = base.saturating_mul(2u32.saturating_pow(doublings)).min(cap);
    let delay = TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(1));
    Some((now + delay).min(deadline))
}

/// The message of a row. Every header goes through lettre's typed builders (R30); the
/// recipient is parsed into a `Mailbox`, never formatted into a header by hand.
fn message(from: &Mailbox, row: &Claimed) -> Result<Message, String> {
    let address = row
        .recipient
        .parse::<lettre::Address>()
        .map_err(|e| format!("invalid recipient address: {e}"))?;
    // Cleaned again although enqueue did: lettre panics on a line break in a header.
    let name = row
        .recipient_name
        .as_deref()
        .map(|name| header_text(name, MAX_NAME_CHARS))
        .filter(|name| !name.is_empty());
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(name, address))
        .subject(header_text(&row.subject, MAX_SUBJECT_CHARS))
        .message_id(Some(row.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            row.body_text.clone(),
            row.body_html.clone(),
        ))
        .map_err(|e| format!("invalid message: {e}"))
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
