//! [`CpuBackend`]: the [`Backend`] seam on the host, one rayon pool shared by every op and
//! by faer's GEMM.

use oddeven_core::kernels::loss::OutputKind;
use oddeven_core::kernels::matmul::{shape_dims, MatmulSpec};
use oddeven_core::{
    AdapterSummary, Backend, Conv2dGeometry, CoreError, Handle, Pool2dGeometry, Result, StepValues,
};

use crate::gemm::{Epilogue, GemmPlan, GemmShape};
use crate::op::CpuOp;
use crate::profile::Profile;
use crate::storage::{check_distinct, id_of, CpuIndices, CpuTensor, HostArray, Reads};
use crate::{conv, ops, pool};

/// The native CPU backend: faer GEMMs and hand-written fused ops, parallel over row
/// blocks in one rayon pool of `threads` threads that the GEMM shares (no
/// oversubscription). A run executes its ops in order before it returns; every
/// reduction is combined in a fixed order, so a seed gives bit-identical results run
/// after run (for a given thread count).
pub struct CpuBackend {
    pool: rayon::ThreadPool,
    threads: usize,
    summary: AdapterSummary,
    profile: Option<Profile>,
}

impl std::fmt::Debug for CpuBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CpuBackend({})", self.summary.name)
    }
}

fn device_error(message: String) -> CoreError {
    CoreError::RequestDevice {
        adapter: "cpu".into(),
        message,
    }
}

impl CpuBackend {
    /// A backend with `threads` worker threads (None: one per logical CPU, as
    /// [`std::thread::available_parallelism`] reports).
    pub fn new(threads: Option<usize>) -> Result<Self> {
        let threads = match threads {
            Some(0) => return Err(device_error("the thread count must be at least 1".into())),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("oddeven-cpu-{i}"))
            .build()
            .map_err(|e| device_error(format!("starting {threads} worker threads: {e}")))?;
        let summary = AdapterSummary {
            name: format!(
                "{} ({threads} thread{}, {})",
                cpu_model(),
                if threads == 1 { "" } else { "s" },
                simd_level()
            ),
            backend: "cpu".into(),
            device_type: "cpu".into(),
            driver: "oddeven-cpu: faer 0.24 GEMM, rayon".into(),
        };
        Ok(CpuBackend {
            pool,
            threads,
            summary,
            profile: Profile::from_env(),
        })
    }

    fn run_ops(&self, ops: &[&CpuOp], step: &StepValues) -> Result<()> {
        match &self.profile {
            None => ops.iter().try_for_each(|op| op.run(step)),
            Some(p) => ops.iter().try_for_each(|op| p.run(op, step)),
        }
    }

    /// Worker threads of the pool.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

/// The CPU's model name (Linux: /proc/cpuinfo), else the architecture.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{} CPU", std::env::consts::ARCH))
}

/// The widest SIMD level faer's kernels use here.
pub fn simd_level() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "AVX-512";
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return "AVX2+FMA";
        }
        "SSE2"
    }
    #[cfg(target_arch = "aarch64")]
    {
        "NEON"
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "scalar"
    }
}

fn write_array<T: Copy>(t: &HostArray<T>, data: &[T]) -> Result<()>
where
    HostArray<T>: Handle,
{
    if data.len() != t.len() {
        return Err(CoreError::DataLength {
            got: data.len(),
            expected: t.len(),
            shape: t.shape().to_vec(),
        });
    }
    t.write().copy_from_slice(data);
    Ok(())
}

impl Backend for CpuBackend {
    type Tensor = CpuTensor;
    type Indices = CpuIndices;
    type Op = CpuOp;

    fn summary(&self) -> AdapterSummary {
        self.summary.clone()
    }
    fn max_tensor_bytes(&self) -> u64 {
        oddeven_core::host::host_memory_bytes()
    }

    fn zeros(&self, shape: &[usize], _label: &str) -> Result<CpuTensor> {
        Ok(HostArray::zeros(shape))
    }
    fn upload(&self, shape: &[usize], data: &[f32], label: &str) -> Result<CpuTensor> {
        let t = self.zeros(shape, label)?;
        self.write(&t, data)?;
        Ok(t)
    }
    fn write(&self, t: &CpuTensor, data: &[f32]) -> Result<()> {
        write_array(t, data)
    }
    fn read(&self, t: &CpuTensor) -> Result<Vec<f32>> {
        Ok(t.read().clone())
    }
    fn reshape(&self, t: &CpuTensor, shape: &[usize]) -> Result<CpuTensor> {
        if shape.iter().product::<usize>() != t.len() {
            return Err(ops::shape_err(
                "reshape",
                format!("{:?} cannot be viewed as {shape:?}", t.shape()),
            ));
        }
        Ok(t.with_shape(shape))
    }
    fn index_zeros(&self, shape: &[usize], _label: &str) -> Result<CpuIndices> {
        Ok(HostArray::zeros(shape))
    }
    fn write_indices(&self, t: &CpuIndices, data: &[u32]) -> Result<()> {
        write_array(t, data)
    }
    fn read_indices(&self, t: &CpuIndices) -> Result<Vec<u32>> {
        Ok(t.read().clone())
    }

    fn matmul(
        &self,
        a: &CpuTensor,
        b: &CpuTensor,
        c: &CpuTensor,
        bias: Option<&CpuTensor>,
        spec: MatmulSpec,
    ) -> Result<CpuOp> {
        let (m, k, n) = shape_dims(a.shape(), b.shape(), c.shape(), bias.map(|b| b.len()), spec)?;
        let mut inputs = vec![id_of(a), id_of(b)];
        inputs.extend(bias.map(id_of));
        check_distinct("matmul", &inputs, &[id_of(c)])?;
        let shape = GemmShape {
            m,
            k,
            n,
            trans_a: spec.trans_a,
            trans_b: spec.trans_b,
        };
        let plan = GemmPlan::new(shape, self.threads);
        let (a, b, c, threads) = (a.clone(), b.clone(), c.clone(), self.threads);
        // Without a bias the third read lock is taken on `a` again (deduplicated).
        let bias_or_a = bias.cloned().unwrap_or_else(|| a.clone());
        let has_bias = bias.is_some();
        Ok(CpuOp::new("matmul", move |_| {
            let inputs = Reads::new([&a, &b, &bias_or_a]);
            let epi = Epilogue {
                bias: has_bias.then(|| inputs.get(2)),
                relu: spec.relu,
            };
            plan.run(threads, inputs.get(0), inputs.get(1), &mut c.write(), epi);
            Ok(())
        })
        .with_detail(format!("{m}x{k}x{n} {spec:?} bias {has_bias}")))
    }
    fn relu(&self, x: &CpuTensor, out: &CpuTensor) -> Result<CpuOp> {
        ops::relu(x, out)
    }
    fn relu_backward(&self, g: &CpuTensor, y: &CpuTensor, gi: &CpuTensor) -> Result<CpuOp> {
        ops::relu_backward(g, y, gi)
    }
    fn loss(
        &self,
        kind: OutputKind,
        logits: &CpuTensor,
        targets: &CpuTensor,
        grad: &CpuTensor,
        stats: &CpuTensor,
        scale: f32,
    ) -> Result<CpuOp> {
        ops::loss(kind, logits, targets, grad, stats, scale)
    }
    fn reduce_metrics(&self, stats: &CpuTensor, metrics: &CpuTensor, scale: f32) -> Result<CpuOp> {
        ops::reduce_metrics(stats, metrics, scale)
    }
    fn column_sum(&self, x: &CpuTensor, out: &CpuTensor) -> Result<CpuOp> {
        ops::column_sum(x, out)
    }
    fn confusion(&self, z: &CpuTensor, y: &CpuTensor, counts: &CpuIndices) -> Result<CpuOp> {
        ops::confusion(z, y, counts)
    }
    fn clear_indices(&self, t: &CpuIndices) -> Result<CpuOp> {
        Ok(ops::clear_indices(t))
    }
    fn gather_rows(
        &self,
        src: &CpuTensor,
        index: &CpuIndices,
        out: &CpuTensor,
        first_row: usize,
    ) -> Result<CpuOp> {
        ops::gather_rows(src, index, out, first_row)
    }
    fn add_assign(&self, dst: &CpuTensor, src: &CpuTensor) -> Result<CpuOp> {
        ops::add_assign(dst, src)
    }
    fn adam(&self, p: &CpuTensor, g: &CpuTensor, m: &CpuTensor, v: &CpuTensor) -> Result<CpuOp> {
        ops::adam(p, g, m, v)
    }
    fn conv2d(
        &self,
        x: &CpuTensor,
        w: &CpuTensor,
        bias: &CpuTensor,
        out: &CpuTensor,
        g: &Conv2dGeometry,
        relu: bool,
    ) -> Result<CpuOp> {
        let detail = format!("{g:?} relu {relu}");
        Ok(conv::conv2d(self.threads, x, w, bias, out, g, relu)?.with_detail(detail))
    }
    fn conv2d_input_backward(
        &self,
        dy: &CpuTensor,
        w: &CpuTensor,
        dx: &CpuTensor,
        g: &Conv2dGeometry,
    ) -> Result<CpuOp> {
        let detail = format!("{g:?}");
        Ok(conv::conv2d_input_backward(self.threads, dy, w, dx, g)?.with_detail(detail))
    }
    fn conv2d_weight_backward(
        &self,
        x: &CpuTensor,
        dy: &CpuTensor,
        dw: &CpuTensor,
        db: &CpuTensor,
        g: &Conv2dGeometry,
    ) -> Result<CpuOp> {
        let detail = format!("{g:?}");
        Ok(conv::conv2d_weight_backward(self.threads, x, dy, dw, db, g)?.with_detail(detail))
    }
    fn max_pool2d(
        &self,
        x: &CpuTensor,
        out: &CpuTensor,
        argmax: &CpuIndices,
        g: &Pool2dGeometry,
    ) -> Result<CpuOp> {
        pool::max_pool2d(x, out, argmax, g)
    }
    fn max_pool2d_backward(
        &self,
        dy: &CpuTensor,
        argmax: &CpuIndices,
        dx: &CpuTensor,
        g: &Pool2dGeometry,
    ) -> Result<CpuOp> {
        pool::max_pool2d_backward(dy, argmax, dx, g)
    }

    fn run(&self, ops: &[&CpuOp], step: &StepValues) -> Result<()> {
        // Everything inside, faer's GEMM included, runs on this pool's threads.
        self.pool.install(|| self.run_ops(ops, step))
    }
    fn run_steps(&self, launches: &[(&[&CpuOp], StepValues)]) -> Result<()> {
        self.pool.install(|| {
            launches
                .iter()
                .try_for_each(|(ops, step)| self.run_ops(ops, step))
        })
    }
    fn sync(&self) -> Result<()> {
        Ok(())
    }
}
