package classify

import (
	"slices"
	"testing"
)

func TestPinyinForms(t *testing.T) {
	for kw, want := range map[string][]string{
		"设备编号": {"shebei bianhao", "sbbh"},
		"温度":   {"wendu"},
		"设定值":  {"sheding zhi"},
		"长度":   {"changdu", "zhangdu"},
		"联系电话": {"lianxi dianhua", "lxdh"},
	} {
		got := pinyinForms(kw)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("pinyinForms(%q) = %q, missing %q", kw, got, w)
			}
		}
	}
	for _, kw := range []string{"温", "ip地址", "abc"} {
		if got := pinyinForms(kw); got != nil {
			t.Errorf("pinyinForms(%q) = %q, want none", kw, got)
		}
	}
}
