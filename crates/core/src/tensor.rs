//! Storage-buffer-backed arrays. A training loop creates its tensors once and then only
//! records kernels over them; uploads and downloads happen outside the epoch loop.

use std::marker::PhantomData;

use crate::error::{CoreError, Result};
use crate::gpu::Gpu;

/// A row-major array of `T` in a GPU storage buffer — all of it, or a range of it (a view
/// into a packed buffer, see [`GpuArray::packed`]). Cloning shares the buffer (a handle
/// copy), which is how a training graph and an evaluation graph use one data set.
#[derive(Debug, Clone)]
pub struct GpuArray<T: bytemuck::Pod> {
    buffer: wgpu::Buffer,
    /// Byte offset of element 0 in `buffer` (a multiple of the storage offset alignment).
    offset: u64,
    shape: Vec<usize>,
    _elem: PhantomData<T>,
}

/// f32 tensor: activations, weights, gradients, optimizer state.
pub type Tensor = GpuArray<f32>;
/// u32 array: row indices for minibatch gathers, confusion-matrix counts.
pub type U32Array = GpuArray<u32>;

fn elem_count(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl<T: bytemuck::Pod> GpuArray<T> {
    /// A zero-filled array (wgpu zero-initialises new buffers).
    pub fn zeros(gpu: &Gpu, shape: &[usize], label: &str) -> Result<Self> {
        let bytes = (elem_count(shape).max(1) * std::mem::size_of::<T>()) as u64;
        let limit = gpu.max_binding_bytes();
        if bytes > limit {
            return Err(CoreError::TooLarge {
                what: format!("tensor {label:?} of shape {shape:?}"),
                bytes,
                limit,
            });
        }
        let buffer = gpu.checked(label, || {
            gpu.device().create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes.next_multiple_of(4),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        Ok(GpuArray {
            buffer,
            offset: 0,
            shape: shape.to_vec(),
            _elem: PhantomData,
        })
    }

    /// Arrays of the given shapes packed into one buffer, each starting at a multiple of
    /// the device's storage offset alignment (zero padding between them), and the whole
    /// buffer as one flat array: kernels can run over every part at once (one Adam
    /// dispatch for all the parameters of a model) or over each part alone.
    pub fn packed(gpu: &Gpu, shapes: &[Vec<usize>], label: &str) -> Result<(Self, Vec<Self>)> {
        let size = std::mem::size_of::<T>() as u64;
        let align = (gpu.limits().min_storage_buffer_offset_alignment as u64).max(size);
        let mut offsets = Vec::with_capacity(shapes.len());
        let mut end = 0u64;
        for shape in shapes {
            offsets.push(end);
            end = (end + elem_count(shape) as u64 * size).next_multiple_of(align);
        }
        let whole = Self::zeros(gpu, &[(end / size) as usize], label)?;
        let parts = shapes
            .iter()
            .zip(offsets)
            .map(|(shape, offset)| GpuArray {
                buffer: whole.buffer.clone(),
                offset,
                shape: shape.clone(),
                _elem: PhantomData,
            })
            .collect();
        Ok((whole, parts))
    }

    /// An array holding `data`, which must have exactly `shape`'s element count.
    pub fn from_slice(gpu: &Gpu, shape: &[usize], data: &[T], label: &str) -> Result<Self> {
        let t = Self::zeros(gpu, shape, label)?;
        t.write(gpu, data)?;
        Ok(t)
    }

    /// Overwrites the contents; takes effect before the next submission.
    pub fn write(&self, gpu: &Gpu, data: &[T]) -> Result<()> {
        if data.len() != self.len() {
            return Err(CoreError::DataLength {
                got: data.len(),
                expected: self.len(),
                shape: self.shape.clone(),
            });
        }
        if !data.is_empty() {
            gpu.queue()
                .write_buffer(&self.buffer, self.offset, bytemuck::cast_slice(data));
        }
        Ok(())
    }

    /// Copies the whole array to the host. Waits for all submitted work: not for hot loops.
    pub fn read(&self, gpu: &Gpu) -> Result<Vec<T>> {
        gpu.read_array(self)
    }

    /// The same buffer seen with another shape of the same element count (a flatten).
    pub fn reshaped(&self, shape: &[usize]) -> Result<Self> {
        if elem_count(shape) != self.len() {
            return Err(CoreError::Shape {
                op: "reshape",
                detail: format!("{:?} cannot be viewed as {shape:?}", self.shape),
            });
        }
        Ok(GpuArray {
            buffer: self.buffer.clone(),
            offset: self.offset,
            shape: shape.to_vec(),
            _elem: PhantomData,
        })
    }

    /// Records a copy of `src` (same element count) into this array.
    pub fn copy_from(&self, encoder: &mut wgpu::CommandEncoder, src: &GpuArray<T>) -> Result<()> {
        if src.len() != self.len() {
            return Err(CoreError::Shape {
                op: "copy",
                detail: format!("source {:?} vs destination {:?}", src.shape, self.shape),
            });
        }
        encoder.copy_buffer_to_buffer(
            &src.buffer,
            src.offset,
            &self.buffer,
            self.offset,
            self.byte_len(),
        );
        Ok(())
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn len(&self) -> usize {
        elem_count(&self.shape)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Rows of a 2-D array (1 for a vector).
    pub fn rows(&self) -> usize {
        if self.shape.len() >= 2 {
            self.shape[..self.shape.len() - 1].iter().product()
        } else {
            1
        }
    }
    /// Columns of a 2-D array (the length of a vector).
    pub fn cols(&self) -> usize {
        self.shape.last().copied().unwrap_or(1)
    }
    pub fn byte_len(&self) -> u64 {
        (self.len() * std::mem::size_of::<T>()) as u64
    }
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }
    /// Byte offset of this array in [`GpuArray::buffer`].
    pub fn offset(&self) -> u64 {
        self.offset
    }
    pub(crate) fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: self.offset,
            size: std::num::NonZeroU64::new(self.byte_len().max(4).next_multiple_of(4)),
        })
    }
}

/// A reusable host-visible buffer for downloads, so periodic readbacks (e.g. metrics every
/// few epochs) allocate nothing.
#[derive(Debug)]
pub struct Staging {
    buffer: wgpu::Buffer,
    capacity: u64,
}

impl Staging {
    pub fn new(gpu: &Gpu, bytes: u64) -> Self {
        let capacity = bytes.max(4).next_multiple_of(4);
        let buffer = gpu.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some("staging"),
            size: capacity,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Staging { buffer, capacity }
    }

    /// Copies `src` into this staging buffer, waits for the GPU, and returns the data.
    pub fn read<T: bytemuck::Pod>(&mut self, gpu: &Gpu, src: &GpuArray<T>) -> Result<Vec<T>> {
        let bytes = src.byte_len();
        if bytes == 0 {
            return Ok(Vec::new());
        }
        if bytes > self.capacity {
            *self = Staging::new(gpu, bytes);
        }
        let mut encoder = gpu.encoder("readback");
        encoder.copy_buffer_to_buffer(src.buffer(), src.offset(), &self.buffer, 0, bytes);
        gpu.submit(encoder);
        let slice = self.buffer.slice(0..bytes);
        let (sender, receiver) = futures_intrusive::channel::shared::oneshot_channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            sender.send(result).ok();
        });
        gpu.wait()?;
        match pollster::block_on(receiver.receive()) {
            Some(Ok(())) => {}
            Some(Err(e)) => return Err(CoreError::Readback(e.to_string())),
            None => return Err(CoreError::Readback("map callback was dropped".into())),
        }
        let data = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| CoreError::Readback(e.to_string()))?;
            bytemuck::pod_collect_to_vec::<u8, T>(&view)
        };
        self.buffer.unmap();
        Ok(data)
    }
}
