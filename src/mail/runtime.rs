//! Keeping lettre's pooled SMTP connections inside the runtime that made them: its pool
//! hands connections back by spawning tasks, which panics without a runtime.

use super::transport::Transport;

/// Drops the transport inside the runtime it was made on. lettre's pool spawns a task when
/// dropped, which panics outside a runtime, as when a worker that was never stopped is
/// dropped with its runtime.
pub(super) struct OnRuntime {
    runtime: tokio::runtime::Handle,
    transport: Option<Transport>,
}

impl OnRuntime {
    pub(super) fn new(transport: Transport) -> Self {
        OnRuntime {
            runtime: tokio::runtime::Handle::current(),
            transport: Some(transport),
        }
    }

    pub(super) fn get(&self) -> &Transport {
        match &self.transport {
            Some(transport) => transport,
            None => unreachable!("the transport is only taken when dropped"),
        }
    }
}

impl Drop for OnRuntime {
    fn drop(&mut self) {
        let _entered = self.runtime.enter();
        drop(self.transport.take());
    }
}

/// Runs `send` so that, if it is dropped unfinished (the runtime shutting down mid-send),
/// it is dropped inside the runtime: lettre hands its pooled connection back by spawning
/// a task, which panics without one.
pub(super) async fn dropped_on_runtime<F: std::future::Future>(send: F) -> F::Output {
    struct Guard<F> {
        runtime: tokio::runtime::Handle,
        send: Option<std::pin::Pin<Box<F>>>,
    }
    impl<F> Drop for Guard<F> {
        fn drop(&mut self) {
            let _entered = self.runtime.enter();
            drop(self.send.take());
        }
    }
    let mut guard = Guard {
        runtime: tokio::runtime::Handle::current(),
        send: Some(Box::pin(send)),
    };
    std::future::poll_fn(|cx| match guard.send.as_mut() {
        Some(send) => send.as_mut().poll(cx),
        None => std::task::Poll::Pending,
    })
    .await
}
