package shuan

import "time"

// Event is one normalised data-access or system event, whatever log it came
// from. It never carries literal values from statements: Statement holds a
// fingerprint with literals replaced.
type Event struct {
	ID        string            `json:"id"`     // stable: SM3 of source and position, so re-reading is idempotent
	Time      time.Time         `json:"time"`   // when it happened (UTC)
	Source    string            `json:"source"` // e.g. "pgaudit", "mariadb_audit", "syslog", "ndjson"
	Origin    string            `json:"origin"` // where it was read: file path, listener address
	Host      string            `json:"host,omitempty"`
	Program   string            `json:"program,omitempty"`
	Actor     string            `json:"actor,omitempty"`  // database user or account
	Client    string            `json:"client,omitempty"` // client address
	Database  string            `json:"database,omitempty"`
	Object    string            `json:"object,omitempty"` // schema.table (or file, resource)
	Action    string            `json:"action"`           // SELECT, INSERT, UPDATE, DELETE, TRUNCATE, DROP, COPY, GRANT, CREATE_ROLE, ALTER_ROLE, LOGIN, LOGIN_FAILED, CONNECT, DISCONNECT, MESSAGE …
	Class     string            `json:"class,omitempty"`  // READ, WRITE, DDL, ROLE, AUTH, MISC
	Rows      int64             `json:"rows"`             // rows returned or affected; -1 when the log does not say
	Statement string            `json:"statement,omitempty"`
	Success   bool              `json:"success"`
	Severity  int               `json:"severity,omitempty"` // syslog severity 0-7 where relevant
	Message   string            `json:"message,omitempty"`  // free text for non-database events
	Fields    map[string]string `json:"fields,omitempty"`
}

// Risk types the plan names (专栏2 and the drills of 专栏2.2).
const (
	RiskLeakage         = "leakage"          // 数据泄露
	RiskTampering       = "tampering"        // 数据篡改
	RiskAbuse           = "abuse"            // 数据滥用
	RiskIllegalTransfer = "illegal_transfer" // 违规传输
	RiskIllegalAccess   = "illegal_access"   // 非法访问
	RiskTrafficAnomaly  = "traffic_anomaly"  // 流量异常
	RiskRansomware      = "ransomware"       // 勒索病毒
	RiskSupplyChain     = "supply_chain"     // 供应链攻击
)

// Data levels used across classification, catalogs and incidents.
const (
	LevelCore      = "core"      // 核心数据
	LevelImportant = "important" // 重要数据
	LevelGeneral   = "general"   // 一般数据
)
