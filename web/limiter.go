package web

import (
	"net"
	"sync"
	"time"
)

// Login throttling: after maxLoginFailures failed logins from one address
// within loginWindow, that address may not try again until the window that
// began with its first failure has passed.
const (
	maxLoginFailures = 10
	loginWindow      = 15 * time.Minute
	maxTracked       = 10000 // addresses remembered at most
)

// loginLimiter counts failed logins per client address.
type loginLimiter struct {
	mu    sync.Mutex
	fails map[string]failures
}

type failures struct {
	n     int
	first time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{fails: map[string]failures{}}
}

// clientKey is the address a login counts against: the remote IP.
func clientKey(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

// allowed reports whether key may try to log in at now.
func (l *loginLimiter) allowed(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.fails[key]
	if !ok {
		return true
	}
	if now.Sub(f.first) >= loginWindow {
		delete(l.fails, key)
		return true
	}
	return f.n < maxLoginFailures
}

// fail records a failed login by key at now.
func (l *loginLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.fails[key]
	if !ok || now.Sub(f.first) >= loginWindow {
		f = failures{first: now}
	}
	f.n++
	l.fails[key] = f
	if len(l.fails) > maxTracked {
		for k, v := range l.fails {
			if now.Sub(v.first) >= loginWindow {
				delete(l.fails, k)
			}
		}
		if len(l.fails) > maxTracked {
			// Under a wide attack forget everyone rather than grow without
			// bound; the argon2 cost still limits the guessing rate.
			clear(l.fails)
		}
	}
}

// succeed forgets key's failures.
func (l *loginLimiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}
