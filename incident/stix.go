package incident

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"sort"
	"time"

	"github.com/shuan-dev/shuan/detect"
)

// stixNamespace is the STIX 2.1 namespace for deterministic identifiers.
var stixNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// uuid5 returns the RFC 4122 version 5 UUID of name in the STIX namespace.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(stixNamespace[:])
	h.Write([]byte(name))
	s := h.Sum(nil)[:16]
	s[6] = (s[6] & 0x0f) | 0x50
	s[8] = (s[8] & 0x3f) | 0x80
	x := hex.EncodeToString(s)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// stixID returns a deterministic "type--uuid" identifier.
func stixID(typ, key string) string { return typ + "--" + uuid5(key) }

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Bundle is a STIX 2.1 bundle; objects are JSON maps.
type Bundle struct {
	Type    string           `json:"type"`
	ID      string           `json:"id"`
	Objects []map[string]any `json:"objects"`
}

// Identity names the node that produces a bundle.
type Identity struct {
	Name  string
	Class string // organization (default), system, …
}

// ExportSTIX builds a STIX 2.1 bundle of alerts and incidents: an identity
// for the node, an indicator per rule, for each alert an observed-data
// (user-account and address SCOs) and a sighting of the rule's indicator,
// and an incident per incident related to its observed data. Identifiers
// are deterministic (UUIDv5), so exporting twice gives the same bundle.
func ExportSTIX(id Identity, alerts []detect.Alert, rules []detect.RuleInfo, incidents []*Incident) Bundle {
	if id.Class == "" {
		id.Class = "organization"
	}
	var objs []map[string]any
	seen := map[string]bool{}
	add := func(o map[string]any) {
		if !seen[o["id"].(string)] {
			seen[o["id"].(string)] = true
			objs = append(objs, o)
		}
	}
	epoch := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC) // the plan's entry into force
	identID := stixID("identity", "shuan-node:"+id.Name)
	add(map[string]any{"type": "identity", "spec_version": "2.1", "id": identID,
		"created": stixTime(epoch), "modified": stixTime(epoch), "name": id.Name, "identity_class": id.Class})
	ruleByID := map[string]detect.RuleInfo{}
	for _, r := range rules {
		ruleByID[r.ID] = r
	}
	indicator := func(a detect.Alert) string {
		r, ok := ruleByID[a.Rule]
		if !ok {
			r = detect.RuleInfo{ID: a.Rule, Title: a.RuleTitle, Family: a.Family, Risk: a.Risk}
		}
		iid := stixID("indicator", "shuan-rule:"+r.ID+":"+a.PackVersion)
		o := map[string]any{"type": "indicator", "spec_version": "2.1", "id": iid, "created_by_ref": identID,
			"created": stixTime(epoch), "modified": stixTime(epoch), "valid_from": stixTime(epoch),
			"name": r.Title, "indicator_types": []string{"malicious-activity"},
			"x_shuan_rule": r.ID, "x_shuan_risk": r.Risk, "x_shuan_pack_version": a.PackVersion}
		if r.Family == "sigma" && r.Source != "" {
			o["pattern_type"], o["pattern"] = "sigma", r.Source
		} else {
			o["pattern_type"], o["pattern"] = "shuan-stateful", "shuan:"+r.Family+":"+r.ID
			o["description"] = r.Description
		}
		add(o)
		return iid
	}
	odByAlert := map[string]string{}
	for _, a := range alerts {
		iid := indicator(a)
		var refs []string
		if a.Actor != "" {
			scoKey, _ := json.Marshal(map[string]string{"user_id": a.Actor})
			uid := stixID("user-account", string(scoKey))
			add(map[string]any{"type": "user-account", "spec_version": "2.1", "id": uid, "user_id": a.Actor})
			refs = append(refs, uid)
		}
		if a.Client != "" {
			if addr, err := netip.ParseAddr(hostOnly(a.Client)); err == nil {
				typ := "ipv4-addr"
				if addr.Unmap().Is6() {
					typ = "ipv6-addr"
				}
				v := addr.Unmap().String()
				scoKey, _ := json.Marshal(map[string]string{"value": v})
				aid := stixID(typ, string(scoKey))
				add(map[string]any{"type": typ, "spec_version": "2.1", "id": aid, "value": v})
				refs = append(refs, aid)
			}
		}
		s := map[string]any{"type": "sighting", "spec_version": "2.1", "id": stixID("sighting", "shuan-alert:"+a.ID),
			"created_by_ref": identID, "created": stixTime(a.Time), "modified": stixTime(a.Time),
			"first_seen": stixTime(a.Time), "last_seen": stixTime(a.Time), "count": max(a.Count, 1),
			"sighting_of_ref": iid, "where_sighted_refs": []string{identID}, "description": a.Summary,
			"x_shuan_severity": a.Severity, "x_shuan_risk": a.Risk}
		if a.DataLevel != "" {
			s["x_shuan_data_level"] = a.DataLevel
		}
		if len(refs) > 0 {
			od := stixID("observed-data", "shuan-alert:"+a.ID)
			add(map[string]any{"type": "observed-data", "spec_version": "2.1", "id": od, "created_by_ref": identID,
				"created": stixTime(a.Time), "modified": stixTime(a.Time), "first_observed": stixTime(a.Time),
				"last_observed": stixTime(a.Time), "number_observed": max(a.Count, 1), "object_refs": refs})
			s["observed_data_refs"] = []string{od}
			odByAlert[a.ID] = od
		}
		add(s)
	}
	for _, in := range incidents {
		incID := stixID("incident", "shuan-incident:"+in.ID)
		add(map[string]any{"type": "incident", "spec_version": "2.1", "id": incID, "created_by_ref": identID,
			"created": stixTime(in.Discovered), "modified": stixTime(in.Updated), "name": in.Title,
			"description":   in.Grading.LevelZH + "数据安全事件 (" + in.Grading.Level + ")",
			"x_shuan_level": in.Grading.Level, "x_shuan_status": string(in.Status), "x_shuan_risks": in.Risks})
		for _, aid := range in.AlertIDs {
			od, ok := odByAlert[aid]
			if !ok {
				continue
			}
			add(map[string]any{"type": "relationship", "spec_version": "2.1", "id": stixID("relationship", incID+"|"+od),
				"created": stixTime(in.Discovered), "modified": stixTime(in.Discovered),
				"relationship_type": "related-to", "source_ref": incID, "target_ref": od})
		}
	}
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = o["id"].(string)
	}
	sort.Strings(ids)
	key, _ := json.Marshal(ids)
	return Bundle{Type: "bundle", ID: stixID("bundle", string(key)), Objects: objs}
}

func hostOnly(s string) string {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String()
	}
	return s
}
