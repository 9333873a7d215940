//! A task or experiment as a list of runs (in dependency order) and the transfer
//! comparisons among them.

use oddeven_data::DigitSet;
use oddeven_models::{Architecture, TransferMode};

use crate::args::Task;

/// Where a run's initial weights come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    Random,
    /// From an earlier run of this plan, or from the `--from` checkpoint.
    Transfer {
        source: String,
        mode: TransferMode,
    },
}

/// Which data set a run draws from: the source's or the target's (the same directory
/// unless --source-data / --target-data differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Source,
    Target,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    pub name: String,
    pub arch: Architecture,
    pub digits: DigitSet,
    pub side: Side,
    pub init: Init,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransferPlan {
    /// Data set names, e.g. "odd" and "even" (with the data set's label when the two
    /// sides use different data).
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

/// One side of a transfer: digits, and a label for names ("odd", or "fashion-mnist-all"
/// when the sides use different data sets).
#[derive(Debug, Clone)]
pub struct SideSpec {
    pub digits: DigitSet,
    pub label: String,
}

impl Plan {
    /// The runs of a preset task; the network `arch` replaces the MLP.
    pub fn for_task(task: Task, arch: &Architecture, modes: &[TransferMode], from: bool) -> Plan {
        let mut plan = Plan::default();
        let (odd, even) = (DigitSet::odd(), DigitSet::even());
        let side = |digits: &DigitSet| SideSpec {
            digits: digits.clone(),
            label: digits.name(),
        };
        let softmax = Architecture::softmax();
        match task {
            Task::SoftmaxOdd => plan.add_random(&softmax, &odd, Side::Target, "odd"),
            Task::SoftmaxEven => plan.add_random(&softmax, &even, Side::Target, "even"),
            Task::MlpOdd => plan.add_random(arch, &odd, Side::Target, "odd"),
            Task::MlpEven => plan.add_random(arch, &even, Side::Target, "even"),
            Task::TransferOddEven | Task::CnnTransferOddEven => plan.add_transfer(
                arch,
                &side(&odd),
                &side(&even),
                modes,
                from,
                "transfer-odd-even",
            ),
            Task::TransferEvenOdd | Task::CnnTransferEvenOdd => plan.add_transfer(
                arch,
                &side(&even),
                &side(&odd),
                modes,
                from,
                "transfer-even-odd",
            ),
            Task::Paper => {
                plan.add_random(&softmax, &odd, Side::Target, "odd");
                plan.add_random(&softmax, &even, Side::Target, "even");
                plan.add_transfer(
                    arch,
                    &side(&odd),
                    &side(&even),
                    modes,
                    from,
                    "transfer-odd-even",
                );
                plan.add_transfer(
                    arch,
                    &side(&even),
                    &side(&odd),
                    modes,
                    from,
                    "transfer-even-odd",
                );
            }
        }
        plan
    }

    /// A transfer experiment between any two sides.
    pub fn experiment(
        arch: &Architecture,
        source: &SideSpec,
        target: &SideSpec,
        modes: &[TransferMode],
        from: bool,
    ) -> Plan {
        let mut plan = Plan::default();
        let name = format!("transfer-{}-to-{}", source.label, target.label);
        plan.add_transfer(arch, source, target, modes, from, &name);
        plan
    }

    /// One run, no transfer.
    pub fn single(arch: &Architecture, digits: &DigitSet) -> Plan {
        let mut plan = Plan::default();
        plan.add_random(arch, digits, Side::Target, &digits.name());
        plan
    }

    fn add_random(&mut self, arch: &Architecture, digits: &DigitSet, side: Side, label: &str) {
        let name = format!("{}-{label}", arch.name());
        if self.runs.iter().all(|r| r.name != name) {
            self.runs.push(RunPlan {
                name,
                arch: arch.clone(),
                digits: digits.clone(),
                side,
                init: Init::Random,
            });
        }
    }

    fn add_transfer(
        &mut self,
        arch: &Architecture,
        source: &SideSpec,
        target: &SideSpec,
        modes: &[TransferMode],
        from: bool,
        name: &str,
    ) {
        let source_name = if from {
            CHECKPOINT_SOURCE.to_string()
        } else {
            self.add_random(arch, &source.digits, Side::Source, &source.label);
            format!("{}-{}", arch.name(), source.label)
        };
        self.add_random(arch, &target.digits, Side::Target, &target.label);
        let scratch = format!("{}-{}", arch.name(), target.label);
        let suffix = modes.len() > 1;
        for &mode in modes {
            let run = if suffix {
                format!("{name}-{mode}")
            } else {
                name.to_string()
            };
            self.runs.push(RunPlan {
                name: run.clone(),
                arch: arch.clone(),
                digits: target.digits.clone(),
                side: Side::Target,
                init: Init::Transfer {
                    source: source_name.clone(),
                    mode,
                },
            });
            self.transfers.push(TransferPlan {
                source: source.label.clone(),
                target: target.label.clone(),
                mode,
                scratch_run: scratch.clone(),
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
        let plan = Plan::for_task(
            Task::Paper,
            &Architecture::mlp(300),
            &[TransferMode::Full],
            false,
        );
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
        assert_eq!(plan.runs[0].arch, Architecture::softmax());
    }

    #[test]
    fn the_model_names_the_runs() {
        let plan = Plan::for_task(
            Task::Paper,
            &Architecture::cnn(),
            &[TransferMode::Full],
            false,
        );
        assert_eq!(names(&plan)[2..4], ["cnn-odd", "cnn-even"]);
        assert_eq!(
            plan.runs[0].name, "softmax-odd",
            "softmax runs stay softmax"
        );
        let custom: Architecture = "flatten,linear8,relu,linear".parse().unwrap();
        let plan = Plan::for_task(Task::MlpOdd, &custom, &[TransferMode::Full], false);
        assert_eq!(names(&plan), ["custom-odd"]);
    }

    #[test]
    fn all_modes_name_their_runs_and_checkpoints_skip_the_source() {
        let plan = Plan::for_task(
            Task::TransferOddEven,
            &Architecture::mlp(300),
            &TransferMode::ALL,
            true,
        );
        assert_eq!(
            names(&plan),
            [
                "mlp-even",
                "transfer-odd-even-full",
                "transfer-odd-even-new-head",
                "transfer-odd-even-frozen"
            ]
        );
        assert!(plan
            .transfers
            .iter()
            .all(|t| t.source == "even" || t.source == "odd"));
        assert!(plan.runs.iter().all(|r| match &r.init {
            Init::Transfer { source, .. } => source == CHECKPOINT_SOURCE,
            Init::Random => true,
        }));
    }

    #[test]
    fn experiments_are_named_by_their_digit_sets() {
        let side = |s: &str| SideSpec {
            digits: s.parse().unwrap(),
            label: s.parse::<DigitSet>().unwrap().name(),
        };
        let plan = Plan::experiment(
            &Architecture::mlp(300),
            &side("0-4"),
            &side("5-9"),
            &[TransferMode::NewHead],
            false,
        );
        assert_eq!(names(&plan), ["mlp-0-4", "mlp-5-9", "transfer-0-4-to-5-9"]);
        assert_eq!(plan.runs[0].side, Side::Source);
        assert_eq!(plan.runs[1].side, Side::Target);
        let one = Plan::single(&Architecture::cnn(), &"0,2,4".parse().unwrap());
        assert_eq!(names(&one), ["cnn-0_2_4"]);
    }
}
