package scan

// Display names of taxonomy codes, PI types and levels for human formats.
// The codes themselves are defined by package classify; these are labels only.

var categoryNames = map[string][2]string{
	"rd.design":             {"研发设计数据", "R&D design"},
	"rd.test":               {"开发测试数据", "development & test"},
	"prod.control":          {"控制信息", "control information"},
	"prod.condition":        {"工况状态", "operating condition"},
	"prod.process":          {"工艺参数", "process parameters"},
	"prod.log":              {"系统日志", "system logs"},
	"om.logistics":          {"物流数据", "logistics"},
	"om.aftersales":         {"产品售后服务数据", "after-sales service"},
	"mgmt.asset":            {"系统设备资产信息", "system & equipment assets"},
	"mgmt.customer_product": {"客户与产品信息", "customers & products"},
	"mgmt.supply_chain":     {"产品供应链数据", "supply chain"},
	"mgmt.business_stats":   {"业务统计数据", "business statistics"},
	"mgmt.hr_finance":       {"人事财务数据", "HR & finance"},
	"ext.shared":            {"与其他主体共享的数据", "shared with other parties"},
	"tech":                  {"技术字段", "technical field"},
}

var piNames = map[string][2]string{
	"pi.name":         {"姓名", "name"},
	"pi.id_number":    {"身份证件号码", "ID number"},
	"pi.phone":        {"电话号码", "phone"},
	"pi.email":        {"电子邮箱", "e-mail"},
	"pi.address":      {"地址", "address"},
	"pi.bank_account": {"银行账户", "bank account"},
	"pi.biometric":    {"生物识别信息", "biometrics"},
	"pi.health":       {"健康生理信息", "health"},
	"pi.location":     {"行踪轨迹", "location"},
	"pi.credential":   {"口令密钥", "credentials"},
	"pi.birth":        {"出生日期", "date of birth"},
	"pi.gender":       {"性别", "gender"},
	"pi.employment":   {"职业工作信息", "employment"},
	"pi.other":        {"其他个人信息", "other PI"},
}

var levelNames = map[string][2]string{
	"core":      {"核心数据", "core"},
	"important": {"重要数据", "important"},
	"general":   {"一般数据", "general"},
}

// lang selects the index into the name pairs: 0 Chinese, 1 English.
func lang(l string) int {
	if l == "en" {
		return 1
	}
	return 0
}

func nameOf(m map[string][2]string, code string, l int) string {
	if n, ok := m[code]; ok {
		return n[l]
	}
	return code
}

// messages are the fixed strings of the human formats.
var messages = map[string][2]string{
	"source":        {"数据源", "Source"},
	"scanned_at":    {"扫描时间", "Scanned at"},
	"rule_pack":     {"规则包", "Rule pack"},
	"sampling":      {"抽样", "Sampling"},
	"per_table":     {"每表 %d 行", "%d rows per table"},
	"full":          {"全量扫描（每批 %d 行）", "full pass (chunks of %d rows)"},
	"table":         {"表", "Table"},
	"rows":          {"行数", "rows"},
	"sampled":       {"抽样", "sampled"},
	"category":      {"分类", "category"},
	"level":         {"级别", "level"},
	"unchanged":     {"未变化，沿用上次结果", "unchanged, labels carried over"},
	"confirmed":     {"已人工确认", "confirmed"},
	"summary":       {"汇总", "Summary"},
	"tables":        {"表", "tables"},
	"columns":       {"列", "columns"},
	"pi_columns":    {"个人信息列", "PI columns"},
	"sensitive":     {"敏感个人信息列", "sensitive PI columns"},
	"changes":       {"变更", "Changes"},
	"skipped":       {"未扫描", "Skipped"},
	"caveat":        {"说明", "Note"},
	"by_level":      {"按级别", "by level"},
	"by_pi":         {"个人信息类型", "PI types"},
	"none":          {"无", "none"},
	"yes":           {"是", "yes"},
	"no":            {"否", "no"},
	"title":         {"数据分类分级扫描报告", "Data classification and grading report"},
	"catalog":       {"重要数据目录（草稿）", "Important data catalog (draft)"},
	"inventory":     {"数据分类分级清单", "Data classification inventory"},
	"column":        {"列名", "column"},
	"type":          {"类型", "type"},
	"comment":       {"注释", "comment"},
	"pi":            {"个人信息", "PI"},
	"confidence":    {"置信度", "confidence"},
	"evidence":      {"依据", "evidence"},
	"draft_pending": {"草稿，待人工确认", "draft, to be confirmed"},
}

func msg(key string, l int) string { return messages[key][l] }

// changeNames label change kinds.
var changeNames = map[string][2]string{
	TableAdded:    {"新增表", "table added"},
	TableRemoved:  {"删除表", "table removed"},
	TableChanged:  {"表内容变化", "table changed"},
	ColumnAdded:   {"新增列", "column added"},
	ColumnRemoved: {"删除列", "column removed"},
	LabelChanged:  {"标签变化", "label changed"},
}
