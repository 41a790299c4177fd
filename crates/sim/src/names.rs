//! Names and memos. Account names are derived from the account index and the seed when the
//! accounts file is written, so they cost no memory while the world runs.

use crate::rng::mix;
use std::sync::LazyLock;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "欧阳",
    "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀英", "霞", "平", "刚", "桂英", "华", "建华", "建国", "志强", "晓明", "婷", "雪", "浩", "宇", "欣怡",
    "子涵", "梓萱", "一诺", "思远", "嘉怡", "俊杰", "文", "斌", "亮", "鹏", "飞", "红", "玲", "琳", "颖",
    "晨", "阳", "佳",
];
const CITIES: &[&str] = &[
    "上海",
    "北京",
    "深圳",
    "广州",
    "成都",
    "重庆",
    "杭州",
    "武汉",
    "西安",
    "苏州",
    "天津",
    "南京",
    "长沙",
    "郑州",
    "东莞",
    "青岛",
    "沈阳",
    "宁波",
    "昆明",
    "合肥",
    "佛山",
    "福州",
    "无锡",
    "厦门",
    "济南",
    "大连",
    "哈尔滨",
    "温州",
    "南宁",
    "长春",
    "泉州",
    "石家庄",
    "贵阳",
    "南昌",
    "太原",
    "烟台",
    "嘉兴",
    "南通",
    "金华",
    "珠海",
];
const SHOP_WORDS: [&[&str]; 11] = [
    &["面馆", "小吃", "火锅", "饺子馆", "烧烤", "川菜馆", "茶餐厅", "米粉店", "快餐"],
    &["超市", "生鲜超市", "购物广场", "菜市场"],
    &["便利店", "水果店", "烟酒店", "小卖部"],
    &["服饰", "鞋店", "女装店", "童装"],
    &["出租车", "代驾服务", "客运"],
    &["燃气", "水务", "物业服务"],
    &["旗舰店", "网店", "优选", "商城"],
    &["大药房", "药店", "诊所"],
    &["影城", "KTV", "健身房", "网吧"],
    &["教育", "培训中心", "书院", "艺术学校"],
    &["网络科技", "信息服务", "软件工作室", "数码"],
];
const FIRM_WORDS: &[&str] =
    &["科技", "贸易", "信息技术", "网络科技", "商贸", "实业", "电子商务", "咨询", "供应链", "文化传媒"];
const FIRM_PREFIX: &[&str] =
    &["恒", "鑫", "华", "瑞", "泰", "宏", "盛", "达", "远", "联", "创", "新", "智", "博", "信", "海"];
const SCAM_OPEN: &[&str] = &["区块链", "数字资产", "矿机", "元宇宙", "链上", "挖矿", "币圈"];
const SCAM_HIDDEN: &[&str] = &["生态农业", "健康科技", "养老服务", "新能源", "文旅发展", "数字科技"];

/// A crypto exchange: name, Chinese trade name (may be empty), website host.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// English name.
    pub name: String,
    /// Chinese trade name, if widely used.
    pub name_zh: String,
    /// Website host.
    pub host: String,
}

/// The exchange table (`data/exchanges.csv`, derived from ccxt).
pub fn exchanges() -> &'static [Exchange] {
    static TABLE: LazyLock<Vec<Exchange>> = LazyLock::new(|| {
        include_str!("../data/exchanges.csv")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f.len() == 4).then(|| Exchange {
                    name: f[1].to_string(),
                    name_zh: f[2].to_string(),
                    host: f[3].to_string(),
                })
            })
            .collect()
    });
    &TABLE
}

fn pick<'a>(list: &'a [&'a str], h: u64) -> &'a str {
    list.get((h % list.len().max(1) as u64) as usize).copied().unwrap_or("")
}

/// City name for a city index.
pub fn city(c: u16) -> &'static str {
    CITIES.get(usize::from(c) % CITIES.len()).copied().unwrap_or("上海")
}

/// A person's display name.
pub fn person(seed: u64, idx: u32) -> String {
    let h = mix(seed ^ u64::from(idx).wrapping_mul(0x9E37));
    if h.is_multiple_of(23) {
        // Some users show a Latin nickname.
        let nick = ["Lily", "Kevin", "Amy", "Jason", "小鱼", "Momo", "阿杰", "Coco", "Tony", "Vicky"];
        return format!("{}{}", pick(&nick, h >> 8), (h >> 20) % 100);
    }
    let given = if (h >> 40).is_multiple_of(3) {
        pick(GIVEN, h >> 8).to_string()
    } else {
        format!("{}{}", pick(GIVEN, h >> 8), pick(GIVEN, h >> 24))
    };
    format!("{}{}", pick(SURNAMES, h >> 32), given)
}

/// A merchant's registered name.
pub fn merchant(seed: u64, idx: u32, city_idx: u16, category: u8) -> String {
    let h = mix(seed ^ 0x3E ^ u64::from(idx).wrapping_mul(0x9E37));
    let words = SHOP_WORDS.get(usize::from(category)).copied().unwrap_or(SHOP_WORDS[0]);
    let owner = pick(SURNAMES, h);
    match h % 3 {
        0 => format!("{}{}记{}", city(city_idx), owner, pick(words, h >> 8)),
        1 => format!("{}{}", pick(FIRM_PREFIX, h >> 16), pick(words, h >> 8)),
        _ => format!("{}{}{}", owner, pick(FIRM_PREFIX, h >> 24), pick(words, h >> 8)),
    }
}

/// An enterprise's (or a disguised front's) registered name.
pub fn company(seed: u64, idx: u32, city_idx: u16) -> String {
    let h = mix(seed ^ 0xC0 ^ u64::from(idx).wrapping_mul(0x9E37));
    format!(
        "{}{}{}{}有限公司",
        city(city_idx),
        pick(FIRM_PREFIX, h),
        pick(FIRM_PREFIX, h >> 8),
        pick(FIRM_WORDS, h >> 16)
    )
}

/// A scam project's collecting name: openly crypto at low evasion, disguised above.
pub fn scam(seed: u64, idx: u32, city_idx: u16, open: bool) -> String {
    let h = mix(seed ^ 0x5C ^ u64::from(idx));
    let word = if open { pick(SCAM_OPEN, h) } else { pick(SCAM_HIDDEN, h) };
    format!("{}{}{}{}有限公司", city(city_idx), pick(FIRM_PREFIX, h >> 8), pick(FIRM_PREFIX, h >> 16), word)
}

/// Memo groups; index 0 of the catalogue is "no memo".
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MemoGroup {
    /// Everyday transfers.
    Everyday,
    /// Red packets.
    RedPacket,
    /// OTC trades, naming the coin.
    Otc,
    /// Exchange deposits.
    Deposit,
    /// Scam investments.
    Scam,
    /// Disguises that sound like trade or debts.
    Benign,
    /// Group buys.
    GroupBuy,
    /// Purchasing agents.
    Daigou,
    /// Salaries.
    Salary,
}

const GROUPS: &[(MemoGroup, &[&str])] = &[
    (
        MemoGroup::Everyday,
        &[
            "饭钱",
            "还款",
            "谢谢",
            "车费",
            "AA",
            "生日快乐",
            "买菜钱",
            "借款",
            "电费",
            "话费",
            "给妈的",
            "学费",
            "份子钱",
            "奶茶",
            "👍",
            "🍜",
            "ok",
        ],
    ),
    (
        MemoGroup::RedPacket,
        &["恭喜发财", "大吉大利", "新年快乐", "🧧", "生日快乐🎂", "辛苦了", "520", "么么哒"],
    ),
    (
        MemoGroup::Otc,
        &[
            "USDT",
            "u",
            "买U",
            "出U",
            "收U",
            "泰达币",
            "BTC",
            "比特币",
            "币",
            "USDT 500",
            "换u",
            "trc20",
            "U商",
            "承兑",
        ],
    ),
    (
        MemoGroup::Deposit,
        &["充值", "入金", "USDT充值", "币安充值", "火币入金", "OKX充值", "交易所充值", "合约保证金"],
    ),
    (
        MemoGroup::Scam,
        &[
            "矿机款",
            "ICO认购",
            "区块链项目投资",
            "数字资产认购",
            "挖矿投资",
            "节点认购",
            "私募份额",
            "币圈项目",
        ],
    ),
    (
        MemoGroup::Benign,
        &["货款", "还款", "饭钱", "服务费", "借款", "往来款", "材料费", "会员费", "咨询费", "运费"],
    ),
    (MemoGroup::GroupBuy, &["接龙", "团购 1份", "团购 2份", "团购", "水果团", "拼单"]),
    (MemoGroup::Daigou, &["代购", "代购 面霜", "奶粉", "包包尾款", "定金", "手表"]),
    (MemoGroup::Salary, &["工资", "绩效", "奖金", "报销"]),
];

/// The memo catalogue: every memo the simulator writes, by index (0 = none).
pub struct Memos {
    texts: Vec<String>,
    groups: Vec<(MemoGroup, u16, u16)>,
    rent: u16,
}

impl Memos {
    /// Builds the catalogue, including month-specific rent memos.
    pub fn new() -> Self {
        let mut texts = vec![String::new()];
        let mut groups = Vec::new();
        for (g, list) in GROUPS {
            let a = texts.len() as u16;
            texts.extend(list.iter().map(|s| s.to_string()));
            groups.push((*g, a, texts.len() as u16));
        }
        let rent = texts.len() as u16;
        texts.extend((1..=12).map(|m| format!("{m}月房租")));
        Memos { texts, groups, rent }
    }

    /// The text of memo `i` (`None` for 0).
    pub fn text(&self, i: u16) -> Option<&str> {
        if i == 0 { None } else { self.texts.get(usize::from(i)).map(String::as_str) }
    }

    /// A memo of `group`, chosen by `h`.
    pub fn of(&self, group: MemoGroup, h: u64) -> u16 {
        let Some(&(_, a, b)) = self.groups.iter().find(|g| g.0 == group) else { return 0 };
        a + (h % u64::from((b - a).max(1))) as u16
    }

    /// The rent memo for month `m` (1-12).
    pub fn rent(&self, m: u8) -> u16 {
        self.rent + u16::from(m.clamp(1, 12)) - 1
    }

    /// Whether memo `i` belongs to `group`.
    pub fn is(&self, i: u16, group: MemoGroup) -> bool {
        self.groups.iter().any(|&(g, a, b)| g == group && (a..b).contains(&i))
    }
}

impl Default for Memos {
    fn default() -> Self {
        Self::new()
    }
}
