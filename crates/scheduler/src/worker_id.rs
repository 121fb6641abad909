//! Worker ids: which process holds a job's lease, readable in the jobs table and the logs.

use uuid::Uuid;

/// A worker id unique to this scheduler instance: `{prefix}-{pid}-{random}`.
pub fn worker_id(prefix: &str) -> String {
    let random = Uuid::new_v4().simple().to_string();
    let short = random.get(..8).unwrap_or(&random);
    format!("{prefix}-{}-{short}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_prefix_and_process_and_differ() {
        let first = worker_id("node-a");
        let second = worker_id("node-a");
        assert!(first.starts_with(&format!("node-a-{}-", std::process::id())));
        assert_ne!(first, second);
    }
}
