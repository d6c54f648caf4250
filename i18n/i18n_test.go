package i18n

import (
	"strings"
	"testing"
)

func TestCatalogsHaveSameKeys(t *testing.T) {
	for _, a := range Langs() {
		for _, b := range Langs() {
			for _, k := range Keys(a) {
				if !Has(b, k) {
					t.Errorf("key %q is in %s but not in %s", k, a, b)
				}
			}
		}
	}
}

func TestFormatVerbsMatch(t *testing.T) {
	for _, k := range Keys(ZH) {
		if z, e := strings.Count(ZH.T(k), "%"), strings.Count(EN.T(k), "%"); z != e {
			t.Errorf("key %q: zh has %d verbs, en %d", k, z, e)
		}
	}
}

func TestT(t *testing.T) {
	if got := ZH.T("nav.overview"); got != "总览" {
		t.Errorf("zh nav.overview = %q", got)
	}
	if got := T(EN, "nodes.count", 3); got != "3 nodes" {
		t.Errorf("en nodes.count = %q", got)
	}
	if got := EN.T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q", got)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Lang{
		"": ZH, "zh": ZH, "zh-CN": ZH, "en": EN, "EN": EN, "en-US": EN, "fr": ZH, "english": ZH,
	} {
		if got := Parse(in); got != want {
			t.Errorf("Parse(%q) = %s, want %s", in, got, want)
		}
	}
}
