package files

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/shuan-dev/shuan/source"
)

func discard(source.Batch) error { return nil }

var all = source.ReadOptions{Limit: 50, Full: true}

var sample5 = source.ReadOptions{Limit: 5}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n"))
	f.Add([]byte("\ufeffx;y\n\"q;\"\"\";2\n"))
	f.Add([]byte{0xB9, 0xA4, 0xD2, 0xD5, ',', '1', '\n'})
	f.Add([]byte{0xFF, 0xFE, 'a', 0, ',', 0})
	f.Add([]byte("a,column_3\n1,2,3\n"))
	f.Add([]byte("id,note\n1,\"x\ny, z\"\n2,\"\n\"\n3,w\n4,v\n5,u\n6,t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		SniffDelimiter(data, ',')
		DetectEncoding(data)
		check := func(b source.Batch) error {
			if len(b.Values) != len(b.Columns) {
				t.Fatalf("%d value columns for %d columns", len(b.Values), len(b.Columns))
			}
			for _, v := range b.Values {
				if len(v) > b.Rows {
					t.Fatalf("%d values in %d rows", len(v), b.Rows)
				}
			}
			return nil
		}
		count := func(n, _ int64, _ bool) int64 { return n }
		readCSV(context.Background(), bytes.NewReader(data), ',', all, sampling{}, check, count)
		rows := 0
		readCSV(context.Background(), bytes.NewReader(data), ',', sample5, sampling{reservoir: true, seed: 1}, func(b source.Batch) error {
			rows += b.Rows
			return check(b)
		}, count)
		if rows > sample5.Limit {
			t.Fatalf("reservoir sampled %d rows", rows)
		}
		// The spread path, whatever the size: it keeps only records with
		// the first record's field count.
		h, err := readCSVHead(bytes.NewReader(data), ',')
		if err != nil || h.first == nil {
			return
		}
		rows = 0
		spreadCSV(context.Background(), bytes.NewReader(data), int64(len(data)), ',', sample5.Limit, 1, func(b source.Batch) error {
			if len(b.Columns) > len(h.first) {
				t.Fatalf("%d columns from records of %d fields", len(b.Columns), len(h.first))
			}
			rows += b.Rows
			return check(b)
		})
		if rows > sample5.Limit {
			t.Fatalf("spread sampled %d rows", rows)
		}
	})
}

func FuzzNDJSON(f *testing.F) {
	f.Add([]byte("{\"a\":{\"b\":[1,{\"c\":\"x\"}]}}\n"))
	f.Add([]byte("[1,2]\n\"s\"\nnull\n"))
	f.Add([]byte(`[{"a":1},{"b":{"c":true}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		count := func(n, _ int64, _ bool) int64 { return n }
		r := sampling{reservoir: true, seed: 1}
		for _, o := range []source.ReadOptions{all, sample5} {
			readNDJSON(context.Background(), bytes.NewReader(data), o, r, discard, count)
			readJSON(context.Background(), bytes.NewReader(data), o, r, discard)
			readLines(context.Background(), bytes.NewReader(data), o, r, discard, count)
		}
		spreadNDJSON(context.Background(), bytes.NewReader(data), int64(len(data)), sample5.Limit, 1, discard)
		spreadLines(context.Background(), bytes.NewReader(data), int64(len(data)), sample5.Limit, 1, discard)
		var v any
		if json.Unmarshal(data, &v) == nil {
			Flatten(v, func(key, typ, value string) {
				if key == "" {
					t.Fatalf("empty key for %q", value)
				}
			})
		}
	})
}

func FuzzXLSX(f *testing.F) {
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "电话"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"张伟", "13800138000"})
	var buf bytes.Buffer
	x.Write(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		func() (err error) {
			defer recoverTo(&err)
			x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 1 << 20, UnzipXMLSizeLimit: 1 << 20})
			if err != nil {
				return err
			}
			defer x.Close()
			for _, sheet := range x.GetSheetList() {
				readSheet(context.Background(), x, sheet, all, sampling{}, discard)
				readSheet(context.Background(), x, sheet, sample5, sampling{reservoir: true, seed: 1}, discard)
			}
			return nil
		}()
	})
}

func FuzzParquet(f *testing.F) {
	type rec struct {
		Name string `parquet:"name"`
		N    int64  `parquet:"n,optional"`
	}
	var buf bytes.Buffer
	parquet.Write(&buf, []rec{{"a", 1}, {"b", 2}})
	f.Add(buf.Bytes())
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		func() (err error) {
			defer recoverTo(&err)
			pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				return err
			}
			parquetColumns(pf)
			readParquet(context.Background(), pf, sample5, 1, discard)
			return readParquet(context.Background(), pf, all, 1, discard)
		}()
	})
}
