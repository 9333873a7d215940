//! The training loop, on any [`Backend`]. One step = one run of one op list (gathers for a
//! minibatch, forward, loss, metrics, backward, Adam); per-step loss and correct counts
//! land in a metrics tensor on the backend that is read back only every few epochs for
//! progress, and once at the end.

use std::time::Instant;

use oddeven_core::{Backend, StepValues};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::arch::ModelSpec;
use crate::config::{Progress, TrainConfig, TrainReport};
use crate::data::DataRef;
use crate::error::{invalid, Result};
use crate::eval::{EvalResult, Evaluation};
use crate::graph::{Network, Optimizer};
use crate::params::Params;
use crate::sizes;
use crate::steps::Steps;

/// The data of a run: train on `train`, report on `test`, stop early on `validation`.
#[derive(Debug, Clone, Copy)]
pub struct RunData<'a> {
    pub train: DataRef<'a>,
    pub test: DataRef<'a>,
    pub validation: Option<DataRef<'a>>,
}

/// Every check a run makes before it allocates anything: the configuration, the data
/// against the model, and every size against the backend. The CLI calls this for every
/// run of a task before the first one trains (and before any parameters exist).
pub fn check_run<B: Backend>(
    backend: &B,
    spec: &ModelSpec,
    data: &RunData<'_>,
    cfg: &TrainConfig,
) -> Result<()> {
    cfg.validate(spec.layers.len())?;
    let max = backend.max_tensor_bytes();
    sizes::check_model(spec, max)?;
    let sets = [
        ("training", Some(data.train)),
        ("test", Some(data.test)),
        ("validation", data.validation),
    ];
    for (what, set) in sets {
        if let Some(set) = set {
            set.check(spec, what)?;
        }
    }
    if cfg.early_stopping.is_some() && data.validation.is_none() {
        return Err(invalid("early stopping", "needs a validation set"));
    }
    let n = data.train.rows();
    let batch = cfg.batch_size.unwrap_or(n).min(n);
    sizes::check_batch(spec, batch, max, batch == n)
}

/// Trains `params` in place on `train`, evaluating on `test` before and after.
pub fn train<B: Backend>(
    backend: &B,
    params: &mut Params,
    train: DataRef<'_>,
    test: DataRef<'_>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainReport> {
    let data = RunData {
        train,
        test,
        validation: None,
    };
    train_run(backend, params, &data, cfg, progress)
}

/// Trains `params` in place; see [`RunData`].
pub fn train_run<B: Backend>(
    backend: &B,
    params: &mut Params,
    data: &RunData<'_>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainReport> {
    params.validate()?;
    check_run(backend, &params.spec, data, cfg)?;
    let spec = params.spec.clone();
    let n = data.train.rows();
    let train_data = data.train.upload_sharded(backend, &spec, "train")?;
    let test_data = data.test.upload_sharded(backend, &spec, "test")?;
    let first_trained = cfg.first_trained_layer;
    let net = Network::upload_trained_from(backend, params, first_trained)?;
    let mut opt = Optimizer::new(&net, first_trained)?;
    let metrics = backend.zeros(&[cfg.epochs + 1, 2], "metrics")?;
    let train_eval = Evaluation::new(&net, &train_data)?;
    let test_eval = Evaluation::new(&net, &test_data)?;
    let val_eval = match data.validation {
        Some(v) => Some(Evaluation::new(
            &net,
            &v.upload_sharded(backend, &spec, "validation")?,
        )?),
        None => None,
    };
    let batch = cfg.batch_size.unwrap_or(n).min(n);
    let steps = Steps::build(&net, &mut opt, &train_data, batch, &metrics, first_trained)?;
    let full_batch = steps.full_batch;
    let programs: Vec<Vec<&B::Op>> = (0..steps
        .launches
        .iter()
        .map(|l| l.program + 1)
        .max()
        .unwrap_or(0))
        .map(|p| steps.ops(p))
        .collect();

    let initial_test = test_eval.run(backend, false)?;
    let initial_train = if full_batch {
        None
    } else {
        Some(train_eval.run(backend, false)?)
    };
    let mut shuffler = ChaCha8Rng::seed_from_u64(cfg.seed);
    shuffler.set_stream(2);
    let mut permutation: Vec<u32> = (0..n as u32).collect();
    let mut best_val = f32::INFINITY;
    let mut since_best = 0usize;
    let mut epochs_run = 0;
    let mut t = 0u64;
    let mut test_history = Vec::new();
    if cfg.eval_every.is_some() {
        test_history.push((0, initial_test.accuracy));
    }
    let mut eval_seconds = 0.0;
    // Launches wait here until something needs their results: a full-batch epoch is one
    // launch, so every epoch between two progress readbacks goes in one submission; a
    // minibatch epoch is one submission (its permutation is written between epochs).
    let mut pending: Vec<(usize, StepValues)> = Vec::new();
    let flush = |pending: &mut Vec<(usize, StepValues)>| -> Result<()> {
        let launches: Vec<(&[&B::Op], StepValues)> = pending
            .iter()
            .map(|&(p, v)| (programs[p].as_slice(), v))
            .collect();
        backend.run_steps(&launches)?;
        pending.clear();
        Ok(())
    };
    // Progress is read every `interval` epochs, re-estimated at each reading so that
    // readings come about every `cfg.progress_interval` of wall time.
    let mut interval = 1usize;
    let mut last_reading = (0usize, Instant::now());
    let start = Instant::now();
    for epoch in 1..=cfg.epochs {
        let lr = cfg.lr_at(epoch);
        if steps.shuffled {
            flush(&mut pending)?;
            oddeven_data::shuffle(&mut permutation, &mut shuffler);
            backend.write_indices(&steps.index, &permutation)?;
        }
        // Full batch: step t's forward sees the weights after t−1 updates (slot epoch−1);
        // minibatch: slot epoch accumulates the epoch's running totals.
        let slot = if full_batch { epoch - 1 } else { epoch };
        for (i, launch) in steps.launches.iter().enumerate() {
            let values = StepValues {
                adam: cfg.adam,
                lr,
                adam_step: t + 1,
                metrics_slot: slot,
                accumulate_metrics: i > 0,
                row_offset: launch.row_offset,
            };
            pending.push((launch.program, values));
            if launch.ends_batch {
                t += 1;
            }
        }
        epochs_run = epoch;
        if cfg
            .eval_every
            .is_some_and(|n| epoch % n == 0 || epoch == cfg.epochs)
        {
            flush(&mut pending)?;
            // Time spent evaluating is not training time.
            let t0 = Instant::now();
            test_history.push((epoch, test_eval.run(backend, false)?.accuracy));
            eval_seconds += t0.elapsed().as_secs_f64();
        }
        if let (Some(stop), Some(val_eval)) = (cfg.early_stopping, &val_eval) {
            flush(&mut pending)?;
            let val = val_eval.run(backend, false)?;
            if val.loss < best_val {
                best_val = val.loss;
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= stop.patience {
                    break;
                }
            }
        }
        let due = epoch - last_reading.0 >= interval || epoch == cfg.epochs;
        if let (true, Some(every)) = (due, cfg.progress_interval) {
            flush(&mut pending)?;
            let m = backend.read(&metrics)?;
            let now = Instant::now();
            let per_epoch = (now - last_reading.1).as_secs_f64() / (epoch - last_reading.0) as f64;
            interval = ((every.as_secs_f64() / per_epoch.max(1e-9)).ceil() as usize).max(1);
            last_reading = (epoch, now);
            progress(&Progress {
                epoch,
                epochs: cfg.epochs,
                loss: m[2 * slot],
                train_accuracy: m[2 * slot + 1] as f64 / n as f64,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
    }
    flush(&mut pending)?;
    backend.sync()?;
    let train_seconds = start.elapsed().as_secs_f64() - eval_seconds;

    let final_train = train_eval.run(backend, false)?;
    let final_test = test_eval.run(backend, true)?;
    if cfg.eval_every.is_some() && test_history.last().map(|&(e, _)| e) != Some(epochs_run) {
        test_history.push((epochs_run, final_test.accuracy));
    }
    let m = backend.read(&metrics)?;
    let (loss_history, mut acc_history) = histories(&m, n, epochs_run, full_batch);
    match &initial_train {
        Some(init) => {
            acc_history[0] = init.accuracy;
            if let Some(last) = acc_history.last_mut() {
                *last = final_train.accuracy;
            }
        }
        None => acc_history.push(final_train.accuracy),
    }
    *params = net.download()?;
    Ok(TrainReport {
        initial_train_accuracy: acc_history[0],
        initial_test_accuracy: initial_test.accuracy,
        train_accuracy: final_train.accuracy,
        test_accuracy: final_test.accuracy,
        final_loss: final_train.loss,
        loss_history,
        train_accuracy_history: acc_history,
        test_confusion: final_test.confusion,
        test_accuracy_history: test_history,
        test_correct: final_test.correct,
        train_seconds,
        epochs_run,
        adapter: backend.summary().to_string(),
    })
}

/// Evaluates `params` on a data set (accuracy, loss, confusion, per-example correctness)
/// without training.
pub fn evaluate<B: Backend>(backend: &B, params: &Params, data: DataRef<'_>) -> Result<EvalResult> {
    params.validate()?;
    sizes::check_model(&params.spec, backend.max_tensor_bytes())?;
    let data = data.upload_sharded(backend, &params.spec, "evaluation")?;
    let net = Network::upload(backend, params)?;
    Evaluation::new(&net, &data)?.run(backend, true)
}

/// Loss history (one per epoch run) and accuracy history without its final entry.
fn histories(m: &[f32], n: usize, epochs: usize, full_batch: bool) -> (Vec<f32>, Vec<f64>) {
    let offset = usize::from(!full_batch);
    let loss = (0..epochs).map(|e| m[2 * (e + offset)]).collect();
    let acc = (0..epochs + offset)
        .map(|e| m[2 * e + 1] as f64 / n as f64)
        .collect();
    (loss, acc)
}
