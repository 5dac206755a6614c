//! The agent's desktop notifications (freedesktop notifications over D-Bus, through notify-rust): when an
//! automatic backup starts, when it ends, and when it cannot run, with the step to take. Each is sent on its
//! own thread (`agent-notify`), so a slow or missing notification server never holds up a backup; without a
//! D-Bus session the text goes to the log instead and the agent keeps working.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

/// Sends notifications, at most one per phone and connection for the same problem.
#[derive(Debug, Default)]
pub struct Notifier {
    /// (phone, problem) pairs already told during the phone's current connection.
    told: Mutex<HashSet<(String, String)>>,
}

impl Notifier {
    /// Tells `summary` / `body` (a backup starting or ending: every time).
    #[allow(clippy::unused_self)] // Every notification goes through the notifier, as the problems do.
    pub fn tell(&self, summary: &str, body: &str) {
        send(summary.to_string(), body.to_string());
    }

    /// Tells a problem of `phone` (its kind `problem`) once per connection.
    pub fn problem(&self, phone: &str, problem: &str, summary: &str, body: &str) {
        let first =
            self.told.lock().unwrap_or_else(PoisonError::into_inner).insert((phone.to_string(), problem.to_string()));
        if first {
            send(summary.to_string(), body.to_string());
        }
    }

    /// The phone went away: its problems may be told again on its next connection.
    pub fn forget(&self, phone: &str) {
        self.told.lock().unwrap_or_else(PoisonError::into_inner).retain(|(p, _)| p != phone);
    }
}

fn send(summary: String, body: String) {
    let said = format!("{summary}: {body}");
    let spawned = std::thread::Builder::new().name("agent-notify".to_string()).spawn(move || {
        let shown =
            notify_rust::Notification::new().appname("phonebak").icon("phonebak").summary(&summary).body(&body).show();
        match shown {
            Ok(_) => tracing::info!("notified: {summary}: {body}"),
            Err(e) => tracing::warn!("could not show a notification ({e}); it said: {summary}: {body}"),
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("could not start a notification thread ({e}); it said: {said}");
    }
}
