//! Password hashing with Argon2id at the crate defaults (m=19 MiB, t=2, p=1; R23),
//! bounded to one hash per core for requests (R40).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::config::PasswordCost;
use crate::domain::Password;
use crate::error::AppError;

/// How long a request waits for a core before it is told to come back (503).
pub const QUEUE_TIMEOUT: Duration = Duration::from_secs(2);
/// What the 503 tells the client to wait.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

type Job = Box<dyn FnOnce() + Send>;

/// The hashing of requests: a permit per core, and as many dedicated threads. Each hash
/// takes 19 MiB and a core for tens of milliseconds: unbounded, a flood of sign-ups or
/// log-ins exhausts memory and starves every other request. Dedicated threads rather
/// than the shared blocking pool because the allocator keeps a hash's 19 MiB in the arena
/// of each thread that ever hashed, so memory stays bounded by the threads, not the flood.
pub struct PasswordHashing {
    permits: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
    cost: PasswordCost,
}

impl PasswordHashing {
    pub fn sized_to_cores(cost: PasswordCost) -> Self {
        Self::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
            cost,
        )
    }

    /// `threads` hashes at a time; the threads end when this is dropped.
    pub fn new(threads: usize, cost: PasswordCost) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || {
                    loop {
                        let next = queue.lock().map(|q| q.recv());
                        let Ok(Ok(job)) = next else { break };
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        give_memory_back();
                    }
                })
                .expect("spawn a password hashing thread");
        }
        PasswordHashing {
            permits: Arc::new(Semaphore::new(threads)),
            jobs,
            cost,
        }
    }

    /// Runs `work` on a hashing thread; past [`QUEUE_TIMEOUT`] waiting for one, `Busy`.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = tokio::time::timeout(QUEUE_TIMEOUT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy {
                retry_after: RETRY_AFTER,
            })?
            .map_err(|_| AppError::Internal("password hashing closed".into()))?;
        let (done, result) = tokio::sync::oneshot::channel();
        // The permit goes with the job: a client that leaves does not free a busy core.
        self.jobs
            .send(Box::new(move || {
                let _permit = permit;
                let _ = done.send(work());
            }))
            .map_err(|_| AppError::Internal("password hashing threads gone".into()))?;
        result
            .await
            .map_err(|_| AppError::Internal("password hashing failed".into()))
    }

    pub async fn hash(&self, password: Password) -> Result<String, AppError> {
        let cost = self.cost;
        self.run(move || hash_with(&password, cost)).await?
    }

    /// Verifies a login attempt. `stored` is `None` for an unknown account: a dummy hash
    /// is still computed so that response time does not reveal which emails have accounts.
    pub async fn verify(
        &self,
        candidate: String,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        let cost = self.cost;
        self.run(move || verify_now(&candidate, stored.as_deref(), cost))
            .await
    }
}

/// glibc keeps a freed hash's 19 MiB in the thread's arena (it raises its mmap threshold
/// after the first large free), so RSS would grow with every hash; returning it after
/// each job keeps the process at its working size.
fn give_memory_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn argon2(cost: PasswordCost) -> Argon2<'static> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
        .unwrap_or_else(|_| Params::default());
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the calling thread at the production cost (commands run once, outside
/// requests).
pub fn hash_now(password: &Password) -> Result<String, AppError> {
    hash_with(password, PasswordCost::default())
}

fn hash_with(password: &Password, cost: PasswordCost) -> Result<String, AppError> {
    argon2(cost)
        .hash_password(password.expose().as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// A stored hash is verified at the cost it records; the dummy hash for an unknown
/// account costs what a new hash would, so both take as long.
fn verify_now(candidate: &str, stored: Option<&str>, cost: PasswordCost) -> bool {
    let argon2 = argon2(cost);
    match stored {
        Some(hash) => argon2.verify_password(candidate.as_bytes(), hash).is_ok(),
        None => {
            let _ = argon2.hash_password(candidate.as_bytes());
            false
        }
    }
}

/// Hashes on the blocking pool, for commands (`create-admin`, `seed-demo`).
pub async fn hash(password: Password) -> Result<String, AppError> {
    actix_web::web::block(move || hash_now(&password)).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn hashes_are_argon2id_with_the_default_cost_and_verify() {
        let hashing = PasswordHashing::new(1, PasswordCost::default());
        let hash = hashing
            .hash(Password::parse("a fine secret").unwrap())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let verify =
            |candidate: &str, stored: Option<String>| hashing.verify(candidate.to_owned(), stored);
        assert!(verify("a fine secret", Some(hash.clone())).await.unwrap());
        assert!(!verify("a fine secreT", Some(hash)).await.unwrap());
        assert!(!verify("anything", None).await.unwrap());
    }

    #[actix_web::test]
    async fn a_full_queue_answers_busy_instead_of_waiting_forever() {
        let hashing = Arc::new(PasswordHashing::new(1, PasswordCost::default()));
        let stuck = hashing.clone();
        let blocker = actix_web::rt::spawn(async move {
            stuck.run(|| std::thread::sleep(QUEUE_TIMEOUT * 2)).await
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let waited = hashing.run(|| ()).await;
        assert!(matches!(waited, Err(AppError::Busy { .. })), "{waited:?}");
        blocker.await.unwrap().unwrap();
    }
}
