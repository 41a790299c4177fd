//! The learned scorer: gradient-boosted trees over the sweep's feature vector, with isotonic
//! calibration so that a threshold on the score *is* a precision.
//!
//! Training (`sluice train`) takes feature rows and a binary target (operator or not: the
//! spec's `otc_merchant`, `exchange_agent`, `scam_collector`, `mule` against `normal` and
//! `crypto_buyer`). A deterministic share of the rows (by a hash of the row's key) is held out;
//! the booster ([`forust_ml`], a pure-Rust histogram GBM in the XGBoost mould that builds on
//! stable Rust — its successor `perpetual` needs a nightly compiler) learns on the rest; then the held-out rows fit an isotonic map from
//! the booster's margin to the observed share of operators.
//!
//! **Why isotonic, and why by hand.** Isotonic regression is the monotone step function
//! closest to the held-out labels, so its value on a step is the precision observed on that
//! step; flagging every account whose calibrated score is at least `t` therefore flags only
//! steps whose precision is at least `t`, and the precision of the union is at least `t` (on
//! held-out data). That is the property a compliance team needs from a threshold. The pool-
//! adjacent-violators algorithm is twenty lines, has no parameters, and keeps the map in the
//! model file as plain numbers an auditor can read; the booster crate has no calibrator.
//!
//! A model file is JSON: format tag, version (a content hash), the feature names it was
//! trained on (a sweep refuses a model whose names differ from [`FEATURE_NAMES`]), the
//! training summary, the calibration steps and the booster.

use crate::features::{F, FEATURE_NAMES, Features, N_FEATURES};
use forust_ml::gradientbooster::ContributionsMethod;
use forust_ml::objective::ObjectiveType;
use forust_ml::{GradientBooster, Matrix};
use serde::{Deserialize, Serialize};
use std::hash::BuildHasher;

/// The model file's format tag.
pub const FORMAT: &str = "sluice-sweep-model/1";

/// Why a model could not be trained or loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file is not a model of this format.
    #[error("not a Sluice sweep model: {0}")]
    Format(String),
    /// The model was trained on other features than this sweep computes.
    #[error(
        "the model was trained on other features than this sweep computes (only the sweep's: [{ours}]; only the model's: [{theirs}]; or another order): retrain it"
    )]
    Features {
        /// Names only the model has.
        theirs: String,
        /// Names only this build has.
        ours: String,
    },
    /// Training data is unusable.
    #[error("cannot train: {0}")]
    Data(String),
    /// The booster failed.
    #[error("gradient boosting failed: {0}")]
    Booster(String),
}

/// What a training run used and what the held-out rows say about the result.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TrainSummary {
    /// Rows the booster learned on.
    pub train_rows: usize,
    /// Operators among them.
    pub train_positives: usize,
    /// Held-out rows the calibration was fitted on.
    pub holdout_rows: usize,
    /// Operators among them.
    pub holdout_positives: usize,
    /// Boosting rounds.
    pub iterations: usize,
    /// Depth limit of each tree.
    pub max_depth: usize,
    /// Learning rate.
    pub learning_rate: f32,
    /// Trees grown.
    pub trees: usize,
    /// Free text: where the rows came from (worlds, label files).
    pub sources: Vec<String>,
    /// Held-out precision and recall at the default thresholds: `[review, restrict]`.
    pub holdout_at_thresholds: [(f64, f64); 2],
    /// Held-out average precision of the calibrated score.
    pub holdout_average_precision: f64,
}

/// Score thresholds of the model's actions (calibrated: a threshold is a precision).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Thresholds {
    /// Put in front of an analyst from here.
    pub review: f64,
    /// Restrict from here (if the operator gate agrees).
    pub restrict: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { review: 0.5, restrict: 0.95 }
    }
}

/// A monotone step map from the booster's margin to a probability.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Isotonic {
    /// Upper margin of each step, increasing.
    pub upper: Vec<f64>,
    /// The step's value (share of operators on it), non-decreasing.
    pub value: Vec<f64>,
    /// Rows on the step.
    pub rows: Vec<u64>,
}

impl Isotonic {
    /// Fits the steps to `(margin, label)` pairs by pool-adjacent-violators.
    pub fn fit(mut pairs: Vec<(f64, bool)>) -> Isotonic {
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Blocks of (upper margin, positives, rows); ties in margin go in one block first so
        // that equal margins always get one value.
        let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
        for (x, y) in pairs {
            let y = if y { 1.0 } else { 0.0 };
            match blocks.last_mut() {
                Some(last) if last.0 == x => {
                    last.1 += y;
                    last.2 += 1.0;
                }
                _ => blocks.push((x, y, 1.0)),
            }
            while blocks.len() >= 2 {
                let n = blocks.len();
                let (Some(&a), Some(&b)) = (blocks.get(n - 2), blocks.get(n - 1)) else { break };
                // Equal neighbours are pooled too: one step per distinct value.
                if a.1 / a.2 < b.1 / b.2 {
                    break;
                }
                blocks.truncate(n - 2);
                blocks.push((b.0, a.1 + b.1, a.2 + b.2));
            }
        }
        Isotonic {
            upper: blocks.iter().map(|b| b.0).collect(),
            value: blocks.iter().map(|b| b.1 / b.2).collect(),
            rows: blocks.iter().map(|b| b.2 as u64).collect(),
        }
    }

    /// The calibrated value of `margin`: the first step whose upper bound reaches it (the last
    /// step beyond the largest margin seen).
    pub fn apply(&self, margin: f64) -> f64 {
        let i = self.upper.partition_point(|&u| u < margin);
        self.value.get(i).or(self.value.last()).copied().unwrap_or(0.0)
    }
}

/// A trained, calibrated model.
#[derive(Serialize, Deserialize)]
pub struct Model {
    /// [`FORMAT`].
    pub format: String,
    /// `gbdt-<hash>`: names the model in verdicts and reports.
    pub version: String,
    /// Feature names, in slot order, at training time.
    pub features: Vec<String>,
    /// Action thresholds on the calibrated score.
    pub thresholds: Thresholds,
    /// The training run.
    pub summary: TrainSummary,
    /// Margin → probability.
    pub calibration: Isotonic,
    /// Seconds of payments each account's features were read over in training: a sweep with
    /// this model reads the same window (`u32::MAX`: the whole period). Models written before
    /// the window existed were trained on week-long periods, hence the default.
    #[serde(default = "default_window")]
    pub window_secs: u32,
    booster: GradientBooster,
}

fn default_window() -> u32 {
    crate::WINDOW_SECS
}

/// Options of a training run.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// Boosting rounds.
    pub iterations: usize,
    /// Depth limit of each tree.
    pub max_depth: usize,
    /// Learning rate (shrinkage).
    pub learning_rate: f32,
    /// Share of rows held out for calibration, 0..1.
    pub holdout: f64,
    /// Seed of the hold-out choice and the booster.
    pub seed: u64,
    /// Thresholds written into the model.
    pub thresholds: Thresholds,
    /// Where the rows came from, for the summary.
    pub sources: Vec<String>,
    /// The feature window the rows were computed with (kept in the model).
    pub window_secs: u32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            iterations: 150,
            max_depth: 5,
            learning_rate: 0.1,
            holdout: 0.3,
            seed: 1,
            thresholds: Thresholds::default(),
            sources: Vec::new(),
            window_secs: crate::WINDOW_SECS,
        }
    }
}

/// Feature rows as perpetual's column-major matrix data.
fn column_major(rows: &[&Features]) -> Vec<f64> {
    let mut data = vec![0.0; rows.len() * N_FEATURES];
    for (c, col) in data.chunks_mut(rows.len().max(1)).enumerate().take(N_FEATURES) {
        for (x, f) in col.iter_mut().zip(rows) {
            *x = f64::from(f.0.get(c).copied().unwrap_or(0.0));
        }
    }
    data
}

/// Whether row `key` is held out.
fn held_out(key: &str, seed: u64, share: f64) -> bool {
    let h = foldhash::fast::FixedState::with_seed(seed).hash_one(key);
    (h % 10_000) as f64 / 10_000.0 < share
}

impl Model {
    /// Trains on `rows` with `positive` targets; `keys` (one per row, e.g. world + account
    /// id) choose the hold-out deterministically.
    pub fn train(
        rows: &[Features],
        positive: &[bool],
        keys: &[String],
        opts: &TrainOptions,
    ) -> Result<Model, ModelError> {
        if rows.len() != positive.len() || rows.len() != keys.len() {
            return Err(ModelError::Data("rows, labels and keys differ in length".into()));
        }
        let mut train: (Vec<&Features>, Vec<f64>) = (Vec::new(), Vec::new());
        let mut hold: (Vec<&Features>, Vec<bool>) = (Vec::new(), Vec::new());
        for ((f, &y), k) in rows.iter().zip(positive).zip(keys) {
            if held_out(k, opts.seed, opts.holdout) {
                hold.0.push(f);
                hold.1.push(y);
            } else {
                train.0.push(f);
                train.1.push(if y { 1.0 } else { 0.0 });
            }
        }
        let train_pos = train.1.iter().filter(|&&y| y > 0.5).count();
        let hold_pos = hold.1.iter().filter(|&&y| y).count();
        if train_pos == 0 || train_pos == train.1.len() {
            return Err(ModelError::Data(format!(
                "the training rows need both operators and others ({train_pos} operators of {} rows)",
                train.1.len()
            )));
        }
        if hold_pos == 0 {
            return Err(ModelError::Data(format!(
                "no operator among the {} held-out rows: more labelled data is needed to calibrate",
                hold.1.len()
            )));
        }
        let data = column_major(&train.0);
        let matrix = Matrix::new(&data, train.0.len(), N_FEATURES);
        let mut booster = GradientBooster::default()
            .set_objective_type(ObjectiveType::LogLoss)
            .set_iterations(opts.iterations)
            .set_max_depth(opts.max_depth)
            .set_learning_rate(opts.learning_rate)
            .set_seed(opts.seed);
        booster.fit_unweighted(&matrix, &train.1, None).map_err(|e| ModelError::Booster(e.to_string()))?;

        let hold_data = column_major(&hold.0);
        let margins = booster.predict(&Matrix::new(&hold_data, hold.0.len(), N_FEATURES), true);
        let calibration = Isotonic::fit(margins.iter().copied().zip(hold.1.iter().copied()).collect());
        let calibrated: Vec<(f64, bool)> =
            margins.iter().map(|&m| calibration.apply(m)).zip(hold.1.iter().copied()).collect();
        let at = |t: f64| -> (f64, f64) {
            let flagged = calibrated.iter().filter(|p| p.0 >= t).count();
            let hits = calibrated.iter().filter(|p| p.0 >= t && p.1).count();
            let precision = if flagged == 0 { 1.0 } else { hits as f64 / flagged as f64 };
            (round4(precision), round4(hits as f64 / hold_pos as f64))
        };
        let summary = TrainSummary {
            train_rows: train.0.len(),
            train_positives: train_pos,
            holdout_rows: hold.0.len(),
            holdout_positives: hold_pos,
            iterations: opts.iterations,
            max_depth: opts.max_depth,
            learning_rate: opts.learning_rate,
            trees: booster.trees.len(),
            sources: opts.sources.clone(),
            holdout_at_thresholds: [at(opts.thresholds.review), at(opts.thresholds.restrict)],
            holdout_average_precision: round4(average_precision(&calibrated)),
        };
        let mut model = Model {
            format: FORMAT.to_string(),
            version: String::new(),
            features: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
            thresholds: opts.thresholds,
            summary,
            calibration,
            window_secs: opts.window_secs,
            booster,
        };
        let mut body =
            serde_json::to_string(&model.booster).map_err(|e| ModelError::Format(e.to_string()))?;
        // The same trees over another window give other verdicts: the window is part of the
        // version (appended for any window but the default, so a default model keeps its version).
        if model.window_secs != crate::WINDOW_SECS {
            body.push_str(&format!("window={}", model.window_secs));
        }
        let hash = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
        model.version = format!("gbdt-{hash:016x}");
        Ok(model)
    }

    /// The model as JSON text (the model file).
    pub fn to_json(&self) -> Result<String, ModelError> {
        serde_json::to_string(self).map_err(|e| ModelError::Format(e.to_string()))
    }

    /// Reads a model file's text, refusing another format or other features.
    pub fn from_json(text: &str) -> Result<Model, ModelError> {
        let model: Model = serde_json::from_str(text).map_err(|e| ModelError::Format(e.to_string()))?;
        if model.format != FORMAT {
            return Err(ModelError::Format(format!("format {:?}, expected {FORMAT:?}", model.format)));
        }
        if model.features.iter().map(String::as_str).ne(FEATURE_NAMES.iter().copied()) {
            let theirs: Vec<&str> =
                model.features.iter().map(String::as_str).filter(|f| !FEATURE_NAMES.contains(f)).collect();
            let ours: Vec<&str> =
                FEATURE_NAMES.iter().copied().filter(|f| !model.features.iter().any(|m| m == f)).collect();
            return Err(ModelError::Features { theirs: theirs.join(", "), ours: ours.join(", ") });
        }
        let t = model.thresholds;
        if !(0.0..=1.0).contains(&t.review) || !(0.0..=1.0).contains(&t.restrict) || t.review > t.restrict {
            return Err(ModelError::Format(format!(
                "thresholds review {} and restrict {} must satisfy 0 <= review <= restrict <= 1",
                t.review, t.restrict
            )));
        }
        Ok(model)
    }

    /// Calibrated scores of `rows`.
    pub fn predict(&self, rows: &[Features]) -> Vec<f64> {
        let refs: Vec<&Features> = rows.iter().collect();
        let data = column_major(&refs);
        let margins = self.booster.predict(&Matrix::new(&data, refs.len(), N_FEATURES), true);
        margins.into_iter().map(|m| round4(self.calibration.apply(m))).collect()
    }

    /// The features that pushed one account's margin up most, largest first (positive
    /// contributions only, at most `k`).
    pub fn top_contributions(&self, f: &Features, k: usize) -> Vec<(F, f64)> {
        let data = column_major(&[f]);
        let c = self.booster.predict_contributions(
            &Matrix::new(&data, 1, N_FEATURES),
            ContributionsMethod::Average,
            false,
        );
        let mut v: Vec<(F, f64)> =
            F::ALL.iter().zip(c.iter()).filter(|(_, x)| **x > 0.0).map(|(&slot, &x)| (slot, x)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v.truncate(k);
        v
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Average precision of scores against labels (ties broken pessimistically).
fn average_precision(scored: &[(f64, bool)]) -> f64 {
    let mut v: Vec<(f64, bool)> = scored.to_vec();
    v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let positives = v.iter().filter(|p| p.1).count();
    if positives == 0 {
        return 0.0;
    }
    let (mut hits, mut ap) = (0usize, 0.0);
    for (i, p) in v.iter().enumerate() {
        if p.1 {
            hits += 1;
            ap += hits as f64 / (i + 1) as f64;
        }
    }
    ap / positives as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn isotonic_pools_violators() {
        let iso = Isotonic::fit(vec![(1.0, false), (2.0, true), (3.0, false), (4.0, true), (5.0, true)]);
        // 2 and 3 violate (1 then 0): pooled to 0.5.
        assert_eq!(iso.value, vec![0.0, 0.5, 1.0]);
        assert_eq!(iso.upper, vec![1.0, 3.0, 5.0]);
        assert_eq!(iso.apply(0.0), 0.0);
        assert_eq!(iso.apply(2.5), 0.5);
        assert_eq!(iso.apply(9.0), 1.0);
    }

    proptest! {
        /// Steps are non-decreasing, keep every row, and flagging at any step's value gives a
        /// precision on the fitted rows of at least that value.
        #[test]
        fn isotonic_threshold_is_a_precision(pairs in prop::collection::vec((-50i32..50, any::<bool>()), 1..300)) {
            let pairs: Vec<(f64, bool)> = pairs.into_iter().map(|(x, y)| (f64::from(x) / 4.0, y)).collect();
            let iso = Isotonic::fit(pairs.clone());
            prop_assert!(iso.value.windows(2).all(|w| w[0] <= w[1]));
            prop_assert_eq!(iso.rows.iter().sum::<u64>() as usize, pairs.len());
            for &t in &iso.value {
                let flagged: Vec<&(f64, bool)> = pairs.iter().filter(|p| iso.apply(p.0) >= t).collect();
                let hits = flagged.iter().filter(|p| p.1).count();
                prop_assert!(hits as f64 >= t * flagged.len() as f64 - 1e-9);
            }
        }
    }

    fn world(n: usize, seed: u64) -> (Vec<Features>, Vec<bool>, Vec<String>) {
        // Operators have many stranger payers and pass money on; a few normal accounts look
        // half like it (vendors with strangers but no pass-through).
        let mut rows = Vec::new();
        let mut ys = Vec::new();
        let mut keys = Vec::new();
        for i in 0..n {
            let h = foldhash::fast::FixedState::with_seed(seed).hash_one(i);
            let op = h % 10 == 0;
            let vendor = h % 10 == 1;
            let mut f = Features::default();
            let noise = (h >> 8) % 7;
            f.0[F::StrangerPayers as usize] = if op || vendor { 20.0 + noise as f32 } else { noise as f32 };
            f.0[F::PassShort as usize] = if op { 0.8 } else { 0.05 * (noise as f32) / 7.0 };
            rows.push(f);
            ys.push(op);
            keys.push(format!("w{seed}:{i}"));
        }
        (rows, ys, keys)
    }

    #[test]
    fn learns_separable_operators_and_round_trips() {
        let (rows, ys, keys) = world(2_000, 3);
        let model = Model::train(&rows, &ys, &keys, &TrainOptions::default()).unwrap();
        assert!(model.summary.trees > 0);
        assert!(model.summary.holdout_average_precision > 0.99, "{:?}", model.summary);
        let scores = model.predict(&rows);
        for ((s, &y), f) in scores.iter().zip(&ys).zip(&rows) {
            if y {
                assert!(*s >= 0.95, "operator scored {s}: {f:?}");
            } else {
                assert!(*s < 0.5, "other scored {s}: {f:?}");
            }
        }
        let op = rows.iter().zip(&ys).find(|p| *p.1).map(|p| *p.0).unwrap();
        let top = model.top_contributions(&op, 2);
        assert_eq!(top.first().map(|t| t.0), Some(F::PassShort), "{top:?}");

        let text = model.to_json().unwrap();
        let back = Model::from_json(&text).unwrap();
        assert_eq!(back.version, model.version);
        assert_eq!(back.predict(&rows), scores);
    }

    #[test]
    fn refuses_other_features_and_formats() {
        let (rows, ys, keys) = world(1_000, 4);
        let model = Model::train(&rows, &ys, &keys, &TrainOptions::default()).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&model.to_json().unwrap()).unwrap();
        v["features"][0] = serde_json::json!("renamed");
        assert!(matches!(Model::from_json(&v.to_string()), Err(ModelError::Features { .. })));
        v["format"] = serde_json::json!("other/1");
        assert!(matches!(Model::from_json(&v.to_string()), Err(ModelError::Format(_))));
        assert!(matches!(Model::from_json("{"), Err(ModelError::Format(_))));
    }

    #[test]
    fn refuses_one_class() {
        let (rows, _, keys) = world(500, 5);
        let ys = vec![false; rows.len()];
        assert!(matches!(
            Model::train(&rows, &ys, &keys, &TrainOptions::default()),
            Err(ModelError::Data(_))
        ));
    }
}
