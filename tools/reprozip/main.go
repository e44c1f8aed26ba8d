// Command reprozip writes a reproducible zip of a directory: entries sorted by
// name, a fixed modification time, normalised permissions (0755 for
// executables such as a Lambda bootstrap, 0644 otherwise) and no extra
// fields, so the same inputs always give the same bytes (and the same
// Lambda source_code_hash).
//
//	reprozip -o build/listproducts.zip build/listproducts
package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// epoch is the fixed modification time of every entry (the zip format
// cannot express times before 1980).
var epoch = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

func main() {
	out := flag.String("o", "", "zip file to write")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: reprozip -o OUT.zip DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := writeFile(*out, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "reprozip:", err)
		os.Exit(1)
	}
}

// writeFile zips dir into out, replacing out atomically.
func writeFile(out, dir string) error {
	var buf bytes.Buffer
	if err := Write(&buf, os.DirFS(dir)); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".reprozip-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// Write writes a reproducible zip of every regular file in fsys to w.
func Write(w io.Writer, fsys fs.FS) error {
	var names []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			names = append(names, name)
		} else if !d.IsDir() {
			return fmt.Errorf("%s: not a regular file", name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return errors.New("nothing to zip")
	}
	sort.Strings(names)

	zw := zip.NewWriter(w)
	for _, name := range names {
		info, err := fs.Stat(fsys, name)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if info.Mode().Perm()&0o111 != 0 {
			mode = 0o755
		}
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: epoch}
		hdr.SetMode(mode)
		f, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("add %s: %w", name, err)
		}
		src, err := fsys.Open(name)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, src)
		src.Close()
		if err != nil {
			return fmt.Errorf("add %s: %w", name, err)
		}
	}
	return zw.Close()
}
