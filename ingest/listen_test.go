package ingest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"
)

// testCert returns a self-signed certificate for 127.0.0.1.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shuan test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestListener(t *testing.T) {
	cert, pool := testCert(t)
	msg5424 := `<165>1 2026-11-25T19:36:06.123Z plc-gw-01 scada 4242 ID47 - login %d`
	msg3164 := `<34>Nov 25 19:36:06 host su[230]: failed %d`
	tests := []struct {
		url  string
		send func(t *testing.T, addr string) // sends messages 0..3
	}{
		{"udp://127.0.0.1:0", func(t *testing.T, addr string) {
			c, err := net.Dial("udp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for i := 0; i < 4; i++ {
				f := msg5424
				if i%2 == 1 {
					f = msg3164
				}
				fmt.Fprintf(c, f, i)
			}
		}},
		{"tcp://127.0.0.1:0", func(t *testing.T, addr string) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// Octet counting and newline framing on one connection.
			for i := 0; i < 4; i++ {
				m := fmt.Sprintf(msg5424, i)
				if i%2 == 1 {
					fmt.Fprintf(c, "%s\n", fmt.Sprintf(msg3164, i))
					continue
				}
				fmt.Fprintf(c, "%d %s", len(m), m)
			}
		}},
		{"tls://127.0.0.1:0", func(t *testing.T, addr string) {
			c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for i := 0; i < 4; i++ {
				m := fmt.Sprintf(msg5424, i)
				fmt.Fprintf(c, "%d %s", len(m), m)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.url[:3], func(t *testing.T) {
			st := &Stats{}
			l, err := Listen(tt.url, &tls.Config{Certificates: []tls.Certificate{cert}}, Options{}, st)
			if err != nil {
				t.Fatal(err)
			}
			var c collector
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- l.Run(ctx, c.sink) }()
			tt.send(t, l.Addr().String())
			c.waitFor(t, 4)
			cancel()
			<-done
			msgs := c.messages()
			var last []string
			for _, m := range msgs {
				last = append(last, m[len(m)-1:])
			}
			sort.Strings(last)
			if strings.Join(last, "") != "0123" {
				t.Errorf("messages %q", msgs)
			}
			for _, e := range c.evs {
				if e.Origin != l.Origin() || e.Source != "syslog" || e.Fields["peer"] == "" {
					t.Errorf("event %+v", e)
				}
			}
		})
	}
}

func TestListenerRejectsOldTLS(t *testing.T) {
	cert, pool := testCert(t)
	l, err := Listen("tls://127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}}, Options{}, &Stats{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx, (&collector{}).sink)
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	if err == nil {
		c.Close()
		t.Fatal("TLS 1.1 accepted")
	}
}

func TestListenerMalformed(t *testing.T) {
	st := &Stats{}
	l, err := Listen("tcp://127.0.0.1:0", nil, Options{}, st)
	if err != nil {
		t.Fatal(err)
	}
	var c collector
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Run(ctx, c.sink) }()
	conn, _ := net.Dial("tcp", l.Addr().String())
	fmt.Fprintf(conn, "<999>bad\n<13>Nov 25 19:36:06 h a: ok\n")
	conn.Close()
	c.waitFor(t, 1)
	cancel()
	<-done
	s := st.Snapshot()
	if len(s) != 1 || s[0].Malformed != 1 || s[0].Events != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestHandler(t *testing.T) {
	var c collector
	st := &Stats{}
	h := &Handler{Token: "s3cret", Sink: c.sink, Stats: st}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	body := `{"time":"2026-11-25T19:36:06Z","actor":"scott","action":"SELECT","object":"hr.emp","rows":50000,"statement":"select * from emp where id = 7"}
not json
{"time":"2026-11-25T19:36:07Z","action":"LOGIN","client":"203.0.113.5"}
{"time":"2026-11-25T19:36:08Z"}
`
	post := func(token string) (*http.Response, Response) {
		req, _ := http.NewRequest("POST", srv.URL+HandlerPath, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r Response
		json.NewDecoder(resp.Body).Decode(&r)
		return resp, r
	}
	if resp, _ := post(""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	if resp, _ := post("wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	resp, r := post("s3cret")
	if resp.StatusCode != http.StatusOK || r.Accepted != 2 || r.Malformed != 2 || len(r.Examples) != 2 || r.Examples[0].Line != 2 || r.Examples[1].Line != 4 {
		t.Fatalf("status %d, response %+v", resp.StatusCode, r)
	}
	if len(c.evs) != 2 || c.evs[0].Rows != 50000 || c.evs[0].Statement != "select * from emp where id = ?" || c.evs[1].Rows != -1 {
		t.Errorf("events %+v", c.evs)
	}
	// Posting the same body again yields the same ids.
	post("s3cret")
	if c.evs[0].ID != c.evs[2].ID {
		t.Error("ids differ on resend")
	}
	req, _ := http.NewRequest("GET", srv.URL+HandlerPath, nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	if resp, _ := srv.Client().Do(req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}
