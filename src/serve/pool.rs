//! The threads searches run on. tantivy and jieba are blocking CPU work, so
//! a search runs on tokio's blocking pool, but that pool grows to 512
//! threads: on 2 cores, 512 searches at once would each take 256 times as
//! long and all miss their deadline. A semaphore lets as many run as there
//! are cores; a bounded number wait for a turn, and past that a request is
//! refused at once with 503 and `Retry-After`, which a client can act on.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use super::error::ApiError;

/// A bounded set of blocking threads with a bounded queue in front.
pub struct Pool {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue_limit: usize,
}

impl Pool {
    /// Runs `threads` jobs at once, with up to `queue_limit` waiting.
    pub fn new(threads: usize, queue_limit: usize) -> Self {
        Pool {
            permits: Arc::new(Semaphore::new(threads.max(1))),
            waiting: AtomicUsize::new(0),
            queue_limit,
        }
    }

    /// Runs `job` on a blocking thread when one is free. Fails with
    /// [`ApiError::busy`] when the queue is full. The thread is held until
    /// `job` returns, even when the request that asked for it has gone (its
    /// client hung up): `job` must bound itself (searches have a deadline).
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let waiting = Waiting::enter(&self.waiting);
                if waiting.ahead >= self.queue_limit {
                    return Err(ApiError::busy());
                }
                // The semaphore is never closed.
                let Ok(permit) = self.permits.clone().acquire_owned().await else {
                    return Err(ApiError::busy());
                };
                permit
            }
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|join| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the request failed inside the server: {join}"),
            )
        })
    }

    /// Requests waiting for a thread now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

/// One request counted as waiting while it lives (also when its future is
/// dropped because the client hung up).
struct Waiting<'a> {
    count: &'a AtomicUsize,
    /// How many were waiting before this one.
    ahead: usize,
}

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        let ahead = count.fetch_add(1, Ordering::AcqRel);
        Waiting { count, ahead }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_the_queue_limit_requests_are_refused_not_queued() {
        let pool = Arc::new(Pool::new(1, 1));
        let (release, hold) = mpsc::channel::<()>();
        let (started, running) = mpsc::channel::<()>();
        let busy = pool.clone();
        let first = tokio::spawn(async move {
            busy.run(move || {
                started.send(()).unwrap();
                hold.recv().unwrap();
            })
            .await
        });
        running.recv().unwrap();
        // One may wait for the busy thread…
        let queued_pool = pool.clone();
        let queued = tokio::spawn(async move { queued_pool.run(|| 2).await });
        while pool.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        // …the next is refused.
        let refused = pool.run(|| 3).await;
        assert_eq!(refused.unwrap_err().code, "busy");
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        assert_eq!(pool.waiting(), 0);
    }
}
