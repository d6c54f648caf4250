// Package node is a node's runtime: its data directory (configuration, keys,
// certificates), its store, and the operations the CLI and the console call
// on it. It wires the federation server and agent when serving.
package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shuan-dev/shuan"
)

// Files in a node's data directory.
const (
	fileConfig  = "node.json"
	fileSignKey = "sign.key" // SM2 private key for envelope signatures
	fileTLSKey  = "tls.key"  // ECDSA key of the TLS leaf
	fileTLSCert = "tls.crt"  // leaf followed by its issuer chain
	fileRoot    = "root.crt" // the ministry root
	fileCAKey   = "ca.key"   // ministry root key or a province's intermediate key
	fileCACert  = "ca.crt"   // the matching CA certificate followed by its chain
	fileSealKey = "seal.key" // SM4 key sealing secrets at rest
	fileDB      = "node.db"
)

// Config is a node's configuration, kept in node.json.
type Config struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Role     shuan.Role `json:"role"`
	Region   string     `json:"region,omitempty"`
	Industry string     `json:"industry,omitempty"`
	USCC     string     `json:"uscc,omitempty"`
	// Listen is the federation (mutual TLS) address children connect to.
	Listen string `json:"listen"`
	// Console is the console's HTTP address; loopback unless TLS is set up in front.
	Console string `json:"console"`
	// DB is a PostgreSQL URL; empty means embedded SQLite in the data directory.
	DB string `json:"db,omitempty"`
	// Parent is the parent's federation URL, set by enrolment.
	Parent string `json:"parent,omitempty"`
	// Hosts are the names and addresses in this node's TLS certificate.
	Hosts []string `json:"hosts"`
	// Heartbeat is the heartbeat interval (Go duration); empty means 30s.
	Heartbeat string `json:"heartbeat,omitempty"`
	// Monitor lists the logs this node watches (enterprise nodes).
	Monitor MonitorConfig `json:"monitor,omitzero"`
	Created time.Time     `json:"created_at"`
}

func (c Config) dsn(dir string) string {
	if c.DB != "" {
		return c.DB
	}
	return "sqlite:" + filepath.Join(dir, fileDB)
}

func (c Config) heartbeat() time.Duration {
	d, err := time.ParseDuration(c.Heartbeat)
	if err != nil || d <= 0 {
		return 30 * time.Second
	}
	return d
}

func (c Config) self() shuan.Node {
	return shuan.Node{ID: c.ID, Name: c.Name, Role: c.Role, Region: c.Region, Industry: c.Industry, USCC: c.USCC}
}

func readConfig(dir string) (Config, error) {
	var c Config
	b, err := os.ReadFile(filepath.Join(dir, fileConfig))
	if errors.Is(err, os.ErrNotExist) {
		return c, shuan.Errorf(shuan.ENOTFOUND, "%s is not a node data directory (no %s; run 'shuan node init')", dir, fileConfig)
	} else if err != nil {
		return c, fmt.Errorf("read node config: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", filepath.Join(dir, fileConfig), err)
	}
	return c, nil
}

func writeConfig(dir string, c Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, fileConfig), append(b, '\n'), 0o600)
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new content, never half of it.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

// SetHeartbeat changes the heartbeat interval in a node's configuration.
func SetHeartbeat(dir, every string) error {
	if d, err := time.ParseDuration(every); err != nil || d < time.Second {
		return shuan.Errorf(shuan.EINVALID, "heartbeat %q must be a duration of at least 1s", every)
	}
	c, err := readConfig(dir)
	if err != nil {
		return err
	}
	c.Heartbeat = every
	return writeConfig(dir, c)
}
