package fed

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/httpapi"
	"github.com/shuan-dev/shuan/pki"
)

// Client talks to a node's parent over mutual TLS.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client for the parent at baseURL (https://host:port).
func NewClient(baseURL string, conf *tls.Config) *Client {
	tr := &http.Transport{TLSClientConfig: conf, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 4,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 60 * time.Second}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: &http.Client{Transport: tr, Timeout: 90 * time.Second}}
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("marshal %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb httpapi.ErrorBody
		if json.Unmarshal(b, &eb) == nil && eb.Code != "" {
			return &shuan.Error{Code: eb.Code, Message: "parent refused: " + eb.Message}
		}
		return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

// Push sends stored envelopes up and returns one receipt per envelope.
func (c *Client) Push(ctx context.Context, raws [][]byte) ([]shuan.Receipt, error) {
	req := PushRequest{Envelopes: make([]json.RawMessage, len(raws))}
	for i, r := range raws {
		req.Envelopes[i] = r
	}
	var resp PushResponse
	if err := c.do(ctx, http.MethodPost, "/fed/v1/envelopes", req, &resp); err != nil {
		return nil, err
	}
	if len(resp.Receipts) != len(raws) {
		return nil, fmt.Errorf("push: %d receipts for %d envelopes", len(resp.Receipts), len(raws))
	}
	return resp.Receipts, nil
}

// Pull long-polls the parent's downward feed after cursor.
func (c *Client) Pull(ctx context.Context, after int64, wait time.Duration) (PullResponse, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "wait": {wait.String()}}
	var resp PullResponse
	err := c.do(ctx, http.MethodGet, "/fed/v1/down?"+q.Encode(), nil, &resp)
	return resp, err
}

// Renew asks the parent for a fresh leaf certificate.
func (c *Client) Renew(ctx context.Context, csr []byte, hosts []string) (string, error) {
	var resp RenewResponse
	err := c.do(ctx, http.MethodPost, "/fed/v1/renew", RenewRequest{CSR: csr, Hosts: hosts}, &resp)
	return resp.CertPEM, err
}

// Enroll sends an enrolment request to parentURL, authenticating the parent
// by the root fingerprint carried in the token.
func Enroll(ctx context.Context, parentURL string, req EnrollRequest) (EnrollResponse, error) {
	tok, err := ParseToken(req.Token)
	if err != nil {
		return EnrollResponse{}, err
	}
	c := NewClient(parentURL, pki.PinnedConfig(tok.RootFingerprint))
	defer c.Close()
	var resp EnrollResponse
	if err := c.do(ctx, http.MethodPost, "/fed/v1/enroll", req, &resp); err != nil {
		return EnrollResponse{}, err
	}
	return resp, nil
}
