// Package detect evaluates normalised events (shuan.Event) against versioned
// detection rule packs and raises alerts for the risks the plan names.
//
// A pack is a YAML file (packs/*.yaml are embedded as defaults; user
// directories load on top) holding two rule families:
//
//   - sigma: community-format Sigma rules, parsed with sigma-go and compiled
//     into matchers that give the same results as sigma-go's evaluator over
//     the map view of an event (see View) without building the map; field
//     names are the Event's JSON names plus data_level and fields.<key>;
//   - stateful: rules implemented in Go and parameterised in YAML (volume
//     with learned baselines, off_hours, unknown_source, export,
//     large_result, privilege, ransomware) that keep bounded per-key state.
//
// Every rule carries match and no_match examples written as events;
// (*Engine).TestExamples runs them for `shuan rules test`. A Catalog tells
// the engine which objects hold important or core data: alerts touching them
// carry the level and a raised severity.
package detect
