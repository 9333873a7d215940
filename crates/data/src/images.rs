//! Inputs for `oddeven predict`: PNG/JPEG pictures of any size or colour, and
//! IDX image files, turned into the 784 features in [0, 1] a model expects.

use std::io::Cursor;
use std::path::Path;

use image::imageops::{self, FilterType};
use image::{ImageBuffer, ImageFormat, ImageReader, Luma};

use crate::idx::read_images;
use crate::{DataError, IMAGE_COLS, IMAGE_PIXELS, IMAGE_ROWS};

/// Decodes a PNG or JPEG file into 28×28 = 784 grayscale values in [0, 1],
/// row-major, the layout of one MNIST example.
///
/// What is done, in order:
/// 1. colour becomes luminance (Rec. 709 weights); transparent pixels are
///    laid over black, i.e. treated as background;
/// 2. the picture is scaled, keeping its aspect ratio, so that its longer side
///    is 28 pixels (a triangle filter, which averages when shrinking), and
///    centred on a black 28×28 canvas; a 28×28 picture is kept pixel for
///    pixel;
/// 3. values are clamped to [0, 1].
///
/// MNIST-style input is a **white digit on a black background**, roughly
/// filling the middle 20×20 pixels. The colours are not inverted
/// automatically: a dark digit on white paper must be inverted by the
/// caller (or the user) first, since guessing would silently misread
/// pictures that are already right.
///
/// Errors name the file: missing or unreadable, empty, not a PNG or JPEG,
/// damaged or truncated data, or zero width or height.
pub fn load_image(path: &Path) -> Result<Vec<f32>, DataError> {
    let bad = |reason: String| DataError::BadImage {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        action: "cannot read image",
        source,
    })?;
    if bytes.is_empty() {
        return Err(bad("the file is empty".into()));
    }
    let reader = ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| bad(format!("cannot read the image header: {e}")))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg) => {}
        Some(other) => {
            return Err(bad(format!(
                "is a {} image; only PNG and JPEG are read",
                other.extensions_str().first().unwrap_or(&"unknown")
            )))
        }
        None => {
            let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            return Err(bad(format!(
                "not a PNG or JPEG image (starts with {})",
                head.join(" ")
            )));
        }
    }
    let decoded = reader.decode().map_err(|e| {
        bad(format!(
            "cannot decode the image (damaged or truncated?): {e}"
        ))
    })?;
    let (w, h) = (decoded.width(), decoded.height());
    if w == 0 || h == 0 {
        return Err(bad(format!("the image has zero size ({w}x{h})")));
    }
    let la = decoded.to_luma_alpha32f();
    let gray: ImageBuffer<Luma<f32>, Vec<f32>> = ImageBuffer::from_fn(w, h, |x, y| {
        let [l, a] = la.get_pixel(x, y).0;
        Luma([l * a])
    });
    Ok(fit_centred(&gray))
}

/// Scales `gray` to fit 28×28 with its aspect ratio kept and centres it on
/// black. Only called with a non-empty image.
fn fit_centred(gray: &ImageBuffer<Luma<f32>, Vec<f32>>) -> Vec<f32> {
    let (w, h) = gray.dimensions();
    let (rows, cols) = (IMAGE_ROWS as u32, IMAGE_COLS as u32);
    let scale = f64::min(
        f64::from(cols) / f64::from(w),
        f64::from(rows) / f64::from(h),
    );
    // At least one pixel, so a 1000×1 line still shows up.
    let tw = ((f64::from(w) * scale).round() as u32).clamp(1, cols);
    let th = ((f64::from(h) * scale).round() as u32).clamp(1, rows);
    let scaled = imageops::resize(gray, tw, th, FilterType::Triangle);
    let (x0, y0) = ((cols - tw) / 2, (rows - th) / 2);
    let mut out = vec![0.0f32; IMAGE_PIXELS];
    for (x, y, p) in scaled.enumerate_pixels() {
        let v = p.0[0];
        out[((y0 + y) * cols + x0 + x) as usize] = if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        };
    }
    out
}

/// Every image of an IDX3 images file (plain, or gzip when named `.gz`) of
/// 28×28 images, each as 784 values in [0, 1] (pixel / 255), in file order.
///
/// The file is validated like the training data: magic, header, 28×28 size
/// and length; a labels file passed by mistake is reported as such. A file
/// declaring zero images is an error, since there is nothing to predict.
pub fn load_idx_images(path: &Path) -> Result<Vec<Vec<f32>>, DataError> {
    let pixels = read_images(path)?;
    if pixels.is_empty() {
        return Err(DataError::BadImage {
            path: path.to_path_buf(),
            reason: "the IDX file holds no images".into(),
        });
    }
    Ok(pixels
        .chunks_exact(IMAGE_PIXELS)
        .map(|img| img.iter().map(|&p| f32::from(p) / 255.0).collect())
        .collect())
}
