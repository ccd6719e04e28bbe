//! Names of the generated city's units (星河市, a city that does not exist): districts, a
//! county at the edge with towns and villages, streets, communities and grids. Built from
//! word lists in a fixed order, so a unit's name follows from its place in the tree.

pub const CITY: &str = "星河市";

const DISTRICTS: [&str; 16] = [
    "江北", "江南", "高新", "城东", "城西", "滨湖", "云台", "龙湾", "凤岭", "金沙", "望海", "青山",
    "松林", "白鹭", "翠屏", "长乐",
];
const COUNTIES: [&str; 4] = ["临湖", "清溪", "柳河", "桂阳"];

const STREETS: [&str; 40] = [
    "新华",
    "人民路",
    "解放",
    "滨江",
    "东湖",
    "南门",
    "科技园",
    "创业",
    "软件园",
    "文化",
    "和平",
    "建设",
    "中山",
    "光明",
    "育才",
    "兴业",
    "民主",
    "胜利",
    "红旗",
    "朝阳",
    "向阳",
    "团结",
    "友谊",
    "长江路",
    "黄河路",
    "湖滨",
    "西湖",
    "北山",
    "南湖",
    "东风",
    "幸福",
    "金桥",
    "花园",
    "青年",
    "工业园",
    "商贸城",
    "城关",
    "江滨",
    "望江",
    "体育场",
];
/// Streets past the first forty take a road's side: 新华东路街道.
const STREET_SIDES: [&str; 6] = ["", "东路", "西路", "南路", "北路", "中路"];
const TOWNS: [&str; 16] = [
    "临湖", "白沙", "青山", "石桥", "柳湾", "桃源", "金鸡", "龙潭", "凤凰", "马鞍", "黄岭", "双河",
    "清泉", "古城", "梅岭", "三江",
];

const COMMUNITIES: [&str; 60] = [
    "幸福里",
    "和平",
    "阳光",
    "翠园",
    "锦绣",
    "春晓",
    "枫林",
    "桂花",
    "金桥",
    "龙泉",
    "望江",
    "滨湖",
    "东苑",
    "南湖",
    "书香",
    "花园",
    "长青",
    "明珠",
    "科苑",
    "创新",
    "未来",
    "星光",
    "智谷",
    "云栖",
    "数码",
    "启明",
    "银河",
    "绿洲",
    "碧水",
    "嘉园",
    "康乐",
    "安居",
    "景秀",
    "紫荆",
    "玉兰",
    "丁香",
    "海棠",
    "红枫",
    "怡景",
    "丽都",
    "华府",
    "御景",
    "名苑",
    "泰和",
    "瑞祥",
    "福苑",
    "文苑",
    "学府",
    "金色",
    "丽水",
    "清风",
    "朝晖",
    "晨曦",
    "东方",
    "新城",
    "世纪",
    "盛世",
    "和谐",
    "融城",
    "秀水",
];
/// Communities past the first sixty take a part of town: 幸福里东社区.
const COMMUNITY_PARTS: [&str; 12] = [
    "", "东", "西", "南", "北", "中", "新", "一", "二", "三", "四", "五",
];
const VILLAGES: [&str; 24] = [
    "湖畔", "丰收", "柳湾", "白沙", "石桥", "青山", "竹林", "梨园", "茶山", "杏花", "桃园", "稻香",
    "枣林", "大河", "小河", "东岗", "西岗", "南坡", "北坡", "上营", "下营", "高庄", "李家", "王家",
];

const NUMERALS: [&str; 20] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四",
    "十五", "十六", "十七", "十八", "十九", "二十",
];

/// `word` from a list, or the word with a number once the list has been used up.
fn pick(words: &[&str], n: usize) -> String {
    let word = words[n % words.len()];
    match n / words.len() {
        0 => word.to_owned(),
        round => format!("{word}{}", round + 1),
    }
}

/// The `n`th urban district (from 0).
pub fn district(n: usize) -> String {
    format!("{}区", pick(&DISTRICTS, n))
}

/// The `n`th county (from 0).
pub fn county(n: usize) -> String {
    format!("{}县", pick(&COUNTIES, n))
}

/// The `n`th street office of the city, or the `n`th town of a county.
pub fn street(n: usize, in_county: bool) -> String {
    if in_county {
        return format!("{}镇", pick(&TOWNS, n));
    }
    let side = STREET_SIDES[(n / STREETS.len()) % STREET_SIDES.len()];
    let round = n / (STREETS.len() * STREET_SIDES.len());
    let number = if round == 0 {
        String::new()
    } else {
        (round + 1).to_string()
    };
    format!("{}{side}{number}街道", STREETS[n % STREETS.len()])
}

/// The `n`th community of the city, or the `n`th village of a county.
pub fn community(n: usize, in_county: bool) -> String {
    if in_county {
        return format!("{}村", pick(&VILLAGES, n));
    }
    let part = COMMUNITY_PARTS[(n / COMMUNITIES.len()) % COMMUNITY_PARTS.len()];
    let round = n / (COMMUNITIES.len() * COMMUNITY_PARTS.len());
    let number = if round == 0 {
        String::new()
    } else {
        (round + 1).to_string()
    };
    format!("{}{part}{number}社区", COMMUNITIES[n % COMMUNITIES.len()])
}

/// The `n`th grid of a community (from 0): 第一网格.
pub fn grid(n: usize) -> String {
    match NUMERALS.get(n) {
        Some(numeral) => format!("第{numeral}网格"),
        None => format!("第{}网格", n + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_units_have_plain_names_and_later_ones_stay_distinct() {
        assert_eq!(district(0), "江北区");
        assert_eq!(district(16), "江北2区");
        assert_eq!(county(0), "临湖县");
        assert_eq!(street(0, false), "新华街道");
        assert_eq!(street(40, false), "新华东路街道");
        assert_eq!(community(0, false), "幸福里社区");
        assert_eq!(community(60, false), "幸福里东社区");
        assert_eq!(community(0, true), "湖畔村");
        assert_eq!(grid(0), "第一网格");
        assert_eq!(grid(24), "第25网格");
        let names: std::collections::HashSet<_> = (0..2000).map(|n| community(n, false)).collect();
        assert_eq!(names.len(), 2000);
        let names: std::collections::HashSet<_> = (0..1000).map(|n| street(n, false)).collect();
        assert_eq!(names.len(), 1000);
    }
}
