//! The training loop. One step = one command encoder and one submission (forward, loss,
//! backward, Adam); per-step loss and correct counts land in a GPU buffer that is read
//! back only every few epochs for progress, and once at the end.

use std::time::Instant;

use oddeven_core::kernels::reduce::gather_rows;
use oddeven_core::kernels::{record_all, Dispatch};
use oddeven_core::{Gpu, Staging, Tensor, U32Array};

use crate::error::{invalid, Result};
use crate::graph::{Backward, EvalResult, Evaluation, Forward, GpuParams, LossStage, Optimizer};
use crate::spec::Params;

pub use crate::config::{DataRef, EarlyStopping, Progress, Schedule, TrainConfig, TrainReport};

/// One batch shape's graph: optional gathers (minibatch), forward, loss, backward.
struct Step {
    gathers: Vec<(Dispatch, Dispatch)>,
    forward: Forward,
    loss: LossStage,
    backward: Backward,
}

impl Step {
    #[allow(clippy::too_many_arguments)]
    fn new(
        gpu: &Gpu,
        params: &Params,
        weights: &GpuParams,
        opt: &Optimizer,
        x: Tensor,
        y: Tensor,
        metrics: &Tensor,
        loss_scale: f32,
        first_trained: usize,
    ) -> Result<Self> {
        let forward = Forward::new(gpu, params, weights, &x)?;
        let loss = LossStage::new(
            gpu,
            params.spec.output,
            &forward.logits,
            &y,
            metrics,
            loss_scale,
        )?;
        let backward = Backward::new(
            gpu,
            params,
            weights,
            &opt.grads,
            &x,
            &forward,
            &loss.grad,
            first_trained,
        )?;
        Ok(Step {
            gathers: Vec::new(),
            forward,
            loss,
            backward,
        })
    }

    fn record(
        &self,
        encoder: &mut oddeven_core::wgpu::CommandEncoder,
        batch: Option<usize>,
        opt: &Optimizer,
    ) {
        let mut list: Vec<&Dispatch> = Vec::new();
        if let Some(b) = batch {
            list.extend([&self.gathers[b].0, &self.gathers[b].1]);
        }
        list.extend(self.forward.dispatches.iter());
        list.extend([&self.loss.dispatch, self.loss.metrics.dispatch()]);
        list.extend(self.backward.dispatches.iter());
        list.extend(opt.dispatches.iter());
        record_all(encoder, &list);
    }
}

/// Trains `params` in place on `train`, evaluating on `test` before and after.
pub fn train(
    gpu: &Gpu,
    params: &mut Params,
    train: DataRef<'_>,
    test: DataRef<'_>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainReport> {
    train_with_validation(gpu, params, train, test, None, cfg, progress)
}

/// [`train`] with an optional validation set for early stopping.
pub fn train_with_validation(
    gpu: &Gpu,
    params: &mut Params,
    train: DataRef<'_>,
    test: DataRef<'_>,
    validation: Option<DataRef<'_>>,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<TrainReport> {
    let spec = params.spec;
    check_config(cfg, params)?;
    for d in [Some(train), Some(test), validation].into_iter().flatten() {
        if d.classes != spec.classes {
            return Err(invalid(
                "data",
                format!(
                    "data has {} classes but the model {spec} has {}",
                    d.classes, spec.classes
                ),
            ));
        }
    }
    let n = train.rows();
    let (x_all, y_all) = train.upload(gpu, spec.inputs, "train")?;
    let (x_test, y_test) = test.upload(gpu, spec.inputs, "test")?;
    let weights = GpuParams::upload(gpu, params)?;
    let opt = Optimizer::new(gpu, params, &weights, cfg.first_trained_layer)?;
    let metrics = Tensor::zeros(gpu, &[cfg.epochs + 1, 2], "metrics")?;
    let loss_scale = 1.0 / n as f32;
    let train_eval = Evaluation::new(gpu, params, &weights, &x_all, &y_all)?;
    let test_eval = Evaluation::new(gpu, params, &weights, &x_test, &y_test)?;
    let val_eval = match validation {
        Some(v) => {
            let (xv, yv) = v.upload(gpu, spec.inputs, "validation")?;
            Some(Evaluation::new(gpu, params, &weights, &xv, &yv)?)
        }
        None => None,
    };

    // Full batch trains on the data set tensors directly; minibatches gather rows of a
    // per-epoch permutation into batch tensors (a second graph for the smaller last batch).
    let batch = cfg.batch_size.unwrap_or(n).min(n);
    let full_batch = batch == n;
    let index = U32Array::zeros(gpu, &[n], "permutation")?;
    let mut steps = Vec::new();
    for (rows, count) in batch_shapes(n, batch) {
        let (x, y) = if full_batch {
            (x_all.clone(), y_all.clone())
        } else {
            (
                Tensor::zeros(gpu, &[rows, spec.inputs], "batch x")?,
                Tensor::zeros(gpu, &[rows, spec.classes], "batch y")?,
            )
        };
        let mut step = Step::new(
            gpu,
            params,
            &weights,
            &opt,
            x.clone(),
            y.clone(),
            &metrics,
            loss_scale,
            cfg.first_trained_layer,
        )?;
        if !full_batch {
            let first = if rows == batch {
                0
            } else {
                (n / batch) * batch
            };
            for b in 0..count {
                let offset = first + b * rows;
                step.gathers.push((
                    gather_rows(gpu, &x_all, &index, offset, &x)?,
                    gather_rows(gpu, &y_all, &index, offset, &y)?,
                ));
            }
        }
        steps.push(step);
    }

    let initial_test = test_eval.run(gpu)?;
    let initial_train = if full_batch {
        None
    } else {
        Some(train_eval.run(gpu)?)
    };
    let mut staging = Staging::new(gpu, metrics.byte_len());
    let mut rng = crate::shuffle::Shuffler::new(cfg.seed);
    let mut best_val = f32::INFINITY;
    let mut since_best = 0usize;
    let mut epochs_run = 0;
    let mut t = 0u64;
    let start = Instant::now();
    for epoch in 1..=cfg.epochs {
        let lr = lr_at(cfg, epoch);
        if !full_batch {
            index.write(gpu, &rng.permutation(n))?;
        }
        let mut first_batch = true;
        for step in &steps {
            let count = if full_batch { 1 } else { step.gathers.len() };
            for b in 0..count {
                t += 1;
                opt.hyper.set(gpu, &cfg.adam, lr, t);
                // Full batch: step t's forward sees the weights after t−1 updates (slot
                // epoch−1); minibatch: slot epoch accumulates the epoch's running totals.
                let slot = if full_batch { epoch - 1 } else { epoch };
                step.loss.metrics.set_slot(gpu, slot, !first_batch)?;
                first_batch = false;
                let mut encoder = gpu.encoder("train step");
                step.record(&mut encoder, (!full_batch).then_some(b), &opt);
                gpu.submit(encoder);
            }
        }
        epochs_run = epoch;
        if let Some(stop) = cfg.early_stopping {
            let val = val_eval
                .as_ref()
                .ok_or_else(|| invalid("early stopping", "needs a validation set"))?
                .run(gpu)?;
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
        if epoch % cfg.report_every.max(1) == 0 || epoch == cfg.epochs {
            let m = staging.read(gpu, &metrics)?;
            let slot = if full_batch { epoch - 1 } else { epoch };
            progress(&Progress {
                epoch,
                epochs: cfg.epochs,
                loss: m[2 * slot],
                train_accuracy: m[2 * slot + 1] as f64 / n as f64,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
    }
    gpu.wait()?;
    let train_seconds = start.elapsed().as_secs_f64();

    let final_train = train_eval.run(gpu)?;
    let final_test = test_eval.run(gpu)?;
    let m = staging.read(gpu, &metrics)?;
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
    weights.download_into(gpu, params)?;
    Ok(TrainReport {
        initial_train_accuracy: acc_history[0],
        initial_test_accuracy: initial_test.accuracy,
        train_accuracy: final_train.accuracy,
        test_accuracy: final_test.accuracy,
        final_loss: final_train.loss,
        loss_history,
        train_accuracy_history: acc_history,
        test_confusion: final_test.confusion,
        train_seconds,
        epochs_run,
        adapter: gpu.summary().to_string(),
    })
}

/// Evaluates `params` on a data set (accuracy, loss, confusion) without training.
pub fn evaluate(gpu: &Gpu, params: &Params, data: DataRef<'_>) -> Result<EvalResult> {
    let (x, y) = data.upload(gpu, params.spec.inputs, "evaluation")?;
    let weights = GpuParams::upload(gpu, params)?;
    Evaluation::new(gpu, params, &weights, &x, &y)?.run(gpu)
}

fn check_config(cfg: &TrainConfig, params: &Params) -> Result<()> {
    if cfg.epochs == 0 {
        return Err(invalid("--epochs", "must be at least 1"));
    }
    if !(cfg.adam.lr.is_finite() && cfg.adam.lr > 0.0) {
        return Err(invalid(
            "--lr",
            format!("{} is not a positive learning rate", cfg.adam.lr),
        ));
    }
    if cfg.batch_size == Some(0) {
        return Err(invalid("--batch-size", "must be at least 1"));
    }
    if cfg.first_trained_layer >= params.layers.len() {
        return Err(invalid(
            "frozen layers",
            "at least the output layer must be trained",
        ));
    }
    Ok(())
}

/// (rows per batch, number of such batches): the full batches, then the remainder.
fn batch_shapes(n: usize, batch: usize) -> Vec<(usize, usize)> {
    let mut shapes = vec![(batch, n / batch)];
    if !n.is_multiple_of(batch) {
        shapes.push((n % batch, 1));
    }
    shapes
}

fn lr_at(cfg: &TrainConfig, epoch: usize) -> f32 {
    match cfg.schedule {
        Schedule::Constant => cfg.adam.lr,
        Schedule::Cosine => {
            let progress = (epoch - 1) as f64 / cfg.epochs as f64;
            (cfg.adam.lr as f64 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())) as f32
        }
    }
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
