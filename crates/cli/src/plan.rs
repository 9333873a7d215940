//! A task as a list of runs (in dependency order) and the transfer comparisons among them.

use oddeven_data::DigitSet;
use oddeven_models::{ModelKind, TransferMode};

use crate::args::{ModeArg, Task};

/// Where a run's initial weights come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    Random,
    /// From an earlier run of this task, or from the `--from` checkpoint.
    Transfer {
        source: String,
        mode: TransferMode,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    pub name: String,
    pub model: ModelKind,
    pub digits: DigitSet,
    pub init: Init,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransferPlan {
    pub source: String,
    pub target: String,
    pub mode: TransferMode,
    pub scratch_run: String,
    pub transfer_run: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub runs: Vec<RunPlan>,
    pub transfers: Vec<TransferPlan>,
}

/// The name `--from` sources get in summaries.
pub const CHECKPOINT_SOURCE: &str = "checkpoint";

impl Plan {
    /// The runs of `task`. With `from_checkpoint`, transfer runs start from the checkpoint
    /// and their source runs are not trained.
    pub fn for_task(task: Task, modes: ModeArg, from_checkpoint: bool) -> Plan {
        let mut plan = Plan::default();
        let single = |plan: &mut Plan, model, digits: DigitSet, name: &str| {
            plan.add_random(name, model, digits)
        };
        match task {
            Task::SoftmaxOdd => single(
                &mut plan,
                ModelKind::Softmax,
                DigitSet::odd(),
                "softmax-odd",
            ),
            Task::SoftmaxEven => single(
                &mut plan,
                ModelKind::Softmax,
                DigitSet::even(),
                "softmax-even",
            ),
            Task::MlpOdd => single(&mut plan, ModelKind::Mlp, DigitSet::odd(), "mlp-odd"),
            Task::MlpEven => single(&mut plan, ModelKind::Mlp, DigitSet::even(), "mlp-even"),
            Task::TransferOddEven => plan.add_transfer(true, modes, from_checkpoint),
            Task::TransferEvenOdd => plan.add_transfer(false, modes, from_checkpoint),
            Task::Paper => {
                plan.add_random("softmax-odd", ModelKind::Softmax, DigitSet::odd());
                plan.add_random("softmax-even", ModelKind::Softmax, DigitSet::even());
                plan.add_transfer(true, modes, from_checkpoint);
                plan.add_transfer(false, modes, from_checkpoint);
            }
        }
        plan
    }

    fn add_random(&mut self, name: &str, model: ModelKind, digits: DigitSet) {
        if self.runs.iter().all(|r| r.name != name) {
            self.runs.push(RunPlan {
                name: name.to_string(),
                model,
                digits,
                init: Init::Random,
            });
        }
    }

    fn add_transfer(&mut self, odd_to_even: bool, modes: ModeArg, from_checkpoint: bool) {
        let (source, target, source_digits, target_digits, name) = if odd_to_even {
            (
                "mlp-odd",
                "mlp-even",
                DigitSet::odd(),
                DigitSet::even(),
                "transfer-odd-even",
            )
        } else {
            (
                "mlp-even",
                "mlp-odd",
                DigitSet::even(),
                DigitSet::odd(),
                "transfer-even-odd",
            )
        };
        let source_name = if from_checkpoint {
            CHECKPOINT_SOURCE.to_string()
        } else {
            self.add_random(source, ModelKind::Mlp, source_digits);
            source.to_string()
        };
        self.add_random(target, ModelKind::Mlp, target_digits.clone());
        let modes: Vec<TransferMode> = match modes {
            ModeArg::Full => vec![TransferMode::Full],
            ModeArg::NewHead => vec![TransferMode::NewHead],
            ModeArg::Frozen => vec![TransferMode::Frozen],
            ModeArg::All => TransferMode::ALL.to_vec(),
        };
        let suffix = modes.len() > 1;
        for mode in modes {
            let run = if suffix {
                format!("{name}-{mode}")
            } else {
                name.to_string()
            };
            self.runs.push(RunPlan {
                name: run.clone(),
                model: ModelKind::Mlp,
                digits: target_digits.clone(),
                init: Init::Transfer {
                    source: source_name.clone(),
                    mode,
                },
            });
            self.transfers.push(TransferPlan {
                source: source_name.clone(),
                target: target.to_string(),
                mode,
                scratch_run: target.to_string(),
                transfer_run: run,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(plan: &Plan) -> Vec<&str> {
        plan.runs.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn paper_has_the_six_runs_in_dependency_order() {
        let plan = Plan::for_task(Task::Paper, ModeArg::Full, false);
        assert_eq!(
            names(&plan),
            [
                "softmax-odd",
                "softmax-even",
                "mlp-odd",
                "mlp-even",
                "transfer-odd-even",
                "transfer-even-odd"
            ]
        );
        assert_eq!(plan.transfers.len(), 2);
        assert_eq!(plan.transfers[1].scratch_run, "mlp-odd");
    }

    #[test]
    fn all_modes_name_their_runs_and_checkpoints_skip_the_source() {
        let plan = Plan::for_task(Task::TransferOddEven, ModeArg::All, true);
        assert_eq!(
            names(&plan),
            [
                "mlp-even",
                "transfer-odd-even-full",
                "transfer-odd-even-new-head",
                "transfer-odd-even-frozen"
            ]
        );
        assert!(plan.transfers.iter().all(|t| t.source == CHECKPOINT_SOURCE));
    }
}
