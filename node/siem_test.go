package node

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shuan-dev/shuan/detect"
)

func testAlert() detect.Alert {
	return detect.Alert{ID: "a1", Rule: "bulk-read", RuleTitle: "Bulk read | important", Risk: "leakage", Severity: "critical",
		Time: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC), Actor: "etl", Client: "10.1.2.3", Database: "mes",
		Object: "public.formula", DataLevel: "core", Count: 3, SummaryEN: "read 20000 rows a=b\nnext", PackVersion: "2026.11.0"}
}

func TestSIEMOverUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	f, err := newSIEMForwarder("udp://"+pc.LocalAddr().String(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Send(testAlert()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	for _, want := range []string{
		"<34>1 2026-11-25T08:00:00Z ", " shuan - bulk-read - CEF:0|shuan|shuan|v1|bulk-read|Bulk read \\| important|10|",
		"rt=1795593600000", "cat=leakage", "suser=etl", "src=10.1.2.3", "cs1=mes", "cs2=public.formula",
		"cs3=core", "cnt=3", `msg=read 20000 rows a\=b\nnext`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CEF message lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\n") {
		t.Errorf("a UDP syslog message must be one line: %q", got)
	}
}

func TestSIEMOverTCPReconnects(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lines := make(chan string, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			sc := bufio.NewScanner(c)
			if sc.Scan() {
				lines <- sc.Text()
			}
			c.Close() // the SIEM drops the connection after each message
		}
	}()
	f, err := newSIEMForwarder("tcp://"+l.Addr().String(), "v1")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < 2; i++ {
		a := testAlert()
		a.ID = "a" + string(rune('1'+i))
		var sendErr error
		for try := 0; try < 3; try++ { // a closed peer is noticed on the next write
			if sendErr = f.Send(a); sendErr == nil {
				break
			}
		}
		if sendErr != nil {
			t.Fatal(sendErr)
		}
		select {
		case l := <-lines:
			if !strings.Contains(l, "externalId="+a.ID) {
				t.Errorf("message %d: %s", i, l)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d never arrived", i)
		}
	}
	if _, _, err := parseSIEM("http://x:1"); err == nil {
		t.Error("http:// accepted as a SIEM address")
	}
}
