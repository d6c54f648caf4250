package classify

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var testNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func TestValidResidentID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"11010519491231002X", true},
		{"11010519491231002x", true},
		{"320102198001011238", true},
		{"510107200002299875", true},  // 2000-02-29 exists
		{"110105194912310021", false}, // wrong check character
		{"990102198001011238", false}, // no such province
		{"320102209901011238", false}, // born in the future
		{"11010519490231002X", false}, // 31 February... check char also differs
		{"510107190002299875", false}, // 1900-02-29 does not exist
		{"32010219800101123", false},
		{"110105491231002", true}, // legacy 15 digits
		{"110105491331002", false},
		{"", false},
		{"1101051949123100２X", false},
	} {
		if got := ValidResidentID(c.in, testNow); got != c.want {
			t.Errorf("ValidResidentID(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestValidCreditCode(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"91350100M000100Y43", true},
		{"91110000600037341L", true},
		{"9132010013490876X8", true},
		{"91440300MA5D8F2K97", true},
		{"91350100M000100Y44", false}, // check character
		{"91350100M000100I43", false}, // I not in charset
		{"913501O0M000100Y43", false}, // letter in division code
		{"91350100M000100Y4", false},
	} {
		if got := ValidCreditCode(c.in); got != c.want {
			t.Errorf("ValidCreditCode(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if !ValidOrgCode("M000100Y4") || ValidOrgCode("M000100Y5") || !ValidOrgCode("600037341") {
		t.Error("ValidOrgCode")
	}
}

func TestBankCardAndLuhn(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"6225768888888888", true},
		{"4111111111111111", true},
		{"6222021001123456789", true},
		{"6228 4800 1234 5671", true},
		{"6228-4800-1234-5671", true},
		{"6225768888888889", false},
		{"0000000000000000", false},
		{"622576888888888", false}, // 15 digits
		{"62257688888888888888", false},
		{"622576888888888a", false},
	} {
		if got := ValidBankCard(c.in); got != c.want {
			t.Errorf("ValidBankCard(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if !UnionPayBIN("6222021001123456789") || UnionPayBIN("4111111111111111") {
		t.Error("UnionPayBIN")
	}
	if Luhn("1") || !Luhn("79927398713") {
		t.Error("Luhn")
	}
}

func TestPhones(t *testing.T) {
	for _, c := range []struct {
		in           string
		mobile, land bool
	}{
		{"13812345678", true, false},
		{"+8613812345678", true, false},
		{"+86 138 1234 5678", true, false},
		{"008613812345678", true, false},
		{"8613812345678", true, false},
		{"1795113912345678", true, false},
		{"019912345678", true, false},
		{"19212345678", true, false},
		{"15412345678", false, false}, // no 154 segment
		{"12345678901", false, false},
		{"010-62345678", false, true},
		{"0755-8765432", false, true},
		{"(021)62345678", false, true},
		{"（021）62345678", false, true},
		{"0571-88886666-801", false, true},
		{"01062345678", false, true},
		{"+86-10-62345678", false, true},
		{"010-02345678", false, false},
		{"0755-123", false, false},
	} {
		if got := ValidMobile(c.in); got != c.mobile {
			t.Errorf("ValidMobile(%q) = %v, want %v", c.in, got, c.mobile)
		}
		if got := ValidLandline(c.in); got != c.land {
			t.Errorf("ValidLandline(%q) = %v, want %v", c.in, got, c.land)
		}
	}
}

func TestEmail(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"zhang.san@example.com", true},
		{"li_si+mes@factory.com.cn", true},
		{"a@b.cn", true},
		{"a@b", false},
		{"@b.cn", false},
		{"a@@b.cn", false},
		{"a..b@b.cn", false},
		{"a@-b.cn", false},
		{"a@b.c1", false},
		{"张三@example.com", false},
	} {
		if got := ValidEmail(c.in); got != c.want {
			t.Errorf("ValidEmail(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestTravelDocuments(t *testing.T) {
	check := func(name string, f func(string) bool, yes, no []string) {
		t.Helper()
		for _, s := range yes {
			if !f(s) {
				t.Errorf("%s(%q) = false, want true", name, s)
			}
		}
		for _, s := range no {
			if f(s) {
				t.Errorf("%s(%q) = true, want false", name, s)
			}
		}
	}
	check("ValidPassport", ValidPassport, []string{"E12345678", "G87654321", "EA1234567"}, []string{"E1234567", "A12345678", "EI1234567", "e12345678"})
	check("ValidHKMOPermit", ValidHKMOPermit, []string{"H12345678", "M1234567890", "C12345678", "CA1234567"}, []string{"H1234567", "X12345678", "CI1234567"})
	check("ValidTWPermit", ValidTWPermit, []string{"12345678", "1234567890(B)", "1234567890"}, []string{"1234567", "A1234567", "1234567890(BB)"})
	check("ValidPlate", ValidPlate,
		[]string{"京A12345", "粤B·D12345", "沪AD12345", "苏E1234学", "浙A12345F", "使A1234领"[:0] + "京AF1234", "粤B 12345"},
		[]string{"京I12345", "XA12345", "京A1234", "粤B12345Z6", "京A1234I", "京A123456789"})
	check("ValidIPv4", ValidIPv4, []string{"192.168.1.10", "10.0.0.1", "255.255.255.255"}, []string{"256.1.1.1", "192.168.01.1", "1.2.3", "::1"})
	check("ValidIPv6", ValidIPv6, []string{"2001:db8::1", "fe80::1ff:fe23:4567:890a", "::1"}, []string{"2001:db8:::1", "12:30", "fe80::1%eth0", "1.2.3.4"})
	check("ValidMAC", ValidMAC, []string{"00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e"}, []string{"00:1A:2B:3C:4D", "00:1A-2B:3C:4D:5E", "GG:1A:2B:3C:4D:5E"})
	check("ValidPostalCode", ValidPostalCode, []string{"210000", "518000"}, []string{"21000", "910000", "21000a"})
	check("ValidGender", ValidGender, []string{"男", "女", "女性", "Female"}, []string{"M", "是", ""})
}

func TestGPS(t *testing.T) {
	for _, c := range []struct {
		in          string
		ok, inChina bool
	}{
		{"31.230416,121.473701", true, true},
		{"121.473701,31.230416", true, true}, // lon,lat
		{"116.397128 39.916527", true, true},
		{"(39.9165; 116.3971)", true, true},
		{"48.8566,2.3522", true, false},
		{"1,2", false, false},
		{"31.2,121.4", false, false},
		{"200.12345,100.12345", false, false},
		{"0.000,0.000", false, false},
	} {
		_, _, cn, ok := ParseGPS(c.in)
		if ok != c.ok || cn != c.inChina {
			t.Errorf("ParseGPS(%q) = ok %v inChina %v, want %v %v", c.in, ok, cn, c.ok, c.inChina)
		}
	}
	if !ValidCoordinate("121.473701") || ValidCoordinate("121.47") || ValidCoordinate("0.0000") {
		t.Error("ValidCoordinate")
	}
}

func TestAddressNameBirth(t *testing.T) {
	for _, s := range []string{"江苏省南京市玄武区中山路18号", "上海市浦东新区张江路88弄3号601室", "佛山市顺德区北滘镇工业大道1号", "内蒙古包头市昆都仑区钢铁大街7号"} {
		if !ValidAddress(s) {
			t.Errorf("ValidAddress(%q) = false", s)
		}
	}
	for _, s := range []string{"南京", "中山路", "高炉温度850", "江苏省"} {
		if ValidAddress(s) {
			t.Errorf("ValidAddress(%q) = true", s)
		}
	}
	for _, s := range []string{"张三", "欧阳修文", "王小明", "李娜", "司马光"} {
		if !ValidChineseName(s) {
			t.Errorf("ValidChineseName(%q) = false", s)
		}
	}
	for _, s := range []string{"高炉", "张力控制", "温度", "Zhang San", "王某某公司", "张", "王2"} {
		if ValidChineseName(s) {
			t.Errorf("ValidChineseName(%q) = true", s)
		}
	}
	for _, s := range []string{"1985-06-01", "1990/1/2", "19851231", "1979年3月8日", "1985-06-01 00:00:00", "2000.02.29"} {
		if !ValidBirthDate(s, testNow) {
			t.Errorf("ValidBirthDate(%q) = false", s)
		}
	}
	for _, s := range []string{"2999-01-01", "1985-02-30", "85-06-01", "1850-01-01", "2026-12-01", "abc"} {
		if ValidBirthDate(s, testNow) {
			t.Errorf("ValidBirthDate(%q) = true", s)
		}
	}
}

func TestCredentialKind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"$2b$12$KIXQJwZx0yqkJ7u8kTqNveCkHcK5Yk6a4w8J3PZ6Qm3bV1e0qYb9C", CredBcrypt},
		{"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", CredArgon2},
		{"$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0", CredMD5Crypt},
		{"$6$rounds=5000$saltsalt$" + strings.Repeat("a", 86), CredSHACrypt},
		{"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", CredJWT},
		{"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", CredAPIToken},
		{"AKIAIOSFODNN7EXAMPLE", CredAPIToken},
		{"-----BEGIN OPENSSH PRIVATE KEY-----", CredPEMKey},
		{"5f4dcc3b5aa765d61d8327deb882cf99", CredHexHash},
		{"password", ""},
		{"$2b$12$short", ""},
		{"eyJhbGciOi.not.jwt", ""},
		{"12345678901234567890123456789012", ""},
		{"-----BEGIN PUBLIC KEY-----", ""},
	} {
		if got := CredentialKind(c.in); got != c.want {
			t.Errorf("CredentialKind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestIndustrialContent(t *testing.T) {
	check := func(name string, f func(string) bool, yes, no []string) {
		t.Helper()
		for _, s := range yes {
			if !f(s) {
				t.Errorf("%s(%q) = false, want true", name, s)
			}
		}
		for _, s := range no {
			if f(s) {
				t.Errorf("%s(%q) = true, want false", name, s)
			}
		}
	}
	check("IsGCode", IsGCode,
		[]string{"G01 X10.5 Y20.0 F300", "N10 G90 G54 G00 X0 Y0", "M03 S1200", "G02X5Y5I2.5J0", "%\nO1000\nG21 G90 (metric)\nG01 X1 Y1 F100 ; cut\nM30\n%"},
		[]string{"GO TO LINE 5", "G01", "X10 Y20", "hello world", ""})
	check("IsSTCode", IsSTCode,
		[]string{"IF TT101 > 85.0 THEN Valve1 := FALSE; END_IF;", "Timer1(IN := Start, PT := T#5S);\nMotor := Timer1.Q AND NOT Stop;", "VAR x : INT; END_VAR"},
		[]string{"if you can then do it", "a := b", "SELECT * FROM t WHERE a = 1;"})
	check("IsOPCUANodeID", IsOPCUANodeID,
		[]string{"ns=2;s=Line1.Furnace.TT101", "ns=3;i=1001", "i=85", "nsu=urn:factory:plc;s=Tank.Level", "ns=1;g=09087e75-8e5e-499b-954f-f2a9603db28a", "ns=1;b=M/RbKBsRVkePCePcx24oRA=="},
		[]string{"ns=x;s=abc", "s=", "name=abc", "ns=2;i=abc"})
	check("IsSensorTag", IsSensorTag,
		[]string{"FIC-101.PV", "TT_203", "PT101A", "LIC-2001.SP", "TIC305"},
		[]string{"XYZ-12345", "HELLO", "FIC-1", "2023-01", "AB-12", "FIC-101.pv"})
	check("IsRecipe", IsRecipe,
		[]string{"C:0.18%;Si:0.35%;Mn:1.40%", "树脂 30kg，固化剂 5kg，填料 12kg", "3:1:0.5", "烧结矿:75%;球团:15%;块矿:10%"},
		[]string{"张三，李四", "12:30", "ok;fine", "10:30:00x"})
	for _, c := range []struct {
		in   string
		v    float64
		unit string
	}{{"850℃", 850, "℃"}, {"1.2 MPa", 1.2, "MPa"}, {"1450rpm", 1450, "rpm"}, {"-3.5mm", -3.5, "mm"}, {"65%RH", 65, "%RH"}, {"12.5kN", 12.5, "kN"}} {
		v, u, ok := ParseMeasurement(c.in)
		if !ok || v != c.v || u != c.unit {
			t.Errorf("ParseMeasurement(%q) = %v %q %v", c.in, v, u, ok)
		}
	}
	for _, s := range []string{"850", "MPa", "50%", "12 apples", "", "-"} {
		if HasUnit(s) {
			t.Errorf("HasUnit(%q) = true", s)
		}
	}
}

func TestMask(t *testing.T) {
	for _, c := range []struct{ kind, in, want string }{
		{"pi.id_number", "32010219800101123X", "3201**********123X"},
		{"resident_id", "11010519491231002X", "1101**********002X"},
		{"pi.phone", "13812345678", "138****5678"},
		{"pi.bank_account", "6222021001123456789", "6222***********6789"},
		{"pi.email", "zhang.san@example.com", "z********@example.com"},
		{"pi.name", "张三丰", "张**"},
		{"pi.address", "江苏省南京市玄武区中山路18号", "江苏省南京市*********"},
		{"pi.credential", "$2b$12$abc", "<masked 10 chars>"},
		{"", "ab", "**"},
		{"", "850℃", "8**℃"},
		{"", "FIC-101.PV", "FI******PV"},
		{"pi.id_number", "12345", "1**45"},
		{"", "", ""},
		{"", strings.Repeat("a", 1000), "aaaa****************…aaaa（共1000字符）"},
		{"", "G01 X1\nG02 X2 Y3\nM30", "G01 ************ M30"},
	} {
		if got := Mask(c.kind, c.in); got != c.want {
			t.Errorf("Mask(%q, %q) = %q, want %q", c.kind, c.in, got, c.want)
		}
	}
}

// FuzzValidators checks that no validator panics and that masking never
// returns the full value of anything longer than two characters.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "91350100M000100Y43", "6225768888888888", "+8613812345678", "010-62345678",
		"a@b.cn", "E12345678", "京A12345", "粤B·D12345", "192.168.1.1", "2001:db8::1", "00:1A:2B:3C:4D:5E", "31.23,121.47",
		"江苏省南京市中山路1号", "张三", "1985-06-01", "$2b$12$x", "eyJhbGciOiJub25lIn0.e30.", "G01 X1 Y2", "IF a THEN b := 1; END_IF;",
		"ns=2;s=x", "FIC-101.PV", "C:0.1%;Mn:1%", "850℃", "", "\xff\xfe", "(((", "$argon2id$$$$$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ValidResidentID(s, testNow)
		ValidCreditCode(s)
		ValidOrgCode(s)
		ValidBankCard(s)
		Luhn(s)
		ValidMobile(s)
		ValidLandline(s)
		ValidEmail(s)
		ValidPassport(s)
		ValidHKMOPermit(s)
		ValidTWPermit(s)
		ValidPlate(s)
		ValidIPv4(s)
		ValidIPv6(s)
		ValidMAC(s)
		ParseGPS(s)
		ValidCoordinate(s)
		ValidAddress(s)
		ValidChineseName(s)
		ValidBirthDate(s, testNow)
		ValidGender(s)
		ValidPostalCode(s)
		CredentialKind(s)
		IsGCode(s)
		IsSTCode(s)
		IsOPCUANodeID(s)
		IsSensorTag(s)
		IsRecipe(s)
		ParseMeasurement(s)
		ValidVIN(s)
		splitUnits(s)
		tokens(s)
		for _, kind := range []string{"pi.id_number", "pi.phone", "pi.email", "pi.name", "pi.address", "pi.credential", ""} {
			m := Mask(kind, s)
			trimmed := strings.TrimSpace(s)
			if utf8.ValidString(trimmed) && utf8.RuneCountInString(trimmed) > 2 && m == trimmed {
				t.Fatalf("Mask(%q, %q) returned the value unmasked", kind, s)
			}
		}
	})
}

func TestVIN(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"1M8GDM9AXKP042788", true},
		{"11111111111111111", false}, // digits only
		{"1M8GDM9A1KP042788", false}, // wrong check character
		{"1M8GDM9AXKP04278", false},  // 16 characters
		{"1M8GDM9AXKP04278I", false}, // I is not used
		{"LSVAU218XN2183294", true},
	} {
		if got := ValidVIN(c.in); got != c.ok {
			t.Errorf("ValidVIN(%q) = %v, want %v", c.in, got, c.ok)
		}
	}
}

func TestSplitUnits(t *testing.T) {
	for _, c := range []struct{ in, rest, units string }{
		{"有功电量(kWh)", "有功电量 ", "kwh"},
		{"振动有效值（mm/s）", "振动有效值 ", "mm/s"},
		{"压力[MPa]", "压力 ", "mpa"},
		{"产量(吨)", "产量 ", "吨"},
		{"状态(0停机1运行)", "状态(0停机1运行)", ""},
		{"备注(1)", "备注(1)", ""},
		{"温度(°C)", "温度 ", "℃"},
	} {
		rest, units := splitUnits(c.in)
		if rest != c.rest || strings.Join(units, ",") != c.units {
			t.Errorf("splitUnits(%q) = %q, %q; want %q, %q", c.in, rest, units, c.rest, c.units)
		}
	}
}
