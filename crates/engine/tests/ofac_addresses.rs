//! Real sanctioned addresses are recognised in memos, whatever surrounds them.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code")]

use sluice_engine::lists::{AddressKind, scan_memo};

/// A sample of OFAC SDN crypto addresses (US public domain; list of 2025-11-19).
const SAMPLE: &str = include_str!("data/ofac_address_sample.csv");

#[test]
fn sanctioned_addresses_are_recognised() {
    let mut n = 0;
    for line in SAMPLE.lines().skip(1) {
        let (cur, addr) = line.split_once(',').unwrap();
        let expected = match cur {
            "XBT" => vec![AddressKind::BtcBase58, AddressKind::BtcBech32],
            "ETH" | "USDC" => vec![AddressKind::Eth],
            "USDT" | "TRX" if addr.starts_with('T') => vec![AddressKind::Tron],
            // USDT also lives on Bitcoin (Omni layer) and Ethereum.
            "USDT" if addr.starts_with("0x") => vec![AddressKind::Eth],
            "USDT" => vec![AddressKind::BtcBase58],
            _ => continue,
        };
        let memo = format!("请转到{addr}谢谢");
        let refs = scan_memo(&memo);
        assert_eq!(refs.addresses.len(), 1, "{cur} {addr} not found in {memo:?}");
        assert!(expected.contains(&refs.addresses[0].0), "{cur} {addr}: {:?}", refs.addresses[0].0);
        assert_eq!(refs.addresses[0].1, addr);
        n += 1;
    }
    assert!(n >= 30, "only {n} sample addresses checked");
}
