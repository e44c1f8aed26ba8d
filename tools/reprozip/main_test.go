package main

import (
	"archive/zip"
	"bytes"
	"testing"
	"testing/fstest"
	"time"
)

func TestWriteIsReproducible(t *testing.T) {
	a := fstest.MapFS{
		"bootstrap":         {Data: []byte("binary"), Mode: 0o700, ModTime: time.Now()},
		"rds-ca-bundle.pem": {Data: []byte("pem"), Mode: 0o600, ModTime: time.Now()},
	}
	b := fstest.MapFS{
		"rds-ca-bundle.pem": {Data: []byte("pem"), Mode: 0o644, ModTime: time.Unix(0, 0)},
		"bootstrap":         {Data: []byte("binary"), Mode: 0o755, ModTime: time.Unix(12345, 0)},
	}
	var za, zb bytes.Buffer
	if err := Write(&za, a); err != nil {
		t.Fatal(err)
	}
	if err := Write(&zb, b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(za.Bytes(), zb.Bytes()) {
		t.Fatal("Write(same files, other times and modes) gave different bytes")
	}

	r, err := zip.NewReader(bytes.NewReader(za.Bytes()), int64(za.Len()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mode string
	}{
		{name: "bootstrap", mode: "-rwxr-xr-x"},
		{name: "rds-ca-bundle.pem", mode: "-rw-r--r--"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := r.File[i]
			if f.Name != tt.name || f.Mode().String() != tt.mode {
				t.Errorf("entry %d = %s %s, want %s %s", i, f.Name, f.Mode(), tt.name, tt.mode)
			}
		})
	}
}

func TestWriteEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fstest.MapFS{}); err == nil {
		t.Error("Write(empty) = nil, want an error")
	}
}
