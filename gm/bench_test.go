package gm

import (
	"encoding/base64"
	"strconv"
	"testing"
)

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func BenchmarkSM3(b *testing.B) {
	for _, size := range []int{64, 1 << 10, 1 << 20} {
		data := make([]byte, size)
		b.Run(byteSize(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				Sum(data)
			}
		})
	}
}

func BenchmarkSM4GCMSeal(b *testing.B) {
	s, err := NewSealer(make([]byte, KeySize))
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{64, 1 << 10, 1 << 20} {
		data := make([]byte, size)
		b.Run(byteSize(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				s.Seal(data, nil)
			}
		})
	}
}

func BenchmarkSM4GCMOpen(b *testing.B) {
	s, err := NewSealer(make([]byte, KeySize))
	if err != nil {
		b.Fatal(err)
	}
	size := 1 << 20
	sealed := s.Seal(make([]byte, size), nil)
	b.SetBytes(int64(size))
	for b.Loop() {
		if _, err := s.Open(sealed, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM2Sign(b *testing.B) {
	k, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 256)
	for b.Loop() {
		if _, err := Sign(k, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM2Verify(b *testing.B) {
	k, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 256)
	sig, err := Sign(k, msg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !Verify(&k.PublicKey, msg, sig) {
			b.Fatal("verify failed")
		}
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
