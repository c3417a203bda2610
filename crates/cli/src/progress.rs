//! Progress on long work (benchmarks, `verify`, imports, demos): a bar or a spinner on stderr
//! for a person at a terminal, and nothing at all with `--json` or when stderr is a file or a
//! pipe, so logs and machine output stay clean.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Whether progress (and the notes that go with it) is shown: a terminal, and no `--json`.
pub fn shown(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

/// A note on stderr about the phase a long command is in, when progress is shown.
pub fn note(json: bool, text: &str) {
    if shown(json) {
        eprintln!("{text}");
    }
}

/// A bar or a spinner, or nothing (every method then does nothing).
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar of `len` `units` (e.g. "blocks"), labelled `what`; nothing unless `show` (from
    /// [`shown`]).
    pub fn bar(show: bool, len: u64, units: &str, what: &str) -> Progress {
        Progress(show.then(|| {
            let b = ProgressBar::new(len);
            let template = format!("{{msg}} [{{bar:40}}] {{human_pos}}/{{human_len}} {units} {{per_sec}} eta {{eta}}");
            b.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
            b.set_message(what.to_string());
            b
        }))
    }

    /// A spinner labelled `what`, for work whose size is not known ahead; nothing unless `show`.
    pub fn spinner(show: bool, what: &str) -> Progress {
        Progress(show.then(|| {
            let b = ProgressBar::new_spinner();
            b.set_message(what.to_string());
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        }))
    }

    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    pub fn set_position(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.set_position(n);
        }
    }

    /// Runs `f` with the bar lifted off the screen, so that lines printed meanwhile (a demo's
    /// steps) are not drawn over.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

    /// Removes the bar: what the command prints next stands alone.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_json_nothing_is_shown_even_at_a_terminal() {
        assert!(!shown(true));
        let p = Progress::bar(shown(true), 10, "blocks", "verify");
        assert!(p.0.is_none());
        p.inc(3);
        assert_eq!(p.suspend(|| 7), 7);
    }
}
