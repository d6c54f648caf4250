package rulepack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIdentity(t *testing.T) {
	a := File{Name: "a.yaml", Base: "a.yaml", Data: []byte("pack: {name: p, version: 1}\nx: 1\n")}
	b := File{Name: "b.yaml", Base: "b.yaml", Data: []byte("pack: {name: q, version: 2}\n")}
	hs := []Header{{File: "a.yaml", Name: "p", Version: "1"}, {File: "b.yaml", Name: "q", Version: "2"}}
	var probs []Problem
	add := func(p Problem) { probs = append(probs, p) }
	name, version, sum := Identity([]File{a, b}, hs, add)
	if name != "p+q" || version != "1+2" || len(sum) != 64 || len(probs) != 0 {
		t.Fatalf("identity %q %q %q, problems %v", name, version, sum, probs)
	}
	// BOM and CRLF do not change the digest; order of loading does not either.
	a2 := a
	a2.Data = []byte("\xef\xbb\xbfpack: {name: p, version: 1}\r\nx: 1\r\n")
	if _, _, s2 := Identity([]File{b, a2}, hs, add); s2 != sum {
		t.Error("BOM, CRLF or load order changed the digest")
	}
	// A changed byte does.
	a3 := a
	a3.Data = []byte("pack: {name: p, version: 1}\nx: 2\n")
	if _, _, s3 := Identity([]File{a3, b}, hs, add); s3 == sum {
		t.Error("changed content kept the digest")
	}
	Identity(nil, []Header{{File: "c", Name: "p", Version: "1"}, {File: "d", Name: "p", Version: "2", VersionLine: 4}, {File: "e", Line: 7}}, add)
	if len(probs) != 2 || probs[0].String() != `d:4: pack.version: pack "p" has version "1" in another file` || probs[1].String() != "e:7: pack: name and version required" {
		t.Errorf("problems %v", probs)
	}
}

func TestDecode(t *testing.T) {
	type raw struct {
		Pack struct {
			Name string `yaml:"name"`
		} `yaml:"pack"`
		N int `yaml:"n"`
	}
	var got []string
	report := func(line int, field, msg string) {
		got = append(got, Problem{File: "f", Line: line, Field: field, Msg: msg}.String())
	}
	var r raw
	if !Decode([]byte("pack: {name: x}\nn: 3\n"), &r, nil, report) || r.N != 3 || r.Pack.Name != "x" || len(got) != 0 {
		t.Fatalf("decoded %+v, problems %v", r, got)
	}
	for _, c := range []struct{ in, want string }{
		{"pack: {name: x}\nn: [1\n", "f:3: invalid YAML"},
		{"", "f:1: empty pack file"},
		{"- 1\n", "f:1: pack file must be a mapping"},
		{"pack: {name: x}\nbogus: 1\n", "f:2: bogus: unknown field"},
		{"pack: {name: x}\nn: many\n", "f:2: cannot unmarshal"},
	} {
		got = nil
		Decode([]byte(c.in), &raw{}, nil, report)
		if len(got) == 0 || !strings.HasPrefix(got[0], c.want) && !strings.Contains(got[0], c.want[strings.Index(c.want, " ")+1:]) {
			t.Errorf("%q: problems %v, want %q", c.in, got, c.want)
		}
	}
}

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadDir(dir, 1); err == nil || !strings.Contains(err.Error(), "no .yaml files") {
		t.Fatalf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "a.yml"), []byte("pack: {}"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	files, err := ReadDir(dir, 2)
	if err != nil || len(files) != 1 || files[0].Base != "a.yml" || files[0].Source != 2 {
		t.Fatalf("files %+v, %v", files, err)
	}
}
