// Package classify proposes a category, a personal-information type and a
// level (核心/重要/一般 with a general sub-level) for every column of a table,
// from sampled values, names and comments, and rule packs that are data.
//
// # Pipeline
//
// Load reads the embedded default packs (packs/*.yaml) and any user pack
// directories, decodes them into raw structs with their YAML line numbers,
// validates them reporting every problem at once (file:line: field: message,
// as a *PackError), and compiles them into an immutable Engine: content
// rules bound to built-in validators or regular expressions, one
// Aho–Corasick automaton for all name/comment keywords, one for table
// keywords, one for content-rule context keywords, and the grading rules.
//
// Classify then works per table in two passes:
//
//  1. Each column on its own. Name and comment are tokenised (snake_case,
//     camelCase, letter/digit and Han/ASCII boundaries); ASCII keywords match
//     whole token sequences, Chinese keywords match as substrings, both found
//     by the automaton; Chinese keywords also match their pinyin spellings
//     (shebei_bianhao, sbbh) and case-folded runs are split back into words
//     (updatetime). A keyword inside a longer keyword of another rule is
//     dropped ("product_name" is not a person's name), exclude keywords veto a
//     rule, and the most specific hit wins, comment over name on a tie.
//     Bracketed units in comments ("(kWh)", "（MPa）") and unit suffixes of
//     names are looked up in the units rules, not as words; a Chinese comment
//     with a finding outranks short ASCII abbreviations in the name; an
//     unexplained pinyin-initials name is read by its head syllables. Generic
//     words (quantities, status, material, batch, setpoint…) are weak rules:
//     their category only applies without table context.
//     Content rules run over the non-empty sampled values with early exit once
//     their ratio (policy min_ratio, default 0.6) is out of reach; on samples
//     of 64 values or more a rule matching none of 16 evenly spread values is
//     skipped outright. Confidence
//     comes in tiers set in the pack policy: shape only (0.5), shape plus
//     check character or strict structure (0.8), plus a context keyword in the
//     name or comment or an agreeing name rule (0.95), lowered slightly by
//     the share of non-matching values. Weak shapes (8-digit permits, postal
//     codes, dates of birth, single coordinates) require context.
//  2. The table. Table name and comment select a context category (工艺参数,
//     设备台账, 员工…); otherwise the confidence-weighted majority of the
//     columns' explicit categories. Columns without an explicit category
//     (plain numbers in a 工艺参数 table) or with only a weak one inherit it;
//     a weak rule's PI type (部门 → employment) applies only when the table's
//     category is the rule's; a table that is a record about persons (体检,
//     培训, 考勤, 工资) gives its business columns that PI type, and the
//     contact details in a register of organisations are no PI. IP/MAC
//     addresses and sensor tags follow the
//     table context too (an IP in a log table is log data). Technical columns (keys,
//     audit timestamps, flags) are "tech" unless their content says otherwise.
//
// Industry packs add vocabulary (names, tables) and grading rules that apply
// only when their industry is selected.
//
// Grading applies the grading rules of the base pack and of the selected
// industry (Options.Industry, a GB/T 4754 code matched by longest prefix or
// an industry key): each rule names a level, conditions on category, PI type,
// sensitivity, keywords and scale, its regulatory basis and whether that basis
// is confirmed. A column takes its highest fired level, a general column the
// highest fired sub-level (policy default otherwise), and the table takes its
// highest column (就高从严). Scale conditions about personal information use an
// estimate of distinct people (rows, or the Chao1 estimate when the sample
// repeats values); unknown row counts are reported, not guessed. Every table
// label carries Caveat: grading is a proposal a person confirms.
//
// # Evidence
//
// Every step leaves an Evidence{kind, rule, detail}. Details contain rule
// titles, ratios and samples masked by Mask, never raw values; credentials
// are never shown at all.
//
// # Rule packs
//
// The pack format is described in packs/README.md. Every rule carries match
// and no_match examples; Engine.TestExamples runs them (as `shuan rules test`
// does), so a rule is tested together with the rules it competes with.
// PackInfo records the pack names, versions and an SM3 digest over the
// canonical pack bytes so results can be compared like with like.
//
// ScanText applies the content rules marked `text: true` to free text (plain
// files, logs), for sources that have no columns.
package classify
