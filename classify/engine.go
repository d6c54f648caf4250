package classify

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// nameFinding is the best name/comment rule for one aspect of a column.
type nameFinding struct {
	rule    *nameRule
	kind    string // KindName or KindComment
	keyword string
	spec    int
	conf    float64
	owner   int  // rule index, the last tie-breaker
	guess   bool // read from the head syllables of a pinyin name (abbrevHead)
	head    bool // the keyword ends the name or comment
}

// contentFinding is one content rule that reached its ratio on the sample.
type contentFinding struct {
	rule      *contentRule
	matched   int
	validated int
	n         int
	conf      float64
	context   string // the context keyword or agreeing name rule, if any
	samples   []string
}

func (c *contentFinding) ratio() float64 { return float64(c.matched) / float64(c.n) }

// columnFacts is what pass one learns about a column on its own.
type columnFacts struct {
	nameNorm, commentNorm string
	piName, catName       *nameFinding
	content               *contentFinding
	label                 ColumnLabel
	catConf, piConf       float64
	pending               bool         // category still to be inherited
	weakPI                *nameFinding // PI that applies only in a table of its rule's category
	// Sample statistics: values, distinct values, values seen once and twice.
	sampleN, sampleD, f1, f2 int
}

// industry resolves Options.Industry to an industry key, or "".
func (e *Engine) industry(opt string) (Industry, bool) {
	opt = strings.TrimSpace(opt)
	if opt == "" {
		return Industry{}, false
	}
	for _, in := range e.industries {
		if strings.EqualFold(in.Key, opt) {
			return in, true
		}
	}
	up := strings.ToUpper(opt)
	best, bestLen := Industry{}, 0
	for _, in := range e.industries {
		for _, c := range in.Codes {
			if strings.HasPrefix(up, c) && len(c) > bestLen {
				best, bestLen = in, len(c)
			}
		}
	}
	return best, bestLen > 0
}

// Classify proposes a category, PI type and level for every column of t and
// a category and level for t. It never returns raw sampled values: evidence
// carries masked samples and ratios only.
func (e *Engine) Classify(t Table, o Options) TableLabel { return e.classify(t, o, nil) }

// classify is Classify; record, if not nil, receives the column model's
// features of every column, as the rules and the table model left it.
func (e *Engine) classify(t Table, o Options, record func(i int, x features)) TableLabel {
	tl := TableLabel{Columns: make([]ColumnLabel, len(t.Columns)), Caveat: Caveat}
	now := e.now()
	ind, hasInd := e.industry(o.Industry)
	if hasInd {
		tl.Evidence = append(tl.Evidence, Evidence{Kind: KindIndustry, Rule: "industry." + ind.Key,
			Detail: fmt.Sprintf("行业规则包：%s %s (%s)", ind.NameZH, strings.Join(ind.Codes, "/"), ind.NameEN)})
	} else if o.Industry != "" {
		tl.Evidence = append(tl.Evidence, Evidence{Kind: KindIndustry, Rule: "industry.unknown",
			Detail: fmt.Sprintf("未识别的行业 %q，仅使用通用规则", o.Industry)})
	}
	tableNorm, tableCommentNorm := e.normName(t.Name), normalize(t.Comment)

	// Table context from table name and comment.
	var ctxRule *tableRule
	var ctxKW, ctxKind string
	ctxSpec, ctxOwner := -1, 0
	for _, src := range []struct{ norm, kind string }{{tableNorm, KindName}, {tableCommentNorm, KindComment}} {
		for owner, h := range e.tableHits(src.norm, ind.Key) {
			r := &e.tables[owner]
			sp := h.spec()
			if h.head {
				sp += 2 // a table is what its name ends with: sales_monthly_report is a report
			}
			if r.industry != "" {
				sp++ // the selected industry's vocabulary is the more specific
			}
			if sp > ctxSpec || sp == ctxSpec && (src.kind == KindComment && ctxKind != KindComment || src.kind == ctxKind && owner < ctxOwner) {
				ctxRule, ctxKW, ctxKind, ctxSpec, ctxOwner = r, h.keyword, src.kind, sp, owner
			}
		}
	}
	if ctxRule != nil {
		where := "表名"
		if ctxKind == KindComment {
			where = "表注释"
		}
		tl.Evidence = append(tl.Evidence, Evidence{Kind: KindContext, Rule: ctxRule.id,
			Detail: fmt.Sprintf("%s含关键词“%s”→ %s（%s）", where, ctxKW, ctxRule.category, ctxRule.title)})
	}

	// Pass one: each column on its own.
	facts := make([]columnFacts, len(t.Columns))
	for i, c := range t.Columns {
		facts[i] = e.analyseColumn(c, ind.Key, now)
	}

	// Table category: context, else the confidence-weighted majority of
	// explicit non-technical column categories.
	weights := map[string]float64{}
	anyPI := false
	for _, f := range facts {
		switch {
		case !f.pending && f.label.Category != "tech" && f.reference():
			// An identifier of another entity (拧紧枪编号 in a tightening
			// record) points elsewhere; it says less about the table.
			weights[f.label.Category] += f.catConf / 2
		case !f.pending && f.label.Category != "tech":
			weights[f.label.Category] += f.catConf
		case f.pending && f.catName != nil && f.catName.rule.weak && !f.catName.guess:
			weights[f.catName.rule.category] += f.catName.conf / 2
		}
		anyPI = anyPI || f.label.PI != ""
	}
	majority := ""
	cats := make([]string, 0, len(weights))
	for c := range weights {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		if majority == "" || weights[c] > weights[majority] {
			majority = c
		}
	}
	if m := e.models.table; m != nil {
		// The table model weighs every word of the table and its columns;
		// when it is confident and disagrees with the rules it decides, and
		// the columns inherit its category.
		ruled := majority
		if ctxRule != nil {
			ruled = ctxRule.category
		}
		x := e.tableFeatures(t)
		c, p := m.predict(x)
		if cat := m.classes[c]; cat != ruled && (ruled == "" || p > e.pol.modelTable) {
			ctxRule = &tableRule{id: modelTableRule, category: cat, title: "表类别模型"}
			tl.Evidence = append(tl.Evidence, Evidence{Kind: KindModel, Rule: ctxRule.id,
				Detail: fmt.Sprintf("表类别模型判为 %s（概率 %.2f，训练样本 %d 张表），依据：%s", cat, p, m.examples, strings.Join(m.why(x, c, 4), "、"))})
		}
	}
	switch {
	case ctxRule != nil:
		tl.Category = ctxRule.category
	case majority != "":
		tl.Category = majority
		tl.Evidence = append(tl.Evidence, Evidence{Kind: KindPolicy, Rule: "policy.majority",
			Detail: fmt.Sprintf("无表级关键词，取列类别的加权多数 %s", majority)})
	case anyPI:
		tl.Category = e.pol.piCategory
	default:
		tl.Category = e.pol.defaultCategory
	}

	// Pass two: inherit categories, then grade.
	corporate := e.pol.words.corporateTable(tableNorm, tableCommentNorm)
	rowsUnknownNoted := map[string]bool{}
	for i := range facts {
		f := &facts[i]
		if f.pending {
			e.inherit(f, ctxRule, majority, tl.Category)
		}
		if ctxRule != nil && ctxRule.columnPI != "" && f.label.PI == "" && f.label.Category == ctxRule.category && !f.mentions(e.pol.words.organisation) {
			f.label.PI, f.piConf = ctxRule.columnPI, e.pol.confTable
			f.label.Evidence = append(f.label.Evidence, Evidence{Kind: KindContext, Rule: ctxRule.id,
				Detail: fmt.Sprintf("%s的业务字段按 %s 处理", ctxRule.title, ctxRule.columnPI)})
		}
		if corporate && e.pol.words.contactOfAnyone(f.label.PI, f) {
			f.label.Evidence = append(f.label.Evidence, Evidence{Kind: KindContext, Rule: "policy.corporate_contact",
				Detail: fmt.Sprintf("表为单位档案（供应商、经销商、承包商等），%s 按单位信息处理，不判为个人信息", f.label.PI)})
			f.label.PI, f.piConf = "", 0
		}
		if w := f.weakPI; w != nil && f.label.PI == "" && tl.Category == w.rule.category {
			f.label.PI, f.piConf = w.rule.pi, w.conf
			f.label.Evidence = append(f.label.Evidence, Evidence{Kind: KindContext, Rule: w.rule.id,
				Detail: fmt.Sprintf("表类别为 %s，“%s”按 %s 处理（%s）", tl.Category, w.keyword, w.rule.pi, w.rule.title)})
		}
		if record != nil || e.models.column != nil {
			x := e.columnFeatures(f, t.Columns[i], tl.Category)
			if record != nil {
				record(i, x)
			}
			// A column with nothing of its own in a table a rule explains
			// (a plain number in a 工艺参数 table) takes the rule's category
			// unless the model is very sure; so does a column a specific
			// keyword of its own names (interlock).
			ruled := ctxRule != nil && ctxRule.id != modelTableRule && f.pending && f.catName == nil && (f.content == nil || f.content.rule.category == "") ||
				f.catName != nil && !f.catName.rule.weak && f.catName.rule.category == f.label.Category
			e.reviewColumn(f, x, ruled)
		}
		f.label.Confidence = round2(f.catConf)
		if f.label.PI != "" {
			f.label.Confidence = round2(f.piConf)
			f.label.SensitivePI = e.pol.isSensitive(f.label.PI)
			if f.label.SensitivePI {
				f.label.Evidence = append(f.label.Evidence, Evidence{Kind: KindPolicy, Rule: "policy.sensitive_pi",
					Detail: fmt.Sprintf("%s 属于敏感个人信息（%s%s）", f.label.PI, e.pol.sensitiveBasis, confirmedNote(e.pol.sensitiveOK))})
			}
		}
		e.grade(t, f, ind.Key, hasInd, tableNorm, tableCommentNorm, &tl, rowsUnknownNoted)
		tl.Columns[i] = f.label
	}

	// 就高从严: the table takes its highest column level.
	tl.Level = LevelGeneral
	for _, c := range tl.Columns {
		if levelRank(c.Level) > levelRank(tl.Level) {
			tl.Level = c.Level
		}
	}
	if tl.Level == LevelGeneral {
		tl.SubLevel = e.pol.defaultSubLevel
		if len(tl.Columns) > 0 {
			tl.SubLevel = 0
			for _, c := range tl.Columns {
				tl.SubLevel = max(tl.SubLevel, c.SubLevel)
			}
		}
	}
	var by []string
	for i, c := range tl.Columns {
		if c.Level == tl.Level && (tl.Level != LevelGeneral || c.SubLevel == tl.SubLevel) {
			by = append(by, t.Columns[i].Name)
		}
	}
	detail := fmt.Sprintf("就高从严：数据集取所含数据的最高级别 → %s", levelText(tl.Level, tl.SubLevel))
	if len(by) > 0 {
		if len(by) > 5 {
			by = append(by[:5], fmt.Sprintf("等 %d 列", len(by)))
		}
		detail += "（由 " + strings.Join(by, ", ") + " 决定）"
	}
	tl.Evidence = append(tl.Evidence, Evidence{Kind: KindPolicy, Rule: "policy.highest", Detail: detail})
	return tl
}

// modelTableRule is the rule id of a table category the table model gave.
const modelTableRule = "model.table"

// reviewColumn lets the column model decide a column's category when it
// is confident and disagrees with the rules; ruled columns need more.
func (e *Engine) reviewColumn(f *columnFacts, x features, ruled bool) {
	m := e.models.column
	if m == nil {
		return
	}
	threshold := e.pol.modelColumn
	if ruled {
		threshold = e.pol.modelRuled
	}
	k, p := m.predict(x)
	if cat := m.classes[k]; cat != f.label.Category && p > threshold {
		f.label.Evidence = append(f.label.Evidence, Evidence{Kind: KindModel, Rule: "model.column",
			Detail: fmt.Sprintf("列类别模型改判 %s → %s（概率 %.2f，训练样本 %d 列），依据：%s", f.label.Category, cat, p, m.examples, strings.Join(m.why(x, k, 4), "、"))})
		f.label.Category, f.catConf = cat, p
	}
}

// analyseColumn runs the name, comment and content detectors on one column.
func (e *Engine) analyseColumn(c Column, industry string, now time.Time) columnFacts {
	words, units := splitUnits(c.Comment)
	f := columnFacts{nameNorm: e.normName(c.Name), commentNorm: normalize(words)}
	nameH, commentH := e.nameHits(f.nameNorm, industry), e.nameHits(f.commentNorm, industry)
	if hasHan(words) {
		// A Chinese comment states what the column is; a short ASCII
		// abbreviation in its name (dh, wd, gz: 电话 or 吨耗? 温度 or 纬度?
		// 工资 or 钢种?) only guesses, even when the comment's words are
		// unknown. Key and audit fields keep their name (id, zt).
		for owner, h := range nameH {
			if e.names[owner].category != "tech" && isAbbrev(h.keyword) {
				delete(nameH, owner)
			}
		}
	}
	if !keyLike(c.Values) && len(strings.Fields(f.nameNorm)) > 1 {
		// recipe_id holding ET-ABC-123 references a recipe, it is no
		// surrogate key: the key suffix says nothing, the rest decides.
		for owner, h := range nameH {
			if r := &e.names[owner]; r.category == "tech" && r.pi == "" && h.head && isKeySuffix(h.keyword) {
				delete(nameH, owner)
			}
		}
	}
	consider := func(nf *nameFinding) {
		r := nf.rule
		if r.pi != "" && (f.piName == nil || better(nf, f.piName)) {
			f.piName = nf
		}
		if r.category != "" && (f.catName == nil || better(nf, f.catName)) {
			f.catName = nf
		}
	}
	for _, src := range []struct {
		hits map[int]kwHit
		kind string
		conf float64
	}{{nameH, KindName, e.pol.confName}, {commentH, KindComment, e.pol.confComment}} {
		for owner, h := range src.hits {
			r := &e.names[owner]
			nf := &nameFinding{rule: r, owner: owner, kind: src.kind, keyword: h.keyword, spec: h.spec(), conf: src.conf, head: h.head}
			switch {
			case h.head && r.category == "tech":
				nf.spec += 6 // a key suffix makes the column a key: log_id, recipe_id
			case h.head:
				nf.spec++ // a compound is what it ends with: 模具温度 is a temperature
			}
			consider(nf)
		}
	}
	// Units of measure in the comment, or ending a compound name (wear_mm,
	// elec_kwh): the weakest name evidence, any word wins.
	if toks := strings.Fields(f.nameNorm); len(toks) > 1 {
		units = append(units, toks[len(toks)-1])
	}
	for owner, u := range e.unitHits(units, industry) {
		consider(&nameFinding{rule: &e.names[owner], owner: owner, kind: KindComment, keyword: u, spec: 0, conf: e.pol.confComment})
	}
	if f.catName == nil && f.piName == nil && !hasHan(words) {
		if nf := e.abbrevHead(f.nameNorm, industry); nf != nil {
			nf.conf = e.pol.confName
			consider(nf)
		}
	}
	f.content = e.scanValues(c, &f, now)

	l := &f.label
	for _, nf := range []*nameFinding{f.catName, f.piName} {
		if nf == nil || (nf == f.piName && nf == f.catName && len(l.Evidence) > 0) {
			continue
		}
		where := "列名"
		if nf.kind == KindComment {
			where = "列注释"
			if nf.rule.units {
				where = "列注释单位"
			}
		}
		what := nf.rule.category
		if nf.rule.pi != "" {
			what = strings.TrimPrefix(strings.Join([]string{nf.rule.category, nf.rule.pi}, " "), " ")
		}
		l.Evidence = append(l.Evidence, Evidence{Kind: nf.kind, Rule: nf.rule.id,
			Detail: fmt.Sprintf("%s含“%s”→ %s（%s）", where, nf.keyword, what, nf.rule.title)})
	}
	if cf := f.content; cf != nil {
		d := fmt.Sprintf("%d/%d 个非空样本符合（%.0f%%）", cf.matched, cf.n, 100*cf.ratio())
		if cf.validated > 0 {
			d += fmt.Sprintf("，%d 个通过校验", cf.validated)
		}
		d += "：" + cf.rule.title
		if cf.context != "" {
			d += fmt.Sprintf("；上下文“%s”", cf.context)
		}
		if len(cf.samples) > 0 {
			d += "；样本 " + strings.Join(cf.samples, ", ")
		}
		l.Evidence = append(l.Evidence, Evidence{Kind: KindContent, Rule: cf.rule.id, Detail: d})
	}

	// PI: content first, then names.
	switch {
	case f.content != nil && f.content.rule.pi != "":
		l.PI, f.piConf = f.content.rule.pi, f.content.conf
	case f.piName != nil && f.piName.rule.weak:
		f.weakPI = f.piName // decided with the table's category
	case f.piName != nil:
		l.PI, f.piConf = f.piName.rule.pi, f.piName.conf
		if e.sampleContradicts(c, l.PI, now) {
			tech := f.catName != nil && f.catName.rule.category == "tech" && f.catName.spec > f.piName.spec
			generic := f.piName.kind == KindName && (f.piName.keyword == "name" && strings.TrimSpace(f.nameNorm) != "name" ||
				f.piName.keyword == "location" || f.piName.keyword == "position") ||
				l.PI == "pi.address" && !anyHan(c.Values) // IP, Modbus or PLC addresses
			if tech || generic {
				// gps_time is a time, char_name or buyer_name need not be a
				// person's, location may be a storage area: with a more
				// specific technical head, or only a generic word ("name",
				// "location"), and values unlike the PI type, no PI.
				l.PI, f.piConf = "", 0
				l.Evidence = append(l.Evidence, Evidence{Kind: KindContent, Rule: "policy.sample_mismatch",
					Detail: fmt.Sprintf("列名对 %s 的提示较弱（“%s”），样本值均不符合其内容特征，不判为个人信息", f.piName.rule.pi, f.piName.keyword)})
				break
			}
			f.piConf = e.pol.confFallback + 0.1
			l.Evidence = append(l.Evidence, Evidence{Kind: KindContent, Rule: "policy.sample_mismatch",
				Detail: fmt.Sprintf("列名/注释提示 %s，但样本值均不符合其内容特征，置信度下调，请人工确认", l.PI)})
		}
	}

	if f.content == nil && l.PI == "pi.name" && f.piName != nil && !f.piName.head && f.reference() {
		// operator_no, czr_gh: the number of a person is their staff
		// number, not their name.
		l.PI = "pi.employment"
		l.Evidence = append(l.Evidence, Evidence{Kind: KindName, Rule: "policy.person_number",
			Detail: fmt.Sprintf("“%s”后接编号，按工号等职业信息处理", f.piName.keyword)})
	}
	if l.PI != "" && f.content != nil && f.content.rule.pi == "" && strings.HasPrefix(f.content.rule.id, "org.") {
		// recipient_uscc holding credit codes names an organisation,
		// whatever person-like word its name carries.
		l.Evidence = append(l.Evidence, Evidence{Kind: KindContent, Rule: "policy.organisation_identifier",
			Detail: fmt.Sprintf("样本为单位标识（%s），不判为 %s", f.content.rule.title, l.PI)})
		l.PI, f.piConf = "", 0
	}
	if e.pol.words.corporateContact(l.PI, &f) {
		// cVenPhone, 供应商地址: the contact details of an organisation
		// are no personal information (a contact person's mobile is).
		l.Evidence = append(l.Evidence, Evidence{Kind: KindName, Rule: "policy.corporate_contact",
			Detail: fmt.Sprintf("名称指向单位（供应商、公司、厂家），%s 按单位信息处理，不判为个人信息", l.PI)})
		l.PI, f.piConf = "", 0
	}
	if f.content == nil && l.PI != "" && f.piName != nil && !f.piName.head && f.mentions(e.pol.words.organisation) {
		// 体检机构, issuing_authority: an organisation named in a record
		// about a person is no information about the person.
		l.PI, f.piConf = "", 0
	}
	if f.content == nil && l.PI != "" && f.piName != nil && !f.piName.head && f.piName.kind == KindName &&
		isAbbrev(f.piName.keyword) && f.catName != nil && f.catName != f.piName && f.catName.head && f.catName.rule.pi == "" {
		// xl_dl: the head dl (电流) names what the column is; the modifier
		// xl is no 学历 here.
		l.PI, f.piConf = "", 0
	}

	// Category: an explicit name category (tech only when content found
	// nothing), then a strong content category; otherwise inherit later.
	contentFound := f.content != nil
	switch {
	case f.catName != nil && f.catName.rule.weak && !(contentFound && f.content.rule.category != "" && !f.content.rule.categoryAfterContext):
		f.pending = true // generic business words yield to the table context
	case f.catName != nil && !(f.catName.rule.category == "tech" && (contentFound || l.PI != "")):
		l.Category, f.catConf = f.catName.rule.category, f.catName.conf
		if contentFound && f.content.rule.category == l.Category {
			f.catConf = math.Max(f.catConf, f.content.conf)
		}
	case contentFound && f.content.rule.category != "" && !f.content.rule.categoryAfterContext:
		l.Category, f.catConf = f.content.rule.category, f.content.conf
	default:
		f.pending = true
	}
	return f
}

// abbrevHead reads a pinyin-initials name nothing else explains by its
// head: the last syllables of a Chinese compound name what it is, so zqwd
// (蒸汽温度) ends in wd (温度) and gsll (给水流量) in ll (流量). Only generic
// words (weak rules without a PI type) are accepted, so the guess yields to
// the table context and never makes personal information.
func (e *Engine) abbrevHead(nameNorm, industry string) *nameFinding {
	toks := strings.Fields(nameNorm)
	if len(toks) == 0 {
		return nil
	}
	t := toks[len(toks)-1]
	if len(t) < 3 || len(t) > 6 || !isAbbrev(t[:min(len(t), 4)]) || !isAbbrev(t[len(t)-min(len(t), 4):]) {
		return nil
	}
	for k := len(t) - 1; k >= 2; k-- {
		for owner, h := range e.nameHits(" "+t[len(t)-k:]+" ", industry) {
			if r := &e.names[owner]; r.weak && r.pi == "" && !r.units {
				return &nameFinding{rule: r, owner: owner, kind: KindName, keyword: h.keyword, spec: 0, guess: true}
			}
		}
	}
	return nil
}

// sampleContradicts reports whether the column has a sample in which no value
// fits any content rule for pi (rules needing context are checked too, since
// the name supplies it). It looks at up to 20 values.
func (e *Engine) sampleContradicts(c Column, pi string, now time.Time) bool {
	var vals []string
	for _, v := range c.Values {
		if v = strings.TrimSpace(v); v != "" {
			vals = append(vals, v)
			if len(vals) == 20 {
				break
			}
		}
	}
	if len(vals) < max(e.pol.minValues, 3) {
		return false
	}
	checked := false
	for i := range e.content {
		r := &e.content[i]
		if r.pi != pi {
			continue
		}
		checked = true
		for _, v := range vals {
			if r.check(v, now) > 0 {
				return false
			}
		}
	}
	return checked
}

// better orders name findings: more specific keyword first, comment over name.
func better(a, b *nameFinding) bool {
	if a.spec != b.spec {
		return a.spec > b.spec
	}
	if a.kind != b.kind {
		return a.kind == KindComment
	}
	return a.owner < b.owner
}

// scanValues runs every content rule over the column's sample and returns the
// most confident one that reaches its ratio, or nil.
func (e *Engine) scanValues(c Column, f *columnFacts, now time.Time) *contentFinding {
	vals := make([]string, 0, min(len(c.Values), e.pol.maxValues))
	for _, v := range c.Values {
		if v = strings.TrimSpace(v); v != "" {
			vals = append(vals, v)
			if len(vals) == e.pol.maxValues {
				break
			}
		}
	}
	n := len(vals)
	if n < e.pol.minValues || n == 0 {
		return nil
	}
	ctx := map[int]string{}
	for _, norm := range []string{f.nameNorm, f.commentNorm} {
		for _, h := range e.ctxIdx.find(norm) {
			if _, ok := ctx[h.owner]; !ok {
				ctx[h.owner] = h.keyword
			}
		}
	}
	seen := make(map[string]int, n)
	for _, v := range vals {
		seen[v]++
	}
	f.sampleN, f.sampleD = n, len(seen)
	for _, k := range seen {
		switch k {
		case 1:
			f.f1++
		case 2:
			f.f2++
		}
	}
	distinct := float64(len(seen)) / float64(n)
	var best *contentFinding
	for ri := range e.content {
		r := &e.content[ri]
		kw, hasCtx := ctx[ri]
		if !hasCtx && f.piName != nil && r.pi != "" && f.piName.rule.pi == r.pi {
			kw, hasCtx = f.piName.rule.title, true
		}
		if r.requireContext && !hasCtx {
			continue
		}
		minRatio := e.pol.minRatio
		if r.minRatio > 0 {
			minRatio = r.minRatio
		}
		need := int(math.Ceil(minRatio * float64(n)))
		allowFail := n - need
		if n >= 64 && !probe(r, vals, now) {
			continue
		}
		matched, validated, failed := 0, 0, 0
		var samples []string
		for _, v := range vals {
			s := r.check(v, now)
			if s == 0 {
				failed++
				if failed > allowFail {
					break
				}
				continue
			}
			matched++
			if s == 2 {
				validated++
			}
			if len(samples) < 2 {
				samples = append(samples, Mask(r.mask, v))
			}
		}
		if matched < need || matched == 0 {
			continue
		}
		if validated < need && !hasCtx && n < e.pol.minValuesPattern {
			continue // a shape alone on a tiny sample proves little
		}
		if r.minDistinct > 0 && distinct < r.minDistinct {
			continue
		}
		conf := e.pol.confPattern
		if validated >= need {
			conf = e.pol.confValidated
		}
		if hasCtx {
			conf = e.pol.confContext
		}
		conf -= (1 - float64(matched)/float64(n)) * 0.1
		cf := &contentFinding{rule: r, matched: matched, validated: validated, n: n, conf: conf, samples: samples}
		if hasCtx {
			cf.context = kw
		}
		if best == nil || cf.conf > best.conf || cf.conf == best.conf && cf.matched > best.matched {
			best = cf
		}
	}
	return best
}

// probe checks 16 values spread over a large sample; when none matches, a
// ratio of 60% or more is out of reach for any realistic sample and the rule
// is skipped without scanning every value.
func probe(r *contentRule, vals []string, now time.Time) bool {
	const k = 16
	for i := 0; i < k; i++ {
		if r.check(vals[i*len(vals)/k], now) > 0 {
			return true
		}
	}
	return false
}

// inherit gives a pending column the table's context category, a weak
// content category, or the majority/PI/default category.
func (e *Engine) inherit(f *columnFacts, ctx *tableRule, majority, tableCat string) {
	l := &f.label
	switch {
	case ctx != nil:
		l.Category, f.catConf = ctx.category, e.pol.confTable
		l.Evidence = append(l.Evidence, Evidence{Kind: KindContext, Rule: ctx.id,
			Detail: fmt.Sprintf("按表上下文归入 %s（%s）", ctx.category, ctx.title)})
	case f.catName != nil && f.catName.rule.weak:
		l.Category, f.catConf = f.catName.rule.category, f.catName.conf
	case f.content != nil && f.content.rule.category != "":
		l.Category, f.catConf = f.content.rule.category, f.content.conf*0.8
	case majority != "":
		l.Category, f.catConf = majority, e.pol.confMajority
		l.Evidence = append(l.Evidence, Evidence{Kind: KindPolicy, Rule: "policy.majority",
			Detail: fmt.Sprintf("无列级依据，取表内多数类别 %s", majority)})
	case l.PI != "":
		l.Category, f.catConf = e.pol.piCategory, e.pol.confMajority
		l.Evidence = append(l.Evidence, Evidence{Kind: KindPolicy, Rule: "policy.pi_category",
			Detail: fmt.Sprintf("个人信息默认归入 %s", e.pol.piCategory)})
	default:
		l.Category, f.catConf = tableCat, e.pol.confFallback
		l.Evidence = append(l.Evidence, Evidence{Kind: KindPolicy, Rule: "policy.default_category",
			Detail: fmt.Sprintf("无依据，默认归入 %s，需人工确认", tableCat)})
	}
}

// grade applies the policy and (selected industry's) grading rules to one column.
func (e *Engine) grade(t Table, f *columnFacts, industry string, hasInd bool, tableNorm, tableCommentNorm string, tl *TableLabel, noted map[string]bool) {
	l := &f.label
	l.Level, l.SubLevel = LevelGeneral, 0
	fired := false
	for gi := range e.grades {
		g := &e.grades[gi]
		if g.industry != "" && (!hasInd || g.industry != industry) {
			continue
		}
		ok, rowsUnknown := e.gradeMatches(g, t, f, tableNorm, tableCommentNorm)
		if rowsUnknown && !noted[g.id] {
			noted[g.id] = true
			tl.Evidence = append(tl.Evidence, Evidence{Kind: g.kind(), Rule: g.id,
				Detail: fmt.Sprintf("行数未知，未能判断规模条件（≥%d）：%s；请人工核实", g.minRows, g.title)})
		}
		if !ok {
			continue
		}
		fired = true
		detail := fmt.Sprintf("%s → %s（依据：%s%s）", g.title, levelText(g.level, g.subLevel), g.basis, confirmedNote(g.confirmed))
		if g.minRows > 0 {
			if n := g.scaleOf(f, t.Rows); n != t.Rows {
				detail += fmt.Sprintf("；按样本重复度估算约 %d 人 ≥ %d（行数 %d）", n, g.minRows, t.Rows)
			} else {
				detail += fmt.Sprintf("；估算行数 %d ≥ %d（样本无重复，按一行一人/一条估算）", t.Rows, g.minRows)
			}
		}
		l.Evidence = append(l.Evidence, Evidence{Kind: g.kind(), Rule: g.id, Detail: detail})
		switch {
		case levelRank(g.level) > levelRank(l.Level):
			l.Level, l.SubLevel = g.level, 0
		case g.level == LevelGeneral && l.Level == LevelGeneral:
			l.SubLevel = max(l.SubLevel, g.subLevel)
		}
	}
	if l.Level != LevelGeneral {
		l.SubLevel = 0
	} else if l.SubLevel == 0 {
		l.SubLevel = e.pol.defaultSubLevel
	}
	if !fired {
		l.Evidence = append(l.Evidence, Evidence{Kind: KindPolicy, Rule: "policy.default_sublevel",
			Detail: fmt.Sprintf("未命中分级规则，默认%s", levelText(LevelGeneral, l.SubLevel))})
	}
}

// gradeMatches reports whether g applies to the column, and whether it
// would have applied had the row count been known.
func (e *Engine) gradeMatches(g *gradeRule, t Table, f *columnFacts, tableNorm, tableCommentNorm string) (ok, rowsUnknown bool) {
	l := &f.label
	if l.Category == "tech" && !contains(g.categories, "tech") {
		return false, false
	}
	if len(g.categories) > 0 && !contains(g.categories, l.Category) {
		return false, false
	}
	if len(g.pi) > 0 && (l.PI == "" || !contains(g.pi, "*") && !contains(g.pi, l.PI)) {
		return false, false
	}
	if l.PI != "" && len(g.categories) > 0 && len(g.pi) == 0 && g.sensitive == nil {
		return false, false // category rules describe business data, not the PI inside it
	}
	if g.sensitive != nil && *g.sensitive != e.pol.isSensitive(l.PI) {
		return false, false
	}
	if g.keywords != nil && !anyIn(g.keywords, tableNorm, tableCommentNorm, f.nameNorm, f.commentNorm) {
		return false, false
	}
	if g.tableKeywords != nil && !anyIn(g.tableKeywords, tableNorm, tableCommentNorm) {
		return false, false
	}
	if g.colKeywords != nil && !anyIn(g.colKeywords, f.nameNorm, f.commentNorm) {
		return false, false
	}
	if g.minRows > 0 {
		if t.Rows < 0 {
			return false, true
		}
		if g.scaleOf(f, t.Rows) < g.minRows {
			return false, false
		}
	}
	return true, false
}

// scaleOf is the size a min_rows condition compares: for rules about
// personal information the estimated number of people, otherwise the rows.
func (g *gradeRule) scaleOf(f *columnFacts, rows int64) int64 {
	if len(g.pi) == 0 && g.sensitive == nil {
		return rows
	}
	return f.people(rows)
}

// people estimates how many distinct subjects the column covers. A sample
// with no repeated value gives no evidence against one subject per row;
// otherwise the Chao1 richness estimate of the sample, capped at rows.
func (f *columnFacts) people(rows int64) int64 {
	if f.sampleN == 0 || f.f1 == f.sampleD {
		return rows
	}
	d, f1, f2 := float64(f.sampleD), float64(f.f1), float64(f.f2)
	est := d + f1*(f1-1)/2
	if f2 > 0 {
		est = d + f1*f1/(2*f2)
	}
	return min(rows, int64(est))
}

func anyIn(k *kwIndex, norms ...string) bool {
	for _, n := range norms {
		if _, ok := k.any(n); ok {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func confirmedNote(ok bool) string {
	if ok {
		return "；已确认"
	}
	return "；未确认，建议"
}

func levelText(level string, sub int) string {
	switch level {
	case LevelCore:
		return "核心数据"
	case LevelImportant:
		return "重要数据"
	}
	if sub > 0 {
		return fmt.Sprintf("一般数据（%d级）", sub)
	}
	return "一般数据"
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// keyLike reports whether the sampled values could be surrogate keys:
// integers or UUIDs (or no values at all).
func keyLike(vals []string) bool {
	for i, v := range vals {
		if i == 50 {
			break
		}
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			continue
		}
		if h := strings.ReplaceAll(v, "-", ""); len(h) == 32 && strings.Trim(strings.ToLower(h), "0123456789abcdef") == "" {
			continue
		}
		return false
	}
	return true
}

// isKeySuffix reports whether a keyword is a key suffix (id, pk, uuid).
func isKeySuffix(kw string) bool {
	switch strings.ToLower(kw) {
	case "id", "pk", "fk", "uuid", "guid", "oid":
		return true
	}
	return false
}

// anyHan reports whether some sampled value contains a Han character.
func anyHan(vals []string) bool {
	for _, v := range vals {
		if hasHan(v) {
			return true
		}
	}
	return false
}

// reference reports whether the column's name or comment ends in an
// identifier suffix (编号, 代码, _no, _code, bh): it references an entity.
func (f *columnFacts) reference() bool {
	for _, norm := range []string{f.commentNorm, f.nameNorm} {
		toks := strings.Fields(norm)
		if len(toks) == 0 {
			continue
		}
		last := toks[len(toks)-1]
		for _, suf := range []string{"编号", "编码", "代码", "代号", "号"} {
			if strings.HasSuffix(last, suf) {
				return true
			}
		}
		switch last {
		case "no", "id", "code", "num", "nbr":
			return len(toks) > 1
		}
		if len(last) > 2 && isAbbrev(last[len(last)-2:]) && (strings.HasSuffix(last, "bh") || strings.HasSuffix(last, "bm")) && isAbbrev(last[:min(len(last), 4)]) {
			return true
		}
	}
	return false
}

// corporateContact reports whether a contact-type PI finding belongs to an
// organisation: the column's name or comment says whose it is (or, for an
// address, that it is a registered one), no person is named, and a phone is
// no mobile number.
func (w *words) corporateContact(pi string, f *columnFacts) bool {
	return w.contactOfAnyone(pi, f) && (f.mentions(w.corporate) || pi == "pi.address" && f.mentions(w.registered))
}

// contactOfAnyone reports whether the PI type is contact information that
// an organisation has too, and the column names no person.
func (w *words) contactOfAnyone(pi string, f *columnFacts) bool {
	switch pi {
	case "pi.phone", "pi.address", "pi.email", "pi.bank_account":
	default:
		return false
	}
	if pi == "pi.phone" && f.content != nil && strings.Contains(f.content.rule.id, "mobile") {
		return false
	}
	return !f.mentions(w.person)
}

// mentions reports whether the column's comment holds one of the Chinese
// words or its name one of the others as a whole token.
func (f *columnFacts) mentions(words []string) bool {
	return mentions(words, f.commentNorm, f.nameNorm)
}

// corporateTable reports whether a table is a register of organisations
// (suppliers, dealers, traders, contractors) by its name or comment.
func (w *words) corporateTable(nameNorm, commentNorm string) bool {
	both := nameNorm + commentNorm
	return mentions(w.corporateTables, both, both)
}

// mentions reports whether the normalised text han contains one of the
// Chinese words, or the normalised text ascii one of the others as a whole
// token.
func mentions(words []string, han, ascii string) bool {
	for _, w := range words {
		if hasHan(w) && strings.Contains(han, w) || !hasHan(w) && strings.Contains(ascii, " "+w+" ") {
			return true
		}
	}
	return false
}
