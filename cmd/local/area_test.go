package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/internal/cli"
	"github.com/deliverymarket/delivery/internal/dbtest"
)

func areaCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr syncBuffer
	err := run(context.Background(), append([]string{"area"}, args...), &stdout, &stderr, nil)
	return stdout.String(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAreaCommand(t *testing.T) {
	t.Setenv("DELIVERY_DSN", "")
	dsn := dbtest.NewDSN(t)
	area := writeFile(t, "area.geojson", `{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Lisboa"},
		"geometry": {"type": "Polygon", "coordinates": [[[-9.2, 38.7], [-9.1, 38.7], [-9.1, 38.8], [-9.2, 38.7]]]}}]}`)

	if out, err := areaCLI(t, "show", "-dsn", dsn); err != nil || !strings.Contains(out, "No delivery area") {
		t.Errorf("area show before = %q, %v", out, err)
	}
	out, err := areaCLI(t, "set", area, "-dsn", dsn)
	if err != nil || !strings.Contains(out, "is set") || !strings.Contains(out, `"Polygon"`) || strings.Contains(out, "Lisboa") {
		t.Fatalf("area set = %q, %v; want the geometry without the feature's properties", out, err)
	}
	if out, err := areaCLI(t, "show", "-dsn", dsn); err != nil || !strings.Contains(out, "-9.2") {
		t.Errorf("area show = %q, %v", out, err)
	}
	bad := writeFile(t, "point.geojson", `{"type": "Point", "coordinates": [0, 0]}`)
	if _, err := areaCLI(t, "set", bad, "-dsn", dsn); err == nil || !strings.Contains(err.Error(), "Polygon or MultiPolygon") {
		t.Errorf("area set of a point = %v", err)
	}
	if out, _ := areaCLI(t, "show", "-dsn", dsn); !strings.Contains(out, "-9.2") {
		t.Errorf("a refused area changed the stored one: %q", out)
	}
	if out, err := areaCLI(t, "clear", "-dsn", dsn); err != nil || !strings.Contains(out, "cleared") {
		t.Errorf("area clear = %q, %v", out, err)
	}
	if out, err := areaCLI(t, "clear", "-dsn", dsn); err != nil || !strings.Contains(out, "no delivery area") {
		t.Errorf("area clear again = %q, %v", out, err)
	}

	for _, args := range [][]string{
		{},
		{"draw"},
		{"set"},
		{"set", "-dsn", dsn},
		{"show", "extra", "-dsn", dsn},
		{"show"},
	} {
		if _, err := areaCLI(t, args...); !errors.Is(err, cli.ErrUsage) {
			t.Errorf("area %q = %v, want a usage error", args, err)
		}
	}
	if _, err := areaCLI(t, "set", filepath.Join(t.TempDir(), "missing.geojson"), "-dsn", dsn); err == nil {
		t.Error("area set of a missing file succeeded")
	}
}

func TestRunArea(t *testing.T) {
	isolate(t)
	t.Run("the demo's", func(t *testing.T) {
		base, _, _, _ := runRunner(t)
		status, _, body := call(t, "GET", base+"/api/area", "", "")
		if status != 200 || !strings.Contains(string(body), `"Polygon"`) || !strings.Contains(string(body), "-9.18") {
			t.Errorf("GET /api/area = %d %s, want the demo area", status, body)
		}
	})
	t.Run("from -area", func(t *testing.T) {
		file := writeFile(t, "area.geojson", `{"type": "MultiPolygon", "coordinates": [[[[-9.3, 38.6], [-9.0, 38.6], [-9.0, 38.9], [-9.3, 38.6]]]]}`)
		base, _, _, _ := runRunner(t, "-area", file)
		status, _, body := call(t, "GET", base+"/api/area", "", "")
		if status != 200 || !strings.Contains(string(body), `"MultiPolygon"`) {
			t.Errorf("GET /api/area = %d %s, want the file's area", status, body)
		}
	})
	t.Run("a bad -area starts nothing", func(t *testing.T) {
		file := writeFile(t, "area.geojson", `{"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}`)
		var stdout, stderr syncBuffer
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-area", file}, &stdout, &stderr, func(string) {
			t.Error("the runner served with a bad area")
		})
		if err == nil || !strings.Contains(err.Error(), "at least four") {
			t.Errorf("run = %v", err)
		}
	})
}
