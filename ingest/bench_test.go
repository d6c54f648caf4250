package ingest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shuan-dev/shuan"
)

// benchLines builds n realistic records of a format.
func benchLines(format string, n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		switch format {
		case "pgaudit":
			switch i % 4 {
			case 0:
				fmt.Fprintf(&b, "2026-11-25 19:34:18.%03d UTC [12442] app@erp 10.0.3.%d(52454) LOG:  AUDIT: SESSION,%d,1,READ,SELECT,,,\"SELECT \"\"id\"\"::text, \"\"vin\"\"::text, \"\"owner_mobile\"\"::text FROM \"\"fx\"\".\"\"vehicle_telematics\"\" WHERE owner_mobile = '1380013%04d' AND id IN (1, 2, 3)\",<not logged>,%d\n", i%1000, i%250, i, i%10000, i%500)
			case 1:
				fmt.Fprintf(&b, "2026-11-25 19:34:18.%03d UTC [12443] app@erp 10.0.3.%d(52470) LOG:  AUDIT: SESSION,%d,1,WRITE,UPDATE,,,\"update orders\n\t   set status = 'shipped', updated_at = now()\n\t where id = %d\",<not logged>,1\n", i%1000, i%250, i, i)
			case 2:
				fmt.Fprintf(&b, "2026-11-25 19:34:18.%03d UTC [12444] etl@erp 10.0.3.%d(52471) LOG:  AUDIT: SESSION,%d,1,WRITE,DELETE,,,delete from audit_tmp where created < '2026-01-01',<not logged>,%d\n", i%1000, i%250, i, i)
			case 3:
				fmt.Fprintf(&b, "2026-11-25 19:34:18.%03d UTC [5465] LOG:  checkpoint complete: wrote 6429 buffers (39.2%%)\n", i%1000)
			}
		case "pgaudit_csv":
			fmt.Fprintf(&b, "2026-11-25 19:35:44.%03d UTC,\"app\",\"erp\",14417,\"10.0.3.%d:53804\",6742f7a0.3851,%d,\"SELECT\",2026-11-25 19:35:44 UTC,3/12,0,LOG,00000,\"AUDIT: SESSION,%d,1,READ,SELECT,,,\"\"select id, phone from customers where phone = '1380013%04d'\"\",<not logged>,%d\",,,,,,,,,\"psql\",\"client backend\",,0\n", i%1000, i%250, i, i, i%10000, i%100)
		case "mariadb_audit":
			if i%2 == 0 {
				fmt.Fprintf(&b, "20261125 19:36:06,vm,app,10.0.3.%d,%d,%d,READ,erp,customers,\n", i%250, i%300, i)
			} else {
				fmt.Fprintf(&b, "20261125 19:36:06,vm,app,10.0.3.%d,%d,%d,QUERY,erp,'select id, phone from customers where phone = \\'1380013%04d\\' and id in (1,2,3)',0\n", i%250, i%300, i, i%10000)
			}
		case "syslog":
			if i%2 == 0 {
				fmt.Fprintf(&b, "<165>1 2026-11-25T19:36:06.%03dZ plc-gw-01 scada %d ID47 [meta seq=\"%d\"] operator login to HMI station %d\n", i%1000, i, i, i%40)
			} else {
				fmt.Fprintf(&b, "<34>Nov 25 19:36:06 host%d sshd[%d]: Failed password for root from 203.0.113.%d port 22 ssh2\n", i%9, i, i%250)
			}
		case "ndjson":
			fmt.Fprintf(&b, `{"time":"2026-11-25T19:36:06Z","source":"oracle_audit","actor":"scott","client":"10.0.3.%d","database":"ORCL","object":"HR.EMP","action":"SELECT","rows":%d,"statement":"select * from emp where ssn = '%d'","success":true}`+"\n", i%250, i, i)
		}
	}
	return b.Bytes()
}

// parseAll frames data into records as the Tailer does and parses them.
func parseAll(p Parser, data []byte, ev *shuan.Event) (events int) {
	var rec []byte
	var off int64
	emit := func() {
		if len(rec) == 0 {
			return
		}
		if ok, err := p.Parse(rec, Position{Origin: "/bench", Key: fileKey("g", off)}, ev); ok && err == nil {
			events++
		}
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		line := data[:i+1]
		data = data[i+1:]
		if len(rec) > 0 && p.Continues(rec, line) {
			rec = append(rec, line...)
			continue
		}
		emit()
		off += int64(len(rec))
		rec = append(rec[:0], line...)
	}
	emit()
	return events
}

// BenchmarkParse measures parse and normalise (fingerprint, ID) per
// format, next to a plain bufio.Scanner line split of the same bytes.
func BenchmarkParse(b *testing.B) {
	const n = 20000
	for _, format := range []string{"pgaudit", "pgaudit_csv", "mariadb_audit", "syslog", "ndjson"} {
		data := benchLines(format, n)
		b.Run("scan_lines/"+format, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			lines := 0
			for b.Loop() {
				sc := bufio.NewScanner(bytes.NewReader(data))
				for sc.Scan() {
					lines++
				}
			}
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
		})
		b.Run("parse/"+format, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			events := 0
			var ev shuan.Event
			for b.Loop() {
				p, err := NewParser(format, Options{})
				if err != nil {
					b.Fatal(err)
				}
				events += parseAll(p, data, &ev)
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkTail measures the whole file path: read, frame, parse, batch,
// sink and position save (in memory).
func BenchmarkTail(b *testing.B) {
	data := benchLines("pgaudit", 20000)
	path := filepath.Join(b.TempDir(), "pg.log")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	events := 0
	sink := func(ctx context.Context, evs []shuan.Event) error { events += len(evs); return nil }
	for b.Loop() {
		p, _ := NewPgaudit(Options{})
		tl := &Tailer{Path: path, Parser: p, Once: true}
		if err := tl.Run(context.Background(), sink); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
