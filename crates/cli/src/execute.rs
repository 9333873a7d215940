//! Runs a checked plan, seed after seed: initial weights (random or transferred), training
//! with progress, a checkpoint per run, then the transfer comparisons.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use oddeven_core::Backend;
use oddeven_models::checkpoint::{self, CheckpointInfo};
use oddeven_models::{train_run, transfer, ModelSpec, Params, TrainReport};
use oddeven_report as report;

use crate::options::{explain, Settings};
use crate::plan::{Init, Plan, RunPlan, CHECKPOINT_SOURCE};
use crate::prepare::{DataSets, Splits};
use crate::progress::RunProgress;
use crate::summarize;

/// A finished run of one seed.
pub struct Done {
    pub params: Params,
    pub report: TrainReport,
}

/// What a plan needs besides the backend: everything `prepare` checked.
pub struct Checked<'a> {
    pub plan: &'a Plan,
    pub settings: &'a Settings,
    pub specs: &'a HashMap<String, ModelSpec>,
    pub from: Option<&'a (Params, CheckpointInfo)>,
    pub data: &'a DataSets,
    pub limit: Option<usize>,
}

/// Trains every run of every seed; returns the filled summary (no files but checkpoints
/// are written here). `first_seed` holds the splits `prepare` already made for the first
/// seed.
pub fn run_plan<B: Backend>(
    backend: &B,
    checked: &Checked<'_>,
    mut first_seed: Option<Splits<'_>>,
    out: &Path,
    summary: &mut report::Summary,
) -> Result<()> {
    let settings = checked.settings;
    let seeds = &settings.seeds;
    for &seed in seeds {
        let mut splits = match first_seed.take() {
            Some(s) => s,
            None => Splits::new(checked.data, settings, checked.limit, seed),
        };
        let mut done: HashMap<String, Done> = HashMap::new();
        for run in &checked.plan.runs {
            let spec = &checked.specs[&run.name];
            let examples = splits.get(run)?;
            let (params, first_trained) = initial_params(checked, run, spec, seed, &done)?;
            let cfg = settings.train_config(seed, first_trained);
            let mut params = params;
            let progress = RunProgress::new(&run.name, cfg.epochs, settings.quiet);
            let report = train_run(backend, &mut params, &examples.data(), &cfg, &mut |p| {
                progress.update(p)
            })
            .map_err(explain)
            .with_context(|| format!("training {}", run.name))?;
            progress.finish(&format!(
                "train acc {:.4}  test acc {:.4}  {:.1} s ({:.0} ms/epoch)",
                report.train_accuracy,
                report.test_accuracy,
                report.train_seconds,
                1e3 * report.train_seconds / report.epochs_run.max(1) as f64
            ));
            let file = checkpoint_name(&run.name, seed, seeds.len());
            let info = CheckpointInfo {
                digits: run.digits.digits().to_vec(),
                seed,
                dataset: checked.data.side(run.side).label.clone(),
                stratify: settings.stratify,
                limit: checked.limit,
            };
            checkpoint::save(&out.join(&file), &params, &info)?;
            summary.runs.push(summarize::run(
                run,
                spec,
                &examples,
                &report,
                settings,
                seed,
                checked.data,
            ));
            done.insert(run.name.clone(), Done { params, report });
        }
        for t in &checked.plan.transfers {
            let (scratch, target) = (&done[&t.scratch_run].report, &done[&t.transfer_run].report);
            summary
                .transfer
                .push(summarize::transfer(t, scratch, target, settings.threshold));
        }
    }
    summarize::finish(summary, seeds.len());
    Ok(())
}

fn initial_params(
    checked: &Checked<'_>,
    run: &RunPlan,
    spec: &ModelSpec,
    seed: u64,
    done: &HashMap<String, Done>,
) -> Result<(Params, usize)> {
    match &run.init {
        Init::Random => Ok((Params::init(spec.clone(), seed)?, 0)),
        Init::Transfer { source, mode } => {
            let source_params = if source == CHECKPOINT_SOURCE {
                &checked
                    .from
                    .context("a transfer from a checkpoint needs --from")?
                    .0
            } else {
                &done
                    .get(source)
                    .with_context(|| format!("source run {source} has not run"))?
                    .params
            };
            let params = transfer(source_params, spec, *mode, seed)
                .with_context(|| format!("starting {} from {source}", run.name))?;
            Ok((params, mode.first_trained_layer(spec)))
        }
    }
}

fn checkpoint_name(run: &str, seed: u64, seeds: usize) -> String {
    if seeds > 1 {
        format!("{run}-seed{seed}.safetensors")
    } else {
        format!("{run}.safetensors")
    }
}
