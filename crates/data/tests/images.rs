//! `load_image` and `load_idx_images` on small pictures and IDX files this
//! test writes, and on broken ones.

use std::io::Write;
use std::path::{Path, PathBuf};

use image::{ImageFormat, Luma, Rgb, RgbImage, Rgba, RgbaImage};
use oddeven_data::{load_idx_images, load_image, DataError, IMAGE_PIXELS};

fn at(v: &[f32], x: usize, y: usize) -> f32 {
    v[y * 28 + x]
}

fn write_png(dir: &Path, name: &str, img: &RgbImage) -> PathBuf {
    let path = dir.join(name);
    img.save_with_format(&path, ImageFormat::Png).unwrap();
    path
}

#[test]
fn mnist_sized_grey_png_is_kept_pixel_for_pixel() {
    let tmp = tempfile::tempdir().unwrap();
    let img = image::GrayImage::from_fn(28, 28, |x, y| Luma([(x * 8 + y) as u8]));
    let path = tmp.path().join("digit.png");
    img.save(&path).unwrap();
    let v = load_image(&path).unwrap();
    assert_eq!(v.len(), IMAGE_PIXELS);
    for (x, y) in [(0, 0), (27, 0), (5, 17), (27, 27)] {
        assert_eq!(at(&v, x, y), (x * 8 + y) as f32 / 255.0, "({x}, {y})");
    }
}

/// 56×40 RGB: scaled by ½ to 28×20 and centred, so rows 0–3 and 24–27 are
/// black. The left half is white, the right half pure red (luminance
/// 0.2126), and a black bar marks nothing but the canvas.
#[test]
fn wide_rgb_png_is_fitted_and_centred() {
    let tmp = tempfile::tempdir().unwrap();
    let img = RgbImage::from_fn(56, 40, |x, _| {
        if x < 28 {
            Rgb([255, 255, 255])
        } else {
            Rgb([255, 0, 0])
        }
    });
    let v = load_image(&write_png(tmp.path(), "wide.png", &img)).unwrap();
    assert!(v.iter().all(|p| (0.0..=1.0).contains(p)));
    for x in 0..28 {
        for y in (0..4).chain(24..28) {
            assert_eq!(at(&v, x, y), 0.0, "padding at ({x}, {y})");
        }
    }
    assert!((at(&v, 5, 14) - 1.0).abs() < 1e-4, "{}", at(&v, 5, 14));
    assert!((at(&v, 22, 14) - 0.2126).abs() < 1e-3, "{}", at(&v, 22, 14));
    assert!(
        at(&v, 5, 4) > 0.99 && at(&v, 5, 23) > 0.99,
        "image rows 4..24"
    );
}

#[test]
fn tall_picture_gets_side_padding() {
    let tmp = tempfile::tempdir().unwrap();
    let img = RgbImage::from_pixel(10, 100, Rgb([255, 255, 255]));
    let v = load_image(&write_png(tmp.path(), "tall.png", &img)).unwrap();
    // 10×100 → 3×28 at columns 12..15.
    for y in 0..28 {
        assert!(at(&v, 13, y) > 0.99);
        assert_eq!(at(&v, 11, y), 0.0);
        assert_eq!(at(&v, 15, y), 0.0);
    }
}

#[test]
fn transparent_pixels_are_background() {
    let tmp = tempfile::tempdir().unwrap();
    let img = RgbaImage::from_fn(28, 28, |x, _| {
        Rgba([255, 255, 255, if x < 14 { 255 } else { 0 }])
    });
    let path = tmp.path().join("alpha.png");
    img.save(&path).unwrap();
    let v = load_image(&path).unwrap();
    assert_eq!(at(&v, 3, 3), 1.0);
    assert_eq!(at(&v, 20, 3), 0.0);
}

/// A JPEG (lossy) of a white square on black, 100×100: the square stays
/// bright in the middle and the corners stay dark. Not inverted.
#[test]
fn jpeg_white_square_on_black() {
    let tmp = tempfile::tempdir().unwrap();
    let img = RgbImage::from_fn(100, 100, |x, y| {
        let inside = (30..70).contains(&x) && (30..70).contains(&y);
        Rgb(if inside { [250, 250, 250] } else { [0, 0, 0] })
    });
    let path = tmp.path().join("square.jpg");
    img.save_with_format(&path, ImageFormat::Jpeg).unwrap();
    let v = load_image(&path).unwrap();
    assert!(at(&v, 14, 14) > 0.9, "centre {}", at(&v, 14, 14));
    assert!(at(&v, 1, 1) < 0.05, "corner {}", at(&v, 1, 1));
}

/// The error for `path`, checked to name the file and to contain `needle`.
fn image_error(path: &Path, needle: &str) -> DataError {
    let err = load_image(path).expect_err("expected an error");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains(needle), "lacks {needle:?}: {msg}");
    err
}

#[test]
fn bad_image_files_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    image_error(&dir.join("nope.png"), "cannot read image");

    let empty = dir.join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    image_error(&empty, "empty");

    let text = dir.join("notes.png");
    std::fs::write(&text, b"this is not a picture at all").unwrap();
    image_error(&text, "not a PNG or JPEG image");

    let gif = dir.join("anim.gif");
    std::fs::write(&gif, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap();
    image_error(&gif, "only PNG and JPEG");

    let good = write_png(dir, "good.png", &RgbImage::new(40, 40));
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.join("cut.png");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = image_error(&cut, "cannot decode");
    eprintln!("{err}");
    assert!(matches!(err, DataError::BadImage { .. }));
    assert!(err
        .to_string()
        .contains("white digit on a black background"));

    let zero = dir.join("zero.png");
    std::fs::write(&zero, zero_width_png()).unwrap();
    let err = load_image(&zero).expect_err("0-wide PNG");
    eprintln!("{err}");
    assert!(err.to_string().contains("zero.png"), "{err}");
}

/// A PNG signature and an IHDR chunk (with a correct CRC) declaring 0×5.
fn zero_width_png() -> Vec<u8> {
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&0u32.to_be_bytes());
    chunk.extend_from_slice(&5u32.to_be_bytes());
    chunk.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut crc = flate2::Crc::new();
    crc.update(&chunk);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc.sum().to_be_bytes());
    out
}

fn idx3(n: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 3];
    for d in [n, rows, cols] {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend((0..n * rows * cols).map(|i| (i % 256) as u8));
    out
}

#[test]
fn idx_images_plain_and_gz() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("three-idx3-ubyte");
    std::fs::write(&plain, idx3(3, 28, 28)).unwrap();
    let imgs = load_idx_images(&plain).unwrap();
    assert_eq!(imgs.len(), 3);
    assert!(imgs.iter().all(|i| i.len() == IMAGE_PIXELS));
    assert_eq!(imgs[0][1], 1.0 / 255.0);
    assert_eq!(imgs[1][0], (784 % 256) as f32 / 255.0);

    let gz = tmp.path().join("three-idx3-ubyte.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&idx3(3, 28, 28)).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    assert_eq!(load_idx_images(&gz).unwrap(), imgs);
}

#[test]
fn bad_idx_image_files_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let check = |name: &str, bytes: Option<Vec<u8>>, needle: &str| {
        let path = tmp.path().join(name);
        if let Some(b) = bytes {
            std::fs::write(&path, b).unwrap();
        }
        let msg = load_idx_images(&path).unwrap_err().to_string();
        assert!(msg.contains(name), "{msg}");
        assert!(msg.contains(needle), "lacks {needle:?}: {msg}");
    };
    check("missing-idx3-ubyte", None, "cannot read");
    check("none-idx3-ubyte", Some(idx3(0, 28, 28)), "holds no images");
    check("small-idx3-ubyte", Some(idx3(2, 27, 27)), "27x27");
    let labels = [0u8, 0, 8, 1, 0, 0, 0, 1, 7].to_vec();
    check("labels-idx1-ubyte", Some(labels), "that is a labels file");
    let mut short = idx3(3, 28, 28);
    short.truncate(100);
    check("short-idx3-ubyte", Some(short), "truncated");
    check("pic.png.gz", Some(b"not gzip".to_vec()), "not gzip");
}
