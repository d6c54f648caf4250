package sqlfp

import "strings"

// Statement is what a statement reveals without its literal values.
type Statement struct {
	Fingerprint string
	Action      string // SELECT, INSERT, UPDATE, DELETE, TRUNCATE, DROP, CREATE, ALTER, COPY, GRANT, REVOKE, CREATE_ROLE, ALTER_ROLE, DROP_ROLE, LOAD, …
	Class       string // READ, WRITE, DDL, ROLE, MISC
	Command     string // command tag, e.g. "CREATE TABLE", "CREATE ROLE"
	Object      string // main table (schema.table) or role
	// Export names a server-side export or program run: "program" (COPY …
	// TO/FROM PROGRAM), "file" (COPY … TO 'file'), "outfile", "dumpfile"
	// (SELECT … INTO OUTFILE/DUMPFILE).
	Export string
	// Privileged names a privilege escalation: "superuser" (ROLE …
	// SUPERUSER), "all_privileges" (GRANT ALL ON *.*), "super" (GRANT
	// SUPER), "grant_option", "server_files" (pg_execute_server_program and
	// friends).
	Privileged string
}

// tokens keeps the head and tail of a token stream.
type tokens struct {
	head []token
	tail [8]token
	n    int // tokens seen
}

func (ts *tokens) add(t token) {
	if len(ts.head) < maxTokens {
		ts.head = append(ts.head, t)
	}
	ts.tail[ts.n%len(ts.tail)] = t
	ts.n++
}

// Parse fingerprints stmt and reads its verb, class and main object.
func Parse(stmt string, d Dialect) Statement {
	var ts tokens
	ts.head = make([]token, 0, 64)
	st := Statement{Fingerprint: fingerprint(stmt, d, &ts)}
	analyze(&st, &ts, d)
	return st
}

// Command maps a command tag such as pgaudit's "CREATE ROLE" to an action
// and class, the same way Parse names them.
func Command(tag string) (action, class string) {
	tag = strings.ToUpper(strings.TrimSpace(tag))
	verb, rest, _ := strings.Cut(tag, " ")
	rest = strings.TrimSpace(rest)
	switch verb {
	case "SELECT", "SHOW", "VALUES", "TABLE", "FETCH":
		return verb, "READ"
	case "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "REPLACE", "LOAD":
		return verb, "WRITE"
	case "COPY":
		return verb, "READ"
	case "GRANT", "REVOKE":
		return verb, "ROLE"
	case "CREATE", "ALTER", "DROP":
		if isRoleWord(firstWord(rest)) {
			return verb + "_ROLE", "ROLE"
		}
		return verb, "DDL"
	case "RENAME", "COMMENT", "REINDEX", "CLUSTER", "VACUUM", "ANALYZE", "REFRESH", "IMPORT", "SECURITY":
		return verb, "DDL"
	case "":
		return "UNKNOWN", "MISC"
	}
	return strings.ReplaceAll(tag, " ", "_"), "MISC"
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

func isRoleWord(w string) bool {
	return w == "ROLE" || w == "USER" || w == "GROUP"
}

// is reports whether t is the keyword w (upper case), without allocating.
func is(t token, w string) bool {
	return t.kind == tWord && len(t.text) == len(w) && strings.EqualFold(t.text, w)
}

// word returns the upper-cased keyword of t, or "" for other tokens.
func word(t token) string {
	if t.kind != tWord {
		return ""
	}
	return strings.ToUpper(t.text)
}

func analyze(st *Statement, ts *tokens, d Dialect) {
	tk := ts.head
	// Skip leading parentheses and a WITH list to reach the verb.
	i := 0
	for i < len(tk) && tk[i].kind == tPunct && tk[i].text == "(" {
		i++
	}
	if i < len(tk) && is(tk[i], "WITH") {
		depth := 0
		for i++; i < len(tk); i++ {
			if tk[i].kind == tPunct {
				switch tk[i].text {
				case "(":
					depth++
				case ")":
					depth--
				}
				continue
			}
			if depth == 0 {
				switch word(tk[i]) {
				case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE":
					goto verb
				}
			}
		}
	}
verb:
	if i >= len(tk) {
		st.Action, st.Class = "UNKNOWN", "MISC"
		return
	}
	v := word(tk[i])
	rest := tk[i+1:]
	switch v {
	case "SELECT", "VALUES", "TABLE", "SHOW", "DESC", "DESCRIBE", "EXPLAIN":
		st.Command = v
		st.Action, st.Class = Command(v)
		if v == "TABLE" {
			st.Object = name(rest, 0, d)
		} else {
			st.Object = fromObject(rest, d)
		}
		if v == "SELECT" {
			st.Export = intoFile(ts)
		}
	case "INSERT", "REPLACE":
		st.Command = v
		st.Action, st.Class = v, "WRITE"
		j := skipWords(rest, 0, "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO")
		st.Object = name(rest, j, d)
	case "UPDATE":
		st.Command = v
		st.Action, st.Class = v, "WRITE"
		st.Object = name(rest, skipWords(rest, 0, "LOW_PRIORITY", "IGNORE", "ONLY"), d)
	case "DELETE", "MERGE":
		st.Command = v
		st.Action, st.Class = v, "WRITE"
		st.Object = fromObject(rest, d)
		if st.Object == "" {
			st.Object = name(rest, skipWords(rest, 0, "LOW_PRIORITY", "QUICK", "IGNORE", "INTO"), d)
		}
	case "TRUNCATE":
		st.Command = v
		st.Action, st.Class = v, "WRITE"
		st.Object = name(rest, skipWords(rest, 0, "TABLE", "ONLY"), d)
	case "COPY":
		st.Command = v
		st.Action, st.Class = "COPY", "READ"
		if len(rest) > 0 && rest[0].kind == tPunct && rest[0].text == "(" {
			st.Object = fromObject(rest, d)
		} else {
			st.Object = name(rest, 0, d)
		}
		// The direction follows the table name or the closing parenthesis.
		depth := 0
		for j := 0; j < len(rest); j++ {
			if rest[j].kind == tPunct {
				if rest[j].text == "(" {
					depth++
				} else if rest[j].text == ")" {
					depth--
				}
				continue
			}
			if depth != 0 {
				continue
			}
			if !is(rest[j], "TO") && !is(rest[j], "FROM") {
				continue
			}
			w := word(rest[j])
			if w == "FROM" {
				st.Class = "WRITE"
			}
			if j+1 < len(rest) {
				switch {
				case is(rest[j+1], "PROGRAM"):
					st.Export = "program"
				case rest[j+1].kind == tLit && w == "TO":
					st.Export = "file"
				}
			}
			break
		}
	case "LOAD":
		st.Command = "LOAD DATA"
		st.Action, st.Class = "LOAD", "WRITE"
		for j := 0; j+1 < len(rest); j++ {
			if is(rest[j], "INTO") && is(rest[j+1], "TABLE") {
				st.Object = name(rest, j+2, d)
				break
			}
		}
	case "CREATE", "ALTER", "DROP":
		j := skipWords(rest, 0, "OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "UNIQUE", "MATERIALIZED", "RECURSIVE", "DEFINER", "ALGORITHM", "SQL", "SECURITY", "ONLINE", "OFFLINE", "IGNORE", "FOREIGN", "TRUSTED", "PROCEDURAL")
		kind := ""
		if j < len(rest) {
			kind = word(rest[j])
		}
		st.Command = strings.TrimSpace(v + " " + kind)
		st.Action, st.Class = Command(st.Command)
		j = skipWords(rest, j+1, "IF", "NOT", "EXISTS", "ONLY", "CONCURRENTLY")
		switch {
		case isRoleWord(kind):
			st.Object = roleName(rest, j, d)
			if v != "DROP" {
				for _, t := range rest[j:] {
					if is(t, "SUPERUSER") {
						st.Privileged = "superuser"
					}
				}
			}
		case kind == "INDEX":
			// CREATE INDEX [name] ON table: the table is the object.
			for k := j; k+1 < len(rest); k++ {
				if is(rest[k], "ON") {
					st.Object = name(rest, skipWords(rest, k+1, "ONLY"), d)
					break
				}
			}
			if st.Object == "" {
				st.Object = name(rest, j, d)
			}
		default:
			st.Object = name(rest, j, d)
		}
	case "RENAME":
		st.Command = "RENAME"
		st.Action, st.Class = "RENAME", "DDL"
		st.Object = name(rest, skipWords(rest, 0, "TABLE"), d)
	case "GRANT", "REVOKE":
		st.Command = v
		st.Action, st.Class = v, "ROLE"
		on := -1
		for j, t := range rest {
			w := word(t)
			switch w {
			case "ON":
				if on < 0 {
					on = j
				}
			case "SUPER", "SUPERUSER":
				if v == "GRANT" {
					st.Privileged = "super"
				}
			case "PG_EXECUTE_SERVER_PROGRAM", "PG_WRITE_SERVER_FILES", "PG_READ_SERVER_FILES":
				if v == "GRANT" && st.Privileged == "" {
					st.Privileged = "server_files"
				}
			}
		}
		if on >= 0 {
			k := skipWords(rest, on+1, "TABLE", "ALL", "TABLES", "IN", "SCHEMA", "SEQUENCE", "SEQUENCES", "FUNCTION", "DATABASE", "PROCEDURE")
			if k < len(rest) && rest[k].kind == tPunct && strings.HasPrefix(rest[k].text, "*") {
				st.Object = "*.*"
				if v == "GRANT" && len(rest) > 0 && is(rest[0], "ALL") && st.Privileged == "" {
					st.Privileged = "all_privileges"
				}
			} else {
				st.Object = name(rest, k, d)
			}
		} else {
			st.Object = name(rest, 0, d)
		}
		if v == "GRANT" && st.Privileged == "" {
			for j := 0; j+2 < len(rest); j++ {
				if is(rest[j], "WITH") && is(rest[j+1], "GRANT") && is(rest[j+2], "OPTION") {
					st.Privileged = "grant_option"
				}
				if is(rest[j], "WITH") && is(rest[j+1], "ADMIN") && is(rest[j+2], "OPTION") {
					st.Privileged = "grant_option"
				}
			}
		}
	default:
		st.Command = v
		if v == "" {
			st.Command = ""
		}
		st.Action, st.Class = Command(v)
	}
}

// skipWords returns the index of the first token at or after j that is
// not one of the keywords ws (or a DEFINER=… value).
func skipWords(tk []token, j int, ws ...string) int {
	for j < len(tk) {
		found := false
		for _, x := range ws {
			if is(tk[j], x) {
				found = true
				break
			}
		}
		if !found {
			return j
		}
		j++
	}
	return j
}

// fromObject returns the first table after FROM, preferring a FROM at the
// top level over one in a sub-query.
func fromObject(tk []token, d Dialect) string {
	depth, first := 0, -1
	for j, t := range tk {
		if t.kind == tPunct {
			if t.text == "(" {
				depth++
			} else if t.text == ")" {
				depth--
			}
			continue
		}
		if !is(t, "FROM") {
			continue
		}
		k := skipWords(tk, j+1, "ONLY", "LATERAL")
		if k < len(tk) && (tk[k].kind == tWord || tk[k].kind == tQIdent) {
			if depth == 0 {
				return name(tk, k, d)
			}
			if first < 0 {
				first = k
			}
		}
	}
	if first >= 0 {
		return name(tk, first, d)
	}
	return ""
}

// intoFile reports SELECT … INTO OUTFILE/DUMPFILE from the statement tail
// (or head, for short statements).
func intoFile(ts *tokens) string {
	check := func(tk []token) string {
		for j := 0; j+1 < len(tk); j++ {
			if is(tk[j], "INTO") {
				switch {
				case is(tk[j+1], "OUTFILE"):
					return "outfile"
				case is(tk[j+1], "DUMPFILE"):
					return "dumpfile"
				}
			}
		}
		return ""
	}
	if e := check(ts.head); e != "" {
		return e
	}
	if ts.n <= len(ts.head) {
		return ""
	}
	tail := make([]token, 0, len(ts.tail))
	for k := 0; k < len(ts.tail); k++ {
		tail = append(tail, ts.tail[(ts.n+k)%len(ts.tail)])
	}
	return check(tail)
}

// name reads a possibly qualified name starting at tk[j]. Unquoted
// PostgreSQL names fold to lower case, as the server folds them.
func name(tk []token, j int, d Dialect) string {
	var parts []string
	for j < len(tk) {
		t := tk[j]
		switch {
		case t.kind == tQIdent:
			parts = append(parts, t.text)
		case t.kind == tWord && !reserved(t.text):
			if d == Postgres {
				parts = append(parts, strings.ToLower(t.text))
			} else {
				parts = append(parts, t.text)
			}
		default:
			return strings.Join(parts, ".")
		}
		if j+1 < len(tk) && tk[j+1].kind == tPunct && tk[j+1].text == "." {
			j += 2
			continue
		}
		break
	}
	return strings.Join(parts, ".")
}

// roleName reads a role name, or a MySQL 'user'@'host' account (the user
// part only: an account name is not a data value).
func roleName(tk []token, j int, d Dialect) string {
	if j < len(tk) && tk[j].kind == tLit {
		return tk[j].text
	}
	return name(tk, j, d)
}

// reserved lists keywords that cannot start a table name where we look
// for one.
func reserved(w string) bool {
	switch strings.ToUpper(w) {
	case "SELECT", "WHERE", "SET", "VALUES", "FROM", "ON", "TO", "USING", "AS", "JOIN", "WITH", "DEFAULT", "ORDER", "GROUP", "LIMIT", "UNION", "RETURNING", "INTO", "BY", "AND", "OR", "NOT", "NULL":
		return true
	}
	return false
}
