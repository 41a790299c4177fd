//! Exact money: integer minor units of an ISO 4217 currency.
//!
//! An amount is parsed from its decimal text straight into minor units (`"12.30"` CNY is
//! 1230 fen) and written back with exactly the currency's minor-unit digits; it never passes
//! through a binary float. The contract's limits: no sign, exponent or separators; > 0; at
//! most the currency's minor-unit digits; at most 999,999,999,999.99.

use std::fmt;

/// An ISO 4217 currency with a minor unit (CNY, USD: 2 digits; JPY: 0; KWD: 3).
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// Why a currency code or an amount is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not an upper-case ISO 4217 alpha-3 code.
    #[error("`{0}` is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    /// A code without a minor unit (gold, SDR, testing codes).
    #[error("`{0}` has no minor unit; it is not a payment currency")]
    NoMinorUnit(String),
    /// The amount text does not follow `^[0-9]+(\.[0-9]+)?$`.
    #[error(
        "`{0}` is not a plain decimal amount (digits, optionally `.` and digits; no sign, exponent or separators)"
    )]
    Syntax(String),
    /// More decimals than the currency has minor-unit digits.
    #[error("`{text}` has {decimals} decimals; {currency} allows {allowed}")]
    TooManyDecimals {
        /// The amount text.
        text: String,
        /// Decimals found.
        decimals: usize,
        /// The currency.
        currency: Currency,
        /// Its minor-unit digits.
        allowed: u8,
    },
    /// Zero.
    #[error("`{0}` is zero; amounts must be positive")]
    Zero(String),
    /// Above 999,999,999,999.99.
    #[error("`{0}` exceeds the maximum 999999999999.99")]
    TooLarge(String),
}

impl Currency {
    /// Chinese yuan, the simulator's and the demo's currency.
    pub const CNY: Currency = Currency { code: *b"CNY", exponent: 2 };
    /// US dollar.
    pub const USD: Currency = Currency { code: *b"USD", exponent: 2 };

    /// Looks up an upper-case ISO 4217 alpha-3 code.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        // Fast path for the platform's everyday currency.
        if code == "CNY" {
            return Ok(Self::CNY);
        }
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(MoneyError::UnknownCurrency(code.chars().take(20).collect()));
        }
        let iso = iso_currency::Currency::from_code(code)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))?;
        let exponent = iso.exponent().ok_or_else(|| MoneyError::NoMinorUnit(code.to_string()))?;
        let exponent = u8::try_from(exponent).map_err(|_| MoneyError::NoMinorUnit(code.to_string()))?;
        Ok(Currency { code: [bytes[0], bytes[1], bytes[2]], exponent })
    }

    /// The alpha-3 code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Number of minor-unit digits.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Minor units in one major unit (100 for CNY).
    pub fn minor_per_major(&self) -> i64 {
        10i64.pow(u32::from(self.exponent))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A positive amount of money in minor units of its currency.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// The contract's ceiling, 999,999,999,999.99, in units of 10^-4 so that currencies with up
/// to 4 minor digits compare exactly.
const MAX_IN_TEN_THOUSANDTHS: i128 = 9_999_999_999_999_900;

/// Longest written amount: 12 integer digits, a point and up to 4 decimals.
pub const MONEY_TEXT_MAX: usize = 24;

impl Money {
    /// An amount of `minor` units, if positive and within the contract's ceiling.
    pub fn from_minor(minor: i64, currency: Currency) -> Option<Self> {
        let scaled = i128::from(minor) * 10i128.pow(4u32.saturating_sub(u32::from(currency.exponent)));
        (minor > 0 && scaled <= MAX_IN_TEN_THOUSANDTHS).then_some(Money { minor, currency })
    }

    /// Parses the contract's decimal text for `currency`.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let b = text.as_bytes();
        let (int_part, frac_part) = match b.iter().position(|&c| c == b'.') {
            Some(p) => (&b[..p], Some(&b[p + 1..])),
            None => (b, None),
        };
        let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
        if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
            return Err(MoneyError::Syntax(text.chars().take(40).collect()));
        }
        let frac = frac_part.unwrap_or(&[]);
        // The contract counts written decimals, not significant ones: "5.0" JPY is rejected.
        let exp = usize::from(currency.exponent);
        if frac.len() > exp {
            return Err(MoneyError::TooManyDecimals {
                text: text.to_string(),
                decimals: frac.len(),
                currency,
                allowed: currency.exponent,
            });
        }
        // Leading zeros cannot overflow; anything with more than 15 significant integer digits
        // is over the ceiling anyway.
        let int_digits = int_part.iter().skip_while(|&&c| c == b'0').count();
        if int_digits > 15 {
            return Err(MoneyError::TooLarge(text.chars().take(40).collect()));
        }
        let mut minor: i64 = 0;
        for &c in int_part {
            minor = minor * 10 + i64::from(c - b'0');
        }
        for k in 0..exp {
            minor = minor * 10 + frac.get(k).map_or(0, |&c| i64::from(c - b'0'));
        }
        if minor == 0 {
            return Err(MoneyError::Zero(text.to_string()));
        }
        Money::from_minor(minor, currency).ok_or_else(|| MoneyError::TooLarge(text.to_string()))
    }

    /// The amount in minor units.
    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The currency's alpha-3 code, borrowed from this amount.
    pub fn currency_code(&self) -> &str {
        self.currency.code()
    }

    /// Writes the amount with exactly the currency's minor digits (`1230` CNY → `12.30`).
    pub fn write_decimal<'b>(&self, buf: &'b mut [u8; MONEY_TEXT_MAX]) -> &'b str {
        write_minor(self.minor, self.currency.exponent, buf)
    }
}

/// Writes `minor` units with `exponent` decimals into `buf` (no sign: amounts are positive).
pub fn write_minor(minor: i64, exponent: u8, buf: &mut [u8; MONEY_TEXT_MAX]) -> &str {
    let mut v = minor.unsigned_abs();
    let mut i = MONEY_TEXT_MAX;
    let exp = usize::from(exponent.min(4));
    let mut digits = 0;
    loop {
        if digits == exp && exp > 0 {
            i -= 1;
            buf[i] = b'.';
        }
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        digits += 1;
        if v == 0 && digits > exp {
            break;
        }
        if i <= 1 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; MONEY_TEXT_MAX];
        write!(f, "{} {}", self.write_decimal(&mut buf), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cur(c: &str) -> Currency {
        Currency::parse(c).unwrap()
    }

    #[test]
    fn currencies() {
        assert_eq!(cur("CNY").exponent(), 2);
        assert_eq!(cur("JPY").exponent(), 0);
        assert_eq!(cur("KWD").exponent(), 3);
        assert!(Currency::parse("cny").is_err());
        assert!(Currency::parse("ABC").is_err());
        assert!(matches!(Currency::parse("XAU"), Err(MoneyError::NoMinorUnit(_))));
    }

    #[test]
    fn amounts() {
        let m = |s: &str, c: &str| Money::parse(s, cur(c)).map(|m| m.minor());
        assert_eq!(m("12.3", "CNY"), Ok(1230));
        assert_eq!(m("12.30", "CNY"), Ok(1230));
        assert_eq!(m("0012", "CNY"), Ok(1200));
        assert_eq!(m("0.01", "CNY"), Ok(1));
        assert_eq!(m("5", "JPY"), Ok(5));
        assert!(matches!(m("5.0", "JPY"), Err(MoneyError::TooManyDecimals { .. })));
        assert!(matches!(m("1.230", "CNY"), Err(MoneyError::TooManyDecimals { .. })));
        assert_eq!(m("1.234", "KWD"), Ok(1234));
        assert_eq!(m("999999999999.99", "CNY"), Ok(99_999_999_999_999));
        assert!(matches!(m("999999999999.991", "KWD"), Err(MoneyError::TooLarge(_))));
        assert_eq!(m("999999999999.990", "KWD"), Ok(999_999_999_999_990));
        assert!(matches!(m("1000000000000", "CNY"), Err(MoneyError::TooLarge(_))));
        assert!(matches!(m("1000000000000", "JPY"), Err(MoneyError::TooLarge(_))));
        assert!(matches!(m("12.345", "CNY"), Err(MoneyError::TooManyDecimals { .. })));
        assert!(matches!(m("1.5", "JPY"), Err(MoneyError::TooManyDecimals { .. })));
        assert!(matches!(m("0.00", "CNY"), Err(MoneyError::Zero(_))));
        for bad in ["", ".", "1.", ".5", "-1", "+1", "1e3", "1,000", " 1", "1 ", "１"] {
            assert!(matches!(m(bad, "CNY"), Err(MoneyError::Syntax(_))), "{bad:?}");
        }
    }

    #[test]
    fn writes_exact_digits() {
        let w = |minor: i64, c: &str| {
            let mut b = [0u8; MONEY_TEXT_MAX];
            Money::from_minor(minor, cur(c)).unwrap().write_decimal(&mut b).to_string()
        };
        assert_eq!(w(1230, "CNY"), "12.30");
        assert_eq!(w(5, "CNY"), "0.05");
        assert_eq!(w(7, "JPY"), "7");
        assert_eq!(w(1, "KWD"), "0.001");
        assert_eq!(w(99_999_999_999_999, "CNY"), "999999999999.99");
    }

    proptest! {
        #[test]
        fn round_trips(minor in 1i64..=99_999_999_999_999, c in prop::sample::select(vec!["CNY", "JPY", "KWD", "USD"])) {
            let c = cur(c);
            if let Some(m) = Money::from_minor(minor, c) {
                let mut b = [0u8; MONEY_TEXT_MAX];
                let text = m.write_decimal(&mut b).to_string();
                prop_assert_eq!(Money::parse(&text, c), Ok(m));
            }
        }

        #[test]
        fn never_panics(s in "[0-9.]{0,30}|\\PC{0,20}") {
            let _ = Money::parse(&s, Currency::CNY);
        }
    }
}
