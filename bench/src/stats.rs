//! Medians of repeated runs, paired with their reference runs, and percentiles of latencies.

/// The median of `values` (the mean of the middle two for an even count); `NaN` when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let count = sorted.len();
    match count {
        0 => f64::NAN,
        _ if count % 2 == 1 => sorted[count / 2],
        _ => (sorted[count / 2 - 1] + sorted[count / 2]) / 2.0,
    }
}

/// The `percent`-th percentile of `values` (nearest rank); `NaN` when empty.
pub fn percentile(values: &mut [f64], percent: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = (percent / 100.0 * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// The smallest, middle and largest of a set of figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The smallest.
    pub min: f64,
    /// The median.
    pub median: f64,
    /// The largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values` (`NaN` everywhere when empty).
    pub fn of(values: &[f64]) -> Self {
        let fold = |start: f64, pick: fn(f64, f64) -> f64| {
            values.iter().copied().reduce(pick).unwrap_or(start)
        };
        Self {
            min: fold(f64::NAN, f64::min),
            median: median(values),
            max: fold(f64::NAN, f64::max),
        }
    }
}

/// Rounds of one measurement, each with its reference measured right beside it.
#[derive(Debug, Clone, Default)]
pub struct Paired {
    values: Vec<f64>,
    references: Vec<f64>,
}

impl Paired {
    /// No rounds yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one round: our figure and the reference's, in the same unit.
    pub fn push(&mut self, value: f64, reference: f64) {
        self.values.push(value);
        self.references.push(reference);
    }

    /// How many rounds were recorded.
    pub fn rounds(&self) -> usize {
        self.values.len()
    }

    /// The median of our figures.
    pub fn value(&self) -> f64 {
        median(&self.values)
    }

    /// The median of the reference figures.
    pub fn reference(&self) -> f64 {
        median(&self.references)
    }

    /// The median of the rounds' own ratios (value / reference), so each ratio compares runs
    /// made under the same load.
    pub fn ratio(&self) -> f64 {
        let ratios: Vec<f64> = self
            .values
            .iter()
            .zip(&self.references)
            .map(|(value, reference)| value / reference)
            .collect();
        median(&ratios)
    }

    /// The median of the rounds' reference / value ratios (how many times faster a time is).
    pub fn inverse_ratio(&self) -> f64 {
        let ratios: Vec<f64> = self
            .values
            .iter()
            .zip(&self.references)
            .map(|(value, reference)| reference / value)
            .collect();
        median(&ratios)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn the_spread_is_min_median_max() {
        let spread = Spread::of(&[3.0, 9.0, 1.0]);
        assert_eq!((spread.min, spread.median, spread.max), (1.0, 3.0, 9.0));
        assert!(Spread::of(&[]).max.is_nan());
    }

    #[test]
    fn percentile_by_nearest_rank() {
        let mut values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut values, 99.0), 99.0);
        assert_eq!(percentile(&mut values, 100.0), 100.0);
        assert_eq!(percentile(&mut [5.0], 99.0), 5.0);
    }

    #[test]
    fn the_ratio_is_the_median_of_each_rounds_ratio() {
        let mut paired = Paired::new();
        paired.push(10.0, 100.0);
        paired.push(30.0, 100.0);
        paired.push(20.0, 40.0);
        assert_eq!(paired.rounds(), 3);
        assert_eq!(paired.value(), 20.0);
        assert_eq!(paired.reference(), 100.0);
        assert_eq!(paired.ratio(), 0.3);
        assert_eq!(paired.inverse_ratio(), 100.0 / 30.0);
    }
}
