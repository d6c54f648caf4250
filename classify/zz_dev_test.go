package classify

import "testing"

func TestDevExamples(t *testing.T) {
	e, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.TestExamples() {
		for _, x := range r.Examples {
			if !x.Pass {
				t.Errorf("%s:%d %s match=%v %q: %s", r.File, x.Line, r.Rule, x.Match, x.Input, x.Got)
			}
		}
	}
	t.Logf("%+v", e.Pack())
}
