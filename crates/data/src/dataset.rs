//! The data sets the downloader knows: MNIST and Fashion-MNIST.
//!
//! Both ship as the same four IDX files under the same names, so loading,
//! subsets and splits do not care which one a directory holds; only the
//! published sizes, checksums and mirrors differ.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::download::{download_files, parse_mirror_list, DownloadConfig, MnistFile};
use crate::idx::FILE_NAMES;
use crate::{load_mnist, missing_files, DataError, MnistRaw, DEFAULT_MIRRORS, MNIST_FILES};

/// Fashion-MNIST mirrors, tried in order: Zalando's own download site, then
/// the `data/fashion` folder of Zalando's GitHub repository, which its README
/// names as the other official source.
pub const FASHION_MNIST_MIRRORS: [&str; 2] = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
];

/// Environment variable with comma-separated Fashion-MNIST mirror base URLs.
pub const FASHION_MNIST_MIRROR_ENV: &str = "ODDEVEN_FASHION_MNIST_MIRROR";

/// The Fashion-MNIST `.gz` files (Xiao, Rasul, Vollgraf 2017), as published.
///
/// Sizes and sha256 as recorded by TensorFlow Datasets
/// (`tensorflow_datasets/url_checksums/fashion_mnist.txt`); the two label
/// files were also checked against the copies in Zalando's repository.
pub const FASHION_MNIST_FILES: [MnistFile; 4] = [
    MnistFile {
        name: FILE_NAMES[0],
        gz_bytes: 26_421_880,
        sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    },
    MnistFile {
        name: FILE_NAMES[1],
        gz_bytes: 29_515,
        sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    },
    MnistFile {
        name: FILE_NAMES[2],
        gz_bytes: 4_422_102,
        sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    },
    MnistFile {
        name: FILE_NAMES[3],
        gz_bytes: 5_148,
        sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
];

/// A data set the downloader can fetch and verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dataset {
    /// Handwritten digits (LeCun, Cortes, Burges).
    Mnist,
    /// Zalando's clothing pictures in MNIST's format; labels 0–9 are classes
    /// such as "T-shirt/top" or "Ankle boot", not digits.
    FashionMnist,
}

impl Dataset {
    /// Every data set, in the order error messages list them.
    pub const ALL: [Dataset; 2] = [Dataset::Mnist, Dataset::FashionMnist];

    /// The name used on the command line and in [`fmt::Display`]:
    /// `mnist` or `fashion-mnist`.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Mnist => "mnist",
            Dataset::FashionMnist => "fashion-mnist",
        }
    }

    /// The name as written in prose: "MNIST" or "Fashion-MNIST".
    pub fn title(self) -> &'static str {
        match self {
            Dataset::Mnist => "MNIST",
            Dataset::FashionMnist => "Fashion-MNIST",
        }
    }

    /// The four files with their published sizes and sha256.
    pub fn files(self) -> &'static [MnistFile; 4] {
        match self {
            Dataset::Mnist => &MNIST_FILES,
            Dataset::FashionMnist => &FASHION_MNIST_FILES,
        }
    }

    /// Built-in mirror base URLs, tried in order.
    pub fn mirrors(self) -> &'static [&'static str] {
        match self {
            Dataset::Mnist => &DEFAULT_MIRRORS,
            Dataset::FashionMnist => &FASHION_MNIST_MIRRORS,
        }
    }

    /// Environment variable that replaces [`Dataset::mirrors`].
    pub fn mirror_env(self) -> &'static str {
        match self {
            Dataset::Mnist => crate::MIRROR_ENV,
            Dataset::FashionMnist => FASHION_MNIST_MIRROR_ENV,
        }
    }

    /// Directory used when no flag names one, relative to the working
    /// directory: `data/mnist` or `data/fashion-mnist`.
    pub fn default_dir(self) -> &'static str {
        match self {
            Dataset::Mnist => crate::DEFAULT_DATA_DIR,
            Dataset::FashionMnist => "data/fashion-mnist",
        }
    }

    /// Mirrors from [`Dataset::mirror_env`] as it would be with the value
    /// `env`, falling back to [`Dataset::mirrors`] when unset or blank.
    pub fn mirrors_from_env_value(self, env: Option<&str>) -> Vec<String> {
        let mirrors = env.map(parse_mirror_list).unwrap_or_default();
        if mirrors.is_empty() {
            self.mirrors().iter().map(|m| m.to_string()).collect()
        } else {
            mirrors
        }
    }

    /// Mirrors from the environment, else the built-in ones.
    pub fn configured_mirrors(self) -> Vec<String> {
        self.mirrors_from_env_value(std::env::var(self.mirror_env()).ok().as_deref())
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dataset {
    type Err = DataError;

    /// `mnist` or `fashion-mnist`, in any case.
    fn from_str(s: &str) -> Result<Self, DataError> {
        let wanted = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|d| d.name() == wanted)
            .ok_or_else(|| DataError::UnknownDataset {
                input: s.to_string(),
                valid: Self::ALL.map(Dataset::name).join(", "),
            })
    }
}

/// Downloads whichever of `dataset`'s four files are missing from `dir`
/// (created if needed), verifying each one's size and sha256; returns the
/// paths written.
///
/// Mirrors come from `cfg.mirrors`. A config equal to
/// `DownloadConfig::default()` names MNIST's mirrors, which never hold
/// another data set's files, so for other data sets those are replaced by
/// [`Dataset::configured_mirrors`]; [`DownloadConfig::for_dataset`] builds
/// the right config directly. `cfg.files`, when set, replaces the published
/// table (tests serve fixture files with their own checksums).
///
/// Files already present are not checked or replaced: the loader validates
/// them when it reads them. Files fetched before a later file fails are
/// kept, since each was verified on its own.
pub fn download_dataset(
    dataset: Dataset,
    dir: &Path,
    cfg: &DownloadConfig,
) -> Result<Vec<PathBuf>, DataError> {
    let files = cfg.files.as_deref().unwrap_or(dataset.files());
    let mirrors = effective_mirrors(dataset, cfg);
    download_files(dataset, dir, files, &mirrors, cfg.progress)
}

/// `cfg.mirrors`, unless they are MNIST's default ones and `dataset` is not
/// MNIST (see [`download_dataset`]).
fn effective_mirrors(dataset: Dataset, cfg: &DownloadConfig) -> Vec<String> {
    if dataset != Dataset::Mnist && cfg.mirrors == Dataset::Mnist.configured_mirrors() {
        dataset.configured_mirrors()
    } else {
        cfg.mirrors.clone()
    }
}

/// Loads `dataset` from `dir`, downloading whatever is missing first.
pub fn load_or_download_dataset(
    dataset: Dataset,
    dir: &Path,
    cfg: &DownloadConfig,
) -> Result<MnistRaw, DataError> {
    if !missing_files(dir).is_empty() {
        download_dataset(dataset, dir, cfg)?;
    }
    load_mnist(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_display() {
        for d in Dataset::ALL {
            assert_eq!(d.name().parse::<Dataset>().unwrap(), d);
            assert_eq!(d.to_string(), d.name());
        }
        assert_eq!(
            " Fashion-MNIST ".parse::<Dataset>().unwrap(),
            Dataset::FashionMnist
        );
        let msg = "kmnist".parse::<Dataset>().unwrap_err().to_string();
        assert!(
            msg.contains("\"kmnist\"") && msg.contains("mnist, fashion-mnist"),
            "{msg}"
        );
    }

    #[test]
    fn default_config_gets_the_data_sets_own_mirrors() {
        let fm = Dataset::FashionMnist;
        let default = DownloadConfig::default();
        assert_eq!(effective_mirrors(fm, &default), fm.configured_mirrors());
        assert_eq!(effective_mirrors(Dataset::Mnist, &default), default.mirrors);
        assert_eq!(
            DownloadConfig::for_dataset(fm).mirrors,
            fm.configured_mirrors()
        );
        let own = DownloadConfig {
            mirrors: vec!["http://127.0.0.1:1/x/".into()],
            ..DownloadConfig::default()
        };
        assert_eq!(effective_mirrors(fm, &own), own.mirrors);
        let none = DownloadConfig {
            mirrors: Vec::new(),
            ..DownloadConfig::default()
        };
        assert!(effective_mirrors(fm, &none).is_empty());
    }

    #[test]
    fn tables_and_defaults() {
        assert_eq!(Dataset::Mnist.files(), &MNIST_FILES);
        assert_eq!(Dataset::FashionMnist.default_dir(), "data/fashion-mnist");
        assert_eq!(Dataset::Mnist.default_dir(), "data/mnist");
        for d in Dataset::ALL {
            let names: Vec<&str> = d.files().iter().map(|f| f.name).collect();
            assert_eq!(names, FILE_NAMES, "{d}");
            for f in d.files() {
                assert_eq!(f.sha256.len(), 64);
                assert!(f.sha256.bytes().all(|b| b.is_ascii_hexdigit()));
            }
        }
        let fm = Dataset::FashionMnist;
        assert_eq!(
            fm.mirrors_from_env_value(Some(" , ")),
            FASHION_MNIST_MIRRORS
        );
        assert_eq!(
            fm.mirrors_from_env_value(Some("http://a/,http://b")),
            ["http://a/", "http://b"]
        );
    }
}
