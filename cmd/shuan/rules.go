package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shuan-dev/shuan/classify"
	"github.com/shuan-dev/shuan/detect"
)

func init() {
	register(command{name: "rules test", summary: "run rule pack examples (规则包示例自测) [DIR]", run: runRulesTest})
}

// rulesTestOutput is the --json document of `shuan rules test`.
type rulesTestOutput struct {
	RulePack struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		SM3     string `json:"sm3"`
	} `json:"rule_pack"`
	Rules        []classify.RuleReport `json:"rules"`
	RulesPassed  int                   `json:"rules_passed"`
	RulesFailed  int                   `json:"rules_failed"`
	Examples     int                   `json:"examples"`
	ExamplesFail int                   `json:"examples_failed"`
	// Detection is the result of the detection packs (detect/packs).
	Detection detectTestOutput `json:"detection"`
	OK        bool             `json:"ok"`
}

// detectTestOutput reports the detection rule packs' examples.
type detectTestOutput struct {
	RulePack     detect.PackInfo     `json:"rule_pack"`
	Rules        []detect.RuleReport `json:"rules"`
	RulesPassed  int                 `json:"rules_passed"`
	RulesFailed  int                 `json:"rules_failed"`
	Examples     int                 `json:"examples"`
	ExamplesFail int                 `json:"examples_failed"`
}

func runRulesTest(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "rules test")
	var detectDirs listFlag
	fs.Var(&detectDirs, "detect", "also load detection packs from `DIR` (repeatable)")
	asJSON := fs.Bool("json", false, "write a JSON report to stdout")
	all := fs.Bool("all", false, "with DIR, also report the embedded default rules")
	verbose := fs.Bool("v", false, "list every example, not only failures")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: shuan rules test [--json] [--all] [-v] [--detect DIR]... [DIR...]")
		fmt.Fprintln(env.Stderr, "Runs every rule's match/no_match examples of the embedded packs, or of the packs in DIR")
		fmt.Fprintln(env.Stderr, "(loaded on top of the embedded defaults). Exit status 1 when any example fails.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dirs := fs.Args()
	e, err := classify.Load(dirs...)
	if err != nil {
		return fmt.Errorf("load rule packs: %w", err)
	}
	var out rulesTestOutput
	p := e.Pack()
	out.RulePack.Name, out.RulePack.Version, out.RulePack.SM3 = p.Name, p.Version, p.SM3
	for _, r := range e.TestExamples() {
		if len(dirs) > 0 && !*all && strings.HasPrefix(r.File, "embedded:") {
			continue
		}
		out.Rules = append(out.Rules, r)
		out.Examples += r.Passed + r.Failed
		out.ExamplesFail += r.Failed
		if r.OK() {
			out.RulesPassed++
		} else {
			out.RulesFailed++
		}
	}
	de, err := detect.Load(detect.Options{}, detectDirs...)
	if err != nil {
		return fmt.Errorf("load detection packs: %w", err)
	}
	d := &out.Detection
	d.RulePack = de.Pack()
	for _, r := range de.TestExamples() {
		if len(detectDirs) > 0 && !*all && strings.HasPrefix(r.File, "embedded:") {
			continue
		}
		d.Rules = append(d.Rules, r)
		d.Examples += r.Passed + r.Failed
		d.ExamplesFail += r.Failed
		if r.OK() {
			d.RulesPassed++
		} else {
			d.RulesFailed++
		}
	}
	if d.Rules == nil {
		d.Rules = []detect.RuleReport{}
	}
	out.OK = out.RulesFailed == 0 && d.RulesFailed == 0
	if out.Rules == nil {
		out.Rules = []classify.RuleReport{}
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else {
		w := env.Stdout
		fmt.Fprintf(w, "规则包 rule pack: %s %s\nSM3: %s\n\n", p.Name, p.Version, p.SM3)
		for _, r := range out.Rules {
			status := "PASS"
			if !r.OK() {
				status = "FAIL"
			}
			flag := ""
			if !r.Confirmed {
				flag = "  [依据未确认 unconfirmed]"
			}
			fmt.Fprintf(w, "%s  %-34s %-8s %d/%d  %s:%d%s\n", status, r.Rule, r.Kind, r.Passed, r.Passed+r.Failed, r.File, r.Line, flag)
			for _, x := range r.Examples {
				if x.Pass && !*verbose {
					continue
				}
				want := "match"
				if !x.Match {
					want = "no_match"
				}
				mark := "✓"
				if !x.Pass {
					mark = "✗"
				}
				fmt.Fprintf(w, "      %s %s:%d %s %q", mark, r.File, x.Line, want, x.Input)
				if !x.Pass {
					fmt.Fprintf(w, " — %s", x.Got)
				}
				fmt.Fprintln(w)
			}
		}
		fmt.Fprintf(w, "\n汇总 summary: 规则 %d 条（通过 %d，失败 %d），示例 %d 个（失败 %d）\n",
			len(out.Rules), out.RulesPassed, out.RulesFailed, out.Examples, out.ExamplesFail)
		fmt.Fprintf(w, "\n检测规则包 detection pack: %s %s\nSM3: %s\n\n", d.RulePack.Name, d.RulePack.Version, d.RulePack.SM3)
		for _, r := range d.Rules {
			status := "PASS"
			if !r.OK() {
				status = "FAIL"
			}
			fmt.Fprintf(w, "%s  %-34s %-14s %-16s %d/%d  %s:%d\n", status, r.Rule, r.Kind, r.Risk, r.Passed, r.Passed+r.Failed, r.File, r.Line)
			for _, x := range r.Examples {
				if x.Pass && !*verbose {
					continue
				}
				want := "match"
				if !x.Match {
					want = "no_match"
				}
				mark := "✓"
				if !x.Pass {
					mark = "✗"
				}
				fmt.Fprintf(w, "      %s %s:%d %s %q", mark, r.File, x.Line, want, x.Input)
				if !x.Pass {
					fmt.Fprintf(w, " — %s", x.Got)
				}
				fmt.Fprintln(w)
			}
		}
		fmt.Fprintf(w, "\n检测汇总 detection summary: 规则 %d 条（通过 %d，失败 %d），示例 %d 个（失败 %d）\n",
			len(d.Rules), d.RulesPassed, d.RulesFailed, d.Examples, d.ExamplesFail)
	}
	if !out.OK {
		var names []string
		for _, r := range out.Rules {
			if !r.OK() {
				names = append(names, fmt.Sprintf("%s (%s:%d)", r.Rule, r.File, r.Line))
			}
		}
		for _, r := range d.Rules {
			if !r.OK() {
				names = append(names, fmt.Sprintf("%s (%s:%d)", r.Rule, r.File, r.Line))
			}
		}
		return fmt.Errorf("%d rule(s) failed: %s", out.RulesFailed+d.RulesFailed, strings.Join(names, ", "))
	}
	return nil
}
