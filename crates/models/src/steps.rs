//! One epoch as a schedule of launches over op lists built once.
//!
//! - Full batch that fits: one list (forward, loss, backward, Adam) over the data tensors.
//! - Minibatches: per batch shape, gathers from the shards of the data into batch tensors,
//!   then forward, loss, backward, Adam; one launch per batch.
//! - Full batch past the device's limits (a data set in several shards, or activations
//!   larger than a tensor may be): the batch runs in chunks; every chunk's gradient is the
//!   sum over its rows scaled by 1/N, the first chunk writes the gradients and the others
//!   add theirs, and one Adam step follows — the same update as one big batch, within
//!   float rounding.

use oddeven_core::Backend;

use crate::data::DeviceData;
use crate::error::Result;
use crate::graph::{LayerTensors, LossStage, Network, Optimizer};
use crate::{sizes, train_step};

/// One launch of an epoch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Launch {
    /// Index into [`Steps::programs`].
    pub program: usize,
    /// The step's row offset into the index (which rows the gathers take).
    pub row_offset: usize,
    /// This launch applies Adam: the batch it belongs to ends here.
    pub ends_batch: bool,
}

/// The op lists of an epoch and the order they run in.
pub(crate) struct Steps<B: Backend> {
    /// Owned ops, in groups.
    parts: Vec<Vec<B::Op>>,
    /// Each program is a list of parts.
    programs: Vec<Vec<usize>>,
    pub launches: Vec<Launch>,
    /// A minibatch schedule: the index is a fresh permutation every epoch.
    pub shuffled: bool,
    /// One Adam step per epoch, whatever the chunking.
    pub full_batch: bool,
    pub index: B::Indices,
    _chunk_grads: Option<LayerTensors<B>>,
}

impl<B: Backend> Steps<B> {
    /// The ops of `program`, in order.
    pub fn ops(&self, program: usize) -> Vec<&B::Op> {
        self.programs[program]
            .iter()
            .flat_map(|&p| self.parts[p].iter())
            .collect()
    }

    fn part(&mut self, ops: Vec<B::Op>) -> usize {
        self.parts.push(ops);
        self.parts.len() - 1
    }

    /// The schedule for `data` in batches of `batch` rows (`batch` = all rows: full
    /// batch), metrics into `metrics` with every row's loss scaled by 1/N.
    /// Adam's ops move out of `opt` into the schedule.
    pub fn build(
        net: &Network<'_, B>,
        opt: &mut Optimizer<B>,
        data: &DeviceData<B>,
        batch: usize,
        metrics: &B::Tensor,
        first_trained: usize,
    ) -> Result<Self> {
        let b = net.backend;
        let n = data.rows;
        let full_batch = batch >= n;
        let fits = sizes::rows_per_step(&net.spec, b.max_tensor_bytes());
        let index = b.index_zeros(&[n], "rows")?;
        let mut steps = Steps {
            parts: Vec::new(),
            programs: Vec::new(),
            launches: Vec::new(),
            shuffled: !full_batch,
            full_batch,
            index,
            _chunk_grads: None,
        };
        let spec = &net.spec;
        let loss_scale = 1.0 / n as f32;
        let adam = steps.part(std::mem::take(&mut opt.ops));
        if let (true, Some((x, y))) = (full_batch && n <= fits, data.whole()) {
            // The study's protocol: one step over the data tensors, nothing gathered.
            let ops =
                train_step::record(net, x, y, metrics, loss_scale, &opt.grads, first_trained)?;
            let step = steps.part(ops);
            steps.programs.push(vec![step, adam]);
            steps.launches.push(Launch {
                program: 0,
                row_offset: 0,
                ends_batch: true,
            });
            return Ok(steps);
        }
        if !full_batch {
            for (rows, count, first_row) in shapes(n, batch) {
                let x = b.zeros(&spec.input.with_rows(rows), "batch x")?;
                let y = b.zeros(&[rows, spec.classes()], "batch y")?;
                let gathers = data.gathers(b, &steps.index, &x, &y)?;
                let ops = train_step::record(
                    net,
                    &x,
                    &y,
                    metrics,
                    loss_scale,
                    &opt.grads,
                    first_trained,
                )?;
                let step = steps.part(join([gathers, ops]));
                steps.programs.push(vec![step, adam]);
                let program = steps.programs.len() - 1;
                steps.launches.extend((0..count).map(|k| Launch {
                    program,
                    row_offset: first_row + k * batch,
                    ends_batch: true,
                }));
            }
            return Ok(steps);
        }
        // Full batch in chunks of equal size (but the last), each gathered from the shards.
        let chunk = n.div_ceil(n.div_ceil(fits.max(1)));
        let identity: Vec<u32> = (0..n as u32).collect();
        b.write_indices(&steps.index, &identity)?;
        let sums = net.zeros_like_packed(first_trained, "chunk grad")?;
        let adds = match (&opt.grads_whole, &sums.whole) {
            // Packed alike: one add over every gradient.
            (Some(g), Some(c)) => vec![b.add_assign(g, c)?],
            _ => add_ops(b, &opt.grads, &sums.parts)?,
        };
        let adds = steps.part(adds);
        let chunk_grads = sums.parts;
        let grad_scale = 1.0 / n as f32;
        for (shape_i, (rows, count, first_row)) in shapes(n, chunk).into_iter().enumerate() {
            let x = b.zeros(&spec.input.with_rows(rows), "chunk x")?;
            let y = b.zeros(&[rows, spec.classes()], "chunk y")?;
            let gathers = data.gathers(b, &steps.index, &x, &y)?;
            let fwd = net.forward(&x)?;
            let loss = LossStage::with_grad_scale(
                b,
                spec.output,
                fwd.logits(),
                &y,
                metrics,
                loss_scale,
                grad_scale,
            )?;
            let into_sum = net.backward(&fwd, &loss.grad, &chunk_grads, first_trained)?;
            // The epoch's first chunk writes the gradients; the others add to them.
            let direct = match shape_i {
                0 => Some(net.backward(&fwd, &loss.grad, &opt.grads, first_trained)?),
                _ => None,
            };
            let front = steps.part(join([gathers, fwd.ops, loss.ops]));
            let into_sum = steps.part(into_sum);
            let rest = steps.programs.len();
            steps.programs.push(vec![front, into_sum, adds]);
            let mut first_program = rest;
            if let Some(direct) = direct {
                let direct = steps.part(direct);
                steps.programs.push(vec![front, direct]);
                first_program = steps.programs.len() - 1;
            }
            steps.launches.extend((0..count).map(|k| Launch {
                program: if shape_i == 0 && k == 0 {
                    first_program
                } else {
                    rest
                },
                row_offset: first_row + k * chunk,
                ends_batch: false,
            }));
        }
        steps.programs.push(vec![adam]);
        steps.launches.push(Launch {
            program: steps.programs.len() - 1,
            row_offset: 0,
            ends_batch: true,
        });
        steps._chunk_grads = Some(chunk_grads);
        Ok(steps)
    }
}

/// grads += chunk grads, for every trained layer.
fn add_ops<B: Backend>(
    b: &B,
    grads: &LayerTensors<B>,
    chunk: &LayerTensors<B>,
) -> Result<Vec<B::Op>> {
    let mut ops = Vec::new();
    for (g, c) in grads.iter().zip(chunk) {
        if let (Some(g), Some(c)) = (g, c) {
            ops.push(b.add_assign(&g.weight, &c.weight)?);
            ops.push(b.add_assign(&g.bias, &c.bias)?);
        }
    }
    Ok(ops)
}

/// (rows per batch, number of such batches, first row): the full batches, then the rest.
pub(crate) fn shapes(n: usize, batch: usize) -> Vec<(usize, usize, usize)> {
    let batch = batch.max(1);
    let mut shapes = vec![(batch.min(n), n / batch.min(n).max(1), 0)];
    if batch < n && !n.is_multiple_of(batch) {
        shapes.push((n % batch, 1, (n / batch) * batch));
    }
    shapes.retain(|&(_, count, _)| count > 0);
    shapes
}

/// The lists one after another (ops are not `Clone`, so `concat` does not apply).
fn join<T, const N: usize>(lists: [Vec<T>; N]) -> Vec<T> {
    lists.into_iter().flatten().collect()
}
