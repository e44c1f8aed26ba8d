package market_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/deliverymarket/delivery/internal/market"
)

// A quote's lines show each product's photo as it is, and the order placed
// from the quote keeps it; a product without one has "image": null in both.
func TestLinesCarryTheImage(t *testing.T) {
	img := market.StoredImage{Key320: strings.Repeat("a", 64), Key960: strings.Repeat("b", 64), Width: 960, Height: 640}.Public()
	products := map[int64]market.Product{
		1: {ID: 1, CompanyID: 1, Name: "Sourdough loaf", Price: market.MustMoney("4.50"), Active: true, Image: img},
		2: {ID: 2, CompanyID: 1, Name: "Croissant", Price: market.MustMoney("2.75"), Active: true},
	}
	q, err := market.Price("USD", []market.Item{{ProductID: 1, Quantity: 1}, {ProductID: 2, Quantity: 1}}, products)
	if err != nil {
		t.Fatal(err)
	}
	order := market.OrderFromQuote(market.NewOrder{ID: "o", CreatedAt: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}, q)
	tests := []struct {
		name  string
		value any
		want  string
	}{
		{"quote line with a photo", q.Lines[0], `"image":{"url320":"` + img.URL320 + `","url960":"` + img.URL960 + `","width":960,"height":640}`},
		{"quote line without", q.Lines[1], `"image":null`},
		{"order line with a photo", order.Lines[0], `"image":{"url320":"` + img.URL320 + `","url960":"` + img.URL960 + `","width":960,"height":640}`},
		{"order line without", order.Lines[1], `"image":null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tt.want) {
				t.Errorf("json.Marshal(%s) = %s, want it to hold %s", tt.name, b, tt.want)
			}
		})
	}
}

// The refusal of an upload is for the company alone: a product's own JSON
// never carries it, whatever it holds.
func TestProductJSONHidesTheImageError(t *testing.T) {
	p := market.Product{ID: 1, ImageError: &market.ImageError{Reason: "undecodable", Message: "not an image", UploadID: strings.Repeat("0", 32)}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, "undecodable") || strings.Contains(s, "imageError") || !strings.Contains(s, `"image":null`) {
		t.Errorf("json.Marshal(product) = %s, want \"image\":null and no refusal", s)
	}
}
