//! The price of usage: micro-credits per 1,000 input and per 1,000 output tokens, per
//! model. Integer math only; a report's cost is rounded up to the next micro-credit.

/// The price of one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub model: &'static str,
    /// Micro-credits per 1,000 input tokens.
    pub input_per_1k: i64,
    /// Micro-credits per 1,000 output tokens.
    pub output_per_1k: i64,
}

/// The price list shown on the Usage page. Model names are matched exactly.
pub const PRICES: [Price; 4] = [
    Price {
        model: "gpt-large",
        input_per_1k: 2_500,
        output_per_1k: 10_000,
    },
    Price {
        model: "gpt-small",
        input_per_1k: 150,
        output_per_1k: 600,
    },
    Price {
        model: "embed-small",
        input_per_1k: 20,
        output_per_1k: 0,
    },
    Price {
        model: "rerank",
        input_per_1k: 50,
        output_per_1k: 50,
    },
];

/// Any other model: priced like the dearest, so that a new model is never free.
pub const DEFAULT_PRICE: Price = Price {
    model: "any other model",
    input_per_1k: 3_000,
    output_per_1k: 15_000,
};

pub fn price_of(model: &str) -> Price {
    PRICES
        .into_iter()
        .find(|p| p.model == model)
        .unwrap_or(DEFAULT_PRICE)
}

/// What a report costs, in micro-credits: both token counts at the model's price, summed
/// and rounded up once, so that any usage costs at least one micro-credit.
pub fn cost(model: &str, input_tokens: u64, output_tokens: u64) -> i64 {
    let price = price_of(model);
    // u128: a billion tokens at any price stays far from overflowing.
    let thousandths = u128::from(input_tokens) * price.input_per_1k as u128
        + u128::from(output_tokens) * price.output_per_1k as u128;
    i64::try_from(thousandths.div_ceil(1000)).unwrap_or(i64::MAX)
}

/// How far one report may take a balance below zero by default: the cost of 1,000,000
/// tokens at the dearest price. A report is only accepted above zero, so without a bound
/// its size alone decides how deep the organization goes into debt.
pub fn default_overdraft_micro() -> i64 {
    let dearest = DEFAULT_PRICE.input_per_1k.max(DEFAULT_PRICE.output_per_1k);
    dearest * 1_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_tokens_times_price_per_thousand() {
        // 1,200 * 2.5 + 300 * 10 micro-credits.
        assert_eq!(cost("gpt-large", 1_200, 300), 6_000);
        assert_eq!(cost("gpt-small", 1_000, 1_000), 750);
        assert_eq!(cost("embed-small", 1_000_000, 0), 20_000);
        assert_eq!(cost("gpt-large", 10_000_000, 0), 25_000_000);
    }

    #[test]
    fn cost_rounds_up_to_the_next_micro_credit() {
        assert_eq!(cost("gpt-small", 1, 0), 1, "0.15 rounds up");
        assert_eq!(cost("gpt-small", 7, 0), 2, "1.05 rounds up");
        assert_eq!(cost("gpt-small", 20, 0), 3, "exactly 3");
        assert_eq!(cost("gpt-large", 0, 0), 0, "no tokens, no cost");
        assert_eq!(cost("embed-small", 0, 1_000_000), 0, "a free direction");
    }

    #[test]
    fn unknown_models_pay_the_default_price() {
        assert_eq!(price_of("brand-new"), DEFAULT_PRICE);
        assert_eq!(price_of("GPT-LARGE"), DEFAULT_PRICE, "names match exactly");
        assert_eq!(cost("brand-new", 1_000, 1_000), 18_000);
        assert!(
            PRICES
                .iter()
                .all(|p| p.input_per_1k <= DEFAULT_PRICE.input_per_1k
                    && p.output_per_1k <= DEFAULT_PRICE.output_per_1k)
        );
    }

    #[test]
    fn the_largest_report_fits() {
        let most = cost("brand-new", 1_000_000_000, 1_000_000_000);
        assert_eq!(most, 18_000_000_000, "18,000 credits");
    }
}
