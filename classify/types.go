package classify

import "strings"

// Column is one column (or file field) as the scan runner saw it.
type Column struct {
	Name    string
	Type    string
	Comment string
	// Values are sampled raw values; the engine never stores or outputs them
	// except masked.
	Values []string
}

// Table is one table (or file) with its columns and sampled values.
type Table struct {
	Name    string
	Comment string
	// Rows is the row-count estimate; -1 when unknown.
	Rows    int64
	Columns []Column
}

// Options steer one classification.
type Options struct {
	// Industry is a GB/T 4754 code such as "C31" (longer codes like "C3120"
	// match by prefix) or an industry key such as "steel"; "" means none.
	Industry string
}

// Evidence kinds.
const (
	KindContent  = "content"
	KindName     = "name"
	KindComment  = "comment"
	KindContext  = "context"
	KindVolume   = "volume"
	KindIndustry = "industry"
	KindPolicy   = "policy"
	KindModel    = "model"
)

// Evidence explains one step of a label; Detail holds only masked samples and ratios.
type Evidence struct {
	Kind   string `json:"kind"`
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
}

// Levels, from the most to the least severe.
const (
	LevelCore      = "core"
	LevelImportant = "important"
	LevelGeneral   = "general"
)

// ColumnLabel is the proposed classification and grading of one column.
type ColumnLabel struct {
	// Category is a taxonomy code such as "prod.process" or "tech".
	Category string `json:"category"`
	// PI is "" or a pi.* code.
	PI          string `json:"pi"`
	SensitivePI bool   `json:"sensitive_pi"`
	// Level is "core", "important" or "general".
	Level string `json:"level"`
	// SubLevel is 1-4 for general data (policy table), 0 otherwise.
	SubLevel   int        `json:"sublevel"`
	Confidence float64    `json:"confidence"`
	Evidence   []Evidence `json:"evidence"`
}

// TableLabel is the proposed classification and grading of one table.
type TableLabel struct {
	Category string `json:"category"`
	Level    string `json:"level"`
	SubLevel int    `json:"sublevel"`
	// Columns are in the same order as the input columns.
	Columns  []ColumnLabel `json:"columns"`
	Evidence []Evidence    `json:"evidence"`
	// Caveat reminds the reader that grading is a proposal a person confirms.
	Caveat string `json:"caveat"`
}

// PackInfo identifies the loaded rule packs so results can be compared like with like.
type PackInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// SM3 is the hex SM3 digest over the canonical bytes of every pack file
	// in sorted order (see packs/README.md).
	SM3 string `json:"sm3"`
}

// Industry is one industry a rule pack covers.
type Industry struct {
	Key string `json:"key"`
	// Codes are GB/T 4754-2017 codes, e.g. ["C31"].
	Codes  []string `json:"codes"`
	NameZH string   `json:"name_zh"`
	NameEN string   `json:"name_en"`
}

// Caveat is the sentence every TableLabel carries.
const Caveat = "分级结果为自动生成的建议，须由数据安全负责人人工确认后方可生效（grading is a proposal a person confirms）"

// categoryList holds the taxonomy codes of ARCHITECTURE.md, space separated.
const categoryList = "rd.design rd.test prod.control prod.condition prod.process prod.log " +
	"om.logistics om.aftersales mgmt.asset mgmt.customer_product mgmt.supply_chain " +
	"mgmt.business_stats mgmt.hr_finance ext.shared tech"

// piList holds the personal-information type codes of ARCHITECTURE.md.
const piList = "pi.name pi.id_number pi.phone pi.email pi.address pi.bank_account " +
	"pi.biometric pi.health pi.location pi.credential pi.birth pi.gender pi.employment pi.other"

// Categories returns the taxonomy codes in their canonical order.
func Categories() []string { return strings.Fields(categoryList) }

// PITypes returns the personal-information type codes.
func PITypes() []string { return strings.Fields(piList) }

func isCategory(s string) bool {
	return s != "" && !strings.Contains(s, " ") && strings.Contains(" "+categoryList+" ", " "+s+" ")
}

func isPIType(s string) bool {
	return s != "" && !strings.Contains(s, " ") && strings.Contains(" "+piList+" ", " "+s+" ")
}

func levelRank(l string) int {
	switch l {
	case LevelCore:
		return 3
	case LevelImportant:
		return 2
	case LevelGeneral:
		return 1
	}
	return 0
}
