//! MNIST data for the odd/even transfer-learning study.
//!
//! The pipeline is: [`resolve_data_dir`] → [`load_mnist`] (or
//! [`load_or_download`]) → [`subset`] by [`DigitSet`] → [`split_subset`].
//! Any 28×28, 10-class IDX data set loads the same way; the downloader knows
//! MNIST and Fashion-MNIST ([`Dataset`], [`load_or_download_dataset`]).
//! Every failure is a [`DataError`] naming the file and the problem; nothing
//! here panics on bad input.
//!
//! ```no_run
//! use oddeven_data::{load_or_download, resolve_data_dir, split_subset};
//! use oddeven_data::{DigitSet, DownloadConfig, SplitConfig};
//!
//! let dir = resolve_data_dir(None); // --data-dir, else ODDEVEN_DATA, else data/mnist
//! let raw = load_or_download(&dir, &DownloadConfig::default())?;
//! let odd: DigitSet = "odd".parse()?;
//! let split = split_subset(&raw, &odd, &SplitConfig::default())?;
//! assert_eq!(split.train.feature_dim(), 784);
//! let targets = split.train.one_hot(); // len() * 5 values
//! # let _ = targets;
//! # Ok::<(), oddeven_data::DataError>(())
//! ```

use std::path::{Path, PathBuf};

mod dataset;
mod digits;
mod download;
mod error;
pub mod idx;
mod images;
mod split;
mod subset;
pub mod testdata;

pub use dataset::{
    download_dataset, load_or_download_dataset, Dataset, FASHION_MNIST_FILES,
    FASHION_MNIST_MIRRORS, FASHION_MNIST_MIRROR_ENV,
};
pub use digits::DigitSet;
pub use download::{
    download_mnist, load_or_download, missing_files, parse_mirror_list, DownloadConfig, MnistFile,
    DEFAULT_MIRRORS, MIRROR_ENV, MNIST_FILES,
};
pub use error::{DataError, MirrorFailure, DATA_DIR_HINT};
pub use idx::{load_mnist, MnistRaw};
pub use images::{load_idx_images, load_image};
pub use split::{
    permutation, shuffle, split_examples, split_subset, test_size, Split, SplitConfig,
};
pub use subset::{subset, Examples};
pub use testdata::{announce_test_data_dir, test_data_dir};

pub const IMAGE_ROWS: usize = 28;
pub const IMAGE_COLS: usize = 28;
pub const IMAGE_PIXELS: usize = IMAGE_ROWS * IMAGE_COLS;

/// Environment variable naming the data directory.
pub const DATA_ENV: &str = "ODDEVEN_DATA";
/// Data directory used when neither a flag nor [`DATA_ENV`] gives one,
/// relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "data/mnist";

/// The data directory: the explicit `flag` if given, else `ODDEVEN_DATA` if
/// set and non-empty, else `data/mnist` relative to the working directory.
///
/// Existence is not checked here so that the loader can report a missing
/// directory together with how to fix it.
pub fn resolve_data_dir(flag: Option<&Path>) -> PathBuf {
    resolve_data_dir_with(flag, std::env::var_os(DATA_ENV).as_deref())
}

/// [`resolve_data_dir`] with the environment value passed in, so callers and
/// tests can resolve without touching the process environment.
pub fn resolve_data_dir_with(flag: Option<&Path>, env: Option<&std::ffi::OsStr>) -> PathBuf {
    if let Some(flag) = flag {
        return flag.to_path_buf();
    }
    match env {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from(DEFAULT_DATA_DIR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn data_dir_precedence() {
        let flag = Path::new("/flag");
        let env = OsStr::new("/env");
        assert_eq!(
            resolve_data_dir_with(Some(flag), Some(env)),
            PathBuf::from("/flag")
        );
        assert_eq!(
            resolve_data_dir_with(None, Some(env)),
            PathBuf::from("/env")
        );
        assert_eq!(
            resolve_data_dir_with(None, Some(OsStr::new(""))),
            PathBuf::from("data/mnist")
        );
        assert_eq!(
            resolve_data_dir_with(None, None),
            PathBuf::from("data/mnist")
        );
    }

    #[test]
    fn digit_set_parsing() {
        assert_eq!("odd".parse::<DigitSet>().ok(), Some(DigitSet::odd()));
        assert_eq!(" EVEN ".parse::<DigitSet>().ok(), Some(DigitSet::even()));
        let s: DigitSet = "4, 0,2".parse().unwrap();
        assert_eq!(s.digits(), &[0, 2, 4]);
        assert_eq!(s.name(), "0_2_4");
        assert_eq!(s.to_string(), "0_2_4");
        assert_eq!(s.class_of(4), Some(2));
        assert_eq!("9,7,5,3,1".parse::<DigitSet>().unwrap().name(), "odd");
        for bad in ["", " ", "1,,2", "1,1", "10", "a", "-1", "1,2,"] {
            let err = bad.parse::<DigitSet>().unwrap_err().to_string();
            assert!(err.contains("invalid digit set"), "{bad:?}: {err}");
        }
        assert!("1,1"
            .parse::<DigitSet>()
            .unwrap_err()
            .to_string()
            .contains("more than once"));
        assert!("3,12"
            .parse::<DigitSet>()
            .unwrap_err()
            .to_string()
            .contains("12 is above 9"));
        assert!(DigitSet::new(&[]).is_err());
    }

    fn tiny_raw() -> MnistRaw {
        // Image i is filled with the value 25 * label.
        let labels: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
        let images = labels
            .iter()
            .flat_map(|&l| [l * 25; IMAGE_PIXELS])
            .collect();
        MnistRaw { images, labels }
    }

    #[test]
    fn subset_labels_and_features() {
        let raw = tiny_raw();
        let ex = subset(&raw, &"7,2".parse().unwrap());
        assert_eq!(ex.len(), 4);
        assert_eq!(ex.digits, vec![2, 7]);
        assert_eq!(ex.labels, vec![0, 1, 0, 1]);
        assert_eq!(ex.source_indices, vec![2, 7, 12, 17]);
        assert_eq!(ex.features.len(), 4 * IMAGE_PIXELS);
        assert!((ex.features[IMAGE_PIXELS] - 175.0 / 255.0).abs() < 1e-6);
        assert_eq!(ex.class_counts(), vec![2, 2]);
        assert_eq!(ex.one_hot(), vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]);
        assert_eq!(ex.digit_of(1), Some(7));
        assert_eq!(ex.feature_dim(), 784);
    }

    #[test]
    fn subset_tolerates_inconsistent_raw() {
        let mut raw = tiny_raw();
        raw.images.truncate(5 * IMAGE_PIXELS + 3);
        raw.labels[1] = 200;
        assert_eq!(raw.len(), 5);
        let ex = subset(&raw, &DigitSet::all());
        assert_eq!(ex.source_indices, vec![0, 2, 3, 4]);
    }

    #[test]
    fn small_split_sizes() {
        let raw = tiny_raw();
        let split = split_subset(&raw, &DigitSet::all(), &SplitConfig::default()).unwrap();
        assert_eq!((split.train.len(), split.test.len()), (16, 4));
        let cfg = SplitConfig {
            limit: Some(1),
            ..SplitConfig::default()
        };
        let err = split_subset(&raw, &DigitSet::all(), &cfg)
            .unwrap_err()
            .to_string();
        assert!(err.contains("limit 1"), "{err}");
    }
}
