// Package i18n holds the console's message catalogs: Simplified Chinese,
// the default, and English on request.
package i18n

import (
	"fmt"
	"slices"
	"strings"
)

// Lang is a console language.
type Lang string

// The supported languages.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// Default is the language shown unless the user asks for another; sites are
// Chinese whatever the browser's Accept-Language says.
const Default = ZH

// Langs lists the supported languages, the default first.
func Langs() []Lang { return []Lang{ZH, EN} }

// Parse maps a cookie or query value to a language: anything starting with
// "en" is English, everything else the default.
func Parse(s string) Lang {
	if s = strings.ToLower(strings.TrimSpace(s)); s == "en" || strings.HasPrefix(s, "en-") || strings.HasPrefix(s, "en_") {
		return EN
	}
	return Default
}

// catalog returns the messages of l, falling back to the default's.
func catalog(l Lang) map[string]string {
	if l == EN {
		return en
	}
	return zh
}

// T returns the message for key in l, formatted with args (fmt verbs) when
// any are given. A key missing from l falls back to Chinese, then to the
// key itself so a gap is visible rather than blank.
func (l Lang) T(key string, args ...any) string {
	msg, ok := catalog(l)[key]
	if !ok {
		if msg, ok = zh[key]; !ok {
			msg = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// T returns the message for key in lang; see Lang.T.
func T(lang Lang, key string, args ...any) string { return lang.T(key, args...) }

// Has reports whether key has a message in l.
func Has(l Lang, key string) bool {
	_, ok := catalog(l)[key]
	return ok
}

// Keys returns the message keys of l, sorted.
func Keys(l Lang) []string {
	m := catalog(l)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Name is a language's own name, for the switch link.
func (l Lang) Name() string {
	if l == EN {
		return "English"
	}
	return "中文"
}
