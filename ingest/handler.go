package ingest

import (
	"bufio"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/shuan-dev/shuan"
)

// HandlerPath is where the node mounts Handler.
const HandlerPath = "/ingest/v1/events"

// Handler accepts NDJSON events by POST with a bearer token and hands them
// to Sink; the request waits while the sink is busy. Malformed lines are
// counted and returned, never fatal. Serve it over HTTPS only: the token
// travels in the clear otherwise.
type Handler struct {
	Token    string // required bearer token; empty refuses every request
	Sink     Sink
	Stats    *Stats
	Options  Options
	MaxBytes int64 // request body limit; 32 MiB when 0
}

// Response is the JSON answer of Handler.
type Response struct {
	Accepted  int         `json:"accepted"`
	Malformed int         `json:"malformed"`
	Examples  []Malformed `json:"examples,omitempty"`
	Error     string      `json:"error,omitempty"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeResponse(w, http.StatusMethodNotAllowed, Response{Error: "use POST"})
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || h.Token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(h.Token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="shuan ingest"`)
		writeResponse(w, http.StatusUnauthorized, Response{Error: "bearer token required"})
		return
	}
	limit := h.MaxBytes
	if limit <= 0 {
		limit = 32 << 20
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	origin := "https://" + host
	p := NewNDJSON(h.Options)
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), MaxRecord)
	var resp Response
	batch := make([]shuan.Event, 0, 512)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := h.Sink(r.Context(), batch)
		if err == nil {
			resp.Accepted += len(batch)
		}
		batch = batch[:0]
		return err
	}
	var line int64
	for sc.Scan() {
		line++
		at := Position{Origin: origin, Key: sc.Text(), Line: line}
		var ev shuan.Event
		ok, err := p.Parse(sc.Bytes(), at, &ev)
		h.Stats.add(p.Source(), Position{Origin: origin, Line: line}, 0, ok, err)
		if err != nil {
			resp.Malformed++
			if len(resp.Examples) < MaxExamples {
				resp.Examples = append(resp.Examples, Malformed{Line: line, Error: err.Error()})
			}
			continue
		}
		if ok {
			batch = append(batch, ev)
			if len(batch) == cap(batch) {
				if err := flush(); err != nil {
					resp.Error = "sink: " + err.Error()
					writeResponse(w, http.StatusServiceUnavailable, resp)
					return
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		var tooBig *http.MaxBytesError
		status := http.StatusBadRequest
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		// Events before the bad read are still handed over.
		if ferr := flush(); ferr != nil {
			status = http.StatusServiceUnavailable
		}
		resp.Error = "read body: " + err.Error()
		writeResponse(w, status, resp)
		return
	}
	if err := flush(); err != nil {
		resp.Error = "sink: " + err.Error()
		writeResponse(w, http.StatusServiceUnavailable, resp)
		return
	}
	writeResponse(w, http.StatusOK, resp)
}

func writeResponse(w http.ResponseWriter, status int, resp Response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
}
