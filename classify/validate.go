package classify

import (
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Validators are pure functions over one trimmed value. They check shape and,
// where the identifier carries one, the check character.

// provincePrefixes are the first two digits of GB/T 2260 provincial codes (plus
// 71/81/82/83 for Taiwan, Hong Kong and Macau residents), space separated.
const provincePrefixes = " 11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83 "

// ValidResidentID reports whether s is a resident identity card number (GB 11643):
// 18 characters with a valid MOD 11-2 check character, or the legacy 15 digits;
// the province prefix must exist and the birth date must be real and not after now.
func ValidResidentID(s string, now time.Time) bool {
	switch len(s) {
	case 18:
		weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2} // 2^(17-i) mod 11
		sum := 0
		for i := 0; i < 17; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return false
			}
			sum += int(c-'0') * weights[i]
		}
		want := "10X98765432"[sum%11]
		got := s[17]
		if got == 'x' {
			got = 'X'
		}
		if got != want {
			return false
		}
		return validProvince(s[:2]) && validDate(s[6:14], now, 1900)
	case 15:
		for i := 0; i < 15; i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return validProvince(s[:2]) && validDate("19"+s[6:12], now, 1900)
	}
	return false
}

func validProvince(p string) bool {
	return len(p) == 2 && strings.Contains(provincePrefixes, " "+p+" ")
}

// validDate checks an 8-digit YYYYMMDD date between minYear and now.
func validDate(d string, now time.Time, minYear int) bool {
	if len(d) != 8 {
		return false
	}
	y, err1 := strconv.Atoi(d[:4])
	m, err2 := strconv.Atoi(d[4:6])
	dd, err3 := strconv.Atoi(d[6:])
	if err1 != nil || err2 != nil || err3 != nil {
		return false
	}
	return realDate(y, m, dd, now, minYear)
}

func realDate(y, m, d int, now time.Time, minYear int) bool {
	if y < minYear || m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != time.Month(m) {
		return false
	}
	return !t.After(now)
}

// creditCharset is the GB 32100 character set; a character's value is its index.
const creditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// ValidCreditCode reports whether s is a unified social credit code (GB 32100):
// charset, MOD 31 check character and the embedded GB 11714 organisation code check.
func ValidCreditCode(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum, w := 0, 1
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(creditCharset, s[i])
		if v < 0 {
			return false
		}
		if i >= 2 && i < 8 && v > 9 {
			return false // positions 3-8 are an administrative division code
		}
		if i < 17 {
			sum += v * w
			w = w * 3 % 31
		} else {
			c := 31 - sum%31
			if c == 31 {
				c = 0
			}
			if c != v {
				return false
			}
		}
	}
	return ValidOrgCode(s[8:17])
}

// ValidOrgCode reports whether s is a 9-character organisation code (GB 11714).
func ValidOrgCode(s string) bool {
	if len(s) != 9 {
		return false
	}
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := s[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return false
		}
		sum += v * weights[i]
	}
	c := 11 - sum%11
	var want byte
	switch c {
	case 10:
		want = 'X'
	case 11:
		want = '0'
	default:
		want = byte('0' + c)
	}
	return s[8] == want
}

// Luhn reports whether the digit string s passes the Luhn (ISO/IEC 7812) check.
func Luhn(s string) bool {
	if len(s) < 2 {
		return false
	}
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// ValidBankCard reports whether s (spaces and dashes allowed between groups)
// is a 16-19 digit card number passing Luhn that is not one repeated digit.
func ValidBankCard(s string) bool {
	if n := countDigits(s); n < 16 || n > 19 || len(s) > 23 {
		return false
	}
	d := stripSeparators(s)
	if len(d) < 16 || len(d) > 19 || d[0] == '0' || strings.Count(d, d[:1]) == len(d) {
		return false
	}
	return Luhn(d)
}

// UnionPayBIN reports whether the card number starts with the UnionPay 62 BIN
// prefix (a hint, not proof: REGULATIONS §8.4 [U]).
func UnionPayBIN(s string) bool { return strings.HasPrefix(stripSeparators(s), "62") }

// stripSeparators removes spaces and dashes.
func stripSeparators(s string) string {
	if strings.IndexByte(s, ' ') < 0 && strings.IndexByte(s, '-') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '-' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// mobileSegments are the 3-digit mainland mobile segments of REGULATIONS §8.3.
const mobileSegments = " 130 131 132 133 134 135 136 137 138 139 145 146 147 148 149 150 151 152 153 155 156 157 158 159" +
	" 162 165 166 167 170 171 172 173 174 175 176 177 178 180 181 182 183 184 185 186 187 188 189" +
	" 190 191 192 193 195 196 197 198 199 "

// ValidMobile reports whether s is a mainland mobile number from a known
// segment, optionally prefixed by +86, 0086, 86, 17951 or 0.
func ValidMobile(s string) bool {
	if n := countDigits(s); n < 11 || n > 16 || len(s) > 22 {
		return false
	}
	d := stripSeparators(s)
	switch {
	case strings.HasPrefix(d, "+86"):
		d = d[3:]
	case strings.HasPrefix(d, "0086") && len(d) == 15:
		d = d[4:]
	case strings.HasPrefix(d, "86") && len(d) == 13:
		d = d[2:]
	case strings.HasPrefix(d, "17951") && len(d) == 16:
		d = d[5:]
	case strings.HasPrefix(d, "0") && len(d) == 12:
		d = d[1:]
	}
	if len(d) != 11 || !allDigits(d) {
		return false
	}
	return strings.Contains(mobileSegments, " "+d[:3]+" ")
}

// ValidLandline reports whether s is a mainland landline number: area code
// 010/02x or 0xxx, then a 7-8 digit local number not starting with 0 or 1,
// with optional parentheses, separators and a dash extension.
func ValidLandline(s string) bool {
	if len(s) < 10 || len(s) > 32 || (s[0] != '0' && s[0] != '(' && s[0] != '+' && !strings.HasPrefix(s, "（")) {
		return false
	}
	d := strings.TrimPrefix(s, "+86")
	var b strings.Builder
	for _, r := range d {
		switch r {
		case '(', '（':
		case ')', '）', ' ':
			b.WriteByte('-')
		default:
			b.WriteRune(r)
		}
	}
	parts := strings.Split(strings.Trim(b.String(), "-"), "-")
	var area, local string
	switch {
	case len(parts) == 1:
		p := parts[0]
		if !allDigits(p) || len(p) < 10 || len(p) > 12 || p[0] != '0' {
			return false
		}
		if p[1] == '1' || p[1] == '2' {
			area, local = p[:3], p[3:]
		} else {
			area, local = p[:4], p[4:]
		}
	case len(parts) == 2 || len(parts) == 3:
		area, local = parts[0], parts[1]
		if len(area) > 0 && area[0] != '0' {
			area = "0" + area // +86-10-…
		}
		if len(parts) == 3 && (!allDigits(parts[2]) || len(parts[2]) > 6 || parts[2] == "") {
			return false
		}
	default:
		return false
	}
	if !allDigits(area) || !allDigits(local) || len(local) < 7 || len(local) > 8 || local[0] == '0' || local[0] == '1' {
		return false
	}
	switch len(area) {
	case 3:
		return area == "010" || area[1] == '2'
	case 4:
		return area[1] >= '3' && area[1] <= '9'
	}
	return false
}

// ValidEmail reports whether s looks like an e-mail address with a dotted domain.
func ValidEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at < 1 || at > 64 || at != strings.LastIndexByte(s, '@') || len(s) > 254 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !isAlnum(c) && !strings.ContainsRune("._%+-", rune(c)) {
			return false
		}
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isAlpha(tld[i]) {
			return false
		}
	}
	return true
}

// ValidPassport reports whether s is a PRC ordinary passport number: E or G
// followed by 8 digits, or E, a letter (not I/O) and 7 digits (REGULATIONS §8.6 [U]).
func ValidPassport(s string) bool {
	if len(s) != 9 {
		return false
	}
	switch {
	case (s[0] == 'E' || s[0] == 'G') && allDigits(s[1:]):
		return true
	case s[0] == 'E' && isPlateLetter(s[1]) && allDigits(s[2:]):
		return true
	}
	return false
}

// ValidHKMOPermit reports whether s is a Hong Kong/Macau permit number: the
// mainland travel permit of HK/MO residents (H or M + 8 or 10 digits) or the
// exit-entry permit of mainland residents (C + 8 digits, or C + letter + 7 digits).
func ValidHKMOPermit(s string) bool {
	switch {
	case (len(s) == 9 || len(s) == 11) && (s[0] == 'H' || s[0] == 'M') && allDigits(s[1:]):
		return true
	case len(s) == 9 && s[0] == 'C' && allDigits(s[2:]) && (isDigit(s[1]) || isPlateLetter(s[1])):
		return true
	}
	return false
}

// ValidTWPermit reports whether s has the shape of a 台湾居民来往大陆通行证 number
// (8 digits, or the older 10 digits with an optional bracketed letter). The
// shape is weak; rules using it should require a context keyword.
func ValidTWPermit(s string) bool {
	s = strings.TrimSuffix(s, ")")
	if i := strings.IndexByte(s, '('); i > 0 {
		if len(s)-i != 2 || !isAlpha(s[i+1]) {
			return false
		}
		s = s[:i]
	}
	return (len(s) == 8 || len(s) == 10) && allDigits(s)
}

// plateProvinces are the first characters of GA 36-2018 plates.
const plateProvinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"

// ValidPlate reports whether s is a motor-vehicle plate (GA 36-2018): ordinary
// 7-character plates and 8-character new-energy plates.
func ValidPlate(s string) bool {
	if len(s) < 9 || len(s) > 14 || s[0] < utf8.RuneSelf {
		return false
	}
	r := make([]rune, 0, 8)
	for _, c := range s {
		if c != '·' && c != ' ' {
			r = append(r, c)
		}
	}
	if len(r) != 7 && len(r) != 8 {
		return false
	}
	if !strings.ContainsRune(plateProvinces, r[0]) || r[1] > 127 || !isPlateLetter(byte(r[1])) {
		return false
	}
	tail := r[2:]
	if len(r) == 7 {
		for _, c := range tail[:4] {
			if c > 127 || !(isDigit(byte(c)) || isPlateLetter(byte(c))) {
				return false
			}
		}
		last := tail[4]
		if last < 128 {
			return isDigit(byte(last)) || isPlateLetter(byte(last))
		}
		return strings.ContainsRune("挂学警港澳", last)
	}
	for _, c := range tail {
		if c > 127 {
			return false
		}
	}
	t := string(tail)
	energy := func(c byte) bool { return strings.IndexByte("ABCDEFGHJK", c) >= 0 }
	if allDigits(t[:5]) && energy(t[5]) {
		return true
	}
	return energy(t[0]) && (isDigit(t[1]) || isPlateLetter(t[1])) && allDigits(t[2:])
}

// ValidIPv4 reports whether s is a dotted-quad IPv4 address.
func ValidIPv4(s string) bool {
	if len(s) < 7 || len(s) > 15 || strings.Count(s, ".") != 3 {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

// ValidIPv6 reports whether s is an IPv6 address (without zone).
func ValidIPv6(s string) bool {
	if strings.Count(s, ":") < 2 || len(s) > 45 {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && a.Zone() == ""
}

// ValidMAC reports whether s is a 48-bit MAC address (aa:bb:cc:dd:ee:ff,
// aa-bb-…, or aabb.ccdd.eeff).
func ValidMAC(s string) bool {
	switch len(s) {
	case 17:
		sep := s[2]
		if sep != ':' && sep != '-' {
			return false
		}
		for i := 0; i < 17; i++ {
			if i%3 == 2 {
				if s[i] != sep {
					return false
				}
			} else if !isHex(s[i]) {
				return false
			}
		}
		return true
	case 14:
		for i := 0; i < 14; i++ {
			if i == 4 || i == 9 {
				if s[i] != '.' {
					return false
				}
			} else if !isHex(s[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// ParseGPS parses a coordinate pair "lat,lon" or "lon,lat" (comma, space or
// semicolon separated, each with at least 3 decimals) and reports whether the
// point lies in mainland China's bounding box.
func ParseGPS(s string) (lat, lon float64, inChina, ok bool) {
	s = strings.Trim(s, "()[] ")
	i := strings.IndexAny(s, ",; ")
	if i <= 0 {
		return 0, 0, false, false
	}
	a, b := strings.TrimSpace(s[:i]), strings.TrimSpace(strings.TrimLeft(s[i:], ",; "))
	x, okx := parseCoord(a)
	y, oky := parseCoord(b)
	if !okx || !oky {
		return 0, 0, false, false
	}
	lat, lon = x, y
	if abs(x) > 90 {
		lat, lon = y, x
	}
	if abs(lat) > 90 || abs(lon) > 180 {
		return 0, 0, false, false
	}
	if lat == 0 && lon == 0 {
		return 0, 0, false, false
	}
	return lat, lon, InChina(lat, lon), true
}

// InChina reports whether the point lies in a bounding box around China.
func InChina(lat, lon float64) bool { return lat >= 3.5 && lat <= 54 && lon >= 73 && lon <= 135.5 }

// ValidCoordinate reports whether s is a single decimal degree with at least
// 4 decimals within ±180 (a latitude or longitude column).
func ValidCoordinate(s string) bool {
	v, ok := parseCoordMin(s, 4)
	return ok && abs(v) <= 180 && v != 0
}

func parseCoord(s string) (float64, bool) { return parseCoordMin(s, 3) }

func parseCoordMin(s string, decimals int) (float64, bool) {
	dot := strings.IndexByte(s, '.')
	if dot < 1 || len(s)-dot-1 < decimals || len(s) > 16 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || abs(v) > 180 {
		return 0, false
	}
	return v, true
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// regionNames are the 34 provincial-level names and common prefecture-level
// cities, space separated, for address detection.
const regionNames = " 北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南" +
	" 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门" +
	" 石家庄 唐山 保定 邯郸 太原 大同 呼和浩特 包头 鄂尔多斯 沈阳 大连 鞍山 抚顺 本溪 长春 吉林 哈尔滨 大庆 齐齐哈尔" +
	" 南京 苏州 无锡 常州 南通 徐州 扬州 镇江 盐城 杭州 宁波 温州 绍兴 嘉兴 金华 台州 湖州 合肥 芜湖 马鞍山 福州 厦门 泉州" +
	" 南昌 赣州 九江 济南 青岛 烟台 潍坊 淄博 临沂 济宁 郑州 洛阳 新乡 武汉 宜昌 襄阳 十堰 长沙 株洲 湘潭 岳阳 广州 深圳" +
	" 珠海 佛山 东莞 中山 惠州 汕头 江门 南宁 柳州 桂林 海口 三亚 成都 绵阳 德阳 攀枝花 贵阳 遵义 昆明 拉萨 西安 宝鸡" +
	" 兰州 西宁 银川 乌鲁木齐 克拉玛依 "

// addressElements mark street-level address parts.
const addressElements = "路街巷弄号村镇乡栋幢室楼"

// ValidAddress reports whether s looks like a postal address: at least 6
// characters naming a province/city (dictionary or 省/市/自治区/区/县 marker)
// and a street-level element (路, 街, 号, 村, 室…).
func ValidAddress(s string) bool {
	if len(s) < 12 || len(s) > 480 || s[0] < utf8.RuneSelf {
		return false // an address starts with a Han place name
	}
	n := utf8.RuneCountInString(s)
	if n < 6 || n > 120 {
		return false
	}
	if !strings.ContainsAny(s, addressElements) {
		return false
	}
	region := strings.ContainsAny(s, "省市县") || strings.Contains(s, "自治区") || containsRegionName(s)
	return region && hanCount(s) >= 4
}

func containsRegionName(s string) bool {
	rest := regionNames
	for {
		rest = strings.TrimLeft(rest, " ")
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			return rest != "" && strings.Contains(s, rest)
		}
		if strings.Contains(s, rest[:i]) {
			return true
		}
		rest = rest[i:]
	}
}

// singleSurnames are common single-character Chinese surnames (百家姓, the
// most frequent ~220).
const singleSurnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"

// compoundSurnames are common two-character surnames, space separated.
const compoundSurnames = " 欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 南宫 西门 独孤 呼延 万俟 "

// nameStopChars rarely appear in given names; a value containing one is more
// likely a word (高炉, 温度, 公司) than a person's name.
const nameStopChars = "炉温度压力公司厂部门局处科组线车间机床设备产品料号号码型规格阀泵罐管站区市省县路街"

// ValidChineseName reports whether s is a plausible Chinese personal name:
// 2-4 Han characters starting with a common surname. Shape only: rules should
// look at distinct-value ratio or context too.
func ValidChineseName(s string) bool {
	if len(s) < 6 || len(s) > 12 || s[0] < utf8.RuneSelf {
		return false
	}
	r := []rune(s)
	if len(r) < 2 || len(r) > 4 {
		return false
	}
	for _, c := range r {
		if !unicode.Is(unicode.Han, c) {
			return false
		}
	}
	for _, c := range r[1:] {
		if strings.ContainsRune(nameStopChars, c) {
			return false
		}
	}
	if len(r) >= 3 && strings.Contains(compoundSurnames, " "+string(r[:2])+" ") {
		return true
	}
	return strings.ContainsRune(singleSurnames, r[0])
}

// ValidBirthDate reports whether s is a calendar date (YYYY-MM-DD, YYYY/MM/DD,
// YYYY.MM.DD, YYYYMMDD or YYYY年M月D日, optionally followed by a time) from
// 1900 up to now.
func ValidBirthDate(s string, now time.Time) bool {
	y, m, d, ok := parseDate(s)
	return ok && realDate(y, m, d, now, 1900)
}

func parseDate(s string) (y, m, d int, ok bool) {
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	if len(s) == 8 && allDigits(s) {
		y, _ = strconv.Atoi(s[:4])
		m, _ = strconv.Atoi(s[4:6])
		d, _ = strconv.Atoi(s[6:])
		return y, m, d, true
	}
	if len(s) < 8 || len(s) > 17 || !isDigit(s[0]) {
		return 0, 0, 0, false
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '年', '月', '/', '.':
			b.WriteByte('-')
		case '日':
		default:
			b.WriteRune(r)
		}
	}
	p := strings.Split(b.String(), "-")
	if len(p) != 3 || len(p[0]) != 4 || len(p[1]) < 1 || len(p[1]) > 2 || len(p[2]) < 1 || len(p[2]) > 2 {
		return 0, 0, 0, false
	}
	var err error
	if y, err = strconv.Atoi(p[0]); err != nil {
		return 0, 0, 0, false
	}
	if m, err = strconv.Atoi(p[1]); err != nil {
		return 0, 0, 0, false
	}
	if d, err = strconv.Atoi(p[2]); err != nil {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

// ValidGender reports whether s is a gender value (男/女/男性/女性/male/female).
func ValidGender(s string) bool {
	switch strings.ToLower(s) {
	case "男", "女", "男性", "女性", "male", "female":
		return true
	}
	return false
}

// ValidPostalCode reports whether s is a 6-digit postal code with a plausible
// first digit (weak shape; rules should require context).
func ValidPostalCode(s string) bool { return len(s) == 6 && allDigits(s) && s[0] >= '0' && s[0] <= '8' }

// Credential kinds returned by CredentialKind.
const (
	CredBcrypt   = "bcrypt"
	CredArgon2   = "argon2"
	CredMD5Crypt = "md5-crypt"
	CredSHACrypt = "sha-crypt"
	CredHexHash  = "hex-digest"
	CredJWT      = "jwt"
	CredAPIToken = "api-token"
	CredPEMKey   = "pem-private-key"
)

// CredentialKind names the kind of credential s is (password hash, JWT, API
// token, PEM private key), or returns "" when s is none.
func CredentialKind(s string) string {
	switch {
	case strings.HasPrefix(s, "-----BEGIN ") && strings.Contains(s[:min(len(s), 40)], "PRIVATE KEY-----"):
		return CredPEMKey
	case len(s) == 60 && (strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")) && isDigit(s[4]) && isDigit(s[5]) && s[6] == '$':
		return CredBcrypt
	case strings.HasPrefix(s, "$argon2id$") || strings.HasPrefix(s, "$argon2i$") || strings.HasPrefix(s, "$argon2d$"):
		if strings.Count(s, "$") >= 5 {
			return CredArgon2
		}
	case strings.HasPrefix(s, "$1$") && strings.Count(s, "$") == 3 && len(s) >= 26:
		return CredMD5Crypt
	case (strings.HasPrefix(s, "$5$") || strings.HasPrefix(s, "$6$")) && strings.Count(s, "$") >= 3 && len(s) >= 50:
		return CredSHACrypt
	case isJWT(s):
		return CredJWT
	case isAPIToken(s):
		return CredAPIToken
	case (len(s) == 32 || len(s) == 40 || len(s) == 64 || len(s) == 128) && allHex(s) && !allDigits(s):
		return CredHexHash
	}
	return ""
}

func isJWT(s string) bool {
	if len(s) < 30 || !strings.HasPrefix(s, "eyJ") || strings.Count(s, ".") != 2 {
		return false
	}
	head := s[:strings.IndexByte(s, '.')]
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	return json.Unmarshal(b, &h) == nil && h.Alg != ""
}

// apiTokenPrefixes are well-known secret prefixes (GitHub, GitLab, Slack, AWS,
// Google, OpenAI-style, Alibaba Cloud), space separated.
const apiTokenPrefixes = " ghp_ gho_ ghs_ ghu_ github_pat_ glpat- xoxb- xoxp- AKIA ASIA AIza sk- sk_live_ rk_live_ LTAI "

func isAPIToken(s string) bool {
	if len(s) < 16 || len(s) > 200 || strings.IndexByte("gxAsrL", s[0]) < 0 || strings.ContainsAny(s, " \t\n") {
		return false
	}
	for rest := apiTokenPrefixes; ; {
		rest = strings.TrimLeft(rest, " ")
		k := strings.IndexByte(rest, ' ')
		if k < 0 {
			return false
		}
		p := rest[:k]
		rest = rest[k:]
		if strings.HasPrefix(s, p) && len(s)-len(p) >= 12 {
			body := s[len(p):]
			for i := 0; i < len(body); i++ {
				if !isAlnum(body[i]) && body[i] != '_' && body[i] != '-' {
					return false
				}
			}
			return true
		}
	}
}

// ValidCredential reports whether CredentialKind recognises s.
func ValidCredential(s string) bool { return CredentialKind(s) != "" }

// IsGCode reports whether s is a CNC program block or program (ISO 6983
// G-code): most non-empty lines consist of address words (G01 X10.5 F300)
// with at least one G or M word.
func IsGCode(s string) bool {
	if len(s) < 3 || !strings.ContainsAny(s, "GMgm") {
		return false
	}
	lines, good, single := 0, 0, 0
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		line = stripParens(line)
		line = strings.TrimSpace(line)
		if line == "" || line == "%" || (line[0] == 'O' && allDigits(line[1:])) {
			continue
		}
		lines++
		switch words, gm := gcodeLine(line); {
		case gm && words >= 2:
			good++
		case gm && words == 1:
			single++ // "M30" or "G90" alone: fine inside a program, not on its own
		}
	}
	if lines > 1 {
		good += single
	}
	return lines > 0 && good*10 >= lines*8
}

func stripParens(s string) string {
	for {
		i := strings.IndexByte(s, '(')
		j := strings.IndexByte(s, ')')
		if i < 0 || j < i {
			return s
		}
		s = s[:i] + " " + s[j+1:]
	}
}

// gcodeLine counts the address words of a line and whether one is a G or M
// word; words is 0 when the line is not G-code.
func gcodeLine(line string) (words int, gm bool) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c >= 'a' && c <= 'z' {
			c -= 32
		}
		if !strings.ContainsRune("ABCDFGHIJKLMNPQRSTUVWXYZ", rune(c)) {
			return 0, false
		}
		j := i + 1
		if j < len(line) && (line[j] == '-' || line[j] == '+') {
			j++
		}
		start := j
		for j < len(line) && (isDigit(line[j]) || line[j] == '.') {
			j++
		}
		if j == start {
			return 0, false
		}
		if c == 'G' || c == 'M' {
			gm = true
		}
		words++
		i = j
	}
	return words, gm
}

// stKeywords are IEC 61131-3 Structured Text keywords, space separated.
const stKeywords = " IF THEN ELSIF ELSE END_IF CASE OF END_CASE FOR TO BY DO END_FOR WHILE END_WHILE REPEAT UNTIL END_REPEAT VAR VAR_INPUT VAR_OUTPUT VAR_GLOBAL END_VAR FUNCTION_BLOCK END_FUNCTION_BLOCK PROGRAM END_PROGRAM FUNCTION END_FUNCTION TON TOF R_TRIG AND OR NOT BOOL INT REAL DINT TIME "

// IsSTCode reports whether s is an IEC 61131-3 Structured Text snippet: an
// assignment "x := expr;" together with ST keywords, or several ST keywords.
func IsSTCode(s string) bool {
	if len(s) < 8 || !strings.Contains(s, ":=") && !strings.Contains(s, "END_") {
		return false
	}
	kw := 0
	for i := 0; i < len(s); {
		if !(s[i] == '_' || isAlnum(s[i])) {
			i++
			continue
		}
		j := i
		upper := true
		for j < len(s) && (s[j] == '_' || isAlnum(s[j])) {
			if s[j] >= 'a' && s[j] <= 'z' {
				upper = false
			}
			j++
		}
		if f := s[i:j]; upper && len(f) >= 2 && len(f) < 20 {
			k := strings.Index(stKeywords, f)
			if k > 0 && stKeywords[k-1] == ' ' && stKeywords[k+len(f)] == ' ' {
				kw++
			}
		}
		i = j
	}
	assign := strings.Contains(s, ":=") && strings.Contains(s, ";")
	return (assign && kw >= 1) || kw >= 3 && strings.Contains(s, "END_")
}

// IsOPCUANodeID reports whether s is an OPC UA node id in string form
// (ns=2;s=Line1.Temp, ns=3;i=1001, i=85, nsu=urn:…;s=…, g=/b= forms).
func IsOPCUANodeID(s string) bool {
	rest := s
	if strings.HasPrefix(rest, "svr=") {
		i := strings.IndexByte(rest, ';')
		if i < 0 || !allDigits(rest[4:i]) {
			return false
		}
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "ns=") {
		i := strings.IndexByte(rest, ';')
		if i < 4 || !allDigits(rest[3:i]) {
			return false
		}
		rest = rest[i+1:]
	} else if strings.HasPrefix(rest, "nsu=") {
		i := strings.IndexByte(rest, ';')
		if i < 5 {
			return false
		}
		rest = rest[i+1:]
	}
	if len(rest) < 3 || rest[1] != '=' {
		return false
	}
	v := rest[2:]
	switch rest[0] {
	case 'i':
		return allDigits(v) && len(v) <= 10
	case 's':
		return len(v) > 0
	case 'g':
		return len(v) == 36 && strings.Count(v, "-") == 4
	case 'b':
		_, err := base64.StdEncoding.DecodeString(v)
		return err == nil
	}
	return false
}

// IsSensorTag reports whether s is an instrument tag in ISA-5.1 style:
// 2-4 function letters, optional - or _, a 2-5 digit loop number, an optional
// letter suffix and an optional .PV/.SP/.OP/… attribute (FIC-101.PV, TT_203).
func IsSensorTag(s string) bool {
	if len(s) < 4 || len(s) > 24 {
		return false
	}
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	if i < 2 || i > 4 {
		return false
	}
	letters := s[:i]
	if i < len(s) && (s[i] == '-' || s[i] == '_') {
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j-i < 2 || j-i > 5 {
		return false
	}
	if j < len(s) && s[j] >= 'A' && s[j] <= 'Z' {
		j++
	}
	attr := false
	if j < len(s) {
		if s[j] != '.' {
			return false
		}
		a := s[j+1:]
		if len(a) < 2 || len(a) > 8 {
			return false
		}
		for k := 0; k < len(a); k++ {
			if !(a[k] >= 'A' && a[k] <= 'Z') && !isDigit(a[k]) && a[k] != '_' {
				return false
			}
		}
		attr = true
	}
	if attr {
		return true
	}
	// Without an attribute, insist on a measured variable first and a
	// readout/function letter last (T, I, C, V, E, S, A, R, Y, Q, Z).
	return strings.IndexByte("AFLPTWDMSVZ", letters[0]) >= 0 && strings.IndexByte("TICVESARYQZ", letters[len(letters)-1]) >= 0
}

// units are the units of measure recognised after a number, longest first
// within shared prefixes, space separated.
const units = " ℃ °C °F MPa kPa Pa bar psi rpm r/min kN N·m Nm N kW kWh MW W kV V mA A Hz kHz mm/s m/s mm cm μm um nm m³/h m3/h Nm³/h L/min L/h t/h kg/h kg %RH %LEL ppm dB lx mg/L g/L mol/L "

// ParseMeasurement parses "850℃", "1.2 MPa", "-3.5mm" into value and unit
// for the units above.
func ParseMeasurement(s string) (value float64, unit string, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	start := i
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	if i == start {
		return 0, "", false
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, "", false
	}
	u := strings.TrimSpace(s[i:])
	if u == "" || !strings.Contains(units, " "+u+" ") {
		return 0, "", false
	}
	return v, u, true
}

// HasUnit reports whether s is a number with a unit of measure.
func HasUnit(s string) bool { _, _, ok := ParseMeasurement(s); return ok }

// IsRecipe reports whether s looks like a recipe or formula: two or more
// "ingredient amount[unit]" items (C:0.18%;Mn:1.40%, 树脂 30kg，固化剂 5kg)
// or a ratio such as 3:1:0.5.
func IsRecipe(s string) bool {
	if len(s) < 5 || strings.IndexAny(s, "0123456789") < 0 {
		return false
	}
	if strings.Count(s, ":") >= 2 && isRatio(s) {
		return true
	}
	if !strings.ContainsAny(s, ";,，；、|\n") {
		return false
	}
	items := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(";,，；、|\n", r) })
	if len(items) < 2 {
		return false
	}
	good := 0
	for _, it := range items {
		if recipeItem(strings.TrimSpace(it)) {
			good++
		}
	}
	return good >= 2 && good*10 >= len(items)*8
}

func isRatio(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.ParseFloat(p, 64); err != nil {
			return false
		}
	}
	return true
}

func recipeItem(it string) bool {
	// name: letters or Han, then optional separator, then number, then optional unit or %.
	i := 0
	for i < len(it) {
		r, n := utf8.DecodeRuneInString(it[i:])
		if unicode.IsLetter(r) || (i > 0 && isDigit(it[i]) && !numberFollows(it[i:])) {
			i += n
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	rest := strings.TrimLeft(it[i:], " :=：")
	if rest == "" {
		return false
	}
	j := 0
	for j < len(rest) && (isDigit(rest[j]) || rest[j] == '.') {
		j++
	}
	if j == 0 {
		return false
	}
	u := strings.TrimSpace(rest[j:])
	return u == "" || u == "%" || u == "份" || u == "g" || u == "kg" || u == "t" || u == "mL" || u == "L" || u == "ppm" || strings.Contains(units, " "+u+" ")
}

// numberFollows reports whether s starts a number that ends the name part.
func numberFollows(s string) bool {
	j := 0
	for j < len(s) && (isDigit(s[j]) || s[j] == '.') {
		j++
	}
	return j == len(s) || s[j] == '%' || s[j] == ' ' || !isAlpha(s[j])
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return s != ""
}

func hanCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}

func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool       { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool       { return isDigit(c) || isAlpha(c) }
func isHex(c byte) bool         { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isPlateLetter(c byte) bool { return c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' }

// vinValues are the transliteration values of VIN letters (ISO 3779; I, O
// and Q are not used).
var vinValues = [26]int8{1, 2, 3, 4, 5, 6, 7, 8, -1, 1, 2, 3, 4, 5, -1, 7, -1, 9, 2, 3, 4, 5, 6, 7, 8, 9}

// ValidVIN reports whether s is a 17-character vehicle identification number
// with a correct check character in position 9 (GB 16735-2019 requires it,
// as does North America; ISO 3779 alone does not, so only VINs carrying it
// are recognised).
func ValidVIN(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) != 17 {
		return false
	}
	weights := [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}
	sum, digits := 0, 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		n := 0
		switch {
		case c >= '0' && c <= '9':
			n = int(c - '0')
			digits++
		case c >= 'A' && c <= 'Z' && vinValues[c-'A'] >= 0:
			n = int(vinValues[c-'A'])
		default:
			return false
		}
		sum += n * weights[i]
	}
	if digits < 5 || digits == 17 {
		return false // all letters or all digits is not a VIN
	}
	check := byte('0' + sum%11)
	if sum%11 == 10 {
		check = 'X'
	}
	c9 := s[8]
	if c9 == 'x' {
		c9 = 'X'
	}
	return c9 == check
}
