package yamlcheck

import (
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type inner struct {
	Name string `yaml:"name"`
}

type outer struct {
	Rules []inner `yaml:"rules"`
	Skip  string  `yaml:"-"`
	Pack  *inner  `yaml:"pack"`
}

func TestKeysReportsUnknownWithLineAndPath(t *testing.T) {
	doc := "pack:\n  name: x\n  nmae: y\nrules:\n  - name: a\n  - name: b\n    extra: 1\nSkip: z\n"
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	var got []string
	Keys(n.Content[0], reflect.TypeOf(outer{}), "", func(line int, field, msg string) {
		got = append(got, field+"@"+string(rune('0'+line))+" "+msg)
	}, nil)
	want := []string{"pack.nmae@3 unknown field (known: name)", "rules[1].extra@7 unknown field (known: name)", "Skip@8 unknown field (known: pack, rules)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestOverrideHandlesItsTypes(t *testing.T) {
	var n yaml.Node
	yaml.Unmarshal([]byte("rules:\n  - anything: 1\n"), &n)
	calls := 0
	Keys(n.Content[0], reflect.TypeOf(outer{}), "", func(int, string, string) { t.Error("reported a key the override handled") },
		func(n *yaml.Node, t reflect.Type, path string) bool {
			if t == reflect.TypeOf(inner{}) {
				calls++
				return true
			}
			return false
		})
	if calls != 1 {
		t.Errorf("override called %d times, want 1", calls)
	}
}
