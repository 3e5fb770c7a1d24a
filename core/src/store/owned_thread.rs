//! A background thread fed through a channel, owned by whoever holds its sender: the access
//! log's writer and the WAL checkpointer are both one.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

/// The sending end of a thread's channel and the thread itself. Dropping it closes the channel
/// and waits for the thread to finish what it is doing, so no statement is left running while
/// the process exits; the thread's body stops when its receiver reports the channel closed.
pub(crate) struct OwnedThread<T> {
    sender: Option<Sender<T>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> OwnedThread<T> {
    /// Starts `body` on a thread named `name`, with the receiving end of a new channel.
    pub(crate) fn spawn(
        name: &str,
        body: impl FnOnce(Receiver<T>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || body(receiver))?;
        Ok(OwnedThread {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Sends `message` to the thread; gives it back if the thread has stopped.
    pub(crate) fn send(&self, message: T) -> Result<(), T> {
        match &self.sender {
            Some(sender) => sender.send(message).map_err(|failed| failed.0),
            None => Err(message),
        }
    }
}

impl<T> Drop for OwnedThread<T> {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
