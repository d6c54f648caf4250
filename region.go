package shuan

// Provinces maps the first two digits of a GB/T 2260 code to the
// provincial-level division's Chinese name.
var Provinces = map[string]string{
	"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
	"21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
	"31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
	"41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
	"50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
	"61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
	"71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

// ProvinceName returns the province name of a 6-digit region code, or the code itself.
func ProvinceName(region string) string {
	if len(region) >= 2 {
		if n, ok := Provinces[region[:2]]; ok {
			return n
		}
	}
	return region
}

// Industries maps the GB/T 4754-2017 codes the platform ships rule packs for
// to their Chinese names.
var Industries = map[string]string{
	"C13":   "农副食品加工业",
	"C14":   "食品制造业",
	"C17":   "纺织业",
	"C25":   "石油、煤炭及其他燃料加工业",
	"C26":   "化学原料和化学制品制造业",
	"C27":   "医药制造业",
	"C31":   "黑色金属冶炼和压延加工业",
	"C32":   "有色金属冶炼和压延加工业",
	"C34":   "通用设备制造业",
	"C35":   "专用设备制造业",
	"C36":   "汽车制造业",
	"C39":   "计算机、通信和其他电子设备制造业",
	"C3973": "集成电路制造",
}

// IndustryName returns the name of the longest known prefix of code, or code.
func IndustryName(code string) string {
	for l := len(code); l >= 3; l-- {
		if n, ok := Industries[code[:l]]; ok {
			return n
		}
	}
	return code
}
