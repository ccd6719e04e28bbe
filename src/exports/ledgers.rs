//! The ledgers (台账): which list each one is, and its columns with their Chinese headers.
//!
//! A ledger is not a second copy of a list: it names a list query and the fields of its
//! rows, and the rows come from that query, as the principal would get them in GraphQL
//! (same scope, masks, pseudonymization, audit). A column whose field the principal may not
//! see (`access::policy::may_see`, the rule that hides it from the principal's schema) is left
//! out of the sheet, as it is out of the principal's schema.

/// How a ledger's query answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A Relay connection, paged by its keyset cursor (`first`/`after`).
    Connection,
    /// One object, one row.
    Single,
    /// One object a day (its query takes `date`), one row a day from `from` to `to`
    /// (today, both, when not given).
    Days,
}

/// An argument of the list query, taken from the export URL's query string.
#[derive(Debug, Clone, Copy)]
pub struct Arg {
    /// Its name, in the URL and in the query.
    pub name: &'static str,
    /// Its GraphQL type (nullable: every argument may be left out).
    pub ty: &'static str,
    /// The value is JSON (an input object), not a plain string.
    pub json: bool,
    /// The first or last day of a [`Shape::Days`] ledger: the export's, not its query's.
    pub day_range: bool,
}

/// A column: its header, and the field of the row it shows (dotted through nested objects).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub path: &'static str,
}

/// A list that can be downloaded.
#[derive(Debug)]
pub struct Ledger {
    /// The name in the URL: `/exports/{name}.csv`.
    pub name: &'static str,
    /// The sheet's title (and the file's name).
    pub title: &'static str,
    /// The query field that answers it.
    pub field: &'static str,
    /// The type of its rows.
    pub node: &'static str,
    pub shape: Shape,
    pub args: &'static [Arg],
    pub columns: &'static [Column],
}

const fn col(header: &'static str, path: &'static str) -> Column {
    Column { header, path }
}

const fn filter(ty: &'static str) -> Arg {
    Arg {
        name: "filter",
        ty,
        json: true,
        day_range: false,
    }
}

const ORG_UNIT: Arg = Arg {
    name: "orgUnit",
    ty: "String",
    json: false,
    day_range: false,
};

const DATE: Arg = Arg {
    name: "date",
    ty: "NaiveDate",
    json: false,
    day_range: false,
};

/// The longest series of days one download holds.
pub const MAX_DAYS: i64 = 366;

const FROM: Arg = Arg {
    name: "from",
    ty: "NaiveDate",
    json: false,
    day_range: true,
};

const TO: Arg = Arg {
    name: "to",
    ty: "NaiveDate",
    json: false,
    day_range: true,
};

/// The person columns every ledger about persons starts with.
macro_rules! person_columns {
    ($prefix:literal) => {
        [
            col("人员编号", concat!($prefix, "id")),
            col("姓名", concat!($prefix, "name")),
            col("性别", concat!($prefix, "sex")),
            col("出生年份", concat!($prefix, "birthYear")),
            col("证件号码", concat!($prefix, "documentNumber")),
            col("手机", concat!($prefix, "phone")),
            col("住址", concat!($prefix, "address")),
            col("网格", concat!($prefix, "residence.name")),
        ]
    };
}

const PERSON_OF_ROW: [Column; 8] = person_columns!("person.");

/// `[a, b] ++ [c, d]` for column arrays, at compile time.
const fn join<const A: usize, const B: usize, const N: usize>(
    a: [Column; A],
    b: [Column; B],
) -> [Column; N] {
    let mut out = [col("", ""); N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < B {
        out[A + j] = b[j];
        j += 1;
    }
    out
}

const PERSONS: [Column; 17] = [
    col("人员编号", "id"),
    col("姓名", "name"),
    col("性别", "sex"),
    col("出生年份", "birthYear"),
    col("出生日期", "birthDate"),
    col("证件类型", "documentType"),
    col("证件号码", "documentNumber"),
    col("手机", "phone"),
    col("住址", "address"),
    col("网格", "residence.name"),
    col("网格编码", "residence.code"),
    col("困难群体标记", "vulnerabilities"),
    col("困难情况说明", "vulnerabilityNote"),
    col("登记机构", "createdByAgency"),
    col("版本", "version"),
    col("登记时间", "createdAt"),
    col("更新时间", "updatedAt"),
];

const QUARANTINES: [Column; 22] = join(
    [col("观察编号", "id")],
    join::<8, 13, 21>(
        PERSON_OF_ROW,
        [
            col("观察方式", "kind"),
            col("隔离点", "site"),
            col("观察原因", "reason"),
            col("原因说明", "reasonNote"),
            col("开始日期", "startDate"),
            col("计划解除日期", "plannedEndDate"),
            col("观察中", "active"),
            col("结束时间", "endedAt"),
            col("结束方式", "outcome"),
            col("解除通知书编号", "releaseNoticeNo"),
            col("生活需求", "needs"),
            col("决定单位", "orderedBy.name"),
            col("版本", "version"),
        ],
    ),
);

const FOLLOW_UPS: [Column; 13] = join(
    PERSON_OF_ROW,
    [
        col("观察编号", "quarantine.id"),
        col("观察方式", "quarantine.kind"),
        col("计划解除日期", "quarantine.plannedEndDate"),
        col("今日已测次数", "checksRecorded"),
        col("今日缺测次数", "checksMissing"),
    ],
);

const CASES: [Column; 19] = join(
    [col("病例编号", "id")],
    join::<8, 10, 18>(
        PERSON_OF_ROW,
        [
            col("病例分类", "classification"),
            col("转归", "outcome"),
            col("未结案", "open"),
            col("报告时间", "reportedAt"),
            col("报告单位", "reportingUnit.name"),
            col("结案时间", "closedAt"),
            col("临床分型", "severity"),
            col("发病日期", "onsetDate"),
            col("定点医院", "designatedHospital"),
            col("版本", "version"),
        ],
    ),
);

const CONTACTS: [Column; 20] = join(
    [
        col("密接编号", "id"),
        col("关联病例编号", "sourceCase.id"),
        col("关联病例姓名", "sourceCase.person.name"),
    ],
    join::<8, 9, 17>(
        PERSON_OF_ROW,
        [
            col("接触关系", "relation"),
            col("末次接触日期", "lastExposureDate"),
            col("随访截止日期", "followUpEndDate"),
            col("状态", "status"),
            col("随访中", "underFollowUp"),
            col("转为病例编号", "convertedCase.id"),
            col("追踪单位", "tracedBy.name"),
            col("备注", "notes"),
            col("版本", "version"),
        ],
    ),
);

const CHECKPOINT_ENTRIES: [Column; 18] = [
    col("登记编号", "id"),
    col("卡口", "checkpointName"),
    col("方向", "direction"),
    col("通过时间", "passedAt"),
    col("人员编号", "person.id"),
    col("姓名", "person.name"),
    col("证件号码", "person.documentNumber"),
    col("旅客姓名", "traveller.name"),
    col("旅客手机", "traveller.phone"),
    col("旅客证件号码", "traveller.documentNumber"),
    col("车牌", "vehiclePlate"),
    col("来自", "fromPlace"),
    col("来自风险地区", "fromRiskArea"),
    col("目的地", "destination.name"),
    col("体温", "temperature"),
    col("发热", "fever"),
    col("登记人", "recordedBy"),
    col("登记机构", "recordedByAgency"),
];

const TASKS: [Column; 24] = join(
    [col("任务编号", "id"), col("任务类型", "kind")],
    join::<8, 14, 22>(
        PERSON_OF_ROW,
        [
            col("发起机构", "fromAgency"),
            col("发起单位", "fromUnit.name"),
            col("接收机构", "toAgency"),
            col("接收单位", "toUnit.name"),
            col("优先级", "priority"),
            col("状态", "status"),
            col("期限", "dueAt"),
            col("逾期", "overdue"),
            col("说明", "note"),
            col("办理结果", "outcomeNote"),
            col("接受时间", "acceptedAt"),
            col("办结时间", "closedAt"),
            col("版本", "version"),
            col("创建时间", "createdAt"),
        ],
    ),
);

const DAILY_FIGURES: [Column; 22] = [
    col("单位", "orgUnit.name"),
    col("单位编码", "orgUnit.code"),
    col("日期", "date"),
    col("新增疑似", "figures.newCases.suspected"),
    col("新增确诊", "figures.newCases.confirmed"),
    col("新增无症状", "figures.newCases.asymptomatic"),
    col("新增排除", "figures.newCases.excluded"),
    col("新增病例合计", "figures.newCases.total"),
    col("新增密接", "figures.newContacts"),
    col("在观察", "figures.activeQuarantines"),
    col("新增观察", "figures.quarantinesStarted"),
    col("解除观察", "figures.quarantinesEnded"),
    col("应测次数", "figures.checksDue"),
    col("已测次数", "figures.checksRecorded"),
    col("缺测次数", "figures.checksMissed"),
    col("发热", "figures.fevers"),
    col("卡口到达", "figures.checkpointArrivals"),
    col("来自风险地区", "figures.riskAreaArrivals"),
    col("新增任务", "figures.tasksOpened"),
    col("办结任务", "figures.tasksClosed"),
    col("未办结任务", "figures.openTasks"),
    col("社区确认时间", "confirmation.confirmedAt"),
];

/// Every ledger, in the order the README lists them.
pub const LEDGERS: &[Ledger] = &[
    Ledger {
        name: "persons",
        title: "人员台账",
        field: "persons",
        node: "Person",
        shape: Shape::Connection,
        args: &[filter("PersonFilter")],
        columns: &PERSONS,
    },
    Ledger {
        name: "quarantines",
        title: "医学观察台账",
        field: "quarantines",
        node: "Quarantine",
        shape: Shape::Connection,
        args: &[filter("QuarantineFilter")],
        columns: &QUARANTINES,
    },
    Ledger {
        name: "follow-ups",
        title: "今日随访",
        field: "followUpsDue",
        node: "FollowUp",
        shape: Shape::Connection,
        args: &[DATE, ORG_UNIT],
        columns: &FOLLOW_UPS,
    },
    Ledger {
        name: "cases",
        title: "病例台账",
        field: "cases",
        node: "Case",
        shape: Shape::Connection,
        args: &[filter("CaseFilter")],
        columns: &CASES,
    },
    Ledger {
        name: "contacts",
        title: "密切接触者台账",
        field: "contacts",
        node: "Contact",
        shape: Shape::Connection,
        args: &[filter("ContactFilter")],
        columns: &CONTACTS,
    },
    Ledger {
        name: "checkpoint-entries",
        title: "卡口登记台账",
        field: "checkpointEntries",
        node: "CheckpointEntry",
        shape: Shape::Connection,
        args: &[filter("CheckpointEntryFilter")],
        columns: &CHECKPOINT_ENTRIES,
    },
    Ledger {
        name: "tasks",
        title: "任务台账",
        field: "tasks",
        node: "Task",
        shape: Shape::Connection,
        args: &[filter("TaskFilter")],
        columns: &TASKS,
    },
    Ledger {
        name: "daily-figures",
        title: "每日数据",
        field: "dailyReport",
        node: "DailyReport",
        shape: Shape::Days,
        args: &[ORG_UNIT, FROM, TO],
        columns: &DAILY_FIGURES,
    },
];

/// The ledger of this name.
pub fn find(name: &str) -> Option<&'static Ledger> {
    LEDGERS.iter().find(|ledger| ledger.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_names_a_field_of_the_schema() {
        let types = crate::exports::query::field_types();
        for ledger in LEDGERS {
            let answer = match ledger.shape {
                Shape::Connection => format!("{}Connection", ledger.node),
                Shape::Single | Shape::Days => ledger.node.to_owned(),
            };
            assert_eq!(
                types.get(&format!("Query.{}", ledger.field)),
                Some(&answer),
                "{}",
                ledger.name
            );
            for column in ledger.columns {
                let mut ty = ledger.node.to_owned();
                for segment in column.path.split('.') {
                    ty = types
                        .get(&format!("{ty}.{segment}"))
                        .unwrap_or_else(|| panic!("{}: {} has no {segment}", ledger.name, ty))
                        .clone();
                }
            }
        }
    }

    #[test]
    fn headers_are_unique_within_a_ledger() {
        for ledger in LEDGERS {
            let mut headers: Vec<&str> = ledger.columns.iter().map(|c| c.header).collect();
            headers.sort_unstable();
            headers.dedup();
            assert_eq!(headers.len(), ledger.columns.len(), "{}", ledger.name);
        }
    }
}
