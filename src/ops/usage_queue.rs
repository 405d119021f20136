//! Group commit for single usage reports: the reports of one organization that arrive
//! while its previous group is being committed wait in an in-process queue, and one
//! flusher per organization commits them together through [`usage::record`] (one
//! transaction, the balance row locked once), then answers each waiting request.
//!
//! Nobody is answered before the commit, so an acknowledged report is never lost; a
//! crash loses only unanswered requests, which the gateway retries (with their request
//! ids, harmlessly). Each app instance groups its own reports; the balance row's lock
//! serializes the groups of several instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use uuid::Uuid;

use super::usage::{self, Outcome, Report};
use super::{OpError, OpResult};
use crate::clock::Clock;
use crate::db::Db;

/// The most reports one group commits. The group is whatever arrived while the
/// previous one was committing (a millisecond or two under load), up to this many.
pub const MAX_GROUP: usize = 500;

/// Why a group failed; every report of the group gets it.
#[derive(Debug, Clone)]
enum Failure {
    Unavailable(String),
    Internal(String),
}

impl From<Failure> for OpError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Unavailable(m) => OpError::Unavailable(m),
            Failure::Internal(m) => OpError::Internal(m),
        }
    }
}

struct Waiting {
    report: Report,
    answer: oneshot::Sender<Result<Outcome, Failure>>,
}

/// The queues of all organizations; an organization has an entry while its flusher runs.
#[derive(Clone)]
pub struct UsageQueue {
    db: Db,
    clock: Clock,
    overdraft_micro: i64,
    queues: Arc<Mutex<HashMap<Uuid, Vec<Waiting>>>>,
}

impl UsageQueue {
    pub fn new(db: Db, clock: Clock, overdraft_micro: i64) -> Self {
        UsageQueue {
            db,
            clock,
            overdraft_micro,
            queues: Arc::default(),
        }
    }

    /// Queues the report and waits for its group's commit. Call it on the server's
    /// runtime: the first report of an idle organization starts its flusher there.
    pub async fn submit(&self, org_id: Uuid, report: Report) -> OpResult<Outcome> {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut queues = self.queues.lock().expect("usage queue lock");
            let start = !queues.contains_key(&org_id);
            queues
                .entry(org_id)
                .or_default()
                .push(Waiting { report, answer });
            start
        };
        if start {
            actix_web::rt::spawn(self.clone().flush(org_id));
        }
        match answered.await {
            Ok(result) => result.map_err(OpError::from),
            Err(_) => Err(OpError::Internal("the usage flusher stopped".into())),
        }
    }

    /// Commits the organization's queue group by group until it is empty, then removes
    /// the entry (under the same lock as `submit`, so no report is left behind).
    async fn flush(self, org_id: Uuid) {
        let _guard = PanicGuard {
            queues: self.queues.clone(),
            org_id,
        };
        loop {
            let group: Vec<Waiting> = {
                let mut queues = self.queues.lock().expect("usage queue lock");
                let Some(queue) = queues.get_mut(&org_id) else {
                    return;
                };
                if queue.is_empty() {
                    queues.remove(&org_id);
                    return;
                }
                let n = queue.len().min(MAX_GROUP);
                queue.drain(..n).collect()
            };
            let (reports, answers): (Vec<Report>, Vec<_>) =
                group.into_iter().map(|w| (w.report, w.answer)).unzip();
            let overdraft = self.overdraft_micro;
            let now = self.clock.now();
            let result = self
                .db
                .run(move |conn| usage::record(conn, org_id, &reports, overdraft, now))
                .await;
            match result {
                Ok(outcomes) => {
                    for (answer, outcome) in answers.into_iter().zip(outcomes) {
                        // A request that went away (its client hung up) needs no answer.
                        let _ = answer.send(Ok(outcome));
                    }
                }
                Err(e) => {
                    let failure = match e {
                        OpError::Unavailable(m) => Failure::Unavailable(m),
                        other => Failure::Internal(other.to_string()),
                    };
                    for answer in answers {
                        let _ = answer.send(Err(failure.clone()));
                    }
                }
            }
        }
    }
}

/// Should a flusher panic, its organization's entry goes (the waiting requests get an
/// error) so that the next report starts a new flusher instead of waiting forever.
struct PanicGuard {
    queues: Arc<Mutex<HashMap<Uuid, Vec<Waiting>>>>,
    org_id: Uuid,
}

impl Drop for PanicGuard {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Ok(mut queues) = self.queues.lock()
        {
            queues.remove(&self.org_id);
        }
    }
}
