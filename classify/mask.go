package classify

import (
	"strings"
	"unicode/utf8"
)

// Mask returns value with most of it replaced by '*', so evidence can show a
// recognisable shape without the datum. kind is a PI code (pi.id_number…) or a
// validator name (resident_id, mobile…); unknown kinds get the generic mask.
// Credentials are never shown, only their length.
//
//	resident_id / bank_card / credit_code: first 4 and last 4 (3201**********123X)
//	mobile / phone:                        first 3 and last 4 (138****5678)
//	email:                                 first character of the local part and the domain
//	name:                                  surname only (张**)
//	address:                               first 6 characters
//	credential:                            "<masked N chars>"
//	generic:                               first and last quarter, at most 4 each, of at least 2 hidden
//
// At most 16 stars are shown; longer values end with their length, and
// control characters become spaces.
func Mask(kind, value string) string {
	value = strings.TrimSpace(value)
	if value == "" {
		return ""
	}
	switch strings.TrimPrefix(kind, "pi.") {
	case "credential", "api_token", "jwt", "pem_key", "password_hash":
		return "<masked " + itoa(utf8.RuneCountInString(value)) + " chars>"
	case "id_number", "resident_id", "bank_card", "bank_account", "credit_code", "passport", "hkmo_permit", "tw_permit":
		return keepEnds(value, 4, 4)
	case "phone", "mobile", "landline":
		return keepEnds(value, 3, 4)
	case "email", "e-mail":
		at := strings.IndexByte(value, '@')
		if at > 0 {
			_, n := utf8.DecodeRuneInString(value)
			return value[:n] + strings.Repeat("*", max(2, utf8.RuneCountInString(value[n:at]))) + value[at:]
		}
	case "name", "chinese_name":
		r := []rune(value)
		return string(r[:1]) + strings.Repeat("*", max(1, len(r)-1))
	case "address":
		if r := []rune(value); len(r) > 8 {
			return keepEnds(value, 6, 0)
		}
	}
	r := []rune(value)
	keep := min(4, len(r)/4)
	return keepEnds(value, keep, keep)
}

// keepEnds keeps head and tail runes and stars the rest, always hiding at
// least a third of the value and at least two characters.
func keepEnds(value string, head, tail int) string {
	r := []rune(value)
	for head+tail > len(r)-max(2, len(r)/3) && (head > 0 || tail > 0) {
		if head >= tail && head > 0 {
			head--
		} else {
			tail--
		}
	}
	if len(r) <= 1 {
		return "*"
	}
	hidden := len(r) - head - tail
	stars := strings.Repeat("*", min(hidden, maxStars))
	if hidden > maxStars {
		stars += "…"
	}
	out := string(r[:head]) + stars + string(r[len(r)-tail:])
	if hidden > maxStars {
		out += "（共" + itoa(len(r)) + "字符）"
	}
	return strings.Map(func(c rune) rune {
		if c < ' ' || c == 0x7f {
			return ' '
		}
		return c
	}, out)
}

// maxStars bounds the masked middle so long values (programs, documents)
// keep evidence short.
const maxStars = 16

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
