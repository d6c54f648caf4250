// Package yamlcheck finds the keys of a YAML document that the Go struct it
// decodes into does not declare, so rule pack loaders can report a typo with
// its line instead of silently ignoring it.
package yamlcheck

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Report receives one unknown key: its line, its dotted path and a message.
type Report func(line int, field, msg string)

// Override lets a caller check some types its own way (it may call Keys
// again); it returns true when it handled n.
type Override func(n *yaml.Node, t reflect.Type, path string) bool

// Keys walks n against t (struct fields by their yaml tags, slices by
// element) and reports every mapping key without a field, recursively.
// Type mismatches are left to yaml's Decode.
func Keys(n *yaml.Node, t reflect.Type, path string, report Report, override Override) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if override != nil && override(n, t, path) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			fields[tag] = f.Type
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			field := Join(path, k.Value)
			if !ok {
				known := make([]string, 0, len(fields))
				for f := range fields {
					known = append(known, f)
				}
				sort.Strings(known)
				report(k.Line, field, "unknown field (known: "+strings.Join(known, ", ")+")")
				continue
			}
			Keys(v, ft, field, report, override)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			Keys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), report, override)
		}
	}
}

// Join appends a key to a dotted path.
func Join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}
