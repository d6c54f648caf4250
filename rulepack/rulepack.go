// Package rulepack holds what the classification and detection rule packs
// share: pack files read from the binary and from directories, their
// canonical bytes, YAML decoding with every problem located by line, and
// the pack identity (names, versions and an SM3 digest) that lets two nodes
// know they ran the same rules.
package rulepack

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/yamlcheck"
)

// Problem is one validation problem in a pack file.
type Problem struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	Msg   string `json:"msg"`
}

// String formats the problem as file:line: field: message.
func (p Problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Field, p.Msg)
}

// File is one pack file's bytes and where it came from.
type File struct {
	Name   string // shown in problems: "embedded:packs/base.yaml" or a path
	Base   string // base name, the sort key of the digest
	Source int    // 0 for embedded files, i+1 for the i-th directory
	Data   []byte
}

// Embedded returns the files of fsys matching glob, sorted by name.
func Embedded(fsys fs.FS, glob string) ([]File, error) {
	names, err := fs.Glob(fsys, glob)
	if err != nil {
		return nil, fmt.Errorf("list embedded packs: %w", err)
	}
	sort.Strings(names)
	var files []File
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("read embedded pack %s: %w", n, err)
		}
		files = append(files, File{Name: "embedded:" + n, Base: path.Base(n), Data: b})
	}
	return files, nil
}

// ReadDir returns the *.yaml / *.yml files of dir (not recursive), marked
// with source; a directory without any is an error.
func ReadDir(dir string, source int) ([]File, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read rule pack dir %q: %w", dir, err)
	}
	var files []File
	for _, e := range ents {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read rule pack %q: %w", p, err)
		}
		files = append(files, File{Name: p, Base: e.Name(), Source: source, Data: b})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("rule pack dir %q: no .yaml files", dir)
	}
	return files, nil
}

// Canonical returns the bytes that are hashed and parsed: a UTF-8 BOM
// removed and line endings normalised to LF.
func Canonical(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if bytes.IndexByte(b, '\r') >= 0 {
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		b = bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
	}
	return b
}

// Report receives one problem of the file being decoded.
type Report func(line int, field, msg string)

// Decode parses a pack file into v (a pointer to the pack's raw struct),
// reporting invalid YAML, a root that is no mapping, keys that have no
// field (yamlcheck, with override for raw nodes) and type errors, each
// with its line. It reports whether v was decoded.
func Decode(data []byte, v any, override yamlcheck.Override, report Report) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal(Canonical(data), &doc); err != nil {
		line := 0
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if _, err2 := fmt.Sscanf(msg, "line %d:", &line); err2 == nil {
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		}
		report(line, "", "invalid YAML: "+msg)
		return false
	}
	if len(doc.Content) == 0 {
		report(1, "", "empty pack file")
		return false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		report(root.Line, "", "pack file must be a mapping")
		return false
	}
	yamlcheck.Keys(root, reflect.TypeOf(v), "", yamlcheck.Report(report), override)
	if err := root.Decode(v); err != nil {
		ReportDecode(err, root.Line, report)
		return false
	}
	return true
}

// ReportDecode turns a YAML decode error into problems with lines; line is
// used where the error names none.
func ReportDecode(err error, line int, report Report) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, m := range te.Errors {
			l := line
			if _, err := fmt.Sscanf(m, "line %d:", &l); err == nil {
				m = strings.TrimSpace(m[strings.Index(m, ":")+1:])
			}
			report(l, "", m)
		}
		return
	}
	report(line, "", err.Error())
}

// Header is the pack line of one decoded file, as Identity needs it.
type Header struct {
	File              string // the file's Name, for problems
	Name, Version     string
	Line, VersionLine int
}

// Identity returns the pack names and versions in load order, each joined
// by "+", and the SM3 digest over every file: sorted by base name (ties in
// load order), the input per file is "<base>\n<byte length>\n<canonical
// bytes>". Files sharing a pack name must share its version; a header
// without name or version is reported.
func Identity(files []File, headers []Header, add func(Problem)) (name, version, sm3 string) {
	var names, versions []string
	seen := map[string]string{}
	for _, h := range headers {
		if h.Name == "" || h.Version == "" {
			add(Problem{File: h.File, Line: h.Line, Field: "pack", Msg: "name and version required"})
			continue
		}
		if v, ok := seen[h.Name]; ok {
			if v != h.Version {
				add(Problem{File: h.File, Line: h.VersionLine, Field: "pack.version",
					Msg: fmt.Sprintf("pack %q has version %q in another file", h.Name, v)})
			}
			continue
		}
		seen[h.Name] = h.Version
		names = append(names, h.Name)
		versions = append(versions, h.Version)
	}
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return files[order[a]].Base < files[order[b]].Base })
	d := gm.NewHash()
	for _, i := range order {
		c := Canonical(files[i].Data)
		fmt.Fprintf(d, "%s\n%d\n", files[i].Base, len(c))
		d.Write(c)
	}
	return strings.Join(names, "+"), strings.Join(versions, "+"), hex.EncodeToString(d.Sum(nil))
}
