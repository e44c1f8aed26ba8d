package site_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/deliverymarket/delivery/site"
)

var metaCSP = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)

// Each page's policy is the one the servers send: the storefront and the
// carrier page repeat it in a meta tag (a copy served without the header
// stays protected), the console relies on the header alone, whose policy
// on AWS also names S3's origin for the photo uploads. Nothing needs data:
// or another origin's images.
func TestPagesPolicy(t *testing.T) {
	if strings.Contains(site.ContentSecurityPolicy, "data:") || !strings.Contains(site.ContentSecurityPolicy, "img-src 'self';") {
		t.Errorf("ContentSecurityPolicy = %q, want images from the site's own origin only", site.ContentSecurityPolicy)
	}
	tests := []struct {
		page string
		meta bool
	}{
		{page: "index.html", meta: true},
		{page: "carrier.html", meta: true},
		{page: "company.html", meta: false},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			b, err := fs.ReadFile(site.Files, tt.page)
			if err != nil {
				t.Fatal(err)
			}
			m := metaCSP.FindSubmatch(b)
			switch {
			case tt.meta && (m == nil || string(m[1]) != site.ContentSecurityPolicy):
				t.Errorf("%s policy %q, want %q", tt.page, m, site.ContentSecurityPolicy)
			case !tt.meta && m != nil:
				t.Errorf("%s has a meta policy %q: it would forbid the uploads to S3's origin that the header allows", tt.page, m[1])
			}
			if strings.Contains(string(b), "data:") {
				t.Errorf("%s uses a data: URI, which the policy forbids", tt.page)
			}
		})
	}
}

// budget is what the pages' scripts and styles may weigh together,
// uncompressed: a phone on a slow network loads them all before it can
// order. It was 80 KB until checkout gained the delivery step (location,
// fee, arrival time, closed shops), the console the opening hours and the
// carrier page the distances (README, "The site's weight").
const budget = 96 * 1024

func TestBudget(t *testing.T) {
	var total int64
	err := fs.WalkDir(site.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".js") || strings.HasSuffix(path, ".css")) {
			return err
		}
		info, err := d.Info()
		if err == nil {
			total += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > budget {
		t.Errorf("the site's JS and CSS weigh %d bytes, over the budget of %d: cut before raising it (README)", total, budget)
	}
}
