package classify

import (
	"strings"

	"github.com/mozillazg/go-pinyin"
)

// Chinese schemas spell Chinese words in pinyin as often as in characters:
// 设备编号 is shebei_bianhao, shebeibianhao or sbbh. pinyinForms derives
// those spellings from a Chinese keyword so that the packs need to list the
// characters only.

var pinyinArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Heteronym = true // 长度 is changdu, 银行 yinhang: keep every reading
	return a
}()

// maxReadings bounds the spellings of one keyword with several polyphonic
// characters.
const maxReadings = 4

// pinyinForms returns the pinyin spellings of a keyword made only of Han
// characters: the syllables grouped in two-character words (shebei bianhao,
// which also matches shebei_bianhao and, split back into words,
// shebeibianhao), and for keywords of four characters or more the initials
// (sbbh). Shorter initials are too ambiguous to derive (dh: 电话 or 吨耗?).
func pinyinForms(kw string) []string {
	rs := []rune(kw)
	if len(rs) < 2 || len(rs) > 8 {
		return nil
	}
	readings := pinyin.Pinyin(kw, pinyinArgs)
	if len(readings) != len(rs) {
		return nil // a character without pinyin
	}
	spellings := [][]string{nil}
	for _, rd := range readings {
		if len(rd) == 0 {
			return nil
		}
		var next [][]string
		for _, sp := range spellings {
			for i, r := range rd {
				if i > 0 && len(next) >= maxReadings {
					break
				}
				next = append(next, append(append([]string(nil), sp...), r))
			}
		}
		spellings = next
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, syl := range spellings {
		var words []string
		for i := 0; i < len(syl); i += 2 {
			words = append(words, strings.Join(syl[i:min(i+2, len(syl))], ""))
		}
		add(strings.Join(words, " "))
		if len(syl) >= 4 {
			var b strings.Builder
			for _, s := range syl {
				b.WriteByte(s[0])
			}
			add(b.String())
		}
	}
	return out
}
