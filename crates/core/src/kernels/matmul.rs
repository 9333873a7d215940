//! matmul: C = op(A)·op(B) (+ bias) (ReLU). Shaders: `shaders/matmul.wgsl` ("register")
//! and `shaders/matmul_vec4.wgsl` ("vec4", which runs A·Bᵀ after `transpose.wgsl`) for
//! software adapters, `shaders/matmul_tiled.wgsl` ("tiled") for GPUs. CPU
//! reference: [`crate::cpu::matmul`]. Tests: `crates/core/tests/matmul.rs`. Bench:
//! `benches/kernels.rs`.
//!
//! Callers describe the product with [`MatmulSpec`]; the variant is chosen per adapter
//! (override: `ODDEVEN_MATMUL=register|tiled`), so a new variant (say, cooperative-matrix
//! tensor cores) plugs in here without touching any caller.

use super::matmul_plan::{plan, DeviceProfile, MatmulPlan, TILE_K};
use super::{build, shape_err, to_u32, Dispatch};
use crate::error::{CoreError, Result};
use crate::gpu::Gpu;
use crate::tensor::Tensor;

const REGISTER_SRC: &str = include_str!("../../../../shaders/matmul.wgsl");
const VEC4_SRC: &str = include_str!("../../../../shaders/matmul_vec4.wgsl");
const TILED_SRC: &str = include_str!("../../../../shaders/matmul_tiled.wgsl");
const REDUCE_SRC: &str = include_str!("../../../../shaders/matmul_reduce.wgsl");

/// Environment variable that forces a matmul variant (for benchmarks and tests).
pub const VARIANT_ENV: &str = "ODDEVEN_MATMUL";

/// Which transposes and fused epilogue a product uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatmulSpec {
    /// Use Aᵀ: A is stored [K, M].
    pub trans_a: bool,
    /// Use Bᵀ: B is stored [N, K].
    pub trans_b: bool,
    /// Apply max(0, ·) after the (optional) bias add.
    pub relu: bool,
}

impl MatmulSpec {
    /// A·B.
    pub const NN: MatmulSpec = MatmulSpec {
        trans_a: false,
        trans_b: false,
        relu: false,
    };
    /// Aᵀ·B (weight gradients: Xᵀ·dY).
    pub const TN: MatmulSpec = MatmulSpec {
        trans_a: true,
        trans_b: false,
        relu: false,
    };
    /// A·Bᵀ (input gradients: dY·Wᵀ).
    pub const NT: MatmulSpec = MatmulSpec {
        trans_a: false,
        trans_b: true,
        relu: false,
    };

    pub fn with_relu(self) -> Self {
        MatmulSpec { relu: true, ..self }
    }
}

/// The shader versions of the matmul.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatmulVariant {
    /// `matmul.wgsl`: no workgroup memory, uniform A loads; fastest on lavapipe.
    Register,
    /// `matmul_vec4.wgsl`: as `Register` with vec4 loads, for shapes whose rows are whole
    /// vec4s (others fall back to `Register`); fastest on lavapipe.
    Vec4,
    /// `matmul_tiled.wgsl`: 128×128 workgroup-memory tiles, 8×8 per invocation, double
    /// buffered, split-K for long K; for hardware GPUs.
    Tiled,
}

impl MatmulVariant {
    /// The variant for this adapter, unless `ODDEVEN_MATMUL` names one; an unknown name
    /// is an error.
    pub fn for_gpu(gpu: &Gpu) -> Result<Self> {
        let value = std::env::var(VARIANT_ENV).unwrap_or_default();
        match value.trim().to_ascii_lowercase().as_str() {
            "register" => Ok(MatmulVariant::Register),
            "vec4" => Ok(MatmulVariant::Vec4),
            "tiled" => Ok(MatmulVariant::Tiled),
            "" if gpu.summary().is_software() => Ok(MatmulVariant::Vec4),
            "" => Ok(MatmulVariant::Tiled),
            _ => Err(CoreError::BadEnv {
                var: VARIANT_ENV,
                value,
                expected: "register, vec4 or tiled",
            }),
        }
    }
}

/// (M, K, N) of op(A)·op(B), checked against C and the bias.
pub fn dims(
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    bias: Option<&Tensor>,
    spec: MatmulSpec,
) -> Result<(usize, usize, usize)> {
    shape_dims(a.shape(), b.shape(), c.shape(), bias.map(|b| b.len()), spec)
}

/// (rows, cols) of a shape read as a matrix: every leading axis is a row axis.
pub fn as_matrix(shape: &[usize]) -> (usize, usize) {
    match shape.split_last() {
        Some((&cols, rows)) => (rows.iter().product(), cols),
        None => (1, 1),
    }
}

/// [`dims`] from shapes alone (A, B, C and the bias length), for every backend.
pub fn shape_dims(
    a: &[usize],
    b: &[usize],
    c: &[usize],
    bias: Option<usize>,
    spec: MatmulSpec,
) -> Result<(usize, usize, usize)> {
    let ((ar, ac), (br, bc)) = (as_matrix(a), as_matrix(b));
    let (m, ka) = if spec.trans_a { (ac, ar) } else { (ar, ac) };
    let (kb, n) = if spec.trans_b { (bc, br) } else { (br, bc) };
    if ka != kb {
        return Err(shape_err(
            "matmul",
            format!("inner dimensions differ: op(A) is {m}×{ka}, op(B) is {kb}×{n} (A {a:?}, B {b:?}, {spec:?})"),
        ));
    }
    if as_matrix(c) != (m, n) {
        return Err(shape_err(
            "matmul",
            format!("C has shape {c:?}, expected [{m}, {n}]"),
        ));
    }
    if let Some(len) = bias {
        if len != n {
            return Err(shape_err(
                "matmul",
                format!("bias has {len} elements, expected {n}"),
            ));
        }
    }
    if m == 0 || n == 0 || ka == 0 {
        return Err(shape_err(
            "matmul",
            format!("empty product: M={m}, K={ka}, N={n}"),
        ));
    }
    Ok((m, ka, n))
}

/// Builds C = op(A)·op(B) (+ bias) with the adapter's default variant.
pub fn matmul(
    gpu: &Gpu,
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    bias: Option<&Tensor>,
    spec: MatmulSpec,
) -> Result<Dispatch> {
    matmul_variant(gpu, a, b, c, bias, spec, MatmulVariant::for_gpu(gpu)?)
}

/// Builds C = op(A)·op(B) (+ bias) with a chosen variant, planned for this device
/// ([`super::matmul_plan::plan`]).
pub fn matmul_variant(
    gpu: &Gpu,
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    bias: Option<&Tensor>,
    spec: MatmulSpec,
    variant: MatmulVariant,
) -> Result<Dispatch> {
    matmul_planned_for(gpu, a, b, c, bias, spec, variant, &gpu.device_profile())
}

/// [`matmul_variant`] planned for the device `profile` describes instead of this one (the
/// tests run H100 plans, split-K included, on any adapter).
#[allow(clippy::too_many_arguments)]
pub fn matmul_planned_for(
    gpu: &Gpu,
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    bias: Option<&Tensor>,
    spec: MatmulSpec,
    variant: MatmulVariant,
    profile: &DeviceProfile,
) -> Result<Dispatch> {
    let (m, k, n) = dims(a, b, c, bias, spec)?;
    let plan = plan(m, k, n, spec, variant, profile);
    let (a, b) = if plan.swap { (b, a) } else { (a, b) };
    let (trans_a, trans_b) = if plan.swap {
        (!spec.trans_b, !spec.trans_a)
    } else {
        (spec.trans_a, spec.trans_b)
    };
    let (m, k, n) = plan.dims;
    let (m32, k32, n32) = (
        to_u32("matmul", "M", m)?,
        to_u32("matmul", "K", k)?,
        to_u32("matmul", "N", n)?,
    );
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    // Without a bias the binding still needs a buffer; A is already bound read-only.
    let bias_binding = bias.unwrap_or(a);
    let label = format!(
        "matmul {m}x{k}x{n} {spec:?} {:?} swapped={} split={}",
        plan.variant, plan.swap, plan.split
    );
    // One launch of the register or tiled kernel writing into `out` (C, or the split-K
    // partial sums); both bind A, B, the bias and the output alike.
    let launch = |file: &'static str,
                  src: &'static str,
                  constants: &[(&str, f64)],
                  params: [u32; 4],
                  out: &Tensor,
                  label: String| {
        let pipeline = gpu.pipeline(file, src, "main", constants)?;
        build(
            gpu,
            label,
            pipeline,
            Some(bytemuck::cast_slice(&params)),
            &[
                (1, a.binding()),
                (2, b.binding()),
                (3, bias_binding.binding()),
                (4, out.binding()),
            ],
            plan.groups,
        )
    };
    // Transposes, epilogue and (tiled) whether C holds split-K partial sums.
    let constants = |partial: bool| {
        [
            ("TRANS_A", flag(trans_a)),
            ("TRANS_B", flag(trans_b)),
            ("TRANS_C", flag(plan.swap && !partial)),
            ("HAS_BIAS", flag(bias.is_some() && !partial)),
            ("RELU", flag(spec.relu && !partial)),
            ("PARTIAL", flag(partial)),
        ]
    };
    match plan.variant {
        MatmulVariant::Register => launch(
            "matmul.wgsl",
            REGISTER_SRC,
            &constants(false)[..5],
            [m32, n32, k32, plan.groups[1]],
            c,
            label,
        ),
        MatmulVariant::Tiled if plan.split == 1 => launch(
            "matmul_tiled.wgsl",
            TILED_SRC,
            &constants(false),
            [m32, n32, k32, k32.next_multiple_of(TILE_K as u32)],
            c,
            label,
        ),
        MatmulVariant::Tiled => {
            // Split-K: every K range writes its partial sums to its slice of a scratch
            // buffer (shared with other ops of this size: each op fills it before reading
            // it, and ops run one after another), then one pass adds them up.
            let partial = gpu.scratch(plan.split * m * n)?;
            let k_split = to_u32("matmul", "K split", plan.k_split)?;
            let main = launch(
                "matmul_tiled.wgsl",
                TILED_SRC,
                &constants(true),
                [m32, n32, k32, k_split],
                &partial,
                label.clone(),
            )?;
            let reduce = split_reduce(gpu, &partial, c, bias, spec.relu, plan, &label)?;
            Ok(main.followed_by(reduce))
        }
        MatmulVariant::Vec4 if plan.transpose_b => {
            // B is stored [N, K]: write Bᵀ ([K, N]) to a scratch tensor shared with other
            // ops of this size (each fills it before reading it), then A·(Bᵀ).
            let b_t = gpu.scratch(k * n)?;
            let t = super::transpose::transpose(gpu, b, &b_t, n, k)?;
            let product = vec4(gpu, a, &b_t, c, bias, spec.relu, trans_a, plan, &label)?;
            Ok(t.followed_by(product))
        }
        MatmulVariant::Vec4 => vec4(gpu, a, b, c, bias, spec.relu, trans_a, plan, &label),
    }
}

/// C = Σ over the split ranges of the partial sums (+ bias) (then ReLU), stored transposed
/// for a swapped product: `shaders/matmul_reduce.wgsl`.
fn split_reduce(
    gpu: &Gpu,
    partial: &Tensor,
    c: &Tensor,
    bias: Option<&Tensor>,
    relu: bool,
    plan: MatmulPlan,
    label: &str,
) -> Result<Dispatch> {
    let (m, _, n) = plan.dims;
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let constants = [
        ("HAS_BIAS", flag(bias.is_some())),
        ("RELU", flag(relu)),
        ("TRANS_C", flag(plan.swap)),
    ];
    let pipeline = gpu.pipeline("matmul_reduce.wgsl", REDUCE_SRC, "main", &constants)?;
    let params = [
        to_u32("matmul", "M", m)?,
        to_u32("matmul", "N", n)?,
        to_u32("matmul", "splits", plan.split)?,
        0,
    ];
    build(
        gpu,
        format!("{label} reduce"),
        pipeline,
        Some(bytemuck::cast_slice(&params)),
        &[
            (1, partial.binding()),
            (3, bias.unwrap_or(partial).binding()),
            (4, c.binding()),
        ],
        super::groups_1d(gpu, m * n),
    )
}

/// The vec4 kernel: Aᵀ·B over a long K runs in k chunks whose operands stay in cache; the
/// bias is added by the first chunk and the ReLU applied by the last.
#[allow(clippy::too_many_arguments)]
fn vec4(
    gpu: &Gpu,
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    bias: Option<&Tensor>,
    relu: bool,
    trans_a: bool,
    plan: MatmulPlan,
    label: &str,
) -> Result<Dispatch> {
    let (m, k, n) = plan.dims;
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let bindings = [
        (1, a.binding()),
        (2, b.binding()),
        (3, bias.unwrap_or(a).binding()),
        (4, c.binding()),
    ];
    let chunks: Vec<(usize, usize)> = if trans_a {
        (0..k)
            .step_by(K_CHUNK)
            .map(|b| (b, (b + K_CHUNK).min(k)))
            .collect()
    } else {
        vec![(0, k)]
    };
    let last = chunks.len() - 1;
    let mut launches = Vec::with_capacity(chunks.len());
    for (i, &(k_begin, k_end)) in chunks.iter().enumerate() {
        let constants = [
            ("TRANS_A", flag(trans_a)),
            ("ACCUMULATE", flag(i > 0)),
            ("HAS_BIAS", flag(i == 0 && bias.is_some())),
            ("RELU", flag(i == last && relu)),
        ];
        let pipeline = gpu.pipeline("matmul_vec4.wgsl", VEC4_SRC, "main", &constants)?;
        let params = [
            to_u32("matmul", "M", m)?,
            to_u32("matmul", "N", n)?,
            to_u32("matmul", "K", k)?,
            plan.groups[1],
            k_begin as u32,
            k_end as u32,
            0,
            0,
        ];
        launches.push(build(
            gpu,
            format!("{label} k {k_begin}..{k_end}"),
            pipeline,
            Some(bytemuck::cast_slice(&params)),
            &bindings,
            plan.groups,
        )?);
    }
    let mut launches = launches.into_iter();
    let first = launches
        .next()
        .ok_or_else(|| shape_err("matmul", "no k range".into()))?;
    Ok(launches.fold(first, Dispatch::followed_by))
}

/// Rows of the k dimension per launch of a chunked Aᵀ·B: 1024 rows of X (3.1 MB) and of
/// the hidden gradient (1.2 MB) stay in cache while every tile of C reads them.
const K_CHUNK: usize = 1024;
