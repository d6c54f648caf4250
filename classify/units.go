package classify

import (
	"strings"
	"unicode"
)

// splitUnits separates the units of measure a comment gives in brackets —
// "有功电量(kWh)", "压力（MPa）", "振动有效值[mm/s]", "产量(吨)" — from its words.
// Units are not words: "mm" in "(mm/s)" is millimetres, not the pinyin
// abbreviation of 密码, and "(A)" is amperes. The words are matched against
// the name dictionary; the units against the rules marked `units: true`.
// A bracket whose content does not look like a unit ("状态(0停机1运行)") is
// kept as text.
func splitUnits(s string) (rest string, units []string) {
	if !strings.ContainsAny(s, "(（[【") {
		return s, nil
	}
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		close := closing(rs[i])
		if close == 0 {
			b.WriteRune(rs[i])
			continue
		}
		j := i + 1
		for j < len(rs) && rs[j] != close && j-i <= 16 {
			j++
		}
		if j < len(rs) && rs[j] == close {
			if u := string(rs[i+1 : j]); isUnit(u) {
				units = append(units, normUnit(u))
				b.WriteRune(' ')
				i = j
				continue
			}
		}
		b.WriteRune(rs[i])
	}
	return b.String(), units
}

func closing(r rune) rune {
	switch r {
	case '(':
		return ')'
	case '（':
		return '）'
	case '[':
		return ']'
	case '【':
		return '】'
	}
	return 0
}

// hanUnits are the Chinese units of measure accepted inside brackets.
var hanUnits = map[string]bool{
	"吨": true, "千克": true, "公斤": true, "克": true, "米": true, "毫米": true, "厘米": true, "千米": true, "公里": true,
	"秒": true, "分": true, "分钟": true, "小时": true, "天": true, "度": true, "摄氏度": true, "升": true, "立方米": true,
	"千瓦": true, "千瓦时": true, "兆瓦": true, "伏": true, "安": true, "赫兹": true, "转": true, "元": true, "万元": true,
	"件": true, "台": true, "个": true, "次": true, "人": true, "吨/小时": true, "标煤": true, "千克标准煤": true,
}

// isUnit reports whether a bracket's content looks like a unit of measure:
// short, no spaces inside words, made of letters, digits and unit symbols,
// not digits alone; or a Chinese unit word.
func isUnit(u string) bool {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > 24 {
		return false
	}
	if hanUnits[u] {
		return true
	}
	letters := 0
	for _, r := range u {
		switch {
		case r < 128 && (unicode.IsLetter(r)):
			letters++
		case r < 128 && unicode.IsDigit(r):
		case strings.ContainsRune("/.·*^%-‰℃°²³μµΩ‰ ", r):
			if r == '%' || r == '℃' || r == '‰' || r == 'Ω' {
				letters++
			}
		default:
			return false
		}
	}
	return letters > 0 && letters <= 8
}

// normUnit is the lookup form of a unit: lower case, no spaces, ASCII digits
// for superscripts, "u" for micro.
func normUnit(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	return strings.NewReplacer(" ", "", "²", "2", "³", "3", "µ", "u", "μ", "u", "·", ".", "°c", "℃").Replace(u)
}
