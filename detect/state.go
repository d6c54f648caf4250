package detect

import "time"

// lru is a bounded map that evicts the least recently used key.
type lru[V any] struct {
	max        int
	m          map[string]*lruEntry[V]
	head, tail *lruEntry[V] // head is the most recent
	evicted    int64
}

type lruEntry[V any] struct {
	key        string
	val        V
	prev, next *lruEntry[V]
}

func newLRU[V any](max int) *lru[V] {
	if max < 1 {
		max = 1
	}
	return &lru[V]{max: max, m: make(map[string]*lruEntry[V], min(max, 1024))}
}

// get returns the value for key and whether it was present; when absent
// and create is set it adds a zero value. The key is copied only when a new
// entry is made.
func (l *lru[V]) get(key []byte, create bool) (*V, bool) {
	if e, ok := l.m[string(key)]; ok {
		l.front(e)
		return &e.val, true
	}
	if !create {
		return nil, false
	}
	var e *lruEntry[V]
	if len(l.m) >= l.max {
		e = l.tail // reuse the evicted entry to keep allocation flat
		l.unlink(e)
		delete(l.m, e.key)
		l.evicted++
	} else {
		e = &lruEntry[V]{}
	}
	var zero V
	e.key, e.val = string(key), zero
	l.m[e.key] = e
	l.pushFront(e)
	return &e.val, false
}

func (l *lru[V]) len() int { return len(l.m) }

func (l *lru[V]) unlink(e *lruEntry[V]) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (l *lru[V]) pushFront(e *lruEntry[V]) {
	e.next = l.head
	if l.head != nil {
		l.head.prev = e
	}
	l.head = e
	if l.tail == nil {
		l.tail = e
	}
}

func (l *lru[V]) front(e *lruEntry[V]) {
	if l.head == e {
		return
	}
	l.unlink(e)
	l.pushFront(e)
}

// nBuckets is the resolution of sliding windows.
const nBuckets = 12

// window counts events and rows in a sliding window of nBuckets buckets.
type window struct {
	idx   [nBuckets]int64 // bucket number (time / width) each slot holds
	count [nBuckets]int64
	rows  [nBuckets]int64
	last  int64 // newest bucket seen
}

// add records one event at t and returns the window totals including it.
// An event older than the window (late, out of order) is not counted.
func (w *window) add(t time.Time, width time.Duration, rows int64) (count, sum int64) {
	b := t.UnixNano() / int64(width)
	if b > w.last {
		w.last = b
	}
	if b <= w.last-nBuckets {
		return w.totals(w.last)
	}
	s := int(((b % nBuckets) + nBuckets) % nBuckets)
	if w.idx[s] != b {
		if w.idx[s] > b {
			return w.totals(w.last)
		}
		w.idx[s], w.count[s], w.rows[s] = b, 0, 0
	}
	w.count[s]++
	if rows > 0 {
		w.rows[s] += rows
	}
	return w.totals(w.last)
}

// totals sums the buckets inside the window ending with bucket b (or the
// newest bucket seen, if later).
func (w *window) totals(b int64) (count, sum int64) {
	b = max(b, w.last)
	for i := range nBuckets {
		if w.idx[i] > b-nBuckets && w.idx[i] <= b {
			count += w.count[i]
			sum += w.rows[i]
		}
	}
	return count, sum
}

// idRing keeps the most recent event IDs of a key.
type idRing struct {
	ids [maxRingIDs]string
	n   int
}

const maxRingIDs = 8

func (r *idRing) add(id string) {
	if id == "" {
		return
	}
	r.ids[r.n%maxRingIDs] = id
	r.n++
}

func (r *idRing) list() []string {
	n := min(r.n, maxRingIDs)
	out := make([]string, 0, n)
	for i := r.n - n; i < r.n; i++ {
		out = append(out, r.ids[i%maxRingIDs])
	}
	return out
}
