//! The simulator's configuration: every rate and distribution, documented in
//! `config/default.toml`, which is compiled in and is the only place defaults live. A user
//! file is merged over it key by key; unknown keys are errors.

use serde::Deserialize;

/// The documented default configuration.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, or keys/types that do not match.
    #[error("{0}")]
    Toml(String),
    /// Values that do not make sense together.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// An inclusive integer range `[lo, hi]`.
pub type Range = [u32; 2];

/// Population shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, reason = "documented in config/default.toml")]
pub struct Population {
    pub merchant_share: f64,
    pub enterprise_share: f64,
    pub cities: u32,
    pub city_zipf: f64,
    pub account_age_max_days: u32,
    pub kyc_shares: [f64; 4],
}

/// Families, circles, employment, rent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, reason = "documented in config/default.toml")]
pub struct Social {
    pub family_size: Range,
    pub family_device_sharing: f64,
    pub circles_per_person: Range,
    pub circle_size: Range,
    pub circle_out_of_city: f64,
    pub employed_share: f64,
    pub tenant_share: f64,
    pub tenants_per_landlord: Range,
}

/// Everyday activity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, reason = "documented in config/default.toml")]
pub struct Activity {
    pub activity_sigma: f64,
    pub purchases_per_day: f64,
    pub online_share: f64,
    pub p2p_per_day: f64,
    pub p2p_round_share: f64,
    pub red_packet_per_day: f64,
    pub group_red_packet_per_circle_day: f64,
    pub group_red_packet_grabbers: Range,
    pub spring_festival_red_packet_boost: f64,
    pub bill_split_share: f64,
    pub bill_split_friends: Range,
    pub top_up_per_day: f64,
    pub withdrawal_per_day: f64,
    pub merchant_withdrawal_per_day: f64,
    pub supplier_payment_per_day: f64,
    pub diurnal: [f64; 24],
    pub weekly: [f64; 7],
    pub salary_days: Vec<u32>,
    pub salary_median: f64,
    pub salary_sigma: f64,
    pub rents: Vec<u32>,
}

/// Legal behaviours that look like crypto operators.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, reason = "documented in config/default.toml")]
pub struct Lookalikes {
    pub street_vendor_share: f64,
    pub street_vendor_sales_per_day: Range,
    pub group_buy_share: f64,
    pub group_buy_rounds_per_week: Range,
    pub group_buy_participants: Range,
    pub daigou_share: f64,
    pub daigou_orders_per_day: Range,
    pub heavy_topup_share: f64,
    pub heavy_topup_per_day: Range,
    pub night_worker_share: f64,
}

/// Crypto actors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, reason = "documented in config/default.toml")]
pub struct Crypto {
    pub otc_operators_per_100k: f64,
    pub exchange_agents_per_100k: f64,
    pub scams_per_100k: f64,
    pub buyer_share: f64,
    pub usdt_cny: f64,
    pub usdt_daily_vol: f64,
    pub otc_spread: [f64; 2],
    pub usdt_quantities: Vec<u32>,
    pub round_cny_sums: Vec<u32>,
    pub round_cny_share: f64,
    pub otc_accounts: Range,
    pub otc_trades_per_account_day: Range,
    pub otc_buy_side_share: f64,
    pub mules_per_operator: Range,
    pub agent_deposits_per_day: Range,
    pub scam_collectors: Range,
    pub scam_victims: Range,
    pub scam_amount: [f64; 2],
    pub repeat_buyer_share: f64,
}

/// Per evasion level (index 0..=3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, reason = "documented in config/default.toml")]
pub struct Evasion {
    pub crypto_memo_share: [f64; 4],
    pub benign_memo_share: [f64; 4],
    pub amount_jitter: [f64; 4],
    pub split_share: [f64; 4],
    pub daytime_share: [f64; 4],
    pub pass_through_minutes: [Range; 4],
    pub rotation_days: [Range; 4],
    pub named_agent_share: [f64; 4],
    pub camouflage_per_day: [f64; 4],
    pub social_buyer_share: [f64; 4],
}

/// Output shaping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, reason = "documented in config/default.toml")]
pub struct Output {
    pub late_share: f64,
    pub late_max_secs: u32,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, reason = "documented in config/default.toml")]
pub struct SimConfig {
    pub population: Population,
    pub social: Social,
    pub activity: Activity,
    pub lookalikes: Lookalikes,
    pub crypto: Crypto,
    pub evasion: Evasion,
    pub output: Output,
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

impl SimConfig {
    /// The defaults.
    pub fn default_config() -> Result<Self, ConfigError> {
        Self::from_toml_over_default("")
    }

    /// `text` (TOML, possibly partial) merged over the defaults. `text` must only use keys
    /// the default has.
    pub fn from_toml_over_default(text: &str) -> Result<Self, ConfigError> {
        let mut base: toml::Table =
            DEFAULT_TOML.parse().map_err(|e: toml::de::Error| ConfigError::Toml(e.to_string()))?;
        let over: toml::Table =
            text.parse().map_err(|e: toml::de::Error| ConfigError::Toml(e.to_string()))?;
        check_known(&base, &over, "")?;
        merge(&mut base, over);
        let cfg: SimConfig =
            base.try_into().map_err(|e: toml::de::Error| ConfigError::Toml(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let share = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(ConfigError::Invalid(format!("{name} = {v} is not in 0..1")))
            }
        };
        share("population.merchant_share", self.population.merchant_share)?;
        share("population.enterprise_share", self.population.enterprise_share)?;
        if self.population.merchant_share + self.population.enterprise_share >= 0.5 {
            return Err(ConfigError::Invalid(
                "merchants and enterprises must be under half the population".into(),
            ));
        }
        let kyc: f64 = self.population.kyc_shares.iter().sum();
        if (kyc - 1.0).abs() > 1e-6 {
            return Err(ConfigError::Invalid(format!("population.kyc_shares sum to {kyc}, not 1")));
        }
        if self.population.cities == 0 {
            return Err(ConfigError::Invalid("population.cities must be at least 1".into()));
        }
        for (name, r) in [
            ("social.family_size", self.social.family_size),
            ("social.circles_per_person", self.social.circles_per_person),
            ("social.circle_size", self.social.circle_size),
            ("social.tenants_per_landlord", self.social.tenants_per_landlord),
            ("activity.group_red_packet_grabbers", self.activity.group_red_packet_grabbers),
            ("activity.bill_split_friends", self.activity.bill_split_friends),
            ("crypto.otc_accounts", self.crypto.otc_accounts),
            ("crypto.otc_trades_per_account_day", self.crypto.otc_trades_per_account_day),
            ("crypto.mules_per_operator", self.crypto.mules_per_operator),
            ("crypto.agent_deposits_per_day", self.crypto.agent_deposits_per_day),
            ("crypto.scam_collectors", self.crypto.scam_collectors),
            ("crypto.scam_victims", self.crypto.scam_victims),
        ] {
            if r[0] > r[1] || r[1] == 0 {
                return Err(ConfigError::Invalid(format!(
                    "{name} = {r:?} must be [lo, hi] with lo <= hi and hi > 0"
                )));
            }
        }
        if self.activity.salary_days.is_empty()
            || self.activity.salary_days.iter().any(|d| !(1..=28).contains(d))
        {
            return Err(ConfigError::Invalid("activity.salary_days must be days 1-28".into()));
        }
        if self.activity.rents.is_empty()
            || self.crypto.usdt_quantities.is_empty()
            || self.crypto.round_cny_sums.is_empty()
        {
            return Err(ConfigError::Invalid(
                "rents, usdt_quantities and round_cny_sums must not be empty".into(),
            ));
        }
        if self.activity.diurnal.iter().chain(&self.activity.weekly).any(|w| *w < 0.0) {
            return Err(ConfigError::Invalid("diurnal and weekly weights must not be negative".into()));
        }
        Ok(())
    }
}

fn check_known(base: &toml::Table, over: &toml::Table, path: &str) -> Result<(), ConfigError> {
    for (k, v) in over {
        let full = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        match (base.get(k), v) {
            (None, _) => return Err(ConfigError::Toml(format!("unknown key `{full}`"))),
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => check_known(b, o, &full)?,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_parses_and_user_keys_override() {
        let d = SimConfig::default_config().unwrap();
        assert_eq!(d.crypto.usdt_cny, 7.20);
        let c = SimConfig::from_toml_over_default("[crypto]\nusdt_cny = 7.3\n").unwrap();
        assert_eq!(c.crypto.usdt_cny, 7.3);
        assert_eq!(c.crypto.buyer_share, d.crypto.buyer_share);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let e = SimConfig::from_toml_over_default("[crypto]\nusdt_cnyy = 7.3\n").unwrap_err();
        assert_eq!(e.to_string(), "unknown key `crypto.usdt_cnyy`");
        let e = SimConfig::from_toml_over_default("[social]\ncircle_size = [9, 3]\n").unwrap_err();
        assert!(e.to_string().contains("social.circle_size"), "{e}");
        assert!(SimConfig::from_toml_over_default("[population]\nkyc_shares = [1, 1, 0, 0]\n").is_err());
    }
}
