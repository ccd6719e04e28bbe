# 中文（简体）消息：默认语言。每个键在 en.ftl 里也有（单元测试保证两者一致）。

## 错误：每类的框架

field-problem = { $label }（{ $path }）{ $problem }
field-problem-unlabelled = { $path }：{ $problem }
error-not-found = 未找到{ $entity }
error-conflict = { $entity } { $id } 已被他人修改：当前版本为 { $version }
error-unavailable = 服务暂时不可用，请重试
error-internal = 服务器内部错误
error-audit-unavailable = 审计记录暂时无法写入
error-too-many-requests = 请求过多：请 { $seconds } 秒后重试
error-get-is-read-only = GET 只能发送查询；变更请用 POST
graphql-verbatim = { $detail }
graphql-error = 请求有误：{ $detail }

## 身份认证

authentication-required = 需要登录（身份认证）
token-missing = 缺少 Bearer 令牌
token-header-shape = Authorization 请求头应为 `Bearer <令牌>`
token-org-unknown = 令牌所写的组织单元不存在
token-no-kid = 令牌未写明密钥（kid）
token-kid-unknown = 令牌的密钥（kid）未知
token-algorithm-refused = 不接受令牌的签名算法
token-issued-in-future = 令牌的签发时间在未来
token-revoked = 令牌已被吊销
token-expired = 令牌已过期
token-signature-invalid = 令牌签名无效
token-issuer-refused = 不接受令牌的签发者
token-audience-refused = 不接受令牌的受众（aud）
token-claim-missing = 令牌缺少必需的声明
token-not-yet-valid = 令牌尚未生效
token-claims-invalid = 令牌的声明无效（未知的部门、角色，或缺少字段）
token-malformed = 令牌格式不正确

## 权限

forbidden-role = { $agency } 的 { $role } 用户无权执行此操作
org-unit-outside-jurisdiction = 组织单元（orgUnit）不在您的辖区内
reporting-unit-outside-jurisdiction = 报告单位（input.reportingUnit）不在您的辖区内
grid-outside-jurisdiction = { $field }：该网格不在您的辖区内
persisted-only-registered = 此客户端只能执行已登记的操作（持久化查询白名单）
held-settled-by-full-document-agencies = 待核实登记只能由可查看完整证件号码的部门处理
daily-report-own-community-only = 组织单元（orgUnit）：日报只能由本社区的工作人员确认
task-may-not-send = { $agency } 不能向 { $to } 派发 { $kind } 任务
task-route = 接收单位（input.toOrgUnit）：{ $kind } 任务派给人员所在{ $level }（{ $code } { $name }）的 { $to }，或其下人员居住的单位；不能派给 { $asked_code } { $asked_name }
changes-kind-not-read = { $agency } 用户不能读取 { $kind } 类记录

## 限额

limit-nested-first = first：嵌套列表最多 { $max } 项
limit-batch = { $field }：每批最多 { $max } 条
limit-batch-operations = 一个批量请求应包含 1 到 { $max } 个操作
limit-body = 请求体超过 { $max } 字节
limit-chain-depth = depth：最多 { $max } 层
limit-fragments = 一个查询最多定义 { $max } 个片段
limit-root-fields = 一个操作最多选择 { $max } 个根字段
limit-input-depth = { $at }：输入值最多嵌套 { $max } 层
limit-string = { $at }：字符串最多 { $max } 个字符
look-alikes-refused = 本部门在 { $hours } 小时内已录入 { $count } 个与某居民证件号码相似的不同号码；请由卫健或公安录入此号码，或明天再试
limit-aliases = 一个查询最多使用 { $max } 个别名
limit-too-deep = 查询嵌套过深。
limit-too-complex = 查询过于复杂。

## 请求本身

not-a-graphql-request = 不是 JSON 格式的 GraphQL 请求：{ $detail }
bad-query-string = 查询参数有误：{ $detail }
bad-body = 无法读取请求体：{ $detail }
unknown-field = 类型 "{ $type }" 上没有字段 "{ $field }"。
unknown-input-field = 输入类型 "{ $type }" 上没有字段 "{ $field }"。
unknown-argument = 字段 "{ $field }" 没有参数 "{ $argument }"。
argument-required = 为必填项（类型 { $type }），但未提供
enum-value-unknown = 应为 { $type } 的取值之一，收到 { $value }
expected-type = 应为 { $type } 类型的值
expected-type-got = 应为 { $type } 类型的值，收到 { $value }
expected-date = 应为 YYYY-MM-DD
expected-date-got = 应为 YYYY-MM-DD，收到 { $value }
expected-datetime = 应为带时区的日期时间，如 2026-12-03T08:30:00+08:00
expected-datetime-got = 应为带时区的日期时间，如 2026-12-03T08:30:00+08:00，收到 { $value }
expected-int = 应为整数
expected-float = 应为数字
expected-boolean = 应为 true 或 false
expected-text = 应为字符串
expected-id = 应为 ID
unknown-input-field-problem = { $type } 没有这个输入字段

## 输入的值

must-not-be-empty = 不能为空
must-be-at-most-chars = 最多 { $max } 个字符
must-not-contain-control-characters = 不能包含控制字符
must-not-be-negative = 不能为负数
must-not-be-in-the-future = 不能晚于今天
must-not-be-in-the-past = 不能早于现在
must-not-be-after-to = 不能晚于 `to`
must-be-a-number = 应为数字
out-of-range = 超出范围
period-at-most-days = 时间段最长 { $max } 天
expected-phone = 应为 11 位手机号码，或带区号的固定电话
expected-document-number = 应为 5 到 20 位字母和数字
expected-client-key = 应为 1 到 64 个字母、数字或 -_.:（可用 UUID）
expected-travel-number = 应为 5 到 12 个字母、数字或汉字
birth-date-too-early = 不能早于 1900-01-01
temperature-one-decimal = 最多一位小数，如 36.8
temperature-range = 应在 30.0 到 45.0 °C 之间
resident-id-shape = 应为 18 位：17 位数字加一位校验码（0-9 或 X）
resident-id-region = 行政区划代码（前 6 位）不是有效的省级代码
resident-id-birth-date = 第 7 到 14 位不是有效的出生日期
resident-id-check-digit = 校验码不符
more-than-days-ago = 距今已超过 { $days } 天
outside-jurisdiction = 不在您的辖区内
person-or-traveller-not-both = 人员（person）和旅客（traveller）只能填一个
person-traveller-or-plate = 请填写人员、旅客，或至少填写车牌号
needed-with-document-type = 填写证件类型时必填
not-a-valid-id = 不是有效的 ID
not-a-cursor = 不是此列表的游标
unknown-org-unit = 组织单元不存在
must-be-a-grid = 应为网格（最低一级组织单元）
required-with-document-number = 填写证件号码（documentNumber）时必填
required-with-document-type = 填写证件类型（documentType）时必填
name-does-not-match-document = 与此证件登记的姓名不符
does-not-match-resident-id = 与居民身份证号码不符
set-by-resident-id = 由居民身份证号码确定，不能修改
say-why = 请简要说明原因

## 业务规则

person-has-open-case = 此人已有一个未结病例
person-has-open-case-id = 此人已有一个未结病例（{ $case }）
case-reported-classification = 报告病例的分类应为 SUSPECTED、CONFIRMED 或 ASYMPTOMATIC，不能是 { $classification }
case-closed-no-reclassification = 病例已结案（{ $current }，{ $outcome }）：分类不能改为 { $next }
case-reclassification-refused = 分类不能从 { $current } 改为 { $next }
case-closed-no-outcome-change = 转归不能从 { $current } 改为 { $next }：病例已结案
case-closing-refused = { $classification } 病例的转归不能从 { $current } 改为 { $next }
is-source-case-person = 是传染源病例本人
not-a-contact-of-this-person = 不是此人的密接记录
lab-pending-has-no-result-time = PENDING（待出结果）的检测没有结果时间
before-sample-taken = 早于采样时间
lab-pending-to-pending = 不能从 PENDING 改为 PENDING：请填 NEGATIVE 或 POSITIVE
lab-result-final = 不能从 { $current } 改为 { $next }：检测结果一经确定不可更改
after-source-case-closed = 晚于传染源病例的结案日期 { $date }
already-a-contact = 已登记为此病例的密接
already-a-contact-id = 已登记为此病例的密接（{ $id }）
already-observed = 已在医学观察中
already-observed-id = 已在医学观察中（{ $id }）
planned-end-range = 应在开始日期到其后 { $days } 天之间
observation-ended-final = 不能从 { $current } 改为 { $next }：医学观察已结束
merge-needs-full-numbers = 有居民身份证号码的记录与自带出生日期的记录，须由可查看完整号码的部门（卫健或公安）合并
limit-page = first：每页最多 { $max } 项
before-observation-start = 早于医学观察开始时间
only-for-centralized = 仅用于 CENTRALIZED（集中）医学观察
only-for-released = 仅用于 RELEASED（解除）
required-for-centralized = CENTRALIZED（集中）医学观察必填
required-to-release = 解除医学观察时必填（解除医学观察通知书编号）
task-side-sender = 派出部门
task-side-receiver = 接收部门
task-transition-refused = 任务不能从 { $current } 改为 { $next }
task-transition-by-other-side = 只有{ $side }能把任务从 { $current } 改为 { $next }
daily-report-by-communities = 日报由社区（社区/村）确认
daily-report-not-confirmed-yet = 这一天尚未确认：确认时不要带版本号
merge-both-documented = 两条记录都有证件号码：他们是不同的人
merge-both-open-cases = 两条记录都有未结病例：请先结案其中一个
merge-both-observed = 两条记录都在医学观察中：请先结束其中一个
merge-birth-date-contradicts = 其出生日期与另一条记录的居民身份证号码矛盾
must-be-another-person = 应为 keepId 以外的另一个人
not-a-held-registration = 不是待核实登记
held-person-merged-away = 其所指的人员已被合并

## 记录的名称

entity-Person = 人员
entity-Case = 病例
entity-Contact = 密接
entity-Quarantine = 医学观察
entity-HealthCheck = 健康监测
entity-LabTest = 检测
entity-Task = 任务
entity-OrgUnit = 组织单元
entity-DailyReport = 日报
entity-CheckpointEntry = 卡口通行记录
entity-Alert = 预警

## 输入字段的名称（中文消息显示名称和路径；英文只写路径）

field-birthDate = 出生日期
field-name = 姓名
field-sex = 性别
field-phone = 电话
field-address = 地址
field-documentNumber = 证件号码
field-documentType = 证件类型
field-residence = 居住网格
field-reason = 原因
field-note = 备注
field-classification = 分类
field-outcome = 转归
field-onsetDate = 发病日期
field-lastExposureDate = 末次暴露日期
field-laboratory = 检测机构
field-resultAt = 结果时间
field-sampledAt = 采样时间
field-result = 结果
field-temperature = 体温
field-date = 日期
field-from = 开始日期
field-to = 结束日期
field-orgUnit = 组织单元
field-first = 条数
field-after = 游标
field-depth = 深度
field-dueAt = 截止时间
field-startDate = 开始日期
field-endDate = 结束日期
field-releaseNoticeNumber = 解除通知书编号
field-site = 观察地点
field-idempotencyKey = 幂等键
field-person = 人员
field-id = ID

## 预警

alert-new-case = 新报告 { $classification } 病例
alert-case-reclassified = 病例分类由 { $current } 改为 { $next }
alert-contact-traced = 已追踪到 { $classification } 病例的密切接触者（{ $relation }，末次暴露 { $exposure }）；随访至 { $until }
alert-contact-traced-short = 已追踪到 { $classification } 病例的密切接触者
alert-fever = 发热：{ $temperature }
alert-respiratory = 呼吸道症状：{ $symptoms }
alert-observation-ended-early = 医学观察提前结束（{ $outcome }），原计划至 { $until }
alert-observation-ended = 医学观察提前结束：{ $outcome }
alert-checkpoint-fever-risk = { $checkpoint } 发现发热 { $temperature }，来自风险地区（{ $place }）
alert-checkpoint-fever = { $checkpoint } 发现发热 { $temperature }
alert-checkpoint-fever-plain = { $checkpoint } 发现发热
alert-risk-arrival = 来自风险地区（{ $place }）的人员抵达 { $checkpoint }

## 台账与伙伴系统的首份全量副本

error-snapshot-required = 变更日志已不再保存此游标之后的全部变更：请重新获取快照（snapshot），并从快照给出的游标继续读取变更
snapshot-cursor-invalid = 不是快照的游标
export-too-many-rows = 行数超过一张工作表的上限
export-parameter-unknown = 不是此台账的参数（可用参数：{ $known }）
export-parameter-not-json = 不是合法的 JSON：{ $detail }

## 设备提交的批量条目

sent-wrong-form = { $shown } { $what }，应为{ $form }
sent-no-offset = 缺少时区偏移
sent-date-without-time = 只有日期，缺少时间
sent-number-for-timestamp = 是数字，不是时间
sent-not-a-timestamp = 不是时间
sent-not-a-number = 不是数字
sent-not-one-of = 不是此字段的可选值
form-one-of = 以下之一：{ $names }
form-instant = 带时区偏移的 RFC 3339 时间，例如 2026-12-03T08:30:00+08:00
form-temperature = 摄氏度数值，最多一位小数，例如 36.8
form-name = 此字段列表中的名称
key-reused = 此幂等键已用于另一条{ $noun }（{ $differs } 不同）：本条未写入，返回的是以此键记录的{ $noun }；新的{ $noun }请使用新的幂等键
look-alikes-not-tried = 试运行不校验与本辖区居民证件号码相似的号码（否则可借反复试探还原脱敏号码）；请正式导入以登记此行

## 台账导入

import-columns-both-hold = “{ $first }”和“{ $header }”两列都是 { $field }；请把其中一列映射为 ignore
import-no-such-column = 文件中没有“{ $header }”这一列
import-no-name-column = 没有一列是姓名（姓名/name）：请把该列命名为“姓名”，或用 { $example } 指定
import-mapping-not-object = 应为“列名: 字段”的 JSON 对象，例如 { $example }
import-not-a-field = “{ $key }”不是可导入的字段；可用字段：{ $fields }
import-old-xls = 这是旧版 .xls 工作簿：请另存为 .xlsx 或 .csv 后重新上传
import-unreadable-file = 无法读取的 { $format } 文件：{ $detail }
import-bad-document-type = 不是证件类型：应为 身份证、护照、港澳通行证、台胞证、永久居留证 或 其他
import-bad-sex = 性别应为“男”或“女”
import-bad-birth-date = 不是日期：应写作 1980-05-17 或 1980年5月17日
import-bad-arrival-date = 不是日期：应写作 2026-11-28 或 11月28日
import-report-page = 应在 1 到 { $max } 之间
import-report-cursor = 不是此导入报告的游标
import-report-outcome = 应为 CREATED、UPDATED、UNCHANGED、POSSIBLE_DUPLICATE、REJECTED 之一
import-not-multipart = 不是带 file 字段的 multipart/form-data 上传：{ $detail }
import-file-empty = 文件为空
import-field-too-large = 表单字段 { $name } 超过 { $max } 字节
import-field-not-utf8 = 应为 UTF-8 文本
import-not-a-flag = 应为 true 或 false
import-unknown-form-field = 不是导入的表单字段：可用 file、mapping、dryRun、grid
import-file-required = 必须上传文件：-F file=@list.csv
import-file-too-large = 文件超过 { $max } 字节（MAX_IMPORT_BYTES）：请拆成几个较小的名单
import-too-many-rows = 文件超过 { $max } 行：请拆成几个较小的名单
import-no-header = 找不到表头：文件中没有一行有两列或以上
import-no-grid = 没有网格：请在“网格”列填写网格编码，或为整个名单指定网格（grid）
import-unknown-grid = 未知网格：请填写网格编码（如 DEMO-01-01-01-01），或本社区内的网格名称
import-same-as-row = 与第 { $row } 行是同一人
import-matches-several = 按姓名加手机号或出生日期，与您辖区内 { $count } 人相符（编号 { $ids }）：请填写证件号码，或先合并这些记录
import-interrupted = 导入进行中服务器停止：已报告的行已保存；请重新上传该文件以导入其余行（已导入的行不会重复写入）
