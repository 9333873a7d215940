//! Wall time per op kind and shape, when `ODDEVEN_CPU_PROFILE` is set (perf is not always
//! at hand; this is how the backend was tuned). The table goes to stderr when the
//! backend is dropped, largest total first.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use oddeven_core::{Result, StepValues};

use crate::op::CpuOp;

/// Environment variable that turns the per-op profile on (any non-empty value).
pub const PROFILE_ENV: &str = "ODDEVEN_CPU_PROFILE";

/// (op, detail) → (runs, total time).
#[derive(Default)]
pub(crate) struct Profile {
    entries: Mutex<Vec<(String, u64, Duration)>>,
}

impl Profile {
    pub(crate) fn from_env() -> Option<Profile> {
        std::env::var_os(PROFILE_ENV)
            .filter(|v| !v.is_empty())
            .map(|_| Profile::default())
    }

    pub(crate) fn run(&self, op: &CpuOp, step: &StepValues) -> Result<()> {
        let start = Instant::now();
        let result = op.run(step);
        let took = start.elapsed();
        let key = format!("{} {}", op.name(), op.detail());
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.iter_mut().find(|e| e.0 == key) {
            Some(e) => {
                e.1 += 1;
                e.2 += took;
            }
            None => entries.push((key, 1, took)),
        }
        result
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let mut entries = std::mem::take(self.entries.get_mut().unwrap_or_else(|e| e.into_inner()));
        entries.sort_by_key(|e| std::cmp::Reverse(e.2));
        let total: Duration = entries.iter().map(|e| e.2).sum();
        eprintln!("oddeven-cpu profile: {:.3} s in ops", total.as_secs_f64());
        for (key, runs, took) in entries {
            eprintln!(
                "{:>10.3} ms {:>5.1} % {:>8} runs {:>9.3} ms/run  {key}",
                took.as_secs_f64() * 1e3,
                100.0 * took.as_secs_f64() / total.as_secs_f64().max(1e-12),
                runs,
                took.as_secs_f64() * 1e3 / runs as f64
            );
        }
    }
}
