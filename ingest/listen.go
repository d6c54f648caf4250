package ingest

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/shuan-dev/shuan"
)

// MaxSyslogMessage bounds one syslog message on the network.
const MaxSyslogMessage = 64 << 10

// Listener receives syslog (RFC 5424 or 3164) over UDP, TCP or TLS. Over a
// stream each message is framed by octet counting ("LEN MSG") or ends at a
// newline (RFC 6587), chosen per message by its first byte.
type Listener struct {
	network string // udp, tcp or tls
	addr    net.Addr
	pc      net.PacketConn
	ln      net.Listener
	opts    Options
	stats   *Stats
	// FlushInterval bounds how long a message waits for its batch; 200ms
	// when 0. BatchSize is the largest batch; 512 when 0.
	FlushInterval time.Duration
	BatchSize     int
}

type message struct {
	peer string
	data []byte
}

// Listen binds a syslog listener to udp://HOST:PORT, tcp://HOST:PORT or
// tls://HOST:PORT; tls needs cfg (TLS 1.2 is the least accepted).
func Listen(rawURL string, cfg *tls.Config, o Options, stats *Stats) (*Listener, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("syslog listener %q: want udp://, tcp:// or tls://HOST:PORT", rawURL)
	}
	l := &Listener{network: u.Scheme, opts: o, stats: stats}
	switch u.Scheme {
	case "udp":
		l.pc, err = net.ListenPacket("udp", u.Host)
		if err == nil {
			l.addr = l.pc.LocalAddr()
		}
	case "tcp":
		l.ln, err = net.Listen("tcp", u.Host)
	case "tls":
		if cfg == nil {
			return nil, fmt.Errorf("syslog listener %q: tls needs a certificate", rawURL)
		}
		cfg = cfg.Clone()
		if cfg.MinVersion < tls.VersionTLS12 {
			cfg.MinVersion = tls.VersionTLS12
		}
		var ln net.Listener
		ln, err = net.Listen("tcp", u.Host)
		if err == nil {
			l.ln = tls.NewListener(ln, cfg)
		}
	default:
		return nil, fmt.Errorf("syslog listener %q: scheme %q not udp, tcp or tls", rawURL, u.Scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("syslog listen %s: %w", rawURL, err)
	}
	if l.ln != nil {
		l.addr = l.ln.Addr()
	}
	return l, nil
}

// Addr is the bound address.
func (l *Listener) Addr() net.Addr { return l.addr }

// Origin names the listener in events, e.g. "tls://127.0.0.1:6514".
func (l *Listener) Origin() string { return l.network + "://" + l.addr.String() }

// Run implements Input: it receives until ctx ends, then closes the
// listener. A sink that blocks stops reading, so TCP senders slow down and
// UDP datagrams queue in the kernel.
func (l *Listener) Run(ctx context.Context, sink Sink) error {
	msgs := make(chan message, 1024)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		if l.pc != nil {
			l.pc.Close()
		}
		if l.ln != nil {
			l.ln.Close()
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if l.pc != nil {
			l.readUDP(ctx, msgs)
		} else {
			l.accept(ctx, msgs, &wg)
		}
	}()
	go func() { wg.Wait(); close(msgs) }()
	return l.batch(ctx, msgs, sink)
}

func (l *Listener) readUDP(ctx context.Context, msgs chan<- message) {
	buf := make([]byte, MaxSyslogMessage)
	for {
		n, peer, err := l.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		m := message{peer: peer.String(), data: append([]byte(nil), buf[:n]...)}
		select {
		case msgs <- m:
		case <-ctx.Done():
			return
		}
	}
}

func (l *Listener) accept(ctx context.Context, msgs chan<- message, wg *sync.WaitGroup) {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
			l.readStream(ctx, c, msgs)
		}()
	}
}

// readStream reads framed messages from one connection.
func (l *Listener) readStream(ctx context.Context, c net.Conn, msgs chan<- message) {
	peer := c.RemoteAddr().String()
	br := bufio.NewReaderSize(c, 64<<10)
	for {
		b, err := br.Peek(1)
		if err != nil {
			return
		}
		var data []byte
		if b[0] >= '1' && b[0] <= '9' {
			lenText, err := br.ReadSlice(' ')
			if err != nil {
				l.bad(peer, "octet count: no space")
				return
			}
			n, err := strconv.Atoi(string(lenText[:len(lenText)-1]))
			if err != nil || n <= 0 || n > MaxSyslogMessage {
				l.bad(peer, "octet count out of range")
				return
			}
			data = make([]byte, n)
			if _, err := io.ReadFull(br, data); err != nil {
				return
			}
		} else {
			line, err := br.ReadSlice('\n')
			if errors.Is(err, bufio.ErrBufferFull) {
				l.bad(peer, "message without newline exceeds 64 KiB")
				return
			}
			if err != nil && len(line) == 0 {
				return
			}
			data = append([]byte(nil), line...)
		}
		select {
		case msgs <- message{peer: peer, data: data}:
		case <-ctx.Done():
			return
		}
	}
}

// bad counts a framing error of a connection as a malformed record.
func (l *Listener) bad(peer, why string) {
	l.stats.add("syslog", Position{Origin: l.Origin()}, 0, false, fmt.Errorf("%s: %s", peer, why))
}

// batch parses messages and hands them to sink in batches.
func (l *Listener) batch(ctx context.Context, msgs <-chan message, sink Sink) error {
	size := l.BatchSize
	if size <= 0 {
		size = 512
	}
	every := l.FlushInterval
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	p := NewSyslog(l.opts)
	origin := l.Origin()
	batch := make([]shuan.Event, 0, size)
	tick := time.NewTicker(every)
	defer tick.Stop()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := sink(ctx, batch)
		batch = batch[:0]
		return err
	}
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				if err := flush(); err != nil {
					return err
				}
				return ctx.Err()
			}
			at := Position{Origin: origin, Key: m.peer + "\x00" + string(m.data)}
			var ev shuan.Event
			okEv, err := p.Parse(m.data, at, &ev)
			l.stats.add(p.Source(), Position{Origin: origin}, 0, okEv, err)
			if okEv && err == nil {
				setField(&ev, "peer", m.peer)
				batch = append(batch, ev)
				if len(batch) >= size {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		case <-tick.C:
			if err := flush(); err != nil {
				return err
			}
		}
	}
}
