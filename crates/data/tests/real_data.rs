//! Properties of the real MNIST files: counts, splits, determinism, ranges.

mod common;

use std::collections::HashSet;
use std::sync::OnceLock;

use oddeven_data::{
    load_idx_images, load_mnist, split_examples, split_subset, subset, DigitSet, MnistRaw,
    SplitConfig, IMAGE_PIXELS,
};

/// Loaded once per test binary: decompressing 55 MB in every test would
/// dominate the suite's run time.
fn raw() -> &'static MnistRaw {
    static RAW: OnceLock<MnistRaw> = OnceLock::new();
    RAW.get_or_init(|| match load_mnist(&common::real_data_dir()) {
        Ok(raw) => raw,
        Err(e) => panic!("cannot load the real MNIST files: {e}"),
    })
}

fn sources(ex: &oddeven_data::Examples) -> HashSet<usize> {
    ex.source_indices.iter().copied().collect()
}

#[test]
fn loads_all_70k_train_then_t10k() {
    let raw = raw();
    assert_eq!(raw.len(), 70_000);
    assert_eq!(raw.images.len(), 70_000 * IMAGE_PIXELS);
    assert!(raw.labels.iter().all(|&l| l <= 9));
    // First labels of the official train and t10k files.
    assert_eq!(&raw.labels[..3], &[5, 0, 4]);
    assert_eq!(&raw.labels[60_000..60_003], &[7, 2, 1]);
    let mut per_digit = [0usize; 10];
    for &l in &raw.labels {
        per_digit[l as usize] += 1;
    }
    assert_eq!(
        per_digit,
        [6903, 7877, 6990, 7141, 6824, 6313, 6876, 7293, 6825, 6958]
    );
}

#[test]
fn odd_and_even_counts() {
    let odd = subset(raw(), &DigitSet::odd());
    let even = subset(raw(), &DigitSet::even());
    assert_eq!(odd.len(), 35_582);
    assert_eq!(even.len(), 34_418);
    assert_eq!(odd.digits, vec![1, 3, 5, 7, 9]);
    assert_eq!(odd.class_counts(), vec![7877, 7141, 6313, 7293, 6958]);
    assert_eq!(odd.features.len(), odd.len() * IMAGE_PIXELS);
    assert!(odd.labels.iter().all(|&l| l < 5));
    assert!(odd.features.iter().all(|&x| (0.0..=1.0).contains(&x)));
    assert!(odd.features.contains(&1.0) && odd.features.contains(&0.0));
    for (i, &src) in odd.source_indices.iter().enumerate().step_by(997) {
        assert_eq!(odd.digit_of(i), Some(raw().labels[src]));
    }
    assert!(sources(&odd).is_disjoint(&sources(&even)));
}

#[test]
fn split_sizes_overlap_and_ranges() {
    for (digits, n, n_test) in [
        (DigitSet::odd(), 35_582, 7_117),
        (DigitSet::even(), 34_418, 6_884),
    ] {
        let split = split_subset(raw(), &digits, &SplitConfig::default()).unwrap();
        assert_eq!(split.test.len(), n_test, "{digits}");
        assert_eq!(split.train.len(), n - n_test, "{digits}");
        let (tr, te) = (sources(&split.train), sources(&split.test));
        assert_eq!(tr.len(), split.train.len(), "duplicates in train");
        assert_eq!(te.len(), split.test.len(), "duplicates in test");
        assert!(tr.is_disjoint(&te));
        assert_eq!(tr.union(&te).count(), n);
        for part in [&split.train, &split.test] {
            assert!(part.labels.iter().all(|&l| l < 5));
            assert_eq!(part.digits, digits.digits());
            assert!(part.features.iter().all(|&x| (0.0..=1.0).contains(&x)));
            // Features travel with their source image.
            let i = part.len() / 2;
            let src = part.source_indices[i];
            let expect: Vec<f32> = raw()
                .image(src)
                .unwrap()
                .iter()
                .map(|&p| p as f32 / 255.0)
                .collect();
            assert_eq!(part.feature(i).unwrap(), expect.as_slice());
        }
    }
}

#[test]
fn same_seed_same_split_other_seed_differs() {
    let cfg = SplitConfig {
        seed: 7,
        ..SplitConfig::default()
    };
    let a = split_subset(raw(), &DigitSet::odd(), &cfg).unwrap();
    let b = split_subset(raw(), &DigitSet::odd(), &cfg).unwrap();
    assert_eq!(a.train.source_indices, b.train.source_indices);
    assert_eq!(a.test.source_indices, b.test.source_indices);
    let c = split_subset(raw(), &DigitSet::odd(), &SplitConfig { seed: 8, ..cfg }).unwrap();
    assert_ne!(sources(&a.test), sources(&c.test));
}

/// Pins the default odd split so any change in the shuffle shows up here
/// before it silently changes published numbers.
#[test]
fn default_split_is_pinned() {
    let split = split_subset(raw(), &DigitSet::odd(), &SplitConfig::default()).unwrap();
    let head: Vec<usize> = split.test.source_indices[..5].to_vec();
    assert_eq!(head, PINNED_ODD_TEST_HEAD);
}
const PINNED_ODD_TEST_HEAD: [usize; 5] = [33131, 26604, 62279, 59669, 654];

#[test]
fn stratified_split_keeps_class_proportions() {
    let cfg = SplitConfig {
        stratify: true,
        ..SplitConfig::default()
    };
    let split = split_subset(raw(), &DigitSet::even(), &cfg).unwrap();
    assert_eq!(split.test.len(), 6_884);
    assert_eq!(split.train.len(), 34_418 - 6_884);
    assert!(sources(&split.train).is_disjoint(&sources(&split.test)));
    let all = subset(raw(), &DigitSet::even()).class_counts();
    let test = split.test.class_counts();
    let train = split.train.class_counts();
    for k in 0..5 {
        let exact = 6_884.0 * all[k] as f64 / 34_418.0;
        assert!(
            (test[k] as f64 - exact).abs() < 1.0,
            "class {k}: {} vs {exact}",
            test[k]
        );
        assert_eq!(train[k] + test[k], all[k]);
    }
}

#[test]
fn limit_keeps_a_seeded_sample() {
    let cfg = SplitConfig {
        limit: Some(1000),
        ..SplitConfig::default()
    };
    let a = split_subset(raw(), &DigitSet::odd(), &cfg).unwrap();
    assert_eq!((a.train.len(), a.test.len()), (800, 200));
    let b = split_subset(raw(), &DigitSet::odd(), &cfg).unwrap();
    assert_eq!(a.test.source_indices, b.test.source_indices);
    let kept: HashSet<usize> = sources(&a.train)
        .union(&sources(&a.test))
        .copied()
        .collect();
    assert_eq!(kept.len(), 1000);
    // Not just the first 1000 odd images.
    assert!(kept.iter().any(|&i| i > 10_000));
    let other = split_subset(
        raw(),
        &DigitSet::odd(),
        &SplitConfig {
            seed: 1,
            ..cfg.clone()
        },
    )
    .unwrap();
    assert_ne!(sources(&other.test), sources(&a.test));

    let big = SplitConfig {
        limit: Some(1_000_000),
        ..SplitConfig::default()
    };
    let all = split_subset(raw(), &DigitSet::odd(), &big).unwrap();
    assert_eq!(all.train.len() + all.test.len(), 35_582);

    for limit in [0, 1] {
        let cfg = SplitConfig {
            limit: Some(limit),
            ..SplitConfig::default()
        };
        let err = split_subset(raw(), &DigitSet::odd(), &cfg)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("limit {limit}")) && err.contains("train"),
            "{err}"
        );
    }
}

#[test]
fn validation_split_of_a_train_set() {
    let split = split_subset(
        raw(),
        &"0,1,2,3,4".parse().unwrap(),
        &SplitConfig::default(),
    )
    .unwrap();
    let (fit, val) = split_examples(&split.train, 0.1, 3, true).unwrap();
    let n = split.train.len();
    assert_eq!(val.len(), (n as f64 * 0.1).ceil() as usize);
    assert_eq!(fit.len() + val.len(), n);
    assert!(sources(&fit).is_disjoint(&sources(&val)));
    assert!(sources(&val).is_subset(&sources(&split.train)));
    assert!(split_examples(&split.train, 1.5, 3, false).is_err());
}

/// The t10k images file read as `oddeven predict` reads IDX input: the same
/// pixels as the last 10,000 images of the pooled set.
#[test]
fn idx_images_for_predict_match_the_loader() {
    let path = common::real_data_dir().join("t10k-images-idx3-ubyte.gz");
    let imgs = load_idx_images(&path).unwrap();
    assert_eq!(imgs.len(), 10_000);
    for i in [0, 4_321, 9_999] {
        let expect: Vec<f32> = raw()
            .image(60_000 + i)
            .unwrap()
            .iter()
            .map(|&p| f32::from(p) / 255.0)
            .collect();
        assert_eq!(imgs[i], expect, "image {i}");
    }
}
