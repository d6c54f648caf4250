package ingest

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/shuan-dev/shuan"
)

// fuzzParse parses rec and checks the invariants every parser keeps.
func fuzzParse(t *testing.T, p Parser, rec []byte) (shuan.Event, bool) {
	var ev shuan.Event
	ok, err := p.Parse(rec, Position{Origin: "/f", Key: "g:1", Line: 1}, &ev)
	if err != nil {
		return ev, false
	}
	if ok && (len(ev.ID) != 64 || ev.Source == "" || ev.Action == "") {
		t.Fatalf("event without id, source or action: %+v", ev)
	}
	return ev, ok
}

// secretOK reports whether s is a useful secret for the no-literal check:
// long enough, plain letters and digits, not a word of the template.
func secretOK(s, template string) bool {
	if len(s) < 4 || strings.Contains(strings.ToLower(template), strings.ToLower(s)) {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

func checkSecret(t *testing.T, ev shuan.Event, secret string) {
	if strings.Contains(ev.Statement, secret) {
		t.Fatalf("statement %q keeps literal %q", ev.Statement, secret)
	}
	for k, v := range ev.Fields {
		if strings.Contains(v, secret) {
			t.Fatalf("field %s=%q keeps literal %q", k, v, secret)
		}
	}
}

// pgQuote quotes a string literal for PostgreSQL.
func pgQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func FuzzPgaudit(f *testing.F) {
	for _, s := range []string{
		`2026-11-25 19:35:44.772 UTC [14417] postgres@db 127.0.0.1(53804) LOG:  AUDIT: SESSION,5,1,READ,SELECT,,,select count(*) from t;,<not logged>,1`,
		"2026-11-25 19:35:44.771 UTC [14417] postgres@db 127.0.0.1(53804) LOG:  AUDIT: SESSION,4,1,READ,SELECT,,,\"select *\n\t from t where a = 'x, y'\",<not logged>,0",
		`2026-11-25 19:35:44.891 UTC [5465] LOG:  checkpoint starting: immediate force wait`,
		`2026-11-25 19:35:44.790 UTC [1] u@d [local] ERROR:  permission denied`,
		`2026-11-25 19:35:44.790 UTC [1] u@d [local] STATEMENT:  copy t to program 'x'`,
		`2026-11-25 19:40:00.001 UTC [999] alice@erp 10.1.2.3(40000) FATAL:  password authentication failed for user "alice"`,
	} {
		f.Add([]byte(s), "hunter2secret")
	}
	f.Fuzz(func(t *testing.T, rec []byte, secret string) {
		p, _ := NewPgaudit(Options{})
		fuzzParse(t, p, rec)
		csv := NewPgauditCSV(Options{})
		fuzzParse(t, csv, rec)
		if !secretOK(secret, "select a from t where b and c in audit session read log") {
			return
		}
		stmt := "select a from t where b = " + pgQuote(secret) + " and c in (1, 2)"
		csvStmt := strings.ReplaceAll(stmt, `"`, `""`)
		line := `2026-11-25 19:35:44.772 UTC [1] u@d 127.0.0.1(5) LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,"` + csvStmt + `",<not logged>,1`
		ev, ok := fuzzParse(t, p, []byte(line))
		if !ok {
			t.Fatalf("valid line not parsed: %q", line)
		}
		checkSecret(t, ev, secret)
		p.Parse([]byte(`2026-11-25 19:35:44.790 UTC [7] u@d [local] ERROR:  boom`), Position{}, &ev)
		ev, ok = fuzzParse(t, p, []byte(`2026-11-25 19:35:44.790 UTC [7] u@d [local] STATEMENT:  `+stmt))
		if !ok {
			t.Fatal("failed statement not parsed")
		}
		checkSecret(t, ev, secret)
	})
}

// mariaQuote quotes an object as server_audit writes it.
func mariaQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`, "\n", `\n`).Replace(s) + "'"
}

func FuzzMariaDB(f *testing.F) {
	for _, s := range []string{
		`20261125 19:36:06,vm,shuan,localhost,82,3167,QUERY,probe_db,'select *\n from t where name = \'x\\\'y\' and id in (1,2)',0`,
		`20261125 19:36:06,vm,shuan,localhost,82,3165,READ,probe_db,t,`,
		`20261125 19:36:06,vm,nobody,localhost,83,0,FAILED_CONNECT,,,1045`,
		`20261125 19:36:06,vm,shuan,localhost,82,3171,QUERY,probe_db,'grant all on *.* to \'evil\'@\'%\' with grant option',0`,
	} {
		f.Add([]byte(s), "hunter2secret")
	}
	f.Fuzz(func(t *testing.T, rec []byte, secret string) {
		p := NewMariaDB(Options{})
		fuzzParse(t, p, rec)
		if !secretOK(secret, "select a from t where b and c in query shuan localhost vm probe_db") {
			return
		}
		stmt := "select a from t where b = '" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(secret) + "' and c in (1, 2)"
		line := `20261125 19:36:06,vm,shuan,localhost,82,3167,QUERY,probe_db,` + mariaQuote(stmt) + `,0`
		ev, ok := fuzzParse(t, p, []byte(line))
		if !ok {
			t.Fatalf("valid line not parsed: %q", line)
		}
		checkSecret(t, ev, secret)
	})
}

func FuzzSyslog5424(f *testing.F) {
	for _, s := range []string{
		`<165>1 2026-11-25T19:36:06.123+08:00 plc-gw-01 scada 4242 ID47 [exampleSDID@32473 iut="3" eventSource="App \"x\""] msg`,
		`<14>1 - - - - - -`,
		`<0>1 2026-11-25T19:36:06Z h a p m [a b="\]"][c d=""] ` + "\ufeff" + "x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		p := NewSyslog(Options{})
		ev, ok := fuzzParse(t, p, rec)
		if ok && (ev.Severity < 0 || ev.Severity > 7 || len(ev.Message) > MaxMessage) {
			t.Fatalf("event %+v", ev)
		}
	})
}

func FuzzSyslog3164(f *testing.F) {
	for _, s := range []string{
		`<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8`,
		`Dec 31 23:59:59 host sshd: Accepted publickey for ops`,
		`2026-11-25T19:34:18.123456+00:00 db1 postgres[12]: hello`,
		`<13>Nov  5 01:02:03 prog[1]: no host`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		p := NewSyslog(Options{})
		ev, ok := fuzzParse(t, p, rec)
		if ok && (ev.Severity < 0 || ev.Severity > 7 || len(ev.Message) > MaxMessage) {
			t.Fatalf("event %+v", ev)
		}
	})
}

func FuzzNDJSON(f *testing.F) {
	for _, s := range []string{
		`{"time":"2026-11-25T19:36:06+08:00","actor":"scott","action":"SELECT","statement":"select * from emp where ssn = 'x'"}`,
		`{"id":"x1","time":"2026-11-25T19:36:06Z","action":"LOGIN","rows":5,"fields":{"dialect":"mysql"}}`,
		`{"time":"2026-11-25T19:36:06Z"}`,
	} {
		f.Add([]byte(s), "hunter2secret")
	}
	f.Fuzz(func(t *testing.T, rec []byte, secret string) {
		p := NewNDJSON(Options{})
		fuzzParse(t, p, rec)
		if !secretOK(secret, "select a from t where b and c in") {
			return
		}
		for _, dialect := range []string{"postgres", "mysql"} {
			stmt := "select a from t where b = " + pgQuote(secret) + " and c in (1, 2)"
			if dialect == "mysql" {
				stmt = "select a from t where b = '" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(secret) + "'"
			}
			b, _ := json.Marshal(map[string]any{"time": "2026-11-25T19:36:06Z", "action": "SELECT", "statement": stmt, "fields": map[string]string{"dialect": dialect}})
			ev, ok := fuzzParse(t, p, b)
			if !ok {
				t.Fatalf("valid line not parsed: %s", b)
			}
			checkSecret(t, ev, secret)
		}
	})
}
