//! A stacked bar chart as integer SVG geometry: one column per day, one segment per
//! series, heights proportional to the values. Presentation picks colours and labels.

/// The plot area, in SVG user units (the `viewBox` is `0 0 width height`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub left: u32,
    pub top: u32,
    pub plot_height: u32,
    pub column_width: u32,
    pub gap: u32,
    pub bottom: u32,
}

impl Frame {
    pub const DEFAULT: Frame = Frame {
        left: 56,
        top: 12,
        plot_height: 180,
        column_width: 12,
        gap: 4,
        bottom: 24,
    };

    /// Columns as wide as `width` allows for `columns` of them, a fifth of each slot
    /// left as the gap (at least one unit).
    pub fn fit(columns: usize, width: u32) -> Frame {
        let slot = ((width - Self::DEFAULT.left) / columns.max(1) as u32).max(2);
        let gap = (slot / 5).max(1);
        Frame {
            column_width: slot - gap,
            gap,
            ..Self::DEFAULT
        }
    }

    /// The `viewBox` width for `columns` columns.
    pub fn width(&self, columns: usize) -> u32 {
        self.left + columns as u32 * (self.column_width + self.gap) + self.gap
    }

    pub fn height(&self) -> u32 {
        self.top + self.plot_height + self.bottom
    }

    /// The y of the baseline (value 0).
    pub fn baseline(&self) -> u32 {
        self.top + self.plot_height
    }
}

/// One coloured box: series `series` of a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub series: usize,
    pub y: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub x: u32,
    /// The middle of the column, for its label.
    pub center: u32,
    pub total: i64,
    /// Bottom to top, only the series with a value above zero.
    pub segments: Vec<Segment>,
}

/// Lays out `values[column][series]` (negative values count as zero). The tallest column
/// fills the plot; each segment's top is rounded from its running sum, so that segments
/// never overlap and a column's height is exactly its rounded total.
pub fn stack(values: &[Vec<i64>], frame: Frame) -> Vec<Column> {
    stack_to(values, frame, 0)
}

/// Like [`stack`], with the top of the plot at `top` (a round value at or above the
/// tallest column, where the highest gridline is) unless the tallest column is higher.
pub fn stack_to(values: &[Vec<i64>], frame: Frame, top: i64) -> Vec<Column> {
    let totals: Vec<i64> = values
        .iter()
        .map(|column| column.iter().map(|v| (*v).max(0)).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(top).max(1) as i128;
    let scale = |sum: i64| ((sum as i128 * frame.plot_height as i128 + max / 2) / max) as u32;
    values
        .iter()
        .zip(&totals)
        .enumerate()
        .map(|(i, (column, total))| {
            let x = frame.left + frame.gap + i as u32 * (frame.column_width + frame.gap);
            let (mut sum, mut below) = (0i64, 0u32);
            let mut segments = Vec::new();
            for (series, value) in column.iter().enumerate() {
                if *value <= 0 {
                    continue;
                }
                sum += value;
                let top = scale(sum);
                if top > below {
                    segments.push(Segment {
                        series,
                        y: frame.baseline() - top,
                        height: top - below,
                    });
                }
                below = top;
            }
            Column {
                x,
                center: x + frame.column_width / 2,
                total: *total,
                segments,
            }
        })
        .collect()
}

/// Round gridline values from 0 to at least `max`: a step of 1, 2, 2.5 or 5 times a power
/// of ten, giving 3 to 5 steps above zero when it can (2 when `max` is one unit).
pub fn ticks(max: i64) -> Vec<i64> {
    let max = max.max(1);
    let mut steps = Vec::new();
    let mut power = 1i64;
    while power <= max {
        for factor in [10, 20, 25, 50] {
            // Steps in tenths of `power`, so that 2.5 stays an integer from 10 up.
            if (power * factor) % 10 == 0 {
                steps.push(power * factor / 10);
            }
        }
        power = power.saturating_mul(10);
    }
    steps.push(power);
    let count = |step: i64| (max + step - 1) / step;
    let step = steps
        .iter()
        .copied()
        .find(|&step| (3..=5).contains(&count(step)))
        .or_else(|| steps.iter().copied().find(|&step| count(step) <= 5))
        .unwrap_or(max);
    (0..=count(step)).map(|i| i * step).collect()
}

/// Which shown series each series goes to: with more than `keep` series, the `keep - 1`
/// largest keep their own (in their original order) and the others share the last one.
pub fn fold(totals: &[i64], keep: usize) -> Vec<usize> {
    if totals.len() <= keep || keep == 0 {
        return (0..totals.len()).collect();
    }
    let mut by_size: Vec<usize> = (0..totals.len()).collect();
    by_size.sort_by_key(|&i| (std::cmp::Reverse(totals[i]), i));
    let mut kept = by_size[..keep - 1].to_vec();
    kept.sort_unstable();
    (0..totals.len())
        .map(|i| kept.iter().position(|&k| k == i).unwrap_or(keep - 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Frame = Frame::DEFAULT;

    fn height(column: &Column) -> u32 {
        column.segments.iter().map(|s| s.height).sum()
    }

    #[test]
    fn the_tallest_column_fills_the_plot_and_others_are_proportional() {
        let columns = stack(&[vec![100, 0], vec![25, 25], vec![0, 0]], F);
        assert_eq!(height(&columns[0]), F.plot_height);
        assert_eq!(height(&columns[1]), F.plot_height / 2);
        assert_eq!(height(&columns[2]), 0);
        assert!(columns[2].segments.is_empty());
        assert_eq!(columns[1].total, 50);
        assert_eq!(columns[0].segments[0].y, F.top, "the top of the plot");
    }

    #[test]
    fn segments_stack_without_gaps_or_overlaps() {
        let columns = stack(&[vec![1, 1, 1], vec![3, 0, 0]], F);
        let c = &columns[0];
        assert_eq!(c.segments.len(), 3);
        for pair in c.segments.windows(2) {
            assert_eq!(
                pair[1].y + pair[1].height,
                pair[0].y,
                "the next sits on the previous"
            );
        }
        assert_eq!(c.segments[0].y + c.segments[0].height, F.baseline());
        assert_eq!(height(c), F.plot_height, "1/3 + 1/3 + 1/3 fill it");
    }

    #[test]
    fn columns_are_evenly_spaced() {
        let columns = stack(&vec![vec![1]; 30], F);
        assert_eq!(columns[1].x - columns[0].x, F.column_width + F.gap);
        let last = columns.last().unwrap();
        assert_eq!(last.x + F.column_width + F.gap, F.width(30));
        assert_eq!(last.center, last.x + F.column_width / 2);
    }

    #[test]
    fn fitted_columns_stay_within_the_width() {
        for columns in [1, 7, 30, 90, 1000] {
            let frame = Frame::fit(columns, 720);
            assert!(
                frame.width(columns) <= 720 + frame.gap || columns == 1000,
                "{columns}"
            );
            assert!(frame.column_width >= 1 && frame.gap >= 1);
        }
        assert_eq!(
            (Frame::fit(30, 720).column_width, Frame::fit(30, 720).gap),
            (18, 4)
        );
        assert_eq!(
            (Frame::fit(90, 720).column_width, Frame::fit(90, 720).gap),
            (6, 1)
        );
    }

    #[test]
    fn gridlines_are_round_and_three_to_five() {
        // Micro-credits: 1.3 credits gives 0, 0.5, 1, 1.5.
        assert_eq!(ticks(1_300_000), [0, 500_000, 1_000_000, 1_500_000]);
        assert_eq!(
            ticks(1_200_000),
            [0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000]
        );
        assert_eq!(ticks(12_750), [0, 5_000, 10_000, 15_000]);
        assert_eq!(ticks(100), [0, 20, 40, 60, 80, 100]);
        for max in [1, 7, 99, 101, 12_345, 999_999_999] {
            let t = ticks(max);
            assert!(*t.last().unwrap() >= max, "{max}: {t:?}");
            assert!((3..=6).contains(&t.len()) || max < 3, "{max}: {t:?}");
        }
        // Scaled to the top gridline, a column of half of it is half the plot.
        let columns = stack_to(&[vec![750_000]], F, 1_500_000);
        assert_eq!(height(&columns[0]), F.plot_height / 2);
    }

    #[test]
    fn nothing_to_draw_and_huge_values_are_fine() {
        assert!(stack(&[], F).is_empty());
        let big = stack(&[vec![i64::MAX / 4, i64::MAX / 4], vec![-5, 1]], F);
        assert_eq!(height(&big[0]), F.plot_height);
        assert_eq!(big[1].total, 1, "negative values count as zero");
    }

    #[test]
    fn tiny_values_next_to_big_ones_may_round_to_nothing() {
        let columns = stack(&[vec![1_000_000], vec![1]], F);
        assert!(columns[1].segments.is_empty());
        assert_eq!(columns[1].total, 1, "the table still tells");
    }

    #[test]
    fn many_series_fold_into_other() {
        assert_eq!(fold(&[5, 1, 9], 3), vec![0, 1, 2], "few enough");
        // The two largest (9 and 7) keep their place; 5, 1 and 3 share "Other".
        assert_eq!(fold(&[5, 1, 9, 3, 7], 3), vec![2, 2, 0, 2, 1]);
        assert_eq!(fold(&[], 3), Vec::<usize>::new());
    }
}
