package detect

import "github.com/coregx/ahocorasick"

// keywords finds, in one pass over an event's lower-cased statement, every
// literal that Sigma rules look for in the statement (contains values and
// the literals regexps require), so that each rule's test is a lookup.
type keywords struct {
	ac   *ahocorasick.Automaton
	ids  map[string]int
	size int
}

// buildKeywords assigns an id to each statement literal of the rules and
// builds the automaton.
func buildKeywords(rules []*rule) (*keywords, error) {
	k := &keywords{ids: map[string]int{}}
	var pats []string
	id := func(s string) int {
		if i, ok := k.ids[s]; ok {
			return i
		}
		k.ids[s] = len(pats)
		pats = append(pats, s)
		return len(pats) - 1
	}
	for _, r := range rules {
		if r.sigma == nil {
			continue
		}
		r.sigma.needIDs = nil
		for _, lit := range r.sigma.need {
			r.sigma.needIDs = append(r.sigma.needIDs, id(lit))
		}
		for si := range r.sigma.searches {
			for _, all := range r.sigma.searches[si].any {
				for fi := range all {
					fm := &all[fi]
					if fm.f != fStatement {
						continue
					}
					for vi := range fm.values {
						v := &fm.values[vi]
						v.lit = -1
						switch v.kind {
						case cmpContains:
							if v.s != "" {
								v.lit = id(v.s)
							}
						case cmpRegexp:
							v.needIDs = nil
							for _, g := range v.need {
								var ids []int
								for _, lit := range g {
									if lit == "" {
										ids = nil
										break
									}
									ids = append(ids, id(lit))
								}
								if ids != nil {
									v.needIDs = append(v.needIDs, ids)
								}
							}
						}
					}
				}
			}
		}
	}
	k.size = len(pats)
	if len(pats) == 0 {
		return k, nil
	}
	ac, err := ahocorasick.NewBuilder().AddStrings(pats).Build()
	if err != nil {
		return nil, err
	}
	k.ac = ac
	return k, nil
}

// scan marks the literals present in the lower-cased statement of c.
func (c *evalCtx) scanKeywords() {
	c.kwDone = true
	c.gen++
	if c.gen == 0 { // wrapped: clear stale stamps
		clear(c.stamp)
		c.gen = 1
	}
	if c.kw == nil || c.kw.ac == nil {
		return
	}
	if len(c.stamp) < c.kw.size {
		c.stamp = make([]uint32, c.kw.size)
	}
	st := c.str(fStatement)
	if st == "" {
		return
	}
	// Lower-case ASCII into a reused buffer; other text takes the
	// Unicode-aware path the literals were lowered with.
	c.kwBuf = c.kwBuf[:0]
	for i := 0; i < len(st); i++ {
		b := st[i]
		if b >= 0x80 {
			c.kwBuf = append(c.kwBuf[:0], c.low(fStatement)...)
			break
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		c.kwBuf = append(c.kwBuf, b)
	}
	for _, m := range c.kw.ac.FindAllOverlapping(c.kwBuf) {
		c.stamp[m.PatternID] = c.gen
	}
}

// hasKeyword reports whether literal id occurs in the statement.
func (c *evalCtx) hasKeyword(id int) bool {
	if !c.kwDone {
		c.scanKeywords()
	}
	return c.kw != nil && c.kw.ac != nil && c.stamp[id] == c.gen
}
