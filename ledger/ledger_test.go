package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 8, 30, 0, 123456789, time.FixedZone("CST", 8*3600))

func chain(tb testing.TB, n int) []Record {
	tb.Helper()
	recs := make([]Record, 0, n)
	var prev *Record
	for i := range n {
		r := Next(prev, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("user:u%d", i%7), "catalog.update",
			fmt.Sprintf("catalog/%d", i), fmt.Sprintf(`{"i":%d,"名称":"订单表"}`, i))
		recs = append(recs, r)
		prev = &recs[len(recs)-1]
	}
	return recs
}

func clone(recs []Record) []Record { return append([]Record(nil), recs...) }

// wantSeq checks that err is a *ledger.Error for seq.
func wantSeq(t *testing.T, what string, err error, seq int64) {
	t.Helper()
	var le *Error
	if !errors.As(err, &le) {
		t.Errorf("%s: err = %v, want *ledger.Error at seq %d", what, err, seq)
		return
	}
	if le.Seq != seq {
		t.Errorf("%s: error at seq %d (%v), want seq %d", what, le.Seq, err, seq)
	}
}

func TestNext(t *testing.T) {
	first := Next(nil, t0, "system", "node.init", "node/1", "")
	if first.Seq != 1 || first.Prev != Genesis {
		t.Errorf("first record: seq %d prev %q", first.Seq, first.Prev)
	}
	if first.At.Location() != time.UTC || first.At.Nanosecond() != 123456000 || !first.At.Equal(t0.Truncate(time.Microsecond)) {
		t.Errorf("At = %s, want UTC truncated to microseconds", first.At.Format(time.RFC3339Nano))
	}
	if len(first.Hash) != 64 || first.Hash != first.ComputeHash() {
		t.Errorf("Hash = %q", first.Hash)
	}
	second := Next(&first, t0, "user:alice", "user.login", "", "")
	if second.Seq != 2 || second.Prev != first.Hash {
		t.Errorf("second record: seq %d prev %q", second.Seq, second.Prev)
	}
}

// The encoding is part of the log format: a change here breaks every stored log.
func TestHashIsStable(t *testing.T) {
	r := Next(nil, time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), "user:alice", "user.login", "session/9", `{"ip":"10.0.0.1"}`)
	const want = "e1a5db47044ff53b0254be09ae4b384e6ab4b5bdc1168f3bf5141974d12af835" // cross-checked with OpenSSL SM3
	if r.Hash != want {
		t.Errorf("hash = %s, want %s", r.Hash, want)
	}
}

func TestHashSeparatesFields(t *testing.T) {
	a := Record{Seq: 1, At: t0, Actor: "ab", Action: "c", Prev: Genesis}
	b := Record{Seq: 1, At: t0, Actor: "a", Action: "bc", Prev: Genesis}
	if a.ComputeHash() == b.ComputeHash() {
		t.Error("moving a byte between fields kept the hash")
	}
	c := a
	c.At = t0.In(time.UTC)
	if a.ComputeHash() != c.ComputeHash() {
		t.Error("the time zone of At changed the hash")
	}
}

func TestVerifyChain(t *testing.T) {
	recs := chain(t, 1000)
	if err := Verify(recs); err != nil {
		t.Fatal(err)
	}
	if err := Verify(nil); err != nil {
		t.Errorf("Verify(empty) = %v", err)
	}
	i := 0
	n, head, err := VerifyStream(func() (Record, bool, error) {
		if i == len(recs) {
			return Record{}, false, nil
		}
		i++
		return recs[i-1], true, nil
	})
	if err != nil || n != 1000 || head != recs[999].Hash {
		t.Errorf("VerifyStream = %d, %s, %v", n, head, err)
	}
	n, head, err = VerifyStream(func() (Record, bool, error) { return Record{}, false, nil })
	if err != nil || n != 0 || head != Genesis {
		t.Errorf("VerifyStream(empty) = %d, %s, %v", n, head, err)
	}
}

func TestVerifySurvivesJSONAndTimeZones(t *testing.T) {
	recs := chain(t, 50)
	js, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	var back []Record
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	for i := range back {
		back[i].At = back[i].At.In(time.FixedZone("CST", 8*3600)) // as a store might return it
	}
	if err := Verify(back); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDetectsFieldChanges(t *testing.T) {
	recs := chain(t, 1000)
	fields := map[string]func(*Record){
		"seq":      func(r *Record) { r.Seq += 1000 },
		"at":       func(r *Record) { r.At = r.At.Add(time.Microsecond) },
		"at ns":    func(r *Record) { r.At = r.At.Add(time.Nanosecond) },
		"actor":    func(r *Record) { r.Actor += "x" },
		"action":   func(r *Record) { r.Action = "user.logout" },
		"object":   func(r *Record) { r.Object = "" },
		"detail":   func(r *Record) { r.Detail = strings.Replace(r.Detail, "订单", "用户", 1) },
		"prev":     func(r *Record) { r.Prev = strings.Repeat("f", 64) },
		"hash":     func(r *Record) { r.Hash = strings.Repeat("e", 64) },
		"hash upc": func(r *Record) { r.Hash = strings.ToUpper(r.Hash) },
	}
	for name, mutate := range fields {
		for _, i := range []int{0, 1, 500, 999} {
			bad := clone(recs)
			mutate(&bad[i])
			wantSeq(t, fmt.Sprintf("%s of record %d", name, i), Verify(bad), int64(i+1))
		}
	}
}

func TestVerifyDetectsStructuralChanges(t *testing.T) {
	recs := chain(t, 1000)
	for _, i := range []int{0, 1, 500, 998} {
		deleted := append(clone(recs[:i]), recs[i+1:]...)
		wantSeq(t, fmt.Sprintf("delete %d", i), Verify(deleted), int64(i+1))

		swapped := clone(recs)
		swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
		wantSeq(t, fmt.Sprintf("swap %d,%d", i, i+1), Verify(swapped), int64(i+1))

		// A well-formed record forged after record i-1: the original record i no longer fits.
		var prev *Record
		if i > 0 {
			prev = &recs[i-1]
		}
		forged := Next(prev, t0, "user:mallory", "catalog.delete", "catalog/1", "")
		inserted := append(append(clone(recs[:i]), forged), recs[i:]...)
		wantSeq(t, fmt.Sprintf("insert before %d", i), Verify(inserted), int64(i+2))

		dup := append(append(clone(recs[:i+1]), recs[i]), recs[i+1:]...)
		wantSeq(t, fmt.Sprintf("duplicate %d", i), Verify(dup), int64(i+2))
	}
	// Dropping the newest records leaves a valid but shorter chain: only a
	// checkpoint of the head can tell.
	if err := Verify(recs[:999]); err != nil {
		t.Errorf("truncated log: %v", err)
	}
	// Starting mid-log is not a whole log.
	wantSeq(t, "starts at seq 2", Verify(recs[1:]), 1)
}

func TestVerifyStreamErrors(t *testing.T) {
	recs := chain(t, 10)
	recs[4].Detail = "changed"
	i := 0
	next := func() (Record, bool, error) {
		if i == len(recs) {
			return Record{}, false, nil
		}
		i++
		return recs[i-1], true, nil
	}
	n, head, err := VerifyStream(next)
	wantSeq(t, "stream", err, 5)
	if n != 4 || head != recs[3].Hash {
		t.Errorf("VerifyStream stopped at %d, %s; want 4 records verified", n, head)
	}

	readErr := errors.New("disk on fire")
	n, _, err = VerifyStream(func() (Record, bool, error) { return Record{}, false, readErr })
	if !errors.Is(err, readErr) || n != 0 {
		t.Errorf("VerifyStream(read error) = %d, %v", n, err)
	}
	i = 0
	_, _, err = VerifyStream(func() (Record, bool, error) {
		if i == 3 {
			return Record{}, false, io.ErrUnexpectedEOF
		}
		i++
		return chain(t, 3)[i-1], true, nil
	})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("VerifyStream(error after 3) = %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	good, _ := json.Marshal(chain(f, 3))
	f.Add(good)
	f.Add([]byte(`[{"seq":1,"at":"2026-01-01T00:00:00Z","prev":"` + Genesis + `"}]`))
	f.Add([]byte(`[{"seq":-9223372036854775808},{"seq":9223372036854775807}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, js []byte) {
		var recs []Record
		if json.Unmarshal(js, &recs) != nil {
			return
		}
		err := Verify(recs)
		i := 0
		n, head, serr := VerifyStream(func() (Record, bool, error) {
			if i == len(recs) {
				return Record{}, false, nil
			}
			i++
			return recs[i-1], true, nil
		})
		if (err == nil) != (serr == nil) {
			t.Fatalf("Verify = %v but VerifyStream = %v", err, serr)
		}
		if err == nil {
			if n != int64(len(recs)) || (n > 0 && head != recs[n-1].Hash) {
				t.Fatalf("VerifyStream = %d, %s for a valid log of %d", n, head, len(recs))
			}
			return
		}
		var le *Error
		if !errors.As(err, &le) || le.Seq < 1 || le.Seq > int64(len(recs)) {
			t.Fatalf("Verify error %v does not name a seq within the log", err)
		}
	})
}

func FuzzTamper(f *testing.F) {
	f.Add(uint8(3), uint8(2), "x")
	f.Add(uint8(0), uint8(0), "")
	f.Fuzz(func(t *testing.T, idx, field uint8, s string) {
		recs := chain(t, 8)
		i := int(idx) % len(recs)
		r := &recs[i]
		before := *r
		switch field % 7 {
		case 0:
			r.Actor = s
		case 1:
			r.Action = s
		case 2:
			r.Object = s
		case 3:
			r.Detail = s
		case 4:
			r.Prev = s
		case 5:
			r.Hash = s
		case 6:
			r.At = r.At.Add(time.Duration(len(s)) * time.Microsecond)
		}
		if *r == before {
			if err := Verify(recs); err != nil {
				t.Fatalf("unchanged log: %v", err)
			}
			return
		}
		var le *Error
		if err := Verify(recs); !errors.As(err, &le) || le.Seq != int64(i+1) {
			t.Fatalf("changing field %d of record %d to %q: err = %v", field%7, i, s, err)
		}
	})
}

func BenchmarkNext(b *testing.B) {
	prev := Next(nil, t0, "system", "node.init", "", "")
	detail := strings.Repeat("x", 256)
	for b.Loop() {
		prev = Next(&prev, t0, "user:alice", "catalog.update", "catalog/1", detail)
	}
}

func BenchmarkVerify(b *testing.B) {
	recs := chain(b, 10000)
	b.ResetTimer()
	for b.Loop() {
		if err := Verify(recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func TestVerifyAfter(t *testing.T) {
	recs := chain(t, 100)
	if err := VerifyAfter(recs[49], recs[50:]); err != nil {
		t.Fatal(err)
	}
	if err := VerifyAfter(recs[49], nil); err != nil {
		t.Errorf("empty page: %v", err)
	}
	wantSeq(t, "gap", VerifyAfter(recs[48], recs[50:]), 50)
	bad := clone(recs)
	bad[70].Object = "x"
	wantSeq(t, "changed record", VerifyAfter(bad[49], bad[50:]), 71)
	anchor := recs[49]
	anchor.Detail = "x"
	wantSeq(t, "changed anchor", VerifyAfter(anchor, recs[50:]), 50)
	wantSeq(t, "zero anchor", VerifyAfter(Record{}, recs), 0)
}
