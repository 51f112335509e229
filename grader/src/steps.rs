//! The handout steps, one per section of `labs/src/labN-*.md`.
//!
//! Every check names the step that explains it, and every failure message
//! ends with that step's link. The handouts use exactly these headings
//! (`## Step 1: readn` has the mdBook anchor `#step-1-readn`); a unit test
//! checks that each anchor exists in `labs/`.

/// One numbered step of one lab's handout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Lab number, 1 to 5.
    pub lab: u8,
    /// Step number inside the lab.
    pub number: u8,
    /// Short title, as in the heading `## Step N: title`.
    pub title: &'static str,
    /// Handout file, relative to the repository root.
    pub file: &'static str,
    /// mdBook anchor of the heading, without `#`.
    pub anchor: &'static str,
}

impl Step {
    /// `labs/src/lab1-rio.md#step-1-readn`.
    pub fn link(&self) -> String {
        format!("{}#{}", self.file, self.anchor)
    }
}

macro_rules! steps {
    ($($name:ident = $lab:literal, $n:literal, $title:literal, $file:literal, $anchor:literal;)*) => {
        $(
            #[doc = concat!("Lab ", $lab, " step ", $n, ": ", $title, ".")]
            pub const $name: Step = Step { lab: $lab, number: $n, title: $title, file: $file, anchor: $anchor };
        )*
        /// Every step, in handout order.
        pub const ALL: &[Step] = &[$($name),*];
    };
}

steps! {
    LAB1_READN      = 1, 1, "readn", "labs/src/lab1-rio.md", "step-1-readn";
    LAB1_WRITEN     = 1, 2, "writen", "labs/src/lab1-rio.md", "step-2-writen";
    LAB1_BUFFER     = 1, 3, "the Rio buffer", "labs/src/lab1-rio.md", "step-3-the-rio-buffer";
    LAB1_READLINEB  = 1, 4, "readlineb", "labs/src/lab1-rio.md", "step-4-readlineb";
    LAB1_READNB     = 1, 5, "readnb", "labs/src/lab1-rio.md", "step-5-readnb";
    LAB2_RESOLVE    = 2, 1, "resolve", "labs/src/lab2-netutil.md", "step-1-resolve";
    LAB2_CONNECT    = 2, 2, "connect_any", "labs/src/lab2-netutil.md", "step-2-connect_any";
    LAB2_CLIENTFD   = 2, 3, "open_clientfd", "labs/src/lab2-netutil.md", "step-3-open_clientfd";
    LAB2_LISTENFD   = 2, 4, "open_listenfd", "labs/src/lab2-netutil.md", "step-4-open_listenfd";
    LAB3_ECHO       = 3, 1, "echo", "labs/src/lab3-echoserver.md", "step-1-echo";
    LAB3_ACCEPT     = 3, 2, "the accept loop", "labs/src/lab3-echoserver.md", "step-2-the-accept-loop";
    LAB3_SURVIVE    = 3, 3, "surviving bad clients", "labs/src/lab3-echoserver.md", "step-3-surviving-bad-clients";
    LAB4_CONNECT    = 4, 1, "arguments and connecting", "labs/src/lab4-echoclient.md", "step-1-arguments-and-connecting";
    LAB4_LOOP       = 4, 2, "the echo loop", "labs/src/lab4-echoclient.md", "step-2-the-echo-loop";
    LAB4_HALFCLOSE  = 4, 3, "the last line and half-close", "labs/src/lab4-echoclient.md", "step-3-the-last-line-and-half-close";
    LAB4_SERVERGONE = 4, 4, "when the server goes away", "labs/src/lab4-echoclient.md", "step-4-when-the-server-goes-away";
    LAB5_THREADS    = 5, 1, "a thread per client", "labs/src/lab5-concurrency.md", "step-1-a-thread-per-client";
    LAB5_SHARED     = 5, 2, "shared state", "labs/src/lab5-concurrency.md", "step-2-shared-state";
    LAB5_POOL       = 5, 3, "the pool and poll", "labs/src/lab5-concurrency.md", "step-3-the-pool-and-poll";
    LAB5_CHECK      = 5, 4, "check_clients", "labs/src/lab5-concurrency.md", "step-4-check_clients";
    LAB5_BACKPRESSURE = 5, 5, "backpressure", "labs/src/lab5-concurrency.md", "step-5-backpressure";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id mdBook gives a heading: lower case, spaces to `-`, only
    /// letters, digits, `_` and `-` kept.
    fn mdbook_id(heading: &str) -> String {
        heading
            .trim()
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    Some(c.to_ascii_lowercase())
                } else if c.is_whitespace() {
                    Some('-')
                } else {
                    None
                }
            })
            .collect()
    }

    /// Every failure message links to a step; that link must lead somewhere.
    #[test]
    fn every_step_anchor_is_a_heading_of_its_handout() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        // Lab 5 is optional: a starter made without it has no lab 5 pages.
        for step in ALL.iter().filter(|s| s.lab != 5 || cfg!(feature = "lab5")) {
            let path = root.join(step.file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: cannot read {}: {e}", step.link(), path.display()));
            let found = text
                .lines()
                .filter_map(|l| l.strip_prefix("## "))
                .any(|h| mdbook_id(h) == step.anchor);
            assert!(
                found,
                "{} has no heading `## Step {}: {}` (anchor #{})",
                step.file, step.number, step.title, step.anchor
            );
        }
    }

    #[test]
    fn mdbook_ids() {
        assert_eq!(mdbook_id("Step 2: connect_any"), "step-2-connect_any");
        assert_eq!(mdbook_id("Step 3: the Rio buffer"), "step-3-the-rio-buffer");
    }
}
