package node

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/detect"
)

// parseSIEM checks a SIEM forwarding URL: udp://HOST:PORT or tcp://HOST:PORT.
func parseSIEM(raw string) (network, addr string, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "udp" && u.Scheme != "tcp") || u.Host == "" || u.Port() == "" {
		return "", "", shuan.Errorf(shuan.EINVALID, "SIEM address %q: want udp://HOST:PORT or tcp://HOST:PORT", raw)
	}
	return u.Scheme, u.Host, nil
}

// siemForwarder sends alerts to an existing SIEM as CEF over syslog
// (RFC 5424 header; newline-framed on TCP). Delivery is best effort: a SIEM
// that is down never stops detection.
type siemForwarder struct {
	network, addr, host, version string

	mu   sync.Mutex
	conn net.Conn
}

func newSIEMForwarder(raw, version string) (*siemForwarder, error) {
	network, addr, err := parseSIEM(raw)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "-"
	}
	return &siemForwarder{network: network, addr: addr, host: host, version: version}, nil
}

// Send forwards one alert; on a broken TCP connection it redials once.
func (f *siemForwarder) Send(a detect.Alert) error {
	line := syslogCEF(a, f.host, f.version)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil && f.network == "tcp" && !peerOpen(f.conn) {
		f.conn.Close()
		f.conn = nil
	}
	for attempt := 0; attempt < 2; attempt++ {
		if f.conn == nil {
			c, err := net.DialTimeout(f.network, f.addr, 3*time.Second)
			if err != nil {
				return fmt.Errorf("siem %s://%s: %w", f.network, f.addr, err)
			}
			f.conn = c
		}
		f.conn.SetWriteDeadline(time.Now().Add(3 * time.Second))
		msg := line
		if f.network == "tcp" {
			msg += "\n"
		}
		if _, err := f.conn.Write([]byte(msg)); err == nil {
			return nil
		}
		f.conn.Close()
		f.conn = nil
	}
	return fmt.Errorf("siem %s://%s: write failed", f.network, f.addr)
}

// peerOpen reports whether a TCP peer has not closed the connection: a
// write to a closed peer would succeed and the message be lost.
func peerOpen(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	defer c.SetReadDeadline(time.Time{})
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	return err == nil || (errors.As(err, &ne) && ne.Timeout())
}

// Close ends the connection.
func (f *siemForwarder) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		f.conn.Close()
		f.conn = nil
	}
}

// cefSeverity maps alert severities to CEF's 0–10.
func cefSeverity(s string) int {
	switch s {
	case "critical":
		return 10
	case "high":
		return 8
	case "medium":
		return 5
	}
	return 3
}

// syslogCEF renders an alert as one RFC 5424 syslog message carrying CEF.
func syslogCEF(a detect.Alert, host, version string) string {
	sev := cefSeverity(a.Severity)
	pri := 8*4 + 4 // facility auth(4), severity warning
	if sev >= 8 {
		pri = 8*4 + 2 // critical
	}
	ext := []string{
		"rt=" + strconv.FormatInt(a.Time.UnixMilli(), 10),
		"cat=" + cefExt(a.Risk),
		"suser=" + cefExt(a.Actor),
		"src=" + cefExt(a.Client),
		"cs1Label=database cs1=" + cefExt(a.Database),
		"cs2Label=object cs2=" + cefExt(a.Object),
		"cs3Label=dataLevel cs3=" + cefExt(a.DataLevel),
		"cs4Label=rulePack cs4=" + cefExt(a.PackVersion),
		"cnt=" + strconv.FormatInt(max(a.Count, 1), 10),
		"externalId=" + cefExt(a.ID),
		"msg=" + cefExt(a.SummaryEN),
	}
	cef := fmt.Sprintf("CEF:0|shuan|shuan|%s|%s|%s|%d|%s", cefHdr(version), cefHdr(a.Rule), cefHdr(a.RuleTitle), sev, strings.Join(ext, " "))
	return fmt.Sprintf("<%d>1 %s %s shuan - %s - %s", pri, a.Time.UTC().Format(time.RFC3339Nano), host, cefHdr(a.Rule), cef)
}

// cefHdr escapes a CEF header field (pipes and backslashes).
func cefHdr(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// cefExt escapes a CEF extension value (equals signs, backslashes, newlines).
func cefExt(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "=", `\=`)
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}
