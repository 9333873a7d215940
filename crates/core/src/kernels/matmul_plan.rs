//! How a product runs: which shader, swapped or not, which grid, and how K is split — a
//! pure function of the shape and a description of the device, so the choice can be
//! tested (and reasoned about) for devices this machine does not have.
//!
//! - Software adapters (lavapipe): the register-tiled kernels, `vec4` where the rows are
//!   whole vec4s (its Aᵀ·B walks K in cache-sized chunks, each adding to C).
//! - GPUs: `tiled` (128×128 tiles, 8×8 per invocation). When the tiles of C cannot cover
//!   the GPU twice over and K is long, K is split so that they do ([`MatmulPlan::split`]
//!   ranges, partial sums added by `matmul_reduce.wgsl`).
//! - A skinny C (fewer than 64 columns, more rows) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ so its
//!   long side runs across the grid.

use super::matmul::{MatmulSpec, MatmulVariant};

/// What the planner needs to know about a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceProfile {
    /// A CPU adapter such as lavapipe.
    pub software: bool,
    /// Streaming multiprocessors / compute units (estimated where the API does not say).
    pub compute_units: u32,
    /// Largest workgroup count per grid axis.
    pub max_groups_per_dim: u32,
    /// Largest storage binding in bytes (bounds the split-K partial sums).
    pub max_binding_bytes: u64,
}

impl DeviceProfile {
    /// An NVIDIA H100 SXM: 132 SMs, WebGPU's default per-axis limit, a 2 GiB binding.
    pub fn h100() -> Self {
        DeviceProfile {
            software: false,
            compute_units: 132,
            max_groups_per_dim: 65_535,
            max_binding_bytes: 2 << 30,
        }
    }

    /// Compute units of a GPU from its name (wgpu does not report them), else a
    /// conservative guess: more is harmless (a little more split-K), fewer would idle SMs.
    pub fn estimate_compute_units(name: &str, discrete: bool) -> u32 {
        let known: [(&str, u32); 10] = [
            ("H200", 132),
            ("H100", 132),
            ("A100", 108),
            ("L40", 142),
            ("L4", 58),
            ("A10", 72),
            ("T4", 40),
            ("4090", 128),
            ("3090", 82),
            ("V100", 80),
        ];
        known
            .iter()
            .find(|(k, _)| name.contains(k))
            .map_or(if discrete { 128 } else { 32 }, |&(_, cu)| cu)
    }
}

/// Output tile of the `tiled` kernel.
pub const TILE: usize = 128;
/// K slice of the `tiled` kernel: split ranges are whole slices.
pub const TILE_K: usize = 8;
/// Rows of A from which the vec4 kernel computes A·Bᵀ through a transposed copy of B.
const MIN_ROWS_TO_TRANSPOSE_B: usize = 128;
/// Each split range keeps at least this much K (shorter ones cost more to reduce than they
/// gain).
const MIN_K_PER_SPLIT: usize = 256;

/// The plan of one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatmulPlan {
    pub variant: MatmulVariant,
    /// Computes Cᵀ = op(B)ᵀ·op(A)ᵀ (the shader stores it transposed).
    pub swap: bool,
    /// (M, K, N) after the swap.
    pub dims: (usize, usize, usize),
    /// `Vec4` only: B is stored [N, K] (Bᵀ wanted) and is transposed into a scratch
    /// [K, N] first, so the product runs as A·(Bᵀ) with vec4 loads.
    pub transpose_b: bool,
    /// Number of K ranges (1: no split).
    pub split: usize,
    /// K per range, a multiple of [`TILE_K`].
    pub k_split: usize,
    /// Workgroups of the main launch (x: column tiles, y: row tiles, z: K ranges).
    pub groups: [u32; 3],
}

impl MatmulPlan {
    /// Workgroups the main launch starts.
    pub fn workgroups(&self) -> u64 {
        self.groups.iter().map(|&g| g as u64).product()
    }
}

/// Plans op(A)·op(B) of `m`×`k` by `k`×`n` on `device` with the `variant` asked for
/// (`Vec4` falls back to `Register` where rows are not whole vec4s).
pub fn plan(
    m: usize,
    k: usize,
    n: usize,
    spec: MatmulSpec,
    variant: MatmulVariant,
    device: &DeviceProfile,
) -> MatmulPlan {
    let swap = n < 64 && m > n;
    let (m, n, trans_a, trans_b) = if swap {
        (n, m, !spec.trans_b, !spec.trans_a)
    } else {
        (m, n, spec.trans_a, spec.trans_b)
    };
    // A·Bᵀ has no vec4 form, but Bᵀ (a weight in dY·Wᵀ) costs N·K moves against the
    // product's M·N·K FMAs: with enough rows, transposing it first beats the scalar
    // kernel (on lavapipe, `matmul_gflops`: the CNN's conv2 input gradient 12544×64×288
    // 1.74× faster, 28465×300×784 1.83×; at 64 rows, 64×128×3136, the two tie).
    let transpose_b = variant == MatmulVariant::Vec4
        && trans_b
        && !swap
        && !trans_a
        && m >= MIN_ROWS_TO_TRANSPOSE_B;
    let vec4_fits = !swap
        && (!trans_b || transpose_b)
        && n.is_multiple_of(4)
        && if trans_a {
            m.is_multiple_of(4)
        } else {
            k.is_multiple_of(4)
        };
    let variant = match variant {
        MatmulVariant::Vec4 if !vec4_fits => MatmulVariant::Register,
        v => v,
    };
    if variant != MatmulVariant::Tiled {
        // 8 rows × 64 columns per workgroup; rows fold into z past the per-axis limit.
        let row_blocks = m.div_ceil(8) as u32;
        let per_z = row_blocks.min(device.max_groups_per_dim);
        return MatmulPlan {
            variant,
            swap,
            dims: (m, k, n),
            transpose_b: transpose_b && variant == MatmulVariant::Vec4,
            split: 1,
            k_split: k,
            groups: [n.div_ceil(64) as u32, per_z, row_blocks.div_ceil(per_z)],
        };
    }
    let tiles = m.div_ceil(TILE) * n.div_ceil(TILE);
    let target = 2 * device.compute_units as usize;
    let mut split = 1;
    if tiles < target {
        let by_k = k / MIN_K_PER_SPLIT;
        // The partial sums of every range must fit one binding.
        let by_memory = (device.max_binding_bytes / (4 * (m * n) as u64).max(1)) as usize;
        split = target.div_ceil(tiles).min(by_k).min(by_memory).max(1);
    }
    let k_split = k.div_ceil(split).next_multiple_of(TILE_K);
    let split = k.div_ceil(k_split).max(1);
    MatmulPlan {
        variant,
        swap,
        dims: (m, k, n),
        transpose_b: false,
        split,
        k_split,
        groups: [
            n.div_ceil(TILE) as u32,
            m.div_ceil(TILE) as u32,
            split as u32,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The design rule the tiled path exists for: on an H100, every big product of the
    /// training shapes launches at least two workgroups per SM.
    #[test]
    fn big_training_products_fill_an_h100_twice() {
        let h100 = DeviceProfile::h100();
        let shapes = [
            // MLP, odd digits, full batch: forward, weight gradient, (input gradient).
            (28465, 784, 300, MatmulSpec::NN),
            (784, 28465, 300, MatmulSpec::TN),
            (28465, 300, 784, MatmulSpec::NT),
            // The output layer (skinny, computed transposed).
            (28465, 300, 5, MatmulSpec::NN),
            (300, 28465, 5, MatmulSpec::TN),
            // All ten digits, full batch.
            (56000, 784, 300, MatmulSpec::NN),
            (784, 56000, 300, MatmulSpec::TN),
            // The CNN at batch 64 (im2col GEMMs) and its fc layer at a full chunk.
            (12544, 288, 64, MatmulSpec::NN),
            (288, 12544, 64, MatmulSpec::TN),
            (50176, 9, 32, MatmulSpec::NN),
            (9, 50176, 32, MatmulSpec::TN),
            (3136, 4096, 128, MatmulSpec::TN),
        ];
        for (m, k, n, spec) in shapes {
            let p = plan(m, k, n, spec, MatmulVariant::Tiled, &h100);
            let flops = 2.0 * m as f64 * k as f64 * n as f64;
            assert!(p.split * p.k_split >= k, "{m}x{k}x{n}: K covered");
            assert!((p.split - 1) * p.k_split < k, "{m}x{k}x{n}: no empty range");
            assert_eq!(p.k_split % TILE_K, 0);
            if flops >= 1e9 {
                assert!(
                    p.workgroups() >= 2 * 132,
                    "{m}x{k}x{n} {spec:?}: {} workgroups ({p:?})",
                    p.workgroups()
                );
            }
        }
        // The weight gradient of the MLP is the product split-K exists for.
        let dw = plan(784, 28465, 300, MatmulSpec::TN, MatmulVariant::Tiled, &h100);
        assert!(dw.split > 1, "{dw:?}");
    }

    #[test]
    fn software_adapters_keep_the_register_kernels() {
        let lavapipe = DeviceProfile {
            software: true,
            compute_units: 2,
            max_groups_per_dim: 65_535,
            max_binding_bytes: 128 << 20,
        };
        let p = plan(
            28465,
            784,
            300,
            MatmulSpec::NN,
            MatmulVariant::Vec4,
            &lavapipe,
        );
        assert_eq!(
            (p.variant, p.split, p.groups),
            (MatmulVariant::Vec4, 1, [5, 3559, 1])
        );
        // Bᵀ has no vec4 form: with K a multiple of 4 and enough rows, B is transposed
        // first (the CNN's input gradients); else the register kernel, swapped when C is
        // skinny.
        let p = plan(
            12544,
            64,
            288,
            MatmulSpec::NT,
            MatmulVariant::Vec4,
            &lavapipe,
        );
        assert!(p.variant == MatmulVariant::Vec4 && p.transpose_b, "{p:?}");
        for (m, k) in [(28465, 5), (64, 128)] {
            let p = plan(m, k, 300, MatmulSpec::NT, MatmulVariant::Vec4, &lavapipe);
            assert!(
                p.variant == MatmulVariant::Register && !p.transpose_b,
                "{m}x{k}: {p:?}"
            );
        }
        let p = plan(
            28465,
            300,
            5,
            MatmulSpec::NN,
            MatmulVariant::Vec4,
            &lavapipe,
        );
        assert!(p.swap && p.variant == MatmulVariant::Register);
        // More than 65,535 row blocks fold into z.
        let p = plan(
            1 << 20,
            4,
            64,
            MatmulSpec::NN,
            MatmulVariant::Register,
            &lavapipe,
        );
        assert_eq!(p.groups, [1, 65_535, 3]);
    }

    #[test]
    fn compute_units_from_names() {
        assert_eq!(
            DeviceProfile::estimate_compute_units("NVIDIA H100 80GB HBM3", true),
            132
        );
        assert_eq!(DeviceProfile::estimate_compute_units("Some GPU", true), 128);
        assert_eq!(
            DeviceProfile::estimate_compute_units("Some iGPU", false),
            32
        );
    }
}
