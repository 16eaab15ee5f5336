//! The callback that reports each outside command or request before it runs (`-v`).

/// Called with one line for each git command or HTTP request, before it runs.
pub type Trace = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// A trace that reports nothing.
#[must_use]
pub fn quiet() -> Trace {
    std::sync::Arc::new(|_: &str| {})
}
