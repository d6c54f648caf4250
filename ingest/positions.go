package ingest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// FilePos is the persisted read position of one tailed file.
type FilePos struct {
	// Gen identifies the file's content: SM3 of its first line (up to
	// 1 KiB), so a rotated or truncated file is not mistaken for the old.
	Gen    string `json:"gen"`
	Offset int64  `json:"offset"` // end of the last record handed to the sink
	Line   int64  `json:"line"`   // lines before Offset
}

// Positions persists file positions as one JSON file in a state directory,
// rewritten atomically (temporary file, fsync, rename) on every change.
type Positions struct {
	path string // "" keeps positions in memory only
	mu   sync.Mutex
	m    map[string]FilePos
}

// positionsFile is the on-disk shape of Positions.
type positionsFile struct {
	Version int                `json:"version"`
	Files   map[string]FilePos `json:"files"`
}

// OpenPositions loads the positions kept in dir, creating dir if needed.
// With dir "" positions live in memory only.
func OpenPositions(dir string) (*Positions, error) {
	p := &Positions{m: make(map[string]FilePos)}
	if dir == "" {
		return p, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	p.path = filepath.Join(dir, "positions.json")
	b, err := os.ReadFile(p.path)
	if os.IsNotExist(err) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read positions: %w", err)
	}
	var f positionsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("decode positions %s: %w", p.path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("positions %s: version %d unknown", p.path, f.Version)
	}
	for k, v := range f.Files {
		p.m[k] = v
	}
	return p, nil
}

// Get returns the saved position of key.
func (p *Positions) Get(key string) (FilePos, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fp, ok := p.m[key]
	return fp, ok
}

// Set saves the position of key and writes the file.
func (p *Positions) Set(key string, fp FilePos) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.m[key]; ok && old == fp {
		return nil
	}
	p.m[key] = fp
	if p.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(positionsFile{Version: 1, Files: p.m}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode positions: %w", err)
	}
	return writeAtomic(p.path, b)
}

// writeAtomic replaces path with b so a crash leaves the old or the new
// content, never a mix.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".positions-*")
	if err != nil {
		return fmt.Errorf("write positions: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write positions: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
