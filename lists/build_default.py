#!/usr/bin/env python3
"""Builds lists/default.csv, the list store the demo and the default policy run on, from the
reference data in ../shared/data (sources and licences in its README). Re-run after the
reference data changes: `python3 lists/build_default.py`. Full sanctions lists come from
`sluice lists import` (the screening crate); this file carries only the entries the default
policy's examples need."""
import csv, io, os, re, sys

HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "data")
rows = []

def add(lst, kind, entry, frm="", until="", jur="", source="", note=""):
    rows.append([lst, kind, entry, frm, until, jur, source, note])

# Exchanges: names (English and the Chinese trade names) and website hosts, from the ccxt list
# the simulator also uses.
with open(os.path.join(HERE, "..", "crates", "sim", "data", "exchanges.csv"), encoding="utf-8") as f:
    lines = [l for l in f if not l.startswith("#")]
for r in csv.DictReader(io.StringIO("".join(lines))):
    src = "ccxt 4.5.90 exchange list"
    add("exchanges", "name", r["name"], source=src)
    if r.get("name_zh"):
        add("exchanges", "name", r["name_zh"], source=src)
    # ccxt carries a few URL templates ("{hostname}") where a host should be: skip them.
    if r.get("host") and HOST.match(r["host"]):
        add("exchanges", "host", r["host"], source=src)

# Crypto wallet addresses on the OFAC SDN list.
with open(os.path.join(SHARED, "lists", "ofac_crypto_addresses_2025-11-19.csv"), encoding="utf-8") as f:
    for r in csv.DictReader(f):
        add("crypto_addresses", "address", r["address"], source="OFAC SDN 2025-11-19", note=r["currency"])

# Sanctioned crypto exchanges / OTC desks named on the OFAC SDN list (advanced XML, 2025-11-19).
for name in ["Garantex", "GARANTEX EUROPE OU", "Grinex", "SUEX OTC, S.R.O.", "CHATEX", "Cryptex"]:
    add("sanctions", "name", name, source="OFAC SDN 2025-11-19")

# Executive Order 13971 (signed 2021-01-05, effective 45 days later, 2021-02-19; revoked by
# EO 14034 on 2021-06-09): transactions by US persons with eight Chinese apps. The example of a
# jurisdiction- and date-bound ban: it must not fire before 2021-02-19 nor for non-US payers.
eo = dict(frm="2021-02-19", until="2021-06-09", jur="US", source="EO 13971 (2021-01-05)")
for name, host in [("Alipay", "alipay.com"), ("CamScanner", "camscanner.com"), ("QQ Wallet", "qpay.qq.com"),
                   ("SHAREit", "ushareit.com"), ("Tencent QQ", "im.qq.com"), ("VMate", "vmate.com"),
                   ("WeChat Pay", "pay.weixin.qq.com"), ("WPS Office", "wps.com")]:
    add("banned_apps", "name", name, eo["frm"], eo["until"], eo["jur"], eo["source"])
    add("banned_apps", "host", host, eo["frm"], eo["until"], eo["jur"], eo["source"])

# "Blockchain project" fundraising schemes reported by Chinese authorities and the press.
for name in ["PlusToken", "WoToken", "OneCoin", "BitConnect", "Forsage", "MMM Global"]:
    add("ico_projects", "name", name, source="public enforcement reports")

w = csv.writer(open(os.path.join(HERE, "default.csv"), "w", encoding="utf-8", newline=""), lineterminator="\n")
w.writerow(["list", "kind", "entry", "effective_from", "effective_until", "jurisdictions", "source", "note"])
w.writerows(rows)
print(f"{len(rows)} entries", file=sys.stderr)
