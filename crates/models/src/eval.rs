//! Evaluation over a whole data set — accuracy, mean loss, confusion matrix and which
//! examples were right — in chunks whose activations fit the device. When the data set
//! is one shard and fits one chunk, the forward pass reads the data tensors directly;
//! otherwise each chunk gathers its rows out of the shards (an identity index, the chunk's
//! offset as the step's row offset) and the metrics accumulate across chunks.

use oddeven_core::{Backend, StepValues};

use crate::data::DeviceData;
use crate::graph::{LossStage, Network};
use crate::sizes::eval_chunk_rows;

use crate::error::Result;

/// What an evaluation measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalResult {
    pub loss: f32,
    pub accuracy: f64,
    /// Rows = true class, columns = predicted.
    pub confusion: Vec<Vec<u64>>,
    /// Per example, in data order: classified correctly (empty unless asked for).
    pub correct: Vec<bool>,
}

/// One chunk shape's program, and the per-row stats it leaves.
struct ChunkProgram<B: Backend> {
    ops: Vec<B::Op>,
    stats: B::Tensor,
    rows: usize,
}

/// An evaluation of one network over one data set, built once and run many times.
pub struct Evaluation<B: Backend> {
    programs: Vec<ChunkProgram<B>>,
    /// (program, first row) of every chunk, in order.
    chunks: Vec<(usize, usize)>,
    metrics: B::Tensor,
    counts: B::Indices,
    rows: usize,
    classes: usize,
}

impl<B: Backend> Evaluation<B> {
    /// An evaluation of `net` over `data` (on the network's backend).
    pub fn new(net: &Network<'_, B>, data: &DeviceData<B>) -> Result<Self> {
        let b = net.backend;
        let rows = data.rows;
        let classes = net.spec.classes();
        let chunk = eval_chunk_rows(&net.spec, b.max_tensor_bytes(), rows);
        let metrics = b.zeros(&[1, 2], "eval metrics")?;
        let counts = b.index_zeros(&[classes, classes], "confusion")?;
        let loss_scale = 1.0 / rows.max(1) as f32;
        let whole = data.whole().filter(|_| chunk >= rows);
        let index = if whole.is_none() {
            let identity: Vec<u32> = (0..rows as u32).collect();
            let index = b.index_zeros(&[rows], "eval rows")?;
            b.write_indices(&index, &identity)?;
            Some(index)
        } else {
            None
        };
        let mut programs = Vec::new();
        let mut chunks = Vec::new();
        for (chunk_rows, count, first) in chunk_shapes(rows, chunk) {
            let (cx, cy, mut ops) = match (whole, &index) {
                (Some((x, y)), _) => (x.clone(), y.clone(), Vec::new()),
                (None, Some(index)) => {
                    let cx = b.zeros(&net.spec.input.with_rows(chunk_rows), "chunk x")?;
                    let cy = b.zeros(&[chunk_rows, classes], "chunk y")?;
                    let ops = data.gathers(b, index, &cx, &cy)?;
                    (cx, cy, ops)
                }
                (None, None) => {
                    return Err(crate::error::invalid(
                        "evaluation",
                        "gathered data without an index",
                    ))
                }
            };
            let fwd = net.forward(&cx)?;
            let logits = fwd.logits().clone();
            let loss = LossStage::new(b, net.spec.output, &logits, &cy, &metrics, loss_scale)?;
            ops.extend(fwd.ops);
            let stats = loss.stats.clone();
            ops.extend(loss.ops);
            ops.push(b.confusion(&logits, &cy, &counts)?);
            let p = programs.len();
            programs.push(ChunkProgram {
                ops,
                stats: stats.clone(),
                rows: chunk_rows,
            });
            chunks.extend((0..count).map(|c| (p, first + c * chunk_rows)));
        }
        // The confusion counts accumulate across chunks: clear them first.
        if let Some(first) = programs.first_mut() {
            first.ops.insert(0, b.clear_indices(&counts)?);
        }
        Ok(Evaluation {
            programs,
            chunks,
            metrics,
            counts,
            rows,
            classes,
        })
    }

    /// Runs the evaluation now and reads the result back (a sync: not for the epoch loop);
    /// `per_example` also reads which examples were right (a sync per chunk).
    pub fn run(&self, backend: &B, per_example: bool) -> Result<EvalResult> {
        let mut correct = Vec::with_capacity(self.rows);
        for (i, &(p, first)) in self.chunks.iter().enumerate() {
            let program = &self.programs[p];
            // The clear of the counts sits at the start of program 0: run it only once.
            let ops: Vec<&B::Op> = if p == 0 && i > 0 {
                program.ops.iter().skip(1).collect()
            } else {
                program.ops.iter().collect()
            };
            let step = StepValues {
                metrics_slot: 0,
                accumulate_metrics: i > 0,
                row_offset: first,
                ..StepValues::default()
            };
            backend.run(&ops, &step)?;
            if per_example {
                let stats = backend.read(&program.stats)?;
                correct.extend(stats.chunks(2).take(program.rows).map(|s| s[1] > 0.5));
            }
        }
        let metrics = backend.read(&self.metrics)?;
        let counts = backend.read_indices(&self.counts)?;
        let confusion = counts
            .chunks(self.classes.max(1))
            .map(|r| r.iter().map(|&c| c as u64).collect())
            .collect();
        Ok(EvalResult {
            loss: metrics[0],
            accuracy: metrics[1] as f64 / self.rows.max(1) as f64,
            confusion,
            correct,
        })
    }
}

/// (rows per chunk, number of such chunks, first row): the full chunks, then the rest.
fn chunk_shapes(rows: usize, chunk: usize) -> Vec<(usize, usize, usize)> {
    let chunk = chunk.max(1);
    let mut shapes = vec![(chunk, rows / chunk, 0)];
    if !rows.is_multiple_of(chunk) {
        shapes.push((rows % chunk, 1, (rows / chunk) * chunk));
    }
    shapes.retain(|&(_, count, _)| count > 0);
    shapes
}
